package dev.potaccel.quantize.levels;

import java.util.Map;

/**
 * DoubleQ (See et al., IEEE Access 2021, seed 003; research §2.4, reconstruction [R]): static
 * post-training int8 first (level one: per output channel, the int8 baseline's power-of-two scale
 * and rounding), then each int8 weight becomes a power of two (level two):
 * {@code q' = sgn(q)·2^e}, {@code e} the nearest exponent of {@code |q|} in 0..7, {@code q = 0}
 * stays 0. The scale is unchanged, so requantization is too. Stored as 5-bit POT codes (sign +
 * 4-bit exponent index, 0 = zero): the "37.50% = 1 - 5/8" memory saving of the abstract.
 * {@code |q| >= 96} rounds to {@code 2^7 = 128}, which the POT format holds (no int8 clamp).
 */
public record DoubleQWeights(Rounding rounding) implements WeightScheme {
  private static final LevelSet EXPONENTS = LevelSet.pot(8);

  @Override
  public String id() {
    return "doubleq";
  }

  @Override
  public int codeBits() {
    return 5;
  }

  @Override
  public Map<String, String> parameters() {
    return Map.of("weight_format", "POT", "weight_bits", "5", "pot_e_min", "0",
        "weight_scale", "per output channel, largest power of two with max|w|*2^F <= 127 (int8)",
        "weight_rounding", "int8 round half away from zero, then nearest power of two of |q| in"
            + " 2^0..2^7, " + (rounding == Rounding.LINEAR ? "linear midpoints 1.5*2^e"
                : "log2 (geometric midpoints)") + ", ties up");
  }

  @Override
  public QuantizedLayer quantizeLayer(float[] w, int outChannels, int perChannel,
      int[] fracLimit) {
    QuantizedLayer int8 = UniformWeights.int8Baseline().quantizeLayer(w, outChannels,
        perChannel, fracLimit);
    int[] codes = int8.codes();
    for (int i = 0; i < codes.length; i++) {
      int q = (byte) codes[i]; // the int8 code's two's-complement value
      codes[i] = EXPONENTS.code(EXPONENTS.nearest(Math.abs(q), rounding), q < 0);
    }
    return new QuantizedLayer(EXPONENTS.codebook(), codes, int8.frac(), id());
  }
}
