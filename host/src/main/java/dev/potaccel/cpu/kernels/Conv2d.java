package dev.potaccel.cpu.kernels;

import dev.potaccel.simd.FloatTileKernel;
import dev.potaccel.simd.VectorKernels;
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
 * Ungrouped convolutions of a batch of at least half a vector of images go to {@link
 * LaneConv2d} instead when the Vector API kernels run.
 */
public final class Conv2d {
  /** Below this many multiply-adds the convolution runs in the calling thread. */
  static final long PARALLEL_THRESHOLD = 1L << 17;
  /** Output pixels per depthwise accumulation pass (three scratch rows of this stay in L1). */
  static final int DEPTHWISE_CHUNK = 2048;
  /**
   * Pitched columns waste {@code groupOutputs * (Q - outW)} multiply-adds per output pixel and
   * per K row; compact columns cost one extra short copy per output row. Pitched up to this.
   */
  static final int PITCH_WASTE_LIMIT = 128;
  /** Most floats of phase planes built at once; bigger batches are convolved in passes. */
  static final int PHASE_BUFFER_LIMIT = 1 << 22;
  /** K rows per block of the Vector API path (measured: 64 and 128 no better than 256). */
  static final int VECTOR_KC = Gemm.KC;

  private Conv2d() {}

  /**
   * True if {@link #conv2d} writes every element of {@code y} for these parameters (the lane
   * path), so {@code y} may hold anything beforehand; false where it may rely on zeros.
   */
  public static boolean writesEveryOutput(Conv2dParams p) {
    return VectorKernels.ENABLED && LaneConv2d.applies(p);
  }

  /**
   * Computes {@code y = conv(x, w) + bias}. Arrays may be longer than needed; only the leading
   * elements are used. y must not overlap x or w.
   *
   * @param bias per-output-channel bias {@code [m]}, or null for none
   * @param pool the pool to run on; null (or parallelism 1) runs in the calling thread
   * @throws IllegalArgumentException if an array is null (bias excepted) or too short
   */
  public static void conv2d(Conv2dParams p, float[] x, float[] w, float[] bias, float[] y,
      ForkJoinPool pool) {
    conv2d(p, x, w, bias, y, pool, PHASE_BUFFER_LIMIT, VectorKernels.ENABLED, false);
  }

  /**
   * As {@link #conv2d(Conv2dParams, float[], float[], float[], float[], ForkJoinPool)}, then
   * {@code y = max(y, 0)} when {@code relu} (Math.max: NaN stays NaN), in the write-out where the
   * lane path runs.
   */
  public static void conv2d(Conv2dParams p, float[] x, float[] w, float[] bias, float[] y,
      ForkJoinPool pool, boolean relu) {
    conv2d(p, x, w, bias, y, pool, PHASE_BUFFER_LIMIT, VectorKernels.ENABLED, relu);
  }

  /**
   * As the public method, with an explicit cap on the phase-plane buffer (in floats) and a
   * choice of GEMM core ({@code vector} only when {@link VectorKernels#ENABLED}).
   */
  static void conv2d(Conv2dParams p, float[] x, float[] w, float[] bias, float[] y,
      ForkJoinPool pool, int phaseBufferLimit, boolean vector) {
    conv2d(p, x, w, bias, y, pool, phaseBufferLimit, vector, false);
  }

  static void conv2d(Conv2dParams p, float[] x, float[] w, float[] bias, float[] y,
      ForkJoinPool pool, int phaseBufferLimit, boolean vector, boolean relu) {
    if (p == null) {
      throw new IllegalArgumentException("p is null");
    }
    Bounds.requireRange("x", x, 0, p.inputSize());
    Bounds.requireRange("w", w, 0, p.weightSize());
    if (bias != null) {
      Bounds.requireRange("bias", bias, 0, p.m());
    }
    Bounds.requireRange("y", y, 0, p.outputSize());
    long macs = (long) p.outputSize() * p.groupChannels() * p.kh() * p.kw();
    ForkJoinPool pl = macs < PARALLEL_THRESHOLD ? null : pool;
    PhasePlanes ph = new PhasePlanes(p.h(), p.w(), p.kh(), p.kw(), p.strideH(), p.strideW(),
        p.padTop(), p.padLeft(), p.padBottom(), p.padRight(), p.dilationH(), p.dilationW());
    if (vector && LaneConv2d.applies(p)) {
      LaneConv2d.conv2d(p, x, w, bias, y, pl, relu);
      return;
    }
    if (p.groupChannels() == 1 && p.groupOutputs() <= 2) {
      depthwise(p, ph, x, w, bias, y, pl);
    } else {
      im2colGemm(p, ph, x, w, bias, y, pl, phaseBufferLimit, vector);
    }
    if (relu) {
      int n = p.outputSize();
      ParallelTasks.run(n < (1 << 16) ? null : pl, (n + (1 << 15) - 1) >> 15, unused -> null,
          (t, unused) -> {
            for (int i = t << 15, end = Math.min(n, (t + 1) << 15); i < end; i++) {
              y[i] = Math.max(y[i], 0f);
            }
          });
    }
  }

