package dev.potaccel.cpu.kernels;

import java.util.concurrent.ForkJoinPool;

/**
 * FP32 2-D pooling on NCHW arrays: input {@code x} is {@code [n][c][h][w]}, output {@code y} is
 * {@code [n][c][outH][outW]} (see {@link Pool2dParams}), row-major. Max and average pooling
 * follow ONNX MaxPool / AveragePool (including dilations and ceil mode). Each input plane is
 * rewritten into padded phase planes (as in {@link Conv2d}) so every window tap becomes one
 * contiguous shifted range, combined with vectorizable element-wise max / add loops; planes are
 * spread over a fork-join pool. Global average pooling reduces each {@code [spatial]} plane to
 * one value.
 */
public final class Pool2d {
  /** Below this many window reads the pooling runs in the calling thread. */
  static final long PARALLEL_THRESHOLD = 1L << 16;
  /** Output pixels per accumulation pass (two scratch rows of this stay in L1). */
  static final int CHUNK = 2048;

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
    Bounds.requireRange("x", x, 0, planes * spatial);
    Bounds.requireRange("y", y, 0, planes);
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
    Bounds.requireRange("x", x, 0, p.inputSize());
    Bounds.requireRange("y", y, 0, p.outputSize());
    final int oh = p.outH();
    final int ow = p.outW();
    // ceil mode may add windows reaching past the end pad: widen the pad to cover them
    int padBottom = Math.max(p.padBottom(),
        (oh - 1) * p.strideH() + (p.kh() - 1) * p.dilationH() + 1 - p.h() - p.padTop());
    int padRight = Math.max(p.padRight(),
        (ow - 1) * p.strideW() + (p.kw() - 1) * p.dilationW() + 1 - p.w() - p.padLeft());
    final int taps = p.kh() * p.kw();
    long reads = (long) p.outputSize() * taps;
    ForkJoinPool pl = reads < PARALLEL_THRESHOLD ? null : pool;
    if (max && p.padTop() == 0 && p.padLeft() == 0 && padBottom == 0 && padRight == 0
        && p.dilationH() == 1 && p.dilationW() == 1) {
      // every window lies inside the input: read it in place, no phase planes or tap copies
      ParallelTasks.run(pl, p.n() * p.c(), ws -> null,
          (index, unused) -> maxPlaneInBounds(p, x, index, y));
      return;
    }
    final PhasePlanes ph = new PhasePlanes(p.h(), p.w(), p.kh(), p.kw(), p.strideH(),
        p.strideW(), p.padTop(), p.padLeft(), padBottom, padRight, p.dilationH(),
        p.dilationW());
    final int pitch = ph.pitch;
    final int rowsPerChunk = Math.max(1, Math.min(oh, CHUNK / pitch));
    final int chunkLen = rowsPerChunk * pitch;
    final float[][] inverse = max ? null : inverseCounts(p, countIncludePad, rowsPerChunk, pitch);
    final float pad = max ? Float.NEGATIVE_INFINITY : 0f;
    final int hw = p.h() * p.w();
    final int plane = oh * ow;
    ParallelTasks.run(pl, p.n() * p.c(), ws -> new float[][] {
        ph.direct ? null : ws.floats(0, ph.planeSize), ws.floats(1, chunkLen),
        ws.floats(2, chunkLen)},
        (index, s) -> {
          float[] src = x;
          int base = index * hw;
          if (!ph.direct) {
            ph.build(x, base, s[0], 0, pad);
            src = s[0];
            base = 0;
          }
          float[] acc = s[1];
          float[] tap = s[2];
          for (int oy0 = 0, chunk = 0; oy0 < oh; oy0 += rowsPerChunk, chunk++) {
            int rows = Math.min(rowsPerChunk, oh - oy0);
            int len = rows * pitch;
            int from = base + oy0 * pitch;
            System.arraycopy(src, from + ph.tapOffset[0], acc, 0, len);
            for (int t = 1; t < taps; t++) {
              System.arraycopy(src, from + ph.tapOffset[t], tap, 0, len);
              if (max) {
                maxInto(acc, tap, len);
              } else {
                addInto(acc, tap, len);
              }
            }
            if (!max) {
              scaleBy(acc, inverse[chunk], len);
            }
            int dst = index * plane + oy0 * ow;
            if (pitch == ow) {
              System.arraycopy(acc, 0, y, dst, rows * ow);
            } else {
              for (int r = 0; r < rows; r++) {
                System.arraycopy(acc, r * pitch, y, dst + r * ow, ow);
              }
            }
          }
        });
  }

  /**
   * Max pooling of plane {@code index} when every window lies inside the input (no padding,
   * dilation 1): taps are combined in the same order as the phase-plane path (row-major over the
   * window, starting from the first tap), so results are identical to it.
   */
  private static void maxPlaneInBounds(Pool2dParams p, float[] x, int index, float[] y) {
    final int w = p.w();
    final int oh = p.outH();
    final int ow = p.outW();
    final int kh = p.kh();
    final int kw = p.kw();
    final int sh = p.strideH();
    final int sw = p.strideW();
    final int base = index * p.h() * w;
    int dst = index * oh * ow;
    if (kh == 2 && kw == 2) {
      for (int oy = 0; oy < oh; oy++, dst += ow) {
        int r0 = base + oy * sh * w;
        int r1 = r0 + w;
        for (int ox = 0, i = 0; ox < ow; ox++, i += sw) {
          y[dst + ox] = Math.max(Math.max(Math.max(x[r0 + i], x[r0 + i + 1]), x[r1 + i]),
              x[r1 + i + 1]);
        }
      }
      return;
    }
    for (int oy = 0; oy < oh; oy++, dst += ow) {
      int r0 = base + oy * sh * w;
      for (int ox = 0; ox < ow; ox++) {
        int start = r0 + ox * sw;
        float m = x[start];
        for (int ky = 0; ky < kh; ky++) {
          int row = start + ky * w;
          for (int kx = ky == 0 ? 1 : 0; kx < kw; kx++) {
            m = Math.max(m, x[row + kx]);
          }
        }
        y[dst + ox] = m;
      }
    }
  }

  /** Per chunk of {@code rowsPerChunk} output rows at the given pitch: 1 / divisor. */
  private static float[][] inverseCounts(Pool2dParams p, boolean countIncludePad,
      int rowsPerChunk, int pitch) {
    int oh = p.outH();
    int ow = p.outW();
    Window rowsW = new Window(oh, p.h(), p.kh(), p.strideH(), p.padTop(), p.padBottom(),
        p.dilationH());
    Window colsW = new Window(ow, p.w(), p.kw(), p.strideW(), p.padLeft(), p.padRight(),
        p.dilationW());
    int chunks = (oh + rowsPerChunk - 1) / rowsPerChunk;
    float[][] inv = new float[chunks][rowsPerChunk * pitch];
    for (int oy = 0; oy < oh; oy++) {
      float[] row = inv[oy / rowsPerChunk];
      int off = (oy % rowsPerChunk) * pitch;
      int rc = countIncludePad ? rowsW.padded[oy] : rowsW.hi[oy] - rowsW.lo[oy];
      for (int ox = 0; ox < ow; ox++) {
        int cc = countIncludePad ? colsW.padded[ox] : colsW.hi[ox] - colsW.lo[ox];
        row[off + ox] = 1f / (rc * cc);
      }
    }
    return inv;
  }

  private static void maxInto(float[] acc, float[] v, int len) {
    for (int j = 0; j < len; j++) {
      acc[j] = Math.max(acc[j], v[j]);
    }
  }

  private static void addInto(float[] acc, float[] v, int len) {
    for (int j = 0; j < len; j++) {
      acc[j] = acc[j] + v[j];
    }
  }

  private static void scaleBy(float[] acc, float[] s, int len) {
    for (int j = 0; j < len; j++) {
      acc[j] = acc[j] * s[j];
    }
  }

  /**
   * Per output position along one axis: the kernel-index range [lo, hi) landing on real input
   * and how many kernel taps land inside the explicitly padded extent.
   */
  private static final class Window {
    final int[] lo;
    final int[] hi;
    final int[] padded;

    Window(int out, int in, int k, int stride, int padBegin, int padEnd, int dil) {
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
        lo[o] = first;
        hi[o] = Math.max(first, last + 1);
        padded[o] = inPad;
      }
    }
  }
}
