package dev.potaccel.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GemmTest {
  private static ForkJoinPool pool;

  @BeforeAll
  static void startPool() {
    pool = new ForkJoinPool(3);
  }

  @AfterAll
  static void stopPool() {
    pool.shutdownNow();
  }

  /** C = alpha * op(A) * op(B) + beta * C with natural leading dimensions, in double. */
  static double[] reference(boolean ta, boolean tb, int M, int N, int K, float alpha, float[] a,
      int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
    double[] out = new double[M * N];
    for (int i = 0; i < M; i++) {
      for (int j = 0; j < N; j++) {
        double s = 0;
        for (int k = 0; k < K; k++) {
          double av = ta ? a[aOff + k * M + i] : a[aOff + i * K + k];
          double bv = tb ? b[bOff + j * K + k] : b[bOff + k * N + j];
          s += av * bv;
        }
        double prev = beta == 0f ? 0 : (double) beta * c[cOff + i * N + j];
        out[i * N + j] = alpha * s + prev;
      }
    }
    return out;
  }

  private static void check(Random rnd, boolean ta, boolean tb, int M, int N, int K, float alpha,
      float beta, int aOff, int bOff, int cOff, ForkJoinPool p) {
    float[] a = Tolerance.randomArray(rnd, aOff + M * K, 1f);
    float[] b = Tolerance.randomArray(rnd, bOff + K * N, 1f);
    float[] c = Tolerance.randomArray(rnd, cOff + M * N + 3, 1f);
    double[] expected = reference(ta, tb, M, N, K, alpha, a, aOff, b, bOff, beta, c, cOff);
    float[] before = c.clone();
    Gemm.sgemm(ta, tb, M, N, K, alpha, a, aOff, b, bOff, beta, c, cOff, p);
    float[] got = Arrays.copyOfRange(c, cOff, cOff + M * N);
    Tolerance.assertClose("sgemm ta=" + ta + " tb=" + tb + " M=" + M + " N=" + N + " K=" + K
        + " alpha=" + alpha + " beta=" + beta, expected, got, M * N);
    // nothing outside C's range is touched
    assertArrayEquals(Arrays.copyOfRange(before, 0, cOff), Arrays.copyOfRange(c, 0, cOff));
    assertArrayEquals(Arrays.copyOfRange(before, cOff + M * N, c.length),
        Arrays.copyOfRange(c, cOff + M * N, c.length));
  }

  @Test
  void allTransposeCombinationsOddSizes() {
    Random rnd = new Random(42);
    int[] sizes = {1, 7, 65, 130};
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        for (int M : sizes) {
          for (int N : sizes) {
            for (int K : sizes) {
              float alpha = 0.75f;
              float beta = -1.5f;
              check(rnd, ta, tb, M, N, K, alpha, beta, 3, 5, 2, (M + N) % 2 == 0 ? pool : null);
            }
          }
        }
      }
    }
  }

  @Test
  void alphaBetaSpecialValues() {
    Random rnd = new Random(7);
    float[][] ab = {{1f, 0f}, {1f, 1f}, {2.5f, 0f}, {-1f, 0.5f}, {0f, 2f}, {0f, 0f}};
    for (float[] v : ab) {
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          check(rnd, ta, tb, 33, 47, 19, v[0], v[1], 0, 0, 0, pool);
        }
      }
    }
  }

  @Test
  void largeBlockedShapes() {
    Random rnd = new Random(11);
    // crosses the K panel depth, the column panel width and the row block height
    check(rnd, false, false, 200, 600, 300, 1f, 0f, 0, 0, 0, pool);
    check(rnd, true, true, 101, 517, 290, 0.5f, 1f, 1, 2, 3, pool);
    check(rnd, false, true, 130, 300, 270, 1f, 0f, 0, 0, 0, null);
    check(rnd, true, false, 98, 259, 257, -1f, 0.25f, 0, 0, 0, pool);
    // batch-1 fully connected layer shape (dot-product path)
    check(rnd, false, true, 1, 1000, 512, 1f, 1f, 0, 0, 0, pool);
    check(rnd, true, true, 2, 333, 129, 1f, 0f, 0, 0, 0, pool);
  }

  @Test
  void betaZeroIgnoresNaNInC() {
    float[] a = {1, 2, 3, 4};
    float[] b = {1, 0, 0, 1};
    float[] c = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
    Gemm.sgemm(false, false, 2, 2, 2, 1f, a, 0, b, 0, 0f, c, 0, null);
    assertArrayEquals(new float[] {1, 2, 3, 4}, c);
    float[] c2 = {Float.NaN, 1, 1, 1};
    Gemm.sgemm(false, true, 1, 4, 0, 1f, a, 0, b, 0, 0f, c2, 0, null);
    assertArrayEquals(new float[] {0, 0, 0, 0}, c2);
  }

  @Test
  void zeroSizesAreNoOps() {
    float[] c = {5f};
    Gemm.sgemm(false, false, 0, 1, 1, 1f, new float[0], 0, new float[1], 0, 0f, c, 0, pool);
    Gemm.sgemm(false, false, 1, 0, 1, 1f, new float[1], 0, new float[0], 0, 0f, c, 0, pool);
    assertArrayEquals(new float[] {5f}, c);
  }

  @Test
  void invalidArgumentsNameTheField() {
    float[] m = new float[16];
    assertMessage("M", () -> Gemm.sgemm(false, false, -1, 2, 2, 1f, m, 0, m, 0, 0f, m, 0, null));
    assertMessage("N", () -> Gemm.sgemm(false, false, 2, -1, 2, 1f, m, 0, m, 0, 0f, m, 0, null));
    assertMessage("K", () -> Gemm.sgemm(false, false, 2, 2, -2, 1f, m, 0, m, 0, 0f, m, 0, null));
    assertMessage("a", () -> Gemm.sgemm(false, false, 4, 4, 5, 1f, m, 0, new float[20], 0, 0f,
        m, 0, null));
    assertMessage("b", () -> Gemm.sgemm(false, false, 4, 4, 4, 1f, m, 0, m, 1, 0f, m, 0, null));
    assertMessage("c", () -> Gemm.sgemm(false, false, 4, 4, 4, 1f, m, 0, m, 0, 0f, null, 0,
        null));
    assertMessage("a", () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, m, -1, m, 0, 0f, m, 0, null));
  }

  static void assertMessage(String field, Runnable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
    assertTrue(e.getMessage().startsWith(field + " "),
        "message should name " + field + ": " + e.getMessage());
  }
}
