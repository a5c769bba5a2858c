package dev.potaccel.cpu.kernels;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;

/**
 * FP32 2-D convolution (ONNX Conv, i.e. cross-correlation) on NCHW arrays: input {@code x} is
 * {@code [n][c][h][w]}, weights {@code w} are {@code [m][c / group][kh][kw]}, optional bias is
 * {@code [m]}, output {@code y} is {@code [n][m][outH][outW]}, all row-major.
 *
 * <p>How it works. The input is first rewritten into zero-padded <em>phase planes</em>: for
 * stride s, phase (a, b) of a channel holds padded rows {@code a, a + s, ...} and columns
 * {@code b, b + s, ...} with a common row pitch Q. In that form every kernel tap (ky, kx) sees a
 * plain stride-1 window shifted by a constant, so one im2col row is a single contiguous copy (or
 * one copy per output row). Ordinary and grouped convolutions then run as im2col + blocked GEMM
 * per group: the output pixels of all images form one column space cut into panel-wide tiles;
 * each tile's im2col rows are copied into an L2-sized panel (the full column matrix is never
 * built) and multiplied by the weight rows into an accumulator strip, which is copied out with
 * the bias. Columns either keep the pitch Q (a few wasted columns, one copy per row of K) or are
 * compacted to outW (one copy per output row), whichever costs less. A 1x1 stride-1 unpadded
 * convolution reads the input directly, no rewrite. When each output channel reads a single
 * input channel ({@code c / group == 1}, channel multiplier at most 2: depthwise) a direct
 * per-plane multiply-accumulate over the taps is used instead of GEMM. Work is spread over a
 * fork-join pool by batch image / input plane, group, output-channel block and pixel tile.
 */
public final class Conv2d {
  /** Below this many multiply-adds the convolution runs in the calling thread. */
  static final long PARALLEL_THRESHOLD = 1L << 17;
  /** Output pixels per depthwise accumulation pass (three scratch rows of this stay in L1). */
  static final int DEPTHWISE_CHUNK = 2048;
  /**
   * Pitched columns waste {@code groupOutputs * (Q - outW)} multiply-adds per output pixel and
   * per K row; compact columns cost one extra short copy per output row. Pitched wins below this.
   */
  static final int PITCH_WASTE_LIMIT = 128;

  private Conv2d() {}

  /**
   * Computes {@code y = conv(x, w) + bias}. Arrays may be longer than needed; only the leading
   * elements are used.
   *
   * @param bias per-output-channel bias {@code [m]}, or null for none
   * @param pool the pool to run on; null (or parallelism 1) runs in the calling thread
   * @throws IllegalArgumentException if an array is null (bias excepted) or too short
   */
  public static void conv2d(Conv2dParams p, float[] x, float[] w, float[] bias, float[] y,
      ForkJoinPool pool) {
    if (p == null) {
      throw new IllegalArgumentException("p is null");
    }
    Gemm.requireRange("x", x, 0, p.inputSize());
    Gemm.requireRange("w", w, 0, p.weightSize());
    if (bias != null) {
      Gemm.requireRange("bias", bias, 0, p.m());
    }
    Gemm.requireRange("y", y, 0, p.outputSize());
    long macs = (long) p.outputSize() * p.groupChannels() * p.kh() * p.kw();
    ForkJoinPool pl = macs < PARALLEL_THRESHOLD ? null : pool;
    Phases ph = new Phases(p);
    if (p.groupChannels() == 1 && p.groupOutputs() <= 2) {
      depthwise(p, ph, x, w, bias, y, pl);
    } else {
      im2colGemm(p, ph, x, w, bias, y, pl);
    }
  }

  /**
   * The phase-plane layout of the padded input. Padded row {@code r} lives in row phase
   * {@code r % strideH} at phase row {@code r / strideH}; likewise for columns. Only phases some
   * tap actually reads are stored. Each stored phase is {@code (rows + 1) x pitch}; the extra
   * zero row keeps reads of pitch-overhang columns inside the plane.
   */
  static final class Phases {
    final boolean direct;
    final int pitch;
    final int rows;
    final int phaseSize;
    final int planeSize;
    final int[] rowPhases;
    final int[] colPhases;
    /** Per tap (ky * kw + kx): offset of its window inside a channel's phase set. */
    final int[] tapOffset;

