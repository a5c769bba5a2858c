package dev.potaccel.quantize.levels;

import java.util.function.DoubleUnaryOperator;

/**
 * Step sizes of uniform quantizers: the asymptotic closed form of research/quantization.md §4.2
 * (the Hui–Neuhoff condition, and its midtread/unsigned and GGD forms, §2.5) and the exact
 * optimum it seeds (§4.3: "use the closed form as the initial guess and refine with
 * golden-section search on the exact MSE").
 */
public final class StepSize {
  private StepSize() {}

  /**
   * The asymptotically optimal clip {@code T} of a uniform quantizer with {@code m} nonzero
   * steps on a magnitude {@code Y = |X|} (or a ReLU output's nonzero part): the root of
   * {@code (1/T)·∫_T^∞ P(Y > y) dy = 1/(12·m²)}. This is §4.2's
   * {@code (1/T)∫S = p_g/(12·s_t·M²)} written for the magnitude, where the number of tails
   * {@code s_t} and the granular mass {@code p_g} cancel: two-sided midrise with N levels is
   * {@code m = N/2} (Hui–Neuhoff's {@code 1/(6N²)}), signed midtread {@code m = 2^(b-1) - 1},
   * unsigned midtread {@code m = 2^b - 1}. The step is {@code T/m}.
   *
   * @param magnitudeTail {@code T -> ∫_T^∞ P(Y > y) dy}, decreasing in {@code T}
   */
  public static double asymptoticClip(DoubleUnaryOperator magnitudeTail, int m) {
    double target = 1.0 / (12.0 * m * m);
    double lo = 1e-9;
    double hi = 1e3;
    // g(T) = tail(T)/T decreases from +inf to 0; bisect on log T.
    for (int i = 0; i < 200; i++) {
      double mid = Math.sqrt(lo * hi);
      if (magnitudeTail.applyAsDouble(mid) / mid > target) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return Math.sqrt(lo * hi);
  }

  /**
   * §4.2 asymptotic step of a uniform quantizer with {@code m} nonzero steps per side on a
   * symmetric {@code source} ({@code ∫_T^∞ P(|X| > y) dy = 2·E[(X - T)+]}) or, for a rectified
   * source, on its nonzero part ({@code E[(X - T)+] / P(X > 0)}).
   */
  public static double asymptotic(Source source, int m) {
    double positive = 1 - source.atomAtZero() - source.integrate(source::density,
        Double.NEGATIVE_INFINITY, 0);
    double factor = source.atomAtZero() > 0 ? 1 / positive : 2;
    return asymptoticClip(t -> factor * source.tailExcess(t), m) / m;
  }

  /** Exact MSE-optimal step of midrise with {@code 2^bits} levels, seeded by §4.2. */
  public static Sqnr.Optimum midrise(Source source, int bits) {
    return Sqnr.optimalScale(source, ScalarQuantizer.uniformMidrise(bits),
        asymptotic(source, 1 << (bits - 1)));
  }

  /** Exact MSE-optimal step of signed midtread {@code -max..max}, seeded by §4.2. */
  public static Sqnr.Optimum midtread(Source source, int max) {
    return Sqnr.optimalScale(source, ScalarQuantizer.uniformMidtread(max),
        asymptotic(source, max));
  }

  /** Exact MSE-optimal step of unsigned midtread {@code 0..2^bits - 1}, seeded by §4.2. */
  public static Sqnr.Optimum unsignedMidtread(Source source, int bits) {
    return Sqnr.optimalScale(source, ScalarQuantizer.unsignedMidtread(bits),
        asymptotic(source, (1 << bits) - 1));
  }
}
