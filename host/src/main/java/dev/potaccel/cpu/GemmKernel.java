package dev.potaccel.cpu;

import dev.potaccel.cpu.kernels.Gemm;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * Gemm: Y = alpha * A' * B' + beta * C, where A' and B' are A and B transposed when transA/transB
 * say so and the optional C broadcasts to [M, N] (scalar, row, column or full matrix).
 */
final class GemmKernel {
  private GemmKernel() {}

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    Tensor a = in[0];
    Tensor b = in[1];
    Tensor c = in.length > 2 ? in[2] : null;
    boolean transA = node.attributes().getInt("transA", 0) != 0;
    boolean transB = node.attributes().getInt("transB", 0) != 0;
    float alpha = node.attributes().getFloat("alpha", 1f);
    float beta = node.attributes().getFloat("beta", 1f);
    int[] outShape = OpKernel.outShape(node, outTypes, 0);
    int m = outShape[0];
    int n = outShape[1];
    int k = transA ? a.dim(0) : a.dim(1);
    float[] y = new float[m * n];
    boolean addC = c != null && beta != 0f;
    if (addC) {
      broadcastInto(c, outShape, y);
    }
    Gemm.sgemm(transA, transB, m, n, k, alpha, a.floats(), 0, b.floats(), 0, addC ? beta : 0f, y,
        0, pool);
    return new Tensor[] {Tensor.ofFloats(outShape, y)};
  }

  /** Writes {@code c} broadcast to {@code shape} into {@code y}, row by contiguous row. */
  static void broadcastInto(Tensor c, int[] shape, float[] y) {
    float[] src = c.floats();
    BroadcastLayout layout = BroadcastLayout.of(shape, c.shape(), c.shape());
    int len = layout.inner;
    layout.forRows(0, layout.rows, (o, co, unused) -> {
      if (layout.innerStrideA == 1) {
        System.arraycopy(src, co, y, o, len);
      } else {
        Arrays.fill(y, o, o + len, src[co]);
      }
    });
  }
}
