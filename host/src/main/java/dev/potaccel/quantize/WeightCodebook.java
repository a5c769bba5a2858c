package dev.potaccel.quantize;

import dev.potaccel.protocol.pkg.WeightFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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

  /**
   * TERMS codes: any table whose levels are sums of at most 3 signed powers of two (APoT, UPoT,
   * ShiftCNN, Kalali's two-term weights; research/quantization.md §2.1–2.2, §3.1). Each entry's
   * terms are its {@link #naf non-adjacent form}, the fewest possible.
   *
   * @throws IllegalArgumentException if a level needs more than 3 terms, or {@code levels[0] != 0}
   */
  public static WeightCodebook terms(int bits, int[] levels) {
    for (int c = 0; c < levels.length; c++) {
      if (Math.abs((long) levels[c]) > 1 << 30 || naf(levels[c]).size() > 3) {
        throw new IllegalArgumentException("code " + c + ": level " + levels[c]
            + " is not a sum of at most 3 signed powers of two 2^0..2^30");
      }
    }
    return new WeightCodebook(WeightFormat.TERMS, bits, levels);
  }

  /**
   * LUT codes: any integer levels with {@code |v| < 2^15} on the layer's scale (seed 002's
   * non-uniform single-scale quantizer, research §2.3).
   *
   * @throws IllegalArgumentException if a level is out of range, or {@code levels[0] != 0}
   */
  public static WeightCodebook lut(int bits, int[] levels) {
    for (int c = 0; c < levels.length; c++) {
      if (Math.abs(levels[c]) >= 1 << 15) {
        throw new IllegalArgumentException("code " + c + ": LUT level " + levels[c]
            + " is outside |v| < 2^15");
      }
    }
    return new WeightCodebook(WeightFormat.LUT, bits, levels);
  }

  /** One signed power-of-two term {@code ±2^exponent} of a POT or TERMS entry. */
  public record Term(boolean negative, int exponent) {
    /** The term's value. */
    public long value() {
      return negative ? -(1L << exponent) : 1L << exponent;
    }
  }

  /**
   * The terms entry {@code code} stores (docs/accelerator.md §2): its non-adjacent form for POT
   * and TERMS codebooks (one term for a POT level), none for INT8, LUT and level 0.
   */
  public List<Term> terms(int code) {
    return format == WeightFormat.POT || format == WeightFormat.TERMS ? naf(levels[code])
        : List.of();
  }

  /**
   * {@code k} of the codebook: the most terms any entry needs (TERMS and POT; 0 for INT8 and
   * LUT, which use a multiplier). A TERMS PE with at least this many shifters decodes it.
   */
  public int maxTerms() {
    if (format != WeightFormat.POT && format != WeightFormat.TERMS) {
      return 0;
    }
    int k = 0;
    for (int v : levels) {
      k = Math.max(k, naf(v).size());
    }
    return k;
  }

  /**
   * The non-adjacent form of {@code v}: the unique signed-digit representation with no two
   * adjacent nonzero digits, which has the fewest nonzero digits of any, so a level fits a
   * {@code k}-term PE iff its NAF has at most {@code k} terms. Highest exponent first; empty for
   * 0. Examples: {@code 7 = 2^3 - 2^0}, {@code 10 = 2^3 + 2^1}, {@code -3 = -2^2 + 2^0}.
   */
  public static List<Term> naf(long v) {
    boolean negative = v < 0;
    long n = Math.abs(v);
    List<Term> out = new ArrayList<>();
    int e = 0;
    while (n != 0) {
      if ((n & 1) != 0) {
        long digit = 2 - (n & 3); // +1 if n = 1 mod 4, -1 if n = 3 mod 4
        out.add(0, new Term(negative ^ (digit < 0), e));
        n -= digit;
      }
      n >>= 1;
      e++;
    }
    return out;
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
