package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.Activation;

/**
 * Requantization and activation of docs/accelerator.md §1.3 for one layer: the per-channel shifts
 * {@code s[m]}, the activation and the output code range. ReLU and ReLU6 are folded into the
 * saturation bounds: {@code sat_a(max(0, r)) = clamp(r, 0, hi)} and {@code sat_a(clamp(r, 0, 6 ·
 * 2^F_y)) = clamp(r, 0, min(hi, 6 · 2^F_y))}, since every output range contains 0.
 *
 * @param shifts one shift per output channel (a single value is broadcast by the caller)
 * @param leaky true for LeakyReLU, whose negative side shifts by {@code s + leakyShift}
 * @param leakyShift {@code a} of the slope {@code 2^-a}
 * @param lo lowest output code after the activation's lower clamp
 * @param hi highest output code after the activation's upper clamp
 */
record Requantization(int[] shifts, boolean leaky, int leakyShift, int lo, int hi) {

  /**
   * Builds the requantization for an activation writing codes in {@code [outLo, outHi]} at
   * fractional length {@code outFrac} (only ReLU6 reads it; the caller checks {@code outFrac >=
   * 0}).
   */
  static Requantization of(int[] shifts, Activation activation, int leakyShift, int outLo,
      int outHi, int outFrac) {
    return switch (activation) {
      case ACTIVATION_NONE -> new Requantization(shifts, false, 0, outLo, outHi);
      case RELU -> new Requantization(shifts, false, 0, Math.max(0, outLo), outHi);
      case RELU6 -> {
        long six = outFrac >= 40 ? Long.MAX_VALUE : 6L << outFrac;
        yield new Requantization(shifts, false, 0, Math.max(0, outLo),
            (int) Math.min(outHi, six));
      }
      case LEAKY_RELU -> new Requantization(shifts, true, leakyShift, outLo, outHi);
      case UNRECOGNIZED -> throw new IllegalArgumentException("unknown activation");
    };
  }

  /** The output code of accumulator (or ADD sum) {@code a} on channel {@code m}. */
  int apply(long a, int m) {
    long s = shifts[m];
    if (leaky && a < 0) {
      s += leakyShift;
    }
    // beyond ±64 every shift gives the same result (0 or saturation)
    int shift = (int) Math.max(-64, Math.min(64, s));
    return Shifts.clamp(Shifts.rshift(a, shift), lo, hi);
  }

  /**
   * {@code y[yOff + t] = apply(acc[accOff + t], m)} for {@code t < len}. Overwrites {@code
   * acc[accOff, accOff + len)} with the output codes: the common cases ({@code 0 <= s (+ a) <= 31})
   * run as int loops whose loads and stores share one index, which C2 vectorizes, then one
   * narrowing copy to bytes.
   */
  void row(int[] acc, int accOff, int len, byte[] y, int yOff, int m) {
    int s = shifts[m];
    int lo = this.lo;
    int hi = this.hi;
    int end = accOff + len;
    if (!leaky && s == 0) {
      for (int t = accOff; t < end; t++) {
        acc[t] = Math.min(hi, Math.max(lo, acc[t]));
      }
    } else if (!leaky && s >= 1 && s <= 31) {
      // clamp without Math.min/max, which C2 (JDK 17) leaves scalar here: with v = rshift(a, s)
      // (|v| <= 2^30 + 1) and lo, hi codes, v - lo and hi - v cannot overflow, and d & ~(d >> 31)
      // is max(d, 0). Measured 4x faster than the min/max loop.
      int s1 = s - 1;
      for (int t = accOff; t < end; t++) {
        int a = acc[t];
        int v = (a >> s) + ((a >> s1) & 1);
        int d = v - lo;
        v = lo + (d & ~(d >> 31));
        int e = hi - v;
        acc[t] = hi - (e & ~(e >> 31));
      }
    } else if (leaky && s >= 1 && (long) s + leakyShift <= 31) {
      int s1 = s - 1;
      int sn = s + leakyShift;
      int sn1 = sn - 1;
      for (int t = accOff; t < end; t++) {
        int a = acc[t];
        int r = a >= 0 ? (a >> s) + ((a >> s1) & 1) : (a >> sn) + ((a >> sn1) & 1);
        acc[t] = Math.min(hi, Math.max(lo, r));
      }
    } else {
      for (int t = accOff; t < end; t++) {
        acc[t] = apply(acc[t], m);
      }
    }
    for (int t = 0; t < len; t++) {
      y[yOff + t] = (byte) acc[accOff + t];
    }
  }
}
