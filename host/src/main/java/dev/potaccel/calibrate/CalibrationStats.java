package dev.potaccel.calibrate;

import java.util.Map;
import java.util.Objects;

/**
 * The ranges calibration measured, by value name (graph inputs and every FP32 node output), a
 * bounded random sample of each value's elements, and which images they came from.
 *
 * @param samples per value, a uniform random sample of its elements over all images (at most
 *     {@link Calibrator#SAMPLES_PER_VALUE}); empty for stats made without samples

 * @param images how many calibration images were run
 * @param sha256 SHA-256 of the calibration inputs as the engine saw them: every batch's float32
 *     values, little-endian, in order (names the calibration set in a package's provenance)
 */
public record CalibrationStats(Map<String, ValueRange> ranges, Map<String, float[]> samples,
    int images, String sha256) {
  public CalibrationStats {
    ranges = Map.copyOf(ranges);
    samples = Map.copyOf(samples);
    Objects.requireNonNull(sha256, "sha256");
    if (images < 1) {
      throw new IllegalArgumentException("calibration needs at least one image, got " + images);
    }
  }

  /** Ranges without samples (the max-abs rules need nothing more). */
  public CalibrationStats(Map<String, ValueRange> ranges, int images, String sha256) {
    this(ranges, Map.of(), images, sha256);
  }

  /**
   * The sampled elements of {@code value} (a copy), or an empty array when calibration kept no
   * sample of it.
   */
  public float[] sample(String value) {
    float[] s = samples.get(value);
    return s == null ? new float[0] : s.clone();
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
