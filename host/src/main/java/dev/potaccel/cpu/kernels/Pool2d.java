package dev.potaccel.cpu.kernels;

import java.util.concurrent.ForkJoinPool;

/**
 * FP32 2-D pooling on NCHW arrays: input {@code x} is {@code [n][c][h][w]}, output {@code y} is
 * {@code [n][c][outH][outW]} (see {@link Pool2dParams}), row-major. Max and average pooling
 * follow ONNX MaxPool / AveragePool (including dilations and ceil mode); planes are spread over
 * a fork-join pool. Global average pooling reduces each {@code [spatial]} plane to one value.
 */
public final class Pool2d {
  /** Below this many window reads the pooling runs in the calling thread. */
  static final long PARALLEL_THRESHOLD = 1L << 16;

  private Pool2d() {}

  /**
   * Max pooling; padded positions never win (they act as -infinity). A window lying entirely in
   * padding yields -infinity. NaN inputs propagate.
   *
   * @param pool the pool to run on; null (or parallelism 1) runs in the calling thread
   */
  public static void maxPool(Pool2dParams p, float[] x, float[] y, ForkJoinPool pool) {
    run(p, x, y, pool, true, false);
  }

  /**
   * Average pooling. With {@code countIncludePad} the divisor is the number of window positions
   * inside the explicitly padded input {@code [-padTop, h + padBottom) x [-padLeft, w +
   * padRight)} (positions past that, which only ceil mode creates, never count); without it only
   * real input positions count (a window entirely in padding then yields NaN).
   *
   * @param pool the pool to run on; null (or parallelism 1) runs in the calling thread
   */
  public static void averagePool(Pool2dParams p, boolean countIncludePad, float[] x, float[] y,
      ForkJoinPool pool) {
    run(p, x, y, pool, false, countIncludePad);
  }

  /**
   * Global average pooling: {@code y[i] = mean(x[i * spatial, (i + 1) * spatial))} for each of
   * the {@code n * c} planes, accumulated in double.
   */
  public static void globalAveragePool(int n, int c, int spatial, float[] x, float[] y) {
    if (n < 1 || c < 1 || spatial < 1) {
      String field = n < 1 ? "n" : c < 1 ? "c" : "spatial";
      throw new IllegalArgumentException(field + " must be >= 1 (n=" + n + ", c=" + c
          + ", spatial=" + spatial + ")");
    }
    long planes = (long) n * c;
    if (planes * spatial > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("input size n*c*spatial exceeds a Java array");
    }
    Gemm.requireRange("x", x, 0, planes * spatial);
    Gemm.requireRange("y", y, 0, planes);
    for (int i = 0; i < planes; i++) {
      int base = i * spatial;
      double s0 = 0;
      double s1 = 0;
      double s2 = 0;
      double s3 = 0;
      int k = 0;
      for (; k + 3 < spatial; k += 4) {
        s0 += x[base + k];
        s1 += x[base + k + 1];
        s2 += x[base + k + 2];
        s3 += x[base + k + 3];
      }
      for (; k < spatial; k++) {
        s0 += x[base + k];
      }
      y[i] = (float) (((s0 + s1) + (s2 + s3)) / spatial);
    }
  }

  private static void run(Pool2dParams p, float[] x, float[] y, ForkJoinPool pool, boolean max,
      boolean countIncludePad) {
    if (p == null) {
      throw new IllegalArgumentException("p is null");
    }
    Gemm.requireRange("x", x, 0, p.inputSize());
    Gemm.requireRange("y", y, 0, p.outputSize());
    Window rowsW = new Window(p.outH(), p.h(), p.kh(), p.strideH(), p.padTop(), p.padBottom(),
        p.dilationH());
    Window colsW = new Window(p.outW(), p.w(), p.kw(), p.strideW(), p.padLeft(), p.padRight(),
        p.dilationW());
    int planes = p.n() * p.c();
    long reads = (long) p.outputSize() * p.kh() * p.kw();
    ForkJoinPool pl = reads < PARALLEL_THRESHOLD ? null : pool;
    ParallelTasks.run(pl, planes, () -> null, (plane, unused) -> {
      if (max) {
        maxPlane(p, x, y, plane, rowsW, colsW);
      } else {
        averagePlane(p, x, y, plane, rowsW, colsW, countIncludePad);
      }
    });
  }

