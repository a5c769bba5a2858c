package dev.potaccel.cpu.kernels;

import dev.potaccel.simd.FloatPairs;
import dev.potaccel.simd.VectorKernels;
import java.util.Arrays;

/**
 * Rewrites an input plane into padded <em>phase planes</em>, so that a strided, dilated, padded
 * sliding window becomes a set of plain stride-1 windows at constant offsets.
 *
 * <p>Padded row {@code r} (input row {@code r - padTop}) is stored in row phase
 * {@code r % strideH} at phase row {@code r / strideH}; likewise for columns. Then kernel tap
 * (ky, kx) of output (oy, ox) reads phase ({@code ky*dilH % strideH}, {@code kx*dilW %
 * strideW}) at row {@code oy + ky*dilH / strideH}, column {@code ox + kx*dilW / strideW}: with
 * a common row pitch Q, the output rows [oy0, oy1) of one tap are the single contiguous range
 * {@link #tapOffset}{@code [tap] + oy0 * Q} of length {@code (oy1 - oy0) * Q}, where positions
 * {@code ox >= outW} of each pitch row are overhang to be ignored. Only phases some tap reads
 * are stored; each is {@code (rows + 1) x pitch} (the extra padded row keeps overhang reads in
 * bounds). A 1x1, stride-1, unpadded window needs no rewrite ({@link #direct}): the input plane
 * itself is the single phase, with pitch w.
 */
final class PhasePlanes {
  final boolean direct;
  final int pitch;
  final int rows;
  final int phaseSize;
  final int planeSize;
  /** Per tap {@code ky * kw + kx}: offset of its window within one plane's phase set. */
  final int[] tapOffset;
  private final int h;
  private final int w;
  private final int strideH;
  private final int strideW;
  private final int padTop;
  private final int padLeft;
  private final int[] rowPhases;
  private final int[] colPhases;

  /**
   * Pads must cover every window: {@code (out - 1) * stride + (k - 1) * dil < in + padBegin +
   * padEnd} (callers in ceil mode pass a widened end pad).
   */
  PhasePlanes(int h, int w, int kh, int kw, int strideH, int strideW, int padTop, int padLeft,
      int padBottom, int padRight, int dilationH, int dilationW) {
    this.h = h;
    this.w = w;
    this.strideH = strideH;
    this.strideW = strideW;
    this.padTop = padTop;
    this.padLeft = padLeft;
    direct = kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0
        && padBottom == 0 && padRight == 0;
    long hp = (long) h + padTop + padBottom;
    long wp = (long) w + padLeft + padRight;
    pitch = (int) (direct ? w : (wp + strideW - 1) / strideW);
    rows = (int) (direct ? h : (hp + strideH - 1) / strideH);
    int[] rowSlot = new int[strideH];
    int[] colSlot = new int[strideW];
    rowPhases = distinctPhases(kh, dilationH, strideH, rowSlot);
    colPhases = distinctPhases(kw, dilationW, strideW, colSlot);
    long phase = direct ? (long) h * w : (long) (rows + 1) * pitch;
    long plane = phase * rowPhases.length * colPhases.length;
    if (plane > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("x: padded planes exceed a Java array");
    }
    phaseSize = (int) phase;
    planeSize = (int) plane;
    tapOffset = new int[kh * kw];
    for (int ky = 0; ky < kh; ky++) {
      int dy = ky * dilationH;
      for (int kx = 0; kx < kw; kx++) {
        int dx = kx * dilationW;
        int slot = rowSlot[dy % strideH] * colPhases.length + colSlot[dx % strideW];
        tapOffset[ky * kw + kx] = slot * phaseSize + (dy / strideH) * pitch + dx / strideW;
      }
    }
  }

  private static int[] distinctPhases(int k, int dil, int stride, int[] slotOf) {
    Arrays.fill(slotOf, -1);
    int count = 0;
    int[] list = new int[Math.min(k, stride)];
    for (int t = 0; t < k; t++) {
      int ph = (int) ((long) t * dil % stride);
      if (slotOf[ph] < 0) {
        slotOf[ph] = count;
        list[count++] = ph;
      }
    }
    return Arrays.copyOf(list, count);
  }

