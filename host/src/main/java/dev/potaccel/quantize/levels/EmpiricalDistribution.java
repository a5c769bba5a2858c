package dev.potaccel.quantize.levels;

import java.util.Arrays;

/**
 * Samples sorted once, with prefix sums of {@code x} and {@code x²}, so the squared error of any
 * {@link ScalarQuantizer} at any scale costs {@code O(levels · log n)} instead of {@code O(n)}:
 * each cell's error is {@code Σx² - 2c·Σx + c²·n} over a contiguous run of the sorted samples.
 * That makes the searches of the seed methods cheap on whole layers (UPoT's per-layer subset
 * search, research §2.2; the GGD fractional-length search, §2.5; every PoT-scale choice) and gives
 * the Monte Carlo estimates of §4.4. Ties (a sample exactly on a threshold) do not matter: both
 * neighbouring levels are equally far from it.
 */
public final class EmpiricalDistribution {
  private final double[] sorted;
  private final double[] sum1;
  private final double[] sum2;

  private EmpiricalDistribution(double[] sorted) {
    this.sorted = sorted;
    int n = sorted.length;
    sum1 = new double[n + 1];
    sum2 = new double[n + 1];
    for (int i = 0; i < n; i++) {
      sum1[i + 1] = sum1[i] + sorted[i];
      sum2[i + 1] = sum2[i] + sorted[i] * sorted[i];
    }
  }

  /** The samples {@code values} (copied). */
  public static EmpiricalDistribution of(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return new EmpiricalDistribution(s);
  }

  /** {@code w[from .. from+count)} as doubles. */
  public static EmpiricalDistribution of(float[] w, int from, int count) {
    double[] s = new double[count];
    for (int i = 0; i < count; i++) {
      s[i] = w[from + i];
    }
    Arrays.sort(s);
    return new EmpiricalDistribution(s);
  }

  /**
   * {@code |w[from .. from+count)|}: for a sign-symmetric quantizer the error of {@code w} equals
   * the error of {@code |w|} on the magnitude levels, so searches over symmetric level sets run on
   * this.
   */
  public static EmpiricalDistribution magnitudes(float[] w, int from, int count) {
    double[] s = new double[count];
    for (int i = 0; i < count; i++) {
      s[i] = Math.abs(w[from + i]);
    }
    Arrays.sort(s);
    return new EmpiricalDistribution(s);
  }

  /** Number of samples. */
  public int size() {
    return sorted.length;
  }

  /** Largest |sample|. */
  public double maxAbs() {
    return sorted.length == 0 ? 0 : Math.max(-sorted[0], sorted[sorted.length - 1]);
  }

  /** Sample {@code i} in ascending order. */
  public double sorted(int i) {
    return sorted[i];
  }

  /** Mean of {@code x²} (the SQNR numerator). */
  public double power() {
    return sorted.length == 0 ? 0 : sum2[sorted.length] / sorted.length;
  }

  /** Sum of squared errors of {@code scale·q(x/scale)} over the samples. */
  public double squaredError(ScalarQuantizer q, double scale) {
    int n = q.size();
    int start = 0;
    double total = 0;
    for (int i = 0; i < n; i++) {
      int end = i == n - 1 ? sorted.length : lowerBound(scale * q.threshold(i), start);
      if (end > start) {
        double c = scale * q.level(i);
        double s1 = sum1[end] - sum1[start];
        double s2 = sum2[end] - sum2[start];
        total += Math.max(0, s2 - 2 * c * s1 + c * c * (end - start));
      }
      start = end;
    }
    return total;
  }

  /** Mean squared error of {@code scale·q(x/scale)}. */
  public double mse(ScalarQuantizer q, double scale) {
    return sorted.length == 0 ? 0 : squaredError(q, scale) / sorted.length;
  }

  /** SQNR in dB of {@code scale·q(x/scale)} on these samples. */
  public double sqnrDb(ScalarQuantizer q, double scale) {
    return Sqnr.db(power(), mse(q, scale));
  }

  /**
   * The real scale minimizing the sample MSE within a factor 8 of {@code guess} (grid, then golden
   * section; research §4.6's "minimize_scalar over log2 α" on samples).
   */
  public Sqnr.Optimum optimalScale(ScalarQuantizer q, double guess) {
    double l2 = Math.log(guess) / Math.log(2);
    double best = Math.pow(2, Sqnr.minimizeLog2(l -> mse(q, Math.pow(2, l)), l2 - 3, l2 + 3,
        96));
    double mse = mse(q, best);
    return new Sqnr.Optimum(best, mse, Sqnr.db(power(), mse));
  }

  /** First index {@code >= from} whose sample is {@code >= x}. */
  private int lowerBound(double x, int from) {
    int lo = from;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
