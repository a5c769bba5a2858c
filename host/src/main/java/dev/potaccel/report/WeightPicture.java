package dev.potaccel.report;

import dev.potaccel.quantize.QuantizedWeights;
import java.util.Arrays;
import java.util.TreeMap;

/**
 * One layer's weights against its quantization levels, on the level scale: every FP32 weight
 * times its output channel's scale {@code 2^F_w[m]}, so all channels share the codebook's
 * integer levels (docs/accelerator.md §1.1: {@code w ≈ v·2^-F_w[m]}) and the levels can be drawn
 * on the histogram as they are.
 *
 * @param histogram the scaled FP32 weights, symmetric about 0
 * @param levels the codebook's distinct levels inside the histogram's range, ascending
 * @param levelUse per level, how many weights were coded to it
 * @param levelsBeyond codebook levels outside the range (never used: larger than any weight)
 * @param codebook the codebook, for the legend ("POT 4-bit")
 */
public record WeightPicture(Histogram histogram, int[] levels, long[] levelUse, int levelsBeyond,
    String codebook) {
  /** Bins of a weight histogram. */
  public static final int BINS = 80;

  public WeightPicture {
    if (levels.length != levelUse.length) {
      throw new IllegalArgumentException(levels.length + " levels, " + levelUse.length
          + " use counts");
    }
    levels = levels.clone();
    levelUse = levelUse.clone();
  }

  /**
   * @param fp32 the layer's FP32 weights in the order of {@code q}'s codes ({@link ReportLayers#fp32Weights})
   */
  public static WeightPicture of(float[] fp32, QuantizedWeights q) {
    int per = q.perChannel();
    if (fp32.length != q.outChannels() * per) {
      throw new IllegalArgumentException(q.node() + ": " + fp32.length + " FP32 weights for "
          + q.outChannels() + " x " + per + " codes");
    }
    double[] scaled = new double[fp32.length];
    int[] frac = q.frac();
    TreeMap<Integer, Long> used = new TreeMap<>();
    double range = 0;
    for (int m = 0; m < q.outChannels(); m++) {
      for (int j = 0; j < per; j++) {
        int i = m * per + j;
        scaled[i] = Math.scalb((double) fp32[i], frac[m]);
        int level = q.level(m, j);
        used.merge(level, 1L, Long::sum);
        range = Math.max(range, Math.max(Math.abs(scaled[i]), Math.abs(level)));
      }
    }
    range = range > 0 ? range * 1.04 : 1;
    Histogram h = Histogram.of(scaled, BINS, -range, range);
    int[] all = Arrays.stream(q.codebook().levels()).distinct().sorted().toArray();
    double r = range;
    int[] inside = Arrays.stream(all).filter(v -> Math.abs(v) <= r).toArray();
    long[] use = new long[inside.length];
    for (int i = 0; i < inside.length; i++) {
      use[i] = used.getOrDefault(inside[i], 0L);
    }
    return new WeightPicture(h, inside, use, all.length - inside.length,
        q.codebook().toString());
  }

  /** How many of the drawn levels some weight was coded to. */
  public int levelsUsed() {
    return (int) Arrays.stream(levelUse).filter(u -> u > 0).count();
  }

  @Override
  public int[] levels() {
    return levels.clone();
  }

  @Override
  public long[] levelUse() {
    return levelUse.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WeightPicture p && histogram.equals(p.histogram)
        && Arrays.equals(levels, p.levels) && Arrays.equals(levelUse, p.levelUse)
        && levelsBeyond == p.levelsBeyond && codebook.equals(p.codebook);
  }

  @Override
  public int hashCode() {
    return histogram.hashCode() * 31 + Arrays.hashCode(levels);
  }

  @Override
  public String toString() {
    return "WeightPicture[" + codebook + ", " + levels.length + " levels, " + histogram + "]";
  }
}
