package dev.potaccel.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format): a big-endian header (magic
 * {@code 0x00000803} and three dimensions for uint8 images, {@code 0x00000801} and one for uint8
 * labels) followed by the bytes. Gzip-compressed files are recognised by their first two bytes
 * ({@code 1f 8b}), whatever their name.
 *
 * <p>The header is never trusted for an allocation: the data is read as a stream into a buffer
 * that grows with the bytes actually present (never past what the header promises), so a
 * corrupt or hostile header claiming gigabytes fails as "truncated" after reading what is there.
 * Every error names the file and the byte offset at fault; in a gzip file offsets count
 * decompressed bytes.
 */
public final class IdxReader {
  static final int IMAGES_MAGIC = 0x00000803;
  static final int LABELS_MAGIC = 0x00000801;
  /** Buffer size to start from; it doubles as data arrives. */
  private static final int FIRST_CHUNK = 1 << 16;
  /** Java arrays stop a little short of Integer.MAX_VALUE. */
  private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  private IdxReader() {}

  /** The two IDX layouts potaccel reads. */
  enum Layout {
    IMAGES(IMAGES_MAGIC, 3, "images (IDX3, uint8)"),
    LABELS(LABELS_MAGIC, 1, "labels (IDX1, uint8)");

    final int magic;
    final int dims;
    final String what;

    Layout(int magic, int dims, String what) {
      this.magic = magic;
      this.dims = dims;
      this.what = what;
    }

    int headerSize() {
      return 4 + 4 * dims;
    }
  }

  /**
   * @throws InputFileException when the file is missing or unreadable (kind IO), or not a
   *     well-formed IDX3 uint8 image file (kind INPUT)
   */
  public static IdxImages readImages(Path file) {
    return images(readFile(file, Layout.IMAGES), file.toString());
  }

  /**
   * @throws InputFileException when the file is missing or unreadable (kind IO), or not a
   *     well-formed IDX1 uint8 label file (kind INPUT)
   */
  public static IdxLabels readLabels(Path file) {
    return new IdxLabels(file.toString(), readFile(file, Layout.LABELS).data());
  }

  /**
   * Reads images from a stream (a class-path resource); the caller closes it.
   *
   * @param source names the stream in messages
   */
  public static IdxImages readImages(InputStream in, String source) {
    return images(readStream(in, source, Layout.IMAGES), source);
  }

  /** Reads labels from a stream; the caller closes it. */
  public static IdxLabels readLabels(InputStream in, String source) {
    return new IdxLabels(source, readStream(in, source, Layout.LABELS).data());
  }

  private static IdxImages images(Contents c, String source) {
    return new IdxImages(source, c.dims()[0], c.dims()[1], c.dims()[2], c.data());
  }

  /** The dimensions from the header and the bytes after it. */
  private record Contents(int[] dims, byte[] data) {}

  private static Contents readFile(Path file, Layout layout) {
    InputStream in;
    try {
      in = Files.newInputStream(file);
    } catch (IOException e) {
      throw InputFileException.io(file, e);
    }
    try (in) {
      return readStream(in, file.toString(), layout);
    } catch (IOException e) {
      // only close() can get here; readStream reports its own failures
      throw InputFileException.io(file, e);
    }
  }

  private static Contents readStream(InputStream raw, String source, Layout layout) {
    IdxStream s = new IdxStream(source);
    try {
      s.open(raw);
      return s.read(layout);
    } catch (ZipException | EOFException e) {
      // GZIPInputStream's ways of saying the compressed bytes are corrupt or cut short
      throw new InputFileException(source + ": corrupt or truncated gzip data after "
          + s.position + " decompressed bytes: " + e.getMessage(), e);
    } catch (IOException e) {
      throw InputFileException.io(source, e);
    }
  }

  /** One pass over one file, keeping the position for messages. */
  private static final class IdxStream {
    private final String source;
    private InputStream in;
    private boolean gzip;
    private long position;

    IdxStream(String source) {
      this.source = source;
    }

    void open(InputStream raw) throws IOException {
      BufferedInputStream buffered = new BufferedInputStream(raw);
      buffered.mark(2);
      int b0 = buffered.read();
      int b1 = buffered.read();
      buffered.reset();
      gzip = b0 == 0x1f && b1 == 0x8b;
      in = gzip ? new GZIPInputStream(buffered, FIRST_CHUNK) : buffered;
    }

