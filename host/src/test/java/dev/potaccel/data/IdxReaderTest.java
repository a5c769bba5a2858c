package dev.potaccel.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.error.ErrorKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  @TempDir
  Path dir;

  /** 3 images of 2x4 with every corner case of a byte: 0, 127, 128, 255. */
  private static IdxImages sampleImages() {
    byte[] pixels = new byte[3 * 2 * 4];
    new Random(7).nextBytes(pixels);
    pixels[0] = 0;
    pixels[1] = 127;
    pixels[2] = (byte) 128;
    pixels[3] = (byte) 255;
    return new IdxImages("mem", 3, 2, 4, pixels);
  }

  @Test
  void imagesRoundTripGzippedAndPlain() throws IOException {
    IdxImages images = sampleImages();
    for (String name : new String[] {"x-idx3-ubyte.gz", "x-idx3-ubyte"}) {
      Path file = dir.resolve(name);
      IdxWriter.write(file, images);
      byte[] raw = Files.readAllBytes(file);
      if (name.endsWith(".gz")) {
        assertEquals(0x1f, raw[0] & 0xFF, name);
        assertEquals(0x8b, raw[1] & 0xFF, name);
      } else {
        assertArrayEquals(new byte[] {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 4},
            Arrays.copyOf(raw, 16), name);
      }
      IdxImages back = IdxReader.readImages(file);
      assertEquals(file.toString(), back.source());
      assertEquals(3, back.count());
      assertEquals(2, back.rows());
      assertEquals(4, back.cols());
      assertArrayEquals(images.pixels(), back.pixels(), name);
      assertEquals(255, back.pixel(0, 0, 3));
      assertEquals(128, back.pixel(0, 0, 2));
    }
  }

  @Test
  void labelsRoundTripGzippedAndPlain() {
    IdxLabels labels = new IdxLabels("mem", new byte[] {9, 0, 2, (byte) 200});
    for (String name : new String[] {"y-idx1-ubyte.gz", "y-idx1-ubyte"}) {
      Path file = dir.resolve(name);
      IdxWriter.write(file, labels);
      IdxLabels back = IdxReader.readLabels(file);
      assertArrayEquals(labels.labels(), back.labels(), name);
      assertEquals(200, back.label(3));
    }
  }

  @Test
  void gzipIsRecognisedByItsMagicNotItsName() throws IOException {
    Path file = dir.resolve("images.idx");
    Files.write(file, gzip(IdxWriter.encode(sampleImages())));
    assertArrayEquals(sampleImages().pixels(), IdxReader.readImages(file).pixels());
  }

  @Test
  void emptySetsAreValid() {
    Path file = dir.resolve("none.gz");
    IdxWriter.write(file, new IdxImages("mem", 0, 28, 28, new byte[0]));
    IdxImages back = IdxReader.readImages(file);
    assertEquals(0, back.count());
    assertEquals(28, back.rows());
  }

  @Test
  void readsFromAStream() {
    byte[] bytes = IdxWriter.encode(sampleImages());
    IdxImages back = IdxReader.readImages(new ByteArrayInputStream(bytes), "res.idx");
    assertEquals("res.idx", back.source());
    assertArrayEquals(sampleImages().pixels(), back.pixels());
  }

  @Test
  void labelsFileReadAsImagesNamesBothMagicNumbers() {
    Path file = dir.resolve("labels.gz");
    IdxWriter.write(file, new IdxLabels("mem", new byte[] {1, 2}));
    InputFileException e = assertThrows(InputFileException.class,
        () -> IdxReader.readImages(file));
    assertEquals(ErrorKind.INPUT, e.kind());
    assertEquals(file + ": not an IDX file of images (IDX3, uint8): magic number 0x00000801 at"
        + " byte offset 0, expected 0x00000803 (this is a file of labels (IDX1, uint8); images"
        + " and labels swapped?)", e.getMessage());
  }

  @Test
  void otherMagicNumbersAreRejected() throws IOException {
    Path file = dir.resolve("floats");
    Files.write(file, ByteBuffer.allocate(16).putInt(0x00000D03).putInt(0).putInt(1)
        .putInt(1).array());
    InputFileException e = assertThrows(InputFileException.class,
        () -> IdxReader.readImages(file));
    assertTrue(e.getMessage().startsWith(file + ": not an IDX file of images (IDX3, uint8):"
        + " magic number 0x00000d03 at byte offset 0"), e.getMessage());
    assertTrue(e.getMessage().contains("element type 0x0d is not supported"), e.getMessage());

    Path png = dir.resolve("picture.png");
    Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 0});
    e = assertThrows(InputFileException.class, () -> IdxReader.readLabels(png));
    assertTrue(e.getMessage().contains("magic number 0x89504e47 at byte offset 0, expected"
        + " 0x00000801"), e.getMessage());
  }

  @Test
  void truncatedHeaderSaysWhereTheFileEnds() throws IOException {
    Path empty = dir.resolve("empty");
    Files.write(empty, new byte[0]);
    InputFileException e = assertThrows(InputFileException.class,
        () -> IdxReader.readImages(empty));
    assertEquals(empty + ": truncated: an IDX header starts with a 4-byte magic number, the"
        + " file ends at byte offset 0", e.getMessage());

    Path shortHeader = dir.resolve("short");
    Files.write(shortHeader, Arrays.copyOf(IdxWriter.encode(sampleImages()), 10));
    e = assertThrows(InputFileException.class, () -> IdxReader.readImages(shortHeader));
    assertEquals(shortHeader + ": truncated: the IDX header of images (IDX3, uint8) is 16"
        + " bytes, the data ends at byte offset 10", e.getMessage());
  }

  @Test
  void truncatedDataSaysWhatTheHeaderPromisedAndWhereItEnds() throws IOException {
    byte[] whole = IdxWriter.encode(sampleImages()); // 16 + 24 bytes
    Path plain = dir.resolve("cut");
    Files.write(plain, Arrays.copyOf(whole, 36));
    InputFileException e = assertThrows(InputFileException.class,
        () -> IdxReader.readImages(plain));
    assertEquals(ErrorKind.INPUT, e.kind());
    assertEquals(plain + ": truncated: the header says 3 images of 2x4, 24 bytes from byte"
        + " offset 16, but the data ends at byte offset 36 after 20", e.getMessage());

    Path gz = dir.resolve("cut.gz");
    Files.write(gz, gzip(Arrays.copyOf(whole, 36)));
    e = assertThrows(InputFileException.class, () -> IdxReader.readImages(gz));
    assertTrue(e.getMessage().endsWith("the data ends at byte offset 36 after 20 (offsets in"
        + " the decompressed data)"), e.getMessage());
  }

  @Test
  void trailingGarbageIsCountedAndLocated() throws IOException {
    byte[] whole = IdxWriter.encode(new IdxLabels("mem", new byte[] {1, 2, 3}));
    Path file = dir.resolve("long");
    Files.write(file, Arrays.copyOf(whole, whole.length + 5));
    InputFileException e = assertThrows(InputFileException.class,
        () -> IdxReader.readLabels(file));
    assertEquals(file + ": 5 bytes of trailing garbage at byte offset 11: the header says 3"
        + " labels, which end there", e.getMessage());
  }

  @Test
  void cutGzipStreamIsAnInputError() throws IOException {
    byte[] compressed = gzip(IdxWriter.encode(sampleImages()));
    Path file = dir.resolve("cut-stream.gz");
    Files.write(file, Arrays.copyOf(compressed, compressed.length / 2));
    InputFileException e = assertThrows(InputFileException.class,
        () -> IdxReader.readImages(file));
    assertEquals(ErrorKind.INPUT, e.kind());
    assertTrue(e.getMessage().startsWith(file + ": corrupt or truncated gzip data after "),
        e.getMessage());
  }

  @Test
  void absurdCountFailsAsTruncatedWithoutAllocatingIt() throws IOException {
    // claims ~2 GB of pixels, holds 10 bytes: must fail without allocating the claim
    byte[] lie = ByteBuffer.allocate(26).putInt(0x00000803).putInt(Integer.MAX_VALUE - 9)
        .putInt(1).putInt(1).array();
    Path plain = dir.resolve("lie");
    Files.write(plain, lie);
    Path gz = dir.resolve("lie.gz");
    Files.write(gz, gzip(lie));
    for (Path file : new Path[] {plain, gz}) {
      long before = allocatedByThisThread();
      InputFileException e = assertThrows(InputFileException.class,
          () -> IdxReader.readImages(file));
      long allocated = allocatedByThisThread() - before;
      assertTrue(e.getMessage().contains("truncated: the header says 2147483638 images of 1x1"),
          e.getMessage());
      assertTrue(allocated < 4_000_000, file + ": allocated " + allocated + " bytes");
    }
  }

  @Test
  void headersTooLargeForAnArrayAreRejectedBeforeReading() throws IOException {
    Path huge = dir.resolve("huge");
    Files.write(huge, ByteBuffer.allocate(16).putInt(0x00000803).putInt(100_000)
        .putInt(100_000).putInt(100_000).array());
    InputFileException e = assertThrows(InputFileException.class,
        () -> IdxReader.readImages(huge));
    assertEquals(huge + ": the header says 100000 x 100000 = 10000000000 bytes or more, larger"
        + " than one array can hold (corrupt header?)", e.getMessage());

    Path negative = dir.resolve("negative");
    Files.write(negative, ByteBuffer.allocate(8).putInt(0x00000801).putInt(-1).array());
    e = assertThrows(InputFileException.class, () -> IdxReader.readLabels(negative));
    assertEquals(negative + ": dimension 0 at byte offset 4 is 4294967295, larger than any"
        + " array (corrupt header?)", e.getMessage());
  }

  @Test
  void missingFileIsAnIoError() {
    Path file = dir.resolve("absent.gz");
    InputFileException e = assertThrows(InputFileException.class,
        () -> IdxReader.readImages(file));
    assertEquals(ErrorKind.IO, e.kind());
    assertEquals(file + ": file not found", e.getMessage());
  }

  static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  static byte[] gunzip(byte[] bytes) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
      return in.readAllBytes();
    }
  }

  private static long allocatedByThisThread() {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    return threads.getThreadAllocatedBytes(Thread.currentThread().getId());
  }
}
