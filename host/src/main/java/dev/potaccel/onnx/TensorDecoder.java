package dev.potaccel.onnx;

import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.UnsupportedOperatorException;
import dev.potaccel.protocol.onnx.OnnxProto.StringStringEntryProto;
import dev.potaccel.protocol.onnx.OnnxProto.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Turns ONNX {@code TensorProto}s into {@link Tensor}s: raw_data (little-endian) or the typed
 * fields, and external data files resolved inside the model's folder only. Declared sizes are
 * checked against the bytes actually present before anything is allocated, so a hostile or
 * truncated file gives an error, never an OutOfMemoryError.
 */
public final class TensorDecoder {
  /** Largest tensor potaccel will materialise (elements); beyond it the file is refused. */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private TensorDecoder() {}

  /**
   * Decodes {@code t}.
   *
   * @param modelDir folder external data is resolved in (null when external data is not allowed)
   * @param where prefix for messages, e.g. "m.onnx: initializer 'w'"
   */
  public static Tensor decode(TensorProto t, Path modelDir, String where) {
    DataType dtype = DataType.ofOnnx(t.getDataType());
    if (dtype == null) {
      throw new UnsupportedOperatorException(where + ": element type "
          + DataType.onnxName(t.getDataType()) + " is not supported (supported: "
          + Arrays.toString(DataType.values()) + ")");
    }
    if (t.hasSegment()) {
      throw new UnsupportedOperatorException(where + ": segmented tensors are not supported");
    }
    int[] shape = new int[t.getDimsCount()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      long d = t.getDims(i);
      if (d < 0) {
        throw new ModelFormatException(where + ": negative dimension " + d + " in "
            + t.getDimsList());
      }
      if (d > MAX_ELEMENTS || (count = count * d) > MAX_ELEMENTS) {
        throw new ModelFormatException(where + ": declared shape " + t.getDimsList()
            + " is absurdly large (over " + MAX_ELEMENTS + " elements)");
      }
      shape[i] = (int) d;
    }
    int n = (int) count;
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      ByteBuffer bytes = readExternal(t, modelDir, where, (long) n * dtype.byteSize());
      return fromRaw(dtype, shape, n, bytes, where);
    }
    if (t.hasRawData()) {
      ByteString raw = t.getRawData();
      long expected = (long) n * dtype.byteSize();
      if (raw.size() != expected) {
        throw new ModelFormatException(where + ": raw_data has " + raw.size() + " bytes, shape "
            + t.getDimsList() + " of " + dtype + " needs " + expected);
      }
      return fromRaw(dtype, shape, n, raw.asReadOnlyByteBuffer(), where);
    }
    return fromTyped(t, dtype, shape, n, where);
  }

  private static Tensor fromRaw(DataType dtype, int[] shape, int n, ByteBuffer buf, String where) {
    ByteBuffer b = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
    if (dtype == DataType.FLOAT) {
      float[] f = new float[n];
      b.asFloatBuffer().get(f);
      return Tensor.ofFloats(shape, f);
    }
    long[] v = new long[n];
    switch (dtype) {
      case INT64 -> b.asLongBuffer().get(v);
      case INT32 -> {
        for (int i = 0; i < n; i++) {
          v[i] = b.getInt(4 * i);
        }
      }
      case INT8 -> {
        for (int i = 0; i < n; i++) {
          v[i] = b.get(i);
        }
      }
      case UINT8 -> {
        for (int i = 0; i < n; i++) {
          v[i] = b.get(i) & 0xFF;
        }
      }
      case BOOL -> {
        for (int i = 0; i < n; i++) {
          v[i] = b.get(i) != 0 ? 1 : 0;
        }
      }
      default -> throw new IllegalStateException("unhandled " + dtype + " at " + where);
    }
    return Tensor.ofLongs(dtype, shape, v);
  }

  private static Tensor fromTyped(TensorProto t, DataType dtype, int[] shape, int n, String where) {
    int have = switch (dtype) {
      case FLOAT -> t.getFloatDataCount();
      case INT64 -> t.getInt64DataCount();
      default -> t.getInt32DataCount();
    };
    if (have != n) {
      String field = dtype == DataType.FLOAT ? "float_data"
          : dtype == DataType.INT64 ? "int64_data" : "int32_data";
      throw new ModelFormatException(where + ": " + field + " has " + have + " values, shape "
          + t.getDimsList() + " needs " + n);
    }
    if (dtype == DataType.FLOAT) {
      float[] f = new float[n];
      for (int i = 0; i < n; i++) {
        f[i] = t.getFloatData(i);
      }
      return Tensor.ofFloats(shape, f);
    }
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = dtype.wrap(dtype == DataType.INT64 ? t.getInt64Data(i) : t.getInt32Data(i));
    }
    return Tensor.ofLongs(dtype, shape, v);
  }

  private static ByteBuffer readExternal(TensorProto t, Path modelDir, String where, long needed) {
    if (modelDir == null) {
      throw new ModelFormatException(where + ": external data is not allowed here");
    }
    String location = null;
    long offset = 0;
    long length = -1;
    for (StringStringEntryProto e : t.getExternalDataList()) {
      try {
        switch (e.getKey()) {
          case "location" -> location = e.getValue();
          case "offset" -> offset = Long.parseLong(e.getValue());
          case "length" -> length = Long.parseLong(e.getValue());
          default -> { } // checksum and future keys: not needed to read the bytes
        }
      } catch (NumberFormatException ex) {
        throw new ModelFormatException(where + ": external_data '" + e.getKey() + "' is not a"
            + " number: '" + e.getValue() + "'", ex);
      }
    }
    if (location == null || location.isEmpty()) {
      throw new ModelFormatException(where + ": external data without a 'location'");
    }
    Path base = modelDir.toAbsolutePath().normalize();
    Path file = base.resolve(location).normalize();
    if (Path.of(location).isAbsolute() || !file.startsWith(base)) {
      throw new ModelFormatException(where + ": external data location '" + location
          + "' is outside the model's folder " + base + "; refused");
    }
    try {
      Path real = file.toRealPath();
      if (!real.startsWith(base.toRealPath())) {
        throw new ModelFormatException(where + ": external data location '" + location
            + "' resolves (through a link) outside the model's folder; refused");
      }
      if (length < 0) {
        length = needed;
      }
      if (length != needed || offset < 0) {
        throw new ModelFormatException(where + ": external data length " + length + " at offset "
            + offset + " does not match the " + needed + " bytes the shape needs");
      }
      try (FileChannel ch = FileChannel.open(real, StandardOpenOption.READ)) {
        long size = ch.size();
        if (offset + length > size) {
          throw new ModelFormatException(where + ": external data '" + location + "' bytes "
              + offset + ".." + (offset + length) + " lie beyond its end (" + size + " bytes)");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) length);
        while (buf.hasRemaining()) {
          if (ch.read(buf, offset + buf.position()) < 0) {
            throw new ModelFormatException(where + ": external data '" + location
                + "' ended early");
          }
        }
        return buf.flip();
      }
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(where + ": external data file '" + location
          + "' not found in " + base, e);
    } catch (IOException e) {
      throw new ModelFormatException(where + ": cannot read external data '" + location + "': "
          + e.getMessage(), e);
    }
  }

  /** Reads a serialized TensorProto file (the ONNX test-data {@code .pb} format). */
  public static TensorProto readProtoFile(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      CodedInputStream cin = CodedInputStream.newInstance(in);
      cin.setSizeLimit(Integer.MAX_VALUE);
      return TensorProto.parseFrom(cin);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelFormatException(file + ": not a valid ONNX TensorProto (corrupt or truncated: "
          + e.getMessage() + ")", e);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(file + ": file not found", e);
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
    }
  }
}
