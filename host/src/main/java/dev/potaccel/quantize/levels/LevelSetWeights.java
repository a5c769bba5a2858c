package dev.potaccel.quantize.levels;

import java.util.Map;

/**
 * Any sign-symmetric {@link LevelSet} with a power-of-two scale chosen to minimize the squared
 * error (per output channel or per layer), nearest level by {@code rounding}. The {@code apot4}
 * baseline is this with APoT's 4-bit set (Li et al., research §3.1: APoT learns α; without
 * training the MSE-optimal PoT-snapped α is the post-training analogue). It also serves the
 * comparison sets of §4.4 (≤3 set bits, ShiftCNN) as TERMS weights.
 */
public record LevelSetWeights(String id, LevelSet set, Rounding rounding, boolean scalePerChannel)
    implements WeightScheme {

  /** {@code apot4}: APoT 4-bit weights {@code {0,1,2,3,4,6,8,10}·2^-F}, per channel. */
  public static LevelSetWeights apot4() {
    return new LevelSetWeights("apot4", LevelSet.apot4(), Rounding.LINEAR, true);
  }

  @Override
  public int codeBits() {
    return set.codebook().bits();
  }

  @Override
  public Map<String, String> parameters() {
    return Map.of("weight_format", set.codebook().format().toString(),
        "weight_bits", Integer.toString(codeBits()),
        "weight_levels", set.name() + " " + java.util.Arrays.toString(set.magnitudes()),
        "weight_scale", (scalePerChannel ? "per output channel" : "per layer")
            + ", power of two minimizing the squared error",
        "weight_rounding", rounding.toString().toLowerCase(java.util.Locale.ROOT)
            + " nearest level, ties away from zero");
  }

  @Override
  public QuantizedLayer quantizeLayer(float[] w, int outChannels, int perChannel,
      int[] fracLimit) {
    return encode(set, rounding, scalePerChannel, w, outChannels, perChannel, fracLimit, id);
  }

  /**
   * Sign-magnitude encoding of a layer over {@code set} with min-MSE power-of-two scales; shared
   * with UPoT once its subsets are chosen.
   */
  static QuantizedLayer encode(LevelSet set, Rounding rounding, boolean scalePerChannel,
      float[] w, int outChannels, int perChannel, int[] fracLimit, String description) {
    ScalarQuantizer q = set.quantizer(rounding);
    int layerFrac = 0;
    if (!scalePerChannel) {
      layerFrac = PowerOfTwoScale.minMseFrac(
          EmpiricalDistribution.magnitudes(w, 0, outChannels * perChannel), q, set.max(),
          Integer.MAX_VALUE);
    }
    int[] codes = new int[outChannels * perChannel];
    int[] frac = new int[outChannels];
    for (int m = 0; m < outChannels; m++) {
      int from = m * perChannel;
      int limit = fracLimit == null ? Integer.MAX_VALUE : fracLimit[m];
      frac[m] = scalePerChannel ? PowerOfTwoScale.minMseFrac(
          EmpiricalDistribution.magnitudes(w, from, perChannel), q, set.max(), limit)
          : PowerOfTwoScale.clamp(layerFrac, limit);
      for (int j = 0; j < perChannel; j++) {
        double x = Math.scalb((double) w[from + j], frac[m]);
        codes[from + j] = set.code(set.nearest(Math.abs(x), rounding), x < 0);
      }
    }
    return new QuantizedLayer(set.codebook(), codes, frac,
        description + (scalePerChannel ? "" : " F=" + layerFrac));
  }
}
