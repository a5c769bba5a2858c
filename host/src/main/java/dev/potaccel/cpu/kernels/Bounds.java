package dev.potaccel.cpu.kernels;

/** Argument checks shared by the kernels; messages start with the offending argument's name. */
final class Bounds {
  private Bounds() {}

  /** Requires {@code arr} non-null with at least {@code len} elements from {@code off}. */
  static void requireRange(String name, float[] arr, int off, long len) {
    if (arr == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    if (off < 0) {
      throw new IllegalArgumentException(name + " offset must be >= 0, got " + off);
    }
    if (off + len > arr.length) {
      throw new IllegalArgumentException(name + " too short: needs " + len + " elements from "
          + "offset " + off + ", length is " + arr.length);
    }
  }

  static void requireNonNegative(String name, int v) {
    if (v < 0) {
      throw new IllegalArgumentException(name + " must be >= 0, got " + v);
    }
  }
}
