package dev.potaccel.quantize.levels;

import java.util.SplittableRandom;

/**
 * Seeded samples of the research's sources, for Monte Carlo estimates (research §4.6: "Monte
 * Carlo (4·10^5 samples, seed 0)") and for testing the GGD fitter on data whose distribution is
 * known. Java's generator is not NumPy's, so the same seed gives other samples: only the
 * statistics agree.
 */
public final class Samples {
  private Samples() {}

  /** {@code n} unit Gaussian samples. */
  public static double[] gaussian(long seed, int n) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = normal(r);
    }
    return x;
  }

  /** {@code n} unit-variance Laplacian samples. */
  public static double[] laplacian(long seed, int n) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      double e = -Math.log(1 - r.nextDouble()) / Math.sqrt(2);
      x[i] = r.nextBoolean() ? e : -e;
    }
    return x;
  }

  /** A standard normal deviate (Marsaglia's polar method). */
  static double normal(SplittableRandom r) {
    while (true) {
      double u = 2 * r.nextDouble() - 1;
      double v = 2 * r.nextDouble() - 1;
      double s = u * u + v * v;
      if (s > 0 && s < 1) {
        return u * Math.sqrt(-2 * Math.log(s) / s);
      }
    }
  }

  /** A Gamma(shape, 1) deviate (Marsaglia–Tsang; boosted by {@code U^(1/k)} for shape < 1). */
  static double gamma(SplittableRandom r, double shape) {
    if (shape < 1) {
      return gamma(r, shape + 1) * Math.pow(r.nextDouble(), 1 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x = normal(r);
      double v = 1 + c * x;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double u = r.nextDouble();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
        return d * v;
      }
    }
  }
}
