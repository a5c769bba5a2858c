package dev.potaccel.cpu;

import static dev.potaccel.cpu.TestGraphs.assertTensor;
import static dev.potaccel.cpu.TestGraphs.floatAttr;
import static dev.potaccel.cpu.TestGraphs.floats;
import static dev.potaccel.cpu.TestGraphs.intAttr;
import static dev.potaccel.cpu.TestGraphs.ints;
import static dev.potaccel.cpu.TestGraphs.longs;
import static dev.potaccel.cpu.TestGraphs.node;
import static dev.potaccel.cpu.TestGraphs.op;
import static dev.potaccel.cpu.TestGraphs.ramp;
import static dev.potaccel.cpu.TestGraphs.runNode;
import static dev.potaccel.cpu.TestGraphs.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.graph.Attribute;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.GraphException;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Operators that move, select or relabel elements, against the ONNX operator docs. */
class TensorOpsTest {

  private static final Tensor PAD_DATA = floats(shape(3, 2), 1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f);

  @Test
  void padConstantReflectEdgeFromTheSpec() {
    Tensor pads = Tensor.ofInt64(0, 2, 0, 0);
    assertTensor(shape(3, 4), new float[] {0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f},
        runNode(op(OpType.PAD, 11, 2), PAD_DATA, pads)[0]);
    assertTensor(shape(3, 4),
        new float[] {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f},
        runNode(op(OpType.PAD, 11, 2, Attribute.ofString("mode", "reflect")), PAD_DATA,
            pads)[0]);
    assertTensor(shape(3, 4),
        new float[] {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f},
        runNode(op(OpType.PAD, 11, 2, Attribute.ofString("mode", "edge")), PAD_DATA, pads)[0]);
  }

  @Test
  void padConstantValueInputAndAttributeForm() {
    assertTensor(shape(1, 4), new float[] {9, 1, 2, 9},
        runNode(op(OpType.PAD, 13, 3), floats(shape(1, 2), 1, 2), Tensor.ofInt64(0, 1, 0, 1),
            Tensor.scalar(9))[0]);
    // opset 2: pads and value are attributes
    assertTensor(shape(1, 4), new float[] {7, 1, 2, 7},
        runNode(op(OpType.PAD, 2, 1, ints("pads", 0, 1, 0, 1), floatAttr("value", 7)),
            floats(shape(1, 2), 1, 2))[0]);
    // integer data
    TestGraphs.assertTensor(DataType.INT64, shape(4), new long[] {0, 5, 6, 0},
        runNode(op(OpType.PAD, 13, 2), Tensor.ofInt64(5, 6), Tensor.ofInt64(1, 1))[0]);
  }

  @Test
  void negativePadsCropBeforeReflecting() {
    // crop [1,2,3,4,5] to [2,3,4,5], then reflect two at the end
    assertTensor(shape(6), new float[] {2, 3, 4, 5, 4, 3},
        runNode(op(OpType.PAD, 13, 2, Attribute.ofString("mode", "reflect")),
            floats(shape(5), 1, 2, 3, 4, 5), Tensor.ofInt64(-1, 2))[0]);
    assertTensor(shape(2), new float[] {2, 3},
        runNode(op(OpType.PAD, 13, 2), floats(shape(5), 1, 2, 3, 4, 5),
            Tensor.ofInt64(-1, -2))[0]);
  }

  @Test
  void gatherFromTheSpec() {
    Tensor data = floats(shape(3, 2), 1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f);
    assertTensor(shape(2, 2, 2), new float[] {1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f},
        runNode(op(OpType.GATHER, 13, 2), data,
            longs(DataType.INT64, shape(2, 2), 0, 1, 1, 2))[0]);
    Tensor wide = floats(shape(3, 3), 1.0f, 1.2f, 1.9f, 2.3f, 3.4f, 3.9f, 4.5f, 5.7f, 5.9f);
    assertTensor(shape(3, 1, 2), new float[] {1.0f, 1.9f, 2.3f, 3.9f, 4.5f, 5.9f},
        runNode(op(OpType.GATHER, 13, 2, intAttr("axis", 1)), wide,
            longs(DataType.INT32, shape(1, 2), 0, 2))[0]);
  }

