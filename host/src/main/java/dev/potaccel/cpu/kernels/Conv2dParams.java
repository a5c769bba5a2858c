package dev.potaccel.cpu.kernels;

/**
 * Geometry of a 2-D convolution on an NCHW input {@code [n][c][h][w]} producing
 * {@code [n][m][outH][outW]} with weights {@code [m][c / group][kh][kw]}. Pads are explicit per
 * side; the output size is {@code floor((h + padTop + padBottom - dilationH * (kh - 1) - 1) /
 * strideH) + 1} (likewise for the width). The constructor rejects impossible geometry with an
 * {@link IllegalArgumentException} whose message starts with the offending field's name.
 */
public record Conv2dParams(int n, int c, int h, int w, int m, int kh, int kw, int strideH,
    int strideW, int padTop, int padLeft, int padBottom, int padRight, int dilationH,
    int dilationW, int group) {

  public Conv2dParams {
    positive("n", n);
    positive("c", c);
    positive("h", h);
    positive("w", w);
    positive("m", m);
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
    positive("group", group);
    if (c % group != 0) {
      throw new IllegalArgumentException(
          "c (" + c + ") must be divisible by group (" + group + ")");
    }
    if (m % group != 0) {
      throw new IllegalArgumentException(
          "m (" + m + ") must be divisible by group (" + group + ")");
    }
    long oh = outSize(h, padTop, padBottom, kh, dilationH, strideH);
    if (oh < 1) {
      throw new IllegalArgumentException("outH is " + oh + ": kh=" + kh + " dilationH="
          + dilationH + " does not fit h=" + h + " padded by " + padTop + "+" + padBottom);
    }
    long ow = outSize(w, padLeft, padRight, kw, dilationW, strideW);
    if (ow < 1) {
      throw new IllegalArgumentException("outW is " + ow + ": kw=" + kw + " dilationW="
          + dilationW + " does not fit w=" + w + " padded by " + padLeft + "+" + padRight);
    }
    fits("input size n*c*h*w", (long) n * c * h * w);
    fits("output size n*m*outH*outW", (long) n * m * oh * ow);
    fits("weight size m*(c/group)*kh*kw", (long) m * (c / group) * kh * kw);
  }

  /** Output height. */
  public int outH() {
    return (int) outSize(h, padTop, padBottom, kh, dilationH, strideH);
  }

  /** Output width. */
  public int outW() {
    return (int) outSize(w, padLeft, padRight, kw, dilationW, strideW);
  }

  /** Input channels per group. */
  public int groupChannels() {
    return c / group;
  }

  /** Output channels per group. */
  public int groupOutputs() {
    return m / group;
  }

  /** Element count of x. */
  public int inputSize() {
    return n * c * h * w;
  }

  /** Element count of the weights. */
  public int weightSize() {
    return m * (c / group) * kh * kw;
  }

  /** Element count of y. */
  public int outputSize() {
    return n * m * outH() * outW();
  }

  private static long outSize(int in, int padA, int padB, int k, int dil, int stride) {
    long span = (long) in + padA + padB - (long) dil * (k - 1) - 1;
    return Math.floorDiv(span, stride) + 1;
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

  private static void fits(String what, long v) {
    if (v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(what + " " + v + " exceeds a Java array");
    }
  }
}
