package dev.potaccel.cpu;

import dev.potaccel.graph.Node;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/** Shape: the input's dimensions [start, end) as a 1-D INT64 tensor; out-of-range ends clamp. */
final class ShapeKernel {
  private ShapeKernel() {}

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    int[] dims = in[0].shape();
    int r = dims.length;
    int start = clamp(node.attributes().getInt("start", 0), r);
    int end = clamp(node.attributes().getInt("end", r), r);
    long[] v = new long[Math.max(0, end - start)];
    for (int i = 0; i < v.length; i++) {
      v[i] = dims[start + i];
    }
    return new Tensor[] {Tensor.ofInt64(v)};
  }

  private static int clamp(long axis, int rank) {
    return (int) Math.max(0, Math.min(rank, axis < 0 ? axis + rank : axis));
  }
}
