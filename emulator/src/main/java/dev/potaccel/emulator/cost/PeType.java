package dev.potaccel.emulator.cost;

/**
 * The processing element of an accelerator's array (docs/accelerator.md §6, §8), and the weight
 * formats it runs (§2).
 */
public enum PeType {
  /**
   * An 8-bit activation times a decoded weight level of up to 16 bits (|v| < 2^15), accumulated at
   * 32 bits: one DSP48 per PE. Runs every format, since every codebook decodes to an integer level:
   * INT8 and LUT need it; POT and TERMS run on it if their levels fit the operand.
   */
  MULTIPLIER,
  /** One barrel shifter and an add/subtract into the accumulator: POT, and TERMS with k = 1. */
  SHIFT,
  /**
   * {@code maxTerms} shifters and adders working in parallel, one MAC per cycle: POT, and TERMS
   * whose k is at most the accelerator's {@code maxTerms}.
   */
  SHIFT_ADD_K;

  /** {@code "shift_add_k"}, the spelling of the text format. */
  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses {@code multiplier}, {@code shift} or {@code shift_add_k} (any case, '-' for '_'). */
  public static PeType parse(String s) {
    String k = s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
    for (PeType t : values()) {
      if (t.name().equals(k)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "unknown PE type '" + s.trim() + "'; expected multiplier, shift or shift_add_k");
  }
}
