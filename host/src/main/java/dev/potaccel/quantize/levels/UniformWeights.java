package dev.potaccel.quantize.levels;

import dev.potaccel.quantize.WeightCodebook;
import java.util.Map;

/**
 * Uniform (two's-complement INT8-format) weights with a power-of-two scale: the {@code int8}
 * baseline, and the weight rule of the GGD paper (seed 004, Kim et al. arXiv 1810.13329;
 * research §2.5): "the fractional bit length that minimizes the quantization error over their
 * distribution", {@code E(FL) = Σ(w - 2^-FL·clamp(round(w·2^FL), -2^(N-1), 2^(N-1)-1))²},
 * searched exhaustively per layer.
 *
 * @param bits code width {@code N}, 2..8
 * @param minMse false: max-abs rule, the largest {@code F} with {@code max|w|·2^F <= hi} (no
 *     weight clipped); true: the {@code F} minimizing the layer's squared error (may clip)
 * @param scalePerChannel one {@code F} per output channel (else one per layer)
 * @param symmetric codes {@code ±(2^(N-1) - 1)} (the existing int8 baseline's narrow range); else
 *     the full two's-complement range including {@code -2^(N-1)} (the GGD paper's clamp)
 */
public record UniformWeights(String id, int bits, boolean minMse, boolean scalePerChannel,
    boolean symmetric) implements WeightScheme {
  public UniformWeights {
    if (bits < 2 || bits > 8) {
      throw new IllegalArgumentException("uniform weights need 2..8 bits, got " + bits);
    }
  }

  /**
   * The {@code int8} baseline, identical to the existing QuantizationScheme.INT8: per output
   * channel the largest {@code F} with {@code max|w|·2^F <= 127}, codes
   * {@code round(w·2^F)} half away from zero.
   */
  public static UniformWeights int8Baseline() {
    return new UniformWeights("int8", 8, false, true, true);
  }

  /** The GGD paper's weights: {@code bits}-bit, per layer, min-MSE fractional length. */
  public static UniformWeights ggd(int bits) {
    return new UniformWeights(bits == 8 ? "ggd" : "ggd" + bits, bits, true, false, false);
  }

  @Override
  public int codeBits() {
    return bits;
  }

  @Override
  public Map<String, String> parameters() {
    return Map.of("weight_format", "INT8", "weight_bits", Integer.toString(bits),
        "weight_scale", (scalePerChannel ? "per output channel" : "per layer") + ", power of two, "
            + (minMse ? "fractional length minimizing the squared error (GGD paper, seed 004)"
                : "largest with max|w|*2^F <= " + hi()),
        "weight_rounding", "nearest, half away from zero, clamped to [" + lo() + ", " + hi() + "]");
  }

  private int hi() {
    return (1 << (bits - 1)) - 1;
  }

  private int lo() {
    return symmetric ? -hi() : -(1 << (bits - 1));
  }

  @Override
  public QuantizedLayer quantizeLayer(float[] w, int outChannels, int perChannel,
      int[] fracLimit) {
    double[] levels = new double[hi() - lo() + 1];
    for (int i = 0; i < levels.length; i++) {
      levels[i] = lo() + i;
    }
    ScalarQuantizer q = ScalarQuantizer.nearest(levels);
    int[] frac = new int[outChannels];
    int layerFrac = 0;
    if (!scalePerChannel) {
      layerFrac = chooseFrac(EmpiricalDistribution.of(w, 0, outChannels * perChannel), q,
          Integer.MAX_VALUE);
    }
    int[] codes = new int[outChannels * perChannel];
    int mask = (1 << bits) - 1;
    for (int m = 0; m < outChannels; m++) {
      int limit = fracLimit == null ? Integer.MAX_VALUE : fracLimit[m];
      int from = m * perChannel;
      if (!scalePerChannel) {
        frac[m] = PowerOfTwoScale.clamp(layerFrac, limit);
      } else if (minMse) {
        frac[m] = chooseFrac(EmpiricalDistribution.of(w, from, perChannel), q, limit);
      } else { // max-abs needs no sorted copy
        frac[m] = PowerOfTwoScale.clamp(PowerOfTwoScale.largestFrac(
            PowerOfTwoScale.maxAbs(w, from, perChannel), hi(), false), limit);
      }
      for (int j = 0; j < perChannel; j++) {
        long v = PowerOfTwoScale.roundHalfAway(Math.scalb((double) w[from + j], frac[m]));
        codes[from + j] = (int) Math.max(lo(), Math.min(hi(), v)) & mask;
      }
    }
    return new QuantizedLayer(WeightCodebook.int8(bits), codes, frac,
        id + (scalePerChannel ? "" : " F=" + layerFrac));
  }

  private int chooseFrac(EmpiricalDistribution d, ScalarQuantizer q, int limit) {
    return minMse ? PowerOfTwoScale.minMseFrac(d, q, hi(), limit)
        : PowerOfTwoScale.clamp(PowerOfTwoScale.largestFrac(d.maxAbs(), hi(), false), limit);
  }
}
