package dev.potaccel.calibrate;

import java.util.Map;
import java.util.Objects;

/**
 * The ranges calibration measured, by value name (graph inputs and every FP32 node output), and
 * which images they came from.
 *
 * @param images how many calibration images were run
 * @param sha256 SHA-256 of the calibration inputs as the engine saw them: every batch's float32
 *     values, little-endian, in order (names the calibration set in a package's provenance)
 */
public record CalibrationStats(Map<String, ValueRange> ranges, int images, String sha256) {
  public CalibrationStats {
    ranges = Map.copyOf(ranges);
    Objects.requireNonNull(sha256, "sha256");
    if (images < 1) {
      throw new IllegalArgumentException("calibration needs at least one image, got " + images);
    }
  }

  /**
   * The range of {@code value}.
   *
   * @throws IllegalArgumentException if calibration did not see it (not an FP32 value of the
   *     graph that was calibrated)
   */
  public ValueRange range(String value) {
    ValueRange r = ranges.get(value);
    if (r == null) {
      throw new IllegalArgumentException("calibration has no range for '" + value + "'");
    }
    return r;
  }

  public boolean has(String value) {
    return ranges.containsKey(value);
  }
}
