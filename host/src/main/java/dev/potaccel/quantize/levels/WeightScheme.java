package dev.potaccel.quantize.levels;

import java.util.Map;

/**
 * How one method turns a layer's FP32 weights into accelerator codes: a codebook, codes and a
 * power-of-two scale per output channel (docs/accelerator.md §1.1–§2). One implementation per
 * method of the seed-quantization issue; {@link #named} maps the names of
 * {@code potaccel compile --scheme ... --bits ...} to them. BatchNorm must already be folded into
 * {@code w} (research §1.3).
 */
public interface WeightScheme {
  /**
   * Largest |bias| code a scale may give, leaving room for the accumulator sum (the existing
   * WeightQuantizer's limit).
   */
  double BIAS_LIMIT = 0x1p30;

  /** The name on the command line and in provenance ("upot3", "kalali", ...). */
  String id();

  /** What the scheme does, for the package's {@code scheme_parameters}. */
  Map<String, String> parameters();

  /**
   * Quantizes one layer.
   *
   * @param w the weights, row-major {@code [outChannels][perChannel]} ({@code [M][Cg·kh·kw]})
   * @param fracLimit per output channel, the largest {@code F_w} allowed (from the bias: see
   *     {@link #biasFracLimits}), or null for none
   */
  QuantizedLayer quantizeLayer(float[] w, int outChannels, int perChannel, int[] fracLimit);

  /** {@link #quantizeLayer(float[], int, int, int[])} without a bias constraint. */
  default QuantizedLayer quantizeLayer(float[] w, int outChannels, int perChannel) {
    return quantizeLayer(w, outChannels, perChannel, null);
  }

  /**
   * Per output channel the largest {@code F_w} with {@code |bias|·2^(inputFrac + F_w) <= 2^30},
   * so the bias fits int32 at the accumulator scale with room for the sum (only a channel of
   * near-zero weights and a large bias ever reaches it; the rule of the existing
   * WeightQuantizer).
   */
  static int[] biasFracLimits(float[] bias, int inputFrac) {
    int[] limit = new int[bias.length];
    for (int m = 0; m < bias.length; m++) {
      int f = PowerOfTwoScale.MAX_FRAC;
      while (f > -PowerOfTwoScale.MAX_FRAC
          && Math.abs(Math.scalb((double) bias[m], inputFrac + f)) > BIAS_LIMIT) {
        f--;
      }
      limit[m] = f;
    }
    return limit;
  }

  /**
   * The scheme {@code id} with {@code bits} (0 for the method's default): {@code int8},
   * {@code pot4}, {@code apot4}, {@code kalali}, {@code doubleq}, {@code upot} (bits 2, 3, 4;
   * default 4), {@code lut} (2..8, default 4), {@code ggd} (2..8, default 8). {@code doubleqext}
   * is not one layer's scheme but a choice of {@code doubleq} or {@code int8} per layer: see
   * {@link DoubleQExt}.
   *
   * @throws IllegalArgumentException for an unknown name or bit width
   */
  static WeightScheme named(String id, int bits) {
    return switch (id) {
      case "int8" -> noBits(id, bits, UniformWeights.int8Baseline());
      case "pot4" -> noBits(id, bits, PotWeights.pot4Baseline());
      case "apot4" -> noBits(id, bits, LevelSetWeights.apot4());
      case "kalali" -> noBits(id, bits, new KalaliWeights(false, KalaliWeights.FracRule.MAX_ABS));
      case "doubleq" -> noBits(id, bits, new DoubleQWeights(Rounding.LINEAR));
      case "upot" -> new UpotWeights(bits == 0 ? 4 : bits, false);
      case "lut" -> new QuantileLutWeights(bits == 0 ? 4 : bits, 0);
      case "ggd" -> UniformWeights.ggd(bits == 0 ? 8 : bits);
      case "doubleqext" -> throw new IllegalArgumentException(
          "doubleqext chooses doubleq or int8 per layer: use DoubleQExt.plan");
      default -> throw new IllegalArgumentException("unknown weight scheme '" + id + "'");
    };
  }

  private static WeightScheme noBits(String id, int bits, WeightScheme s) {
    if (bits != 0 && bits != s.codeBits()) {
      throw new IllegalArgumentException(id + " has a fixed code width of " + s.codeBits()
          + " bits, not " + bits);
    }
    return s;
  }

  /** The scheme's code width. */
  int codeBits();
}
