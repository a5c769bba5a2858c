package dev.potaccel.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.serve.InferRequest.BinaryData;
import dev.potaccel.serve.InferRequest.JsonData;
import dev.potaccel.serve.InferRequest.Payload;
import dev.potaccel.serve.InferRequest.TypedData;
import dev.potaccel.serve.grpc.InferTensorContents;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tensor data between the wire forms of the v2 protocol (JSON arrays, little-endian bytes, gRPC
 * typed contents) and graph {@link Tensor}s, with the checks that make a request's data fit the
 * model: datatype, rank, fixed dimensions, element count, element kind and range. Every message
 * names the model, the tensor and both sides of the mismatch.
 */
final class TensorCodec {
  private TensorCodec() {}

  /**
   * Checks {@code in} against {@code spec} and decodes its data.
   *
   * @param where "model 'lenet5', input 'input'", for messages
   * @throws ServeException (400) saying what does not fit
   */
  static Tensor decode(InferRequest.Input in, TensorSpec spec, String where) {
    Datatype datatype = Datatype.parse(in.datatype(), where);
    if (datatype != spec.datatype()) {
      throw ServeException.badRequest(where + ": datatype " + datatype + ", the model wants "
          + spec.datatype());
    }
    int[] shape = checkShape(in.shape(), spec, where);
    int n = Math.toIntExact(Tensor.elementCount(shape));
    DataType type = datatype.graphType().orElseThrow();
    Payload data = in.data();
    if (data == null) {
      throw ServeException.badRequest(where + ": no data (give 'data', or binary data with"
          + " parameters.binary_data_size)");
    }
    if (data instanceof JsonData j) {
      return fromJson(j.array(), type, shape, n, where);
    }
    if (data instanceof BinaryData b) {
      return fromBytes(b.bytes(), datatype, shape, n, where);
    }
    return fromContents(((TypedData) data).contents(), datatype, shape, n, where);
  }

  private static int[] checkShape(long[] shape, TensorSpec spec, String where) {
    long[] want = spec.shape();
    boolean fits = shape.length == want.length;
    for (int d = 0; fits && d < shape.length; d++) {
      fits = want[d] < 0 ? shape[d] >= 1 : shape[d] == want[d];
    }
    if (!fits) {
      throw ServeException.badRequest(where + ": shape " + Arrays.toString(shape)
          + ", the model wants " + Arrays.toString(want) + " (-1: any size from 1)");
    }
    long n = 1;
    int[] dims = new int[shape.length];
    for (int d = 0; d < shape.length; d++) {
      n *= shape[d];
      if (shape[d] > Integer.MAX_VALUE || n > Integer.MAX_VALUE) {
        throw ServeException.badRequest(where + ": shape " + Arrays.toString(shape)
            + " has more elements than one tensor can hold");
      }
      dims[d] = (int) shape[d];
    }
    return dims;
  }

  private static ServeException countMismatch(String where, int[] shape, int n, String what,
      long has) {
    return ServeException.badRequest(where + ": shape " + Arrays.toString(shape) + " holds " + n
        + " elements, " + what + " has " + has);
  }

  // ---- JSON

  private static Tensor fromJson(JsonArray array, DataType type, int[] shape, int n,
      String where) {
    List<JsonPrimitive> flat = new ArrayList<>(n);
    flatten(array, flat, where);
    if (flat.size() != n) {
      throw countMismatch(where, shape, n, "data", flat.size());
    }
    if (type == DataType.FLOAT) {
      float[] values = new float[n];
      for (int i = 0; i < n; i++) {
        JsonPrimitive p = flat.get(i);
        if (!p.isNumber()) {
          throw ServeException.badRequest(where + ": data element " + i + " is " + p
              + ", FP32 needs a number");
        }
        values[i] = p.getAsFloat();
      }
      return Tensor.ofFloats(shape, values);
    }
    long[] values = new long[n];
    for (int i = 0; i < n; i++) {
      JsonPrimitive p = flat.get(i);
      if (type == DataType.BOOL) {
        if (!p.isBoolean()) {
          throw ServeException.badRequest(where + ": data element " + i + " is " + p
              + ", BOOL needs true or false");
        }
        values[i] = p.getAsBoolean() ? 1 : 0;
        continue;
      }
      values[i] = integer(p, type, where + ": data element " + i);
    }
    return Tensor.ofLongs(type, shape, values);
  }

  private static void flatten(JsonElement e, List<JsonPrimitive> out, String where) {
    if (e.isJsonArray()) {
      for (JsonElement child : e.getAsJsonArray()) {
        flatten(child, out, where);
      }
    } else if (e.isJsonPrimitive()) {
      out.add(e.getAsJsonPrimitive());
    } else {
      throw ServeException.badRequest(where + ": data holds " + e + "; elements must be numbers,"
          + " booleans or nested arrays of them");
    }
  }

  private static long integer(JsonPrimitive p, DataType type, String where) {
    if (p.isNumber()) {
      double d = p.getAsDouble();
      if (d == Math.rint(d) && Math.abs(d) < 0x1p63) {
        long v = p.getAsBigDecimal().longValueExact();
        if (type.wrap(v) == v) {
          return v;
        }
        throw ServeException.badRequest(where + " is " + v + ", out of range for "
            + Datatype.of(type));
      }
    }
    throw ServeException.badRequest(where + " is " + p + ", " + Datatype.of(type)
        + " needs an integer");
  }

  /** The tensor's elements as a flat JSON array (booleans for BOOL). */
  static JsonArray toJson(Tensor t) {
    JsonArray a = new JsonArray(t.size());
    if (t.dtype().isFloat()) {
      for (float f : t.floats()) {
        a.add(f);
      }
    } else if (t.dtype() == DataType.BOOL) {
      for (long v : t.longs()) {
        a.add(v != 0);
      }
    } else {
      for (long v : t.longs()) {
        a.add(v);
      }
    }
    return a;
  }

