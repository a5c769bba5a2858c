package dev.potaccel.cpu;

import dev.potaccel.graph.GraphException;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * Element-wise activations: Relu, LeakyRelu (alpha, default 0.01), Clip and Sigmoid on FLOAT, and
 * Clip on integer types (opset 12 on). Clip takes its bounds from the min/max attributes before
 * opset 11 and from optional scalar inputs 1 and 2 from opset 11 on; a missing bound is unbounded
 * (ReLU6 is Clip(0, 6)). NaN stays NaN.
 */
final class ActivationKernel {
  private ActivationKernel() {}

  private static final int MIN_CHUNK = 1 << 15;

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    if (!in[0].dtype().isFloat()) {
      return new Tensor[] {clipIntegers(node, in)};
    }
    float[] x = in[0].floats();
    // Relu writes every element: a recycled array will do
    float[] y = node.op() == OpType.RELU ? RunBuffers.forOutput(x.length) : new float[x.length];
    switch (node.op()) {
      case RELU -> ParallelRange.run(pool, x.length, MIN_CHUNK, (from, to) -> {
        for (int i = from; i < to; i++) {
          // x > 0 ? x : 0 would turn NaN into 0; Math.max keeps it
          y[i] = Math.max(x[i], 0f);
        }
      });
      case LEAKY_RELU -> {
        float alpha = node.attributes().getFloat("alpha", 0.01f);
        ParallelRange.run(pool, x.length, MIN_CHUNK, (from, to) -> {
          for (int i = from; i < to; i++) {
            float v = x[i];
            y[i] = v < 0 ? v * alpha : v;
          }
        });
      }
      case SIGMOID -> ParallelRange.run(pool, x.length, MIN_CHUNK, (from, to) -> {
        for (int i = from; i < to; i++) {
          y[i] = sigmoid(x[i]);
        }
      });
      case CLIP -> {
        float[] bounds = clipBounds(node, in);
        float lo = bounds[0];
        float hi = bounds[1];
        ParallelRange.run(pool, x.length, MIN_CHUNK, (from, to) -> {
          for (int i = from; i < to; i++) {
            // min > max gives max everywhere, as ONNX specifies
            y[i] = Math.min(Math.max(x[i], lo), hi);
          }
        });
      }
      default -> throw new IllegalArgumentException("not an activation: " + node.op());
    }
    return new Tensor[] {Tensor.ofFloats(in[0].shape(), y)};
  }

  /** exp of a non-positive argument only, so neither branch overflows. */
  static float sigmoid(float v) {
    if (v >= 0) {
      return (float) (1.0 / (1.0 + Math.exp(-v)));
    }
    double e = Math.exp(v);
    return (float) (e / (1.0 + e));
  }

  /** Clip on an integer type (opset 12 on): bounds are inputs of the same type. */
  private static Tensor clipIntegers(Node node, Tensor[] in) {
    if (node.op() != OpType.CLIP) {
      throw new IllegalArgumentException(node.label() + ": no integer kernel");
    }
    long lo = in.length > 1 && in[1] != null ? in[1].longs()[0] : Long.MIN_VALUE;
    long hi = in.length > 2 && in[2] != null ? in[2].longs()[0] : Long.MAX_VALUE;
    long[] x = in[0].longs();
    long[] y = new long[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = Math.min(Math.max(x[i], lo), hi);
    }
    return Tensor.ofLongs(in[0].dtype(), in[0].shape(), y);
  }

  /** Clip's {@code [lo, hi]} on FLOAT, from its attributes or its inputs 1 and 2 (null: absent). */
  static float[] clipBounds(Node node, Tensor[] in) {
    if (node.opset() < 11) {
      return new float[] {
        node.attributes().getFloat("min", Float.NEGATIVE_INFINITY),
        node.attributes().getFloat("max", Float.POSITIVE_INFINITY)
      };
    }
    return new float[] {
      scalarOr(node, in, 1, Float.NEGATIVE_INFINITY), scalarOr(node, in, 2, Float.POSITIVE_INFINITY)
    };
  }

  private static float scalarOr(Node node, Tensor[] in, int i, float absent) {
    if (i >= in.length || in[i] == null) {
      return absent;
    }
    Tensor t = in[i];
    if (t.size() != 1) {
      throw new GraphException(node.label() + ": " + (i == 1 ? "min" : "max") + " must be a"
          + " scalar, got " + t);
    }
    return t.floats()[0];
  }
}
