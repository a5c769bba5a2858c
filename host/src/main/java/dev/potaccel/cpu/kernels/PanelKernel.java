package dev.potaccel.cpu.kernels;

/**
 * The inner multiply-accumulate loop shared by {@link Gemm} and {@link Conv2d}: a few rows of A
 * (scalars broadcast) times a packed panel of B rows, accumulated into rows of a scratch
 * accumulator.
 *
 * <p>B panel rows and accumulator rows are separate {@code float[]} arrays indexed from 0 on
 * purpose: HotSpot's C2 (JDK 17) only auto-vectorizes a loop whose float loads and stores share
 * the same index expression, so every hot loop here reads and writes {@code row[j]}. Rows are
 * processed three at a time with the K loop unrolled by two, which keeps the loop body small
 * enough for C2 to unroll and pack it into AVX vectors (measured: larger bodies fall back to
 * scalar code). Plain multiply and add, not {@link Math#fma}, so it stays fast on CPUs without
 * FMA hardware.
 */
final class PanelKernel {
  private PanelKernel() {}

  /**
   * {@code acc[accRow + r][0, n) += sum over q < kLen of a[aOff + r * lda + q] * panel[q][0, n)}
   * for {@code r < rows}.
   */
  static void multiplyAccumulate(int rows, int n, int kLen, float[] a, int aOff, int lda,
      float[][] panel, float[][] acc, int accRow) {
    int r = 0;
    for (; r + 2 < rows; r += 3) {
      rows3(acc[accRow + r], acc[accRow + r + 1], acc[accRow + r + 2], n, kLen, a,
          aOff + r * lda, lda, panel);
    }
    if (rows - r == 2) {
      rows2(acc[accRow + r], acc[accRow + r + 1], n, kLen, a, aOff + r * lda, lda, panel);
    } else if (rows - r == 1) {
      rows1(acc[accRow + r], n, kLen, a, aOff + r * lda, panel);
    }
  }

  private static void rows3(float[] c0, float[] c1, float[] c2, int n, int kLen, float[] a,
      int a0, int lda, float[][] panel) {
    int a1 = a0 + lda;
    int a2 = a1 + lda;
    int q = 0;
    for (; q + 1 < kLen; q += 2) {
      float u0 = a[a0 + q];
      float u1 = a[a0 + q + 1];
      float v0 = a[a1 + q];
      float v1 = a[a1 + q + 1];
      float w0 = a[a2 + q];
      float w1 = a[a2 + q + 1];
      float[] b0 = panel[q];
      float[] b1 = panel[q + 1];
      for (int j = 0; j < n; j++) {
        float x0 = b0[j];
        float x1 = b1[j];
        c0[j] = c0[j] + u0 * x0 + u1 * x1;
        c1[j] = c1[j] + v0 * x0 + v1 * x1;
        c2[j] = c2[j] + w0 * x0 + w1 * x1;
      }
    }
    if (q < kLen) {
      float u0 = a[a0 + q];
      float v0 = a[a1 + q];
      float w0 = a[a2 + q];
      float[] b0 = panel[q];
      for (int j = 0; j < n; j++) {
        float x0 = b0[j];
        c0[j] = c0[j] + u0 * x0;
        c1[j] = c1[j] + v0 * x0;
        c2[j] = c2[j] + w0 * x0;
      }
    }
  }

  private static void rows2(float[] c0, float[] c1, int n, int kLen, float[] a, int a0, int lda,
      float[][] panel) {
    int a1 = a0 + lda;
    int q = 0;
    for (; q + 1 < kLen; q += 2) {
      float u0 = a[a0 + q];
      float u1 = a[a0 + q + 1];
      float v0 = a[a1 + q];
      float v1 = a[a1 + q + 1];
      float[] b0 = panel[q];
      float[] b1 = panel[q + 1];
      for (int j = 0; j < n; j++) {
        float x0 = b0[j];
        float x1 = b1[j];
        c0[j] = c0[j] + u0 * x0 + u1 * x1;
        c1[j] = c1[j] + v0 * x0 + v1 * x1;
      }
    }
    if (q < kLen) {
      float u0 = a[a0 + q];
      float v0 = a[a1 + q];
      float[] b0 = panel[q];
      for (int j = 0; j < n; j++) {
        float x0 = b0[j];
        c0[j] = c0[j] + u0 * x0;
        c1[j] = c1[j] + v0 * x0;
      }
    }
  }

  private static void rows1(float[] c0, int n, int kLen, float[] a, int a0, float[][] panel) {
    int q = 0;
    for (; q + 3 < kLen; q += 4) {
      float u0 = a[a0 + q];
      float u1 = a[a0 + q + 1];
      float u2 = a[a0 + q + 2];
      float u3 = a[a0 + q + 3];
      float[] b0 = panel[q];
      float[] b1 = panel[q + 1];
      float[] b2 = panel[q + 2];
      float[] b3 = panel[q + 3];
      for (int j = 0; j < n; j++) {
        c0[j] = c0[j] + u0 * b0[j] + u1 * b1[j] + u2 * b2[j] + u3 * b3[j];
      }
    }
    for (; q < kLen; q++) {
      float u0 = a[a0 + q];
      float[] b0 = panel[q];
      for (int j = 0; j < n; j++) {
        c0[j] = c0[j] + u0 * b0[j];
      }
    }
  }

  /** {@code acc[0, n) += w0 * x0[0, n) + w1 * x1[0, n)}. */
  static void axpy2(float[] acc, int n, float w0, float[] x0, float w1, float[] x1) {
    for (int j = 0; j < n; j++) {
      acc[j] = acc[j] + w0 * x0[j] + w1 * x1[j];
    }
  }

  /** {@code acc[0, n) += w0 * x0[0, n)}. */
  static void axpy1(float[] acc, int n, float w0, float[] x0) {
    for (int j = 0; j < n; j++) {
      acc[j] = acc[j] + w0 * x0[j];
    }
  }

  /** {@code row[0, n) *= s}. */
  static void scale(float[] row, int n, float s) {
    for (int j = 0; j < n; j++) {
      row[j] *= s;
    }
  }
}
