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
        "weights      61470 B ideal (bits x weights / 8) + 162 B burst alignment (17 tiles, each"
            + " padded to a multiple of 64 bytes) = 61632 B packed: +0.26% over ideal, +0.00% over"
            + " ideal + alignment",
        "tiling       every layer fits the buffers whole",
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
    assertTrue(r.out().contains("weights      30735 B ideal (bits x weights / 8) + 113 B burst"
        + " alignment (17 tiles, each padded to a multiple of 64 bytes) = 30848 B packed"), r.out());
    assertEquals(List.of(WeightFormat.POT),
        PackageFile.read(out).getRequirements().getWeightFormatsList());
  }

  @Test
  void anAcceleratorWithSmallBuffersSplitsLayersAndOneTooSmallIsACompileError() throws Exception {
    Path tiny = dir.resolve("tiny.txt");
    Files.writeString(tiny, "name = tiny\nweight_buffer = 8KiB\nactivation_buffer = 2KiB\n");
    Path out = dir.resolve("tiny.potpkg");
    CliRun r = CliRun.of("compile", "--data", data.toString(), "--calib", "16", "--accelerator",
        tiny.toString(), "-o", out.toString());
    assertEquals(0, r.exitCode(), r.transcript());
    for (String line : List.of("accelerator  'tiny' (" + tiny + "): 16 PE columns, 64-byte"
        + " bursts, 8192 B weight buffer, 2048 B activation buffer",
        "bands of 9 of 28 output rows", "8 weight passes of 1 of 8 tiles",
        "tiling       4 layers split to fit the buffers: /conv1/Conv+/Relu (bands of 9 of 28"
            + " output rows);")) {
      assertTrue(r.out().contains(line), line + " in " + r.transcript());
    }
    assertEquals(8192, PackageFile.read(out).getRequirements().getWeightBufferBytes());
    // profile costs the package on the buffers it was compiled for, by default
    CliRun profile = CliRun.of("profile", "--model", out.toString(), "--batch", "8");
    assertEquals(0, profile.exitCode(), profile.transcript());
    assertTrue(profile.out().contains("8 passes of 1 tile, fetched once per activation tile (3)"),
        profile.out());

    Path tinier = dir.resolve("tinier.txt");
    Files.writeString(tinier, "name = tinier\nweight_buffer = 4KiB\n");
    CliRun refused = CliRun.of("compile", "--data", data.toString(), "--calib", "16",
        "--accelerator", tinier.toString(), "-o", dir.resolve("no.potpkg").toString());
    assertEquals(3, refused.exitCode(), refused.transcript());
    assertTrue(refused.err().contains("error: lenet5: layer '/fc1/Gemm' (Gemm, fc 400->120 (1x1"
        + " conv)): one weight tile of 16 output channels"), refused.err());
    assertTrue(refused.err().contains("more than the 4096-byte weight buffer of accelerator"
        + " 'tinier'"), refused.err());
    assertTrue(!Files.exists(dir.resolve("no.potpkg")), "nothing written");

    Path bad = dir.resolve("bad.txt");
    Files.writeString(bad, "weight_buffer = lots\n");
    CliRun badFile = CliRun.of("compile", "--data", data.toString(), "--accelerator",
        bad.toString(), "-o", dir.resolve("x.potpkg").toString());
    assertEquals(3, badFile.exitCode(), badFile.transcript());
    assertTrue(badFile.err().contains("error: " + bad + ": "), badFile.err());
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
