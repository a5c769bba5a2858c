package dev.potaccel.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.device.EmulatorSession;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.protocol.onnx.OnnxProto.AttributeProto;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.quantize.ActivationFormat;
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.QuantizedGraph;
import dev.potaccel.quantize.QuantizedWeights;
import dev.potaccel.quantize.Quantizer;
import dev.potaccel.testing.OnnxModelBuilder;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every accelerator op, compiled and run on the emulator, against the FP32 CPU engine on random
 * tensors, element by element, within a bound derived from the quantization (not a guessed
 * epsilon). Calibration runs on the same tensors, so no value saturates, and the bounds use the
 * actual quantized weights of the package.
 *
 * <p>Notation: {@code x} a real input, {@code x̂ = q·2^-F_x} its code's value; the CONVERT rounds
 * half up without saturating, so {@code |x̂ - x| <= ε_x = 2^-(F_x+1)}. {@code w}, {@code b} real
 * weights and bias, {@code ŵ = v·2^-F_w[m]}, {@code b̂ = B·2^-(F_x+F_w[m])} their quantized values.
 *
 * <ul>
 *   <li><b>CONV / Gemm</b>: the int32 accumulator is exact, so its value is {@code ŷ_acc = b̂ +
 *       Σ ŵ x̂}, and {@code ŷ_acc - y = (b̂ - b) + Σ (ŵ - w) x̂ + Σ w (x̂ - x)}: {@code |ŷ_acc - y|
 *       <= |b̂ - b| + Σ |ŵ - w|·|x̂| + Σ |w|·ε_x}. Requantizing rounds to the output step: {@code +
 *       2^-(F_y+1)}. Saturation only moves a value toward the output range, which holds the true
 *       value (calibrated on these inputs), so it never adds error. ReLU, ReLU6 and LeakyReLU
 *       ({@code a >= 0 ? a : a·2^-k}) are 1-Lipschitz and the accelerator applies them to the
 *       exact accumulator before rounding ({@code rshift(A, s + k)} is {@code round(A·2^-k /
 *       2^s)}), so they add nothing. The CPU engine's own float sum of {@code K} products is off
 *       by at most {@code γ_(K+1)·(Σ|w x| + |b|)}, {@code γ_n = n·2^-24 / (1 - n·2^-24)}.
 *   <li><b>MAX pool</b>: the max of codes is the max of the {@code x̂}; {@code |max x̂ - max x|
 *       <= max |x̂ - x| <= ε_x}, and the output keeps the input's format (no rounding).
 *   <li><b>AVERAGE / GLOBAL_AVERAGE</b> over {@code n} positions: the code sum {@code S} is exact
 *       and {@code S·2^-F / n} is within {@code ε_x} of the real mean. docs/accelerator.md §3.2:
 *       {@code rshift(S·R, 16)} is within {@code |S|/2^17 <= xmax·n/2^17} of {@code S/n} before
 *       rounding and {@code 1/2} after, in codes: {@code + (1/2 + xmax·n/2^17)·2^-F}. The engine's
 *       float mean: {@code γ_(n+1)·max|x|}.
 *   <li><b>ADD</b> of {@code x} and {@code s = sigmoid(x)} (a host op): {@code t = â + ŝ} is exact
 *       at {@code F = max(F_a, F_b)}; the host computes sigmoid of the dequantized {@code x̂}, and
 *       sigmoid is 1/4-Lipschitz, so {@code |ŝ - s| <= ε_x/4 + 2^-(F_s+1) + 2^-24} (double
 *       sigmoid rounded to float); output rounding {@code 2^-(F_y+1)}; the engine's float add
 *       {@code 2^-24·|y|}.
 *   <li><b>Softmax</b> on the host after a Gemm: its Jacobian {@code diag(p) - p pᵀ} has
 *       ∞-norm {@code max 2p(1-p) <= 1/2}, so {@code |Δp_i| <= max_j |Δz_j| / 2} with {@code Δz}
 *       the Gemm's bound above, plus a float rounding of {@code 2^-20} on values in [0, 1].
 * </ul>
 */
class CompiledOpAccuracyTest {
  private static final double U = 0x1p-24;
  private static final int N = 4;

  /** A model built in code, its input, and what the bound needs to know about it. */
  private record Case(Graph graph, Tensor input) {}

  private record Run(QuantizedGraph q, CompiledPackage compiled, float[] emulated,
      float[] reference) {}

