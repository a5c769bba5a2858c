package dev.potaccel.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Writes IDX files that {@link IdxReader} (and the original MNIST tools) read: the big-endian
 * header and the bytes, gzip-compressed when the file name ends in {@code .gz}. For subsets of a
 * dataset and for tests.
 */
public final class IdxWriter {
  private IdxWriter() {}

  /** @throws InputFileException (kind IO) when the file cannot be written */
  public static void write(Path file, IdxImages images) {
    write(file, encode(images));
  }

  /** @throws InputFileException (kind IO) when the file cannot be written */
  public static void write(Path file, IdxLabels labels) {
    write(file, encode(labels));
  }

  /** The uncompressed bytes of an IDX3 image file. */
  public static byte[] encode(IdxImages images) {
    return ByteBuffer.allocate(16 + images.pixels().length)
        .putInt(IdxReader.IMAGES_MAGIC)
        .putInt(images.count())
        .putInt(images.rows())
        .putInt(images.cols())
        .put(images.pixels())
        .array();
  }

  /** The uncompressed bytes of an IDX1 label file. */
  public static byte[] encode(IdxLabels labels) {
    return ByteBuffer.allocate(8 + labels.count())
        .putInt(IdxReader.LABELS_MAGIC)
        .putInt(labels.count())
        .put(labels.labels())
        .array();
  }

  private static void write(Path file, byte[] idx) {
    try (OutputStream out = Files.newOutputStream(file)) {
      if (file.getFileName().toString().endsWith(".gz")) {
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
          gz.write(idx);
        }
      } else {
        out.write(idx);
      }
    } catch (IOException e) {
      throw InputFileException.io(file, e);
    }
  }
}
