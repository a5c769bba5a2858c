package dev.potaccel.graph;

/**
 * Element types the IR carries, with their ONNX {@code TensorProto.DataType} codes. Floating point
 * values are held as {@code float}; every integer and boolean type is held as {@code long}.
 */
public enum DataType {
  FLOAT(1, 4),
  UINT8(2, 1),
  INT8(3, 1),
  INT32(6, 4),
  INT64(7, 8),
  BOOL(9, 1);

  private final int onnxCode;
  private final int byteSize;

  DataType(int onnxCode, int byteSize) {
    this.onnxCode = onnxCode;
    this.byteSize = byteSize;
  }

  public int onnxCode() {
    return onnxCode;
  }

  /** Bytes per element in ONNX raw_data (little-endian). */
  public int byteSize() {
    return byteSize;
  }

  public boolean isFloat() {
    return this == FLOAT;
  }

  /** The type for an ONNX code, or null when potaccel does not support it. */
  public static DataType ofOnnx(int code) {
    for (DataType t : values()) {
      if (t.onnxCode == code) {
        return t;
      }
    }
    return null;
  }

  /** ONNX's name of a data type code, also for types potaccel does not support. */
  public static String onnxName(int code) {
    String[] names = {
      "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
      "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN",
      "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1", "FLOAT8E8M0",
      "UINT2", "INT2"
    };
    return code >= 0 && code < names.length ? names[code] : "data type " + code;
  }

  /** Wraps an integer result into this type's range the way a C cast would. */
  public long wrap(long v) {
    return switch (this) {
      case UINT8 -> v & 0xFF;
      case INT8 -> (byte) v;
      case INT32 -> (int) v;
      case BOOL -> v != 0 ? 1 : 0;
      default -> v;
    };
  }
}
