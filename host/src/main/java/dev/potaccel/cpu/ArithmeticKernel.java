package dev.potaccel.cpu;

import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * Add, Sub, Mul and Div with numpy broadcasting, on FLOAT and on integer types. Integer results
 * wrap to the element type's width; integer Div truncates toward zero as in C, and dividing by zero
 * is an {@link ArithmeticException} (float division gives inf/NaN as IEEE says).
 */
final class ArithmeticKernel {
  private ArithmeticKernel() {}

  private static final int WORK_PER_TASK = 1 << 15;

  static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes, ForkJoinPool pool) {
    return run(node, in, outTypes, pool, false);
  }

  /**
   * Add followed by Relu (the engine fuses the pair when nothing else reads the Add). Relu takes
   * FLOAT only: on integers the Relu node's own type check refuses the pair, as it would unfused.
   */
  static Tensor[] addWithRelu(Node node, Tensor[] in, List<TensorType> outTypes,
      ForkJoinPool pool) {
    return run(node, in, outTypes, pool, in[0].dtype().isFloat());
  }

  private static Tensor[] run(Node node, Tensor[] in, List<TensorType> outTypes,
      ForkJoinPool pool, boolean relu) {
    Tensor a = in[0];
    Tensor b = in[1];
    int[] shape = OpKernel.outShape(node, outTypes, 0);
    BroadcastLayout layout = BroadcastLayout.of(shape, a.shape(), b.shape());
    int n = Math.toIntExact(Tensor.elementCount(shape));
    OpType op = node.op();
    int minRows = ParallelRange.chunkFor(layout.inner, WORK_PER_TASK);
    int sa = layout.innerStrideA;
    int sb = layout.innerStrideB;
    int len = layout.inner;
    if (a.dtype().isFloat()) {
      float[] x = a.floats();
      float[] y = b.floats();
      float[] out = RunBuffers.forOutput(n); // every element is written below
      if (layout.rows == 1 && sa == 1 && sb == 1) {
        // equal shapes are one row: split the row itself
        ParallelRange.run(pool, n, WORK_PER_TASK, (from, to) -> {
          floatRowDense(op, x, from, y, from, out, from, to - from);
          if (relu) {
            for (int i = from; i < to; i++) {
              out[i] = Math.max(out[i], 0f);
            }
          }
        });
        return new Tensor[] {Tensor.ofFloats(shape, out)};
      }
      ParallelRange.run(pool, layout.rows, minRows, (from, to) -> {
        layout.forRows(from, to, (o, ao, bo) -> floatRow(op, x, ao, sa, y, bo, sb, out, o, len));
        if (relu) {
          for (int i = from * len; i < to * len; i++) {
            out[i] = Math.max(out[i], 0f);
          }
        }
      });
      return new Tensor[] {Tensor.ofFloats(shape, out)};
    }
    long[] x = a.longs();
    long[] y = b.longs();
    long[] out = new long[n];
    DataType dtype = a.dtype();
    ParallelRange.run(pool, layout.rows, minRows, (from, to) -> {
      layout.forRows(from, to, (o, ao, bo) -> longRow(op, x, ao, sa, y, bo, sb, out, o, len));
      if (dtype != DataType.INT64) {
        for (int i = from * len; i < to * len; i++) {
          out[i] = dtype.wrap(out[i]);
        }
      }
    });
    return new Tensor[] {Tensor.ofLongs(dtype, shape, out)};
  }

  // one loop per operator so the JIT sees a plain arithmetic body; strides are 0 or 1
  private static void floatRow(OpType op, float[] a, int ao, int sa, float[] b, int bo, int sb,
      float[] out, int o, int n) {
    if (sa == 1 && sb == 1) {
      floatRowDense(op, a, ao, b, bo, out, o, n);
      return;
    }
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          out[o + i] = a[ao + i * sa] + b[bo + i * sb];
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          out[o + i] = a[ao + i * sa] - b[bo + i * sb];
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          out[o + i] = a[ao + i * sa] * b[bo + i * sb];
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          out[o + i] = a[ao + i * sa] / b[bo + i * sb];
        }
      }
      default -> throw new IllegalArgumentException("not an arithmetic op: " + op);
    }
  }

  // both strides 1 (equal shapes, the residual add): C2 vectorizes these, not the strided form
  private static void floatRowDense(OpType op, float[] a, int ao, float[] b, int bo, float[] out,
      int o, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          out[o + i] = a[ao + i] + b[bo + i];
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          out[o + i] = a[ao + i] - b[bo + i];
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          out[o + i] = a[ao + i] * b[bo + i];
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          out[o + i] = a[ao + i] / b[bo + i];
        }
      }
      default -> throw new IllegalArgumentException("not an arithmetic op: " + op);
    }
  }

  private static void longRow(OpType op, long[] a, int ao, int sa, long[] b, int bo, int sb,
      long[] out, int o, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i++) {
          out[o + i] = a[ao + i * sa] + b[bo + i * sb];
        }
      }
      case SUB -> {
        for (int i = 0; i < n; i++) {
          out[o + i] = a[ao + i * sa] - b[bo + i * sb];
        }
      }
      case MUL -> {
        for (int i = 0; i < n; i++) {
          out[o + i] = a[ao + i * sa] * b[bo + i * sb];
        }
      }
      case DIV -> {
        for (int i = 0; i < n; i++) {
          // Java's long division truncates toward zero, as C does
          out[o + i] = a[ao + i * sa] / b[bo + i * sb];
        }
      }
      default -> throw new IllegalArgumentException("not an arithmetic op: " + op);
    }
  }
}
