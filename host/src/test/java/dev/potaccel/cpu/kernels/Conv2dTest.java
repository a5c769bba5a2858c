package dev.potaccel.cpu.kernels;

import static dev.potaccel.cpu.kernels.GemmTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.simd.VectorKernels;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class Conv2dTest {
  private static ForkJoinPool pool;

  @BeforeAll
  static void startPool() {
    pool = new ForkJoinPool(3);
  }

  @AfterAll
  static void stopPool() {
    pool.shutdownNow();
  }

  private static int expectedOut(int in, int padA, int padB, int k, int dil, int stride) {
    return (int) Math.floor((double) (in + padA + padB - dil * (k - 1) - 1) / stride) + 1;
  }

  /** Direct definition of ONNX Conv, accumulated in double. */
  static double[] reference(Conv2dParams p, float[] x, float[] w, float[] bias) {
    int oh = expectedOut(p.h(), p.padTop(), p.padBottom(), p.kh(), p.dilationH(), p.strideH());
    int ow = expectedOut(p.w(), p.padLeft(), p.padRight(), p.kw(), p.dilationW(), p.strideW());
    int cg = p.c() / p.group();
    int mg = p.m() / p.group();
    double[] y = new double[p.n() * p.m() * oh * ow];
    int o = 0;
    for (int img = 0; img < p.n(); img++) {
      for (int oc = 0; oc < p.m(); oc++) {
        int g = oc / mg;
        for (int oy = 0; oy < oh; oy++) {
          for (int ox = 0; ox < ow; ox++) {
            double s = bias == null ? 0 : bias[oc];
            for (int ci = 0; ci < cg; ci++) {
              int ic = g * cg + ci;
              for (int ky = 0; ky < p.kh(); ky++) {
                int iy = oy * p.strideH() - p.padTop() + ky * p.dilationH();
                if (iy < 0 || iy >= p.h()) {
                  continue;
                }
                for (int kx = 0; kx < p.kw(); kx++) {
                  int ix = ox * p.strideW() - p.padLeft() + kx * p.dilationW();
                  if (ix < 0 || ix >= p.w()) {
                    continue;
                  }
                  double xv = x[((img * p.c() + ic) * p.h() + iy) * p.w() + ix];
                  double wv = w[((oc * cg + ci) * p.kh() + ky) * p.kw() + kx];
                  s += xv * wv;
                }
              }
            }
            y[o++] = s;
          }
        }
      }
    }
    return y;
  }

  /** The GEMM cores to test: the C2 loops always, the Vector API kernel where it runs. */
  private static final boolean[] KERNELS =
      VectorKernels.ENABLED ? new boolean[] {false, true} : new boolean[] {false};

  @Test
  void testRunnerEnablesTheVectorKernels() {
    // surefire passes --add-modules jdk.incubator.vector, as the launcher does
    assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
        "the JVM runs without --add-modules jdk.incubator.vector");
  }

  private static void check(Random rnd, Conv2dParams p, boolean withBias) {
    assertEquals(expectedOut(p.h(), p.padTop(), p.padBottom(), p.kh(), p.dilationH(),
        p.strideH()), p.outH(), "outH of " + p);
    assertEquals(expectedOut(p.w(), p.padLeft(), p.padRight(), p.kw(), p.dilationW(),
        p.strideW()), p.outW(), "outW of " + p);
    int fanIn = p.groupChannels() * p.kh() * p.kw();
    float[] x = Tolerance.randomArray(rnd, p.inputSize(), 1f);
    float[] w = Tolerance.randomArray(rnd, p.weightSize(), (float) (1.0 / Math.sqrt(fanIn)));
    float[] bias = withBias ? Tolerance.randomArray(rnd, p.m(), 1f) : null;
    double[] expected = reference(p, x, w, bias);
    for (boolean vector : KERNELS) {
      for (ForkJoinPool pl : new ForkJoinPool[] {null, pool}) {
        float[] y = new float[p.outputSize()];
        java.util.Arrays.fill(y, Float.NaN);
        Conv2d.conv2d(p, x, w, bias, y, pl, Conv2d.PHASE_BUFFER_LIMIT, vector);
        Tolerance.assertClose((pl == null ? "serial " : "parallel ")
            + (vector ? "vector " : "C2 ") + p, expected, y, expected.length);
      }
    }
  }

  private static Conv2dParams params(int n, int c, int h, int w, int m, int kh, int kw, int sh,
      int sw, int pt, int pl, int pb, int pr, int dh, int dw, int group) {
    return new Conv2dParams(n, c, h, w, m, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, group);
  }

  /**
   * Batches of 8 to 40 images, where ungrouped convolutions take {@link LaneConv2d} on the vector
   * path: whole and partial lane groups, any stride, dilation and padding, output channels not a
   * multiple of the tile's eight, against the double-precision reference.
   */
  @Test
  void lanePathOnRandomShapes() {
    Random rnd = new Random(20261207);
    for (int done = 0; done < 40; ) {
      int n = 8 + rnd.nextInt(33);
      int kh = 1 + rnd.nextInt(3);
      int kw = 1 + rnd.nextInt(3);
      int sh = 1 + rnd.nextInt(2);
      int sw = 1 + rnd.nextInt(2);
      int dh = 1 + rnd.nextInt(2);
      int dw = 1 + rnd.nextInt(2);
      int h = 2 + rnd.nextInt(9);
      int w = 2 + rnd.nextInt(9);
      int pt = rnd.nextInt(2);
      int pl = rnd.nextInt(2);
      int pb = rnd.nextInt(2);
      int pr = rnd.nextInt(2);
      if (expectedOut(h, pt, pb, kh, dh, sh) < 2 || expectedOut(w, pl, pr, kw, dw, sw) < 2) {
        continue;
      }
      Conv2dParams p = params(n, 1 + rnd.nextInt(12), h, w, 1 + rnd.nextInt(20), kh, kw, sh, sw,
          pt, pl, pb, pr, dh, dw, 1);
      if (VectorKernels.ENABLED) {
        assertTrue(LaneConv2d.applies(p), "lane path for " + p);
      }
      check(rnd, p, rnd.nextBoolean());
      done++;
    }
  }

  @Test
  void randomizedShapes() {
    Random rnd = new Random(20240601);
    int done = 0;
    while (done < 160) {
      int n = rnd.nextBoolean() ? 1 : 3;
      int kind = rnd.nextInt(4); // 0 ordinary, 1 grouped, 2 depthwise, 3 depthwise x2
      int group = kind == 0 ? 1 : kind == 1 ? 2 + rnd.nextInt(2) : 1 + rnd.nextInt(6);
      int cg = kind >= 2 ? 1 : 1 + rnd.nextInt(6);
      int mg = kind == 2 ? 1 : kind == 3 ? 2 : 1 + rnd.nextInt(7);
      int kh = 1 + rnd.nextInt(4);
      int kw = rnd.nextInt(3) == 0 ? kh : 1 + rnd.nextInt(4);
      int sh = 1 + rnd.nextInt(3);
      int sw = 1 + rnd.nextInt(3);
      int dh = 1 + rnd.nextInt(2);
      int dw = 1 + rnd.nextInt(2);
      int h = 1 + rnd.nextInt(15);
      int w = 1 + rnd.nextInt(15);
      int pt = rnd.nextInt(3);
      int pl = rnd.nextInt(3);
      int pb = rnd.nextInt(3);
      int pr = rnd.nextInt(3);
      if (expectedOut(h, pt, pb, kh, dh, sh) < 1 || expectedOut(w, pl, pr, kw, dw, sw) < 1) {
        continue;
      }
      Conv2dParams p = params(n, cg * group, h, w, mg * group, kh, kw, sh, sw, pt, pl, pb, pr,
          dh, dw, group);
      check(rnd, p, rnd.nextInt(4) != 0);
      done++;
    }
  }

  @Test
  void pointwise() {
    Random rnd = new Random(1);
    check(rnd, params(3, 8, 7, 9, 5, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1), true);
    check(rnd, params(1, 64, 14, 14, 32, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1), true);
    check(rnd, params(2, 12, 5, 5, 6, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3), false);
    // 1x1 that is not the fast path: strided, padded
    check(rnd, params(3, 8, 7, 9, 5, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1), true);
    check(rnd, params(1, 4, 6, 6, 4, 1, 1, 1, 1, 1, 0, 2, 1, 1, 1, 1), true);
  }

  @Test
  void depthwiseAndSingleChannelGroups() {
    Random rnd = new Random(2);
    check(rnd, params(3, 16, 9, 11, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16), true);
    check(rnd, params(3, 16, 9, 11, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 16), true);
    check(rnd, params(1, 24, 40, 70, 24, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 24), false);
    check(rnd, params(1, 6, 13, 17, 12, 3, 2, 2, 3, 0, 2, 1, 0, 2, 1, 6), true);
    // one input channel per group but 4 outputs per group: the GEMM path
    check(rnd, params(2, 3, 10, 10, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3), true);
    // single input channel, many outputs (grayscale first layer)
    check(rnd, params(1, 1, 12, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), true);
  }

  @Test
  void largerBlockedShapes() {
    Random rnd = new Random(3);
    // K = 288 > panel depth, 400 columns = 2 tiles, 100 output channels > row block
    check(rnd, params(1, 32, 20, 20, 100, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), true);
    // small planes: tiles span images
    check(rnd, params(3, 16, 7, 7, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), true);
    // grouped with many outputs per group
    check(rnd, params(2, 16, 11, 9, 40, 3, 3, 1, 2, 1, 0, 1, 2, 1, 1, 2), true);
    // 1-D convolution expressed with h = 1
    check(rnd, params(3, 5, 1, 50, 7, 1, 5, 1, 2, 0, 2, 0, 1, 1, 2, 1), true);
    // stem-like 7x7 stride 2
    check(rnd, params(1, 3, 32, 30, 8, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1), true);
  }

  @Test
  void bigBatchesRunInPasses() {
    Random rnd = new Random(4);
    Conv2dParams p = params(3, 4, 9, 8, 6, 3, 3, 2, 1, 1, 1, 0, 1, 1, 1, 1);
    float[] x = Tolerance.randomArray(rnd, p.inputSize(), 1f);
    float[] w = Tolerance.randomArray(rnd, p.weightSize(), 0.2f);
    float[] bias = Tolerance.randomArray(rnd, p.m(), 1f);
    double[] expected = reference(p, x, w, bias);
    for (int limit : new int[] {1, 500, 1000}) {
      float[] y = new float[p.outputSize()];
      for (boolean vector : KERNELS) {
        Conv2d.conv2d(p, x, w, bias, y, pool, limit, vector);
        Tolerance.assertClose("limit " + limit + (vector ? " vector" : " C2"), expected, y,
            y.length);
      }
    }
  }

  @Test
  void invalidParamsNameTheField() {
    assertMessage("c", () -> params(1, 6, 5, 5, 4, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 4));
    assertMessage("m", () -> params(1, 4, 5, 5, 5, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 2));
    assertMessage("outH", () -> params(1, 1, 2, 5, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1));
    assertMessage("outW", () -> params(1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 3, 1));
    assertMessage("n", () -> params(0, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1));
    assertMessage("kw", () -> params(1, 1, 5, 5, 1, 3, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1));
    assertMessage("strideH", () -> params(1, 1, 5, 5, 1, 3, 3, 0, 1, 0, 0, 0, 0, 1, 1, 1));
    assertMessage("padLeft", () -> params(1, 1, 5, 5, 1, 3, 3, 1, 1, 0, -1, 0, 0, 1, 1, 1));
    assertMessage("padBottom", () -> params(1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, -2, 0, 1, 1, 1));
    assertMessage("dilationW", () -> params(1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 0, 1));
    assertMessage("group", () -> params(1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 0));
    Conv2dParams p = params(1, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    float[] x = new float[p.inputSize()];
    float[] w = new float[p.weightSize()];
    float[] y = new float[p.outputSize()];
    assertMessage("x", () -> Conv2d.conv2d(p, new float[3], w, null, y, null));
    assertMessage("w", () -> Conv2d.conv2d(p, x, new float[3], null, y, null));
    assertMessage("bias", () -> Conv2d.conv2d(p, x, w, new float[2], y, null));
    assertMessage("y", () -> Conv2d.conv2d(p, x, w, null, new float[3], null));
    assertMessage("p", () -> Conv2d.conv2d(null, x, w, null, y, null));
  }
}
