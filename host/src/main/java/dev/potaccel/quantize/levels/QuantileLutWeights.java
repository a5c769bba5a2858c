package dev.potaccel.quantize.levels;

import dev.potaccel.quantize.WeightCodebook;
import java.util.Arrays;
import java.util.Map;

/**
 * Liss et al., "Efficient non-uniform quantizer ... targeting reconfigurable hardware" (arXiv
 * 1811.10869, seed 002; research §2.3, reconstruction [R]): a k-quantile non-uniform quantizer
 * per layer, held as a {@code b}-bit index into a LUT of integers on one power-of-two scale ("a
 * single scale integer representation"), so the PE is an ordinary integer MAC behind a LUT.
 * <ol>
 *   <li>Sort the layer's weights and cut them into {@code 2^b - 1} bins of equal count (the
 *       {@code j/(2^b - 1)} quantiles); each bin's level is the mean of its weights (UNIQ's
 *       k-quantile quantizer). An odd count keeps a middle bin around the median, whose level is
 *       set to exactly 0: the accelerator needs code 0 to decode to 0, and a zero level costs
 *       nothing there. The one code left over also decodes to 0 and is never emitted.</li>
 *   <li>Optionally {@code lloydIterations} Lloyd steps on the layer's weights (nearest-level
 *       cells, centroid levels; the zero level fixed), which only lower the error.</li>
 *   <li>One scale per layer: the largest {@code F} with {@code max|level|·2^F <= 127} (the
 *       research's 8-bit grid, {@code s = max|ℓ|/127}, snapped to a power of two), LUT entries
 *       {@code L_j = round(ℓ_j·2^F)}.</li>
 *   <li>Each weight takes the code of the nearest LUT entry (linear midpoints: for fixed levels
 *       the MSE-optimal assignment, and what a fine-tuned network sees as {@code s·L_j}).</li>
 * </ol>
 * Codes: 0 is the zero level, {@code 1..2^b - 2} the other levels ascending.
 */
public record QuantileLutWeights(int bits, int lloydIterations) implements WeightScheme {
  public QuantileLutWeights {
    if (bits < 2 || bits > 8) {
      throw new IllegalArgumentException("lut takes --bits 2..8, got " + bits);
    }
  }

  @Override
  public String id() {
    return "lut" + bits;
  }

  @Override
  public int codeBits() {
    return bits;
  }

  @Override
  public Map<String, String> parameters() {
    return Map.of("weight_format", "LUT", "weight_bits", Integer.toString(bits),
        "weight_levels", "per layer: means of " + ((1 << bits) - 1) + " equal-count bins (the"
            + " middle one 0)" + (lloydIterations > 0 ? ", " + lloydIterations + " Lloyd steps"
                : "") + ", as integers on an 8-bit grid",
        "weight_scale", "per layer, largest power of two with max|level|*2^F <= 127",
        "weight_rounding", "nearest LUT level (linear midpoints)");
  }

  @Override
  public QuantizedLayer quantizeLayer(float[] w, int outChannels, int perChannel,
      int[] fracLimit) {
    int n = outChannels * perChannel;
    EmpiricalDistribution d = EmpiricalDistribution.of(w, 0, n);
    double[] real = quantileLevels(d, (1 << bits) - 1);
    for (int it = 0; it < lloydIterations; it++) {
      real = lloydStep(d, real);
    }
    double max = 0;
    for (double l : real) {
      max = Math.max(max, Math.abs(l));
    }
    int fl = PowerOfTwoScale.clamp(PowerOfTwoScale.largestFrac(max, 127, false),
        Integer.MAX_VALUE);
    int[] frac = new int[outChannels];
    int[] codes = new int[n];
    int[] table = new int[1 << bits];
    for (int m = 0; m < outChannels; m++) {
      frac[m] = PowerOfTwoScale.clamp(fl, fracLimit == null ? Integer.MAX_VALUE : fracLimit[m]);
    }
    // One table for the layer, built at the layer's F; a channel whose bias forced a smaller F
    // uses the same integers at its own scale (its levels are 2^(F - F_m) times coarser).
    int[] ints = new int[real.length];
    for (int j = 0; j < real.length; j++) {
      ints[j] = (int) PowerOfTwoScale.roundHalfAway(Math.scalb(real[j], fl));
    }
    int code = 1;
    for (int v : ints) {
      if (v != 0) {
        table[code++] = v;
      }
    }
    // nearest entry over the distinct values; each value's first code
    int[] distinct = Arrays.stream(table, 0, code).distinct().sorted().toArray();
    int[] codeOf = new int[distinct.length];
    for (int i = 0; i < distinct.length; i++) {
      for (int c = 0; c < code; c++) {
        if (table[c] == distinct[i]) {
          codeOf[i] = c;
          break;
        }
      }
    }
    ScalarQuantizer q = ScalarQuantizer.nearest(
        Arrays.stream(distinct).asDoubleStream().toArray());
    for (int m = 0; m < outChannels; m++) {
      for (int j = 0; j < perChannel; j++) {
        codes[m * perChannel + j] = codeOf[q.index(Math.scalb((double) w[m * perChannel + j],
            frac[m]))];
      }
    }
    return new QuantizedLayer(WeightCodebook.lut(bits, table), codes, frac,
        id() + " F=" + fl + " levels " + Arrays.toString(Arrays.copyOf(table, code)));
  }

  /**
   * The k-quantile levels: means of {@code bins} equal-count bins of the sorted samples, the
   * middle bin's level 0. An empty bin (fewer samples than bins) repeats its neighbour's level.
   */
  static double[] quantileLevels(EmpiricalDistribution d, int bins) {
    int n = d.size();
    double[] levels = new double[bins];
    for (int j = 0; j < bins; j++) {
      int lo = (int) ((long) j * n / bins);
      int hi = (int) ((long) (j + 1) * n / bins);
      if (hi > lo) {
        double s = 0;
        for (int i = lo; i < hi; i++) {
          s += d.sorted(i);
        }
        levels[j] = s / (hi - lo);
      } else {
        levels[j] = n == 0 ? 0 : d.sorted(Math.min(lo, n - 1));
      }
    }
    levels[bins / 2] = 0;
    return levels;
  }

  /** One Lloyd step on the samples with the middle (zero) level held at 0. */
  static double[] lloydStep(EmpiricalDistribution d, double[] levels) {
    double[] sorted = Arrays.stream(levels).distinct().sorted().toArray();
    if (sorted.length < 2) {
      return levels;
    }
    double[] sum = new double[sorted.length];
    int[] count = new int[sorted.length];
    ScalarQuantizer q = ScalarQuantizer.nearest(sorted);
    for (int i = 0; i < d.size(); i++) {
      int c = q.index(d.sorted(i));
      sum[c] += d.sorted(i);
      count[c]++;
    }
    double[] out = levels.clone();
    for (int j = 0; j < out.length; j++) {
      int c = Arrays.binarySearch(sorted, levels[j]);
      out[j] = levels[j] == 0 || count[c] == 0 ? levels[j] : sum[c] / count[c];
    }
    return out;
  }
}
