package dev.potaccel.quantize.levels;

import java.util.Arrays;

/**
 * A scalar quantizer on the real line in unit-free "level units": reproduction levels in
 * ascending order and the {@code levels.length - 1} ascending thresholds between them. Value
 * {@code x} at scale {@code s} maps to {@code s·levels[i]} for the cell {@code i} that holds
 * {@code x/s}. A value exactly on a threshold goes to the level farther from zero (ties away from
 * zero in magnitude, the rule of the existing int8/pot4 quantizers), which keeps symmetric
 * quantizers odd functions. The same object serves the exact distribution-level MSE ({@link
 * Sqnr}) and the empirical one ({@link EmpiricalDistribution}), so the golden tables of
 * research/quantization.md §4.3–4.4 test the very projection used on weights.
 */
public record ScalarQuantizer(double[] levels, double[] thresholds) {
  public ScalarQuantizer {
    if (levels.length < 1 || thresholds.length != levels.length - 1) {
      throw new IllegalArgumentException(levels.length + " levels need " + (levels.length - 1)
          + " thresholds, got " + thresholds.length);
    }
    for (int i = 1; i < levels.length; i++) {
      if (!(levels[i] > levels[i - 1])) {
        throw new IllegalArgumentException("levels must ascend: " + Arrays.toString(levels));
      }
      if (!(thresholds[i - 1] >= levels[i - 1] && thresholds[i - 1] <= levels[i])) {
        throw new IllegalArgumentException("threshold " + thresholds[i - 1] + " is not between "
            + levels[i - 1] + " and " + levels[i]);
      }
    }
    levels = levels.clone();
    thresholds = thresholds.clone();
  }

  /**
   * Nearest-level quantizer (midpoint thresholds) on an arbitrary ascending level list: the
   * projection every method uses once its levels are fixed (research §8 item 3).
   */
  public static ScalarQuantizer nearest(double... levels) {
    double[] t = new double[levels.length - 1];
    for (int i = 0; i < t.length; i++) {
      t[i] = 0.5 * (levels[i] + levels[i + 1]);
    }
    return new ScalarQuantizer(levels, t);
  }

  /**
   * Sign-symmetric quantizer over the magnitudes {@code 0 = m_0 < m_1 < ...}: levels {@code ±m_i},
   * thresholds by {@code rounding} (for {@link Rounding#LOG}, geometric means between nonzero
   * magnitudes and the midpoint {@code m_1/2} to zero).
   */
  public static ScalarQuantizer symmetric(double[] magnitudes, Rounding rounding) {
    if (magnitudes.length < 1 || magnitudes[0] != 0) {
      throw new IllegalArgumentException("magnitudes must start with 0");
    }
    int n = magnitudes.length;
    double[] up = new double[n - 1];
    for (int i = 0; i < n - 1; i++) {
      double lo = magnitudes[i];
      double hi = magnitudes[i + 1];
      up[i] = rounding == Rounding.LOG && lo > 0 ? Math.sqrt(lo * hi) : 0.5 * (lo + hi);
    }
    double[] levels = new double[2 * n - 1];
    double[] t = new double[2 * n - 2];
    for (int i = 0; i < n; i++) {
      levels[n - 1 + i] = magnitudes[i];
      levels[n - 1 - i] = -magnitudes[i];
    }
    for (int i = 0; i < n - 1; i++) {
      t[n - 1 + i] = up[i];
      t[n - 2 - i] = -up[i];
    }
    return new ScalarQuantizer(levels, t);
  }

  /**
   * Uniform midrise with {@code 2^bits} levels {@code ±(k - 1/2)}, thresholds at the integers
   * (step 1; research §4.3 first table).
   */
  public static ScalarQuantizer uniformMidrise(int bits) {
    int n = 1 << bits;
    double[] levels = new double[n];
    double[] t = new double[n - 1];
    for (int i = 0; i < n; i++) {
      levels[i] = i - n / 2 + 0.5;
    }
    for (int i = 0; i < n - 1; i++) {
      t[i] = i - n / 2 + 1;
    }
    return new ScalarQuantizer(levels, t);
  }

  /** Uniform midtread {@code -max..max} (step 1): int8 is {@code max = 127}, int4 {@code 7}. */
  public static ScalarQuantizer uniformMidtread(int max) {
    double[] levels = new double[2 * max + 1];
    for (int i = 0; i < levels.length; i++) {
      levels[i] = i - max;
    }
    return nearest(levels);
  }

  /**
   * Unsigned midtread {@code 0..2^bits - 1} (step 1): the accelerator's unsigned activation code
   * after ReLU (docs/accelerator.md §1.1; research §4.3 second table).
   */
  public static ScalarQuantizer unsignedMidtread(int bits) {
    double[] levels = new double[1 << bits];
    for (int i = 0; i < levels.length; i++) {
      levels[i] = i;
    }
    return nearest(levels);
  }

  /** Number of levels. */
  public int size() {
    return levels.length;
  }

  /** Index of the cell holding {@code x} (in level units); ties go away from zero. */
  public int index(double x) {
    // first threshold > x (x >= 0) or >= x (x < 0): the count of thresholds below x
    int lo = 0;
    int hi = thresholds.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      double t = thresholds[mid];
      if (x > t || (x == t && x >= 0)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The level {@code x} (in level units) maps to. */
  public double quantize(double x) {
    return levels[index(x)];
  }

  /** The same quantizer with every level and threshold multiplied by {@code factor > 0}. */
  public ScalarQuantizer scaled(double factor) {
    double[] l = levels.clone();
    double[] t = thresholds.clone();
    for (int i = 0; i < l.length; i++) {
      l[i] *= factor;
    }
    for (int i = 0; i < t.length; i++) {
      t[i] *= factor;
    }
    return new ScalarQuantizer(l, t);
  }

  @Override
  public double[] levels() {
    return levels.clone();
  }

  @Override
  public double[] thresholds() {
    return thresholds.clone();
  }

  /** The level array without a copy, for the integrators' inner loops. */
  double level(int i) {
    return levels[i];
  }

  /** Threshold {@code i} without a copy. */
  double threshold(int i) {
    return thresholds[i];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScalarQuantizer q && Arrays.equals(levels, q.levels)
        && Arrays.equals(thresholds, q.thresholds);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(levels) * 31 + Arrays.hashCode(thresholds);
  }

  @Override
  public String toString() {
    return "ScalarQuantizer" + Arrays.toString(levels);
  }
}
