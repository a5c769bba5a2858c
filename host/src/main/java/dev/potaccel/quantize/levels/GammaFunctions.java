package dev.potaccel.quantize.levels;

/**
 * The gamma-function family the GGD fit and its tail integrals need (research §2.5), written out
 * because the project takes no numerical dependency: {@code ln Γ} (Lanczos), digamma and trigamma
 * (recurrence plus asymptotic series), and the regularized upper incomplete gamma {@code Q(s, x)}
 * (series below {@code s + 1}, Lentz continued fraction above; Numerical Recipes §6.2).
 */
public final class GammaFunctions {
  private static final double[] LANCZOS = {0.99999999999980993, 676.5203681218851,
      -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
      -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};

  private GammaFunctions() {}

  /** {@code ln Γ(x)} for {@code x > 0}. */
  public static double lnGamma(double x) {
    if (x < 0.5) {
      return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
    }
    x -= 1;
    double a = LANCZOS[0];
    double t = x + 7.5;
    for (int i = 1; i < 9; i++) {
      a += LANCZOS[i] / (x + i);
    }
    return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
  }

  /** Digamma {@code ψ(x) = d/dx ln Γ(x)}, {@code x > 0}. */
  public static double digamma(double x) {
    double r = 0;
    while (x < 6) {
      r -= 1 / x;
      x += 1;
    }
    double f = 1 / (x * x);
    return r + Math.log(x) - 0.5 / x
        - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
  }

  /** Trigamma {@code ψ'(x)}, {@code x > 0}. */
  public static double trigamma(double x) {
    double r = 0;
    while (x < 6) {
      r += 1 / (x * x);
      x += 1;
    }
    double f = 1 / (x * x);
    return r + 1 / x + f / 2
        + f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30))));
  }

  /** Regularized upper incomplete gamma {@code Q(s, x) = Γ(s, x)/Γ(s)}, {@code s > 0}. */
  public static double regularizedGammaQ(double s, double x) {
    if (x <= 0) {
      return 1;
    }
    double lnPrefix = -x + s * Math.log(x) - lnGamma(s);
    if (x < s + 1) {
      double sum = 1 / s;
      double term = sum;
      for (int n = 1; n < 10_000; n++) {
        term *= x / (s + n);
        sum += term;
        if (Math.abs(term) < Math.abs(sum) * 1e-16) {
          break;
        }
      }
      return Math.max(0, 1 - sum * Math.exp(lnPrefix));
    }
    double tiny = 1e-300;
    double b = x + 1 - s;
    double c = 1 / tiny;
    double d = 1 / b;
    double h = d;
    for (int i = 1; i < 10_000; i++) {
      double an = -i * (i - s);
      b += 2;
      d = an * d + b;
      d = Math.abs(d) < tiny ? tiny : d;
      c = b + an / c;
      c = Math.abs(c) < tiny ? tiny : c;
      d = 1 / d;
      double delta = d * c;
      h *= delta;
      if (Math.abs(delta - 1) < 1e-16) {
        break;
      }
    }
    return Math.exp(lnPrefix) * h;
  }
}
