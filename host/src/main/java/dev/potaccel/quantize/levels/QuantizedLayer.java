package dev.potaccel.quantize.levels;

import dev.potaccel.quantize.WeightCodebook;
import java.util.Arrays;
import java.util.Objects;

/**
 * One layer's weights as the accelerator stores them: codes row-major {@code [M][perChannel]}
 * decoded through {@code codebook} to integer levels, output channel {@code m} at scale
 * {@code 2^-frac[m]}, so {@code w ≈ codebook.level(code)·2^-frac[m]} (docs/accelerator.md §1.1,
 * §2). A method with one scale per layer gives every channel the same {@code frac} unless a
 * channel's bias forced it lower ({@link WeightScheme#biasFracLimits}).
 *
 * @param description what the method chose for this layer, for the per-layer report (UPoT's
 *     exponent subsets, the LUT levels, the fractional length rule)
 */
public record QuantizedLayer(WeightCodebook codebook, int[] codes, int[] frac,
    String description) {
  public QuantizedLayer {
    Objects.requireNonNull(codebook, "codebook");
    Objects.requireNonNull(description, "description");
    if (frac.length == 0 || codes.length % frac.length != 0) {
      throw new IllegalArgumentException(codes.length + " codes for " + frac.length
          + " output channels");
    }
    for (int c : codes) {
      if (c < 0 || c >= 1 << codebook.bits()) {
        throw new IllegalArgumentException("code " + c + " does not fit " + codebook);
      }
    }
    codes = codes.clone();
    frac = frac.clone();
  }

  /** Output channels {@code M}. */
  public int outChannels() {
    return frac.length;
  }

  /** Weights per output channel. */
  public int perChannel() {
    return codes.length / frac.length;
  }

  /** The real value weight {@code j} of channel {@code m} stands for. */
  public double value(int m, int j) {
    return Math.scalb((double) codebook.level(codes[m * perChannel() + j]), -frac[m]);
  }

  /** Every weight's real value, row-major like the codes. */
  public double[] dequantize() {
    int per = perChannel();
    double[] out = new double[codes.length];
    for (int i = 0; i < codes.length; i++) {
      out[i] = Math.scalb((double) codebook.level(codes[i]), -frac[i / per]);
    }
    return out;
  }

  /** Empirical SQNR in dB of this layer against its FP32 weights (the per-layer report). */
  public double sqnrDb(float[] w) {
    return Sqnr.tensorDb(w, dequantize());
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
  public boolean equals(Object o) {
    return o instanceof QuantizedLayer l && codebook.equals(l.codebook)
        && Arrays.equals(codes, l.codes) && Arrays.equals(frac, l.frac)
        && description.equals(l.description);
  }

  @Override
  public int hashCode() {
    return Objects.hash(codebook, Arrays.hashCode(codes), Arrays.hashCode(frac));
  }

  @Override
  public String toString() {
    return "QuantizedLayer[" + codebook + ", " + outChannels() + "x" + perChannel() + ", "
        + description + "]";
  }
}
