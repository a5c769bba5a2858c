package dev.potaccel.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.protocol.onnx.OnnxProto.TensorProto;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputFilesTest {
  private static final ValueInfo IMAGES = new ValueInfo("input",
      TensorType.of(DataType.FLOAT, TensorType.UNKNOWN, 1, 4, 4));
  private static final ModelMetadata META = ModelMetadata.none("m.onnx");

  @TempDir
  Path dir;

  @Test
  void npyWithLabelsBesideIt() throws IOException {
    Path npy = dir.resolve("batch.npy");
    NpyWriter.write(npy, Tensor.zeros(DataType.FLOAT, new int[] {3, 1, 4, 4}));
    Files.writeString(dir.resolve("batch.labels.txt"), "7\n0\n9\n");
    InputBatch b = InputFiles.read(npy, IMAGES, META, "m.onnx");
    assertArrayEquals(new int[] {3, 1, 4, 4}, b.tensor().shape());
    assertEquals(List.of("image 0", "image 1", "image 2"), b.itemNames());
    assertEquals(List.of(7, 0, 9), b.labels());
  }

  @Test
  void singleImageWithoutBatchDimensionGetsOne() {
    Path npy = dir.resolve("one.npy");
    NpyWriter.write(npy, Tensor.zeros(DataType.FLOAT, new int[] {1, 4, 4}));
    InputBatch b = InputFiles.read(npy, IMAGES, META, "m.onnx");
    assertArrayEquals(new int[] {1, 1, 4, 4}, b.tensor().shape());
    assertEquals(1, b.size());
  }

  @Test
  void shapeMismatchNamesFileBothShapesAndInput() {
    Path npy = dir.resolve("rgb.npy");
    NpyWriter.write(npy, Tensor.zeros(DataType.FLOAT, new int[] {2, 3, 4, 4}));
    InputFileException e = assertThrows(InputFileException.class,
        () -> InputFiles.read(npy, IMAGES, META, "m.onnx"));
    assertEquals(ErrorKind.INPUT, e.kind());
    assertEquals(npy + ": shape [2, 3, 4, 4] does not fit m.onnx input 'input', which wants"
        + " [N,1,4,4]", e.getMessage());
  }

  @Test
  void protobufTensorIsReadAndConvertedToFloat() throws IOException {
    TensorProto t = TensorProto.newBuilder().setName("x").setDataType(7)
        .addAllDims(List.of(1L, 1L, 4L, 4L))
        .addAllInt64Data(java.util.Collections.nCopies(16, 3L)).build();
    Path pb = Files.write(dir.resolve("input_0.pb"), t.toByteArray());
    InputBatch b = InputFiles.read(pb, IMAGES, META, "m.onnx");
    assertEquals(DataType.FLOAT, b.tensor().dtype());
    assertEquals(3f, b.tensor().floats()[15]);
  }

  @Test
  void directoryOfPicturesIsABatchInNameOrder() throws IOException {
    Path pics = Files.createDirectory(dir.resolve("pics"));
    png(pics.resolve("b.png"), 255, 8);
    png(pics.resolve("a.PNG"), 51, 2);
    Files.writeString(pics.resolve("notes.txt"), "ignored");
    InputBatch b = InputFiles.read(pics, IMAGES, META, "m.onnx");
    assertArrayEquals(new int[] {2, 1, 4, 4}, b.tensor().shape());
    assertEquals(List.of("a.PNG", "b.png"), b.itemNames());
    assertEquals(0.2f, b.tensor().floats()[0], 1e-6f);
    assertEquals(1f, b.tensor().floats()[31], 1e-6f);
    assertTrue(!b.hasLabels());
  }

  @Test
  void picturesUseTheMetadataNormalisation() throws IOException {
    ModelMetadata meta = ModelMetadata.parse(
        "{\"input\": {\"mean\": [0.2], \"std\": [0.5], \"channels\": \"grayscale\"}}", "m.json");
    Path png = png(dir.resolve("p.png"), 51, 4);
    InputBatch b = InputFiles.read(png, IMAGES, meta, "m.onnx");
    assertEquals(0f, b.tensor().floats()[0], 1e-6f);
    assertEquals(List.of("p.png"), b.itemNames());
  }

  @Test
  void picturesNeedAnImageModel() throws IOException {
    Path png = png(dir.resolve("p.png"), 0, 4);
    ValueInfo flat = new ValueInfo("x", TensorType.of(DataType.FLOAT, TensorType.UNKNOWN, 16));
    InputFileException e = assertThrows(InputFileException.class,
        () -> InputFiles.read(png, flat, META, "flat.onnx"));
    assertTrue(e.getMessage().contains("flat.onnx: input FLOAT[?,16] is not an image batch"),
        e.getMessage());
  }

  @Test
  void emptyDirectoryAndUnknownExtensionAreErrors() throws IOException {
    Path empty = Files.createDirectory(dir.resolve("empty"));
    assertTrue(assertThrows(InputFileException.class,
        () -> InputFiles.read(empty, IMAGES, META, "m.onnx")).getMessage()
        .contains("no pictures"));
    Path csv = Files.writeString(dir.resolve("x.csv"), "1,2");
    assertTrue(assertThrows(InputFileException.class,
        () -> InputFiles.read(csv, IMAGES, META, "m.onnx")).getMessage()
        .contains("unknown input format '.csv'"));
  }

  @Test
  void labelsMustMatchTheBatch() {
    InputFileException e = assertThrows(InputFileException.class,
        () -> InputFiles.parseLabels("1\n2\n", "l.txt", 3));
    assertEquals("l.txt: 2 labels for 3 inputs", e.getMessage());
    e = assertThrows(InputFileException.class,
        () -> InputFiles.parseLabels("1\ncat\n", "l.txt", 2));
    assertEquals("l.txt: line 2: 'cat' is not a class index (a non-negative integer)",
        e.getMessage());
  }

  private static Path png(Path file, int gray, int size) throws IOException {
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        img.getRaster().setSample(x, y, 0, gray);
      }
    }
    ImageIO.write(img, "png", file.toFile());
    return file;
  }
}
