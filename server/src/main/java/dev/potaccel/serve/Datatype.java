package dev.potaccel.serve;

import dev.potaccel.graph.DataType;
import java.util.Arrays;
import java.util.Optional;

/**
 * The KServe v2 tensor datatypes (case-sensitive names), with their element width in the binary
 * form and the graph type potaccel computes with, where it has one. Only types with a graph type
 * can be model inputs or outputs; the others are known so a request naming one is told it does
 * not fit the model rather than that the type does not exist.
 */
public enum Datatype {
  BOOL(1, DataType.BOOL),
  UINT8(1, DataType.UINT8),
  UINT16(2, null),
  UINT32(4, null),
  UINT64(8, null),
  INT8(1, DataType.INT8),
  INT16(2, null),
  INT32(4, DataType.INT32),
  INT64(8, DataType.INT64),
  FP16(2, null),
  FP32(4, DataType.FLOAT),
  FP64(8, null),
  BF16(2, null),
  BYTES(0, null);

  private final int byteSize;
  private final DataType graphType;

  Datatype(int byteSize, DataType graphType) {
    this.byteSize = byteSize;
    this.graphType = graphType;
  }

  /** Bytes per element in the binary form; 0 for BYTES (length-prefixed elements). */
  public int byteSize() {
    return byteSize;
  }

  /** The graph type of this datatype; empty for types potaccel never computes with. */
  public Optional<DataType> graphType() {
    return Optional.ofNullable(graphType);
  }

  /** The v2 datatype of a graph type. */
  public static Datatype of(DataType t) {
    return Arrays.stream(values()).filter(d -> d.graphType == t).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no v2 datatype for " + t));
  }

  /**
   * The datatype named exactly {@code name}.
   *
   * @throws ServeException (400) naming the valid datatypes
   */
  public static Datatype parse(String name, String where) {
    for (Datatype d : values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    throw ServeException.badRequest(where + ": unknown datatype '" + name + "'; valid: "
        + Arrays.toString(values()));
  }
}