    Phases(Conv2dParams p) {
      int sh = p.strideH();
      int sw = p.strideW();
      direct = p.kh() == 1 && p.kw() == 1 && sh == 1 && sw == 1 && p.padTop() == 0
          && p.padLeft() == 0 && p.padBottom() == 0 && p.padRight() == 0;
      int hp = p.h() + p.padTop() + p.padBottom();
      int wp = p.w() + p.padLeft() + p.padRight();
      pitch = direct ? p.w() : (wp + sw - 1) / sw;
      rows = direct ? p.h() : (hp + sh - 1) / sh;
      phaseSize = direct ? p.h() * p.w() : (rows + 1) * pitch;
      int[] rowSlot = new int[sh];
      int[] colSlot = new int[sw];
      rowPhases = distinctPhases(p.kh(), p.dilationH(), sh, rowSlot);
      colPhases = distinctPhases(p.kw(), p.dilationW(), sw, colSlot);
      planeSize = phaseSize * rowPhases.length * colPhases.length;
      tapOffset = new int[p.kh() * p.kw()];
      for (int ky = 0; ky < p.kh(); ky++) {
        int dy = ky * p.dilationH();
        for (int kx = 0; kx < p.kw(); kx++) {
          int dx = kx * p.dilationW();
          int slot = rowSlot[dy % sh] * colPhases.length + colSlot[dx % sw];
          tapOffset[ky * p.kw() + kx] = slot * phaseSize + (dy / sh) * pitch + dx / sw;
        }
      }
    }

    private static int[] distinctPhases(int k, int dil, int stride, int[] slotOf) {
      Arrays.fill(slotOf, -1);
      int count = 0;
      int[] list = new int[Math.min(k, stride)];
      for (int t = 0; t < k; t++) {
        int ph = (t * dil) % stride;
        if (slotOf[ph] < 0) {
          slotOf[ph] = count;
          list[count++] = ph;
        }
      }
      return Arrays.copyOf(list, count);
    }

    /** Writes the phase planes of input plane {@code x[xBase, xBase + h * w)} at dst[dBase]. */
    void build(Conv2dParams p, float[] x, int xBase, float[] dst, int dBase) {
      int h = p.h();
      int wd = p.w();
      int sh = p.strideH();
      int sw = p.strideW();
      int nb = colPhases.length;
      boolean pairs = sw == 2 && nb == 2;
      for (int ai = 0; ai < rowPhases.length; ai++) {
        int a = rowPhases[ai];
        int base = dBase + ai * nb * phaseSize;
        for (int i = 0; i < rows; i++) {
          int iy = a + i * sh - p.padTop();
          int d = base + i * pitch;
          if (iy < 0 || iy >= h) {
            for (int bi = 0; bi < nb; bi++) {
              Arrays.fill(dst, d + bi * phaseSize, d + bi * phaseSize + pitch, 0f);
            }
          } else if (pairs) {
            gatherRowPair(x, xBase + iy * wd, -p.padLeft(), wd, dst, d, d + phaseSize, pitch);
          } else {
            for (int bi = 0; bi < nb; bi++) {
              gatherRow(x, xBase + iy * wd, colPhases[bi] - p.padLeft(), sw, wd, dst,
                  d + bi * phaseSize, pitch);
            }
          }
        }
        for (int bi = 0; bi < nb; bi++) {
          int ph = base + bi * phaseSize;
          Arrays.fill(dst, ph + rows * pitch, ph + phaseSize, 0f);
        }
      }
    }
  }

  /**
   * De-interleaves one input row into two stride-2 phase rows in a single pass:
   * {@code dst[d0 + t] = X(ix0 + 2t)} and {@code dst[d1 + t] = X(ix0 + 2t + 1)} for
   * {@code t < len}, where {@code X(i) = x[rowBase + i]} inside {@code [0, width)} and 0 outside.
   */
  static void gatherRowPair(float[] x, int rowBase, int ix0, int width, float[] dst, int d0,
      int d1, int len) {
    int lo = ix0 >= 0 ? 0 : Math.min(len, (-ix0 + 1) / 2);
    int hi = Math.max(lo, Math.min(len, Math.floorDiv(width - 2 - ix0, 2) + 1));
    for (int t = 0; t < lo; t++) {
      pairEdge(x, rowBase, ix0 + 2 * t, width, dst, d0 + t, d1 + t);
    }
    int src = rowBase + ix0 + 2 * lo;
    for (int t = lo; t < hi; t++, src += 2) {
      dst[d0 + t] = x[src];
      dst[d1 + t] = x[src + 1];
    }
    for (int t = hi; t < len; t++) {
      pairEdge(x, rowBase, ix0 + 2 * t, width, dst, d0 + t, d1 + t);
    }
  }

  private static void pairEdge(float[] x, int rowBase, int i0, int width, float[] dst, int e0,
      int e1) {
    dst[e0] = i0 >= 0 && i0 < width ? x[rowBase + i0] : 0f;
    dst[e1] = i0 + 1 >= 0 && i0 + 1 < width ? x[rowBase + i0 + 1] : 0f;
  }

  // ---------------------------------------------------------------- im2col + GEMM