  // ---------------------------------------------------------------- im2col + GEMM

  private static void im2colGemm(Conv2dParams p, PhasePlanes ph, float[] x, float[] w, float[] bias,
      float[] y, ForkJoinPool pool, int phaseBufferLimit, boolean vector) {
    final int c = p.c();
    final int hw = p.h() * p.w();
    final int imgStride = c * ph.planeSize;
    // images per pass: bounds the phase-plane buffer for big batches
    final int perPass = ph.direct ? p.n()
        : Math.max(1, Math.min(p.n(), phaseBufferLimit / imgStride));
    final int outImg = p.m() * p.outH() * p.outW();
    Workspace ws = Workspace.acquire();
    try {
      if (vector) {
        im2colGemmVector(p, ph, x, w, bias, y, pool, perPass, ws);
        return;
      }
      final float[] xp = ph.direct ? null : ws.floats(0, perPass * imgStride);
      for (int i0 = 0; i0 < p.n(); i0 += perPass) {
        int count = Math.min(perPass, p.n() - i0);
        int xOff = i0 * c * hw;
        if (ph.direct) {
          gemmPass(p, ph, x, xOff, count, w, bias, y, i0 * outImg, pool);
        } else {
          ParallelTasks.run(count * c * hw < (1 << 15) ? null : pool, count * c, unused -> null,
              (plane, unused) -> ph.build(x, xOff + plane * hw, xp, plane * ph.planeSize, 0f));
          gemmPass(p, ph, xp, 0, count, w, bias, y, i0 * outImg, pool);
        }
      }
    } finally {
      ws.release();
    }
  }

  // ---------------------------------------------------------------- im2col + GEMM, Vector API

  /**
   * The {@link VectorKernels#ENABLED} form of {@link #im2colGemm}: weights packed once into
   * 4-row tiles, B read in place from the phase planes (no im2col copy). Every output column
   * keeps the pitched layout, and each image's columns are padded to whole strips of {@code
   * FloatTileKernel.NR} columns so a strip never spans two images; the padding and overhang
   * columns read whatever follows in the
   * buffer (a slack region keeps those reads in bounds) and are never copied out.
   */
  private static void im2colGemmVector(Conv2dParams p, PhasePlanes ph, float[] x, float[] w,
      float[] bias, float[] y, ForkJoinPool pool, int perPass, Workspace ws) {
    final int c = p.c();
    final int hw = p.h() * p.w();
    final int imgStride = c * ph.planeSize;
    final int outImg = p.m() * p.outH() * p.outW();
    final int kTotal = p.groupChannels() * p.kh() * p.kw();
    final int taps = p.kh() * p.kw();
    final int[] kOffset = new int[kTotal];
    int maxOffset = 0;
    for (int k = 0; k < kTotal; k++) {
      kOffset[k] = (k / taps) * ph.planeSize + ph.tapOffset[k % taps];
      maxOffset = Math.max(maxOffset, kOffset[k]);
    }
    final int colsPerImg = roundUp(p.outH() * ph.pitch, FloatTileKernel.NR);
    // furthest float a strip reads past the start of its image's last group
    final int reach = (p.group() - 1) * p.groupChannels() * ph.planeSize + maxOffset + colsPerImg;
    for (int i0 = 0; i0 < p.n(); i0 += perPass) {
      int count = Math.min(perPass, p.n() - i0);
      int need = (count - 1) * imgStride + reach;
      float[] src = ws.floats(0, Math.max(need, count * imgStride));
      int xOff = i0 * c * hw;
      if (ph.direct) {
        System.arraycopy(x, xOff, src, 0, count * c * hw);
      } else {
        ParallelTasks.run(count * c * hw < (1 << 15) ? null : pool, count * c, unused -> null,
            (plane, unused) -> ph.build(x, xOff + plane * hw, src, plane * ph.planeSize, 0f));
      }
      gemmPassVector(p, ph, src, count, w, kOffset, colsPerImg, bias, y, i0 * outImg, pool, ws);
    }
  }

