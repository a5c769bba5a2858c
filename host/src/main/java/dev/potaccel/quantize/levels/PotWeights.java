package dev.potaccel.quantize.levels;

import java.util.Map;

/**
 * Single power-of-two weights in the POT format (sign, exponent index, reserved zero code): the
 * {@code pot4} baseline, identical to the existing QuantizationScheme.POT4. Per output channel
 * {@code F} is the largest with {@code max|w|·2^F < 1.5·2^top}, so the largest weight rounds to
 * the top level {@code 2^top}; each weight then rounds to the nearest level by {@code rounding}.
 *
 * @param bits code width (4 for pot4: exponents {@code 2^0..2^6})
 */
public record PotWeights(int bits, Rounding rounding) implements WeightScheme {
  /** The existing pot4 scheme: 4 bits, linear rounding. */
  public static PotWeights pot4Baseline() {
    return new PotWeights(4, Rounding.LINEAR);
  }

  @Override
  public String id() {
    return "pot" + bits;
  }

  @Override
  public int codeBits() {
    return bits;
  }

  @Override
  public Map<String, String> parameters() {
    int top = (1 << (bits - 1)) - 2;
    return Map.of("weight_format", "POT", "weight_bits", Integer.toString(bits), "pot_e_min", "0",
        "weight_scale", "per output channel, largest power of two with max|w|*2^F < 1.5*2^" + top,
        "weight_rounding", rounding == Rounding.LINEAR
            ? "nearest level in the linear domain, ties up" : "nearest exponent in log2, ties up");
  }

  @Override
  public QuantizedLayer quantizeLayer(float[] w, int outChannels, int perChannel,
      int[] fracLimit) {
    LevelSet set = LevelSet.pot((1 << (bits - 1)) - 1);
    int top = set.max();
    int[] codes = new int[outChannels * perChannel];
    int[] frac = new int[outChannels];
    for (int m = 0; m < outChannels; m++) {
      int from = m * perChannel;
      frac[m] = PowerOfTwoScale.clamp(PowerOfTwoScale.largestFrac(
          PowerOfTwoScale.maxAbs(w, from, perChannel), 1.5 * top, true),
          fracLimit == null ? Integer.MAX_VALUE : fracLimit[m]);
      for (int j = 0; j < perChannel; j++) {
        double x = Math.scalb((double) w[from + j], frac[m]);
        codes[from + j] = set.code(set.nearest(Math.abs(x), rounding), x < 0);
      }
    }
    return new QuantizedLayer(set.codebook(), codes, frac, id());
  }
}