  private static void maxPlane(Pool2dParams p, float[] x, float[] y, int plane, Window rowsW,
      Window colsW) {
    int oh = p.outH();
    int ow = p.outW();
    int wd = p.w();
    int dh = p.dilationH();
    int dw = p.dilationW();
    int xBase = plane * p.h() * wd;
    int yi = plane * oh * ow;
    for (int oy = 0; oy < oh; oy++) {
      int kyLo = rowsW.lo[oy];
      int kyHi = rowsW.hi[oy];
      int rowStart = xBase + rowsW.start[oy] * wd;
      for (int ox = 0; ox < ow; ox++, yi++) {
        int kxLo = colsW.lo[ox];
        int kxHi = colsW.hi[ox];
        int base = rowStart + colsW.start[ox];
        float best = Float.NEGATIVE_INFINITY;
        for (int ky = kyLo; ky < kyHi; ky++) {
          int r = base + ky * dh * wd;
          for (int kx = kxLo; kx < kxHi; kx++) {
            best = Math.max(best, x[r + kx * dw]);
          }
        }
        y[yi] = best;
      }
    }
  }

  private static void averagePlane(Pool2dParams p, float[] x, float[] y, int plane,
      Window rowsW, Window colsW, boolean countIncludePad) {
    int oh = p.outH();
    int ow = p.outW();
    int wd = p.w();
    int dh = p.dilationH();
    int dw = p.dilationW();
    int xBase = plane * p.h() * wd;
    int yi = plane * oh * ow;
    for (int oy = 0; oy < oh; oy++) {
      int kyLo = rowsW.lo[oy];
      int kyHi = rowsW.hi[oy];
      int rowStart = xBase + rowsW.start[oy] * wd;
      int rowCount = countIncludePad ? rowsW.padded[oy] : kyHi - kyLo;
      for (int ox = 0; ox < ow; ox++, yi++) {
        int kxLo = colsW.lo[ox];
        int kxHi = colsW.hi[ox];
        int base = rowStart + colsW.start[ox];
        float sum = 0f;
        for (int ky = kyLo; ky < kyHi; ky++) {
          int r = base + ky * dh * wd;
          for (int kx = kxLo; kx < kxHi; kx++) {
            sum += x[r + kx * dw];
          }
        }
        int count = rowCount * (countIncludePad ? colsW.padded[ox] : kxHi - kxLo);
        y[yi] = sum / count;
      }
    }
  }

  /**
   * Per output position along one axis: the window's first input coordinate ({@code start},
   * may be negative), the kernel-index range [lo, hi) landing on real input, and how many kernel
   * taps land inside the explicitly padded extent.
   */
  private static final class Window {
    final int[] start;
    final int[] lo;
    final int[] hi;
    final int[] padded;

    Window(int out, int in, int k, int stride, int padBegin, int padEnd, int dil) {
      start = new int[out];
      lo = new int[out];
      hi = new int[out];
      padded = new int[out];
      for (int o = 0; o < out; o++) {
        int s = o * stride - padBegin;
        int first = k;
        int last = -1;
        int inPad = 0;
        for (int t = 0; t < k; t++) {
          int pos = s + t * dil;
          if (pos >= 0 && pos < in) {
            first = Math.min(first, t);
            last = t;
          }
          if (pos >= -padBegin && pos < in + padEnd) {
            inPad++;
          }
        }
        start[o] = s;
        lo[o] = first;
        hi[o] = Math.max(first, last + 1);
        padded[o] = inPad;
      }
    }
  }
}
