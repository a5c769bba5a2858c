package dev.potaccel.serve;

import java.util.Arrays;

/**
 * A model input or output as the v2 metadata shows it.
 *
 * @param shape dimensions, -1 where any size is accepted (the batch dimension)
 */
public record TensorSpec(String name, Datatype datatype, long[] shape) {
  public TensorSpec {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Whether the first dimension is the variable batch dimension requests can be merged along. */
  public boolean batched() {
    return shape.length > 0 && shape[0] < 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t && name.equals(t.name) && datatype == t.datatype
        && Arrays.equals(shape, t.shape);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + datatype + Arrays.toString(shape);
  }
}
