package dev.potaccel.quantize.levels;

/**
 * Choosing a power-of-two weight scale {@code 2^-F} (docs/accelerator.md §1.1: no non-PoT scale
 * anywhere). Shared by the schemes; each method's own rule (max-abs, min-MSE) is built from these.
 */
final class PowerOfTwoScale {
  /** Weight fractional lengths stay within ±this (as in the existing WeightQuantizer). */
  static final int MAX_FRAC = 40;

  private PowerOfTwoScale() {}

  /**
   * The largest {@code F} with {@code maxAbs·2^F <= bound} ({@code < bound} when {@code strict}),
   * 0 for an all-zero tensor.
   */
  static int largestFrac(double maxAbs, double bound, boolean strict) {
    if (!(maxAbs > 0)) {
      return 0;
    }
    int f = (int) Math.floor(Math.log(bound / maxAbs) / Math.log(2));
    while (fits(Math.scalb(maxAbs, f + 1), bound, strict)) {
      f++;
    }
    while (!fits(Math.scalb(maxAbs, f), bound, strict)) {
      f--;
    }
    return f;
  }

  private static boolean fits(double v, double bound, boolean strict) {
    return strict ? v < bound : v <= bound;
  }

  /** {@code f} within {@code ±MAX_FRAC} and at most {@code limit}. */
  static int clamp(int f, int limit) {
    return Math.max(-MAX_FRAC, Math.min(Math.min(MAX_FRAC, limit), f));
  }

  /**
   * The {@code F} minimizing the squared error of {@code q} (levels in integer units) at scale
   * {@code 2^-F} on {@code d}, among {@code F0 - 1 .. F0 + 10} where {@code F0} puts the largest
   * sample on {@code top}; capped at {@code limit}. Larger {@code F} than {@code F0} clips the
   * largest weights but refines the rest: research §2.5's "fractional length that minimizes the
   * quantization error", and the PoT-snapped α of §2.2.
   */
  static int minMseFrac(EmpiricalDistribution d, ScalarQuantizer q, double top, int limit) {
    int f0 = largestFrac(d.maxAbs(), top, false);
    int best = clamp(f0, limit);
    double bestErr = d.squaredError(q, Math.scalb(1.0, -best));
    for (int f = f0 - 1; f <= f0 + 10; f++) {
      int c = clamp(f, limit);
      double err = d.squaredError(q, Math.scalb(1.0, -c));
      if (err < bestErr) {
        bestErr = err;
        best = c;
      }
    }
    return best;
  }

  /** Round half away from zero, the existing quantizers' tie rule. */
  static long roundHalfAway(double x) {
    return x < 0 ? -(long) Math.floor(-x + 0.5) : (long) Math.floor(x + 0.5);
  }

  /** Largest |w| of {@code w[from .. from+count)}. */
  static double maxAbs(float[] w, int from, int count) {
    double max = 0;
    for (int j = 0; j < count; j++) {
      max = Math.max(max, Math.abs(w[from + j]));
    }
    return max;
  }
}
