package dev.potaccel.cpu;

import dev.potaccel.cpu.kernels.Conv2d;
import dev.potaccel.cpu.kernels.Conv2dParams;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.WindowGeometry;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * Conv on NCW (1-D, run as 2-D with height 1) and NCHW inputs: groups (depthwise included),
 * strides, dilations, explicit or auto pads as {@link WindowGeometry} resolves them, optional bias.
 */
final class ConvKernel {
  private ConvKernel() {}

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    return run(node, in, outTypes, pool, false);
  }

  /** Conv followed by Relu (the engine fuses the pair when nothing else reads the Conv). */
  static Tensor[] runWithRelu(Node node, Tensor[] in, List<TensorType> outTypes,
      ForkJoinPool pool) {
    return run(node, in, outTypes, pool, true);
  }

  /** The 2-D geometry of a Conv node on inputs of these shapes (NCW as height 1). */
  static Conv2dParams params(Node node, int[] x, int[] w) {
    int r = x.length;
    WindowGeometry g = WindowGeometry.resolve(node, Arrays.copyOfRange(x, 2, r),
        Arrays.copyOfRange(w, 2, r), false);
    int group = Math.toIntExact(node.attributes().getInt("group", 1));
    return r == 3
        ? new Conv2dParams(x[0], x[1], 1, x[2], w[0], 1, g.kernel()[0], 1, g.strides()[0], 0,
            g.padsBegin()[0], 0, g.padsEnd()[0], 1, g.dilations()[0], group)
        : new Conv2dParams(x[0], x[1], x[2], x[3], w[0], g.kernel()[0], g.kernel()[1],
            g.strides()[0], g.strides()[1], g.padsBegin()[0], g.padsBegin()[1], g.padsEnd()[0],
            g.padsEnd()[1], g.dilations()[0], g.dilations()[1], group);
  }

  private static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool,
      boolean relu) {
    Tensor x = in[0];
    Tensor w = in[1];
    Tensor bias = in.length > 2 ? in[2] : null;
    int[] outShape = OpKernel.outShape(node, outTypes, 0);
    int ny = Math.toIntExact(Tensor.elementCount(outShape));
    if (ny == 0 || x.size() == 0) {
      return new Tensor[] {Tensor.ofFloats(outShape, new float[ny])};
    }
    Conv2dParams p = params(node, x.shape(), w.shape());
    // the lane path writes every output: a recycled array will do
    float[] y = Conv2d.writesEveryOutput(p) ? RunBuffers.forOutput(ny) : new float[ny];
    Conv2d.conv2d(p, x.floats(), w.floats(), bias == null ? null : bias.floats(), y, pool, relu);
    return new Tensor[] {Tensor.ofFloats(outShape, y)};
  }
}
