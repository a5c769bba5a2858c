package dev.potaccel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.compile.PackageCompiler;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.partition.MixedModels;
import dev.potaccel.protocol.pkg.PackageFile;
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.Quantizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code potaccel plan} end to end, on a model with a host segment and on LeNet-5. */
class PlanCommandTest {
  @TempDir
  static Path dir;
  static Path gate;
  /** No Fashion-MNIST here: calibration falls back to the bundled training images. */
  static Path noData;

  @BeforeAll
  static void models() throws IOException {
    gate = dir.resolve("gate.onnx");
    Files.write(gate, MixedModels.sigmoidGate(1, 28, 28, 41).toByteArray());
    noData = dir.resolve("no-fashion-mnist");
  }

  @Test
  void tablesForEachDeviceNameTheHostSegmentAndTheSpeedSource() {
    CliRun r = CliRun.of("plan", "--model", gate.toString(), "--devices", "emulator,opencl,cpu",
        "--no-measure", "--data", noData.toString(), "--threads", "2");
    assertEquals(0, r.exitCode(), r.transcript());
    String out = r.out();
    assertTrue(out.contains("plan of 'gate' on emulator, batch 1"), out);
    assertTrue(out.contains("plan of 'gate' on opencl:0:0, batch 1"), out);
    assertTrue(out.contains("plan of 'gate' on cpu, batch 1"), out);
    assertTrue(out.contains("Sigmoid is not an accelerator operation"), out);
    assertTrue(out.contains("3 segment(s): 2 on the accelerator, 1 on the host; 1 host round"
        + " trip(s)"), out);
    assertTrue(out.contains("the host converts FP32 <-> codes"), out);
    assertTrue(out.contains("the device converts FP32 <-> codes"), out);
    assertTrue(out.contains("default, not measured"), out);
    assertTrue(out.lines().anyMatch(l -> l.matches("\\s*1\\s+host\\s+\\S+\\s+Sigmoid Mul\\s.*")),
        out);
  }

  @Test
  void jsonWithAMeasuredHost() {
    CliRun r = CliRun.of("plan", "--model", gate.toString(), "--json", "--batch", "4",
        "--data", noData.toString(), "--threads", "2");
    assertEquals(0, r.exitCode(), r.transcript());
    JsonArray plans = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("plans");
    assertEquals(1, plans.size());
    JsonObject p = plans.get(0).getAsJsonObject();
    assertEquals(4, p.get("batch").getAsInt());
    assertEquals(1, p.get("host_round_trips").getAsInt());
    JsonArray segments = p.getAsJsonArray("segments");
    assertEquals(List.of("accelerator", "host", "accelerator"), List.of(
        device(segments, 0), device(segments, 1), device(segments, 2)));
    JsonObject host = segments.get(1).getAsJsonObject();
    assertTrue(host.get("reason").getAsString().contains("Mul is not an accelerator operation"),
        host.toString());
    assertTrue(host.get("host_us").getAsDouble() > 0, host.toString());
    assertTrue(host.has("measured_host_us"), host.toString());
    assertTrue(p.getAsJsonObject("host_speed").get("source").getAsString()
        .startsWith("measured on this host"), p.toString());
    JsonObject total = p.getAsJsonObject("total");
    // the total is the accelerator plus the host link plus the host CPU, each counted
    assertEquals(total.get("accelerator_us").getAsDouble() + total.get("link_us").getAsDouble()
        + total.get("host_us").getAsDouble(), total.get("total_us").getAsDouble(), 1e-9);
    assertTrue(total.get("link_bytes").getAsLong() > 0, total.toString());
  }

  @Test
  void aPackageFullyOnTheAcceleratorIsOneSegment() throws IOException {
    Graph g = OnnxImporter.read(Path.of("../models/lenet5.onnx"));
    Tensor x = Tensor.ofFloats(new int[] {1, 1, 28, 28}, new float[784]);
    for (int i = 0; i < 784; i++) {
      x.floats()[i] = (i % 29) / 29f;
    }
    Path pkg = dir.resolve("lenet5.potpkg");
    PackageFile.write(PackageCompiler.compile(Quantizer.quantize(g,
            Calibrator.collect(g, List.of(x), 1, ProgressListener.NONE), QuantizationScheme.INT8),
        CompileOptions.of("lenet5", "0".repeat(64), "test")).pkg(), pkg);
    CliRun r = CliRun.of("plan", "--model", pkg.toString(), "--no-measure");
    assertEquals(0, r.exitCode(), r.transcript());
    assertTrue(r.out().contains("1 segment(s): 1 on the accelerator, 0 on the host; 0 host"
        + " round trip(s)"), r.out());

    CliRun cpu = CliRun.of("plan", "--model", pkg.toString(), "--devices", "cpu");
    assertEquals(3, cpu.exitCode(), cpu.transcript());
    assertTrue(cpu.err().contains("lenet5.potpkg: is a compiled accelerator package"),
        cpu.transcript());
  }

  @Test
  void badArgumentsAreUsageErrors() {
    CliRun r = CliRun.of("plan", "--model", gate.toString(), "--devices", "emulator,fpga");
    assertEquals(2, r.exitCode(), r.transcript());
    assertTrue(r.err().contains("unknown device 'fpga'; valid devices: cpu, emulator,"
        + " opencl[:platform[:device]]"), r.transcript());
    CliRun empty = CliRun.of("plan", "--model", gate.toString(), "--devices", "emulator,");
    assertEquals(2, empty.exitCode(), empty.transcript());
    assertTrue(empty.err().contains("has an empty entry"), empty.transcript());
    CliRun batch = CliRun.of("plan", "--model", gate.toString(), "--batch", "0");
    assertEquals(2, batch.exitCode(), batch.transcript());
    CliRun missing = CliRun.of("plan", "--model", dir.resolve("nope.onnx").toString());
    assertEquals(3, missing.exitCode(), missing.transcript());
    assertTrue(missing.err().startsWith("error: "), missing.transcript());
  }

  private static String device(JsonArray segments, int i) {
    return segments.get(i).getAsJsonObject().get("device").getAsString();
  }
}
