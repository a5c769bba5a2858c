package dev.potaccel.quantize.levels;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A per-layer method whose levels adapt to the layer's distribution (UPoT subsets, LUT
 * k-quantiles) run on the layer after each output channel is normalised by its own power of two:
 * channel {@code m} is multiplied by {@code 2^N[m]}, the largest with {@code max|w_m|·2^N[m] <= 1},
 * so every channel spans {@code (1/2, 1]} and the method's one codebook and one scale fit all of
 * them; channel {@code m}'s scale is then the method's {@code F} plus {@code N[m]}. Needed because
 * BatchNorm folding gives each channel its own {@code γ/σ} factor (research/quantization.md §1.3),
 * and one scale per layer leaves the small channels of a depthwise layer almost no levels. The
 * normalisation is a power of two, so the codes and the codebook are exactly what the method
 * would give the normalised layer, and the scale stays a shift (docs/accelerator.md §1.1).
 */
public record ChannelNormalized(WeightScheme inner) implements WeightScheme {
  @Override
  public String id() {
    return inner.id();
  }

  @Override
  public int codeBits() {
    return inner.codeBits();
  }

  @Override
  public Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>(inner.parameters());
    p.put("weight_scale", "per output channel: each channel normalised by the power of two"
        + " putting max|w| in (1/2, 1] (BatchNorm folded), then the method's per-layer rule: "
        + inner.parameters().get("weight_scale"));
    return p;
  }

  @Override
  public QuantizedLayer quantizeLayer(float[] w, int outChannels, int perChannel,
      int[] fracLimit) {
    int[] norm = new int[outChannels];
    float[] x = new float[w.length];
    int[] limit = fracLimit == null ? null : new int[outChannels];
    for (int m = 0; m < outChannels; m++) {
      double max = PowerOfTwoScale.maxAbs(w, m * perChannel, perChannel);
      norm[m] = max > 0 ? PowerOfTwoScale.largestFrac(max, 1, false) : 0;
      for (int j = 0; j < perChannel; j++) {
        int i = m * perChannel + j;
        x[i] = Math.scalb(w[i], norm[m]);
      }
      if (limit != null) {
        limit[m] = fracLimit[m] - norm[m];
      }
    }
    QuantizedLayer q = inner.quantizeLayer(x, outChannels, perChannel, limit);
    int[] frac = q.frac();
    for (int m = 0; m < outChannels; m++) {
      frac[m] += norm[m];
    }
    return new QuantizedLayer(q.codebook(), q.codes(), frac,
        q.description() + ", channels normalised");
  }
}