  private static void im2colGemm(Conv2dParams p, Phases ph, float[] x, float[] w, float[] bias,
      float[] y, ForkJoinPool pool) {
    final int oh = p.outH();
    final int ow = p.outW();
    final int c = p.c();
    final int m = p.m();
    final int kTotal = p.groupChannels() * p.kh() * p.kw();
    final int mg = p.groupOutputs();
    final int groups = p.group();
    final int pitch = ph.pitch;
    // source planes: the input itself, or its phase-plane rewrite
    final float[] src;
    if (ph.direct) {
      src = x;
    } else {
      float[] xp = new float[p.n() * c * ph.planeSize];
      int hw = p.h() * p.w();
      ParallelTasks.run(p.inputSize() < (1 << 15) ? null : pool, p.n() * c, () -> null,
          (plane, unused) -> ph.build(p, x, plane * hw, xp, plane * ph.planeSize));
      src = xp;
    }
    // K row k = (ci, ky, kx) reads src at image base + group base + kOffset[k] + column
    final int taps = p.kh() * p.kw();
    final int[] kOffset = new int[kTotal];
    for (int k = 0; k < kTotal; k++) {
      kOffset[k] = (k / taps) * ph.planeSize + ph.tapOffset[k % taps];
    }
    final boolean pitched = pitch == ow || (long) mg * (pitch - ow) < PITCH_WASTE_LIMIT;
    final int colsPerImg = oh * (pitched ? pitch : ow);
    final int cols = p.n() * colsPerImg;
    final int imgStride = c * ph.planeSize;
    final int groupStride = p.groupChannels() * ph.planeSize;
    int workers = ParallelTasks.workers(pool, Integer.MAX_VALUE);
    Gemm.Blocking blk = Gemm.Blocking.of(mg, cols, workers, Gemm.MC, Gemm.NC, groups);
    final int mBlocks = blk.mBlocks;
    final int perGroup = blk.mBlocks * blk.nBlocks;
    final int kc = Math.min(kTotal, Gemm.KC);
    ParallelTasks.run(pool, groups * perGroup, () -> new Scratch(blk.mc, kc, blk.nc),
        (task, s) -> {
          int g = task / perGroup;
          int rem = task % perGroup;
          int col0 = (rem / mBlocks) * blk.nc;
          int nt = Math.min(blk.nc, cols - col0);
          int m0 = (rem % mBlocks) * blk.mc;
          int rows = Math.min(blk.mc, mg - m0);
          int oc0 = g * mg + m0;
          float[][] acc = s.acc;
          for (int r = 0; r < rows; r++) {
            Arrays.fill(acc[r], 0, nt, bias == null ? 0f : bias[oc0 + r]);
          }
          int segs = segments(pitched, col0, nt, colsPerImg, pitch, ow, s);
          int gBase = g * groupStride;
          for (int k0 = 0; k0 < kTotal; k0 += Gemm.KC) {
            int kLen = Math.min(Gemm.KC, kTotal - k0);
            for (int q = 0; q < kLen; q++) {
              float[] dst = s.panel[q];
              int off = gBase + kOffset[k0 + q];
              if (pitched) {
                // one run per image: the column index is the source index
                for (int j = 0, col = col0; j < nt; ) {
                  int img = col / colsPerImg;
                  int within = col - img * colsPerImg;
                  int len = Math.min(colsPerImg - within, nt - j);
                  System.arraycopy(src, img * imgStride + off + within, dst, j, len);
                  j += len;
                  col += len;
                }
              } else {
                for (int t = 0; t < segs; t++) {
                  System.arraycopy(src, s.segImg[t] * imgStride + off + s.segY[t] * pitch
                      + s.segX[t], dst, s.segJ[t], s.segLen[t]);
                }
              }
            }
            PanelKernel.multiplyAccumulate(rows, nt, kLen, w, oc0 * kTotal + k0, kTotal,
                s.panel, acc, 0);
          }
          int plane = oh * ow;
          for (int t = 0; t < segs; t++) {
            int dst = (s.segImg[t] * m + oc0) * plane + s.segY[t] * ow + s.segX[t];
            int j = s.segJ[t];
            int len = s.segLen[t];
            for (int r = 0; r < rows; r++, dst += plane) {
              System.arraycopy(acc[r], j, y, dst, len);
            }
          }
        });
  }

