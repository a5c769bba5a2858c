package dev.potaccel.bench;

import dev.potaccel.graph.Tensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * How closely one backend's output matches a reference backend's on the same batch: the largest
 * absolute difference, and on how many samples the top-1 index (argmax over the last axis) is the
 * same. A bench table is only meaningful if the backends compute the same thing.
 */
public record Agreement(String backend, String reference, double maxAbsDiff, int sameTop1,
    int samples) {

  /** Compares {@code out} with {@code ref}; both [N, ...] outputs of the same batch. */
  public static Agreement of(String backend, Tensor out, String reference, Tensor ref) {
    if (!Arrays.equals(out.shape(), ref.shape())) {
      throw new BackendException(backend + " returned " + out + " where " + reference
          + " returned " + ref + " for the same batch", null);
    }
    float[] a = out.floats();
    float[] b = ref.floats();
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs((double) a[i] - b[i]);
      max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(max, d);
    }
    int n = out.dim(0);
    int per = n == 0 ? 0 : a.length / n;
    int same = 0;
    for (int s = 0; s < n; s++) {
      same += argmax(a, s * per, per) == argmax(b, s * per, per) ? 1 : 0;
    }
    return new Agreement(backend, reference, max, same, n);
  }

  private static int argmax(float[] v, int from, int len) {
    int best = 0;
    for (int i = 1; i < len; i++) {
      if (v[from + i] > v[from + best]) {
        best = i;
      }
    }
    return best;
  }

  /** The share of samples with the same top-1 class, in percent (100 for no samples). */
  public double topOnePercent() {
    return samples == 0 ? 100 : 100.0 * sameTop1 / samples;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s vs %s: max |diff| %.2g, same top-1 on %d/%d (%.1f%%)",
        backend, reference, maxAbsDiff, sameTop1, samples, topOnePercent());
  }
}
