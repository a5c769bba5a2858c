package dev.potaccel.cpu;

import dev.potaccel.graph.Node;
import dev.potaccel.graph.ShapeInference;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/** Concat along {@code axis}, any element type: one block copy per input per outer index. */
final class ConcatKernel {
  private ConcatKernel() {}

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    int[] outShape = OpKernel.outShape(node, outTypes, 0);
    int r = outShape.length;
    int axis = ShapeInference.normalizeAxis(node, node.attributes().getInt("axis", 0), r);
    int outer = OpKernel.product(outShape, 0, axis);
    int inner = OpKernel.product(outShape, axis + 1, r);
    int outBlock = outShape[axis] * inner;
    Object dst = ElementArrays.allocate(in[0].dtype(), outer * outBlock);
    int offset = 0;
    for (Tensor t : in) {
      Object src = ElementArrays.of(t);
      int block = t.dim(axis) * inner;
      for (int o = 0; o < outer; o++) {
        System.arraycopy(src, o * block, dst, o * outBlock + offset, block);
      }
      offset += block;
    }
    return new Tensor[] {ElementArrays.tensor(in[0].dtype(), outShape, dst)};
  }
}
