package dev.potaccel.cpu;

import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Tensor;

/**
 * Type-generic access to a tensor's backing array ({@code float[]} for FLOAT, {@code long[]} for
 * every integer and boolean type), for operators that only move elements around and so work the
 * same on every element type via {@link System#arraycopy}.
 */
final class ElementArrays {
  private ElementArrays() {}

  static Object of(Tensor t) {
    return t.dtype().isFloat() ? t.floats() : t.longs();
  }

  static Object allocate(DataType dtype, int length) {
    return dtype.isFloat() ? new float[length] : new long[length];
  }

  static Tensor tensor(DataType dtype, int[] shape, Object data) {
    return dtype.isFloat()
        ? Tensor.ofFloats(shape, (float[]) data)
        : Tensor.ofLongs(dtype, shape, (long[]) data);
  }
}
