package dev.potaccel.protocol.pkg;

import static java.nio.charset.StandardCharsets.US_ASCII;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * The {@code .potpkg} file (docs/accelerator.md §5): the 8 bytes {@code POTPKG\r\n}, then one
 * protobuf {@link AcceleratorPackage}. Writing fills in the CRC-32 of the weight and bias blobs;
 * reading checks magic, versions, protobuf integrity, CRCs, then {@link PackageValidator#validate}
 * and {@link PackageValidator#checkPackedCodes}, so a package that reads is one a device can run.
 * Every problem is a {@link PackageFormatException} naming the file and the field or byte offset.
 */
public final class PackageFile {
  /** {@code format_version} this code reads and writes. */
  public static final int FORMAT_VERSION = 1;

  /** {@code contract_version}: the docs/accelerator.md version implemented. */
  public static final int CONTRACT_VERSION = 1;

  /**
   * {@code layout_version}: the DMA weight layout of §4 that {@link WeightPacker} implements. 2:
   * the last output-channel tile holds only the remaining channels (1 padded it to P_out with code
   * 0), so version 1 weights would decode wrongly and are refused.
   */
  public static final int LAYOUT_VERSION = 2;

  /** The usual file name extension. */
  public static final String EXTENSION = ".potpkg";

  private static final byte[] MAGIC = "POTPKG\r\n".getBytes(US_ASCII);

  /** Length of the magic that precedes the protobuf. */
  public static final int HEADER_BYTES = MAGIC.length;

  private PackageFile() {}

  /** The 8-byte magic {@code POTPKG\r\n}. */
  public static byte[] magic() {
    return MAGIC.clone();
  }

  /**
   * The file's bytes: magic, then the package with {@code weights_crc32} and {@code biases_crc32}
   * set from the blobs. Does not validate; the compiler should call {@link PackageValidator} first.
   */
  public static byte[] toBytes(AcceleratorPackage p) {
    AcceleratorPackage withCrc =
        p.toBuilder()
            .setWeightsCrc32(crc32(p.getWeights()))
            .setBiasesCrc32(crc32(p.getBiases()))
            .build();
    int size = withCrc.getSerializedSize();
    byte[] out = new byte[Math.addExact(HEADER_BYTES, size)];
    System.arraycopy(MAGIC, 0, out, 0, HEADER_BYTES);
    CodedOutputStream cos = CodedOutputStream.newInstance(out, HEADER_BYTES, size);
    try {
      withCrc.writeTo(cos);
    } catch (IOException e) {
      throw new IllegalStateException("serializing into an array of the exact size failed", e);
    }
    cos.checkNoSpaceLeft();
    return out;
  }

  /**
   * Writes {@link #toBytes} atomically: into a temporary file in the same directory, forced to
   * disk, then moved over {@code file}. Readers never see a half-written package.
   *
   * @throws PackageFormatException of kind IO if the file cannot be written
   */
  public static void write(AcceleratorPackage p, Path file) {
    byte[] bytes = toBytes(p);
    Path absolute = file.toAbsolutePath();
    Path dir = absolute.getParent();
    Path tmp =
        dir.resolve(
            "."
                + absolute.getFileName()
                + "."
                + ProcessHandle.current().pid()
                + "."
                + Long.toUnsignedString(System.nanoTime(), 36)
                + ".tmp");
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(
            tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw PackageFormatException.io(file, e);
    }
  }

  /**
   * Reads and fully checks a package file.
   *
   * @throws PackageFormatException of kind IO for a missing or unreadable file, of kind
   *     PACKAGE_FORMAT for anything {@link #fromBytes} refuses
   */
  public static AcceleratorPackage read(Path file) {
    byte[] data;
    try {
      data = Files.readAllBytes(file);
    } catch (IOException e) {
      throw PackageFormatException.io(file, e);
    }
    return fromBytes(data, file.toString());
  }

  /**
   * Parses and fully checks a package: magic, versions, protobuf integrity, CRCs, then {@link
   * PackageValidator#validate} and {@link PackageValidator#checkPackedCodes}.
   *
   * @param source the file or stream named at the start of every message
   * @throws PackageFormatException naming the problem and where it is
   */
  public static AcceleratorPackage fromBytes(byte[] data, String source) {
    String src = source == null ? "<package>" : source;
    if (data.length < HEADER_BYTES
        || !Arrays.equals(data, 0, HEADER_BYTES, MAGIC, 0, HEADER_BYTES)) {
      throw new PackageFormatException(src + ": " + describeForeign(data));
    }
    CodedInputStream in =
        CodedInputStream.newInstance(data, HEADER_BYTES, data.length - HEADER_BYTES);
    AcceleratorPackage p;
    try {
      p = AcceleratorPackage.parseFrom(in);
    } catch (IOException e) { // InvalidProtocolBufferException; nothing else reads an array
      peekFormatVersion(data, src); // a newer format need not parse as this schema
      long at = HEADER_BYTES + (long) in.getTotalBytesRead();
      String detail = e.getMessage() == null ? "" : e.getMessage();
      if (detail.contains("truncated") || detail.contains("ended unexpectedly")) {
        throw new PackageFormatException(
            src
                + ": truncated: the field at byte "
                + at
                + " runs past the end of the file ("
                + data.length
                + " bytes); the file was cut short, copy or compile it again",
            e);
      }
      throw new PackageFormatException(
          src + ": corrupt protobuf at or after byte " + at + " of " + data.length + ": " + detail,
          e);
    }
    PackageValidator.checkVersions(p, src);
    checkCrc(src, "weights", p.getWeights(), p.getWeightsCrc32());
    checkCrc(src, "biases", p.getBiases(), p.getBiasesCrc32());
    PackageValidator.validate(p, src);
    PackageValidator.checkPackedCodesOfValid(p, src);
    return p;
  }

  /** Reports an unknown format version of a body that does not parse as this schema. */
  private static void peekFormatVersion(byte[] data, String src) {
    CodedInputStream in =
        CodedInputStream.newInstance(data, HEADER_BYTES, data.length - HEADER_BYTES);
    int version;
    try {
      if (in.readTag() != (AcceleratorPackage.FORMAT_VERSION_FIELD_NUMBER << 3)) {
        return;
      }
      version = in.readUInt32();
    } catch (IOException e) {
      return; // the full parse reports it
    }
    PackageValidator.checkVersion(src, "format_version", version, FORMAT_VERSION, "");
  }

  private static void checkCrc(String src, String blob, ByteString bytes, int stored) {
    int actual = crc32(bytes);
    if (actual != stored) {
      throw new PackageFormatException(
          String.format(
              "%s: %s_crc32 is 0x%08x but the %s blob (%d bytes) has CRC-32 0x%08x: the file is"
                  + " corrupt, copy or compile it again",
              src, blob, stored, blob, bytes.size(), actual));
    }
  }

  static int crc32(ByteString bytes) {
    CRC32 crc = new CRC32();
    crc.update(bytes.asReadOnlyByteBuffer());
    return (int) crc.getValue();
  }

  /** Says what a file without the magic looks like, and what to do about it. */
  static String describeForeign(byte[] data) {
    String no = "not a potaccel package (no \"POTPKG\\r\\n\" magic): ";
    if (data.length == 0) {
      return no + "the file is empty";
    }
    if (data.length < HEADER_BYTES && Arrays.equals(data, 0, data.length, MAGIC, 0, data.length)) {
      return "truncated: " + data.length + " bytes, less than the 8-byte \"POTPKG\\r\\n\" header";
    }
    if (data.length >= 6 && Arrays.equals(data, 0, 6, MAGIC, 0, 6)) {
      return "the header is \"POTPKG"
          + escape(data, 6, Math.min(data.length, HEADER_BYTES))
          + "\" instead of \"POTPKG\\r\\n\": line endings were converted (copied in text mode?);"
          + " copy the file in binary mode or compile it again";
    }
    if (looksLikeBarePackage(data)) {
      return no
          + "this is an AcceleratorPackage protobuf without the 8-byte header; write"
          + " packages with PackageFile.write";
    }
    if (looksLikeOnnx(data)) {
      return "this is an ONNX model, not a compiled package; compile it first with potaccel"
          + " compile";
    }
    if (startsWith(data, 'P', 'K', 3, 4)) {
      return no + "this is a ZIP archive (a PyTorch checkpoint or .npz?)";
    }
    if (startsWith(data, 0x93, 'N', 'U', 'M', 'P', 'Y')) {
      return no + "this is a NumPy .npy array";
    }
    if ((data[0] & 0xFF) == 0x80 && data.length > 1 && data[1] >= 2 && data[1] <= 5) {
      return no + "this is a Python pickle (a PyTorch checkpoint?)";
    }
    int n = Math.min(data.length, 40);
    boolean text = true;
    for (int i = 0; i < n; i++) {
      int b = data[i] & 0xFF;
      text &= (b >= 0x20 && b < 0x7F) || b == '\n' || b == '\r' || b == '\t';
    }
    if (text) {
      return no + "this is text starting with \"" + escape(data, 0, n) + "\"";
    }
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < Math.min(data.length, HEADER_BYTES); i++) {
      hex.append(i == 0 ? "" : " ").append(String.format("%02x", data[i] & 0xFF));
    }
    return no + "it starts with bytes " + hex;
  }

  private static boolean looksLikeBarePackage(byte[] data) {
    try {
      AcceleratorPackage p = AcceleratorPackage.parseFrom(data);
      return p.getFormatVersion() == FORMAT_VERSION
          && p.getContractVersion() >= 1
          && (p.getBuffersCount() > 0 || p.getCommandsCount() > 0);
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }

  private static boolean looksLikeOnnx(byte[] data) {
    if (data[0] != 0x08) { // ir_version, field 1, is written first by every ONNX writer
      return false;
    }
    try {
      ModelProto m = ModelProto.parseFrom(data);
      return m.getIrVersion() >= 3 && (m.hasGraph() || m.getOpsetImportCount() > 0);
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }

  private static boolean startsWith(byte[] data, int... prefix) {
    if (data.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((data[i] & 0xFF) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String escape(byte[] data, int from, int to) {
    StringBuilder s = new StringBuilder();
    for (int i = from; i < to; i++) {
      int b = data[i] & 0xFF;
      switch (b) {
        case '\r' -> s.append("\\r");
        case '\n' -> s.append("\\n");
        case '\t' -> s.append("\\t");
        case '"' -> s.append("\\\"");
        case '\\' -> s.append("\\\\");
        default ->
            s.append(
                b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02x", b));
      }
    }
    return s.toString();
  }
}