  @Test
  void gatherNegativeIndexAndScalarIndex() {
    Tensor data = floats(shape(3, 2), 1, 2, 3, 4, 5, 6);
    assertTensor(shape(2, 2), new float[] {5, 6, 1, 2},
        runNode(op(OpType.GATHER, 13, 2), data, Tensor.ofInt64(-1, -3))[0]);
    assertTensor(shape(3), new float[] {2, 4, 6}, runNode(op(OpType.GATHER, 13, 2,
        intAttr("axis", -1)), data, longs(DataType.INT64, shape(), -1))[0]);
    GraphException e = assertThrows(GraphException.class,
        () -> runNode(op(OpType.GATHER, 13, 2), data, Tensor.ofInt64(3)));
    assertTrue(e.getMessage().contains("node 'Gather' (Gather): index 3 is out of range [-3, 3)"),
        e.getMessage());
  }

  @Test
  void transposeDefaultAndPermutation() {
    assertTensor(shape(3, 2), new float[] {1, 4, 2, 5, 3, 6},
        runNode(op(OpType.TRANSPOSE, 13, 1), floats(shape(2, 3), 1, 2, 3, 4, 5, 6))[0]);
    // perm [2,0,1] on a [2,3,4] ramp: y[i][j][k] = x[j][k][i] = 12j + 4k + i
    float[] expected = new float[24];
    for (int i = 0, n = 0; i < 4; i++) {
      for (int j = 0; j < 2; j++) {
        for (int k = 0; k < 3; k++) {
          expected[n++] = 12 * j + 4 * k + i;
        }
      }
    }
    assertTensor(shape(4, 2, 3), expected, runNode(op(OpType.TRANSPOSE, 13, 1,
        ints("perm", 2, 0, 1)), floats(shape(2, 3, 4), ramp(24, 0)))[0]);
    TestGraphs.assertTensor(DataType.INT64, shape(2, 1), new long[] {7, 8},
        runNode(op(OpType.TRANSPOSE, 13, 1), longs(DataType.INT64, shape(1, 2), 7, 8))[0]);
  }

  @Test
  void concatAnyTypeAndNegativeAxis() {
    assertTensor(shape(2, 3), new float[] {1, 10, 11, 2, 20, 21},
        runNode(op(OpType.CONCAT, 13, 2, intAttr("axis", -1)), floats(shape(2, 1), 1, 2),
            floats(shape(2, 2), 10, 11, 20, 21))[0]);
    TestGraphs.assertTensor(DataType.INT64, shape(3), new long[] {1, 2, 3},
        runNode(op(OpType.CONCAT, 13, 2, intAttr("axis", 0)), Tensor.ofInt64(1),
            Tensor.ofInt64(2, 3))[0]);
  }

  @Test
  void flattenReshapeShareData() {
    Tensor x = floats(shape(2, 3, 4), ramp(24, 0));
    assertEquals(List.of(1, 24), dims(runNode(op(OpType.FLATTEN, 13, 1, intAttr("axis", 0)),
        x)[0]));
    assertEquals(List.of(6, 4), dims(runNode(op(OpType.FLATTEN, 13, 1, intAttr("axis", -1)),
        x)[0]));
    Tensor flat = runNode(op(OpType.FLATTEN, 13, 1), x)[0];
    assertTensor(shape(2, 12), x.floats(), flat);
    assertEquals(List.of(2, 12), dims(runNode(op(OpType.RESHAPE, 13, 2), x,
        Tensor.ofInt64(0, -1))[0]));
    assertEquals(List.of(4, 3, 2), dims(runNode(op(OpType.RESHAPE, 5, 2), x,
        Tensor.ofInt64(4, -1, 2))[0]));
  }

