package dev.potaccel.calibrate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A bounded uniform random sample of one FP32 value's elements over every calibration image
 * (reservoir sampling, Li's "Algorithm L": after the reservoir fills, it draws one random number
 * per element <em>kept</em>, not per element seen). Calibration used to keep only {@code max|x|};
 * the GGD activation rule (research/quantization.md §2.5) fits a distribution to the values, and
 * a layer's feature map holds millions of elements over 256 images, so a fixed-size sample keeps
 * memory bounded. The random stream is seeded from the value's name, so a calibration set always
 * gives the same sample.
 */
final class ValueSample {
  private final float[] reservoir;
  private final SplittableRandom random;
  private long seen;
  private long nextKept;
  private double w;

  ValueSample(int capacity, String name) {
    reservoir = new float[capacity];
    random = new SplittableRandom(name.hashCode() * 0x9E3779B97F4A7C15L + capacity);
    w = Math.exp(Math.log(random.nextDouble()) / capacity);
    nextKept = capacity + skip();
  }

  private long skip() {
    double u = random.nextDouble();
    return (long) Math.floor(Math.log(u) / Math.log1p(-w));
  }

  /** Offers every element of {@code v} (NaN and infinities are not kept). */
  void add(float[] v) {
    int k = reservoir.length;
    for (int i = 0; i < v.length; i++) {
      float x = v[i];
      if (!Float.isFinite(x)) {
        continue;
      }
      if (seen < k) {
        reservoir[(int) seen] = x;
      } else if (seen == nextKept) {
        reservoir[random.nextInt(k)] = x;
        w *= Math.exp(Math.log(random.nextDouble()) / k);
        nextKept = seen + 1 + skip();
      }
      seen++;
    }
  }

  /** The sample: every element when fewer than the capacity were seen. */
  float[] values() {
    return Arrays.copyOf(reservoir, (int) Math.min(seen, reservoir.length));
  }
}
