package dev.potaccel.onnx;

import static dev.potaccel.testing.OnnxModelBuilder.floatTensor;
import static dev.potaccel.testing.OnnxModelBuilder.intAttr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.graph.Graph;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.UnsupportedOperatorException;
import dev.potaccel.protocol.onnx.OnnxProto.StringStringEntryProto;
import dev.potaccel.protocol.onnx.OnnxProto.TensorProto;
import dev.potaccel.testing.OnnxModelBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The importer on good models and on every kind of bad input it must refuse clearly. */
class OnnxImporterTest {
  @TempDir Path dir;

  private static OnnxModelBuilder conv(long weightInChannels) {
    float[] w = new float[(int) (4 * weightInChannels * 9)];
    return new OnnxModelBuilder()
        .input("x", -1, 2, 8, 8)
        .initializer("w", new long[] {4, weightInChannels, 3, 3}, w)
        .node("Conv", "conv1", new String[] {"x", "w"}, new String[] {"y"},
            OnnxModelBuilder.ints("pads", 1, 1, 1, 1))
        .node("Relu", "relu1", new String[] {"y"}, new String[] {"z"})
        .output("z", -1, 4, 8, 8);
  }

  @Test
  void infersShapesWithDynamicBatch() throws IOException {
    Graph g = OnnxImporter.read(conv(2).write(dir.resolve("m.onnx")));
    assertEquals(13, g.opset());
    assertEquals(1, g.inputs().size());
    assertEquals("[?,4,8,8]", g.typeOf("z").toString().substring("FLOAT".length()));
    assertEquals(TensorType.UNKNOWN, g.typeOf("z").dim(0));
  }

  @Test
  void pytorchFlattenChainResolvesToStaticFeatureSize() throws IOException {
    // Shape -> Gather(0) -> Unsqueeze -> Concat([N, -1]) -> Reshape, as torch.flatten exports
    OnnxModelBuilder b = new OnnxModelBuilder()
        .input("x", -1, 3, 4, 5)
        .initializer(TensorProto.newBuilder().setName("zero").setDataType(7).addInt64Data(0).build())
        .initializer(TensorProto.newBuilder().setName("minus1").setDataType(7).addDims(1)
            .addInt64Data(-1).build())
        .initializer(TensorProto.newBuilder().setName("axes0").setDataType(7).addDims(1)
            .addInt64Data(0).build())
        .node("Shape", "s", new String[] {"x"}, new String[] {"shape"})
        .node("Gather", "g", new String[] {"shape", "zero"}, new String[] {"n"},
            intAttr("axis", 0))
        .node("Unsqueeze", "u", new String[] {"n", "axes0"}, new String[] {"n1"})
        .node("Concat", "c", new String[] {"n1", "minus1"}, new String[] {"spec"},
            intAttr("axis", 0))
        .node("Reshape", "r", new String[] {"x", "spec"}, new String[] {"y"})
        .output("y", -1, 60);
    Graph g = OnnxImporter.read(b.write(dir.resolve("flat.onnx")));
    assertArrayEquals(new int[] {TensorType.UNKNOWN, 60}, g.typeOf("y").dims());
  }

