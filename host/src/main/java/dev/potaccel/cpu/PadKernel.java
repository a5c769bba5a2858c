package dev.potaccel.cpu;

import dev.potaccel.graph.GraphException;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * Pad in constant, reflect and edge modes, any element type. Before opset 11 pads, mode and value
 * are attributes; from 11 pads is input 1 and the constant is the optional scalar input 2. A
 * negative pad crops first (as ONNX's reference does), then reflect and edge work on what is left.
 *
 * <p>Each axis gets a lookup table from output coordinate to input coordinate (-1 = the constant),
 * so the copy loop is the same for all three modes.
 */
final class PadKernel {
  private PadKernel() {}

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    Tensor x = in[0];
    int[] outShape = OpKernel.outShape(node, outTypes, 0);
    int r = x.rank();
    String mode = node.attributes().getString("mode", "constant");
    long[] pads = node.opset() < 11 ? node.attributes().getInts("pads", null) : in[1].longs();
    int[][] source = new int[r][];
    for (int d = 0; d < r; d++) {
      source[d] = axisMap(node, mode, x.dim(d), (int) pads[d], (int) pads[d + r], outShape[d]);
    }
    int[] inStride = new int[r];
    for (int d = r - 1, s = 1; d >= 0; d--) {
      inStride[d] = s;
      s *= x.dim(d);
    }
    int total = Math.toIntExact(Tensor.elementCount(outShape));
    if (x.dtype().isFloat()) {
      float value = node.opset() < 11 ? node.attributes().getFloat("value", 0f)
          : (float) constant(node, in);
      float[] src = x.floats();
      float[] dst = new float[total];
      if (value != 0f) {
        Arrays.fill(dst, value);
      }
      copy(outShape, source, inStride, (read, write) -> dst[write] = src[read]);
      return new Tensor[] {Tensor.ofFloats(outShape, dst)};
    }
    long value = node.opset() < 11 ? (long) node.attributes().getFloat("value", 0f)
        : (long) constant(node, in);
    long[] src = x.longs();
    long[] dst = new long[total];
    if (value != 0) {
      Arrays.fill(dst, value);
    }
    copy(outShape, source, inStride, (read, write) -> dst[write] = src[read]);
    return new Tensor[] {Tensor.ofLongs(x.dtype(), outShape, dst)};
  }

  private static double constant(Node node, Tensor[] in) {
    Tensor c = in.length > 2 ? in[2] : null;
    if (c == null || c.size() == 0) {
      return 0;
    }
    return c.getDouble(0);
  }

  /** Input coordinate for each output coordinate along one axis, -1 where the constant goes. */
  private static int[] axisMap(Node node, String mode, int n, int begin, int end, int outSize) {
    // crop negative pads first; the kept input range is [lo, hi)
    int lo = Math.max(0, -begin);
    int hi = n - Math.max(0, -end);
    int kept = hi - lo;
    int before = Math.max(0, begin);
    int[] map = new int[outSize];
    if (kept <= 0 && outSize > 0 && !mode.equals("constant")) {
      throw new GraphException(node.label() + ": cannot " + mode + "-pad an empty axis");
    }
    for (int o = 0; o < outSize; o++) {
      int c = o - before; // coordinate in the cropped range
      if (c < 0 || c >= kept) {
        c = switch (mode) {
          case "edge" -> c < 0 ? 0 : kept - 1;
          case "reflect" -> reflect(c, kept);
          default -> -1;
        };
      }
      map[o] = c < 0 ? -1 : lo + c;
    }
    return map;
  }

  /** numpy's "reflect" (mirror without repeating the edge), folding as often as needed. */
  private static int reflect(int c, int n) {
    if (n == 1) {
      return 0;
    }
    int period = 2 * (n - 1);
    int m = Math.floorMod(c, period);
    return m < n ? m : period - m;
  }

  @FunctionalInterface
  private interface Move {
    void copy(int read, int write);
  }

  /** Odometer over the output; positions whose any axis maps to -1 keep the constant. */
  private static void copy(int[] outShape, int[][] source, int[] inStride, Move move) {
    int r = outShape.length;
    if (r == 0) {
      move.copy(0, 0);
      return;
    }
    for (int d = 0; d < r; d++) {
      if (outShape[d] == 0) {
        return;
      }
    }
    int[] coord = new int[r];
    int last = r - 1;
    int[] lastMap = source[last];
    int rowLength = outShape[last];
    int write = 0;
    while (true) {
      int base = 0;
      boolean constantRow = false;
      for (int d = 0; d < last; d++) {
        int s = source[d][coord[d]];
        if (s < 0) {
          constantRow = true;
          break;
        }
        base += s * inStride[d];
      }
      if (!constantRow) {
        for (int k = 0; k < rowLength; k++) {
          int s = lastMap[k];
          if (s >= 0) {
            move.copy(base + s, write + k);
          }
        }
      }
      write += rowLength;
      int d = last - 1;
      while (d >= 0 && ++coord[d] == outShape[d]) {
        coord[d] = 0;
        d--;
      }
      if (d < 0) {
        return;
      }
    }
  }
}