  private static Run run(Case c, QuantizationScheme scheme) {
    Graph g = c.graph();
    CalibrationStats stats = Calibrator.collect(g, List.of(c.input()), 1, ProgressListener.NONE);
    QuantizedGraph q = Quantizer.quantize(g, stats, scheme);
    CompiledPackage compiled = PackageCompiler.compile(q,
        CompileOptions.of(g.source(), "0".repeat(64), "test"));
    float[] emulated;
    try (EmulatorSession s = EmulatorSession.open(compiled.pkg(), 2)) {
      emulated = s.run(c.input()).floats();
    }
    float[] reference;
    try (CpuEngine e = new CpuEngine(g, 2)) {
      reference = e.run(Map.of("x", c.input())).get(g.outputs().get(0).name()).floats();
    }
    assertEquals(reference.length, emulated.length);
    return new Run(q, compiled, emulated, reference);
  }

  private static void check(String what, Run r, double[] bound) {
    double maxErr = 0;
    double maxBound = 0;
    double maxRef = 0;
    for (int i = 0; i < bound.length; i++) {
      double err = Math.abs((double) r.emulated()[i] - r.reference()[i]);
      assertTrue(err <= bound[i], String.format(Locale.ROOT, "%s: element %d: emulator %s, CPU"
          + " %s, error %.3g exceeds the derived bound %.3g", what, i, r.emulated()[i],
          r.reference()[i], err, bound[i]));
      maxErr = Math.max(maxErr, err);
      maxBound = Math.max(maxBound, bound[i]);
      maxRef = Math.max(maxRef, Math.abs(r.reference()[i]));
    }
    System.out.printf(Locale.ROOT, "%-28s max |emulator - cpu| %.4f, max bound %.4f, max |y|"
        + " %.3f%n", what, maxErr, maxBound, maxRef);
  }

  // ---- the cases ----

  @ParameterizedTest
  @EnumSource(QuantizationScheme.class)
  void convPaddedWithRelu(QuantizationScheme scheme) {
    Conv conv = new Conv(3, 8, 3, 1, 1, 1, 7);
    Case c = convCase(conv, "Relu", null, new int[] {N, 3, 9, 9}, 11);
    Run r = run(c, scheme);
    assertOnAccelerator(r, "conv", 1);
    check("conv 3x3 pad 1 +relu " + scheme, r, convBound(r, c, conv, "conv", "y"));
  }

  @ParameterizedTest
  @EnumSource(QuantizationScheme.class)
  void depthwiseStridedConvWithRelu6(QuantizationScheme scheme) {
    Conv conv = new Conv(4, 8, 3, 2, 1, 4, 8); // channel multiplier 2
    Case c = convCase(conv, "Clip", null, new int[] {N, 4, 10, 10}, 12);
    Run r = run(c, scheme);
    assertOnAccelerator(r, "conv", 1);
    check("depthwise /2 +relu6 " + scheme, r, convBound(r, c, conv, "conv", "y"));
  }

  @ParameterizedTest
  @EnumSource(QuantizationScheme.class)
  void pointwiseConvWithPowerOfTwoLeakyRelu(QuantizationScheme scheme) {
    Conv conv = new Conv(6, 5, 1, 1, 0, 1, 9);
    Case c = convCase(conv, "LeakyRelu", 0.125f, new int[] {N, 6, 5, 5}, 13);
    Run r = run(c, scheme);
    assertOnAccelerator(r, "conv", 1);
    check("1x1 +leaky 1/8 " + scheme, r, convBound(r, c, conv, "conv", "y"));
  }

  @ParameterizedTest
  @EnumSource(QuantizationScheme.class)
  void flattenThenGemm(QuantizationScheme scheme) {
    Random rnd = new Random(14);
    int k = 2 * 3 * 3;
    int m = 7;
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", -1, 2, 3, 3).output("y", -1, m)
        .initializer("w", new long[] {m, k}, random(rnd, m * k, 0.5))
        .initializer("b", new long[] {m}, random(rnd, m, 0.3))
        .node("Flatten", "flat", new String[] {"x"}, new String[] {"f"})
        .node("Gemm", "fc", new String[] {"f", "w", "b"}, new String[] {"y"},
            OnnxModelBuilder.intAttr("transB", 1));
    Case c = new Case(graph(b), tensor(rnd, N, 2, 3, 3));
    Run r = run(c, scheme);
    assertOnAccelerator(r, "conv", 1);
    assertOnAccelerator(r, "reshape", 1);
    check("flatten + gemm " + scheme, r,
        convBound(r, c, new Conv(k, m, 1, 1, 0, 1, 0), "fc", "y"));
  }

