package dev.potaccel.calibrate;

/**
 * What calibration saw of one FP32 value over every element of every calibration image.
 *
 * @param maxAbs the largest magnitude (0 when every element was 0; NaN never counts)
 * @param nonNegative true when no element was below zero
 */
public record ValueRange(double maxAbs, boolean nonNegative) {
  public ValueRange {
    if (!(maxAbs >= 0) || Double.isInfinite(maxAbs)) {
      throw new IllegalArgumentException("maxAbs must be finite and >= 0, got " + maxAbs);
    }
  }

  /** The range of both. */
  public ValueRange union(ValueRange other) {
    return new ValueRange(Math.max(maxAbs, other.maxAbs), nonNegative && other.nonNegative);
  }
}
