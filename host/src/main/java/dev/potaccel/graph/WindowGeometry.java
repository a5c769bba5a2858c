package dev.potaccel.graph;

import java.util.Arrays;

/**
 * The resolved sliding-window geometry of a Conv or pooling node over its spatial axes: kernel,
 * strides, dilations, begin/end pads (after auto_pad) and output sizes. Shape inference and the
 * CPU kernels both use it, so both agree on every corner case (auto_pad, ceil_mode).
 */
public record WindowGeometry(int[] kernel, int[] strides, int[] dilations, int[] padsBegin,
    int[] padsEnd, int[] outSizes) {

  /**
   * Resolves the geometry of {@code node}.
   *
   * @param in spatial input sizes (may contain {@link TensorType#UNKNOWN})
   * @param kernelFromWeights the kernel size read off the Conv weight, or null for pooling
   * @param ceilMode pooling's ceil_mode (false for Conv)
   */
  public static WindowGeometry resolve(Node node, int[] in, int[] kernelFromWeights,
      boolean ceilMode) {
    int r = in.length;
    Attributes a = node.attributes();
    int[] kernel = toInts(a.getInts("kernel_shape", null));
    if (kernel == null) {
      if (kernelFromWeights == null) {
        throw new GraphException(node.label() + ": attribute 'kernel_shape' is required");
      }
      kernel = kernelFromWeights;
    }
    if (kernel.length != r) {
      throw new GraphException(node.label() + ": kernel_shape " + Arrays.toString(kernel)
          + " has " + kernel.length + " axes, input has " + r + " spatial axes");
    }
    if (kernelFromWeights != null && !Arrays.equals(kernel, kernelFromWeights)) {
      boolean unknown = false;
      for (int k : kernelFromWeights) {
        unknown |= k == TensorType.UNKNOWN;
      }
      if (!unknown) {
        throw new GraphException(node.label() + ": kernel_shape " + Arrays.toString(kernel)
            + " differs from the weight's " + Arrays.toString(kernelFromWeights));
      }
    }
    int[] strides = orOnes(toInts(a.getInts("strides", null)), r, node, "strides");
    int[] dil = orOnes(toInts(a.getInts("dilations", null)), r, node, "dilations");
    int[] pads = toInts(a.getInts("pads", null));
    for (int i = 0; i < r; i++) {
      if (kernel[i] <= 0 && kernel[i] != TensorType.UNKNOWN || strides[i] <= 0 || dil[i] <= 0) {
        throw new GraphException(node.label() + ": kernel, strides and dilations must be positive,"
            + " got kernel " + Arrays.toString(kernel) + ", strides " + Arrays.toString(strides)
            + ", dilations " + Arrays.toString(dil));
      }
    }
    String autoPad = a.getString("auto_pad", "NOTSET");
    int[] begin = new int[r];
    int[] end = new int[r];
    int[] out = new int[r];
    switch (autoPad) {
      case "NOTSET", "" -> {
        if (pads != null) {
          if (pads.length != 2 * r) {
            throw new GraphException(node.label() + ": pads " + Arrays.toString(pads) + " must have "
                + 2 * r + " values");
          }
          for (int i = 0; i < r; i++) {
            begin[i] = pads[i];
            end[i] = pads[i + r];
            if (begin[i] < 0 || end[i] < 0) {
              throw new GraphException(node.label() + ": negative pads " + Arrays.toString(pads));
            }
          }
        }
        for (int i = 0; i < r; i++) {
          out[i] = outSize(in[i], kernel[i], strides[i], dil[i], begin[i], end[i], ceilMode);
        }
      }
      case "VALID" -> {
        for (int i = 0; i < r; i++) {
          out[i] = outSize(in[i], kernel[i], strides[i], dil[i], 0, 0, ceilMode);
        }
      }
      case "SAME_UPPER", "SAME_LOWER" -> {
        for (int i = 0; i < r; i++) {
          if (in[i] == TensorType.UNKNOWN) {
            out[i] = TensorType.UNKNOWN;
            continue;
          }
          out[i] = (in[i] + strides[i] - 1) / strides[i];
          int total = Math.max(0, (out[i] - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 - in[i]);
          int small = total / 2;
          if (autoPad.equals("SAME_UPPER")) {
            begin[i] = small;
            end[i] = total - small;
          } else {
            begin[i] = total - small;
            end[i] = small;
          }
        }
      }
      default -> throw new GraphException(node.label() + ": auto_pad '" + autoPad
          + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
    }
    for (int i = 0; i < r; i++) {
      if (out[i] != TensorType.UNKNOWN && out[i] <= 0) {
        throw new GraphException(node.label() + ": window " + Arrays.toString(kernel)
            + " does not fit input " + Arrays.toString(in) + " (output size " + out[i] + ")");
      }
    }
    return new WindowGeometry(kernel, strides, dil, begin, end, out);
  }

  private static int outSize(int in, int k, int s, int d, int pb, int pe, boolean ceil) {
    if (in == TensorType.UNKNOWN || k == TensorType.UNKNOWN) {
      return TensorType.UNKNOWN;
    }
    int span = in + pb + pe - ((k - 1) * d + 1);
    if (span < 0) {
      return 0;
    }
    int out = (ceil ? (span + s - 1) / s : span / s) + 1;
    // ONNX/PyTorch: with ceil_mode the last window must start inside the input or left padding
    if (ceil && (out - 1) * s >= in + pb) {
      out--;
    }
    return out;
  }

  private static int[] orOnes(int[] v, int r, Node node, String name) {
    if (v == null) {
      int[] ones = new int[r];
      Arrays.fill(ones, 1);
      return ones;
    }
    if (v.length != r) {
      throw new GraphException(node.label() + ": " + name + " " + Arrays.toString(v) + " must have "
          + r + " values");
    }
    return v;
  }

  static int[] toInts(long[] v) {
    if (v == null) {
      return null;
    }
    int[] r = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      r[i] = Math.toIntExact(v[i]);
    }
    return r;
  }
}
