package dev.potaccel.report;

import java.util.Arrays;

/**
 * Counts of values in {@code bins} equal-width bins over {@code [lo, hi)}, the last bin closed
 * ({@code hi} counts in it); values outside are counted as {@code below} and {@code above},
 * never dropped silently.
 *
 * @param counts per bin, from {@code lo} up
 */
public record Histogram(double lo, double hi, long[] counts, long below, long above) {
  public Histogram {
    if (!(hi > lo) || Double.isInfinite(lo) || Double.isInfinite(hi)) {
      throw new IllegalArgumentException("histogram range must be finite with hi > lo, got ["
          + lo + ", " + hi + "]");
    }
    if (counts.length < 1) {
      throw new IllegalArgumentException("a histogram needs at least one bin");
    }
    counts = counts.clone();
  }

  /** {@code values} (NaN skipped, counted nowhere) in {@code bins} bins over {@code [lo, hi]}. */
  public static Histogram of(double[] values, int bins, double lo, double hi) {
    if (bins < 1) {
      throw new IllegalArgumentException("a histogram needs at least one bin, got " + bins);
    }
    if (!(hi > lo) || Double.isInfinite(lo) || Double.isInfinite(hi)) {
      throw new IllegalArgumentException("histogram range must be finite with hi > lo, got ["
          + lo + ", " + hi + "]");
    }
    long[] c = new long[bins];
    long below = 0;
    long above = 0;
    double width = (hi - lo) / bins;
    for (double v : values) {
      if (v < lo) {
        below++;
      } else if (v > hi) {
        above++;
      } else if (v >= lo) { // false for NaN
        c[Math.min(bins - 1, (int) ((v - lo) / width))]++;
      }
    }
    return new Histogram(lo, hi, c, below, above);
  }

  public int bins() {
    return counts.length;
  }

  public double binWidth() {
    return (hi - lo) / counts.length;
  }

  /** Lower edge of bin {@code i}. */
  public double edge(int i) {
    return lo + i * binWidth();
  }

  /** Values in the bins (not below or above). */
  public long inRange() {
    return Arrays.stream(counts).sum();
  }

  /** Every value counted: in the bins, below and above. */
  public long total() {
    return inRange() + below + above;
  }

  /** Bin {@code i}'s count as a density over all {@code total()} values: count / (total·width). */
  public double density(int i) {
    long t = total();
    return t == 0 ? 0 : counts[i] / (t * binWidth());
  }

  /** The largest count of any bin. */
  public long maxCount() {
    return Arrays.stream(counts).max().orElse(0);
  }

  @Override
  public long[] counts() {
    return counts.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Histogram h && lo == h.lo && hi == h.hi && below == h.below
        && above == h.above && Arrays.equals(counts, h.counts);
  }

  @Override
  public int hashCode() {
    return Double.hashCode(lo) * 31 + Arrays.hashCode(counts);
  }

  @Override
  public String toString() {
    return "Histogram[" + counts.length + " bins over [" + lo + ", " + hi + "], " + total()
        + " values]";
  }
}