  /**
   * Writes the phase planes of input plane {@code x[xBase, xBase + h * w)} to {@code dst} from
   * {@code dBase} ({@link #planeSize} floats), padding with {@code pad}. Not for direct layouts.
   */
  void build(float[] x, int xBase, float[] dst, int dBase, float pad) {
    int nb = colPhases.length;
    boolean pairs = strideW == 2 && nb == 2;
    for (int ai = 0; ai < rowPhases.length; ai++) {
      int base = dBase + ai * nb * phaseSize;
      for (int i = 0; i < rows; i++) {
        int iy = rowPhases[ai] + i * strideH - padTop;
        int d = base + i * pitch;
        if (iy < 0 || iy >= h) {
          for (int bi = 0; bi < nb; bi++) {
            Arrays.fill(dst, d + bi * phaseSize, d + bi * phaseSize + pitch, pad);
          }
        } else if (pairs) {
          gatherRowPair(x, xBase + iy * w, -padLeft, w, dst, d, d + phaseSize, pitch, pad);
        } else {
          for (int bi = 0; bi < nb; bi++) {
            gatherRow(x, xBase + iy * w, colPhases[bi] - padLeft, strideW, w, dst,
                d + bi * phaseSize, pitch, pad);
          }
        }
      }
      for (int bi = 0; bi < nb; bi++) {
        int ph = base + bi * phaseSize;
        Arrays.fill(dst, ph + rows * pitch, ph + phaseSize, pad);
      }
    }
  }

  /**
   * {@code dst[dOff + t] = x[rowBase + ix0 + t * sw]} for {@code t < len}, {@code pad} where
   * the column {@code ix0 + t * sw} falls outside {@code [0, width)}.
   */
  static void gatherRow(float[] x, int rowBase, int ix0, int sw, int width, float[] dst,
      int dOff, int len, float pad) {
    int lo;
    int hi;
    if (sw == 1) {
      lo = Math.min(len, Math.max(0, -ix0));
      hi = Math.max(lo, Math.min(len, width - ix0));
    } else {
      lo = ix0 >= 0 ? 0 : Math.min(len, (-ix0 + sw - 1) / sw);
      hi = ix0 >= width ? lo : Math.max(lo, Math.min(len, (width - ix0 + sw - 1) / sw));
    }
    if (lo > 0) {
      Arrays.fill(dst, dOff, dOff + lo, pad);
    }
    if (hi <= lo) {
      // nothing of the row is inside
    } else if (sw == 1) {
      System.arraycopy(x, rowBase + ix0 + lo, dst, dOff + lo, hi - lo);
    } else {
      int src = rowBase + ix0 + lo * sw;
      for (int t = dOff + lo, end = dOff + hi; t < end; t++, src += sw) {
        dst[t] = x[src];
      }
    }
    if (hi < len) {
      Arrays.fill(dst, dOff + hi, dOff + len, pad);
    }
  }

  /**
   * De-interleaves one input row into two stride-2 phase rows in a single pass:
   * {@code dst[d0 + t] = X(ix0 + 2t)} and {@code dst[d1 + t] = X(ix0 + 2t + 1)} for
   * {@code t < len}, where {@code X(i) = x[rowBase + i]} inside {@code [0, width)}, else pad.
   */
  static void gatherRowPair(float[] x, int rowBase, int ix0, int width, float[] dst, int d0,
      int d1, int len, float pad) {
    int lo = ix0 >= 0 ? 0 : Math.min(len, (-ix0 + 1) / 2);
    int hi = Math.max(lo, Math.min(len, Math.floorDiv(width - 2 - ix0, 2) + 1));
    for (int t = 0; t < lo; t++) {
      pairEdge(x, rowBase, ix0 + 2 * t, width, dst, d0 + t, d1 + t, pad);
    }
    int src = rowBase + ix0 + 2 * lo;
    if (VectorKernels.ENABLED) {
      FloatPairs.split(x, src, dst, d0 + lo, dst, d1 + lo, hi - lo);
    } else {
      for (int t = lo; t < hi; t++, src += 2) {
        dst[d0 + t] = x[src];
        dst[d1 + t] = x[src + 1];
      }
    }
    for (int t = hi; t < len; t++) {
      pairEdge(x, rowBase, ix0 + 2 * t, width, dst, d0 + t, d1 + t, pad);
    }
  }

  private static void pairEdge(float[] x, int rowBase, int i0, int width, float[] dst, int e0,
      int e1, float pad) {
    dst[e0] = i0 >= 0 && i0 < width ? x[rowBase + i0] : pad;
    dst[e1] = i0 + 1 >= 0 && i0 + 1 < width ? x[rowBase + i0 + 1] : pad;
  }
}
