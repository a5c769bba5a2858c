package dev.potaccel.cpu;

import static dev.potaccel.cpu.TestGraphs.assertTensor;
import static dev.potaccel.cpu.TestGraphs.floatAttr;
import static dev.potaccel.cpu.TestGraphs.floats;
import static dev.potaccel.cpu.TestGraphs.intAttr;
import static dev.potaccel.cpu.TestGraphs.ints;
import static dev.potaccel.cpu.TestGraphs.op;
import static dev.potaccel.cpu.TestGraphs.ramp;
import static dev.potaccel.cpu.TestGraphs.runNode;
import static dev.potaccel.cpu.TestGraphs.shape;

import dev.potaccel.graph.Attribute;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Conv, Gemm, MatMul, pooling and BatchNormalization against the ONNX operator docs. */
class LayerOpsTest {

  private static final Tensor ONES_3X3 = ones(1, 1, 3, 3);

  private static Tensor ones(int... shape) {
    float[] v = new float[(int) Tensor.elementCount(shape)];
    Arrays.fill(v, 1f);
    return floats(shape, v);
  }

  @Test
  void convFromTheSpec() {
    Tensor x = floats(shape(1, 1, 5, 5), ramp(25, 0));
    assertTensor(shape(1, 1, 5, 5), new float[] {
      12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81, 93, 144, 153, 162, 111,
      72, 111, 117, 123, 84},
        runNode(op(OpType.CONV, 11, 2, ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)),
            x, ONES_3X3)[0]);
    assertTensor(shape(1, 1, 3, 3), new float[] {54, 63, 72, 99, 108, 117, 144, 153, 162},
        runNode(op(OpType.CONV, 11, 2), x, ONES_3X3)[0]);
    // test_conv_with_strides_padding: 7x5 input, stride 2, pads 1
    assertTensor(shape(1, 1, 4, 3), new float[] {12, 27, 24, 63, 108, 81, 123, 198, 141, 112,
      177, 124},
        runNode(op(OpType.CONV, 11, 2, ints("strides", 2, 2), ints("pads", 1, 1, 1, 1)),
            floats(shape(1, 1, 7, 5), ramp(35, 0)), ONES_3X3)[0]);
    // auto_pad SAME_UPPER keeps 5x5 like pads 1
    assertTensor(shape(1, 1, 5, 5), runNode(op(OpType.CONV, 11, 2,
        ints("pads", 1, 1, 1, 1)), x, ONES_3X3)[0].floats(),
        runNode(op(OpType.CONV, 11, 2, Attribute.ofString("auto_pad", "SAME_UPPER")), x,
            ONES_3X3)[0]);
  }

  @Test
  void depthwiseConvWithBias() {
    // group 2, one 1x1 weight per channel: channel scaling plus bias
    Tensor x = floats(shape(1, 2, 1, 2), 1, 2, 3, 4);
    assertTensor(shape(1, 2, 1, 2), new float[] {3, 5, 8, 11},
        runNode(op(OpType.CONV, 11, 3, intAttr("group", 2)), x,
            floats(shape(2, 1, 1, 1), 2, 3), floats(shape(2), 1, -1))[0]);
  }

  @Test
  void groupedConvSumsOnlyItsGroup() {
    // 4 input channels, 2 groups, 2 output channels; each output sums its own 2 channels
    Tensor x = floats(shape(1, 4, 1, 1), 1, 10, 100, 1000);
    assertTensor(shape(1, 2, 1, 1), new float[] {11, 1100},
        runNode(op(OpType.CONV, 11, 2, intAttr("group", 2)), x, ones(2, 2, 1, 1))[0]);
  }

  @Test
  void conv1dWithDilation() {
    Tensor x = floats(shape(1, 1, 5), 1, 2, 3, 4, 5);
    assertTensor(shape(1, 1, 4), new float[] {-1, -1, -1, -1},
        runNode(op(OpType.CONV, 11, 2), x, floats(shape(1, 1, 2), 1, -1))[0]);
    assertTensor(shape(1, 1, 3), new float[] {4, 6, 8},
        runNode(op(OpType.CONV, 11, 2, ints("dilations", 2)), x, floats(shape(1, 1, 2), 1, 1))[0]);
  }

  @Test
  void gemmTransposesScalesAndBroadcastsC() {
    Tensor a = floats(shape(2, 3), 1, 2, 3, 4, 5, 6);
    Tensor b = floats(shape(3, 2), 1, 0, 0, 1, 1, 1);
    // A*B = [[4, 5], [10, 11]]
    assertTensor(shape(2, 2), new float[] {4, 5, 10, 11}, runNode(op(OpType.GEMM, 13, 2), a,
        b)[0]);
    assertTensor(shape(2, 2), new float[] {9, 12, 21, 24}, runNode(op(OpType.GEMM, 13, 3,
        floatAttr("alpha", 2), floatAttr("beta", 0.5f)), a, b, floats(shape(2), 2, 4))[0]);
    // column C [2,1] and scalar C
    assertTensor(shape(2, 2), new float[] {5, 6, 12, 13}, runNode(op(OpType.GEMM, 13, 3), a, b,
        floats(shape(2, 1), 1, 2))[0]);
    assertTensor(shape(2, 2), new float[] {5, 6, 11, 12}, runNode(op(OpType.GEMM, 13, 3), a, b,
        Tensor.scalar(1))[0]);
    // A' and B' from their transposes
    Tensor at = floats(shape(3, 2), 1, 4, 2, 5, 3, 6);
    Tensor bt = floats(shape(2, 3), 1, 0, 1, 0, 1, 1);
    assertTensor(shape(2, 2), new float[] {4, 5, 10, 11}, runNode(op(OpType.GEMM, 13, 2,
        intAttr("transA", 1), intAttr("transB", 1)), at, bt)[0]);
  }

  @Test
  void matMulPromotesVectorsAndBroadcastsBatches() {
    Tensor m = floats(shape(3, 2), 1, 2, 3, 4, 5, 6);
    assertTensor(shape(2), new float[] {22, 28},
        runNode(op(OpType.MAT_MUL, 13, 2), floats(shape(3), 1, 2, 3), m)[0]);
    assertTensor(shape(3), new float[] {5, 11, 17},
        runNode(op(OpType.MAT_MUL, 13, 2), m, floats(shape(2), 1, 2))[0]);
    assertTensor(shape(), new float[] {14},
        runNode(op(OpType.MAT_MUL, 13, 2), floats(shape(3), 1, 2, 3),
            floats(shape(3), 1, 2, 3))[0]);
    // [2,1,1,3] x [3,3,1]: batch [2,1] vs [3] broadcasts to [2,3]
    Tensor a = floats(shape(2, 1, 1, 3), 1, 1, 1, 2, 2, 2);
    Tensor b = floats(shape(3, 3, 1), 1, 1, 1, 1, 2, 3, 0, 0, 1);
    assertTensor(shape(2, 3, 1, 1), new float[] {3, 6, 1, 6, 12, 2},
        runNode(op(OpType.MAT_MUL, 13, 2), a, b)[0]);
    // batched A against one B folds into a single product
    assertTensor(shape(2, 1, 2), new float[] {22, 28, 49, 64},
        runNode(op(OpType.MAT_MUL, 13, 2), floats(shape(2, 1, 3), 1, 2, 3, 4, 5, 6), m)[0]);
  }

  @Test
  void maxPoolFromTheSpec() {
    Tensor x5 = floats(shape(1, 1, 5, 5), ramp(25, 1));
    assertTensor(shape(1, 1, 5, 5), new float[] {13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24,
      25, 25, 25, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25},
        runNode(op(OpType.MAX_POOL, 12, 1, ints("kernel_shape", 5, 5),
            ints("pads", 2, 2, 2, 2)), x5)[0]);
    Tensor x4 = floats(shape(1, 1, 4, 4), ramp(16, 1));
    assertTensor(shape(1, 1, 2, 2), new float[] {11, 12, 15, 16},
        runNode(op(OpType.MAX_POOL, 12, 1, ints("kernel_shape", 3, 3), ints("strides", 2, 2),
            intAttr("ceil_mode", 1)), x4)[0]);
    assertTensor(shape(1, 1, 2, 2), new float[] {11, 12, 15, 16},
        runNode(op(OpType.MAX_POOL, 12, 1, ints("kernel_shape", 2, 2),
            ints("dilations", 2, 2)), x4)[0]);
    assertTensor(shape(1, 1, 2), new float[] {2, 4},
        runNode(op(OpType.MAX_POOL, 12, 1, ints("kernel_shape", 2), ints("strides", 2)),
            floats(shape(1, 1, 4), 1, 2, 4, 3))[0]);
  }

  @Test
  void maxPoolOnBytesFromOpset12() {
    TestGraphs.assertTensor(DataType.UINT8, shape(1, 1, 1, 2), new long[] {255, 7},
        runNode(op(OpType.MAX_POOL, 12, 1, ints("kernel_shape", 1, 2), ints("strides", 1, 2)),
            TestGraphs.longs(DataType.UINT8, shape(1, 1, 1, 4), 255, 0, 7, 6))[0]);
  }

  @Test
  void averagePoolPadsAndCeil() {
    assertTensor(shape(1, 1, 5, 5), new float[] {7, 7.5f, 8, 8.5f, 9, 9.5f, 10, 10.5f, 11, 11.5f,
      12, 12.5f, 13, 13.5f, 14, 14.5f, 15, 15.5f, 16, 16.5f, 17, 17.5f, 18, 18.5f, 19},
        runNode(op(OpType.AVERAGE_POOL, 11, 1, ints("kernel_shape", 5, 5),
            ints("pads", 2, 2, 2, 2)), floats(shape(1, 1, 5, 5), ramp(25, 1)))[0]);
    assertTensor(shape(1, 1, 2, 2), new float[] {6, 7.5f, 12, 13.5f},
        runNode(op(OpType.AVERAGE_POOL, 11, 1, ints("kernel_shape", 3, 3),
            ints("strides", 2, 2), intAttr("ceil_mode", 1)),
            floats(shape(1, 1, 4, 4), ramp(16, 1)))[0]);
  }

  @Test
  void averagePoolCountIncludePad() {
    // 2x2 windows at stride 2 over a 2x2 input padded by 1: each window sees one real value
    Tensor x = floats(shape(1, 1, 2, 2), 1, 2, 3, 4);
    Attribute[] window = {ints("kernel_shape", 2, 2), ints("strides", 2, 2),
        ints("pads", 1, 1, 1, 1)};
    assertTensor(shape(1, 1, 2, 2), new float[] {1, 2, 3, 4},
        runNode(op(OpType.AVERAGE_POOL, 11, 1, window), x)[0]);
    Attribute[] included = Arrays.copyOf(window, 4);
    included[3] = intAttr("count_include_pad", 1);
    assertTensor(shape(1, 1, 2, 2), new float[] {0.25f, 0.5f, 0.75f, 1},
        runNode(op(OpType.AVERAGE_POOL, 11, 1, included), x)[0]);
  }

  @Test
  void globalAveragePoolAnyRank() {
    assertTensor(shape(1, 2, 1), new float[] {2, 5},
        runNode(op(OpType.GLOBAL_AVERAGE_POOL, 1, 1), floats(shape(1, 2, 3), 1, 2, 3, 4, 5, 6))[0]);
    assertTensor(shape(1, 1, 1, 1, 1), new float[] {4.5f},
        runNode(op(OpType.GLOBAL_AVERAGE_POOL, 1, 1),
            floats(shape(1, 1, 2, 2, 2), ramp(8, 1)))[0]);
  }

  @Test
  void batchNormFromTheSpec() {
    Tensor x = floats(shape(1, 2, 1, 3), -1, 0, 1, 2, 3, 4);
    Tensor[] params = {floats(shape(2), 1, 1.5f), floats(shape(2), 0, 1), floats(shape(2), 0, 3),
        floats(shape(2), 1, 1.5f)};
    assertTensor(shape(1, 2, 1, 3), new float[] {-0.999995f, 0, 0.999995f, -0.22474074f, 1,
      2.2247407f},
        runNode(op(OpType.BATCH_NORMALIZATION, 15, 5), x, params[0], params[1], params[2],
            params[3])[0]);
    // rank 2: [N, C]
    assertTensor(shape(2, 2), new float[] {-0.999995f, 1 - 1.5f * 3 / (float) Math.sqrt(1.50001),
      0.999995f, 1 - 1.5f / (float) Math.sqrt(1.50001)},
        runNode(op(OpType.BATCH_NORMALIZATION, 15, 5), floats(shape(2, 2), -1, 0, 1, 2),
            params[0], params[1], params[2], params[3])[0]);
  }
}
