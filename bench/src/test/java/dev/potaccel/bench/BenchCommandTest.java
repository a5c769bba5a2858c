package dev.potaccel.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.data.FashionMnist;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The bench command end to end on the committed LeNet-5, briefly; and its usage errors. */
class BenchCommandTest {
  /** Surefire runs with bench/ as the working directory. */
  static final Path LENET5 = Path.of("../models/lenet5.onnx");

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(BenchCommand command, String... args) {
    CommandLine cl = Main.commandLine(command);
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  @Test
  void printsOneRowPerBackendWithPositiveThroughput() {
    BenchCommand command = new BenchCommand();
    int code = run(command, "--model", LENET5.toString(), "--devices", "cpu,onnxruntime",
        "--batch", "16", "--threads", "2", "--warmup-s", "0.3", "--seconds", "0.7");

    assertEquals(0, code, "exit code; stderr: " + err);
    List<BackendResult> results = command.results;
    assertEquals(List.of("cpu", "onnxruntime"), results.stream().map(BackendResult::backend)
        .toList());
    for (BackendResult r : results) {
      assertTrue(r.batches() > 0 && r.imagesPerSecond() > 0, r.toString());
      assertTrue(r.p50Millis() > 0 && r.p99Millis() >= r.p50Millis(), r.toString());
    }
    String table = out.toString();
    assertTrue(table.contains("| backend "), table);
    assertTrue(table.matches("(?s).*\\| cpu +\\| +[0-9.]+ \\|.*"), table);
    assertTrue(table.matches("(?s).*\\| onnxruntime \\| +[0-9.]+ \\|.*\\| +1\\.00x \\|.*"), table);
    assertTrue(table.contains("fmnist-test-first256.npy: 256 samples in 16 batches of 16"),
        table);
    assertTrue(table.contains("check:   cpu vs onnxruntime"), table);
    assertTrue(table.contains("same top-1 on 16/16"), table);
  }

  @Test
  void emulatorRowRunsAPackageCompiledInMemory() {
    Path data = RequiredData.debianDir(FashionMnist.DEBIAN_DIR, FashionMnist.DEBIAN_PACKAGE);
    BenchCommand command = new BenchCommand();
    int code = run(command, "--model", LENET5.toString(), "--devices", "onnxruntime,emulator",
        "--data", data.toString(), "--batch", "16", "--threads", "2", "--warmup-s", "0.2",
        "--seconds", "0.5");

    assertEquals(0, code, "exit code; stderr: " + err);
    assertEquals(List.of("onnxruntime", "emulator"), command.results.stream()
        .map(BackendResult::backend).toList());
    BackendResult emulator = command.results.get(1);
    assertTrue(emulator.batches() > 0 && emulator.imagesPerSecond() > 0, emulator.toString());
    String table = out.toString();
    assertTrue(table.matches("(?s).*\\| emulator +\\| +[0-9.]+ \\|.*"), table);
    assertTrue(table.contains("emulator: int8 package compiled in memory"), table);
    assertTrue(table.contains("calibrated on 256 training images"), table);
    // quantized: agreement is reported, not required; LeNet-5 INT8 agrees on nearly every image
    assertTrue(table.matches("(?s).*check:   emulator vs onnxruntime: max \\|diff\\| \\S+,"
        + " same top-1 on 1[0-6]/16 \\([0-9.]+%\\) \\(first batch\\); int8-quantized.*"), table);
  }

  @Test
  void everyCompileSchemeButTheSearchingOneRunsOnTheEmulator() {
    Path data = RequiredData.debianDir(FashionMnist.DEBIAN_DIR, FashionMnist.DEBIAN_PACKAGE);
    BenchCommand command = new BenchCommand();
    int code = run(command, "--model", LENET5.toString(), "--devices", "emulator",
        "--scheme", "upot3", "--data", data.toString(), "--batch", "16", "--threads", "2",
        "--warmup-s", "0.1", "--seconds", "0.3");
    assertEquals(0, code, "exit code; stderr: " + err);
    assertTrue(out.toString().contains("emulator: upot3 package compiled in memory"),
        out.toString());
    assertTrue(command.results.get(0).imagesPerSecond() > 0, command.results.toString());

    assertEquals(2, run(new BenchCommand(), "--model", LENET5.toString(), "--devices",
        "emulator", "--scheme", "doubleqext"));
    assertTrue(err.toString().contains("--scheme doubleqext: its layer search"), err.toString());
  }

  @Test
  void repeatedDeviceBenchesAPoolInBothModesBesideOneDevice() {
    Path data = RequiredData.debianDir(FashionMnist.DEBIAN_DIR, FashionMnist.DEBIAN_PACKAGE);
    BenchCommand command = new BenchCommand();
    int code = run(command, "--model", LENET5.toString(), "--devices", "emulator,emulator",
        "--data", data.toString(), "--batch", "16", "--warmup-s", "0.2", "--seconds", "0.6");

    assertEquals(0, code, "exit code; stderr: " + err);
    assertEquals(List.of("emulator", "pool 2x emulator data-parallel",
        "pool 2x emulator pipeline"), command.results.stream().map(BackendResult::backend)
        .toList());
    for (BackendResult r : command.results) {
      assertTrue(r.batches() > 0 && r.imagesPerSecond() > 0, r.toString());
    }
    String table = out.toString();
    assertTrue(table.contains("run:     batch 16, 1 thread per backend and per pool device"),
        table);
    assertTrue(table.contains("pool:    pool 2x emulator pipeline: [emulator#0, emulator#1], 1"
        + " thread each; stages by the cost model's cycles [0,"), table);
    // the pool computes exactly what one emulator does
    assertTrue(table.contains("check:   pool 2x emulator data-parallel vs emulator: max |diff|"
        + " 0.0, same top-1 on 16/16 (100.0%) (first batch)"), table);
    assertTrue(table.matches("(?s).*scaling: pool 2x emulator pipeline: [0-9.]+ images/s ="
        + " [0-9.]+x one emulator \\([0-9.]+\\), [0-9]+% of 2 x one.*"), table);
  }

  @Test
  void aPoolOfFp32BackendsIsAUsageError() {
    int code = run(new BenchCommand(), "--model", LENET5.toString(), "--devices", "cpu,cpu");
    assertEquals(2, code);
    assertTrue(err.toString().contains("a pool holds emulator and opencl devices"),
        err.toString());
  }

  @Test
  void emulatorWithoutTrainingDataNamesTheDebianPackage(@TempDir Path empty) {
    int code = run(new BenchCommand(), "--model", LENET5.toString(), "--devices", "emulator",
        "--data", empty.toString(), "--batch", "4", "--seconds", "0.1");

    assertEquals(3, code, err.toString());
    assertTrue(err.toString().contains("apt-get install dataset-fashion-mnist"), err.toString());
  }

  @Test
  void unknownSchemeIsAUsageError() {
    int code = run(new BenchCommand(), "--model", LENET5.toString(), "--devices", "emulator",
        "--scheme", "int4");

    assertEquals(2, code);
    assertTrue(err.toString().contains("--scheme: unknown scheme 'int4'"), err.toString());
  }

  @Test
  void unknownDeviceIsAUsageErrorListingTheChoices() {
    int code = run(new BenchCommand(), "--model", LENET5.toString(), "--devices", "cpu,gpu");

    assertEquals(2, code);
    assertTrue(err.toString().contains("unknown device 'gpu'; choose from cpu, onnxruntime, emulator, opencl"),
        err.toString());
  }

  @Test
  void missingModelIsAUsageError() {
    assertEquals(2, run(new BenchCommand(), "--batch", "4"));
    assertTrue(err.toString().contains("missing --model"), err.toString());
  }

  @Test
  void missingModelFileIsABadInput() {
    int code = run(new BenchCommand(), "--model", "no-such-model.onnx");

    assertEquals(3, code, err.toString());
    assertTrue(err.toString().startsWith("error: "), err.toString());
    assertTrue(err.toString().contains("no-such-model.onnx"), err.toString());
  }
}
