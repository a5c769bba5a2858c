package dev.potaccel.quantize.levels;

/**
 * The GGD paper's feature-map step (seed 004; research §2.5): fit a {@link GeneralizedGamma} to
 * the samples, take the asymptotic optimal clip from its closed-form tail ({@link
 * StepSize#asymptoticClip}, §4.2), refine the step by golden section on the samples' own error,
 * and snap it to a power of two (floor and ceil of {@code -log2 Δ}, the lower sample error wins),
 * because the accelerator's scales are powers of two.
 *
 * @param fit the fitted GGD of the nonzero values (single-sided) or of |x| (double-sided)
 * @param asymptoticStep {@code T/M} from the closed form
 * @param refinedStep the step minimizing the sample MSE near it
 * @param frac the snapped fractional length: step {@code 2^-frac}
 * @param mse the sample MSE at {@code 2^-frac}
 */
public record GgdStep(GeneralizedGamma fit, double asymptoticStep, double refinedStep, int frac,
    double mse) {

  /**
   * The step for {@code bits}-bit codes: unsigned midtread {@code 0..2^b - 1} when
   * {@code singleSided} (a ReLU output, zeros included in {@code x}), else signed midtread
   * {@code ±(2^(b-1) - 1)}.
   */
  public static GgdStep of(double[] x, int bits, boolean singleSided) {
    double[] mag = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      mag[i] = singleSided ? Math.max(0, x[i]) : Math.abs(x[i]);
    }
    GeneralizedGamma g = GeneralizedGamma.fit(mag);
    int m = singleSided ? (1 << bits) - 1 : (1 << (bits - 1)) - 1;
    double asym = StepSize.asymptoticClip(g::tailExcess, m) / m;
    ScalarQuantizer q = singleSided ? ScalarQuantizer.unsignedMidtread(bits)
        : ScalarQuantizer.uniformMidtread(m);
    EmpiricalDistribution d = EmpiricalDistribution.of(x);
    double l2 = Math.log(asym) / Math.log(2);
    double refined = Math.pow(2, Sqnr.minimizeLog2(l -> d.mse(q, Math.pow(2, l)), l2 - 1,
        l2 + 1, 32));
    int lo = (int) Math.floor(-Math.log(refined) / Math.log(2));
    double mseLo = d.mse(q, Math.scalb(1.0, -lo));
    double mseHi = d.mse(q, Math.scalb(1.0, -(lo + 1)));
    int frac = mseHi < mseLo ? lo + 1 : lo;
    return new GgdStep(g, asym, refined, frac, Math.min(mseLo, mseHi));
  }
}
