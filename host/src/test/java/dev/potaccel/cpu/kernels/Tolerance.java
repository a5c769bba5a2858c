package dev.potaccel.cpu.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;

/** Element-wise comparison of kernel output against a double-precision reference. */
final class Tolerance {
  static final double REL = 1e-4;
  static final double ABS = 1e-5;

  private Tolerance() {}

  static void assertClose(String what, double[] expected, float[] actual, int count) {
    for (int i = 0; i < count; i++) {
      double e = expected[i];
      double a = actual[i];
      boolean ok = Double.isNaN(e) ? Double.isNaN(a)
          : Double.isInfinite(e) ? e == a
          : Math.abs(a - e) <= ABS + REL * Math.abs(e);
      if (!ok) {
        fail(what + ": element " + i + " expected " + e + " but was " + a);
      }
    }
  }

  static float[] randomArray(Random rnd, int len, float scale) {
    float[] a = new float[len];
    for (int i = 0; i < len; i++) {
      a[i] = (rnd.nextFloat() * 2f - 1f) * scale;
    }
    return a;
  }
}
