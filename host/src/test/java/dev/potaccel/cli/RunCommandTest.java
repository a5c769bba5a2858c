package dev.potaccel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.data.NpyReader;
import dev.potaccel.data.NpyWriter;
import dev.potaccel.graph.Tensor;
import dev.potaccel.testing.OnnxModelBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
  @TempDir
  Path dir;

  @Test
  void bundledDefaultPrintsEightPredictionsAndAccuracy() {
    CliRun r = CliRun.of("run");
    assertEquals(0, r.exitCode(), r.transcript());
    List<String> lines = r.out().lines().toList();
    assertEquals(9, lines.size(), r.transcript());
    for (int i = 0; i < 8; i++) {
      assertTrue(lines.get(i).startsWith("image " + i + "  "), lines.get(i));
      assertTrue(lines.get(i).contains("[true: "), lines.get(i));
    }
    assertTrue(lines.get(8).startsWith("top-1 accuracy: "), lines.get(8));
    assertEquals("", r.err(), "nothing on stderr by default");
  }

  @Test
  void outputWritesTheRawLogitsAsNpy() throws IOException {
    Path out = dir.resolve("logits.npy");
    CliRun r = CliRun.of("run", "--output", out.toString(), "--top-k", "1", "--threads", "2");
    assertEquals(0, r.exitCode(), r.transcript());
    byte[] bytes = Files.readAllBytes(out);
    int headerLength = (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8;
    String header = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);
    assertTrue(header.contains("'shape': (8, 10)"), header);
    assertArrayEquals(new int[] {8, 10}, NpyReader.read(out).shape());
  }

  @Test
  void missingModelFileExits3NamingTheFile() {
    Path missing = dir.resolve("no-such-model.onnx");
    CliRun r = CliRun.of("run", "--model", missing.toString());
    assertEquals(3, r.exitCode(), r.transcript());
    assertTrue(r.err().startsWith("error: "), r.transcript());
    assertTrue(r.err().contains(missing.toString()), r.transcript());
    assertEquals("", r.out());
  }

  @Test
  void unknownDeviceIsAUsageErrorListingValidDevices() {
    CliRun r = CliRun.of("run", "--device", "gpu");
    assertEquals(2, r.exitCode(), r.transcript());
    assertTrue(r.err().contains("unknown device 'gpu'; valid devices: cpu, emulator, opencl[:platform[:device]]"),
        r.transcript());
  }

  @Test
  void runHelpDescribesTheOptions() {
    CliRun r = CliRun.of("run", "--help");
    assertEquals(0, r.exitCode(), r.transcript());
    for (String option : List.of("--model", "--device", "--input", "--output", "--top-k",
        "--threads")) {
      assertTrue(r.out().contains(option), option + " in " + r.transcript());
    }
    assertTrue(r.out().contains("Where to run: cpu, emulator, opencl[:platform[:"), r.transcript());
  }

  @Test
  void userModelWithSidecarClassesAndLabels() throws IOException {
    Path model = gemmModel("tiny.onnx", false);
    Files.writeString(dir.resolve("tiny.json"),
        "{\"name\": \"tiny\", \"classes\": [\"ant\", \"bee\", \"cat\"]}");
    Path input = dir.resolve("x.npy");
    // rows pick class 2 (cat) and class 0 (ant) by a wide margin
    NpyWriter.write(input, Tensor.ofFloats(new int[] {2, 4}, new float[] {
        0, 0, 5, 0,
        5, 0, 0, 0}));
    Files.writeString(dir.resolve("x.labels.txt"), "2\n1\n");
    CliRun r = CliRun.of("run", "--device", "cpu", "--model", model.toString(), "--input",
        input.toString(),
        "--top-k", "2");
    assertEquals(0, r.exitCode(), r.transcript());
    List<String> lines = r.out().lines().toList();
    assertEquals(3, lines.size(), r.transcript());
    // softmax of (0, 0, 5): e^5 / (e^5 + 2)
    double p = Math.exp(5) / (Math.exp(5) + 2);
    assertEquals(String.format(java.util.Locale.ROOT,
        "image 0  cat %.4f  ant %.4f  [true: cat]", p, (1 - p) / 2), lines.get(0));
    assertTrue(lines.get(1).startsWith("image 1  ant "), lines.get(1));
    assertTrue(lines.get(1).endsWith("[true: bee, missed]"), lines.get(1));
    assertEquals("top-1 accuracy: 1/2 (50.0%)", lines.get(2));
  }

  @Test
  void probabilitiesAreNotSoftmaxedTwice() throws IOException {
    Path model = gemmModel("soft.onnx", true);
    Path input = dir.resolve("x.npy");
    NpyWriter.write(input, Tensor.ofFloats(new int[] {1, 4}, new float[] {0, 0, 5, 0}));
    CliRun r = CliRun.of("run", "--device", "cpu", "--model", model.toString(), "--input",
        input.toString(),
        "--top-k", "1");
    assertEquals(0, r.exitCode(), r.transcript());
    double p = Math.exp(5) / (Math.exp(5) + 2);
    assertEquals(String.format(java.util.Locale.ROOT, "image 0  class 2 %.4f", p),
        r.out().strip());
  }

  @Test
  void inputOfTheWrongShapeNamesBothShapes() throws IOException {
    Path model = gemmModel("tiny.onnx", false);
    Path input = dir.resolve("wide.npy");
    NpyWriter.write(input, Tensor.ofFloats(new int[] {2, 5}, new float[10]));
    CliRun r = CliRun.of("run", "--device", "cpu", "--model", model.toString(), "--input",
        input.toString());
    assertEquals(3, r.exitCode(), r.transcript());
    assertEquals("error: " + input + ": shape [2, 5] does not fit tiny.onnx input 'x', which"
        + " wants [N,4]", r.err().strip());
  }

  @Test
  void badNumericOptionsAreUsageErrors() {
    assertEquals(2, CliRun.of("run", "--top-k", "0").exitCode());
    assertEquals(2, CliRun.of("run", "--threads", "0").exitCode());
    assertEquals(2, CliRun.of("run", "--top-k", "many").exitCode());
  }

  /** y = x W + b with W picking input i for class i (3 classes), optionally then Softmax. */
  private Path gemmModel(String name, boolean softmax) throws IOException {
    OnnxModelBuilder b = new OnnxModelBuilder()
        .input("x", -1, 4)
        .initializer("W", new long[] {4, 3},
            1, 0, 0,
            0, 1, 0,
            0, 0, 1,
            0, 0, 0)
        .initializer("B", new long[] {3}, 0, 0, 0)
        .node("Gemm", "fc", new String[] {"x", "W", "B"}, new String[] {softmax ? "z" : "y"});
    if (softmax) {
      b.node("Softmax", "sm", new String[] {"z"}, new String[] {"y"},
          OnnxModelBuilder.intAttr("axis", 1));
    }
    return b.output("y", -1, 3).write(dir.resolve(name));
  }
}
