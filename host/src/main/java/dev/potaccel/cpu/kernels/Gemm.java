package dev.potaccel.cpu.kernels;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;

/**
 * Single-precision general matrix multiply, {@code C = alpha * op(A) * op(B) + beta * C}, on
 * row-major matrices stored in flat arrays at an offset with their natural leading dimensions:
 * op(A) is M x K (A itself is M x K, or K x M when transposed), op(B) is K x N (B is K x N, or
 * N x K when transposed), C is M x N. Cache-blocked (B packed into L2-sized panels, C
 * accumulated in L1-sized row strips) and parallel over blocks of C rows and columns.
 */
public final class Gemm {
  /** Panel width (columns of C / B handled per task). */
  static final int NC = 256;
  /** Depth of one packed B panel. */
  static final int KC = 256;
  /**
   * Most rows of C per task (a multiple of 3, the kernel's row step). Only three accumulator
   * rows are live at a time, so this bounds scratch memory rather than cache use; row blocks
   * mainly exist to give every worker a share.
   */
  static final int MC = 240;
  /** Below this many multiply-adds the work is not worth a thread hand-off. */
  static final long PARALLEL_THRESHOLD = 1L << 17;

  private Gemm() {}

  /**
   * Computes {@code C = alpha * op(A) * op(B) + beta * C}. When {@code beta == 0} C is not
   * read (NaN in C does not propagate), as in BLAS. C must not overlap A or B.
   *
   * @param pool the pool to run on; null (or parallelism 1) runs in the calling thread
   * @throws IllegalArgumentException for negative sizes or offsets, or too-short arrays
   */
  public static void sgemm(boolean transA, boolean transB, int M, int N, int K, float alpha,
      float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff,
      ForkJoinPool pool) {
    Bounds.requireNonNegative("M", M);
    Bounds.requireNonNegative("N", N);
    Bounds.requireNonNegative("K", K);
    Bounds.requireRange("a", a, aOff, (long) M * K);
    Bounds.requireRange("b", b, bOff, (long) K * N);
    Bounds.requireRange("c", c, cOff, (long) M * N);
    if (M == 0 || N == 0) {
      return;
    }
    if (K == 0 || alpha == 0f) {
      scaleC(M, N, beta, c, cOff);
      return;
    }
    long work = (long) M * N * K;
    ForkJoinPool p = work < PARALLEL_THRESHOLD ? null : pool;
    int par = ParallelTasks.workers(p, Integer.MAX_VALUE);
    if (transB && M <= 2) {
      dotRows(transA, M, N, K, alpha, a, aOff, b, bOff, beta, c, cOff, p, par);
      return;
    }
    Blocking blk = Blocking.of(M, N, par, MC, NC);
    int mBlocks = blk.mBlocks;
    int kc = Math.min(K, KC);
    boolean directA = !transA && alpha == 1f;
    ParallelTasks.run(p, mBlocks * blk.nBlocks,
        ws -> new Scratch(ws, blk.mc, kc, blk.nc, directA),
        (task, s) -> {
          int i0 = (task % mBlocks) * blk.mc;
          int rows = Math.min(blk.mc, M - i0);
          int j0 = (task / mBlocks) * blk.nc;
          int n = Math.min(blk.nc, N - j0);
          block(transA, transB, i0, rows, j0, n, M, N, K, alpha, a, aOff, b, bOff, beta, c,
              cOff, s);
        });
  }

  private static void block(boolean transA, boolean transB, int i0, int rows, int j0, int n,
      int M, int N, int K, float alpha, float[] a, int aOff, float[] b, int bOff, float beta,
      float[] c, int cOff, Scratch s) {
    float[][] acc = s.acc;
    for (int r = 0; r < rows; r++) {
      float[] row = acc[r];
      if (beta == 0f) {
        Arrays.fill(row, 0, n, 0f);
      } else {
        System.arraycopy(c, cOff + (i0 + r) * N + j0, row, 0, n);
        if (beta != 1f) {
          PanelKernel.scale(row, n, beta);
        }
      }
    }
    float[][] panel = s.panel;
    for (int k0 = 0; k0 < K; k0 += KC) {
      int kLen = Math.min(KC, K - k0);
      if (transB) {
        packTransposed(b, bOff, K, j0, n, k0, kLen, panel);
      } else {
        for (int q = 0; q < kLen; q++) {
          System.arraycopy(b, bOff + (k0 + q) * N + j0, panel[q], 0, n);
        }
      }
      if (s.packedA == null) {
        PanelKernel.multiplyAccumulate(rows, n, kLen, a, aOff + i0 * K + k0, K, panel, acc, 0);
      } else {
        float[] ap = s.packedA;
        for (int r = 0; r < rows; r++) {
          int d = r * kLen;
          if (transA) {
            int src = aOff + k0 * M + i0 + r;
            for (int q = 0; q < kLen; q++) {
              ap[d + q] = alpha * a[src + q * M];
            }
          } else {
            int src = aOff + (i0 + r) * K + k0;
            for (int q = 0; q < kLen; q++) {
              ap[d + q] = alpha * a[src + q];
            }
          }
        }
        PanelKernel.multiplyAccumulate(rows, n, kLen, ap, 0, kLen, panel, acc, 0);
      }
    }
    for (int r = 0; r < rows; r++) {
      System.arraycopy(acc[r], 0, c, cOff + (i0 + r) * N + j0, n);
    }
  }

  /** panel[q][jj] = B^T[k0 + q][j0 + jj] = b[(j0 + jj) * K + k0 + q], in small column blocks. */
  private static void packTransposed(float[] b, int bOff, int K, int j0, int n, int k0, int kLen,
      float[][] panel) {
    final int step = 8;
    for (int jb = 0; jb < n; jb += step) {
      int jEnd = Math.min(n, jb + step);
      for (int q = 0; q < kLen; q++) {
        float[] dst = panel[q];
        int src = bOff + (j0 + jb) * K + k0 + q;
        for (int jj = jb; jj < jEnd; jj++, src += K) {
          dst[jj] = b[src];
        }
      }
    }
  }