  @ParameterizedTest
  @EnumSource(QuantizationScheme.class)
  void gemmThenSoftmaxOnTheHost(QuantizationScheme scheme) {
    Random rnd = new Random(15);
    int k = 12;
    int m = 6;
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", -1, k).output("p", -1, m)
        .initializer("w", new long[] {m, k}, random(rnd, m * k, 0.6))
        .initializer("b", new long[] {m}, random(rnd, m, 0.2))
        .node("Gemm", "fc", new String[] {"x", "w", "b"}, new String[] {"z"},
            OnnxModelBuilder.intAttr("transB", 1))
        .node("Softmax", "softmax", new String[] {"z"}, new String[] {"p"},
            OnnxModelBuilder.intAttr("axis", 1));
    Case c = new Case(graph(b), tensor(rnd, N, k));
    Run r = run(c, scheme);
    assertOnAccelerator(r, "host", 1);
    double[] z = convBound(r, c, new Conv(k, m, 1, 1, 0, 1, 0), "fc", "z");
    double[] bound = new double[z.length];
    for (int n = 0; n < N; n++) {
      double worst = 0;
      for (int j = 0; j < m; j++) {
        worst = Math.max(worst, z[n * m + j]);
      }
      for (int j = 0; j < m; j++) {
        bound[n * m + j] = worst / 2 + 0x1p-20;
      }
    }
    check("gemm + softmax (host) " + scheme, r, bound);
  }

  @ParameterizedTest
  @EnumSource(value = Pool.class)
  void pooling(Pool pool) {
    Random rnd = new Random(16);
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", -1, 3, 7, 8)
        .output("y", -1, 3, pool.outH, pool.outW);
    pool.node(b);
    Case c = new Case(graph(b), tensor(rnd, N, 3, 7, 8));
    Run r = run(c, QuantizationScheme.INT8);
    assertOnAccelerator(r, "pool", 1);
    ActivationFormat f = r.q().activation("x");
    double eps = Math.scalb(0.5, -f.frac());
    double[] bound = new double[r.reference().length];
    double maxX = 0;
    for (float v : c.input().floats()) {
      maxX = Math.max(maxX, Math.abs(v));
    }
    for (int i = 0; i < bound.length; i++) {
      bound[i] = pool.window == 0 ? eps
          : eps + (0.5 + f.maxMagnitude() * pool.window / 0x1p17) * f.step()
              + gamma(pool.window + 1) * maxX;
    }
    check("pool " + pool, r, bound);
  }

  @ParameterizedTest
  @EnumSource(QuantizationScheme.class)
  void addOfAnInputAndAHostSigmoidWithRelu(QuantizationScheme scheme) {
    Random rnd = new Random(17);
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", -1, 3, 4, 4).output("y", -1, 3, 4, 4)
        .node("Sigmoid", "sigmoid", new String[] {"x"}, new String[] {"s"})
        .node("Add", "add", new String[] {"x", "s"}, new String[] {"t"})
        .node("Relu", "relu", new String[] {"t"}, new String[] {"y"});
    Case c = new Case(graph(b), tensor(rnd, N, 3, 4, 4));
    Run r = run(c, scheme);
    assertOnAccelerator(r, "add", 1);
    assertOnAccelerator(r, "host", 1);
    ActivationFormat fx = r.q().activation("x");
    ActivationFormat fs = r.q().activation("s");
    ActivationFormat fy = r.q().activation("y");
    assertTrue(fx.frac() != fs.frac(), "the test wants inputs at different scales: " + fx
        + ", " + fs);
    double[] bound = new double[r.reference().length];
    for (int i = 0; i < bound.length; i++) {
      double epsX = Math.scalb(0.5, -fx.frac());
      bound[i] = epsX + epsX / 4 + Math.scalb(0.5, -fs.frac()) + U + Math.scalb(0.5, -fy.frac())
          + U * (Math.abs(r.reference()[i]) + 1);
    }
    check("add(x, sigmoid x) +relu " + scheme, r, bound);
  }

  // ---- conv models and their bound ----

  /** A Conv's geometry: square kernel, same stride and pad on both axes. */
  private record Conv(int c, int m, int k, int stride, int pad, int groups, int seed) {}

