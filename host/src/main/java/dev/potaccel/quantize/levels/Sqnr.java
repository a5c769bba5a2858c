package dev.potaccel.quantize.levels;

import java.util.function.DoubleUnaryOperator;

/**
 * Quantization error of a {@link ScalarQuantizer}: exact on a {@link Source} (numerical
 * integration over the cells, research §4.1 and §4.6), optimized over the scale (§4.2–4.4: "scale
 * α optimized"), and empirical on a tensor (the per-layer report). SQNR is
 * {@code 10·log10(E[X²] / E[(X - Q(X))²])}.
 */
public final class Sqnr {
  /** The quantizer at its MSE-optimal scale on a source. */
  public record Optimum(double scale, double mse, double sqnrDb) {}

  private Sqnr() {}

  /** {@code 10·log10(power / mse)}. */
  public static double db(double power, double mse) {
    return 10 * Math.log10(power / mse);
  }

  /**
   * Exact {@code E[(X - s·Q(X/s))²]} for {@code X ~ source}: the sum over cells of
   * {@code ∫(x - s·l_i)² f(x) dx} plus the atom at zero's {@code P(0)·(s·Q(0))²}.
   */
  public static double exactMse(Source source, ScalarQuantizer q, double scale) {
    double total = 0;
    double atom = source.atomAtZero();
    if (atom > 0) {
      double v = scale * q.quantize(0);
      total += atom * v * v;
    }
    int n = q.size();
    for (int i = 0; i < n; i++) {
      double lo = i == 0 ? Double.NEGATIVE_INFINITY : scale * q.threshold(i - 1);
      double hi = i == n - 1 ? Double.POSITIVE_INFINITY : scale * q.threshold(i);
      double c = scale * q.level(i);
      total += source.integrate(x -> (x - c) * (x - c) * source.density(x), lo, hi);
    }
    return total;
  }

  /** Exact SQNR in dB of {@code q} at scale {@code scale} on {@code source}. */
  public static double exactDb(Source source, ScalarQuantizer q, double scale) {
    return db(source.power(), exactMse(source, q, scale));
  }

  /**
   * The scale minimizing the exact MSE, searched within a factor 8 either side of {@code guess}
   * (a scan on a 1/16-octave grid, then golden section in the best grid interval: non-uniform
   * level sets such as PoT give an MSE with several local minima in the scale).
   */
  public static Optimum optimalScale(Source source, ScalarQuantizer q, double guess) {
    double log2Scale = minimizeLog2(l -> exactMse(source, q, Math.pow(2, l)),
        log2(guess) - 3, log2(guess) + 3, 96);
    double scale = Math.pow(2, log2Scale);
    double mse = exactMse(source, q, scale);
    return new Optimum(scale, mse, db(source.power(), mse));
  }

  /**
   * Minimizes {@code f} over {@code [lo, hi]}: a grid of {@code steps} intervals, then golden
   * section on the two intervals around the best grid point (to 1e-12).
   */
  public static double minimizeLog2(DoubleUnaryOperator f, double lo, double hi, int steps) {
    double best = lo;
    double bestValue = Double.POSITIVE_INFINITY;
    double h = (hi - lo) / steps;
    for (int i = 0; i <= steps; i++) {
      double x = lo + i * h;
      double v = f.applyAsDouble(x);
      if (v < bestValue) {
        bestValue = v;
        best = x;
      }
    }
    return goldenSection(f, Math.max(lo, best - h), Math.min(hi, best + h), 1e-12);
  }

  /** Golden-section search for the minimum of a unimodal {@code f} on {@code [a, b]}. */
  public static double goldenSection(DoubleUnaryOperator f, double a, double b, double tol) {
    final double r = (Math.sqrt(5) - 1) / 2;
    double c = b - r * (b - a);
    double d = a + r * (b - a);
    double fc = f.applyAsDouble(c);
    double fd = f.applyAsDouble(d);
    while (b - a > tol) {
      if (fc <= fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - r * (b - a);
        fc = f.applyAsDouble(c);
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + r * (b - a);
        fd = f.applyAsDouble(d);
      }
    }
    return fc <= fd ? c : d;
  }

  /**
   * Empirical SQNR in dB of a tensor {@code w} against its reconstruction {@code q} (same
   * length): {@code 10·log10(Σw² / Σ(w - q)²)}; +∞ for an exact reconstruction.
   */
  public static double tensorDb(float[] w, double[] q) {
    if (w.length != q.length) {
      throw new IllegalArgumentException(w.length + " weights, " + q.length + " values");
    }
    double signal = 0;
    double noise = 0;
    for (int i = 0; i < w.length; i++) {
      double e = w[i] - q[i];
      signal += (double) w[i] * w[i];
      noise += e * e;
    }
    return noise == 0 ? Double.POSITIVE_INFINITY : db(signal, noise);
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
