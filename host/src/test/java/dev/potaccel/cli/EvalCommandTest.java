package dev.potaccel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.FashionMnist.Split;
import dev.potaccel.data.IdxImages;
import dev.potaccel.data.IdxLabels;
import dev.potaccel.data.IdxWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class EvalCommandTest {
  @TempDir
  Path dir;

  /**
   * {@code potaccel eval ...} as on a machine without the Debian package: the default data is
   * the bundled sample whatever is installed here.
   */
  private CliRun evalWithoutInstalledData(String... args) {
    CommandLine cl = Main.commandLine();
    EvalCommand eval = cl.getSubcommands().get("eval").getCommand();
    eval.installedData = dir.resolve("no-debian-package");
    String[] all = new String[args.length + 1];
    all[0] = "eval";
    System.arraycopy(args, 0, all, 1, args.length);
    return CliRun.of(cl, all);
  }

  @Test
  void jsonOnTheBundledSampleHasEveryKey() {
    CliRun r = evalWithoutInstalledData("--limit", "100", "--json");
    assertEquals(0, r.exitCode(), r.transcript());
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    for (String key : List.of("model", "device", "data", "top1", "top5", "images",
        "images_per_s", "confusion", "classes")) {
      assertTrue(o.has(key), key + " in " + r.out());
    }
    assertEquals(1, r.out().strip().lines().count(), "one line of JSON: " + r.out());
    assertEquals("lenet5.onnx (bundled)", o.get("model").getAsString());
    assertEquals("emulator", o.get("device").getAsString(), "the default device");
    assertTrue(o.get("data").getAsString().startsWith("bundled sample"), r.out());
    assertEquals(100, o.get("images").getAsInt());
    double top1 = o.get("top1").getAsDouble();
    double top5 = o.get("top5").getAsDouble();
    assertTrue(top1 > 0.7 && top1 <= top5 && top5 <= 1, r.out());
    assertTrue(o.get("images_per_s").getAsDouble() > 0, r.out());
    assertEquals(FashionMnist.CLASSES.size(), o.getAsJsonArray("classes").size());
    assertEquals("T-shirt/top", o.getAsJsonArray("classes").get(0).getAsString());
    JsonArray confusion = o.getAsJsonArray("confusion");
    assertEquals(10, confusion.size());
    int total = 0;
    int diagonal = 0;
    for (int t = 0; t < 10; t++) {
      JsonArray row = confusion.get(t).getAsJsonArray();
      assertEquals(10, row.size());
      for (int p = 0; p < 10; p++) {
        total += row.get(p).getAsInt();
        diagonal += t == p ? row.get(p).getAsInt() : 0;
      }
    }
    assertEquals(100, total);
    assertEquals(Math.round(top1 * 100), diagonal, "top-1 hits are the diagonal");
    assertTrue(r.err().startsWith("data: Fashion-MNIST test split, bundled sample (first 1000"
        + " test images); for all 10000 test images: apt-get install dataset-fashion-mnist"),
        r.transcript());
    assertFalse(r.err().contains("eval:"), "no progress with --json: " + r.transcript());
  }

  @Test
  void bundledLenet5ScoresCloseToItsReferenceOnTheBundledThousand() {
    CliRun r = evalWithoutInstalledData("--json");
    assertEquals(0, r.exitCode(), r.transcript());
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    assertEquals(1000, o.get("images").getAsInt());
    double top1 = o.get("top1").getAsDouble();
    assertTrue(top1 > 0.85, "top-1 " + top1 + " (PyTorch FP32 on all 10000: 0.9128)");
    assertEquals(0.9128, o.get("reference_fp32_top1").getAsDouble());
  }

  @Test
  void tableShowsAccuracyThroughputAndNamedConfusionRows() {
    CliRun r = evalWithoutInstalledData("--limit", "300", "--batch", "64");
    assertEquals(0, r.exitCode(), r.transcript());
    List<String> lines = r.out().lines().toList();
    assertEquals("model     lenet5.onnx (bundled)", lines.get(0), r.transcript());
    assertTrue(r.out().contains("\nimages    300\n"), r.transcript());
    assertTrue(r.out().matches("(?s).*\ntop-1     \\d+\\.\\d\\d% \\(\\d+/300; PyTorch FP32 on the"
        + " 10000 test images: 91\\.28%\\)\n.*"), r.transcript());
    assertTrue(r.out().matches("(?s).*\ntop-5     \\d+\\.\\d\\d% \\(\\d+/300\\)\n.*"),
        r.transcript());
    assertTrue(r.out().matches("(?s).*\nimages/s  \\d+ \\(.*"), r.transcript());
    int header = lines.indexOf("confusion matrix: rows true class, columns predicted class");
    assertTrue(header > 0, r.transcript());
    assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
        List.of(lines.get(header + 1).strip().split(" +")), r.transcript());
    for (int c = 0; c < 10; c++) {
      assertTrue(lines.get(header + 2 + c).startsWith(c + " " + FashionMnist.CLASSES.get(c)),
          lines.get(header + 2 + c));
    }
    // stderr is not a terminal here: a line per tenth, the last one at 100%
    assertTrue(r.err().contains("eval: 300/300 images (100%)"), r.transcript());
  }

  @Test
  void batchSizeDoesNotChangeTheResult() {
    JsonObject big = json(evalWithoutInstalledData("--limit", "150", "--json"));
    JsonObject small = json(evalWithoutInstalledData("--limit", "150", "--json", "--batch",
        "7", "--threads", "1"));
    assertEquals(big.get("confusion"), small.get("confusion"));
    assertEquals(big.get("top5"), small.get("top5"));
    assertEquals(7, small.get("batch").getAsInt());
  }

  @Test
  void dataDirectoryIsUsedAsGiven() {
    Random random = new Random(3);
    byte[] pixels = new byte[12 * 784];
    random.nextBytes(pixels);
    byte[] labels = new byte[12];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = (byte) random.nextInt(10);
    }
    // uncompressed files under the names without .gz are accepted too
    IdxWriter.write(dir.resolve("t10k-images-idx3-ubyte"), new IdxImages("mem", 12, 28, 28,
        pixels));
    IdxWriter.write(dir.resolve("t10k-labels-idx1-ubyte"), new IdxLabels("mem", labels));
    CliRun r = CliRun.of("eval", "--data", dir.toString(), "--json");
    assertEquals(0, r.exitCode(), r.transcript());
    JsonObject o = json(r);
    assertEquals(12, o.get("images").getAsInt());
    assertEquals(dir.toString(), o.get("data").getAsString());
    assertEquals("data: Fashion-MNIST test split, " + dir, r.err().strip());
  }

  @Test
  void dataDirectoryWithoutTheFilesExits3NamingTheFileAndThePackage() {
    CliRun r = CliRun.of("eval", "--data", dir.toString());
    assertEquals(3, r.exitCode(), r.transcript());
    assertEquals("", r.out());
    assertTrue(r.err().startsWith("error: " + dir.resolve(Split.TEST.imagesFile())
        + ": file not found;"), r.transcript());
    assertTrue(r.err().contains("apt-get install dataset-fashion-mnist"), r.transcript());
  }

  @Test
  void badNumbersAndDevicesAreUsageErrors() {
    assertEquals(2, CliRun.of("eval", "--batch", "0").exitCode());
    assertEquals(2, CliRun.of("eval", "--limit", "0").exitCode());
    assertEquals(2, CliRun.of("eval", "--threads", "0").exitCode());
    CliRun r = CliRun.of("eval", "--device", "gpu");
    assertEquals(2, r.exitCode(), r.transcript());
    assertTrue(r.err().contains("unknown device 'gpu'; valid devices: cpu, emulator, opencl[:platform[:device]]"),
        r.transcript());
  }

  @Test
  void mainHelpListsEval() {
    CliRun r = CliRun.of("--help");
    assertTrue(r.out().contains("eval"), r.transcript());
    CliRun help = CliRun.of("eval", "--help");
    assertEquals(0, help.exitCode(), help.transcript());
    for (String option : List.of("--model", "--device", "--data", "--limit", "--batch",
        "--threads", "--json")) {
      assertTrue(help.out().contains(option), option + " in " + help.transcript());
    }
  }

  private static JsonObject json(CliRun r) {
    assertEquals(0, r.exitCode(), r.transcript());
    return JsonParser.parseString(r.out()).getAsJsonObject();
  }
}
