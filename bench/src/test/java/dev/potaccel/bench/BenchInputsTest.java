package dev.potaccel.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.cpu.InputMismatchException;
import dev.potaccel.data.InputFileException;
import dev.potaccel.data.NpyReader;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BenchInputsTest {
  static final Path IMAGES = Path.of("../models/testdata/fmnist-test-first256.npy");
  static final ValueInfo MNIST = new ValueInfo("input",
      TensorType.of(DataType.FLOAT, TensorType.UNKNOWN, 1, 28, 28));

  @Test
  void batchesCycleThroughTheFileUsingEverySample() {
    BenchInputs in = BenchInputs.fromFile(IMAGES, MNIST, 100);

    assertEquals(3, in.batches().size()); // 256 samples: 0-99, 100-199, 200-255 + 0-43
    assertEquals(100, in.batchSize());
    float[] all = NpyReader.read(IMAGES).floats();
    float[] last = in.batches().get(2).floats();
    int per = 28 * 28;
    assertArrayEquals(Arrays.copyOfRange(all, 255 * per, 256 * per),
        Arrays.copyOfRange(last, 55 * per, 56 * per), "sample 255 is row 55 of batch 2");
    assertArrayEquals(Arrays.copyOfRange(all, 0, per),
        Arrays.copyOfRange(last, 56 * per, 57 * per), "then sample 0 again");
  }

  @Test
  void fileThatDoesNotFitTheModelNamesBoth() {
    ValueInfo rgb = new ValueInfo("x", TensorType.of(DataType.FLOAT, TensorType.UNKNOWN, 3, 28,
        28));
    InputFileException e = assertThrows(InputFileException.class,
        () -> BenchInputs.fromFile(IMAGES, rgb, 8));
    assertTrue(e.getMessage().contains("[256, 1, 28, 28] do not fit model input 'x' [?,3,28,28]"),
        e.getMessage());
  }

  @Test
  void randomInputsTakeTheModelShapeWithTheBatch() {
    BenchInputs in = BenchInputs.random(MNIST, 5, 42);
    Tensor t = in.batches().get(0);
    assertArrayEquals(new int[] {5, 1, 28, 28}, t.shape());
    assertEquals(1, in.batches().size());
    assertArrayEquals(t.floats(), BenchInputs.random(MNIST, 5, 42).batches().get(0).floats(),
        "same seed, same data");
  }

  @Test
  void randomInputsNeedEveryDimensionButTheBatch() {
    ValueInfo open = new ValueInfo("x", TensorType.of(DataType.FLOAT, TensorType.UNKNOWN, 1,
        TensorType.UNKNOWN, 28));
    InputMismatchException e = assertThrows(InputMismatchException.class,
        () -> BenchInputs.random(open, 4, 1));
    assertTrue(e.getMessage().contains("unknown dimension 2; give --input FILE.npy"),
        e.getMessage());

    ValueInfo fixed = new ValueInfo("x", TensorType.of(DataType.FLOAT, 1, 1, 28, 28));
    e = assertThrows(InputMismatchException.class, () -> BenchInputs.random(fixed, 4, 1));
    assertTrue(e.getMessage().contains("fixed batch of 1; use --batch 1"), e.getMessage());
  }

  @Test
  void theBundledImagesAreTheDefaultForMnistShapedModels() {
    assertEquals(Path.of("../models/testdata/fmnist-test-first256.npy"),
        BenchInputs.defaultImages(Path.of("../models/lenet5.onnx"), MNIST).orElseThrow());
    ValueInfo other = new ValueInfo("x", TensorType.of(DataType.FLOAT, TensorType.UNKNOWN, 3,
        32, 32));
    assertTrue(BenchInputs.defaultImages(Path.of("../models/lenet5.onnx"), other).isEmpty());
  }
}