  /**
   * Weights {@code [m][kTotal]} of each group's row blocks of {@code mc} rows, each block cut
   * into row tiles ({@link FloatTileKernel#tileHeights}) stored {@code [tile][k][row]}, rows
   * past the group's last output channel zero. Block (g, b) starts at {@code (g * blocks + b) *
   * stride}.
   */
  private static float[] packWeights(Conv2dParams p, float[] w, int kTotal, int mc, int blocks,
      int stride, Workspace ws) {
    final int mg = p.groupOutputs();
    float[] a = ws.floats(1, p.group() * blocks * stride);
    for (int g = 0; g < p.group(); g++) {
      for (int b = 0; b < blocks; b++) {
        int dst = (g * blocks + b) * stride;
        int row0 = b * mc;
        for (int th : FloatTileKernel.tileHeights(Math.min(mc, mg - row0))) {
          for (int k = 0; k < kTotal; k++) {
            for (int r = 0; r < th; r++) {
              int row = row0 + r;
              a[dst++] = row < mg ? w[(g * mg + row) * kTotal + k] : 0f;
            }
          }
          row0 += th;
        }
      }
    }
    return a;
  }

  private static void gemmPassVector(Conv2dParams p, PhasePlanes ph, float[] src, int images,
      float[] w, int[] kOffset, int colsPerImg, float[] bias, float[] y, int yOff,
      ForkJoinPool pool, Workspace ws) {
    final int mr = FloatTileKernel.MR;
    final int nr = FloatTileKernel.NR;
    final int oh = p.outH();
    final int ow = p.outW();
    final int m = p.m();
    final int kTotal = kOffset.length;
    final int mg = p.groupOutputs();
    final int groups = p.group();
    final int pitch = ph.pitch;
    final int cols = images * colsPerImg;
    final int imgStride = p.c() * ph.planeSize;
    final int groupStride = p.groupChannels() * ph.planeSize;
    int workers = ParallelTasks.workers(pool, Integer.MAX_VALUE);
    Gemm.Blocking blk = Gemm.Blocking.of(mg, cols, workers, Gemm.MC, Gemm.NC, groups);
    final int mc = Math.min(roundUp(blk.mc, mr), mg);
    final int nc = roundUp(blk.nc, nr);
    final int mBlocks = (mg + mc - 1) / mc;
    final int padRows = roundUp(mc, 4) + 2; // most rows the tiles of one block cover
    final int aStride = padRows * kTotal;
    final float[] aPacked = packWeights(p, w, kTotal, mc, mBlocks, aStride, ws);
    final int nBlocks = (cols + nc - 1) / nc;
    final int perGroup = mBlocks * nBlocks;
    final int plane = oh * ow;
    ParallelTasks.run(pool, groups * perGroup, t -> new VectorScratch(t, padRows, nc),
        (task, s) -> {
          int g = task / perGroup;
          int rem = task % perGroup;
          int col0 = (rem / mBlocks) * nc;
          int nt = Math.min(nc, cols - col0);
          int m0 = (rem % mBlocks) * mc;
          int rows = Math.min(mc, mg - m0);
          int[] heights = FloatTileKernel.tileHeights(rows);
          int oc0 = g * mg + m0;
          float[] acc = s.acc;
          float[] rowBias = s.bias;
          for (int r = 0; r < padRows; r++) {
            rowBias[r] = bias == null || r >= rows ? 0f : bias[oc0 + r];
          }
          int aBase = (g * mBlocks + m0 / mc) * aStride;
          for (int j = 0; j < nt; j += nr) {
            int col = col0 + j;
            int img = col / colsPerImg;
            int base = img * imgStride + g * groupStride + (col - img * colsPerImg);
            for (int k0 = 0; k0 < kTotal; k0 += VECTOR_KC) {
              int kLen = Math.min(VECTOR_KC, kTotal - k0);
              for (int t = 0, r0 = 0, aOff = aBase; t < heights.length; t++) {
                int th = heights[t];
                FloatTileKernel.tile(th, kLen, aPacked, aOff + k0 * th, src, base, kOffset,
                    k0, k0 == 0 ? rowBias : null, r0, acc, r0 * nt + j, nt);
                aOff += th * kTotal;
                r0 += th;
              }
            }
          }
          // copy the real pixels out: runs within one output row
          for (int j = 0; j < nt; ) {
            int col = col0 + j;
            int img = col / colsPerImg;
            int within = col - img * colsPerImg;
            int oy = within / pitch;
            int ox = within - oy * pitch;
            int step = Math.min(Math.min(pitch - ox, nt - j), colsPerImg - within);
            int len = Math.min(step, ow - ox);
            if (oy < oh && len > 0) {
              int dst = yOff + (img * m + oc0) * plane + oy * ow + ox;
              for (int r = 0; r < rows; r++, dst += plane) {
                System.arraycopy(acc, r * nt + j, y, dst, len);
              }
            }
            j += step;
          }
        });
  }

