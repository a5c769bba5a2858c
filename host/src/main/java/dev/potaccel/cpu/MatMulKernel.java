package dev.potaccel.cpu;

import dev.potaccel.cpu.kernels.Gemm;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.ShapeInference;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * MatMul with numpy semantics: a 1-D A is a row [1, K] and a 1-D B a column [K, 1] (the added
 * axis is dropped from the result), leading axes are batch axes broadcast against each other.
 */
final class MatMulKernel {
  private MatMulKernel() {}

  /** Below this many multiply-adds per matrix, batches rather than matrices are split. */
  private static final long SMALL_PRODUCT = 1L << 15;

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    Tensor a = in[0];
    Tensor b = in[1];
    int[] outShape = OpKernel.outShape(node, outTypes, 0);
    int[] ad = a.rank() == 1 ? new int[] {1, a.dim(0)} : a.shape();
    int[] bd = b.rank() == 1 ? new int[] {b.dim(0), 1} : b.shape();
    int m = ad[ad.length - 2];
    int k = ad[ad.length - 1];
    int n = bd[bd.length - 1];
    float[] x = a.floats();
    float[] w = b.floats();
    float[] y = new float[Math.toIntExact(Tensor.elementCount(outShape))];
    int[] aBatch = Arrays.copyOf(ad, ad.length - 2);
    int[] bBatch = Arrays.copyOf(bd, bd.length - 2);
    if (bBatch.length == 0) {
      // B is one matrix: all of A's batches stack into one tall product
      int rows = OpKernel.product(aBatch, 0, aBatch.length) * m;
      Gemm.sgemm(false, false, rows, n, k, 1f, x, 0, w, 0, 0f, y, 0, pool);
      return new Tensor[] {Tensor.ofFloats(outShape, y)};
    }
    int batchRank = Math.max(aBatch.length, bBatch.length);
    int[] outBatch = Arrays.copyOf(outShape, batchRank);
    int batches = OpKernel.product(outBatch, 0, batchRank);
    int aSize = m * k;
    int bSize = k * n;
    int ySize = m * n;
    if ((long) m * n * k < SMALL_PRODUCT) {
      ParallelRange.run(pool, batches, ParallelRange.chunkFor((long) m * n * k, 1 << 15),
          (from, to) -> {
            for (int i = from; i < to; i++) {
              Gemm.sgemm(false, false, m, n, k, 1f, x,
                  ShapeInference.broadcastIndex(i, outBatch, aBatch) * aSize, w,
                  ShapeInference.broadcastIndex(i, outBatch, bBatch) * bSize, 0f, y, i * ySize,
                  null);
            }
          });
    } else {
      for (int i = 0; i < batches; i++) {
        Gemm.sgemm(false, false, m, n, k, 1f, x,
            ShapeInference.broadcastIndex(i, outBatch, aBatch) * aSize, w,
            ShapeInference.broadcastIndex(i, outBatch, bBatch) * bSize, 0f, y, i * ySize, pool);
      }
    }
    return new Tensor[] {Tensor.ofFloats(outShape, y)};
  }
}