  // ---- binary (REST binary extension, gRPC raw contents)

  private static Tensor fromBytes(ByteBuffer bytes, Datatype datatype, int[] shape, int n,
      String where) {
    ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long need = (long) n * datatype.byteSize();
    if (b.remaining() != need) {
      throw ServeException.badRequest(where + ": binary data has " + b.remaining()
          + " bytes, shape " + Arrays.toString(shape) + " of " + datatype + " needs " + need);
    }
    DataType type = datatype.graphType().orElseThrow();
    if (type == DataType.FLOAT) {
      float[] values = new float[n];
      b.asFloatBuffer().get(values);
      return Tensor.ofFloats(shape, values);
    }
    long[] values = new long[n];
    for (int i = 0; i < n; i++) {
      values[i] = switch (datatype) {
        case BOOL -> b.get() != 0 ? 1 : 0;
        case UINT8 -> b.get() & 0xFF;
        case INT8 -> b.get();
        case INT32 -> b.getInt();
        case INT64 -> b.getLong();
        default -> throw new IllegalStateException("no graph type for " + datatype);
      };
    }
    return Tensor.ofLongs(type, shape, values);
  }

  /** The tensor's elements as little-endian bytes of {@code datatype}'s width. */
  static byte[] toBytes(Tensor t, Datatype datatype) {
    ByteBuffer b = ByteBuffer.allocate(t.size() * datatype.byteSize())
        .order(ByteOrder.LITTLE_ENDIAN);
    if (t.dtype().isFloat()) {
      b.asFloatBuffer().put(t.floats());
      return b.array();
    }
    for (long v : t.longs()) {
      switch (datatype) {
        case BOOL, UINT8, INT8 -> b.put((byte) v);
        case INT32 -> b.putInt((int) v);
        case INT64 -> b.putLong(v);
        default -> throw new IllegalStateException("no graph type for " + datatype);
      }
    }
    return b.array();
  }

  // ---- gRPC typed contents

  private static Tensor fromContents(InferTensorContents c, Datatype datatype, int[] shape,
      int n, String where) {
    String field = contentsField(datatype);
    int[] counts = {c.getBoolContentsCount(), c.getIntContentsCount(),
        c.getInt64ContentsCount(), c.getUintContentsCount(), c.getUint64ContentsCount(),
        c.getFp32ContentsCount(), c.getFp64ContentsCount(), c.getBytesContentsCount()};
    String[] names = {"bool_contents", "int_contents", "int64_contents", "uint_contents",
        "uint64_contents", "fp32_contents", "fp64_contents", "bytes_contents"};
    for (int f = 0; f < names.length; f++) {
      if (counts[f] > 0 && !names[f].equals(field)) {
        throw ServeException.badRequest(where + ": contents." + names[f] + " set for datatype "
            + datatype + ", which goes in contents." + field);
      }
    }
    DataType type = datatype.graphType().orElseThrow();
    if (type == DataType.FLOAT) {
      if (c.getFp32ContentsCount() != n) {
        throw countMismatch(where, shape, n, "contents.fp32_contents", c.getFp32ContentsCount());
      }
      float[] values = new float[n];
      for (int i = 0; i < n; i++) {
        values[i] = c.getFp32Contents(i);
      }
      return Tensor.ofFloats(shape, values);
    }
    long[] values = new long[n];
    int has = switch (datatype) {
      case BOOL -> c.getBoolContentsCount();
      case UINT8 -> c.getUintContentsCount();
      case INT8, INT32 -> c.getIntContentsCount();
      default -> c.getInt64ContentsCount();
    };
    if (has != n) {
      throw countMismatch(where, shape, n, "contents." + field, has);
    }
    for (int i = 0; i < n; i++) {
      long v = switch (datatype) {
        case BOOL -> c.getBoolContents(i) ? 1 : 0;
        case UINT8 -> Integer.toUnsignedLong(c.getUintContents(i));
        case INT8, INT32 -> c.getIntContents(i);
        default -> c.getInt64Contents(i);
      };
      if (type.wrap(v) != v) {
        throw ServeException.badRequest(where + ": contents." + field + "[" + i + "] is " + v
            + ", out of range for " + datatype);
      }
      values[i] = v;
    }
    return Tensor.ofLongs(type, shape, values);
  }

  /** Which {@code InferTensorContents} field carries {@code datatype}. */
  static String contentsField(Datatype datatype) {
    return switch (datatype) {
      case BOOL -> "bool_contents";
      case INT8, INT16, INT32 -> "int_contents";
      case INT64 -> "int64_contents";
      case UINT8, UINT16, UINT32 -> "uint_contents";
      case UINT64 -> "uint64_contents";
      case FP32 -> "fp32_contents";
      case FP64 -> "fp64_contents";
      case BYTES -> "bytes_contents";
      case FP16, BF16 -> "raw_input_contents (FP16 and BF16 have no typed field)";
    };
  }

  /** The tensor as typed contents. */
  static InferTensorContents toContents(Tensor t, Datatype datatype) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    if (t.dtype().isFloat()) {
      for (float f : t.floats()) {
        c.addFp32Contents(f);
      }
      return c.build();
    }
    for (long v : t.longs()) {
      switch (datatype) {
        case BOOL -> c.addBoolContents(v != 0);
        case UINT8 -> c.addUintContents((int) v);
        case INT8, INT32 -> c.addIntContents((int) v);
        default -> c.addInt64Contents(v);
      }
    }
    return c.build();
  }
}
