package dev.potaccel.quantize.levels;

import java.util.SplittableRandom;

/**
 * The generalized gamma distribution (Stacy form) of the GGD paper (Kim et al., arXiv
 * 1810.13329, seed 004; research §2.5): {@code f(x) = p·x^(d-1)·exp(-(x/a)^p) / (a^d·Γ(d/p))},
 * {@code x > 0}. It models a ReLU feature map's nonzero values (single-sided) or a signed map's
 * magnitudes (double-sided, density {@code f(|x|)/2}). Special cases: {@code d = p = 1}
 * exponential (half-Laplacian), {@code d = 1, p = 2} half-Gaussian ({@code a = √2σ}; research
 * §2.5 says "d=p=2 half-Gaussian", but that is the Rayleigh density), {@code p = 1} Gamma.
 * As a {@link Source} it is the single-sided magnitude distribution.
 */
public record GeneralizedGamma(double a, double d, double p) implements Source {
  public GeneralizedGamma {
    if (!(a > 0 && d > 0 && p > 0)) {
      throw new IllegalArgumentException("GGD needs a, d, p > 0: " + a + ", " + d + ", " + p);
    }
  }

  @Override
  public double density(double x) {
    if (!(x > 0)) {
      return 0;
    }
    return Math.exp(Math.log(p) + (d - 1) * Math.log(x) - Math.pow(x / a, p) - d * Math.log(a)
        - GammaFunctions.lnGamma(d / p));
  }

  @Override
  public double atomAtZero() {
    return 0;
  }

  @Override
  public double lower() {
    return 0;
  }

  /** Where the tail beyond holds less than about 1e-20 of the mass. */
  @Override
  public double upper() {
    double y = d / p + 50 + 10 * Math.sqrt(d / p);
    return a * Math.pow(y, 1 / p);
  }

  @Override
  public double kink() {
    return Double.NaN;
  }

  /** {@code E[X^k] = a^k·Γ((d+k)/p)/Γ(d/p)}. */
  @Override
  public double moment(int k) {
    return Math.pow(a, k) * Math.exp(GammaFunctions.lnGamma((d + k) / p)
        - GammaFunctions.lnGamma(d / p));
  }

  /** {@code P(X > x) = Q(d/p, (x/a)^p)}. */
  public double survival(double x) {
    return GammaFunctions.regularizedGammaQ(d / p, Math.pow(Math.max(x, 0) / a, p));
  }

  /**
   * {@code ∫_T^∞ P(X > x) dx = a·Γ((d+1)/p)/Γ(d/p)·Q((d+1)/p, (T/a)^p) - T·Q(d/p, (T/a)^p)}
   * (research §2.5, closed form of the §4.2 tail quantity).
   */
  @Override
  public double tailExcess(double t) {
    double z = Math.pow(Math.max(t, 0) / a, p);
    return moment(1) * GammaFunctions.regularizedGammaQ((d + 1) / p, z)
        - t * GammaFunctions.regularizedGammaQ(d / p, z);
  }

  /** {@code n} samples: {@code X = Y^(1/p)} with {@code Y ~ Gamma(d/p, a^p)}. */
  public double[] sample(long seed, int n) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = a * Math.pow(Samples.gamma(r, d / p), 1 / p);
    }
    return x;
  }

  /** Mean log-likelihood of the positive samples {@code x} under this distribution. */
  public double logLikelihood(double[] x) {
    double s = 0;
    int n = 0;
    for (double v : x) {
      if (v > 0) {
        s += Math.log(density(v));
        n++;
      }
    }
    return s / n;
  }

  /**
   * Maximum-likelihood fit to the positive values of {@code x} (zeros, e.g. a ReLU's, are
   * skipped: fit the nonzero part, research §2.5). For fixed {@code p}, {@code y = x^p} is
   * Gamma({@code k = d/p}, {@code θ = a^p}): Gamma MLE by the closed-form start
   * {@code k ≈ (3 - s + √((s-3)² + 24s))/(12s)}, {@code s = ln mean(y) - mean(ln y)}, and Newton
   * steps on {@code ln k - ψ(k) = s}; {@code θ = mean(y)/k}. The profile likelihood, with the
   * Jacobian {@code ln p + (p-1)·mean(ln x)}, is then maximized over {@code p ∈ [0.2, 4]} by
   * golden-section search.
   *
   * @throws IllegalArgumentException with fewer than 2 distinct positive values
   */
  public static GeneralizedGamma fit(double[] x) {
    int n = 0;
    double meanLog = 0;
    for (double v : x) {
      if (v > 0) {
        meanLog += Math.log(v);
        n++;
      }
    }
    if (n < 2) {
      throw new IllegalArgumentException("GGD fit needs positive samples, got " + n);
    }
    meanLog /= n;
    double[] pos = new double[n];
    int i = 0;
    for (double v : x) {
      if (v > 0) {
        pos[i++] = v;
      }
    }
    double ml = meanLog;
    double p = Sqnr.goldenSection(q -> -profile(pos, ml, q).loglik, Math.log(0.2),
        Math.log(4), 1e-6);
    return profile(pos, ml, p).fit;
  }

  private record Profile(GeneralizedGamma fit, double loglik) {}

  /** The Gamma MLE of {@code x^p} and the resulting mean log-likelihood; {@code p = e^logP}. */
  private static Profile profile(double[] x, double meanLogX, double logP) {
    double p = Math.exp(logP);
    double meanY = 0;
    for (double v : x) {
      meanY += Math.pow(v, p);
    }
    meanY /= x.length;
    double meanLogY = p * meanLogX;
    double s = Math.log(meanY) - meanLogY;
    double k = (3 - s + Math.sqrt((s - 3) * (s - 3) + 24 * s)) / (12 * s);
    for (int it = 0; it < 5; it++) {
      double g = Math.log(k) - GammaFunctions.digamma(k) - s;
      double dg = 1 / k - GammaFunctions.trigamma(k);
      k = Math.max(k * 1e-3, k - g / dg);
    }
    double theta = meanY / k;
    // Gamma log-likelihood of y, mean over samples, plus the Jacobian of y = x^p
    double ll = -GammaFunctions.lnGamma(k) - k * Math.log(theta) + (k - 1) * meanLogY
        - meanY / theta + Math.log(p) + (p - 1) * meanLogX;
    return new Profile(new GeneralizedGamma(Math.pow(theta, 1 / p), k * p, p), ll);
  }
}
