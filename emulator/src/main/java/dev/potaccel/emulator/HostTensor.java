package dev.potaccel.emulator;

import java.util.Arrays;
import java.util.Objects;

/**
 * One FP32 buffer handed to a {@link HostExecutor}: the package buffer's name (the ONNX value it
 * holds), its shape with the batch first, and its values in row-major (NCHW) order. The array is
 * shared, not copied: inputs are read-only by agreement, outputs are filled in place.
 */
public record HostTensor(String name, int[] shape, float[] values) {
  public HostTensor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(values, "values");
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("tensor '" + name + "': negative dimension in "
            + Arrays.toString(shape));
      }
      n *= d;
    }
    if (n != values.length) {
      throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
          + " needs " + n + " values, got " + values.length);
    }
    shape = shape.clone();
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }

  @Override
  public String toString() {
    return "HostTensor[" + name + " " + Arrays.toString(shape) + "]";
  }
}
