package dev.potaccel.quantize;

import java.util.Arrays;
import java.util.Objects;

/**
 * One Conv's or Gemm's quantized weights: codes {@code [M][Cg][kh][kw]} row-major (a Gemm is
 * {@code [M][K][1][1]}), decoded through {@code codebook} to integer levels {@code v}; output
 * channel {@code m} has weight scale {@code 2^-frac[m]}, so weight {@code w ≈ v · 2^-frac[m]},
 * and bias {@code bias[m] ≈ b · 2^(inputFrac + frac[m])} on the accumulator's scale (a long: the
 * compiler checks it fits int32 along with the accumulator bound).
 *
 * @param node the node's name
 * @param inputFrac {@code F_x} of the activation the layer reads, which the bias scale assumed
 */
public record QuantizedWeights(String node, WeightCodebook codebook, int outChannels,
    int inChannelsPerGroup, int kernelH, int kernelW, int[] codes, int[] frac, long[] bias,
    int inputFrac) {

  public QuantizedWeights {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(codebook, "codebook");
    long n = (long) outChannels * inChannelsPerGroup * kernelH * kernelW;
    if (outChannels < 1 || inChannelsPerGroup < 1 || kernelH < 1 || kernelW < 1
        || codes.length != n) {
      throw new IllegalArgumentException(node + ": " + codes.length + " codes for ["
          + outChannels + ", " + inChannelsPerGroup + ", " + kernelH + ", " + kernelW + "]");
    }
    if (frac.length != outChannels || bias.length != outChannels) {
      throw new IllegalArgumentException(node + ": " + frac.length + " scales and " + bias.length
          + " biases for " + outChannels + " output channels");
    }
    codes = codes.clone();
    frac = frac.clone();
    bias = bias.clone();
  }

  /** Weights per output channel: {@code Cg·kh·kw}. */
  public int perChannel() {
    return inChannelsPerGroup * kernelH * kernelW;
  }

  /** The integer level of weight {@code j} of output channel {@code m}. */
  public int level(int m, int j) {
    return codebook.level(codes[m * perChannel() + j]);
  }

  /** The real value weight {@code j} of channel {@code m} stands for: {@code v · 2^-frac[m]}. */
  public double value(int m, int j) {
    return Math.scalb((double) level(m, j), -frac[m]);
  }

  /** The real value bias {@code m} stands for: {@code bias[m] · 2^-(inputFrac + frac[m])}. */
  public double biasValue(int m) {
    return Math.scalb((double) bias[m], -(inputFrac + frac[m]));
  }

  @Override
  public int[] codes() {
    return codes.clone();
  }

  @Override
  public int[] frac() {
    return frac.clone();
  }

  @Override
  public long[] bias() {
    return bias.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QuantizedWeights w && node.equals(w.node) && codebook.equals(w.codebook)
        && outChannels == w.outChannels && inChannelsPerGroup == w.inChannelsPerGroup
        && kernelH == w.kernelH && kernelW == w.kernelW && Arrays.equals(codes, w.codes)
        && Arrays.equals(frac, w.frac) && Arrays.equals(bias, w.bias)
        && inputFrac == w.inputFrac;
  }

  @Override
  public int hashCode() {
    return Objects.hash(node, codebook, outChannels, Arrays.hashCode(codes));
  }

  @Override
  public String toString() {
    return "QuantizedWeights[" + node + ", " + codebook + ", [" + outChannels + ", "
        + inChannelsPerGroup + ", " + kernelH + ", " + kernelW + "]]";
  }
}
