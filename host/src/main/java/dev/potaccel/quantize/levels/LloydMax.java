package dev.potaccel.quantize.levels;

/**
 * Lloyd–Max quantizer design (research §4.1): levels are the centroids of their cells and
 * thresholds the midpoints of adjacent levels, iterated to a fixed point. The MSE-optimal
 * non-uniform quantizer, the upper bound the §4.3 table compares uniform and PoT sets against,
 * and the refinement of the k-quantile LUT levels of seed 002 (§2.3).
 */
public final class LloydMax {
  private LloydMax() {}

  /**
   * Lloyd–Max quantizer with {@code n} levels for {@code source}, started from the MSE-optimal
   * uniform midrise quantizer and iterated until no level moves by more than 1e-13.
   */
  public static ScalarQuantizer design(Source source, int n) {
    double step = 2 * source.upper() / n;
    int bits = 31 - Integer.numberOfLeadingZeros(n);
    if (1 << bits == n) {
      step = StepSize.midrise(source, bits).scale();
    }
    double[] levels = new double[n];
    for (int i = 0; i < n; i++) {
      levels[i] = (i - n / 2.0 + 0.5) * step;
    }
    for (int iter = 0; iter < 100_000; iter++) {
      double[] t = new double[n + 1];
      t[0] = Double.NEGATIVE_INFINITY;
      t[n] = Double.POSITIVE_INFINITY;
      for (int i = 1; i < n; i++) {
        t[i] = 0.5 * (levels[i - 1] + levels[i]);
      }
      double moved = 0;
      for (int i = 0; i < n; i++) {
        double mass = source.integrate(source::density, t[i], t[i + 1]);
        double first = source.integrate(x -> x * source.density(x), t[i], t[i + 1]);
        if (mass > 0) {
          double c = first / mass;
          moved = Math.max(moved, Math.abs(c - levels[i]));
          levels[i] = c;
        }
      }
      if (moved < 1e-13) {
        break;
      }
    }
    return ScalarQuantizer.nearest(levels);
  }
}
