package dev.potaccel.emulator;

/**
 * The convolution's multiply-accumulate core: a few rows of integer weight levels (scalars
 * broadcast) times a panel of activation rows, accumulated into rows of int accumulators.
 *
 * <p>Panel and accumulator rows are separate {@code int[]} arrays indexed from 0 on purpose:
 * HotSpot's C2 (JDK 17) vectorizes a loop only when its loads and stores share one index
 * expression, so every hot loop reads and writes {@code row[j]}. Three rows at a time with the K
 * loop unrolled by two keeps the body small enough for C2 to unroll and pack into AVX2 vectors
 * (the shape the host's FP32 {@code PanelKernel} measured best; 4 rows or 3-4 K steps measured
 * up to 4x slower, as C2 then often leaves the loop scalar). Int arithmetic is exact: the
 * compiler's bound (docs/accelerator.md §1.4), checked again when the emulator is built, keeps
 * every partial sum inside int32 in any order. The float methods are the same loops on floats,
 * used only where every partial sum is an integer of magnitude at most 2^24, so each float
 * operation is exact too (ConvStep explains the choice). They keep plain multiply and add, not
 * {@link Math#fma}: equal results here, and {@code fma} is very slow on CPUs without FMA.
 */
final class MacKernel {
  private MacKernel() {}

  /**
   * {@code acc[accRow + r][0, n) += sum over q < kLen of w[wOff + r * ldw + q] * panel[q][0, n)}
   * for {@code r < rows}.
   */
  static void multiplyAccumulate(int rows, int n, int kLen, int[] w, int wOff, int ldw,
      int[][] panel, int[][] acc, int accRow) {
    int r = 0;
    for (; r + 2 < rows; r += 3) {
      rows3(acc[accRow + r], acc[accRow + r + 1], acc[accRow + r + 2], n, kLen, w,
          wOff + r * ldw, ldw, panel);
    }
    if (rows - r == 2) {
      rows2(acc[accRow + r], acc[accRow + r + 1], n, kLen, w, wOff + r * ldw, ldw, panel);
    } else if (rows - r == 1) {
      rows1(acc[accRow + r], n, kLen, w, wOff + r * ldw, panel);
    }
  }

  private static void rows3(int[] c0, int[] c1, int[] c2, int n, int kLen, int[] w, int w0off,
      int ldw, int[][] panel) {
    int w1off = w0off + ldw;
    int w2off = w1off + ldw;
    int q = 0;
    for (; q + 1 < kLen; q += 2) {
      int u0 = w[w0off + q];
      int u1 = w[w0off + q + 1];
      int v0 = w[w1off + q];
      int v1 = w[w1off + q + 1];
      int z0 = w[w2off + q];
      int z1 = w[w2off + q + 1];
      if ((u0 | u1 | v0 | v1 | z0 | z1) == 0) {
        continue;
      }
      int[] b0 = panel[q];
      int[] b1 = panel[q + 1];
      for (int j = 0; j < n; j++) {
        int x0 = b0[j];
        int x1 = b1[j];
        c0[j] = c0[j] + u0 * x0 + u1 * x1;
        c1[j] = c1[j] + v0 * x0 + v1 * x1;
        c2[j] = c2[j] + z0 * x0 + z1 * x1;
      }
    }
    if (q < kLen) {
      int u0 = w[w0off + q];
      int v0 = w[w1off + q];
      int z0 = w[w2off + q];
      int[] b0 = panel[q];
      for (int j = 0; j < n; j++) {
        int x0 = b0[j];
        c0[j] = c0[j] + u0 * x0;
        c1[j] = c1[j] + v0 * x0;
        c2[j] = c2[j] + z0 * x0;
      }
    }
  }

  private static void rows2(int[] c0, int[] c1, int n, int kLen, int[] w, int w0off, int ldw,
      int[][] panel) {
    int w1off = w0off + ldw;
    int q = 0;
    for (; q + 1 < kLen; q += 2) {
      int u0 = w[w0off + q];
      int u1 = w[w0off + q + 1];
      int v0 = w[w1off + q];
      int v1 = w[w1off + q + 1];
      if ((u0 | u1 | v0 | v1) == 0) {
        continue;
      }
      int[] b0 = panel[q];
      int[] b1 = panel[q + 1];
      for (int j = 0; j < n; j++) {
        int x0 = b0[j];
        int x1 = b1[j];
        c0[j] = c0[j] + u0 * x0 + u1 * x1;
        c1[j] = c1[j] + v0 * x0 + v1 * x1;
      }
    }
    if (q < kLen) {
      int u0 = w[w0off + q];
      int v0 = w[w1off + q];
      int[] b0 = panel[q];
      for (int j = 0; j < n; j++) {
        int x0 = b0[j];
        c0[j] = c0[j] + u0 * x0;
        c1[j] = c1[j] + v0 * x0;
      }
    }
  }