  private static Case convCase(Conv conv, String activation, Float alpha, int[] shape, int seed) {
    Random rnd = new Random(seed);
    int cg = conv.c() / conv.groups();
    int oh = (shape[2] + 2 * conv.pad() - conv.k()) / conv.stride() + 1;
    int ow = (shape[3] + 2 * conv.pad() - conv.k()) / conv.stride() + 1;
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", -1, shape[1], shape[2], shape[3])
        .output("y", -1, conv.m(), oh, ow)
        .initializer("w", new long[] {conv.m(), cg, conv.k(), conv.k()},
            random(rnd, conv.m() * cg * conv.k() * conv.k(), 0.4))
        .initializer("b", new long[] {conv.m()}, random(rnd, conv.m(), 0.5))
        .node("Conv", "conv", new String[] {"x", "w", "b"}, new String[] {"a"},
            OnnxModelBuilder.ints("kernel_shape", conv.k(), conv.k()),
            OnnxModelBuilder.ints("strides", conv.stride(), conv.stride()),
            OnnxModelBuilder.ints("pads", conv.pad(), conv.pad(), conv.pad(), conv.pad()),
            OnnxModelBuilder.intAttr("group", conv.groups()));
    switch (activation) {
      case "Relu" -> b.node("Relu", "act", new String[] {"a"}, new String[] {"y"});
      case "Clip" -> b.initializer("lo", new long[0], 0f).initializer("hi", new long[0], 6f)
          .node("Clip", "act", new String[] {"a", "lo", "hi"}, new String[] {"y"});
      case "LeakyRelu" -> b.node("LeakyRelu", "act", new String[] {"a"}, new String[] {"y"},
          AttributeProto.newBuilder().setName("alpha")
              .setType(AttributeProto.AttributeType.FLOAT).setF(alpha).build());
      default -> throw new IllegalArgumentException(activation);
    }
    // inputs in [-1, 3): signed, and ReLU6 sees values above 6 for some outputs
    Tensor x = tensor(rnd, shape);
    for (int i = 0; i < x.size(); i++) {
      x.floats()[i] = 2 * x.floats()[i] + 1;
    }
    return new Case(graph(b), x);
  }

