package dev.potaccel.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CodeKernelsTest {

  /** The double formula of docs/accelerator.md §1.1, the reference. */
  private static int reference(float v, int frac, int lo, int hi) {
    double x = Math.floor(v * Math.scalb(1.0, frac) + 0.5);
    return x < lo ? lo : x > hi ? hi : (int) x; // NaN fails both tests: (int) NaN is 0
  }

  /**
   * Random values and the cases float rounding gets wrong if done naively: exact halves of both
   * signs, the floats next to them (0.49999997 + 0.5 rounds to 1 in float), NaN, infinities,
   * huge and subnormal values; several fractional lengths and both code ranges.
   */
  @Test
  void quantizeEqualsTheDoubleFormula() {
    assumeTrue(VectorKernels.ENABLED, "the JVM runs without --add-modules jdk.incubator.vector");
    Random rnd = new Random(5);
    float[] v = new float[4099];
    int k = 0;
    float[] special = {0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 127.5f, -128.5f, 255.5f,
      Math.nextDown(0.5f), Math.nextUp(0.5f), Math.nextDown(-0.5f), Math.nextUp(-0.5f),
      Math.nextDown(1.5f), Math.nextUp(-1.5f), Float.NaN, Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY, 3e38f, -3e38f, Float.MIN_VALUE, -Float.MIN_VALUE, 0f, -0f,
      4194304.5f, 8388607f, -8388609f};
    for (float f : special) {
      v[k++] = f;
    }
    while (k < v.length) {
      v[k++] = (float) (rnd.nextGaussian() * 3);
    }
    for (int frac : new int[] {-3, 0, 1, 5, 7, 20}) {
      float scale = Math.scalb(1.0f, frac);
      for (int[] range : new int[][] {{-128, 127}, {0, 255}}) {
        // special values again, scaled so that they land on the halves at this frac
        float[] x = v.clone();
        for (int i = 0; i < special.length; i++) {
          x[special.length + i] = special[i] / scale;
        }
        byte[] q = new byte[x.length];
        CodeKernels.quantize(x, scale, range[0], range[1], q, 0, x.length);
        for (int i = 0; i < x.length; i++) {
          int want = reference(x[i], frac, range[0], range[1]);
          int got = range[0] < 0 ? q[i] : q[i] & 0xFF;
          assertEquals(want, got, "v " + x[i] + " frac " + frac + " range " + range[1]);
        }
      }
    }
  }
}
