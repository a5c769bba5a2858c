package dev.potaccel.quantize;

/**
 * Rounds one output channel's FP32 weights to codes of a scheme, choosing the channel's
 * power-of-two scale {@code 2^-F_w}. Both schemes cap {@code F_w} so the bias, at the accumulator
 * scale {@code F_x + F_w}, stays within {@code 2^30} (only a channel of near-zero weights with a
 * large bias ever reaches the cap).
 */
final class WeightQuantizer {
  /** Largest |bias| code the scale choice allows, leaving room for the accumulator sum. */
  static final double BIAS_LIMIT = 0x1p30;
  /** Weight fractional lengths are kept within ±this. */
  static final int MAX_FRAC = 40;

  /** Codes and scale of one output channel. */
  record Channel(int[] codes, int frac) {}

  private WeightQuantizer() {}

  /**
   * INT8: {@code F_w} is the largest with {@code max|w|·2^F_w <= 127}; codes are the bit patterns
   * of {@code round(w·2^F_w)}, rounding half away from zero, so no weight is clipped.
   */
  static Channel int8(float[] w, int from, int count, double bias, int inputFrac) {
    double max = maxAbs(w, from, count);
    int frac = cap(max > 0 ? ActivationFormat.largestFracUnclamped(max, 127) : 0, bias,
        inputFrac);
    int[] codes = new int[count];
    for (int j = 0; j < count; j++) {
      long v = roundHalfAway(Math.scalb((double) w[from + j], frac));
      v = Math.max(-127, Math.min(127, v));
      codes[j] = (int) v & 0xFF;
    }
    return new Channel(codes, frac);
  }

  /**
   * POT with {@code bits}-bit codes and {@code e_min = 0}: levels {@code 0, ±2^0 .. ±2^top},
   * {@code top = 2^(bits-1) - 2}. {@code F_w} is the largest with {@code max|w|·2^F_w < 1.5·2^top},
   * so the largest weight rounds to the top level; each weight rounds to the nearest level in the
   * linear domain: to 0 below 0.5, to {@code 2^(e+1)} from {@code 1.5·2^e} up (ties up), never
   * above {@code 2^top}.
   */
  static Channel pot(float[] w, int from, int count, int bits, double bias, int inputFrac) {
    int half = 1 << (bits - 1);
    int top = half - 2;
    double max = maxAbs(w, from, count);
    int frac = 0;
    if (max > 0) {
      frac = ActivationFormat.largestFracUnclamped(max, Math.scalb(1.5, top));
      if (Math.scalb(max, frac) >= Math.scalb(1.5, top)) {
        frac--; // the bound is strict
      }
    }
    frac = cap(frac, bias, inputFrac);
    int[] codes = new int[count];
    for (int j = 0; j < count; j++) {
      double x = Math.scalb((double) w[from + j], frac);
      int e = potExponent(Math.abs(x), top);
      codes[j] = e < 0 ? 0 : (x < 0 ? half : 0) | (e + 1);
    }
    return new Channel(codes, frac);
  }

  /**
   * The exponent {@code e} in {@code [0, top]} of the level nearest to {@code a >= 0}, or -1 for
   * zero: zero below 0.5, otherwise {@code 2^e} with {@code 1.5·2^(e-1) <= a < 1.5·2^e} (clamped
   * to {@code top}).
   */
  static int potExponent(double a, int top) {
    if (!(a >= 0.5)) {
      return -1;
    }
    if (a < 1.5) {
      return 0;
    }
    int e = Math.getExponent(a); // 2^e <= a < 2^(e+1)
    if (a >= Math.scalb(1.5, e)) {
      e++;
    }
    return Math.min(e, top);
  }

  /** {@code frac} lowered, if needed, so {@code |bias|·2^(inputFrac + frac) <= 2^30}. */
  private static int cap(int frac, double bias, int inputFrac) {
    int f = Math.max(-MAX_FRAC, Math.min(MAX_FRAC, frac));
    while (Math.abs(Math.scalb(bias, inputFrac + f)) > BIAS_LIMIT) {
      f--;
    }
    return f;
  }

  static long roundHalfAway(double x) {
    return x < 0 ? -(long) Math.floor(-x + 0.5) : (long) Math.floor(x + 0.5);
  }

  private static double maxAbs(float[] w, int from, int count) {
    double max = 0;
    for (int j = 0; j < count; j++) {
      max = Math.max(max, Math.abs(w[from + j]));
    }
    return max;
  }
}
