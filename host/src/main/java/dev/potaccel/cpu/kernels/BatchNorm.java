package dev.potaccel.cpu.kernels;

/**
 * FP32 inference-mode batch normalization on NCHW arrays: {@code x} and {@code y} are
 * {@code [n][c][spatial]} row-major (spatial = product of the trailing dimensions), the
 * parameters are {@code [c]}. Computes {@code y = scale * (x - mean) / sqrt(var + epsilon) +
 * bias} as {@code y = a * x + b} with per-channel {@code a}, {@code b} precomputed in double.
 * {@code x} and {@code y} may be the same array.
 */
public final class BatchNorm {
  private BatchNorm() {}

  /**
   * @throws IllegalArgumentException for non-positive sizes or missing / too-short arrays
   */
  public static void batchNormInference(int n, int c, int spatial, float[] x, float[] scale,
      float[] bias, float[] mean, float[] var, float epsilon, float[] y) {
    if (n < 1 || c < 1 || spatial < 1) {
      String field = n < 1 ? "n" : c < 1 ? "c" : "spatial";
      throw new IllegalArgumentException(field + " must be >= 1 (n=" + n + ", c=" + c
          + ", spatial=" + spatial + ")");
    }
    long size = (long) n * c * spatial;
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("input size n*c*spatial exceeds a Java array");
    }
    Bounds.requireRange("x", x, 0, size);
    Bounds.requireRange("y", y, 0, size);
    Bounds.requireRange("scale", scale, 0, c);
    Bounds.requireRange("bias", bias, 0, c);
    Bounds.requireRange("mean", mean, 0, c);
    Bounds.requireRange("var", var, 0, c);
    float[] a = new float[c];
    float[] b = new float[c];
    for (int ch = 0; ch < c; ch++) {
      double inv = scale[ch] / Math.sqrt((double) var[ch] + epsilon);
      a[ch] = (float) inv;
      b[ch] = (float) (bias[ch] - mean[ch] * inv);
    }
    for (int img = 0; img < n; img++) {
      for (int ch = 0; ch < c; ch++) {
        int off = (img * c + ch) * spatial;
        affine(x, y, off, spatial, a[ch], b[ch]);
      }
    }
  }

  private static void affine(float[] x, float[] y, int off, int len, float a, float b) {
    for (int i = off, end = off + len; i < end; i++) {
      y[i] = a * x[i] + b;
    }
  }
}
