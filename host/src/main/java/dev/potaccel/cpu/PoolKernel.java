package dev.potaccel.cpu;

import dev.potaccel.cpu.kernels.Pool2d;
import dev.potaccel.cpu.kernels.Pool2dParams;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.WindowGeometry;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * MaxPool and AveragePool on NCW (1-D, run as 2-D with height 1) and NCHW inputs, with the window
 * geometry {@link WindowGeometry} resolves (pads, auto_pad, strides, dilations, ceil_mode);
 * AveragePool's count_include_pad defaults to 0; MaxPool also takes INT8/UINT8 (opset 12 on).
 * GlobalAveragePool averages all axes after the channel axis, for any rank from 3.
 */
final class PoolKernel {
  private PoolKernel() {}

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    Tensor x = in[0];
    if (!x.dtype().isFloat()) {
      return new Tensor[] {maxPoolBytes(node, x, outTypes, pool)};
    }
    int[] outShape = OpKernel.outShape(node, outTypes, 0);
    float[] y = new float[Math.toIntExact(Tensor.elementCount(outShape))];
    if (y.length == 0 || x.size() == 0) {
      return new Tensor[] {Tensor.ofFloats(outShape, y)};
    }
    if (node.op() == OpType.GLOBAL_AVERAGE_POOL) {
      Pool2d.globalAveragePool(x.dim(0), x.dim(1), OpKernel.product(x.shape(), 2, x.rank()),
          x.floats(), y);
      return new Tensor[] {Tensor.ofFloats(outShape, y)};
    }
    Pool2dParams p = params(node, x.shape());
    if (p.outputSize() != y.length) {
      throw new IllegalStateException(node.label() + ": pooling geometry " + p
          + " disagrees with the inferred output " + Arrays.toString(outShape));
    }
    if (node.op() == OpType.MAX_POOL) {
      Pool2d.maxPool(p, x.floats(), y, pool);
    } else {
      boolean includePad = node.attributes().getInt("count_include_pad", 0) != 0;
      Pool2d.averagePool(p, includePad, x.floats(), y, pool);
    }
    return new Tensor[] {Tensor.ofFloats(outShape, y)};
  }

  /** The pooling geometry of a MaxPool or AveragePool node on an input of rank 3 or 4. */
  static Pool2dParams params(Node node, int[] xShape) {
    int r = xShape.length;
    boolean ceil = node.attributes().getInt("ceil_mode", 0) != 0;
    WindowGeometry g = WindowGeometry.resolve(node, Arrays.copyOfRange(xShape, 2, r), null,
        ceil);
    return r == 3
        ? new Pool2dParams(xShape[0], xShape[1], 1, xShape[2], 1, g.kernel()[0], 1,
            g.strides()[0], 0, g.padsBegin()[0], 0, g.padsEnd()[0], 1, g.dilations()[0], ceil)
        : new Pool2dParams(xShape[0], xShape[1], xShape[2], xShape[3], g.kernel()[0],
            g.kernel()[1], g.strides()[0], g.strides()[1], g.padsBegin()[0], g.padsBegin()[1],
            g.padsEnd()[0], g.padsEnd()[1], g.dilations()[0], g.dilations()[1], ceil);
  }

  /**
   * MaxPool on INT8/UINT8 (opset 12 on): every 8-bit value is exact in float and max only
   * selects, so the float kernel gives the exact result.
   */
  private static Tensor maxPoolBytes(Node node, Tensor x, List<TensorType> outTypes,
      ForkJoinPool pool) {
    long[] src = x.longs();
    float[] asFloats = new float[src.length];
    for (int i = 0; i < src.length; i++) {
      asFloats[i] = src[i];
    }
    Tensor pooled = run(node, new Tensor[] {Tensor.ofFloats(x.shape(), asFloats)},
        List.of(outTypes.get(0).withDtype(DataType.FLOAT)), pool)[0];
    float[] y = pooled.floats();
    long[] out = new long[y.length];
    for (int i = 0; i < y.length; i++) {
      out[i] = (long) y[i];
    }
    return Tensor.ofLongs(x.dtype(), pooled.shape(), out);
  }
}
