package dev.potaccel.cpu.kernels;

/**
 * Geometry of a 2-D pooling window over an NCHW input {@code [n][c][h][w]} producing
 * {@code [n][c][outH][outW]}, with ONNX MaxPool/AveragePool output sizes: {@code
 * floor_or_ceil((h + padTop + padBottom - ((kh - 1) * dilationH + 1)) / strideH) + 1}; in ceil
 * mode a last window that would start beyond the input and the leading pad is dropped (if
 * {@code (outH - 1) * strideH >= h + padTop} then {@code outH - 1}), as ONNX Runtime and
 * PyTorch do. The constructor rejects impossible geometry with an
 * {@link IllegalArgumentException} whose message starts with the offending field's name.
 */
public record Pool2dParams(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
    int padTop, int padLeft, int padBottom, int padRight, int dilationH, int dilationW,
    boolean ceilMode) {

  public Pool2dParams {
    positive("n", n);
    positive("c", c);
    positive("h", h);
    positive("w", w);
    positive("kh", kh);
    positive("kw", kw);
    positive("strideH", strideH);
    positive("strideW", strideW);
    nonNegative("padTop", padTop);
    nonNegative("padLeft", padLeft);
    nonNegative("padBottom", padBottom);
    nonNegative("padRight", padRight);
    positive("dilationH", dilationH);
    positive("dilationW", dilationW);
    long oh = outSize(h, padTop, padBottom, kh, dilationH, strideH, ceilMode);
    if (oh < 1) {
      throw new IllegalArgumentException("outH is " + oh + ": kh=" + kh + " dilationH="
          + dilationH + " does not fit h=" + h + " padded by " + padTop + "+" + padBottom);
    }
    long ow = outSize(w, padLeft, padRight, kw, dilationW, strideW, ceilMode);
    if (ow < 1) {
      throw new IllegalArgumentException("outW is " + ow + ": kw=" + kw + " dilationW="
          + dilationW + " does not fit w=" + w + " padded by " + padLeft + "+" + padRight);
    }
    if ((long) n * c * h * w > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("input size n*c*h*w exceeds a Java array");
    }
    if ((long) n * c * oh * ow > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("output size n*c*outH*outW exceeds a Java array");
    }
  }

  /** Output height. */
  public int outH() {
    return (int) outSize(h, padTop, padBottom, kh, dilationH, strideH, ceilMode);
  }

  /** Output width. */
  public int outW() {
    return (int) outSize(w, padLeft, padRight, kw, dilationW, strideW, ceilMode);
  }

  /** Element count of x. */
  public int inputSize() {
    return n * c * h * w;
  }

  /** Element count of y. */
  public int outputSize() {
    return n * c * outH() * outW();
  }

  private static long outSize(int in, int padBegin, int padEnd, int k, int dil, int stride,
      boolean ceil) {
    long span = (long) in + padBegin + padEnd - ((long) (k - 1) * dil + 1);
    long out = (ceil ? Math.floorDiv(span + stride - 1, stride) : Math.floorDiv(span, stride))
        + 1;
    if (ceil && out > 1 && (out - 1) * stride >= (long) in + padBegin) {
      out--;
    }
    return out;
  }

  private static void positive(String name, int v) {
    if (v < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + v);
    }
  }

  private static void nonNegative(String name, int v) {
    if (v < 0) {
      throw new IllegalArgumentException(name + " must be >= 0, got " + v);
    }
  }
}
