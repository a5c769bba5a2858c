package dev.potaccel.cpu;

import dev.potaccel.cpu.kernels.BatchNorm;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * BatchNormalization at inference: y = scale * (x - mean) / sqrt(var + epsilon) + B per channel
 * (axis 1), epsilon default 1e-5, for any input rank from 2 ([N, C] has one value per plane).
 */
final class BatchNormKernel {
  private BatchNormKernel() {}

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    Tensor x = in[0];
    float[] y = new float[x.size()];
    if (y.length > 0) {
      float epsilon = node.attributes().getFloat("epsilon", 1e-5f);
      BatchNorm.batchNormInference(x.dim(0), x.dim(1), OpKernel.product(x.shape(), 2, x.rank()),
          x.floats(), in[1].floats(), in[2].floats(), in[3].floats(), in[4].floats(), epsilon, y);
    }
    return new Tensor[] {Tensor.ofFloats(x.shape(), y)};
  }
}
