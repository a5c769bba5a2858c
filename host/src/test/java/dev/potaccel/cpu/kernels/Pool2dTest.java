package dev.potaccel.cpu.kernels;

import static dev.potaccel.cpu.kernels.GemmTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class Pool2dTest {
  private static ForkJoinPool pool;

  @BeforeAll
  static void startPool() {
    pool = new ForkJoinPool(3);
  }

  @AfterAll
  static void stopPool() {
    pool.shutdownNow();
  }

  /** ONNX output size, written out the long way in floating point. */
  static int expectedOut(int in, int padA, int padB, int k, int dil, int stride, boolean ceil) {
    double q = (double) (in + padA + padB - ((k - 1) * dil + 1)) / stride;
    int out = (int) (ceil ? Math.ceil(q) : Math.floor(q)) + 1;
    if (ceil && (out - 1) * stride >= in + padA) {
      out--;
    }
    return out;
  }

  /** Naive pooling: mode 0 max, 1 average excluding pads, 2 average including pads. */
  static double[] reference(Pool2dParams p, float[] x, int mode) {
    int oh = p.outH();
    int ow = p.outW();
    double[] y = new double[p.n() * p.c() * oh * ow];
    int o = 0;
    for (int plane = 0; plane < p.n() * p.c(); plane++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          double max = Double.NEGATIVE_INFINITY;
          double sum = 0;
          int real = 0;
          int padded = 0;
          for (int ky = 0; ky < p.kh(); ky++) {
            int iy = oy * p.strideH() - p.padTop() + ky * p.dilationH();
            for (int kx = 0; kx < p.kw(); kx++) {
              int ix = ox * p.strideW() - p.padLeft() + kx * p.dilationW();
              boolean inPadded = iy >= -p.padTop() && iy < p.h() + p.padBottom()
                  && ix >= -p.padLeft() && ix < p.w() + p.padRight();
              if (inPadded) {
                padded++;
              }
              if (iy >= 0 && iy < p.h() && ix >= 0 && ix < p.w()) {
                double v = x[(plane * p.h() + iy) * p.w() + ix];
                max = Math.max(max, v);
                sum += v;
                real++;
              }
            }
          }
          y[o++] = mode == 0 ? max : sum / (mode == 1 ? real : padded);
        }
      }
    }
    return y;
  }

  private static void check(Random rnd, Pool2dParams p) {
    assertEquals(expectedOut(p.h(), p.padTop(), p.padBottom(), p.kh(), p.dilationH(),
        p.strideH(), p.ceilMode()), p.outH(), "outH of " + p);
    assertEquals(expectedOut(p.w(), p.padLeft(), p.padRight(), p.kw(), p.dilationW(),
        p.strideW(), p.ceilMode()), p.outW(), "outW of " + p);
    float[] x = Tolerance.randomArray(rnd, p.inputSize(), 3f);
    for (int mode = 0; mode < 3; mode++) {
      double[] expected = reference(p, x, mode);
      for (ForkJoinPool pl : new ForkJoinPool[] {null, pool}) {
        float[] y = new float[p.outputSize()];
        if (mode == 0) {
          Pool2d.maxPool(p, x, y, pl);
        } else {
          Pool2d.averagePool(p, mode == 2, x, y, pl);
        }
        Tolerance.assertClose("mode " + mode + " " + p, expected, y, expected.length);
      }
    }
  }

  private static Pool2dParams params(int n, int c, int h, int w, int kh, int kw, int sh, int sw,
      int pt, int pl, int pb, int pr, int dh, int dw, boolean ceil) {
    return new Pool2dParams(n, c, h, w, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, ceil);
  }

  @Test
  void randomizedShapes() {
    Random rnd = new Random(77);
    int done = 0;
    while (done < 300) {
      int kh = 1 + rnd.nextInt(4);
      int kw = rnd.nextInt(3) == 0 ? kh : 1 + rnd.nextInt(4);
      int dh = 1 + rnd.nextInt(2);
      int dw = 1 + rnd.nextInt(2);
      // ONNX wants pads smaller than the kernel; every 8th case goes beyond, where windows
      // entirely in padding give -inf (max) and NaN (average without pads)
      int padLimitH = done % 8 == 7 ? kh + 2 : kh;
      int padLimitW = done % 8 == 7 ? kw + 2 : kw;
      int pt = rnd.nextInt(padLimitH);
      int pb = rnd.nextInt(padLimitH);
      int pl = rnd.nextInt(padLimitW);
      int pr = rnd.nextInt(padLimitW);
      int sh = 1 + rnd.nextInt(3);
      int sw = 1 + rnd.nextInt(3);
      int h = 1 + rnd.nextInt(14);
      int w = 1 + rnd.nextInt(14);
      boolean ceil = rnd.nextBoolean();
      if (expectedOut(h, pt, pb, kh, dh, sh, ceil) < 1
          || expectedOut(w, pl, pr, kw, dw, sw, ceil) < 1) {
        continue;
      }
      check(rnd, params(rnd.nextBoolean() ? 1 : 3, 1 + rnd.nextInt(4), h, w, kh, kw, sh, sw, pt,
          pl, pb, pr, dh, dw, ceil));
      done++;
    }
  }

  /** Unpadded, undilated max pooling reads windows in place; it must match a float-exact max. */
  @Test
  void inBoundsMaxPoolIsExact() {
    Random rnd = new Random(11);
    Pool2dParams[] cases = {
      params(4, 6, 28, 28, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false),
      params(3, 16, 10, 10, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false),
      params(2, 3, 9, 7, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false),
      params(2, 3, 9, 7, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, false),
      params(2, 3, 11, 12, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, false),
      params(2, 3, 11, 12, 3, 2, 1, 3, 0, 0, 0, 0, 1, 1, true),
      params(1, 2, 5, 5, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, false),
      params(300, 64, 8, 8, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false),
    };
    for (Pool2dParams p : cases) {
      float[] x = Tolerance.randomArray(rnd, p.inputSize(), 3f);
      for (int i = 0; i < x.length; i += 37) {
        x[i] = i % 3 == 0 ? Float.NaN : i % 3 == 1 ? -0f : Float.NEGATIVE_INFINITY;
      }
      float[] expected = new float[p.outputSize()];
      int o = 0;
      for (int plane = 0; plane < p.n() * p.c(); plane++) {
        for (int oy = 0; oy < p.outH(); oy++) {
          for (int ox = 0; ox < p.outW(); ox++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int ky = 0; ky < p.kh(); ky++) {
              for (int kx = 0; kx < p.kw(); kx++) {
                m = Math.max(m, x[(plane * p.h() + oy * p.strideH() + ky) * p.w()
                    + ox * p.strideW() + kx]);
              }
            }
            expected[o++] = m;
          }
        }
      }
      for (ForkJoinPool pl : new ForkJoinPool[] {null, pool}) {
        float[] y = new float[p.outputSize()];
        Pool2d.maxPool(p, x, y, pl);
        assertArrayEquals(expected, y, p.toString());
      }
    }
  }

  @Test
  void typicalCnnShapes() {
    Random rnd = new Random(5);
    check(rnd, params(2, 16, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false));
    check(rnd, params(1, 8, 57, 57, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, true));
    check(rnd, params(3, 4, 13, 13, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, true));
    check(rnd, params(1, 3, 7, 7, 7, 7, 1, 1, 0, 0, 0, 0, 1, 1, false));
  }

  @Test
  void ceilModeOutputSizes() {
    // ceil((4 + 2 - 2) / 3) + 1 = 3, but the third window would start at 5 >= 4 + 1: dropped
    assertEquals(2, params(1, 1, 4, 4, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, true).outH());
    assertEquals(2, params(1, 1, 4, 4, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, false).outH());
    // 112 -> 56 (ResNet maxpool) and 13 -> 6 / 7 (floor / ceil)
    assertEquals(56, params(1, 1, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false).outH());
    assertEquals(6, params(1, 1, 13, 13, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, false).outW());
    assertEquals(6, params(1, 1, 13, 13, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, true).outW());
    assertEquals(7, params(1, 1, 14, 14, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, true).outW());
    assertEquals(6, params(1, 1, 14, 14, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, false).outW());
  }

  @Test
  void countIncludePadExcludesCeilOverhang() {
    // 1x1x3x3, kernel 2, stride 2, pad 1 on the left/top only, ceil mode: output 2x2
    Pool2dParams p = params(1, 1, 3, 3, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1, true);
    assertEquals(2, p.outH());
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float[] y = new float[4];
    Pool2d.averagePool(p, true, x, y, null);
    // window (0,0) covers pad row/col plus x[0]: 4 padded positions; window (1,1) covers
    // x[4], x[5], x[7], x[8]: all real
    assertEquals(1f / 4, y[0], 1e-6);
    assertEquals((2f + 3f) / 4, y[1], 1e-6);
    assertEquals((4f + 7f) / 4, y[2], 1e-6);
    assertEquals((5f + 6f + 8f + 9f) / 4, y[3], 1e-6);
    // with right/bottom ceil overhang and no explicit end pad, overhang never counts
    Pool2dParams q = params(1, 1, 3, 3, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, true);
    float[] z = new float[q.outputSize()];
    Pool2d.averagePool(q, true, x, z, null);
    assertEquals(9f, z[3], 1e-6);
    assertEquals((3f + 6f) / 2, z[1], 1e-6);
  }

  @Test
  void globalAveragePool() {
    Random rnd = new Random(9);
    int n = 3;
    int c = 5;
    int spatial = 49;
    float[] x = Tolerance.randomArray(rnd, n * c * spatial, 2f);
    double[] expected = new double[n * c];
    for (int i = 0; i < n * c; i++) {
      double s = 0;
      for (int k = 0; k < spatial; k++) {
        s += x[i * spatial + k];
      }
      expected[i] = s / spatial;
    }
    float[] y = new float[n * c];
    Pool2d.globalAveragePool(n, c, spatial, x, y);
    Tolerance.assertClose("globalAveragePool", expected, y, y.length);
    float[] one = new float[1];
    Pool2d.globalAveragePool(1, 1, 3, new float[] {1, 2, 6}, one);
    assertEquals(3f, one[0]);
  }

  @Test
  void invalidParamsNameTheField() {
    assertMessage("outH", () -> params(1, 1, 2, 5, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, false));
    assertMessage("outW", () -> params(1, 1, 5, 2, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, true));
    assertMessage("c", () -> params(1, 0, 5, 5, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, false));
    assertMessage("kh", () -> params(1, 1, 5, 5, 0, 3, 1, 1, 0, 0, 0, 0, 1, 1, false));
    assertMessage("strideW", () -> params(1, 1, 5, 5, 3, 3, 1, -1, 0, 0, 0, 0, 1, 1, false));
    assertMessage("padTop", () -> params(1, 1, 5, 5, 3, 3, 1, 1, -1, 0, 0, 0, 1, 1, false));
    assertMessage("padRight", () -> params(1, 1, 5, 5, 3, 3, 1, 1, 0, 0, 0, -1, 1, 1, false));
    assertMessage("dilationH", () -> params(1, 1, 5, 5, 3, 3, 1, 1, 0, 0, 0, 0, 0, 1, false));
    Pool2dParams p = params(1, 1, 5, 5, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, false);
    assertMessage("x", () -> Pool2d.maxPool(p, new float[4], new float[9], null));
    assertMessage("y", () -> Pool2d.averagePool(p, true, new float[25], new float[8], null));
    assertMessage("spatial", () -> Pool2d.globalAveragePool(1, 1, 0, new float[1],
        new float[1]));
    assertMessage("y", () -> Pool2d.globalAveragePool(2, 1, 1, new float[2], new float[1]));
  }
}
