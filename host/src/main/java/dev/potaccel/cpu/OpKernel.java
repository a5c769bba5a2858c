package dev.potaccel.cpu;

import dev.potaccel.graph.GraphException;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.ShapeInference;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * One operator's FP32 reference implementation. Kernels are stateless: attributes and the opset
 * that decides their semantics come with the node on every call.
 */
@FunctionalInterface
interface OpKernel {

  /**
   * @param inputs one per node input, null where an optional input is omitted
   * @param outTypes what {@link ShapeInference#infer} gives for these concrete inputs; kernels
   *     allocate exactly these shapes so the engine and import-time inference always agree
   * @return one tensor per node output; trailing optional outputs may be left off
   * @throws GraphException when the data cannot be processed (index out of range, ...)
   */
  Tensor[] run(Node node, Tensor[] inputs, List<TensorType> outTypes, ForkJoinPool pool);

  /** The kernel for an operator. */
  static OpKernel of(OpType op) {
    return switch (op) {
      case CONV -> ConvKernel::run;
      case GEMM -> GemmKernel::run;
      case MAT_MUL -> MatMulKernel::run;
      case ADD, SUB, MUL, DIV -> ArithmeticKernel::run;
      case RELU, LEAKY_RELU, CLIP, SIGMOID -> ActivationKernel::run;
      case MAX_POOL, AVERAGE_POOL, GLOBAL_AVERAGE_POOL -> PoolKernel::run;
      case BATCH_NORMALIZATION -> BatchNormKernel::run;
      // these only relabel the shape: the data array is shared, not copied
      case FLATTEN, RESHAPE, SQUEEZE, UNSQUEEZE ->
          (node, in, outTypes, pool) -> new Tensor[] {in[0].reshape(outShape(node, outTypes, 0))};
      case IDENTITY -> (node, in, outTypes, pool) -> new Tensor[] {in[0]};
      case TRANSPOSE -> TransposeKernel::run;
      case CONCAT -> ConcatKernel::run;
      case SOFTMAX -> SoftmaxKernel::run;
      case DROPOUT -> DropoutKernel::run;
      case CONSTANT -> (node, in, outTypes, pool) -> new Tensor[] {ShapeInference.constant(node)};
      case PAD -> PadKernel::run;
      case SHAPE -> ShapeKernel::run;
      case GATHER -> GatherKernel::run;
      case CAST -> CastKernel::run;
    };
  }

  /** The fully known shape of output i; shape inference on concrete inputs must give one. */
  static int[] outShape(Node node, List<TensorType> outTypes, int i) {
    TensorType t = outTypes.get(i);
    if (t == null || !t.isStatic()) {
      throw new IllegalStateException(node.label() + ": shape inference left output " + i
          + " as " + t + " for concrete inputs");
    }
    return t.dims();
  }

  /** Product of dims[from, to). */
  static int product(int[] dims, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      p *= dims[i];
    }
    return Math.toIntExact(p);
  }
}
