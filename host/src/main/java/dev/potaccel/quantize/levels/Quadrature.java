package dev.potaccel.quantize.levels;

import java.util.function.DoubleUnaryOperator;

/**
 * Composite Gauss–Legendre quadrature (20 nodes per piece). The distortion integrals of a
 * quantizer cell, {@code ∫(x - c)² f(x) dx}, are analytic inside a cell once the density's kinks
 * are cut out, so a fixed high-order rule on short pieces is accurate to near machine precision:
 * the step optimizer needs MSE to about 1e-10 relative to place Δ* to 4 decimals, because MSE is
 * flat at its minimum. No dependency (research §4.6 used SciPy's quad for the same integrals).
 */
public final class Quadrature {
  private static final int ORDER = 20;
  private static final double[] NODES = new double[ORDER];
  private static final double[] WEIGHTS = new double[ORDER];

  static {
    // Newton on the Legendre polynomial P_n from the Chebyshev-like initial guesses.
    for (int i = 0; i < ORDER; i++) {
      double x = Math.cos(Math.PI * (i + 0.75) / (ORDER + 0.5));
      double dp = 0;
      for (int iter = 0; iter < 100; iter++) {
        double p0 = 1;
        double p1 = x;
        for (int k = 2; k <= ORDER; k++) {
          double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
          p0 = p1;
          p1 = p2;
        }
        dp = ORDER * (x * p1 - p0) / (x * x - 1);
        double dx = p1 / dp;
        x -= dx;
        if (Math.abs(dx) < 1e-16) {
          break;
        }
      }
      NODES[i] = x;
      WEIGHTS[i] = 2 / ((1 - x * x) * dp * dp);
    }
  }

  private Quadrature() {}

  /** {@code ∫_a^b f} with one 20-node Gauss–Legendre rule. */
  public static double gaussLegendre(DoubleUnaryOperator f, double a, double b) {
    double half = 0.5 * (b - a);
    double mid = 0.5 * (a + b);
    double sum = 0;
    for (int i = 0; i < ORDER; i++) {
      sum += WEIGHTS[i] * f.applyAsDouble(mid + half * NODES[i]);
    }
    return sum * half;
  }

  /**
   * {@code ∫_a^b f} by the 20-node rule on {@code ceil((b - a) / maxPiece)} equal pieces; 0 when
   * {@code b <= a}.
   */
  public static double integrate(DoubleUnaryOperator f, double a, double b, double maxPiece) {
    if (!(b > a)) {
      return 0;
    }
    int pieces = (int) Math.min(100_000, Math.max(1, Math.ceil((b - a) / maxPiece)));
    double h = (b - a) / pieces;
    double sum = 0;
    for (int k = 0; k < pieces; k++) {
      double lo = a + k * h;
      sum += gaussLegendre(f, lo, k == pieces - 1 ? b : lo + h);
    }
    return sum;
  }
}
