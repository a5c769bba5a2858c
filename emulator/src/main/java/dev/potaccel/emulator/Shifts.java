package dev.potaccel.emulator;

/** The rounding shift of docs/accelerator.md §1.2, exact for every shift amount. */
final class Shifts {
  private Shifts() {}

  /**
   * {@code rshift(a, s)}: for {@code s > 0} {@code floor((a + 2^(s-1)) / 2^s)} (round half toward
   * +infinity), {@code a} for {@code s == 0}, {@code a * 2^-s} for {@code s < 0}, saturated to
   * {@code ±2^62} (every caller clamps to an activation range, far inside that). Computed without
   * forming {@code a + 2^(s-1)}, so it cannot overflow: with {@code a = q 2^s + r}, the result is
   * {@code q} plus bit {@code s-1} of {@code a}.
   */
  static long rshift(long a, int s) {
    if (s > 0) {
      if (s >= 64) {
        return 0; // |a| < 2^63 <= 2^(s-1): rounds to 0 (a = -2^63 only if s >= 64 too: 0)
      }
      return (a >> s) + ((a >> (s - 1)) & 1);
    }
    if (s == 0 || a == 0) {
      return a;
    }
    long limit = 1L << 62;
    if (s <= -62 || Math.abs(a) >= (limit >> -s)) {
      return a > 0 ? limit : -limit;
    }
    return a << -s;
  }

  /** {@code rshift} for an int argument and a shift in [1, 31]: the hot-loop form. */
  static int rshiftInt(int a, int s) {
    return (a >> s) + ((a >> (s - 1)) & 1);
  }

  /** {@code clamp(v, lo, hi)} of a long into an int range. */
  static int clamp(long v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : (int) v;
  }
}
