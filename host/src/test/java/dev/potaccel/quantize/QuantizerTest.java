package dev.potaccel.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.testing.OnnxModelBuilder;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QuantizerTest {
  @Test
  void int8PicksTheLargestScaleThatHoldsTheChannelAndRoundsHalfAway() {
    // max |w| = 0.9: 0.9·2^7 = 115.2 <= 127 < 0.9·2^8
    float[] w = {0.9f, -0.45f, 0.3f, 0.0039f, 1.5f / 128, -1.5f / 128};
    WeightQuantizer.Channel c = WeightQuantizer.int8(w, 0, w.length, 0, 5);
    assertEquals(7, c.frac());
    // 115.2 -> 115, -57.6 -> -58, 38.4 -> 38, 0.4992 -> 0, 1.5 -> 2, -1.5 -> -2 (as bytes)
    assertArrayEquals(new int[] {115, 256 - 58, 38, 0, 2, 256 - 2}, c.codes());
  }

  @Test
  void pot4PutsTheLargestWeightOnTheTopLevelAndRoundsInTheLinearDomain() {
    // F = 6: 0.9·64 = 57.6 < 96 <= 0.9·128; levels 0, 1, 2, 4, ..., 64
    float[] w = {0.9f, -0.1f, 0.005f, 1f / 128, 3f / 64, -2.9f / 64, 0.7f / 128};
    WeightQuantizer.Channel c = WeightQuantizer.pot(w, 0, w.length, 4, 0, 5);
    assertEquals(6, c.frac());
    // 57.6 -> 64 (e_idx 7); -6.4 -> -8 (sign | e_idx 4); 0.32 -> 0; 0.5 -> 1 (tie up);
    // 3.0 -> 4 (tie up, e_idx 3); -2.9 -> -2 (sign | e_idx 2); 0.35 -> 0
    assertArrayEquals(new int[] {7, 8 | 4, 0, 1, 3, 8 | 2, 0}, c.codes());
    WeightCodebook cb = WeightCodebook.pot(4, 0);
    assertEquals(64, cb.level(7));
    assertEquals(-8, cb.level(12));
    assertEquals(0, cb.level(8), "the reserved code decodes to 0");
  }

  @Test
  void aLargeBiasLowersTheWeightScaleSoItFitsTheAccumulator() {
    float[] w = {1e-6f};
    WeightQuantizer.Channel c = WeightQuantizer.int8(w, 0, 1, 100, 5);
    assertTrue(Math.abs(Math.scalb(100.0, 5 + c.frac())) <= WeightQuantizer.BIAS_LIMIT);
  }

  @Test
  void activationFormatsCoverTheCalibratedRange() {
    assertEquals(new ActivationFormat(8, true, 5), ActivationFormat.covering(2.02, true, 8));
    assertEquals(new ActivationFormat(8, false, 5), ActivationFormat.covering(6.3, false, 8));
    assertEquals(new ActivationFormat(8, true, -2), ActivationFormat.covering(500, true, 8));
    assertEquals(new ActivationFormat(8, true, 0), ActivationFormat.covering(0, true, 8));
    assertEquals(new ActivationFormat(8, true, 7), ActivationFormat.covering(127.0 / 128, true,
        8), "exactly 127 fits");
  }

  @Test
  void reluOutputsAreUnsignedAndPoolingAndViewsKeepTheirInputsFormat() {
    Random rnd = new Random(2);
    Graph g = OnnxImporter.fromProto(new OnnxModelBuilder().input("x", -1, 1, 4, 4)
        .output("y", -1, 4)
        .initializer("w", new long[] {1, 1, 1, 1}, 0.7f)
        .node("Conv", "conv", new String[] {"x", "w"}, new String[] {"c"})
        .node("Relu", "relu", new String[] {"c"}, new String[] {"r"})
        .node("MaxPool", "pool", new String[] {"r"}, new String[] {"p"},
            OnnxModelBuilder.ints("kernel_shape", 2, 2), OnnxModelBuilder.ints("strides", 2, 2))
        .node("Flatten", "flat", new String[] {"p"}, new String[] {"y"}).build(), "t", null);
    Tensor x = Tensor.ofFloats(new int[] {2, 1, 4, 4}, randoms(rnd, 32, 3));
    CalibrationStats s = Calibrator.collect(g, List.of(x), 1, ProgressListener.NONE);
    QuantizedGraph q = Quantizer.quantize(g, s, QuantizationScheme.INT8);
    assertTrue(q.activation("x").signed());
    assertTrue(q.activation("c").signed());
    ActivationFormat r = q.activation("r");
    assertEquals(false, r.signed());
    assertEquals(ActivationFormat.covering(s.range("r").maxAbs(), false, 8), r);
    assertSame(r, q.activation("p"));
    assertSame(r, q.activation("y"));
    QuantizedWeights w = q.weightsOf("conv");
    assertEquals(q.activation("x").frac(), w.inputFrac());
  }

  @Test
  void batchNormFoldsIntoTheConvAndComputesTheSame() {
    Random rnd = new Random(9);
    int c = 3;
    int m = 2;
    Graph g = OnnxImporter.fromProto(new OnnxModelBuilder().input("x", -1, c, 2, 2)
        .output("y", -1, m, 2, 2)
        .initializer("w", new long[] {m, c, 1, 1}, randoms(rnd, m * c, 1))
        .initializer("b", new long[] {m}, 0.3f, -0.1f)
        .initializer("scale", new long[] {m}, 1.5f, 0.5f)
        .initializer("shift", new long[] {m}, 0.1f, -0.2f)
        .initializer("mean", new long[] {m}, 0.05f, 0.4f)
        .initializer("var", new long[] {m}, 0.9f, 0.04f)
        .node("Conv", "conv", new String[] {"x", "w", "b"}, new String[] {"c"})
        .node("BatchNormalization", "bn", new String[] {"c", "scale", "shift", "mean", "var"},
            new String[] {"y"}).build(), "bn", null);
    Graph folded = BatchNormFolding.fold(g);
    assertEquals(List.of(OpType.CONV), folded.nodes().stream().map(n -> n.op()).toList());
    assertEquals(List.of("y"), folded.nodes().get(0).outputs());
    Tensor x = Tensor.ofFloats(new int[] {4, c, 2, 2}, randoms(rnd, 4 * c * 4, 2));
    float[] a;
    float[] b;
    try (CpuEngine e1 = new CpuEngine(g, 1); CpuEngine e2 = new CpuEngine(folded, 1)) {
      a = e1.run(Map.of("x", x)).get("y").floats();
      b = e2.run(Map.of("x", x)).get("y").floats();
    }
    // Both compute s·(Σ w x + b - mean) + shift in float, in a different order: each side is
    // within γ_(c+4)·(s·(Σ|w x| + |b| + |mean|) + |shift|) of the exact value; with |x| < 2,
    // |w| < 1, |b|, |mean| < 0.5, s <= 1.5/sqrt(0.9) or 0.5/0.2, |shift| < 0.5 that is below
    // γ_7·(2.5·(3·2 + 1) + 0.5) = γ_7·18; twice that separates the two.
    double gamma = 7 * 0x1p-24 / (1 - 7 * 0x1p-24);
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i], b[i], 2 * gamma * 18, "element " + i);
    }
  }

  private static float[] randoms(Random rnd, int n, double scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
    }
    return v;
  }
}