  private static void rows1(int[] c0, int n, int kLen, int[] w, int w0off, int[][] panel) {
    int q = 0;
    for (; q + 3 < kLen; q += 4) {
      int u0 = w[w0off + q];
      int u1 = w[w0off + q + 1];
      int u2 = w[w0off + q + 2];
      int u3 = w[w0off + q + 3];
      if ((u0 | u1 | u2 | u3) == 0) {
        continue;
      }
      int[] b0 = panel[q];
      int[] b1 = panel[q + 1];
      int[] b2 = panel[q + 2];
      int[] b3 = panel[q + 3];
      for (int j = 0; j < n; j++) {
        c0[j] = c0[j] + u0 * b0[j] + u1 * b1[j] + u2 * b2[j] + u3 * b3[j];
      }
    }
    for (; q < kLen; q++) {
      int u0 = w[w0off + q];
      if (u0 == 0) {
        continue;
      }
      int[] b0 = panel[q];
      for (int j = 0; j < n; j++) {
        c0[j] = c0[j] + u0 * b0[j];
      }
    }
  }

  /**
   * The float twin of the int method, exact for layers whose product bound is at most 2^24
   * (ConvStep): {@code acc[accRow + r][0, n) += sum over q < kLen of w[wOff + r * ldw + q] *
   * panel[q][0, n)} for {@code r < rows}.
   */
  static void multiplyAccumulate(int rows, int n, int kLen, float[] w, int wOff, int ldw,
      float[][] panel, float[][] acc, int accRow) {
    int r = 0;
    for (; r + 2 < rows; r += 3) {
      floatRows3(acc[accRow + r], acc[accRow + r + 1], acc[accRow + r + 2], n, kLen, w,
          wOff + r * ldw, ldw, panel);
    }
    if (rows - r == 2) {
      floatRows2(acc[accRow + r], acc[accRow + r + 1], n, kLen, w, wOff + r * ldw, ldw, panel);
    } else if (rows - r == 1) {
      floatRows1(acc[accRow + r], n, kLen, w, wOff + r * ldw, panel);
    }
  }

  private static void floatRows3(float[] c0, float[] c1, float[] c2, int n, int kLen,
      float[] w, int w0off, int ldw, float[][] panel) {
    int w1off = w0off + ldw;
    int w2off = w1off + ldw;
    int q = 0;
    for (; q + 1 < kLen; q += 2) {
      float u0 = w[w0off + q];
      float u1 = w[w0off + q + 1];
      float v0 = w[w1off + q];
      float v1 = w[w1off + q + 1];
      float z0 = w[w2off + q];
      float z1 = w[w2off + q + 1];
      if (u0 == 0 && u1 == 0 && v0 == 0 && v1 == 0 && z0 == 0 && z1 == 0) {
        continue;
      }
      float[] b0 = panel[q];
      float[] b1 = panel[q + 1];
      for (int j = 0; j < n; j++) {
        float x0 = b0[j];
        float x1 = b1[j];
        c0[j] = c0[j] + u0 * x0 + u1 * x1;
        c1[j] = c1[j] + v0 * x0 + v1 * x1;
        c2[j] = c2[j] + z0 * x0 + z1 * x1;
      }
    }
    if (q < kLen) {
      float u0 = w[w0off + q];
      float v0 = w[w1off + q];
      float z0 = w[w2off + q];
      float[] b0 = panel[q];
      for (int j = 0; j < n; j++) {
        float x0 = b0[j];
        c0[j] = c0[j] + u0 * x0;
        c1[j] = c1[j] + v0 * x0;
        c2[j] = c2[j] + z0 * x0;
      }
    }
  }

  private static void floatRows2(float[] c0, float[] c1, int n, int kLen, float[] w, int w0off,
      int ldw, float[][] panel) {
    int w1off = w0off + ldw;
    int q = 0;
    for (; q + 1 < kLen; q += 2) {
      float u0 = w[w0off + q];
      float u1 = w[w0off + q + 1];
      float v0 = w[w1off + q];
      float v1 = w[w1off + q + 1];
      if (u0 == 0 && u1 == 0 && v0 == 0 && v1 == 0) {
        continue;
      }
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
      float u0 = w[w0off + q];
      float v0 = w[w1off + q];
      float[] b0 = panel[q];
      for (int j = 0; j < n; j++) {
        float x0 = b0[j];
        c0[j] = c0[j] + u0 * x0;
        c1[j] = c1[j] + v0 * x0;
      }
    }
  }

  private static void floatRows1(float[] c0, int n, int kLen, float[] w, int w0off,
      float[][] panel) {
    int q = 0;
    for (; q + 3 < kLen; q += 4) {
      float u0 = w[w0off + q];
      float u1 = w[w0off + q + 1];
      float u2 = w[w0off + q + 2];
      float u3 = w[w0off + q + 3];
      if (u0 == 0 && u1 == 0 && u2 == 0 && u3 == 0) {
        continue;
      }
      float[] b0 = panel[q];
      float[] b1 = panel[q + 1];
      float[] b2 = panel[q + 2];
      float[] b3 = panel[q + 3];
      for (int j = 0; j < n; j++) {
        c0[j] = c0[j] + u0 * b0[j] + u1 * b1[j] + u2 * b2[j] + u3 * b3[j];
      }
    }
    for (; q < kLen; q++) {
      float u0 = w[w0off + q];
      if (u0 == 0) {
        continue;
      }
      float[] b0 = panel[q];
      for (int j = 0; j < n; j++) {
        c0[j] = c0[j] + u0 * b0[j];
      }
    }
  }
}
