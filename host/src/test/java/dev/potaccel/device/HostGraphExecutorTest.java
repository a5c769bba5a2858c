package dev.potaccel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.compile.PackageCompiler;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.PackageFormatException;
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.Quantizer;
import dev.potaccel.testing.OnnxModelBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostGraphExecutorTest {
  /** x → Softmax (host) → MaxPool (accelerator) → y. */
  private static AcceleratorPackage softmaxThenPool() {
    Graph g = OnnxImporter.fromProto(new OnnxModelBuilder().input("x", -1, 2, 2, 2)
        .output("y", -1, 2, 1, 1)
        .node("Softmax", "softmax", new String[] {"x"}, new String[] {"s"},
            OnnxModelBuilder.intAttr("axis", 1))
        .node("MaxPool", "pool", new String[] {"s"}, new String[] {"y"},
            OnnxModelBuilder.ints("kernel_shape", 2, 2)).build(), "t.onnx", null);
    Tensor x = Tensor.ofFloats(new int[] {1, 2, 2, 2}, new float[] {1, 2, 3, 4, 4, 3, 2, 1});
    CalibrationStats s = Calibrator.collect(g, List.of(x), 1, ProgressListener.NONE);
    return PackageCompiler.compile(Quantizer.quantize(g, s, QuantizationScheme.INT8),
        CompileOptions.of("t", "0".repeat(64), "test")).pkg();
  }

  @Test
  void runsTheHostNodesBetweenTheAcceleratorCommands() {
    AcceleratorPackage pkg = softmaxThenPool();
    try (EmulatorSession s = EmulatorSession.open(pkg, 1)) {
      float[] y = s.run(Tensor.ofFloats(new int[] {1, 2, 2, 2},
          new float[] {0, 0, 0, 5, 0, 0, 0, -5})).floats();
      // softmax over the 2 channels: the max over the window is sigmoid(10) ≈ 1 in channel 0,
      // 0.5 in channel 1; the output step is 2^-7 (unsigned, max 1 · 2^7 <= 255)
      assertEquals(1.0, y[0], 0x1p-8);
      assertEquals(0.5, y[1], 0x1p-8);
    }
  }

  @Test
  void aHostCommandNamingAMissingNodeIsRefused() {
    AcceleratorPackage pkg = softmaxThenPool();
    int i = 0;
    while (!pkg.getCommands(i).hasHost()) {
      i++;
    }
    Command bad = pkg.getCommands(i).toBuilder()
        .setHost(pkg.getCommands(i).getHost().toBuilder().setNodes(0, 7)).build();
    AcceleratorPackage broken = pkg.toBuilder().setCommands(i, bad).build();
    PackageFormatException e = assertThrows(PackageFormatException.class,
        () -> new HostGraphExecutor(broken, 1));
    assertTrue(e.getMessage().contains("package 't' host_graph: command " + i
        + " (host 'softmax'): node 7 does not exist (the host graph has 1 nodes)"),
        e.getMessage());
  }
}
