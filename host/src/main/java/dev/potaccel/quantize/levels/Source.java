package dev.potaccel.quantize.levels;

import java.util.function.DoubleUnaryOperator;

/**
 * A random source whose quantization error is integrated exactly (research §4.1, §4.3): a
 * continuous density, possibly plus a point mass at 0 (what ReLU does to half a symmetric
 * source). The standard ones have unit variance before rectification, as the golden tables
 * assume.
 */
public interface Source {
  /** The density of the continuous part at {@code x}. */
  double density(double x);

  /** Probability of exactly 0 (0 for a continuous source, P(X <= 0) after ReLU). */
  double atomAtZero();

  /** Lower end of the support used for integration (the mass below is negligible, < 1e-20). */
  double lower();

  /** Upper end of the support used for integration. */
  double upper();

  /** A point where the density is not smooth and integration cells must be cut, or NaN. */
  default double kink() {
    return 0;
  }

  /** Signal power {@code E[X²]}, the numerator of SQNR. */
  default double power() {
    return moment(2);
  }

  /** {@code E[X^k]} of the continuous part (the atom at 0 adds nothing for k >= 1). */
  default double moment(int k) {
    return integrate(x -> Math.pow(x, k) * density(x), lower(), upper());
  }

  /**
   * {@code E[(X - T)+] = ∫_T^∞ P(X > x) dx}: the tail quantity of the §4.2 stationarity condition
   * (for the unit Gaussian it is {@code φ(T) - T·(1 - Φ(T))}).
   */
  default double tailExcess(double t) {
    return integrate(x -> (x - t) * density(x), Math.max(t, lower()), upper());
  }

  /** {@code ∫_a^b g} over the support, cut at the kink, by {@link Quadrature}. */
  default double integrate(DoubleUnaryOperator g, double a, double b) {
    double lo = Math.max(a, lower());
    double hi = Math.min(b, upper());
    if (!(hi > lo)) {
      return 0;
    }
    double piece = (upper() - lower()) / 256;
    double k = kink();
    if (k > lo && k < hi) {
      return Quadrature.integrate(g, lo, k, piece) + Quadrature.integrate(g, k, hi, piece);
    }
    return Quadrature.integrate(g, lo, hi, piece);
  }

  /** The unit Gaussian N(0, 1). */
  static Source gaussian() {
    return Standard.GAUSSIAN;
  }

  /** The unit-variance Laplacian, density {@code e^(-√2|x|)/√2}. */
  static Source laplacian() {
    return Standard.LAPLACIAN;
  }

  /** {@code max(0, X)}: the mass of {@code X <= 0} moves to an atom at 0 (a ReLU output). */
  static Source relu(Source inner) {
    return new Rectified(inner);
  }

  /** The standard unit-variance sources. */
  enum Standard implements Source {
    GAUSSIAN {
      @Override
      public double density(double x) {
        return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
      }

      @Override
      public double lower() {
        return -12;
      }

      @Override
      public double kink() {
        return Double.NaN;
      }
    },
    LAPLACIAN {
      @Override
      public double density(double x) {
        return Math.exp(-Math.sqrt(2) * Math.abs(x)) / Math.sqrt(2);
      }

      @Override
      public double lower() {
        return -36;
      }
    };

    @Override
    public double atomAtZero() {
      return 0;
    }

    @Override
    public double upper() {
      return -lower();
    }

    @Override
    public double power() {
      return 1;
    }
  }

  /** {@code ReLU(inner)}. */
  record Rectified(Source inner) implements Source {
    @Override
    public double density(double x) {
      return x > 0 ? inner.density(x) : 0;
    }

    @Override
    public double atomAtZero() {
      return inner.integrate(inner::density, inner.lower(), 0);
    }

    @Override
    public double lower() {
      return 0;
    }

    @Override
    public double upper() {
      return inner.upper();
    }

    @Override
    public double kink() {
      return Double.NaN;
    }
  }
}
