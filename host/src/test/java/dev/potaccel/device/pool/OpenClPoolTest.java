package dev.potaccel.device.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.compile.PackageCompiler;
import dev.potaccel.device.HostGraphExecutor;
import dev.potaccel.device.opencl.ClDeviceInfo;
import dev.potaccel.device.opencl.OpenClDevice;
import dev.potaccel.device.opencl.OpenClSession;
import dev.potaccel.device.pool.DevicePool.Mode;
import dev.potaccel.emulator.Emulator;
import dev.potaccel.emulator.LiveBuffers;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.partition.MixedModels;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.Quantizer;
import dev.potaccel.testing.RequiredData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * OpenCL (PoCL) beside the emulator in one pool: data parallel and as pipeline stages, bit-identical
 * to one emulator; and {@code runCommands} itself checked at every cut of a model, against the
 * emulator's, in both directions (emulator then OpenCL, OpenCL then emulator). Gated like every
 * OpenCL test: fails on CI, skips elsewhere without PoCL.
 */
class OpenClPoolTest {
  private static OpenClSession session(AcceleratorPackage pkg) {
    ClDeviceInfo d = RequiredData.openClDevice();
    return OpenClSession.open(pkg, d.platformIndex(), d.deviceIndex(), 1,
        OpenClDevice.Options.defaults().withCacheDir(Path.of("target/opencl-cache")));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void emulatorAndOpenClPoolEqualsOneEmulator(Mode mode) {
    AcceleratorPackage pkg = DevicePoolTest.compile("lenet5");
    List<List<Tensor>> batches = DevicePoolTest.batches(new int[] {16, 5, 16, 9, 16, 1, 16, 12});
    List<List<Tensor>> expected = DevicePoolTest.reference(pkg, batches);
    try (DevicePool pool = DevicePool.open(pkg, List.of(
        EmulatorInferenceDevice.open("emulator#0", pkg, 1),
        new OpenClInferenceDevice("opencl#1", session(pkg))),
        DevicePool.Options.of(mode), PoolEventListener.NONE)) {
      DevicePoolTest.assertSameOutputs(expected, pool.runAll(batches));
      assertEquals(batches.size(), pool.answered());
      assertEquals(List.of("emulator#0", "opencl#1"), pool.healthyDevices());
    }
  }

  /** ResNet-20 (residual branches: two buffers cross some cuts) and lenet5. */
  @ParameterizedTest
  @ValueSource(strings = {"lenet5", "resnet20"})
  void everyCutAgreesWithTheEmulator(String model) {
    AcceleratorPackage pkg = DevicePoolTest.compile(model);
    List<Tensor> batch = DevicePoolTest.batches(new int[] {3}).get(0);
    assertEveryCut(pkg, batch.get(0));
  }

  /** A host segment in the middle: FP32 buffers cross the cuts around it. */
  @Test
  void everyCutOfAMixedPartitionAgreesWithTheEmulator() {
    Random rnd = new Random(5);
    float[] v = new float[3 * 2 * 6 * 6];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextDouble() * 2.5 - 1);
    }
    Tensor x = Tensor.ofFloats(new int[] {3, 2, 6, 6}, v);
    Graph g = OnnxImporter.fromProto(MixedModels.sigmoidGate(2, 6, 6, 21), "gate.onnx", null);
    CalibrationStats stats = Calibrator.collect(g, List.of(x), 1, ProgressListener.NONE);
    AcceleratorPackage pkg = PackageCompiler.compile(
        Quantizer.quantize(g, stats, QuantizationScheme.INT8),
        CompileOptions.of("gate", "0".repeat(64), "test")).pkg();
    assertEveryCut(pkg, x);
  }

  private static void assertEveryCut(AcceleratorPackage pkg, Tensor x) {
    int n = x.dim(0);
    try (HostGraphExecutor host = new HostGraphExecutor(pkg, 1);
        Emulator emulator = new Emulator(pkg, 1, host);
        OpenClSession cl = session(pkg)) {
      List<float[]> in = List.of(x.floats());
      float[] expected = emulator.run(n, in).output(0);
      int commands = emulator.commandCount();
      for (int cut = 0; cut <= commands; cut++) {
        LiveBuffers emulated = emulator.runCommands(cut, emulator.start(n, in));
        LiveBuffers onDevice = cl.runCommands(cut, emulator.start(n, in));
        assertSameBuffers(emulated, onDevice, "cut " + cut);
        assertArrayEquals(expected, emulator.finish(emulator.runCommands(commands, onDevice))
            .output(0), "OpenCL [0, " + cut + ") then the emulator");
        assertArrayEquals(expected, emulator.finish(cl.runCommands(commands, emulated))
            .output(0), "the emulator [0, " + cut + ") then OpenCL");
      }
      LiveBuffers start = emulator.start(n, in);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> cl.runCommands(commands, new LiveBuffers(1, n, Map.of(), start.floats())));
      assertTrue(e.getMessage().contains("the buffers at cut 1 are"), e.getMessage());
    }
  }

  private static void assertSameBuffers(LiveBuffers a, LiveBuffers b, String where) {
    assertEquals(a.at(), b.at(), where);
    assertEquals(a.codes().keySet(), b.codes().keySet(), where + ": code buffers");
    assertEquals(a.floats().keySet(), b.floats().keySet(), where + ": FP32 buffers");
    a.codes().forEach((k, v) -> assertArrayEquals(v, b.codes().get(k), where + ": buffer " + k));
    a.floats().forEach((k, v) -> assertArrayEquals(v, b.floats().get(k), where + ": buffer " + k));
  }
}
