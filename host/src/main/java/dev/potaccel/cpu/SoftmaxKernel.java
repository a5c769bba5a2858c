package dev.potaccel.cpu;

import dev.potaccel.graph.Node;
import dev.potaccel.graph.ShapeInference;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * Softmax, whose meaning changed at opset 13. Before 13 the input is coerced to 2-D at {@code axis}
 * (default 1) and each row, the flattened trailing part, is normalized as one. From 13 on only the
 * single axis (default -1) is normalized. The maximum is subtracted first so exp cannot overflow.
 */
final class SoftmaxKernel {
  private SoftmaxKernel() {}

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    Tensor x = in[0];
    int[] dims = x.shape();
    int r = dims.length;
    float[] src = x.floats();
    float[] dst = new float[src.length];
    boolean singleAxis = node.opset() >= 13;
    int axis = ShapeInference.normalizeAxis(node,
        node.attributes().getInt("axis", singleAxis ? -1 : 1), r);
    int outer = OpKernel.product(dims, 0, axis);
    int length = singleAxis ? dims[axis] : OpKernel.product(dims, axis, r);
    int inner = singleAxis ? OpKernel.product(dims, axis + 1, r) : 1;
    // one lane = one vector being normalized: `length` elements `inner` apart
    int lanes = outer * inner;
    ParallelRange.run(pool, lanes, ParallelRange.chunkFor(length, 1 << 14), (from, to) -> {
      for (int lane = from; lane < to; lane++) {
        int start = (lane / inner) * length * inner + lane % inner;
        normalize(src, dst, start, length, inner);
      }
    });
    return new Tensor[] {Tensor.ofFloats(dims, dst)};
  }

  private static void normalize(float[] src, float[] dst, int start, int length, int stride) {
    int end = start + length * stride;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = start; i < end; i += stride) {
      max = Math.max(max, src[i]);
    }
    double sum = 0;
    for (int i = start; i < end; i += stride) {
      float e = (float) Math.exp(src[i] - max);
      dst[i] = e;
      sum += e;
    }
    float scale = (float) (1.0 / sum);
    for (int i = start; i < end; i += stride) {
      dst[i] *= scale;
    }
  }
}
