package dev.potaccel.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The bounded per-value sample calibration keeps for the GGD fit. */
class ValueSampleTest {
  @Test
  void keepsEverythingBelowItsCapacity() {
    ValueSample s = new ValueSample(8, "x");
    s.add(new float[] {1, 2, Float.NaN, 3});
    s.add(new float[] {Float.POSITIVE_INFINITY, 4});
    assertArrayEquals(new float[] {1, 2, 3, 4}, s.values());
  }

  @Test
  void aFullReservoirIsAUniformSampleOfEverythingSeen() {
    int n = 1_000_000;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    ValueSample s = new ValueSample(4096, "conv1");
    for (int from = 0; from < n; from += 1000) { // batch after batch, as calibration feeds it
      s.add(java.util.Arrays.copyOfRange(v, from, from + 1000));
    }
    float[] kept = s.values();
    assertEquals(4096, kept.length);
    // uniform on 0..n-1: mean n/2 with standard error n/sqrt(12*4096) ~ 0.0045 n; the upper
    // half of the range holds half the sample within 4 standard errors (1/sqrt(4*4096) ~ 0.8%)
    double mean = 0;
    int upper = 0;
    for (float x : kept) {
      mean += x;
      upper += x >= n / 2 ? 1 : 0;
    }
    mean /= kept.length;
    assertEquals(n / 2.0, mean, 4 * 0.0045 * n);
    assertEquals(0.5, upper / 4096.0, 4 * 0.0078);
  }

  @Test
  void theSameValueAlwaysGetsTheSameSample() {
    float[] v = new float[100_000];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) Math.sin(i);
    }
    ValueSample a = new ValueSample(512, "relu1");
    ValueSample b = new ValueSample(512, "relu1");
    a.add(v);
    b.add(v);
    assertArrayEquals(a.values(), b.values());
  }
}