  @Test
  void squeezeAndUnsqueezeByOpset() {
    Tensor x = floats(shape(1, 3, 1), 1, 2, 3);
    assertEquals(List.of(3, 1), dims(runNode(op(OpType.SQUEEZE, 11, 1, ints("axes", 0)),
        x)[0]));
    assertEquals(List.of(1, 3), dims(runNode(op(OpType.SQUEEZE, 13, 2), x,
        Tensor.ofInt64(-1))[0]));
    assertEquals(List.of(3), dims(runNode(op(OpType.SQUEEZE, 13, 1), x)[0]));
    Tensor y = floats(shape(3, 4), ramp(12, 0));
    assertEquals(List.of(1, 3, 4, 1), dims(runNode(op(OpType.UNSQUEEZE, 11, 1,
        ints("axes", 0, 3)), y)[0]));
    assertEquals(List.of(3, 4, 1), dims(runNode(op(OpType.UNSQUEEZE, 13, 2), y,
        Tensor.ofInt64(-1))[0]));
  }

  @Test
  void shapeWithStartAndEnd() {
    Tensor x = Tensor.zeros(DataType.FLOAT, shape(2, 3, 4, 5));
    TestGraphs.assertTensor(DataType.INT64, shape(4), new long[] {2, 3, 4, 5},
        runNode(op(OpType.SHAPE, 13, 1), x)[0]);
    TestGraphs.assertTensor(DataType.INT64, shape(2), new long[] {4, 5},
        runNode(op(OpType.SHAPE, 15, 1, intAttr("start", -2)), x)[0]);
    TestGraphs.assertTensor(DataType.INT64, shape(2), new long[] {3, 4},
        runNode(op(OpType.SHAPE, 15, 1, intAttr("start", 1), intAttr("end", -1)), x)[0]);
    TestGraphs.assertTensor(DataType.INT64, shape(4), new long[] {2, 3, 4, 5},
        runNode(op(OpType.SHAPE, 15, 1, intAttr("start", -10), intAttr("end", 10)), x)[0]);
  }

  @Test
  void castTruncatesTowardZero() {
    Tensor x = floats(shape(4), -1.7f, 1.7f, 2.5f, 0f);
    TestGraphs.assertTensor(DataType.INT32, shape(4), new long[] {-1, 1, 2, 0},
        runNode(op(OpType.CAST, 13, 1, intAttr("to", DataType.INT32.onnxCode())), x)[0]);
    TestGraphs.assertTensor(DataType.BOOL, shape(4), new long[] {1, 1, 1, 0},
        runNode(op(OpType.CAST, 13, 1, intAttr("to", DataType.BOOL.onnxCode())), x)[0]);
    assertTensor(shape(2), new float[] {-3, 300}, runNode(op(OpType.CAST, 13, 1,
        intAttr("to", DataType.FLOAT.onnxCode())), Tensor.ofInt64(-3, 300))[0]);
    TestGraphs.assertTensor(DataType.UINT8, shape(2), new long[] {253, 44},
        runNode(op(OpType.CAST, 13, 1, intAttr("to", DataType.UINT8.onnxCode())),
            Tensor.ofInt64(-3, 300))[0]);
  }

  @Test
  void dropoutPassesThroughWithAllTrueMask() {
    Tensor x = floats(shape(2), 3, 4);
    Tensor[] out = runNode(node("drop", OpType.DROPOUT, 12, List.of("x"), List.of("y", "mask")),
        x);
    assertTensor(shape(2), new float[] {3, 4}, out[0]);
    TestGraphs.assertTensor(DataType.BOOL, shape(2), new long[] {1, 1}, out[1]);
    Tensor[] old = runNode(node("drop", OpType.DROPOUT, 7, List.of("x"), List.of("y", "mask")),
        x);
    assertTensor(shape(2), new float[] {1, 1}, old[1]);
    assertEquals(1, runNode(op(OpType.DROPOUT, 13, 1), x).length);
  }

  @Test
  void constantAndIdentity() {
    assertTensor(shape(2), new float[] {1.5f, 2.5f}, runNode(node("c", OpType.CONSTANT, 13,
        List.of(), List.of("y"), Attribute.ofFloats("value_floats", new float[] {1.5f, 2.5f}))
    )[0]);
    Tensor t = Tensor.ofInt64(4, 5);
    assertEquals(t, runNode(op(OpType.IDENTITY, 13, 1), t)[0]);
  }

  private static List<Integer> dims(Tensor t) {
    return Arrays.stream(t.shape()).boxed().toList();
  }
}
