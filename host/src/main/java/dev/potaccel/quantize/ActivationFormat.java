package dev.potaccel.quantize;

/**
 * How one activation tensor is stored as codes (docs/accelerator.md §1.1): {@code value = q ·
 * 2^-frac}, {@code q} a {@code bits}-bit integer, signed or unsigned.
 */
public record ActivationFormat(int bits, boolean signed, int frac) {
  /** Fractional lengths are kept in this range: beyond it a tensor is all zeros or overflows. */
  public static final int MAX_FRAC = 30;

  public ActivationFormat {
    if (bits < 2 || bits > 8) {
      throw new IllegalArgumentException("activation bits must be 2..8, got " + bits);
    }
    if (Math.abs(frac) > MAX_FRAC) {
      throw new IllegalArgumentException("fractional length must be within ±" + MAX_FRAC
          + ", got " + frac);
    }
  }

  /**
   * The format whose range just holds {@code maxAbs}: the largest {@code F} with {@code
   * maxAbs·2^F <= hi} ({@code 2^(bits-1) - 1} signed, {@code 2^bits - 1} unsigned). A zero range
   * gets {@code F = 0}.
   */
  public static ActivationFormat covering(double maxAbs, boolean signed, int bits) {
    int hi = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    return new ActivationFormat(bits, signed, largestFrac(maxAbs, hi));
  }

  /**
   * The largest {@code F} in {@code [-MAX_FRAC, MAX_FRAC]} with {@code maxAbs·2^F <= limit}, or 0
   * when {@code maxAbs} is 0.
   */
  static int largestFrac(double maxAbs, double limit) {
    if (!(maxAbs > 0)) {
      return 0;
    }
    return Math.max(-MAX_FRAC, Math.min(MAX_FRAC, largestFracUnclamped(maxAbs, limit)));
  }

  /** The largest {@code F} with {@code maxAbs·2^F <= limit}, for {@code maxAbs > 0}. */
  static int largestFracUnclamped(double maxAbs, double limit) {
    int f = (int) Math.floor(Math.log(limit / maxAbs) / Math.log(2));
    while (Math.scalb(maxAbs, f + 1) <= limit) {
      f++;
    }
    while (Math.scalb(maxAbs, f) > limit) {
      f--;
    }
    return f;
  }

  /** The smallest code. */
  public int lo() {
    return signed ? -(1 << (bits - 1)) : 0;
  }

  /** The largest code. */
  public int hi() {
    return signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  }

  /** The value of one code step, {@code 2^-frac}. */
  public double step() {
    return Math.scalb(1.0, -frac);
  }

  /** The largest code magnitude an accumulator sees: {@code 2^(bits-1)} or {@code 2^bits - 1}. */
  public long maxMagnitude() {
    return signed ? 1L << (bits - 1) : (1L << bits) - 1;
  }

  @Override
  public String toString() {
    return (signed ? "int" : "uint") + bits + " F=" + frac;
  }
}
