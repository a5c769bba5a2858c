package dev.potaccel.data;

import dev.potaccel.graph.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) into float32 tensors of the
 * stored shape. Little-endian {@code <f4} is read as is; {@code <f8}, {@code |u1}, {@code <i4} and
 * {@code <i8} are converted to float32. Only C order. Every error names the file and the byte
 * offset where the problem is, so a broken writer can be found.
 */
public final class NpyReader {
  static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  static final String SUPPORTED_DTYPES = "<f4, <f8, |u1, <i4, <i8";

  private NpyReader() {}

  /**
   * @throws InputFileException when the file is missing (kind IO) or not a supported .npy (INPUT)
   */
  public static Tensor read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw InputFileException.io(file, e);
    }
    return decode(bytes, file.toString());
  }

  /** Decodes the bytes of a whole .npy file; {@code source} names it in messages. */
  public static Tensor decode(byte[] bytes, String source) {
    NpyHeader h = readHeader(bytes, source);
    ElementType type = ElementType.of(h.descr(), source, h.descrOffset());
    if (h.fortranOrder()) {
      throw new InputFileException(source + ": fortran_order is True (header at byte "
          + h.descrOffset() + "); only C-order arrays are supported: save np.ascontiguousarray(x)");
    }
    long n = Tensor.elementCount(h.shape());
    long need = n * type.size;
    long have = (long) bytes.length - h.dataOffset();
    if (n > Integer.MAX_VALUE - 8) {
      throw new InputFileException(source + ": shape " + shapeText(h.shape()) + " has " + n
          + " elements, more than one tensor can hold");
    }
    if (have != need) {
      String problem = have < need ? "truncated" : "has " + (have - need) + " bytes too many";
      throw new InputFileException(source + ": " + problem + ": header shape "
          + shapeText(h.shape()) + " of " + h.descr() + " needs " + need
          + " data bytes from byte offset " + h.dataOffset() + ", the file has " + have);
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes, h.dataOffset(), (int) need)
        .order(ByteOrder.LITTLE_ENDIAN);
    float[] data = new float[(int) n];
    switch (type) {
      case F4 -> buf.asFloatBuffer().get(data);
      case F8 -> {
        for (int i = 0; i < data.length; i++) {
          data[i] = (float) buf.getDouble();
        }
      }
      case U1 -> {
        for (int i = 0; i < data.length; i++) {
          data[i] = buf.get() & 0xFF;
        }
      }
      case I4 -> {
        for (int i = 0; i < data.length; i++) {
          data[i] = buf.getInt();
        }
      }
      case I8 -> {
        for (int i = 0; i < data.length; i++) {
          data[i] = buf.getLong();
        }
      }
      default -> throw new IllegalStateException("unhandled element type " + type);
    }
    return Tensor.ofFloats(h.shape(), data);
  }

  /** The stored element types and their sizes in bytes. */
  private enum ElementType {
    F4(4), F8(8), U1(1), I4(4), I8(8);

    final int size;

    ElementType(int size) {
      this.size = size;
    }

    static ElementType of(String descr, String source, int offset) {
      return switch (descr) {
        case "<f4" -> F4;
        case "<f8" -> F8;
        case "|u1", "<u1", ">u1", "=u1" -> U1; // byte order is meaningless for one byte
        case "<i4" -> I4;
        case "<i8" -> I8;
        default -> throw unsupported(descr, source, offset);
      };
    }

    private static InputFileException unsupported(String descr, String source, int offset) {
      String hint = descr.startsWith(">")
          ? "big-endian data is not supported: save x.astype('<f4')"
          : "supported: " + SUPPORTED_DTYPES + "; save x.astype(np.float32)";
      return new InputFileException(source + ": dtype '" + descr + "' (header at byte " + offset
          + ") is not supported (" + hint + ")");
    }
  }

  /** What the header says, and where the data starts. */
  record NpyHeader(String descr, boolean fortranOrder, int[] shape, int descrOffset,
      int dataOffset) {}

  static NpyHeader readHeader(byte[] bytes, String source) {
    if (bytes.length < 8) {
      throw new InputFileException(source + ": not a .npy file: " + bytes.length
          + " bytes, shorter than the 8-byte preamble");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (bytes[i] != MAGIC[i]) {
        throw new InputFileException(source + ": not a .npy file: bad magic at byte " + i
            + " (a .npy file starts with \\x93NUMPY, this one with " + printable(bytes, 0, 6)
            + ")");
      }
    }
    int major = bytes[6] & 0xFF;
    int minor = bytes[7] & 0xFF;
    if (major < 1 || major > 3 || minor != 0) {
      throw new InputFileException(source + ": .npy format version " + major + "." + minor
          + " at byte 6 is not supported (1.0, 2.0, 3.0)");
    }
    int lengthBytes = major == 1 ? 2 : 4;
    int headerStart = 8 + lengthBytes;
    if (bytes.length < headerStart) {
      throw new InputFileException(source + ": truncated: header length at byte 8 needs "
          + lengthBytes + " bytes, the file ends at byte " + bytes.length);
    }
    ByteBuffer lb = ByteBuffer.wrap(bytes, 8, lengthBytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength = major == 1 ? lb.getShort() & 0xFFFF : lb.getInt() & 0xFFFFFFFFL;
    if (headerStart + headerLength > bytes.length) {
      throw new InputFileException(source + ": truncated: the header at byte " + headerStart
          + " says it is " + headerLength + " bytes long, the file ends at byte " + bytes.length);
    }
    // version 3.0 allows UTF-8 field names; 1.0 and 2.0 are Latin-1
    String text = new String(bytes, headerStart, (int) headerLength,
        major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Map<String, Object> dict = new HeaderParser(text, source, headerStart).dictionary();
    Object descr = dict.get("descr");
    Object fortran = dict.get("fortran_order");
    Object shape = dict.get("shape");
    if (!(descr instanceof String) || !(fortran instanceof Boolean) || !(shape instanceof int[])) {
      throw new InputFileException(source + ": header at byte " + headerStart + " must have"
          + " 'descr' (a string), 'fortran_order' (True/False) and 'shape' (a tuple); found "
          + text.strip() + (descr instanceof List ? " (structured dtypes are not supported)" : ""));
    }
    return new NpyHeader((String) descr, (Boolean) fortran, (int[]) shape, headerStart,
        headerStart + (int) headerLength);
  }

  private static String printable(byte[] b, int from, int to) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < Math.min(to, b.length); i++) {
      int c = b[i] & 0xFF;
      sb.append(c >= 0x20 && c < 0x7F ? Character.toString(c) : String.format("\\x%02x", c));
    }
    return sb.toString();
  }

  static String shapeText(int[] shape) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sb.append(i > 0 ? ", " : "").append(shape[i]);
    }
    return sb.append(shape.length == 1 ? ",)" : ")").toString();
  }

  /**
   * The header is a Python dict literal; this parses the subset NumPy writes: string keys, and
   * values that are strings, True/False, tuples of integers, or (for structured dtypes, rejected
   * later) lists.
   */
  private static final class HeaderParser {
    private final String text;
    private final String source;
    private final int base;
    private int pos;

    HeaderParser(String text, String source, int base) {
      this.text = text;
      this.source = source;
      this.base = base;
    }

    Map<String, Object> dictionary() {
      Map<String, Object> dict = new LinkedHashMap<>();
      skipSpace();
      expect('{');
      skipSpace();
      while (peek() != '}') {
        String key = string();
        skipSpace();
        expect(':');
        skipSpace();
        dict.put(key, value());
        skipSpace();
        if (peek() == ',') {
          pos++;
          skipSpace();
        } else if (peek() != '}') {
          throw error("',' or '}'");
        }
      }
      pos++;
      return dict;
    }

    private Object value() {
      char c = peek();
      if (c == '\'' || c == '"') {
        return string();
      }
      if (text.startsWith("True", pos)) {
        pos += 4;
        return Boolean.TRUE;
      }
      if (text.startsWith("False", pos)) {
        pos += 5;
        return Boolean.FALSE;
      }
      if (c == '(') {
        return tuple();
      }
      if (c == '[') {
        return list();
      }
      throw error("a string, True, False or a tuple");
    }

    private int[] tuple() {
      expect('(');
      List<Integer> dims = new ArrayList<>();
      skipSpace();
      while (peek() != ')') {
        int start = pos;
        while (Character.isDigit(peek())) {
          pos++;
        }
        if (start == pos) {
          throw error("a non-negative integer dimension");
        }
        try {
          dims.add(Integer.parseInt(text.substring(start, pos)));
        } catch (NumberFormatException e) {
          throw new InputFileException(source + ": dimension " + text.substring(start, pos)
              + " at byte " + (base + start) + " is too large", e);
        }
        if (peek() == 'L') {
          pos++; // Python 2 long suffix
        }
        skipSpace();
        if (peek() == ',') {
          pos++;
          skipSpace();
        } else if (peek() != ')') {
          throw error("',' or ')'");
        }
      }
      pos++;
      return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A list (a structured dtype's field list), kept only as text: it is never supported. */
    private List<Object> list() {
      int depth = 0;
      int start = pos;
      do {
        char c = peek();
        depth += c == '[' ? 1 : c == ']' ? -1 : 0;
        pos++;
      } while (depth > 0);
      return List.of(text.substring(start, pos));
    }

    private String string() {
      char quote = peek();
      if (quote != '\'' && quote != '"') {
        throw error("a quoted string");
      }
      int end = text.indexOf(quote, pos + 1);
      if (end < 0) {
        throw error("a closing " + quote);
      }
      String s = text.substring(pos + 1, end);
      pos = end + 1;
      return s;
    }

    private void expect(char c) {
      if (peek() != c) {
        throw error("'" + c + "'");
      }
      pos++;
    }

    private char peek() {
      if (pos >= text.length()) {
        throw error("more header text");
      }
      return text.charAt(pos);
    }

    private void skipSpace() {
      while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
        pos++;
      }
    }

    private InputFileException error(String wanted) {
      String found = pos < text.length()
          ? "'" + text.substring(pos, Math.min(text.length(), pos + 12)).strip() + "'"
          : "the end of the header";
      return new InputFileException(source + ": bad .npy header at byte " + (base + pos)
          + ": expected " + wanted + ", found " + found);
    }
  }
}