  private static int roundUp(int v, int multiple) {
    return (v + multiple - 1) / multiple * multiple;
  }

  /** Per-worker scratch of the Vector API path: the accumulator tile rows. */
  private static final class VectorScratch {
    final float[] acc;
    final float[] bias;

    VectorScratch(Workspace ws, int rows, int nc) {
      acc = ws.floats(2, rows * nc);
      bias = ws.floats(3, rows);
    }
  }

  /**
   * Convolves {@code images} images whose source planes start at {@code src[srcOff]} (stride
   * {@code c * planeSize} per image) into y from {@code yOff}.
   */
  private static void gemmPass(Conv2dParams p, PhasePlanes ph, float[] src, int srcOff, int images,
      float[] w, float[] bias, float[] y, int yOff, ForkJoinPool pool) {
    final int oh = p.outH();
    final int ow = p.outW();
    final int m = p.m();
    final int kTotal = p.groupChannels() * p.kh() * p.kw();
    final int mg = p.groupOutputs();
    final int groups = p.group();
    final int pitch = ph.pitch;
    // K row k = (ci, ky, kx) reads src at image base + group base + kOffset[k] + column
    final int taps = p.kh() * p.kw();
    final int[] kOffset = new int[kTotal];
    for (int k = 0; k < kTotal; k++) {
      kOffset[k] = (k / taps) * ph.planeSize + ph.tapOffset[k % taps];
    }
    final boolean pitched = pitch == ow || (long) mg * (pitch - ow) <= PITCH_WASTE_LIMIT;
    final int colsPerImg = oh * (pitched ? pitch : ow);
    final int cols = images * colsPerImg;
    final int imgStride = p.c() * ph.planeSize;
    final int groupStride = p.groupChannels() * ph.planeSize;
    int workers = ParallelTasks.workers(pool, Integer.MAX_VALUE);
    Gemm.Blocking blk = Gemm.Blocking.of(mg, cols, workers, Gemm.MC, Gemm.NC, groups);
    final int mBlocks = blk.mBlocks;
    final int perGroup = blk.mBlocks * blk.nBlocks;
    final int kc = Math.min(kTotal, Gemm.KC);
    ParallelTasks.run(pool, groups * perGroup, ws -> new Scratch(ws, blk.mc, kc, blk.nc),
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
          int gBase = srcOff + g * groupStride;
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
            int dst = yOff + (s.segImg[t] * m + oc0) * plane + s.segY[t] * ow + s.segX[t];
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

  /** Per-worker scratch of the GEMM path: B panel, accumulator strip, tile run table. */
  private static final class Scratch {
    final float[][] panel;
    final float[][] acc;
    final int[] segJ;
    final int[] segImg;
    final int[] segY;
    final int[] segX;
    final int[] segLen;

    Scratch(Workspace ws, int mc, int kc, int nc) {
      panel = ws.rows(0, kc, nc);
      acc = ws.rows(1, mc, nc);
      segJ = ws.ints(0, nc);
      segImg = ws.ints(1, nc);
      segY = ws.ints(2, nc);
      segX = ws.ints(3, nc);
      segLen = ws.ints(4, nc);
    }
  }

  // ---------------------------------------------------------------- depthwise

  private static void depthwise(Conv2dParams p, PhasePlanes ph, float[] x, float[] w, float[] bias,
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
    ParallelTasks.run(pool, p.n() * groups, ws -> new DepthwiseScratch(ws, ph, chunkLen),
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
            ph.build(x, (img * p.c() + g) * hw, s.planes, 0, 0f);
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

    DepthwiseScratch(Workspace ws, PhasePlanes ph, int chunkLen) {
      planes = ph.direct ? null : ws.floats(0, ph.planeSize);
      acc = ws.floats(1, chunkLen);
      x0 = ws.floats(2, chunkLen);
      x1 = ws.floats(3, chunkLen);
    }
  }
}
