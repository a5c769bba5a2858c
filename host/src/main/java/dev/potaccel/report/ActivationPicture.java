package dev.potaccel.report;

import dev.potaccel.quantize.ActivationFormat;
import dev.potaccel.quantize.levels.GeneralizedGamma;
import dev.potaccel.quantize.levels.GgdStep;

/**
 * One activation tensor's calibration sample against the clip its format puts on it: the
 * histogram of the nonzero values (a ReLU output's exact zeros are counted apart, they would
 * dwarf every other bin), the generalized gamma density fitted to them (research §2.5: the
 * nonzero part of a single-sided map, the magnitudes of a signed one, mirrored), the clip of the
 * format the scheme chose and the clip the GGD rule would choose.
 *
 * @param value the tensor's name in the graph
 * @param histogram nonzero samples, as densities over all of them
 * @param zeros samples exactly 0
 * @param samples all samples
 * @param signed whether the format is signed (two-sided histogram and curve)
 * @param curveX where the fitted density is evaluated, ascending; empty when there was too
 *     little to fit
 * @param curveY the density there, on the histogram's scale
 * @param fit "a=…, d=…, p=…" of the fit, or why there is none
 * @param format the chosen format ("uint8 F=4")
 * @param clip the chosen format's largest value, {@code hi·2^-F}
 * @param ggdClip the clip of the GGD rule's power-of-two step, or NaN without a fit
 * @param maxAbs the largest magnitude in the sample
 * @param sqnrDb the sample's SQNR under the chosen format (round to nearest, clamp)
 */
public record ActivationPicture(String value, Histogram histogram, long zeros, long samples,
    boolean signed, double[] curveX, double[] curveY, String fit, String format, double clip,
    double ggdClip, double maxAbs, double sqnrDb) {
  /** Bins of an activation histogram. */
  public static final int BINS = 60;

  /** Fewer nonzero samples than this are not fitted (the quantizer keeps max-abs then too). */
  static final int MIN_FIT = 16;

  public ActivationPicture {
    if (curveX.length != curveY.length) {
      throw new IllegalArgumentException(value + ": curve has " + curveX.length + " x and "
          + curveY.length + " y");
    }
    curveX = curveX.clone();
    curveY = curveY.clone();
  }

  /**
   * @param sample calibration's sample of the value's elements
   * @param format the format the scheme gave it
   */
  public static ActivationPicture of(String value, float[] sample, ActivationFormat format) {
    boolean signed = format.signed();
    int nonzero = 0;
    double maxAbs = 0;
    for (float v : sample) {
      if (v != 0) {
        nonzero++;
      }
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    double[] x = new double[sample.length];
    double[] kept = new double[nonzero];
    int k = 0;
    for (int i = 0; i < sample.length; i++) {
      x[i] = sample[i];
      if (sample[i] != 0) {
        kept[k++] = sample[i];
      }
    }
    double clip = format.hi() * format.step();
    GeneralizedGamma g = null;
    double ggdClip = Double.NaN;
    String fit;
    if (nonzero >= MIN_FIT) {
      try {
        GgdStep step = GgdStep.of(x, format.bits(), !signed);
        g = step.fit();
        ggdClip = format.hi() * Math.scalb(1.0, -step.frac());
        fit = String.format(java.util.Locale.ROOT, "a=%.4g, d=%.3g, p=%.3g", g.a(), g.d(),
            g.p());
      } catch (IllegalArgumentException | ArithmeticException e) {
        fit = "no fit (" + e.getMessage() + ")";
      }
    } else {
      fit = "no fit (" + nonzero + " nonzero samples)";
    }
    double range = Math.max(maxAbs, Math.max(clip, Double.isNaN(ggdClip) ? 0 : ggdClip));
    range = range > 0 ? range * 1.03 : 1;
    Histogram h = Histogram.of(kept, BINS, signed ? -range : 0, range);
    double[] cx = new double[0];
    double[] cy = new double[0];
    if (g != null) {
      int n = 241;
      cx = new double[n];
      cy = new double[n];
      double lo = signed ? -range : 0;
      for (int i = 0; i < n; i++) {
        cx[i] = lo + (range - lo) * i / (n - 1);
        double d = g.density(Math.abs(cx[i]));
        cy[i] = signed ? d / 2 : d;
      }
    }
    return new ActivationPicture(value, h, sample.length - nonzero, sample.length, signed, cx,
        cy, fit, format.toString(), clip, ggdClip, maxAbs, sqnrDb(x, format));
  }

  /** {@code 10·log10(Σx² / Σ(x - Q(x))²)} with Q round-to-nearest and clamp to the codes. */
  static double sqnrDb(double[] x, ActivationFormat f) {
    double signal = 0;
    double noise = 0;
    double step = f.step();
    for (double v : x) {
      double q = Math.max(f.lo(), Math.min(f.hi(), Math.rint(v / step))) * step;
      signal += v * v;
      noise += (v - q) * (v - q);
    }
    return noise == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(signal / noise);
  }

  @Override
  public double[] curveX() {
    return curveX.clone();
  }

  @Override
  public double[] curveY() {
    return curveY.clone();
  }
}
