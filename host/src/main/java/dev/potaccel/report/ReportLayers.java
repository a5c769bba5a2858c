package dev.potaccel.report;

import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.quantize.QuantizedWeights;

/** What the report needs to know about a weighted layer of the BatchNorm-folded graph. */
public final class ReportLayers {
  private ReportLayers() {}

  /** Conv and Gemm nodes whose weight is an initializer: the layers the quantizer may code. */
  public static int weighted(Graph g) {
    int n = 0;
    for (Node node : g.nodes()) {
      if ((node.op() == OpType.CONV || node.op() == OpType.GEMM) && node.hasInput(1)
          && g.initializers().containsKey(node.input(1))) {
        n++;
      }
    }
    return n;
  }

  /**
   * The layer's FP32 weights as the quantizer saw them, output channel by output channel
   * ({@code [M][Cg·kh·kw]}; a Gemm's {@code alpha·B} as {@code [M][K]}), so weight {@code j} of
   * channel {@code m} lines up with the quantized code {@code m·perChannel + j}.
   *
   * @param folded the graph after BatchNorm folding ({@code QuantizedGraph.graph()})
   * @throws IllegalArgumentException when the node's weight is not a float initializer
   */
  public static float[] fp32Weights(Graph folded, Node n) {
    Tensor w = n.hasInput(1) ? folded.initializers().get(n.input(1)) : null;
    if (w == null || !w.dtype().isFloat()) {
      throw new IllegalArgumentException("node '" + n.name() + "': its weight is not a float"
          + " initializer of " + folded.source());
    }
    float[] src = w.floats();
    return switch (n.op()) {
      case CONV -> src;
      case GEMM -> {
        boolean transB = n.attributes().getInt("transB", 0) != 0;
        float alpha = n.attributes().getFloat("alpha", 1f);
        int m = transB ? w.dim(0) : w.dim(1);
        int k = transB ? w.dim(1) : w.dim(0);
        float[] out = new float[m * k];
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < k; j++) {
            out[i * k + j] = alpha * (transB ? src[i * k + j] : src[j * m + i]);
          }
        }
        yield out;
      }
      default -> throw new IllegalArgumentException("node '" + n.name() + "' is a " + n.op()
          + ", not a Conv or Gemm");
    };
  }

  /**
   * The activation a layer stores: its output, or the output of the Relu or Clip that is its
   * only consumer (the accelerator applies those in the same command, so the pre-activation
   * value is never stored).
   */
  public static String producedActivation(Graph g, Node layer) {
    String out = layer.outputs().get(0);
    Node only = null;
    int consumers = 0;
    for (Node n : g.nodes()) {
      if (n.inputs().contains(out)) {
        consumers++;
        only = n;
      }
    }
    boolean graphOutput = g.outputs().stream().anyMatch(v -> v.name().equals(out));
    if (consumers == 1 && !graphOutput
        && (only.op() == OpType.RELU || only.op() == OpType.CLIP)) {
      return only.outputs().get(0);
    }
    return out;
  }

  /** "[16, 6, 5, 5]": output channels, input channels per group, kernel height and width. */
  public static String shape(QuantizedWeights w) {
    return "[" + w.outChannels() + ", " + w.inChannelsPerGroup() + ", " + w.kernelH() + ", "
        + w.kernelW() + "]";
  }
}
