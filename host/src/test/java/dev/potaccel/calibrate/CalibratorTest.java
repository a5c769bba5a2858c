package dev.potaccel.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.testing.OnnxModelBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CalibratorTest {
  /** y = Relu(x · w), w = [[1, -2]]: the intermediate is signed, the output is not. */
  private static Graph graph() {
    return OnnxImporter.fromProto(new OnnxModelBuilder().input("x", -1, 2).output("y", -1, 1)
        .initializer("w", new long[] {1, 2}, 1f, -2f)
        .node("Gemm", "fc", new String[] {"x", "w"}, new String[] {"z"},
            OnnxModelBuilder.intAttr("transB", 1))
        .node("Relu", "relu", new String[] {"z"}, new String[] {"y"}).build(), "t.onnx", null);
  }

  @Test
  void measuresEveryValueAcrossBatches() {
    List<Tensor> batches = List.of(
        Tensor.ofFloats(new int[] {2, 2}, new float[] {1, 0.25f, 3, -1}),  // z: 0.5, 5
        Tensor.ofFloats(new int[] {1, 2}, new float[] {0, 2}));            // z: -4
    CalibrationStats s = Calibrator.collect(graph(), batches, 1, ProgressListener.NONE);
    assertEquals(3, s.images());
    assertEquals(new ValueRange(3, false), s.range("x"));
    assertEquals(new ValueRange(5, false), s.range("z"));
    assertEquals(new ValueRange(5, true), s.range("y"));
    assertFalse(s.has("w"), "initializers are not activations");
  }

  @Test
  void theHashNamesTheCalibrationSet() {
    Tensor a = Tensor.ofFloats(new int[] {1, 2}, new float[] {1, 2});
    Tensor b = Tensor.ofFloats(new int[] {1, 2}, new float[] {1, 2.0000002f});
    String ha = Calibrator.collect(graph(), List.of(a), 1, ProgressListener.NONE).sha256();
    assertEquals(ha, Calibrator.collect(graph(), List.of(a), 1, ProgressListener.NONE).sha256());
    assertNotEquals(ha, Calibrator.collect(graph(), List.of(b), 1, ProgressListener.NONE)
        .sha256());
    assertEquals(64, ha.length());
  }

  @Test
  void reportsProgressPerBatch() {
    List<long[]> calls = new ArrayList<>();
    Tensor a = Tensor.ofFloats(new int[] {3, 2}, new float[6]);
    Calibrator.collect(graph(), List.of(a, a), 1, (done, total) -> calls.add(
        new long[] {done, total}));
    assertEquals(2, calls.size());
    assertEquals(3, calls.get(0)[0]);
    assertEquals(6, calls.get(1)[0]);
    assertEquals(6, calls.get(1)[1]);
  }

  @Test
  void testImagesAreRefused() {
    Graph lenet = OnnxImporter.read(java.nio.file.Path.of("../models/lenet5.onnx"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Calibrator.collect(lenet, FashionMnist.bundledSample().test(8),
            new ImagePreprocessing(1, 28, 28, new float[] {0.286f}, new float[] {0.353f}), 1,
            ProgressListener.NONE));
    assertTrue(e.getMessage().contains("must come from the training split"), e.getMessage());
  }
}
