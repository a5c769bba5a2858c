package dev.potaccel.cpu;

import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * Cast between FLOAT and the integer types. Float to integer truncates toward zero (NaN gives 0)
 * and then wraps to the target width like a C cast; to BOOL any non-zero value is true.
 */
final class CastKernel {
  private CastKernel() {}

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    Tensor x = in[0];
    DataType to = outTypes.get(0).dtype();
    int n = x.size();
    if (to == x.dtype()) {
      return new Tensor[] {x};
    }
    if (to.isFloat()) {
      long[] src = x.longs();
      float[] dst = new float[n];
      for (int i = 0; i < n; i++) {
        dst[i] = src[i];
      }
      return new Tensor[] {Tensor.ofFloats(x.shape(), dst)};
    }
    long[] dst = new long[n];
    if (x.dtype().isFloat()) {
      float[] src = x.floats();
      for (int i = 0; i < n; i++) {
        // (long) truncates toward zero; a fraction like 0.5 is still "non-zero" for BOOL
        dst[i] = to == DataType.BOOL ? (src[i] != 0 ? 1 : 0) : to.wrap((long) src[i]);
      }
    } else {
      long[] src = x.longs();
      for (int i = 0; i < n; i++) {
        dst[i] = to.wrap(src[i]);
      }
    }
    return new Tensor[] {Tensor.ofLongs(to, x.shape(), dst)};
  }
}
