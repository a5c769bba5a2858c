package dev.potaccel.graph;

import java.util.Arrays;

/**
 * A dense tensor: element type, shape and data, row-major. Float tensors hold a {@code float[]},
 * integer and boolean tensors a {@code long[]}. The arrays are shared, not copied: a tensor is
 * treated as immutable once the step that made it has returned it.
 */
public final class Tensor {
  private final DataType dtype;
  private final int[] shape;
  private final float[] floats;
  private final long[] longs;

  private Tensor(DataType dtype, int[] shape, float[] floats, long[] longs) {
    this.dtype = dtype;
    this.shape = shape;
    this.floats = floats;
    this.longs = longs;
    long n = elementCount(shape);
    int len = floats != null ? floats.length : longs.length;
    if (n != len) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " holds " + n + " elements, data has " + len);
    }
  }

  public static Tensor ofFloats(int[] shape, float[] data) {
    return new Tensor(DataType.FLOAT, shape.clone(), data, null);
  }

  public static Tensor ofLongs(DataType dtype, int[] shape, long[] data) {
    if (dtype.isFloat()) {
      throw new IllegalArgumentException("ofLongs needs an integer type, got " + dtype);
    }
    return new Tensor(dtype, shape.clone(), null, data);
  }

  /** A zero-filled tensor. */
  public static Tensor zeros(DataType dtype, int[] shape) {
    int n = Math.toIntExact(elementCount(shape));
    return dtype.isFloat() ? ofFloats(shape, new float[n]) : ofLongs(dtype, shape, new long[n]);
  }

  /** A 1-D int64 tensor, the form ONNX uses for shapes, axes and pads. */
  public static Tensor ofInt64(long... values) {
    return ofLongs(DataType.INT64, new int[] {values.length}, values);
  }

  public static Tensor scalar(float v) {
    return ofFloats(new int[0], new float[] {v});
  }

  public DataType dtype() {
    return dtype;
  }

  /** The shape; do not modify the returned array. */
  public int[] shape() {
    return shape;
  }

  public int rank() {
    return shape.length;
  }

  public int dim(int axis) {
    return shape[axis];
  }

  public int size() {
    return floats != null ? floats.length : longs.length;
  }

  /** The float data; only for FLOAT tensors. */
  public float[] floats() {
    if (floats == null) {
      throw new IllegalStateException("tensor of " + dtype + " has no float data");
    }
    return floats;
  }

  /** The integer data; only for integer and boolean tensors. */
  public long[] longs() {
    if (longs == null) {
      throw new IllegalStateException("tensor of " + dtype + " has no integer data");
    }
    return longs;
  }

  /** Element i as a double, whatever the type. */
  public double getDouble(int i) {
    return floats != null ? floats[i] : longs[i];
  }

  /** Element i as a long, whatever the type (floats truncated toward zero). */
  public long getLong(int i) {
    return longs != null ? longs[i] : (long) floats[i];
  }

  /** The same data under another shape with the same element count (no copy). */
  public Tensor reshape(int[] newShape) {
    return new Tensor(dtype, newShape.clone(), floats, longs);
  }

  /** The tensor's type; integer tensors carry their values (shared, not copied). */
  public TensorType type() {
    return longs != null ? TensorType.withValues(dtype, shape, longs) : TensorType.of(dtype, shape);
  }

  public static long elementCount(int[] shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  @Override
  public String toString() {
    return dtype + Arrays.toString(shape);
  }
}
