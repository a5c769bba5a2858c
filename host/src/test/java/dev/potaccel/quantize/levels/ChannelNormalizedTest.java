package dev.potaccel.quantize.levels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Per-layer level sets on channels of very different scale (BatchNorm folded). */
class ChannelNormalizedTest {
  /** Channel 1 is channel 0 times 2^-10, as a small γ/σ would make it. */
  private static float[] twoChannels(int per) {
    Random r = new Random(3);
    float[] w = new float[2 * per];
    for (int j = 0; j < per; j++) {
      w[j] = (float) r.nextGaussian();
      w[per + j] = Math.scalb(w[j], -10);
    }
    return w;
  }

  @Test
  void aScaledCopyOfAChannelGetsTheSameCodesAndAScaleTenStepsFiner() {
    int per = 400;
    float[] w = twoChannels(per);
    for (WeightScheme inner : new WeightScheme[] {WeightScheme.named("lut", 4),
        WeightScheme.named("kalali", 0)}) {
      QuantizedLayer q = new ChannelNormalized(inner).quantizeLayer(w, 2, per);
      int[] codes = q.codes();
      assertArrayEquals(Arrays.copyOfRange(codes, 0, per), Arrays.copyOfRange(codes, per,
          2 * per), inner.id());
      assertEquals(q.frac()[0] + 10, q.frac()[1], inner.id());
    }
  }

  @Test
  void theSmallChannelKeepsItsLevels() {
    int per = 400;
    float[] w = twoChannels(per);
    float[] small = Arrays.copyOfRange(w, per, 2 * per);
    QuantizedLayer perLayer = WeightScheme.named("lut", 4).quantizeLayer(w, 2, per);
    QuantizedLayer normalised = new ChannelNormalized(WeightScheme.named("lut", 4))
        .quantizeLayer(w, 2, per);
    double before = Sqnr.tensorDb(small, Arrays.copyOfRange(perLayer.dequantize(), per, 2 * per));
    double after = Sqnr.tensorDb(small, Arrays.copyOfRange(normalised.dequantize(), per,
        2 * per));
    // one LUT for both: the small channel rounds to the zero level (0 dB); normalised it gets
    // the 4-bit k-quantile SQNR of a Gaussian, well above 10 dB
    assertTrue(before < 1, "per layer: " + before + " dB");
    assertTrue(after > 10, "normalised: " + after + " dB");
  }

  @Test
  void theBiasLimitStillCapsEachChannelsScale() {
    int per = 100;
    float[] w = twoChannels(per);
    int[] limit = {3, 5};
    QuantizedLayer q = new ChannelNormalized(WeightScheme.named("kalali", 0))
        .quantizeLayer(w, 2, per, limit);
    assertTrue(q.frac()[0] <= 3 && q.frac()[1] <= 5, Arrays.toString(q.frac()));
  }
}