  /**
   * The CONV bound of the class comment for every output of node {@code node} (a Conv, or a Gemm
   * as a 1x1 conv over {@code [N, K]}), whose requantized output is value {@code out}.
   */
  private static double[] convBound(Run r, Case c, Conv conv, String node, String out) {
    Graph g = c.graph();
    QuantizedWeights qw = r.q().weightsOf(node);
    ActivationFormat fx = r.q().activation("x");
    ActivationFormat fy = r.q().activation(out);
    float[] w = g.initializers().get("w").floats();
    float[] bias = g.initializers().get("b").floats();
    float[] x = c.input().floats();
    int[] shape = c.input().shape();
    boolean spatial = shape.length == 4 && shape[1] == conv.c(); // else flattened to [N, K]
    int h = spatial ? shape[2] : 1;
    int wd = spatial ? shape[3] : 1;
    int oh = (h + 2 * conv.pad() - conv.k()) / conv.stride() + 1;
    int ow = (wd + 2 * conv.pad() - conv.k()) / conv.stride() + 1;
    int cg = conv.c() / conv.groups();
    int mg = conv.m() / conv.groups();
    double epsX = Math.scalb(0.5, -fx.frac());
    double[] bound = new double[N * conv.m() * oh * ow];
    for (int n = 0; n < N; n++) {
      for (int m = 0; m < conv.m(); m++) {
        for (int oy = 0; oy < oh; oy++) {
          for (int ox = 0; ox < ow; ox++) {
            double acc = Math.abs(qw.biasValue(m) - bias[m]);
            double fp = Math.abs(bias[m]);
            int terms = 0;
            for (int ci = 0; ci < cg; ci++) {
              int ch = (m / mg) * cg + ci;
              for (int ky = 0; ky < conv.k(); ky++) {
                for (int kx = 0; kx < conv.k(); kx++) {
                  int iy = oy * conv.stride() - conv.pad() + ky;
                  int ix = ox * conv.stride() - conv.pad() + kx;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= wd) {
                    continue;
                  }
                  double xr = x[((n * conv.c() + ch) * h + iy) * wd + ix];
                  double xh = dequantized(xr, fx);
                  int j = (ci * conv.k() + ky) * conv.k() + kx;
                  double wr = w[(m * cg + ci) * conv.k() * conv.k() + ky * conv.k() + kx];
                  double wh = qw.value(m, j);
                  acc += Math.abs(wh - wr) * Math.abs(xh) + Math.abs(wr) * epsX;
                  fp += Math.abs(wr * xr);
                  terms++;
                }
              }
            }
            bound[((n * conv.m() + m) * oh + oy) * ow + ox] =
                acc + Math.scalb(0.5, -fy.frac()) + gamma(terms + 1) * fp;
          }
        }
      }
    }
    return bound;
  }

  // ---- pooling cases ----

  /**
   * Pooling variants over a 7x8 input; {@code window} is n for averages, 0 for MAX. The ceil_mode
   * case gets a partial last window along the width (5 columns, 4 with floor).
   */
  enum Pool {
    MAX_2X2_STRIDE_2(0, 3, 4),
    MAX_3X3_STRIDE_2_PAD_1_CEIL(0, 4, 5),
    AVG_3X3_PAD_1_INCLUDING_PAD(9, 7, 8),
    AVG_2X2_STRIDE_2(4, 3, 4),
    GLOBAL_AVG_7X8(56, 1, 1);

    final int window;
    final int outH;
    final int outW;

    Pool(int window, int outH, int outW) {
      this.window = window;
      this.outH = outH;
      this.outW = outW;
    }

    void node(OnnxModelBuilder b) {
      String[] in = {"x"};
      String[] out = {"y"};
      switch (this) {
        case MAX_2X2_STRIDE_2 -> b.node("MaxPool", "pool", in, out,
            OnnxModelBuilder.ints("kernel_shape", 2, 2), OnnxModelBuilder.ints("strides", 2, 2));
        case MAX_3X3_STRIDE_2_PAD_1_CEIL -> b.node("MaxPool", "pool", in, out,
            OnnxModelBuilder.ints("kernel_shape", 3, 3), OnnxModelBuilder.ints("strides", 2, 2),
            OnnxModelBuilder.ints("pads", 1, 1, 1, 1), OnnxModelBuilder.intAttr("ceil_mode", 1));
        case AVG_3X3_PAD_1_INCLUDING_PAD -> b.node("AveragePool", "pool", in, out,
            OnnxModelBuilder.ints("kernel_shape", 3, 3), OnnxModelBuilder.ints("pads", 1, 1, 1, 1),
            OnnxModelBuilder.intAttr("count_include_pad", 1));
        case AVG_2X2_STRIDE_2 -> b.node("AveragePool", "pool", in, out,
            OnnxModelBuilder.ints("kernel_shape", 2, 2), OnnxModelBuilder.ints("strides", 2, 2));
        case GLOBAL_AVG_7X8 -> b.node("GlobalAveragePool", "pool", in, out);
      }
    }
  }

  // ---- helpers ----

  /** {@code γ_n = n·u / (1 - n·u)}, Higham's bound for n float roundings in a sum of products. */
  private static double gamma(int n) {
    return n * U / (1 - n * U);
  }

  /** {@code x̂}: the value of {@code x}'s code after the CONVERT (round half up, saturate). */
  private static double dequantized(double x, ActivationFormat f) {
    double q = Math.floor(Math.scalb(x, f.frac()) + 0.5);
    q = Math.max(f.lo(), Math.min(f.hi(), q));
    return Math.scalb(q, -f.frac());
  }

  private static void assertOnAccelerator(Run r, String op, int count) {
    long found = r.compiled().pkg().getCommandsList().stream()
        .filter(cmd -> opName(cmd).equals(op)).count();
    assertEquals(count, found, op + " commands in " + r.compiled().layers());
    assertFalse(r.compiled().pkg().getCommandsList().isEmpty());
  }

  private static String opName(Command c) {
    return c.getOpCase().name().toLowerCase(Locale.ROOT);
  }

  private static Graph graph(OnnxModelBuilder b) {
    return OnnxImporter.fromProto(b.build(), "case.onnx", null);
  }

  private static float[] random(Random rnd, int n, double scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
    }
    return v;
  }

  /** Values in [-1, 1.5): signed inputs with an asymmetric range. */
  private static Tensor tensor(Random rnd, int... shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rnd.nextDouble() * 2.5 - 1);
    }
    return Tensor.ofFloats(shape, v);
  }
}
