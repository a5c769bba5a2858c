package dev.potaccel.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyReaderTest {
  @TempDir
  Path dir;

  @Test
  void writerAndReaderRoundTripShapeAndValues() {
    float[] data = {0f, -1.5f, 3.25f, Float.MAX_VALUE, Float.MIN_VALUE, -0f};
    Path file = dir.resolve("x.npy");
    NpyWriter.write(file, Tensor.ofFloats(new int[] {2, 3}, data));
    Tensor back = NpyReader.read(file);
    assertArrayEquals(new int[] {2, 3}, back.shape());
    assertArrayEquals(data, back.floats());
  }

  @Test
  void roundTripKeepsOneDimensionalAndScalarShapes() {
    for (int[] shape : new int[][] {{5}, {}, {0, 3}, {1, 1, 2, 2}}) {
      Tensor t = Tensor.zeros(DataType.FLOAT, shape);
      Tensor back = NpyReader.decode(NpyWriter.encode(t), "mem.npy");
      assertArrayEquals(shape, back.shape(), Arrays.toString(shape));
    }
  }

  @Test
  void writerHeaderIsNumpyVersion1PaddedTo64Bytes() {
    byte[] bytes = NpyWriter.encode(Tensor.zeros(DataType.FLOAT, new int[] {8, 10}));
    int headerLength = (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8;
    assertEquals(1, bytes[6]);
    assertEquals(0, bytes[7]);
    assertEquals(0, (10 + headerLength) % 64);
    assertEquals(10 + headerLength + 8 * 10 * 4, bytes.length);
    String header = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);
    assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (8, 10), }"),
        header);
    assertTrue(header.endsWith(" \n"), header);
  }

  @Test
  void writerConvertsIntegerTensorsToFloat() {
    Tensor t = Tensor.ofLongs(DataType.INT64, new int[] {3}, new long[] {1, -2, 300});
    assertArrayEquals(new float[] {1, -2, 300}, NpyReader.decode(NpyWriter.encode(t), "m")
        .floats());
  }

  @Test
  void readsOtherDtypesAsFloat32() {
    ByteBuffer f8 = le(16).putDouble(1.5).putDouble(-2.25);
    assertArrayEquals(new float[] {1.5f, -2.25f},
        NpyReader.decode(npy(1, "'<f8'", "(2,)", f8.array()), "f8.npy").floats());
    byte[] u1 = {0, (byte) 200, (byte) 255};
    assertArrayEquals(new float[] {0, 200, 255},
        NpyReader.decode(npy(1, "'|u1'", "(3,)", u1), "u1.npy").floats());
    ByteBuffer i8 = le(16).putLong(-7).putLong(1L << 20);
    assertArrayEquals(new float[] {-7, 1 << 20},
        NpyReader.decode(npy(1, "'<i8'", "(1, 2)", i8.array()), "i8.npy").floats());
    ByteBuffer i4 = le(8).putInt(42).putInt(-1);
    assertArrayEquals(new float[] {42, -1},
        NpyReader.decode(npy(1, "'<i4'", "(2,)", i4.array()), "i4.npy").floats());
  }

  @Test
  void readsFormatVersions2And3() {
    ByteBuffer f4 = le(8).putFloat(1f).putFloat(2f);
    for (int version : new int[] {2, 3}) {
      Tensor t = NpyReader.decode(npy(version, "'<f4'", "(2, 1)", f4.array()), "v.npy");
      assertArrayEquals(new int[] {2, 1}, t.shape());
      assertArrayEquals(new float[] {1f, 2f}, t.floats());
    }
  }

  @Test
  void badMagicNamesFileAndByte() {
    Path file = write("bad.npy", "PK\u0003\u0004 this is a zip".getBytes(StandardCharsets.UTF_8));
    InputFileException e = assertThrows(InputFileException.class, () -> NpyReader.read(file));
    assertEquals(ErrorKind.INPUT, e.kind());
    assertTrue(e.getMessage().startsWith(file + ": not a .npy file: bad magic at byte 0"),
        e.getMessage());
  }

  @Test
  void unsupportedVersionIsReported() {
    byte[] b = npy(1, "'<f4'", "()", new byte[4]);
    b[6] = 4;
    assertMessage(b, "format version 4.0 at byte 6 is not supported");
  }

  @Test
  void unsupportedDtypeListsSupportedOnes() {
    assertMessage(npy(1, "'<f2'", "(2,)", new byte[4]),
        "dtype '<f2' (header at byte 10) is not supported (supported: <f4, <f8, |u1, <i4, <i8");
    assertMessage(npy(1, "'>f4'", "(2,)", new byte[8]), "big-endian data is not supported");
    assertMessage(npy(1, "[('a', '<f4')]", "(2,)", new byte[8]),
        "structured dtypes are not supported");
  }

  @Test
  void fortranOrderIsRefused() {
    byte[] b = npy(1, "'<f4'", "(2, 2)", new byte[16], true);
    assertMessage(b, "fortran_order is True (header at byte 10); only C-order");
  }

  @Test
  void truncatedDataNamesShapeAndOffset() {
    byte[] full = npy(1, "'<f4'", "(8, 10)", new byte[320]);
    byte[] cut = Arrays.copyOf(full, full.length - 20);
    assertMessage(cut, "truncated: header shape (8, 10) of <f4 needs 320 data bytes from byte"
        + " offset 128, the file has 300");
  }

  @Test
  void extraDataIsAShapeMismatch() {
    byte[] b = npy(1, "'<f4'", "(2,)", new byte[12]);
    assertMessage(b, "has 4 bytes too many: header shape (2,) of <f4 needs 8 data bytes from"
        + " byte offset 128, the file has 12");
  }

  @Test
  void truncatedHeaderIsReported() {
    byte[] b = Arrays.copyOf(npy(1, "'<f4'", "(2,)", new byte[8]), 30);
    assertMessage(b, "truncated: the header at byte 10 says it is 118 bytes long, the file ends"
        + " at byte 30");
    assertMessage(new byte[] {(byte) 0x93, 'N', 'U'}, "shorter than the 8-byte preamble");
  }

  @Test
  void malformedHeaderNamesByte() {
    byte[] b = npyRaw(1, "{'descr': '<f4' 'shape': (2,)}", new byte[8]);
    assertMessage(b, "bad .npy header at byte 26: expected ',' or '}', found ''shape': (2,'");
  }

  @Test
  void missingFileIsAnIoError() {
    Path file = dir.resolve("nope.npy");
    InputFileException e = assertThrows(InputFileException.class, () -> NpyReader.read(file));
    assertEquals(ErrorKind.IO, e.kind());
    assertEquals(file + ": file not found", e.getMessage());
  }

  private void assertMessage(byte[] bytes, String expected) {
    Path file = write("t.npy", bytes);
    InputFileException e = assertThrows(InputFileException.class, () -> NpyReader.read(file));
    assertEquals(ErrorKind.INPUT, e.kind());
    assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private Path write(String name, byte[] bytes) {
    try {
      return Files.write(dir.resolve(name), bytes);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static ByteBuffer le(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }

  static byte[] npy(int version, String descr, String shape, byte[] data) {
    return npy(version, descr, shape, data, false);
  }

  static byte[] npy(int version, String descr, String shape, byte[] data, boolean fortran) {
    return npyRaw(version, "{'descr': " + descr + ", 'fortran_order': "
        + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }", data);
  }

  /** A .npy file as NumPy lays it out, with any header text, padded to 64 bytes. */
  static byte[] npyRaw(int version, String dict, byte[] data) {
    int preamble = version == 1 ? 10 : 12;
    StringBuilder header = new StringBuilder(dict);
    while ((preamble + header.length() + 1) % 64 != 0) {
      header.append(' ');
    }
    header.append('\n');
    byte[] text = header.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = le(preamble + text.length + data.length);
    b.put(NpyReader.MAGIC).put((byte) version).put((byte) 0);
    if (version == 1) {
      b.putShort((short) text.length);
    } else {
      b.putInt(text.length);
    }
    return b.put(text).put(data).array();
  }
}
