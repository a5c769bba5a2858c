package dev.potaccel.cpu;

import static dev.potaccel.cpu.TestGraphs.assertTensor;
import static dev.potaccel.cpu.TestGraphs.floatAttr;
import static dev.potaccel.cpu.TestGraphs.floats;
import static dev.potaccel.cpu.TestGraphs.intAttr;
import static dev.potaccel.cpu.TestGraphs.longs;
import static dev.potaccel.cpu.TestGraphs.op;
import static dev.potaccel.cpu.TestGraphs.runNode;
import static dev.potaccel.cpu.TestGraphs.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.potaccel.graph.DataType;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import org.junit.jupiter.api.Test;

/** Add/Sub/Mul/Div broadcasting, activations and Softmax against the ONNX operator docs. */
class ElementwiseOpsTest {

  @Test
  void addBroadcastsRowAndScalar() {
    Tensor a = floats(shape(2, 3), 1, 2, 3, 4, 5, 6);
    assertTensor(shape(2, 3), new float[] {11, 22, 33, 14, 25, 36},
        runNode(op(OpType.ADD, 14, 2), a, floats(shape(3), 10, 20, 30))[0]);
    assertTensor(shape(2, 3), new float[] {0.5f, 1, 1.5f, 2, 2.5f, 3},
        runNode(op(OpType.DIV, 14, 2), a, Tensor.scalar(2))[0]);
    assertTensor(shape(2, 3), new float[] {-1, -2, -3, -4, -5, -6},
        runNode(op(OpType.SUB, 14, 2), Tensor.scalar(0), a)[0]);
  }

  @Test
  void mulBroadcastsBothWays() {
    // [2,1] x [1,3] -> [2,3] outer product; [2,1,3] - [1,2,1] -> [2,2,3]
    assertTensor(shape(2, 3), new float[] {1, 2, 3, 2, 4, 6},
        runNode(op(OpType.MUL, 14, 2), floats(shape(2, 1), 1, 2),
            floats(shape(1, 3), 1, 2, 3))[0]);
    assertTensor(shape(2, 2, 3), new float[] {0, 1, 2, -10, -9, -8, 3, 4, 5, -7, -6, -5},
        runNode(op(OpType.SUB, 14, 2), floats(shape(2, 1, 3), 0, 1, 2, 3, 4, 5),
            floats(shape(1, 2, 1), 0, 10))[0]);
  }

  @Test
  void perChannelBiasOnNchw() {
    float[] x = TestGraphs.ramp(8, 0);
    assertTensor(shape(1, 2, 2, 2), new float[] {100, 101, 102, 103, 204, 205, 206, 207},
        runNode(op(OpType.ADD, 14, 2), floats(shape(1, 2, 2, 2), x),
            floats(shape(2, 1, 1), 100, 200))[0]);
  }

  @Test
  void integerArithmeticTruncatesAndWraps() {
    Tensor a = longs(DataType.INT64, shape(4), -7, 7, -7, 7);
    Tensor b = longs(DataType.INT64, shape(4), 2, -2, -2, 2);
    TestGraphs.assertTensor(DataType.INT64, shape(4), new long[] {-3, -3, 3, 3},
        runNode(op(OpType.DIV, 14, 2), a, b)[0]);
    TestGraphs.assertTensor(DataType.INT32, shape(2), new long[] {Integer.MIN_VALUE, 4},
        runNode(op(OpType.ADD, 14, 2), longs(DataType.INT32, shape(2), Integer.MAX_VALUE, 3),
            longs(DataType.INT32, shape(1), 1))[0]);
    TestGraphs.assertTensor(DataType.UINT8, shape(1), new long[] {254},
        runNode(op(OpType.SUB, 14, 2), longs(DataType.UINT8, shape(1), 1),
            longs(DataType.UINT8, shape(1), 3))[0]);
  }

