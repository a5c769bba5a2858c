package dev.potaccel.quantize;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The baseline quantization schemes: how weights become codes. Activations are 8-bit in both. */
public enum QuantizationScheme {
  /**
   * 8-bit two's-complement weights; per output channel the largest {@code F_w} with {@code
   * max|w|·2^F_w <= 127}, codes {@code round(w·2^F_w)} (half away from zero).
   */
  INT8("int8", Map.of("weight_bits", "8", "weight_format", "INT8",
      "weight_scale", "per output channel, largest power of two with max|w|*2^F <= 127",
      "weight_rounding", "nearest, half away from zero")),
  /**
   * 4-bit power-of-two weights: sign and a 3-bit exponent index (0 is zero, 1..7 are 2^0..2^6);
   * per output channel {@code F_w} puts the largest {@code |w|} on the top level 2^6, every
   * weight rounds to the nearest level in the linear domain (midpoints {@code 1.5·2^e}, and 0.5
   * between zero and 1).
   */
  POT4("pot4", Map.of("weight_bits", "4", "weight_format", "POT", "pot_e_min", "0",
      "weight_scale",
      "per output channel, largest power of two with max|w|*2^F < 96 (top level 64)",
      "weight_rounding", "nearest level in the linear domain, ties up"));

  /** Activation code width of both schemes. */
  public static final int ACTIVATION_BITS = 8;

  private final String id;
  private final Map<String, String> parameters;

  QuantizationScheme(String id, Map<String, String> parameters) {
    this.id = id;
    this.parameters = parameters;
  }

  /** The name on the command line and in package provenance: "int8", "pot4". */
  public String id() {
    return id;
  }

  /** What the scheme does, for provenance ({@code scheme_parameters}). */
  public Map<String, String> parameters() {
    Map<String, String> all = new TreeMap<>(parameters);
    all.put("activation_bits", Integer.toString(ACTIVATION_BITS));
    all.put("activation_scale", "per tensor, largest power of two with max|x|*2^F <= 127"
        + " (signed) or 255 (unsigned, after ReLU), max from calibration");
    return all;
  }

  /**
   * The scheme named {@code text} (case-insensitive).
   *
   * @throws IllegalArgumentException naming the valid schemes
   */
  public static QuantizationScheme parse(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(s -> s.id.equals(t)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown scheme '" + text
            + "'; valid schemes: " + validSchemes()));
  }

  /** "int8, pot4". */
  public static String validSchemes() {
    return Arrays.stream(values()).map(QuantizationScheme::id).collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return id;
  }
}
