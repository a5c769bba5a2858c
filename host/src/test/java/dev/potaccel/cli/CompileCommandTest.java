package dev.potaccel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.potaccel.data.IdxImages;
import dev.potaccel.data.IdxLabels;
import dev.potaccel.data.IdxWriter;
import dev.potaccel.data.NpyReader;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.PackageFile;
import dev.potaccel.protocol.pkg.WeightFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code potaccel compile}, and {@code run}/{@code eval} with {@code --device emulator}, on a
 * small synthetic Fashion-MNIST directory (random pixels: these check the commands, not accuracy).
 */
class CompileCommandTest {
  private static final int TRAIN = 300;
  private static final int TEST = 40;

  @TempDir
  Path dir;

  private Path data;

  @BeforeEach
  void syntheticDataset() throws Exception {
    data = Files.createDirectory(dir.resolve("fmnist"));
    Random random = new Random(7);
    write(random, "train", TRAIN);
    write(random, "t10k", TEST);
  }

  private void write(Random random, String prefix, int count) {
    byte[] pixels = new byte[count * 784];
    random.nextBytes(pixels);
    byte[] labels = new byte[count];
    for (int i = 0; i < count; i++) {
      labels[i] = (byte) random.nextInt(10);
    }
    IdxWriter.write(data.resolve(prefix + "-images-idx3-ubyte.gz"),
        new IdxImages("mem", count, 28, 28, pixels));
    IdxWriter.write(data.resolve(prefix + "-labels-idx1-ubyte.gz"), new IdxLabels("mem", labels));
  }

  @Test
  void compilesTheBundledModelAndPrintsWhereEachCommandRuns() throws Exception {
    Path out = dir.resolve("lenet5.potpkg");
    CliRun r = CliRun.of("compile", "--data", data.toString(), "--calib", "64", "--threads", "2",
        "-o", out.toString());
    assertEquals(0, r.exitCode(), r.transcript());
    for (String line : List.of("scheme       int8", "calibration  64 images of the train split",
        "conv 5x5 1->6 +relu", "max 2x2 /2", "view [16,5,5] -> [400]", "fc 400->120 (1x1 conv)",
        "quantize to int8 F=", "boundary", "accelerator",
        "weights      66944 bytes packed, 61470 ideal (bits x weights / 8): +8.91%",
        "placement    8 commands on the accelerator, 0 on the host CPU (FP32), 2 conversions",
        "wrote        " + out)) {
      assertTrue(r.out().contains(line), line + " in " + r.transcript());
    }
    AcceleratorPackage pkg = PackageFile.read(out);
    assertEquals("lenet5", pkg.getProvenance().getModelName());
    assertEquals("int8", pkg.getProvenance().getScheme());
    assertEquals(64, pkg.getProvenance().getCalibrationImages());
    assertEquals("train", pkg.getProvenance().getSchemeParametersOrThrow("calibration_split"));
    assertEquals(LoadedModel.sha256(Files.readAllBytes(Path.of("../models/lenet5.onnx"))),
        pkg.getProvenance().getModelSha256());
    assertTrue(Files.isRegularFile(dir.resolve("lenet5.json")), "metadata copied beside it");
  }

  @Test
  void pot4PackagesCarryPowerOfTwoCodebooks() {
    Path out = dir.resolve("p.potpkg");
    CliRun r = CliRun.of("compile", "--scheme", "pot4", "--data", data.toString(), "--calib",
        "32", "-o", out.toString());
    assertEquals(0, r.exitCode(), r.transcript());
    assertTrue(r.out().contains("weights      33536 bytes packed, 30735 ideal"), r.out());
    assertEquals(List.of(WeightFormat.POT),
        PackageFile.read(out).getRequirements().getWeightFormatsList());
  }

  @Test
  void runsAndEvaluatesThePackageOnTheEmulator() {
    Path pkg = dir.resolve("lenet5.potpkg");
    assertEquals(0, CliRun.of("compile", "--data", data.toString(), "--calib", "32", "-o",
        pkg.toString()).exitCode());
    Path npy = dir.resolve("out.npy");
    CliRun run = CliRun.of("run", "--model", pkg.toString(), "--device", "emulator",
        "--output", npy.toString());
    assertEquals(0, run.exitCode(), run.transcript());
    assertTrue(run.out().contains("top-1 accuracy: "), run.out());
    Tensor scores = NpyReader.read(npy);
    assertEquals(List.of(8, 10), List.of(scores.dim(0), scores.dim(1)));
    // dequantized logits: multiples of the output step 2^-F
    for (float v : scores.floats()) {
      assertEquals(0, Math.IEEEremainder(v, 1.0 / 1024), 0.0, "not on a power-of-two grid: " + v);
    }

    CliRun eval = CliRun.of("eval", "--model", pkg.toString(), "--device", "emulator",
        "--data", data.toString(), "--json");
    assertEquals(0, eval.exitCode(), eval.transcript());
    JsonObject o = JsonParser.parseString(eval.out()).getAsJsonObject();
    assertEquals("emulator", o.get("device").getAsString());
    assertEquals(TEST, o.get("images").getAsInt());
  }

