package dev.potaccel.protocol.pkg;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.protocol.onnx.OnnxProto.GraphProto;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import dev.potaccel.protocol.onnx.OnnxProto.NodeProto;
import dev.potaccel.protocol.onnx.OnnxProto.OperatorSetIdProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackageFileTest {
  @TempDir Path dir;

  @Test
  void minimalPackageRoundTripsThroughBytes() {
    AcceleratorPackage p = TestPackages.minimal();
    byte[] bytes = PackageFile.toBytes(p);
    assertArrayEquals("POTPKG\r\n".getBytes(US_ASCII), Arrays.copyOf(bytes, 8));

    AcceleratorPackage back = PackageFile.fromBytes(bytes, "tiny.potpkg");
    CRC32 crc = new CRC32();
    crc.update(p.getWeights().toByteArray());
    assertEquals((int) crc.getValue(), back.getWeightsCrc32());
    crc.reset();
    crc.update(p.getBiases().toByteArray());
    assertEquals((int) crc.getValue(), back.getBiasesCrc32());
    assertEquals(
        p, back.toBuilder().setWeightsCrc32(0).setBiasesCrc32(0).build(), "all but the CRCs");
    assertArrayEquals(bytes, PackageFile.toBytes(back), "writing again gives the same bytes");
  }

  @Test
  void writesAtomicallyAndReadsBack() throws IOException {
    Path file = dir.resolve("tiny.potpkg");
    Files.write(file, new byte[] {1, 2, 3}); // replaced, not appended to
    PackageFile.write(TestPackages.minimal(), file);
    AcceleratorPackage back = PackageFile.read(file);
    assertEquals(TestPackages.minimal().getWeights(), back.getWeights());
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "no temporary file left behind");
    }
  }

  @Test
  void missingFileIsAnIoError() {
    Path file = dir.resolve("absent.potpkg");
    PackageFormatException e =
        assertThrows(PackageFormatException.class, () -> PackageFile.read(file));
    assertEquals(ErrorKind.IO, e.kind());
    assertEquals(file + ": file not found", e.getMessage());
  }

  @Test
  void truncatedFileSaysTruncated() {
    byte[] bytes = PackageFile.toBytes(TestPackages.minimal());
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 50); // inside the weights or biases blob
    PackageFormatException e = read(cut);
    assertEquals(ErrorKind.PACKAGE_FORMAT, e.kind());
    assertTrue(
        e.getMessage().startsWith("t.potpkg: truncated: the field at byte "), e.getMessage());
    assertTrue(
        e.getMessage().contains("runs past the end of the file (" + cut.length + " bytes)"),
        e.getMessage());

    PackageFormatException header = read(Arrays.copyOf(bytes, 5));
    assertEquals(
        "t.potpkg: truncated: 5 bytes, less than the 8-byte \"POTPKG\\r\\n\" header",
        header.getMessage());
  }

  @Test
  void flippedWeightByteIsACrcError() {
    AcceleratorPackage p = TestPackages.minimal();
    byte[] bytes = PackageFile.toBytes(p);
    int at = indexOf(bytes, p.getWeights().toByteArray());
    assertTrue(at > 8);
    bytes[at + 10] ^= 0x10;
    PackageFormatException e = read(bytes);
    assertTrue(
        e.getMessage()
            .matches(
                "t\\.potpkg: weights_crc32 is 0x[0-9a-f]{8} but the weights blob \\(64 bytes\\) has"
                    + " CRC-32 0x[0-9a-f]{8}: the file is corrupt, copy or compile it again"),
        e.getMessage());

    byte[] again = PackageFile.toBytes(p);
    int b = indexOf(again, p.getBiases().toByteArray());
    again[b] ^= 1;
    assertTrue(read(again).getMessage().contains("biases_crc32 is 0x"));
  }

  @Test
  void wrongMagicSaysWhatTheFileIs() {
    ModelProto onnx =
        ModelProto.newBuilder()
            .setIrVersion(8)
            .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
            .setGraph(
                GraphProto.newBuilder()
                    .setName("g")
                    .addNode(NodeProto.newBuilder().setOpType("Relu").addInput("x").addOutput("y")))
            .build();
    assertEquals(
        "m.onnx: this is an ONNX model, not a compiled package; compile it first with potaccel"
            + " compile",
        assertThrows(
                PackageFormatException.class,
                () -> PackageFile.fromBytes(onnx.toByteArray(), "m.onnx"))
            .getMessage());

    byte[] bare = TestPackages.minimal().toByteArray();
    assertTrue(
        read(bare)
            .getMessage()
            .contains("AcceleratorPackage protobuf without the 8-byte" + " header"));

    byte[] text = PackageFile.toBytes(TestPackages.minimal());
    byte[] mangled = new byte[text.length - 1];
    System.arraycopy(text, 0, mangled, 0, 6);
    System.arraycopy(text, 7, mangled, 6, text.length - 7); // CR LF -> LF
    assertTrue(
        read(mangled).getMessage().startsWith("t.potpkg: the header is \"POTPKG\\n"),
        read(mangled).getMessage());

    assertEquals(
        "t.potpkg: not a potaccel package (no \"POTPKG\\r\\n\" magic): this is text starting"
            + " with \"{\\\"model\\\": 1}\"",
        read("{\"model\": 1}".getBytes(US_ASCII)).getMessage());
    assertEquals(
        "t.potpkg: not a potaccel package (no \"POTPKG\\r\\n\" magic): the file is empty",
        read(new byte[0]).getMessage());
    assertTrue(read(new byte[] {0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0}).getMessage().contains("ZIP"));
    assertTrue(
        read(new byte[] {(byte) 0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8})
            .getMessage()
            .endsWith("it starts with bytes ff 00 01 02 03 04 05 06"));
  }

  @Test
  void unknownVersionsNameWhatIsSupported() {
    AcceleratorPackage p = TestPackages.minimal();
    assertEquals(
        "t.potpkg: format_version 2 is not supported (written by potaccel test); this potaccel"
            + " reads format version 1 only: compile the model again with this version",
        read(PackageFile.toBytes(p.toBuilder().setFormatVersion(2).build())).getMessage());
    assertTrue(
        read(PackageFile.toBytes(p.toBuilder().setContractVersion(2).build()))
            .getMessage()
            .startsWith("t.potpkg: contract_version 2 is not supported"));
    assertTrue(
        read(PackageFile.toBytes(p.toBuilder().setLayoutVersion(7).build()))
            .getMessage()
            .contains("layout_version 7 is not supported"));
    // layout 1 padded the last weight tile to pe_out channels: its bytes would decode wrongly
    assertEquals(
        "t.potpkg: layout_version 1 is not supported (written by potaccel test); this potaccel"
            + " reads layout version 2 only: compile the model again with this version",
        read(PackageFile.toBytes(p.toBuilder().setLayoutVersion(1).build())).getMessage());

    // a future format whose body is not even this schema: the version still comes first
    byte[] future = {
      'P', 'O', 'T', 'P', 'K', 'G', '\r', '\n', 0x08, 0x02, (byte) 0xff, (byte) 0xff
    };
    assertTrue(
        read(future).getMessage().startsWith("t.potpkg: format_version 2 is not supported;"));
  }

  @Test
  void corruptProtobufNamesTheByteOffset() {
    byte[] bytes = {'P', 'O', 'T', 'P', 'K', 'G', '\r', '\n', 0x08, 0x01, 0x07};
    PackageFormatException e = read(bytes);
    assertTrue(
        e.getMessage().startsWith("t.potpkg: corrupt protobuf at or after byte "), e.getMessage());
  }

  @Test
  void readingValidatesTheContent() {
    AcceleratorPackage p = TestPackages.minimal();
    AcceleratorPackage broken =
        p.toBuilder().setCodebooks(0, p.getCodebooks(0).toBuilder().removeEntries(15)).build();
    assertTrue(
        read(PackageFile.toBytes(broken))
            .getMessage()
            .startsWith("t.potpkg: codebook 0 (POT, 4 bits): has 15 entries"));
  }

  @Test
  void toBytesFillsInTheCrcs() {
    AcceleratorPackage p = TestPackages.minimal();
    AcceleratorPackage stale = p.toBuilder().setWeightsCrc32(123).setBiasesCrc32(456).build();
    assertArrayEquals(PackageFile.toBytes(p), PackageFile.toBytes(stale));
    assertNotEquals(0, PackageFile.crc32(p.getWeights()));
  }

  private static PackageFormatException read(byte[] bytes) {
    return assertThrows(
        PackageFormatException.class, () -> PackageFile.fromBytes(bytes, "t.potpkg"));
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