    Contents read(Layout layout) throws IOException {
      byte[] header = in.readNBytes(layout.headerSize());
      position = header.length;
      if (header.length < 4) {
        throw error("truncated: an IDX header starts with a 4-byte magic number, the "
            + (gzip ? "decompressed data ends" : "file ends") + " at byte offset "
            + header.length);
      }
      ByteBuffer h = ByteBuffer.wrap(header); // big-endian, as IDX is
      int magic = h.getInt();
      if (magic != layout.magic) {
        throw error("not an IDX file of " + layout.what + ": magic number "
            + hex(magic) + " at byte offset 0, expected " + hex(layout.magic)
            + swappedHint(magic, layout));
      }
      if (header.length < layout.headerSize()) {
        throw error("truncated: the IDX header of " + layout.what + " is "
            + layout.headerSize() + " bytes, the data ends at byte offset " + header.length
            + offsetNote());
      }
      int[] dims = new int[layout.dims];
      long expected = 1;
      for (int d = 0; d < dims.length; d++) {
        long dim = h.getInt() & 0xFFFFFFFFL;
        if (dim > MAX_ARRAY) {
          throw error("dimension " + d + " at byte offset " + (4 + 4 * d) + " is " + dim
              + ", larger than any array (corrupt header?)");
        }
        dims[d] = (int) dim;
        expected *= dim;
        if (expected > MAX_ARRAY) {
          throw error("the header says " + shape(dims, d + 1) + " = " + expected
              + " bytes or more, larger than one array can hold (corrupt header?)");
        }
      }
      byte[] data = readData((int) expected);
      if (data.length < expected) {
        throw error("truncated: the header says " + describe(layout, dims) + ", " + expected
            + " bytes from byte offset " + layout.headerSize() + ", but the data ends at byte"
            + " offset " + position + " after " + data.length + offsetNote());
      }
      long trailing = in.transferTo(OutputStream.nullOutputStream());
      if (trailing > 0) {
        throw error(trailing + " bytes of trailing garbage at byte offset " + position
            + ": the header says " + describe(layout, dims) + ", which end there"
            + offsetNote());
      }
      return new Contents(dims, data);
    }

    /**
     * Reads up to {@code expected} bytes into an array that grows only as bytes arrive, so the
     * allocation is bounded by the data present, not by what the header claims; the result is
     * exactly as long as the bytes read.
     */
    private byte[] readData(int expected) throws IOException {
      byte[] buf = new byte[Math.min(expected, FIRST_CHUNK)];
      int filled = 0;
      while (filled < expected) {
        if (filled == buf.length) {
          buf = Arrays.copyOf(buf, (int) Math.min(expected, 2L * buf.length));
        }
        int n = in.read(buf, filled, buf.length - filled);
        if (n < 0) {
          break;
        }
        filled += n;
        position += n;
      }
      return filled == buf.length ? buf : Arrays.copyOf(buf, filled);
    }

    private String offsetNote() {
      return gzip ? " (offsets in the decompressed data)" : "";
    }

    private InputFileException error(String problem) {
      return new InputFileException(source + ": " + problem);
    }
  }

  private static String swappedHint(int magic, Layout wanted) {
    for (Layout other : Layout.values()) {
      if (other != wanted && other.magic == magic) {
        return " (this is a file of " + other.what + "; images and labels swapped?)";
      }
    }
    if ((magic >>> 16) == 0 && (magic >>> 8 & 0xFF) != 0x08) {
      return " (element type " + String.format(Locale.ROOT, "0x%02x", magic >>> 8 & 0xFF)
          + " is not supported; only 0x08, unsigned bytes)";
    }
    return "";
  }

  private static String hex(int v) {
    return String.format(Locale.ROOT, "0x%08x", v);
  }

  private static String describe(Layout layout, int[] dims) {
    return layout == Layout.IMAGES
        ? dims[0] + " images of " + dims[1] + "x" + dims[2]
        : dims[0] + " labels";
  }

  private static String shape(int[] dims, int known) {
    StringBuilder sb = new StringBuilder();
    for (int d = 0; d < known; d++) {
      sb.append(d > 0 ? " x " : "").append(Integer.toUnsignedString(dims[d]));
    }
    return sb.toString();
  }
}
