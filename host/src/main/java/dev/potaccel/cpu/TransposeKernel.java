package dev.potaccel.cpu;

import dev.potaccel.graph.Node;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * Transpose by {@code perm} (default: reverse the axes), any element type. Walks the output in
 * order, one row of its last axis at a time, reading the input with that axis' stride.
 */
final class TransposeKernel {
  private TransposeKernel() {}

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    Tensor x = in[0];
    int[] outShape = OpKernel.outShape(node, outTypes, 0);
    int r = x.rank();
    long[] perm = node.attributes().getInts("perm", null);
    int[] inStride = new int[r];
    for (int d = r - 1, s = 1; d >= 0; d--) {
      inStride[d] = s;
      s *= x.dim(d);
    }
    // readStride[i]: how far the input pointer moves per step along output axis i
    int[] readStride = new int[r];
    for (int i = 0; i < r; i++) {
      readStride[i] = inStride[perm == null ? r - 1 - i : (int) perm[i]];
    }
    Object src = ElementArrays.of(x);
    Object dst = ElementArrays.allocate(x.dtype(), x.size());
    if (r == 0 || x.size() == 0) {
      System.arraycopy(src, 0, dst, 0, x.size());
      return new Tensor[] {ElementArrays.tensor(x.dtype(), outShape, dst)};
    }
    int rowLength = outShape[r - 1];
    int rowStride = readStride[r - 1];
    int rows = x.size() / rowLength;
    boolean floats = x.dtype().isFloat();
    ParallelRange.run(pool, rows, ParallelRange.chunkFor(rowLength, 1 << 15), (from, to) -> {
      int[] coord = new int[r - 1];
      int read = 0;
      int rest = from;
      for (int d = r - 2; d >= 0; d--) {
        coord[d] = rest % outShape[d];
        rest /= outShape[d];
        read += coord[d] * readStride[d];
      }
      for (int row = from; row < to; row++) {
        int write = row * rowLength;
        if (floats) {
          float[] s = (float[]) src;
          float[] t = (float[]) dst;
          for (int k = 0; k < rowLength; k++) {
            t[write + k] = s[read + k * rowStride];
          }
        } else {
          long[] s = (long[]) src;
          long[] t = (long[]) dst;
          for (int k = 0; k < rowLength; k++) {
            t[write + k] = s[read + k * rowStride];
          }
        }
        for (int d = r - 2; d >= 0; d--) {
          read += readStride[d];
          if (++coord[d] < outShape[d]) {
            break;
          }
          read -= readStride[d] * outShape[d];
          coord[d] = 0;
        }
      }
    });
    return new Tensor[] {ElementArrays.tensor(x.dtype(), outShape, dst)};
  }
}
