package dev.potaccel.quantize;

import dev.potaccel.quantize.levels.ChannelNormalized;
import dev.potaccel.quantize.levels.UniformWeights;
import dev.potaccel.quantize.levels.UpotWeights;
import dev.potaccel.quantize.levels.WeightScheme;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A quantization scheme as {@code potaccel compile --scheme METHOD [--bits B]} names it: the
 * method and its weight code width. The baseline enum {@link QuantizationScheme} stays for the
 * callers that only know {@code int8} and {@code pot4} (server, bench); {@link #of} maps it here,
 * and those two keep exactly their original quantizer, so their packages are unchanged.
 *
 * <p>Methods (docs/quantization-study.md, research/quantization.md §2–3): {@code int8},
 * {@code pot4}, {@code apot4} (baselines), {@code kalali} (two-term TERMS), {@code doubleq}
 * (int8 then 5-bit PoT), {@code doubleqext} (doubleq on the layers that lose least, int8 on the
 * rest; the choice is made by the compile flow), {@code upot} (2, 3, 4 bits), {@code lut}
 * (k-quantile levels in a LUT, 2..8 bits), {@code ggd} (min-error fractional lengths for
 * weights, GGD-fitted activation steps, 2..8 bits).
 *
 * @param method the method's name
 * @param bits the weight code width the method runs at ({@link #DEFAULT_BITS} when not given)
 */
public record SchemeSpec(String method, int bits) {
  /** Every method, in the order the study lists them. */
  public static final List<String> METHODS = List.of("int8", "pot4", "apot4", "ggd", "doubleq",
      "doubleqext", "upot", "kalali", "lut");

  /** The method's code width when {@code --bits} is not given. */
  public static final Map<String, Integer> DEFAULT_BITS = Map.of("int8", 8, "pot4", 4, "apot4",
      4, "ggd", 8, "doubleq", 5, "doubleqext", 5, "upot", 4, "kalali", 7, "lut", 4);

  public SchemeSpec {
    if (!METHODS.contains(method)) {
      throw new IllegalArgumentException("unknown scheme '" + method + "'; valid schemes: "
          + String.join(", ", METHODS));
    }
    int fixed = DEFAULT_BITS.get(method);
    switch (method) {
      case "upot" -> {
        if (bits < 2 || bits > 4) {
          throw new IllegalArgumentException("upot takes --bits 2, 3 or 4, got " + bits);
        }
      }
      case "lut", "ggd" -> {
        if (bits < 2 || bits > 8) {
          throw new IllegalArgumentException(method + " takes --bits 2..8, got " + bits);
        }
      }
      default -> {
        if (bits != fixed) {
          throw new IllegalArgumentException(method + " has a fixed code width of " + fixed
              + " bits; --bits " + bits + " does not apply");
        }
      }
    }
  }

  /**
   * The scheme {@code method} (case-insensitive) with {@code bits}, or its default width when
   * {@code bits} is null.
   *
   * @throws IllegalArgumentException naming the valid schemes, or the bit widths the method takes
   */
  public static SchemeSpec parse(String method, Integer bits) {
    String m = method.strip().toLowerCase(Locale.ROOT);
    if (!METHODS.contains(m)) {
      throw new IllegalArgumentException("unknown scheme '" + method + "'; valid schemes: "
          + String.join(", ", METHODS));
    }
    return new SchemeSpec(m, bits != null ? bits : DEFAULT_BITS.get(m));
  }

  /**
   * "upot3", "ggd" or "int8": the method with its width when that is not the default, or when the
   * method takes several widths and the label should say which ({@code upot}, {@code lut}).
   */
  public static SchemeSpec parseLabel(String label) {
    String t = label.strip().toLowerCase(Locale.ROOT);
    if (METHODS.contains(t)) {
      return parse(t, null);
    }
    int i = t.length();
    while (i > 0 && Character.isDigit(t.charAt(i - 1))) {
      i--;
    }
    if (i == t.length() || i == 0 || !METHODS.contains(t.substring(0, i))) {
      return parse(label, null); // fails naming the whole label and the valid schemes
    }
    return parse(t.substring(0, i), Integer.parseInt(t.substring(i)));
  }

  /** The baseline enum's scheme. */
  public static SchemeSpec of(QuantizationScheme s) {
    return parse(s.id(), null);
  }

  /** The baseline this is, or null: int8 and pot4 keep their original quantizer exactly. */
  public QuantizationScheme baseline() {
    return switch (method) {
      case "int8" -> QuantizationScheme.INT8;
      case "pot4" -> QuantizationScheme.POT4;
      default -> null;
    };
  }

  /**
   * The name in package provenance and tables: the method, with the width appended when the
   * method takes several ({@code upot4}, {@code lut3}, {@code ggd6}) and it is not the default
   * of one named by its width already ({@code int8}, {@code pot4}, {@code apot4} stay).
   */
  public String id() {
    return switch (method) {
      case "upot", "lut" -> method + bits;
      case "ggd" -> bits == 8 ? "ggd" : "ggd" + bits;
      default -> method;
    };
  }

  /** Whether activations take GGD-fitted steps (the GGD method) rather than max-abs ranges. */
  public boolean ggdActivations() {
    return method.equals("ggd");
  }

  /**
   * The weight quantizer of every layer; {@code doubleqext} has none (the compile flow chooses
   * {@code doubleq} or {@code int8} per layer).
   *
   * <p>The methods the papers describe with one scale per layer ({@code ggd}, {@code upot},
   * {@code kalali}, {@code lut}) get a power-of-two scale per output channel here: BatchNorm is
   * folded into the weights first, which gives every channel its own {@code γ/σ} factor, and
   * research/quantization.md §1.3 requires the per-channel scale then. With one scale per layer
   * MobileNet's depthwise layers lose most channels (UPoT-4 scored 25% and the LUT 30% top-1 on
   * mobilenet-small that way, FP32 94%); per-channel scales cost nothing, {@code F_w} is per
   * channel in the contract (docs/accelerator.md §1.1). GGD and UPoT search their scale per
   * channel directly; Kalali and the LUT run on channels normalised by a power of two ({@link
   * ChannelNormalized}), so each layer keeps one level set.
   *
   * @throws IllegalStateException for doubleqext
   */
  public WeightScheme weightScheme() {
    return switch (method) {
      case "doubleqext" -> throw new IllegalStateException(
          "doubleqext chooses doubleq or int8 per layer");
      case "ggd" -> new UniformWeights(id(), bits, true, true, false);
      case "upot" -> new UpotWeights(bits, true);
      case "kalali", "lut" -> new ChannelNormalized(WeightScheme.named(method,
          variableWidth() ? bits : 0));
      default -> WeightScheme.named(method, variableWidth() ? bits : 0);
    };
  }

  /** Whether {@code --bits} chooses among several widths (upot, lut, ggd). */
  public boolean variableWidth() {
    return method.equals("upot") || method.equals("lut") || method.equals("ggd");
  }

  /** What the scheme does, for provenance ({@code scheme_parameters}). */
  public Map<String, String> parameters() {
    if (baseline() != null) {
      return baseline().parameters();
    }
    Map<String, String> all = new TreeMap<>();
    if (method.equals("doubleqext")) {
      all.putAll(WeightScheme.named("doubleq", 0).parameters());
      all.put("weight_format", "POT (doubleq layers) or INT8 (the rest)");
      all.put("weight_bits", "5 (doubleq layers) or 8");
      all.put("layer_selection", "layers ranked by how little top-1 on the calibration split"
          + " drops when only that layer is made PoT (ties: weight SQNR lost), converted"
          + " greedily under a memory target or an accuracy budget");
    } else {
      all.putAll(weightScheme().parameters());
    }
    all.put("method", method);
    all.put("activation_bits", Integer.toString(QuantizationScheme.ACTIVATION_BITS));
    all.put("activation_scale", ggdActivations()
        ? "per tensor, power of two: the generalized gamma fit of the calibration sample"
            + " (single-sided after ReLU, double-sided otherwise), asymptotic clip refined on"
            + " the sample error, snapped to the better of floor/ceil; graph inputs and outputs"
            + " max-abs"
        : "per tensor, largest power of two with max|x|*2^F <= 127 (signed) or 255 (unsigned,"
            + " after ReLU), max from calibration");
    return all;
  }

  @Override
  public String toString() {
    return id();
  }
}