  /**
   * Lists the real output pixels of tile columns [col0, col0 + nt) as runs within one output
   * row: image, output row and column, tile position and length. Pitched layouts skip the
   * overhang columns and merge runs that are contiguous in both the tile and y.
   */
  private static int segments(boolean pitched, int col0, int nt, int colsPerImg, int pitch,
      int ow, Scratch s) {
    int rowLen = pitched ? pitch : ow;
    int count = 0;
    for (int j = 0, col = col0; j < nt; ) {
      int img = col / colsPerImg;
      int within = col - img * colsPerImg;
      int oy = within / rowLen;
      int ox = within - oy * rowLen;
      int step = Math.min(rowLen - ox, nt - j);
      int len = Math.min(step, Math.max(0, ow - ox));
      if (len > 0) {
        int last = count - 1;
        if (pitched && last >= 0 && s.segImg[last] == img
            && s.segJ[last] + s.segLen[last] == j
            && s.segY[last] * ow + s.segX[last] + s.segLen[last] == oy * ow + ox) {
          s.segLen[last] += len;
        } else {
          s.segJ[count] = j;
          s.segImg[count] = img;
          s.segY[count] = oy;
          s.segX[count] = ox;
          s.segLen[count] = len;
          count++;
        }
      }
      j += step;
      col += step;
    }
    return count;
  }

  /**
   * {@code dst[dOff + t] = x[rowBase + ix0 + t * sw]} for {@code t < len}, zero where the
   * column {@code ix0 + t * sw} falls outside {@code [0, width)}.
   */
  static void gatherRow(float[] x, int rowBase, int ix0, int sw, int width, float[] dst,
      int dOff, int len) {
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
      Arrays.fill(dst, dOff, dOff + lo, 0f);
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
      Arrays.fill(dst, dOff + hi, dOff + len, 0f);
    }
  }

  /** Per-worker scratch of the GEMM path: B panel, accumulator strip, tile run table. */
  private static final class Scratch {
    final float[][] panel;
    final float[][] acc;
    final int[] segJ;
    final int[] segImg;
    final int[] segY;
    final int[] segX;
    final int[] segLen;

    Scratch(int mc, int kc, int nc) {
      panel = new float[kc][nc];
      acc = new float[mc][nc];
      segJ = new int[nc];
      segImg = new int[nc];
      segY = new int[nc];
      segX = new int[nc];
      segLen = new int[nc];
    }
  }

  // ---------------------------------------------------------------- depthwise

  private static void depthwise(Conv2dParams p, Phases ph, float[] x, float[] w, float[] bias,
      float[] y, ForkJoinPool pool) {
    final int oh = p.outH();
    final int ow = p.outW();
    final int pitch = ph.pitch;
    final int plane = oh * ow;
    final int m = p.m();
    final int mg = p.groupOutputs();
    final int rowsPerChunk = Math.max(1, Math.min(oh, DEPTHWISE_CHUNK / pitch));
    final int chunkLen = rowsPerChunk * pitch;
    final int taps = p.kh() * p.kw();
    final int hw = p.h() * p.w();
    final int groups = p.group();
    ParallelTasks.run(pool, p.n() * groups, () -> new DepthwiseScratch(ph, chunkLen),
        (task, s) -> {
          int img = task / groups;
          int g = task % groups;
          // input channel g of this image, as phase planes (or directly)
          float[] planes;
          int pBase;
          if (ph.direct) {
            planes = x;
            pBase = (img * p.c() + g) * hw;
          } else {
            ph.build(p, x, (img * p.c() + g) * hw, s.planes, 0);
            planes = s.planes;
            pBase = 0;
          }
          for (int oc = g * mg; oc < (g + 1) * mg; oc++) {
            int wBase = oc * taps;
            int yBase = (img * m + oc) * plane;
            for (int oy0 = 0; oy0 < oh; oy0 += rowsPerChunk) {
              int rows = Math.min(rowsPerChunk, oh - oy0);
              int len = rows * pitch;
              float[] acc = s.acc;
              Arrays.fill(acc, 0, len, bias == null ? 0f : bias[oc]);
              int from = pBase + oy0 * pitch;
              int t = 0;
              for (; t + 1 < taps; t += 2) {
                System.arraycopy(planes, from + ph.tapOffset[t], s.x0, 0, len);
                System.arraycopy(planes, from + ph.tapOffset[t + 1], s.x1, 0, len);
                PanelKernel.axpy2(acc, len, w[wBase + t], s.x0, w[wBase + t + 1], s.x1);
              }
              if (t < taps) {
                System.arraycopy(planes, from + ph.tapOffset[t], s.x0, 0, len);
                PanelKernel.axpy1(acc, len, w[wBase + t], s.x0);
              }
              if (pitch == ow) {
                System.arraycopy(acc, 0, y, yBase + oy0 * ow, rows * ow);
              } else {
                for (int r = 0; r < rows; r++) {
                  System.arraycopy(acc, r * pitch, y, yBase + (oy0 + r) * ow, ow);
                }
              }
            }
          }
        });
  }

  private static final class DepthwiseScratch {
    final float[] planes;
    final float[] acc;
    final float[] x0;
    final float[] x1;

    DepthwiseScratch(Phases ph, int chunkLen) {
      planes = ph.direct ? null : new float[ph.planeSize];
      acc = new float[chunkLen];
      x0 = new float[chunkLen];
      x1 = new float[chunkLen];
    }
  }
}