  @Test
  void truncatedFileIsAClearError() throws IOException {
    byte[] full = conv(2).build().toByteArray();
    Path f = dir.resolve("cut.onnx");
    Files.write(f, Arrays.copyOf(full, full.length / 2));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.read(f));
    assertTrue(e.getMessage().contains("cut.onnx"), e.getMessage());
    assertTrue(e.getMessage().contains("corrupt or truncated"), e.getMessage());
  }

  @Test
  void randomBytesAreAClearError() throws IOException {
    byte[] junk = new byte[4096];
    new Random(7).nextBytes(junk);
    Path f = dir.resolve("junk.onnx");
    Files.write(f, junk);
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.read(f));
    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
  }

  @Test
  void textFileIsNotAModel() throws IOException {
    Path f = dir.resolve("notes.onnx");
    Files.writeString(f, "");
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.read(f));
    assertTrue(e.getMessage().contains("no graph"), e.getMessage());
  }

  @Test
  void missingFileNamesThePath() {
    Path f = dir.resolve("nope.onnx");
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.read(f));
    assertTrue(e.getMessage().contains("nope.onnx") && e.getMessage().contains("not found"),
        e.getMessage());
  }

  @Test
  void everyUnsupportedOpIsListedAtOnce() throws IOException {
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", 1, 4)
        .node("Resize", "resize_1", new String[] {"x"}, new String[] {"a"})
        .node("Einsum", "einsum_1", new String[] {"a"}, new String[] {"b"})
        .node("Relu", "ok", new String[] {"b"}, new String[] {"c"})
        .node("Resize", "resize_2", new String[] {"c"}, new String[] {"d"})
        .output("d", 1, 4);
    UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class,
        () -> OnnxImporter.read(b.write(dir.resolve("ops.onnx"))));
    String m = e.getMessage();
    assertTrue(m.contains("2 unsupported ops"), m);
    assertTrue(m.contains("Resize (resize_1, resize_2)"), m);
    assertTrue(m.contains("Einsum (einsum_1)"), m);
  }

  @Test
  void missingInitializerNamesNodeAndValue() throws IOException {
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", 1, 4)
        .node("Gemm", "fc", new String[] {"x", "fc.weight"}, new String[] {"y"})
        .output("y", 1, 2);
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> OnnxImporter.read(b.write(dir.resolve("miss.onnx"))));
    assertTrue(e.getMessage().contains("node 'fc'") && e.getMessage().contains("'fc.weight'")
        && e.getMessage().contains("missing initializer"), e.getMessage());
  }

  @Test
  void channelMismatchNamesNodeAndBothSides() throws IOException {
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> OnnxImporter.read(conv(3).write(dir.resolve("mismatch.onnx"))));
    String m = e.getMessage();
    assertTrue(m.startsWith("mismatch.onnx: node 'conv1' (Conv)"), m);
    assertTrue(m.contains("3 input channels") && m.contains("2 channels"), m);
  }

  @Test
  void cycleIsReported() throws IOException {
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", 1, 4)
        .node("Add", "a", new String[] {"x", "d"}, new String[] {"c"})
        .node("Relu", "b", new String[] {"c"}, new String[] {"d"})
        .output("d", 1, 4);
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> OnnxImporter.read(b.write(dir.resolve("cycle.onnx"))));
    assertTrue(e.getMessage().contains("cycle") && e.getMessage().contains("'a'"), e.getMessage());
  }

  @Test
  void declaredSizeLargerThanDataIsRefusedWithoutAllocating() throws IOException {
    TensorProto lie = TensorProto.newBuilder().setName("w").setDataType(1)
        .addDims(100_000_000).setRawData(floatTensor("w", new long[] {1}, 1f).getRawData())
        .build();
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", 1).initializer(lie)
        .node("Add", "add", new String[] {"x", "w"}, new String[] {"y"}).output("y", 1);
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> OnnxImporter.read(b.write(dir.resolve("lie.onnx"))));
    assertTrue(e.getMessage().contains("initializer 'w'") && e.getMessage().contains("4 bytes")
        && e.getMessage().contains("needs 400000000"), e.getMessage());
  }

  @Test
  void absurdShapeIsRefused() throws IOException {
    TensorProto huge = TensorProto.newBuilder().setName("w").setDataType(1)
        .addDims(1L << 20).addDims(1L << 20).addDims(1L << 20).build();
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", 1).initializer(huge)
        .node("Add", "add", new String[] {"x", "w"}, new String[] {"y"}).output("y", 1);
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> OnnxImporter.read(b.write(dir.resolve("huge.onnx"))));
    assertTrue(e.getMessage().contains("absurdly large"), e.getMessage());
  }

  private static TensorProto external(String location, long elements) {
    return TensorProto.newBuilder().setName("w").setDataType(1).addDims(elements)
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
        .build();
  }

  @Test
  void externalDataInsideTheModelFolderIsRead() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f)
        .putFloat(-2f);
    Files.write(dir.resolve("weights.bin"), b.array());
    OnnxModelBuilder m = new OnnxModelBuilder().input("x", 2).initializer(external("weights.bin", 2))
        .node("Add", "add", new String[] {"x", "w"}, new String[] {"y"}).output("y", 2);
    Graph g = OnnxImporter.read(m.write(dir.resolve("ext.onnx")));
    assertArrayEquals(new float[] {1.5f, -2f}, g.initializers().get("w").floats());
  }

  @Test
  void externalDataOutsideTheModelFolderIsRefused() throws IOException {
    Path sub = Files.createDirectories(dir.resolve("model"));
    Files.write(dir.resolve("secret.bin"), new byte[8]);
    OnnxModelBuilder m = new OnnxModelBuilder().input("x", 2)
        .initializer(external("../secret.bin", 2))
        .node("Add", "add", new String[] {"x", "w"}, new String[] {"y"}).output("y", 2);
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> OnnxImporter.read(m.write(sub.resolve("escape.onnx"))));
    assertTrue(e.getMessage().contains("outside the model's folder"), e.getMessage());
  }

  @Test
  void externalDataShorterThanDeclaredIsRefused() throws IOException {
    Files.write(dir.resolve("short.bin"), new byte[4]);
    OnnxModelBuilder m = new OnnxModelBuilder().input("x", 2).initializer(external("short.bin", 2))
        .node("Add", "add", new String[] {"x", "w"}, new String[] {"y"}).output("y", 2);
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> OnnxImporter.read(m.write(dir.resolve("short.onnx"))));
    assertTrue(e.getMessage().contains("beyond its end"), e.getMessage());
  }

  @Test
  void declaredOutputShapeMustMatchInferred() throws IOException {
    OnnxModelBuilder b = conv(2);
    b.output("y", -1, 5, 8, 8);
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> OnnxImporter.read(b.write(dir.resolve("decl.onnx"))));
    assertTrue(e.getMessage().contains("graph output 'y'"), e.getMessage());
  }
}
