package dev.potaccel.data;

import dev.potaccel.graph.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a tensor as a NumPy {@code .npy} file: format 1.0, little-endian float32 ({@code <f4}),
 * C order, the header padded with spaces so the data starts on a 64-byte boundary as NumPy does.
 * Integer tensors are converted to float32.
 */
public final class NpyWriter {
  private static final int ALIGNMENT = 64;

  private NpyWriter() {}

  /** @throws InputFileException (kind IO) when the file cannot be written */
  public static void write(Path file, Tensor tensor) {
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(encode(tensor));
    } catch (IOException e) {
      throw InputFileException.io(file, e);
    }
  }

  /** The bytes of a whole .npy file holding {@code tensor}. */
  public static byte[] encode(Tensor tensor) {
    byte[] header = header(tensor.shape());
    ByteBuffer buf = ByteBuffer.allocate(header.length + 4 * tensor.size())
        .order(ByteOrder.LITTLE_ENDIAN);
    buf.put(header);
    if (tensor.dtype().isFloat()) {
      buf.asFloatBuffer().put(tensor.floats());
    } else {
      for (int i = 0; i < tensor.size(); i++) {
        buf.putFloat(header.length + 4 * i, (float) tensor.getDouble(i));
      }
    }
    return buf.array();
  }

  /** Magic, version 1.0, header length and the dict literal, padded to the alignment. */
  static byte[] header(int[] shape) {
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': "
        + NpyReader.shapeText(shape) + ", }";
    int preamble = NpyReader.MAGIC.length + 2 + 2;
    // NumPy pads with spaces and ends with '\n' so that preamble + header is a multiple of 64
    int padded = dict.length() + 1;
    padded += (ALIGNMENT - (preamble + padded) % ALIGNMENT) % ALIGNMENT;
    if (padded > 0xFFFF) {
      throw new IllegalArgumentException("shape " + NpyReader.shapeText(shape)
          + " makes a header too long for .npy format 1.0");
    }
    String text = dict + " ".repeat(padded - dict.length() - 1) + "\n";
    ByteBuffer buf = ByteBuffer.allocate(preamble + padded).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(NpyReader.MAGIC).put((byte) 1).put((byte) 0).putShort((short) padded);
    buf.put(text.getBytes(StandardCharsets.ISO_8859_1));
    return buf.array();
  }
}
