package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.Buffer;
import java.util.Arrays;

/**
 * A package buffer as the emulator uses it: shape without the batch, values per image, and for code
 * buffers the code range of docs/accelerator.md §1.1 ({@code [lo, hi]}).
 */
record BufferInfo(int index, String name, int[] shape, int perImage, boolean isFloat, int bits,
    boolean signed, int frac, int lo, int hi) {

  static BufferInfo of(int index, Buffer b, Decoding d) {
    String where = "buffer " + index + " '" + b.getName() + "'";
    int[] shape = new int[b.getShapeCount()];
    long perImage = 1;
    for (int i = 0; i < shape.length; i++) {
      int dim = b.getShape(i);
      if (dim <= 0) {
        throw d.fail(where + ": shape " + b.getShapeList() + " has a dimension "
            + Integer.toUnsignedString(dim) + "; every dimension must be between 1 and "
            + Integer.MAX_VALUE);
      }
      shape[i] = dim;
      perImage *= dim;
    }
    if (perImage > Integer.MAX_VALUE) {
      throw d.fail(where + ": shape " + b.getShapeList() + " holds " + perImage
          + " values per image, more than " + Integer.MAX_VALUE);
    }
    if (b.getIsFloat()) {
      return new BufferInfo(index, b.getName(), shape, (int) perImage, true, 32, true, 0, 0, 0);
    }
    int bits = b.getBits();
    if (bits < 2 || bits > 8) {
      throw d.fail(where + ": code buffer with " + Integer.toUnsignedString(bits)
          + " bits; activation codes have 2 to 8 bits (docs/accelerator.md §1.1)");
    }
    int lo = b.getIsSigned() ? -(1 << (bits - 1)) : 0;
    int hi = b.getIsSigned() ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    return new BufferInfo(index, b.getName(), shape, (int) perImage, false, bits, b.getIsSigned(),
        b.getFracBits(), lo, hi);
  }

  /** The shape with the batch first. */
  int[] shapeWithBatch(int batch) {
    int[] s = new int[shape.length + 1];
    s[0] = batch;
    System.arraycopy(shape, 0, s, 1, shape.length);
    return s;
  }

  /** {@code "buffer 3 'x' [16, 28, 28] 8-bit unsigned F=4"} for messages. */
  String describe() {
    String s = "buffer " + index + " '" + name + "' " + Arrays.toString(shape);
    return isFloat ? s + " FP32" : s + " " + bits + "-bit " + (signed ? "signed" : "unsigned")
        + " F=" + frac;
  }

  /**
   * {@code [C, H, W]} of a buffer a CONV or POOL reads or writes: a rank-3 shape as it is, a
   * rank-1 shape {@code [K]} as {@code [K, 1, 1]} (a fully connected layer); {@code null} for any
   * other rank.
   */
  int[] chw() {
    return switch (shape.length) {
      case 3 -> shape.clone();
      case 1 -> new int[] {shape[0], 1, 1};
      default -> null;
    };
  }

  /** The largest magnitude of a code, {@code xmax} of docs/accelerator.md §1.4. */
  long maxMagnitude() {
    return signed ? 1L << (bits - 1) : (1L << bits) - 1;
  }
}
