package dev.potaccel.quantize.levels;

import java.util.Map;

/**
 * Kalali & van Leuken, DSD 2021 (seed 000; research §2.1, reconstruction [R]): multiplier-free
 * weights. Per layer, 8-bit fixed point {@code q = clamp(round(w·2^FL), -127, 127)}, then
 * {@code |q|} is projected onto the nearest (linear midpoints) of
 * {@code V = {0} ∪ {2^a} ∪ {2^a + 2^b : a > b}}, {@code a, b ∈ [0, 7]} (37 magnitudes), keeping
 * the sign, so {@code w·x = (x << a) + (x << b)}: TERMS with k = 2. With {@code signedDigits}
 * also {@code 2^a - 2^b} (52 magnitudes). The two-step rounding (int8 first, then projection) is
 * the method's: it quantizes "8-bit fixed-point CNN weights". Codes are sign + 6-bit index
 * (7 bits); the research's {@code s|a(4)|b(3)} byte is an equivalent 8-bit layout.
 *
 * @param fracRule how the layer's {@code FL} is chosen (research §2.1 step 1)
 */
public record KalaliWeights(boolean signedDigits, FracRule fracRule) implements WeightScheme {
  /** Step 1's fractional-length rule. */
  public enum FracRule {
    /** Largest {@code FL} with {@code max|w|·2^FL <= 127}: no weight clipped. */
    MAX_ABS,
    /** {@code FL} minimizing the int8 squared error (the GGD paper's weight rule, §2.5). */
    MIN_MSE
  }

  @Override
  public String id() {
    return signedDigits ? "kalali-sd" : "kalali";
  }

  /** The projection set. */
  public LevelSet set() {
    return LevelSet.twoTerms(7, signedDigits);
  }

  @Override
  public int codeBits() {
    return set().codebook().bits();
  }

  @Override
  public Map<String, String> parameters() {
    return Map.of("weight_format", "TERMS", "weight_bits", Integer.toString(codeBits()),
        "weight_terms", "2", "weight_levels", set().name() + ", a > b in 0..7",
        "weight_scale", "per layer, 8-bit fractional length: " + fracRule,
        "weight_rounding", "int8 round half away from zero, clamp +-127, then nearest level"
            + " (linear midpoints, ties up)");
  }

  @Override
  public QuantizedLayer quantizeLayer(float[] w, int outChannels, int perChannel,
      int[] fracLimit) {
    LevelSet set = set();
    int n = outChannels * perChannel;
    double max = PowerOfTwoScale.maxAbs(w, 0, n);
    int fl = fracRule == FracRule.MAX_ABS ? PowerOfTwoScale.largestFrac(max, 127, false)
        : PowerOfTwoScale.minMseFrac(EmpiricalDistribution.of(w, 0, n),
            ScalarQuantizer.uniformMidtread(127), 127, Integer.MAX_VALUE);
    int[] codes = new int[n];
    int[] frac = new int[outChannels];
    for (int m = 0; m < outChannels; m++) {
      frac[m] = PowerOfTwoScale.clamp(fl, fracLimit == null ? Integer.MAX_VALUE : fracLimit[m]);
      for (int j = 0; j < perChannel; j++) {
        double x = w[m * perChannel + j];
        long q = PowerOfTwoScale.roundHalfAway(Math.scalb(x, frac[m]));
        q = Math.max(-127, Math.min(127, q));
        codes[m * perChannel + j] = set.code(set.nearest(Math.abs(q), Rounding.LINEAR), q < 0);
      }
    }
    return new QuantizedLayer(set.codebook(), codes, frac, id() + " FL=" + fl);
  }
}
