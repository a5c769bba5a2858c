package dev.potaccel.cpu;

import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * Dropout at inference: the output is the input, and the optional mask keeps everything (BOOL
 * true from opset 10, before that ones of the input's type).
 */
final class DropoutKernel {
  private DropoutKernel() {}

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    Tensor x = in[0];
    if (outTypes.size() < 2 || outTypes.get(1) == null) {
      return new Tensor[] {x};
    }
    DataType maskType = outTypes.get(1).dtype();
    Tensor mask;
    if (maskType.isFloat()) {
      float[] ones = new float[x.size()];
      Arrays.fill(ones, 1f);
      mask = Tensor.ofFloats(x.shape(), ones);
    } else {
      long[] ones = new long[x.size()];
      Arrays.fill(ones, 1L);
      mask = Tensor.ofLongs(maskType, x.shape(), ones);
    }
    return new Tensor[] {x, mask};
  }
}