  @Test
  void anOnnxModelOnTheEmulatorIsCompiledInMemoryFromTrainingImages() {
    CommandLine cl = Main.commandLine();
    RunCommand run = cl.getSubcommands().get("run").getCommand();
    run.installedData = data;
    CliRun r = CliRun.of(cl, "run", "--device", "emulator", "--model", "../models/lenet5.onnx");
    assertEquals(0, r.exitCode(), r.transcript());
    assertTrue(r.out().contains("top-1 accuracy: "), r.out());
  }

  @Test
  void withoutTrainingImagesTheEmulatorCalibratesOnTheBundledSet() {
    CommandLine cl = Main.commandLine();
    RunCommand run = cl.getSubcommands().get("run").getCommand();
    run.installedData = dir.resolve("nothing-installed");
    // the default device, the bundled model and images: what the README's first command runs
    CliRun r = CliRun.of(cl, "run");
    assertEquals(0, r.exitCode(), r.transcript());
    assertTrue(r.out().contains("top-1 accuracy: "), r.out());
  }

  @Test
  void compileWithoutATrainingSplitIsABadInput() throws Exception {
    Path testOnly = Files.createDirectory(dir.resolve("test-only"));
    Files.move(data.resolve("t10k-images-idx3-ubyte.gz"),
        testOnly.resolve("t10k-images-idx3-ubyte.gz"));
    CliRun r = CliRun.of("compile", "--data", testOnly.toString(), "-o",
        dir.resolve("x.potpkg").toString());
    assertEquals(3, r.exitCode(), r.transcript());
    assertTrue(r.err().contains("no Fashion-MNIST training split"), r.err());
  }

  @Test
  void aPackageOnTheCpuIsABadInput() {
    Path pkg = dir.resolve("lenet5.potpkg");
    assertEquals(0, CliRun.of("compile", "--data", data.toString(), "--calib", "16", "-o",
        pkg.toString()).exitCode());
    CliRun r = CliRun.of("run", "--model", pkg.toString(), "--device", "cpu");
    assertEquals(3, r.exitCode(), r.transcript());
    assertTrue(r.err().contains("is a compiled accelerator package; run it with --device"
        + " emulator"), r.err());
  }

  @Test
  void badSchemeAndCalibrationCountsAreUsageErrors() {
    CliRun scheme = CliRun.of("compile", "--scheme", "fp16");
    assertEquals(2, scheme.exitCode(), scheme.transcript());
    assertTrue(scheme.err().contains("unknown scheme 'fp16'; valid schemes: int8, pot4"),
        scheme.err());
    CliRun many = CliRun.of("compile", "--data", data.toString(), "--calib", "1000", "-o",
        dir.resolve("x.potpkg").toString());
    assertEquals(2, many.exitCode(), many.transcript());
    assertTrue(many.err().contains("--calib: calibration count must be in 1.." + TRAIN),
        many.err());
  }

  @Test
  void profilePrintsPerLayerCostsAndTotals() throws Exception {
    Path pkg = dir.resolve("pot.potpkg");
    assertEquals(0, CliRun.of("compile", "--scheme", "pot4", "--data", data.toString(),
        "--calib", "32", "-o", pkg.toString()).exitCode());
    CliRun r = CliRun.of("profile", "--model", pkg.toString(), "--batch", "8");
    assertEquals(0, r.exitCode(), r.transcript());
    for (String s : List.of("batch 8", "SHIFT PEs", " conv ", " fc ", "total", "energy:",
        "resources:", "Horowitz")) {
      assertTrue(r.out().contains(s), s + " in " + r.transcript());
    }
    Path desc = Files.writeString(dir.resolve("mult.txt"), "pe_type = multiplier\nclock_mhz = 100\n");
    CliRun m = CliRun.of("profile", "--model", pkg.toString(), "--accelerator", desc.toString());
    assertEquals(0, m.exitCode(), m.transcript());
    assertTrue(m.out().contains("MULTIPLIER PEs, 100 MHz"), m.transcript());
  }

  @Test
  void profileRefusesAPackageThePeTypeCannotRun() throws Exception {
    Path pkg = dir.resolve("int8.potpkg");
    assertEquals(0, CliRun.of("compile", "--data", data.toString(), "--calib", "32", "-o",
        pkg.toString()).exitCode());
    Path desc = Files.writeString(dir.resolve("shift.txt"), "pe_type = shift\n");
    CliRun r = CliRun.of("profile", "--model", pkg.toString(), "--accelerator", desc.toString());
    assertEquals(3, r.exitCode(), r.transcript());
    assertTrue(r.err().startsWith("error: " + pkg), r.transcript());
    assertTrue(r.err().contains("INT8"), r.transcript());
  }
}