  /**
   * Few rows of A against a transposed B: each C element is a dot product of two contiguous
   * vectors, which beats transposing all of B (the typical batch-1 fully connected layer). Each
   * B row is copied to a zero-offset scratch row so the element-wise products vectorize; the
   * products are then summed in eight independent lanes.
   */
  private static void dotRows(boolean transA, int M, int N, int K, float alpha, float[] a,
      int aOff, float[] b, int bOff, float beta, float[] c, int cOff, ForkJoinPool p, int par) {
    float[][] rowsA = new float[M][];
    for (int i = 0; i < M; i++) {
      float[] row = new float[K];
      for (int k = 0; k < K; k++) {
        row[k] = transA ? a[aOff + k * M + i] : a[aOff + i * K + k];
      }
      rowsA[i] = row;
    }
    int chunk = Math.max(16, (N + 4 * par - 1) / (4 * par));
    int tasks = (N + chunk - 1) / chunk;
    ParallelTasks.run(p, tasks, ws -> ws, (task, ws) -> {
      float[] bRow = ws.floats(0, K);
      float[] prod = ws.floats(1, K);
      int jEnd = Math.min(N, (task + 1) * chunk);
      for (int j = task * chunk; j < jEnd; j++) {
        System.arraycopy(b, bOff + j * K, bRow, 0, K);
        for (int i = 0; i < M; i++) {
          float dot = alpha * dot(rowsA[i], bRow, prod, K);
          int ci = cOff + i * N + j;
          c[ci] = beta == 0f ? dot : dot + beta * c[ci];
        }
      }
    });
  }

  private static float dot(float[] x, float[] y, float[] prod, int len) {
    for (int k = 0; k < len; k++) {
      prod[k] = x[k] * y[k];
    }
    float s0 = 0f;
    float s1 = 0f;
    float s2 = 0f;
    float s3 = 0f;
    float s4 = 0f;
    float s5 = 0f;
    float s6 = 0f;
    float s7 = 0f;
    int k = 0;
    for (; k + 7 < len; k += 8) {
      s0 += prod[k];
      s1 += prod[k + 1];
      s2 += prod[k + 2];
      s3 += prod[k + 3];
      s4 += prod[k + 4];
      s5 += prod[k + 5];
      s6 += prod[k + 6];
      s7 += prod[k + 7];
    }
    for (; k < len; k++) {
      s0 += prod[k];
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }

  private static void scaleC(int M, int N, float beta, float[] c, int cOff) {
    int end = cOff + M * N;
    if (beta == 0f) {
      Arrays.fill(c, cOff, end, 0f);
    } else if (beta != 1f) {
      for (int i = cOff; i < end; i++) {
        c[i] *= beta;
      }
    }
  }

  /** Per-worker scratch: packed B panel, C accumulator strip, packed A block. */
  private static final class Scratch {
    final float[][] panel;
    final float[][] acc;
    final float[] packedA;

    Scratch(Workspace ws, int mc, int kc, int nc, boolean directA) {
      panel = ws.rows(0, kc, nc);
      acc = ws.rows(1, mc, nc);
      packedA = directA ? null : ws.floats(0, mc * kc);
    }
  }

  /**
   * How an M x N output splits into tasks: column blocks of at most {@code nc} (balanced) and
   * row blocks of at most {@code mc}, cut finer when there are too few tasks for the workers
   * (about two per worker).
   */
  static final class Blocking {
    final int mc;
    final int nc;
    final int mBlocks;
    final int nBlocks;

    private Blocking(int mc, int nc, int rows, int cols) {
      this.mc = mc;
      this.nc = nc;
      this.mBlocks = (rows + mc - 1) / mc;
      this.nBlocks = (cols + nc - 1) / nc;
    }

    /**
     * @param outer independent outer repetitions (e.g. groups) that multiply the task count
     */
    static Blocking of(int rows, int cols, int workers, int maxRows, int maxCols) {
      return of(rows, cols, workers, maxRows, maxCols, 1);
    }

    static Blocking of(int rows, int cols, int workers, int maxRows, int maxCols, int outer) {
      int nBlocks = (cols + maxCols - 1) / maxCols;
      int mBlocks = (rows + maxRows - 1) / maxRows;
      int want = workers > 1 ? 2 * workers : 1;
      // split columns first (each row block re-packs its panels), but keep panels >= 128 wide
      while ((long) outer * nBlocks * mBlocks < want && cols / (nBlocks + 1) >= 128) {
        nBlocks++;
      }
      // then rows, not below 24 per block
      while ((long) outer * nBlocks * mBlocks < want && rows / (mBlocks + 1) >= 24) {
        mBlocks++;
      }
      // a few tasks that do not divide among the workers leave some idle at the end
      while (workers > 1 && (long) outer * nBlocks * mBlocks < 8L * workers
          && (long) outer * nBlocks * mBlocks % workers != 0) {
        if (rows / (mBlocks + 1) >= 12) {
          mBlocks++;
        } else if (cols / (nBlocks + 1) >= 64) {
          nBlocks++;
        } else {
          break;
        }
      }
      int mc = roundUp((rows + mBlocks - 1) / mBlocks, 3);
      int nc = roundUp((cols + nBlocks - 1) / nBlocks, 8);
      return new Blocking(Math.min(mc, rows), Math.min(nc, cols), rows, cols);
    }

    private static int roundUp(int v, int m) {
      return (v + m - 1) / m * m;
    }
  }
}