  @Test
  void reluLeakyReluSigmoid() {
    Tensor x = floats(shape(5), -1000, -1, 0, 1, 1000);
    assertTensor(shape(5), new float[] {0, 0, 0, 1, 1000}, runNode(op(OpType.RELU, 14, 1), x)[0]);
    assertTensor(shape(5), new float[] {-10, -0.01f, 0, 1, 1000},
        runNode(op(OpType.LEAKY_RELU, 6, 1), x)[0]);
    assertTensor(shape(5), new float[] {-100, -0.1f, 0, 1, 1000},
        runNode(op(OpType.LEAKY_RELU, 6, 1, floatAttr("alpha", 0.1f)), x)[0]);
    // no NaN at the extremes: exp is only taken of non-positive arguments
    assertTensor(shape(5), new float[] {0, 0.26894142f, 0.5f, 0.7310586f, 1},
        runNode(op(OpType.SIGMOID, 13, 1), x)[0]);
  }

  @Test
  void clipWithAttributesBeforeOpset11() {
    Tensor x = floats(shape(3), -2, 0, 2);
    assertTensor(shape(3), new float[] {-1, 0, 1}, runNode(op(OpType.CLIP, 6, 1,
        floatAttr("min", -1), floatAttr("max", 1)), x)[0]);
    assertTensor(shape(3), new float[] {-2, 0, 1}, runNode(op(OpType.CLIP, 6, 1,
        floatAttr("max", 1)), x)[0]);
  }

  @Test
  void clipWithOptionalInputsFromOpset11() {
    Tensor x = floats(shape(4), -2, 3, 7, Float.NaN);
    // ReLU6
    assertTensor(shape(4), new float[] {0, 3, 6, Float.NaN},
        runNode(op(OpType.CLIP, 13, 3), x, Tensor.scalar(0), Tensor.scalar(6))[0]);
    // min omitted, max given (empty input name in between)
    assertTensor(shape(4), new float[] {-2, 3, 5, Float.NaN},
        runNode(op(OpType.CLIP, 13, 3), x, null, Tensor.scalar(5))[0]);
    // neither: identity
    assertTensor(shape(4), new float[] {-2, 3, 7, Float.NaN},
        runNode(op(OpType.CLIP, 11, 1), x)[0]);
  }

  @Test
  void clipOnIntegersFromOpset12() {
    TestGraphs.assertTensor(DataType.INT8, shape(4), new long[] {-5, -5, 3, 5},
        runNode(op(OpType.CLIP, 12, 3), longs(DataType.INT8, shape(4), -128, -6, 3, 127),
            longs(DataType.INT8, shape(), -5), longs(DataType.INT8, shape(), 5))[0]);
  }

  /** The 2-D coercion before opset 13 normalizes over all trailing axes, 13 over one axis. */
  @Test
  void softmaxSemanticsChangeAtOpset13() {
    Tensor x = floats(shape(1, 2, 2), 1, 2, 3, 4);
    // opset 11, axis 1: one row [1, 2, 3, 4]
    assertTensor(shape(1, 2, 2), new float[] {0.0320586f, 0.0871443f, 0.2368828f, 0.6439142f},
        runNode(op(OpType.SOFTMAX, 11, 1), x)[0]);
    // opset 13, axis -1: pairs [1, 2] and [3, 4]
    assertTensor(shape(1, 2, 2), new float[] {0.26894142f, 0.7310586f, 0.26894142f, 0.7310586f},
        runNode(op(OpType.SOFTMAX, 13, 1), x)[0]);
    // opset 13, axis 1: columns [1, 3] and [2, 4]
    assertTensor(shape(1, 2, 2), new float[] {0.11920292f, 0.11920292f, 0.880797f, 0.880797f},
        runNode(op(OpType.SOFTMAX, 13, 1, intAttr("axis", 1)), x)[0]);
  }

  @Test
  void softmaxIsStableForLargeInputs() {
    Tensor y = runNode(op(OpType.SOFTMAX, 13, 1), floats(shape(3), 1000, 1000, -1000))[0];
    assertTensor(shape(3), new float[] {0.5f, 0.5f, 0}, y);
    assertEquals(1f, y.floats()[0] + y.floats()[1] + y.floats()[2], 1e-6f);
  }
}
