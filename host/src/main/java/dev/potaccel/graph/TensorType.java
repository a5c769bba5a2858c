package dev.potaccel.graph;

import java.util.Arrays;

/**
 * What shape inference knows about a value: element type, dimensions ({@code null} when even the
 * rank is unknown, {@link #UNKNOWN} for an unknown dimension such as a dynamic batch) and, for the
 * small integer tensors that PyTorch builds shapes with, the values when known at import time
 * ({@code null} when not; entries may be {@link #UNKNOWN_VALUE}).
 */
public record TensorType(DataType dtype, int[] dims, long[] values) {
  public static final int UNKNOWN = -1;
  public static final long UNKNOWN_VALUE = Long.MIN_VALUE;

  public static TensorType of(DataType dtype, int... dims) {
    return new TensorType(dtype, dims, null);
  }

  public static TensorType unknownRank(DataType dtype) {
    return new TensorType(dtype, null, null);
  }

  /** An integer tensor whose values are known (possibly partly). */
  public static TensorType withValues(DataType dtype, int[] dims, long[] values) {
    return new TensorType(dtype, dims, values);
  }

  public boolean hasRank() {
    return dims != null;
  }

  public int rank() {
    if (dims == null) {
      throw new IllegalStateException("rank unknown");
    }
    return dims.length;
  }

  public int dim(int axis) {
    return dims[axis];
  }

  /** True when every dimension is known. */
  public boolean isStatic() {
    if (dims == null) {
      return false;
    }
    for (int d : dims) {
      if (d == UNKNOWN) {
        return false;
      }
    }
    return true;
  }

  /** True when all values are known. */
  public boolean valuesKnown() {
    if (values == null) {
      return false;
    }
    for (long v : values) {
      if (v == UNKNOWN_VALUE) {
        return false;
      }
    }
    return true;
  }

  public TensorType withDtype(DataType t) {
    return new TensorType(t, dims, values);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorType t
        && dtype == t.dtype
        && Arrays.equals(dims, t.dims)
        && Arrays.equals(values, t.values);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(dims)) + Arrays.hashCode(values);
  }

  /** Like "FLOAT[N,1,28,28]" with '?' for unknown dimensions. */
  @Override
  public String toString() {
    if (dims == null) {
      return dtype + "[?rank]";
    }
    StringBuilder sb = new StringBuilder(dtype.toString()).append('[');
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(dims[i] == UNKNOWN ? "?" : Integer.toString(dims[i]));
    }
    return sb.append(']').toString();
  }
}
