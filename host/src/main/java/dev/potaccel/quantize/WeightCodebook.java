package dev.potaccel.quantize;

import dev.potaccel.protocol.pkg.WeightFormat;
import java.util.Arrays;

/**
 * A layer's weight codebook (docs/accelerator.md §2): entry {@code c} is the integer level code
 * {@code c} decodes to. Code 0 is always level 0.
 */
public record WeightCodebook(WeightFormat format, int bits, int[] levels) {
  public WeightCodebook {
    if (bits < 2 || bits > 8) {
      throw new IllegalArgumentException("code width must be 2..8 bits, got " + bits);
    }
    if (levels.length != 1 << bits) {
      throw new IllegalArgumentException(bits + "-bit codes need " + (1 << bits) + " levels, got "
          + levels.length);
    }
    if (levels[0] != 0) {
      throw new IllegalArgumentException("code 0 must decode to 0, got " + levels[0]);
    }
    levels = levels.clone();
  }

  /** {@code bits}-bit two's complement: code {@code c} is the signed value of its bit pattern. */
  public static WeightCodebook int8(int bits) {
    int[] levels = new int[1 << bits];
    for (int c = 0; c < levels.length; c++) {
      levels[c] = c < levels.length / 2 ? c : c - levels.length;
    }
    return new WeightCodebook(WeightFormat.INT8, bits, levels);
  }

  /**
   * Power-of-two codes: {@code c = sign << (bits-1) | e_idx}, {@code e_idx = 0} zero (also with
   * the sign bit: the reserved code), otherwise {@code ±2^(eMin + e_idx - 1)}.
   */
  public static WeightCodebook pot(int bits, int eMin) {
    int[] levels = new int[1 << bits];
    int half = 1 << (bits - 1);
    for (int e = 1; e < half; e++) {
      levels[e] = 1 << (eMin + e - 1);
      levels[half | e] = -(1 << (eMin + e - 1));
    }
    return new WeightCodebook(WeightFormat.POT, bits, levels);
  }

  /** The level code {@code c} decodes to. */
  public int level(int code) {
    return levels[code];
  }

  @Override
  public int[] levels() {
    return levels.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WeightCodebook c && format == c.format && bits == c.bits
        && Arrays.equals(levels, c.levels);
  }

  @Override
  public int hashCode() {
    return (format.hashCode() * 31 + bits) * 31 + Arrays.hashCode(levels);
  }

  @Override
  public String toString() {
    return format + " " + bits + "-bit";
  }
}
