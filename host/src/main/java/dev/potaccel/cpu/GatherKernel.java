package dev.potaccel.cpu;

import dev.potaccel.graph.GraphException;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.ShapeInference;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * Gather along {@code axis} (default 0), any data type, int32 or int64 indices; an index in
 * [-n, 0) counts from the end. Output shape: data[:axis] + indices.shape + data[axis+1:].
 */
final class GatherKernel {
  private GatherKernel() {}

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    Tensor data = in[0];
    long[] indices = in[1].longs();
    int[] outShape = OpKernel.outShape(node, outTypes, 0);
    int r = data.rank();
    int axis = ShapeInference.normalizeAxis(node, node.attributes().getInt("axis", 0), r);
    int n = data.dim(axis);
    int outer = OpKernel.product(data.shape(), 0, axis);
    int inner = OpKernel.product(data.shape(), axis + 1, r);
    int[] rows = new int[indices.length];
    for (int j = 0; j < indices.length; j++) {
      long k = indices[j];
      if (k < -n || k >= n) {
        throw new GraphException(node.label() + ": index " + k + " is out of range [" + -n + ", "
            + n + ") for axis " + axis + " of " + data);
      }
      rows[j] = (int) (k < 0 ? k + n : k);
    }
    Object src = ElementArrays.of(data);
    Object dst = ElementArrays.allocate(data.dtype(), outer * rows.length * inner);
    int write = 0;
    for (int o = 0; o < outer; o++) {
      int base = o * n * inner;
      for (int row : rows) {
        System.arraycopy(src, base + row * inner, dst, write, inner);
        write += inner;
      }
    }
    return new Tensor[] {ElementArrays.tensor(data.dtype(), outShape, dst)};
  }
}
