package dev.potaccel.quantize;

import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds each inference-mode BatchNormalization into the Conv that feeds it (docs/accelerator.md
 * §3.1): with {@code s[m] = scale[m] / sqrt(var[m] + eps)}, the Conv's weights become {@code
 * W[m]·s[m]} and its bias {@code (b[m] - mean[m])·s[m] + B[m]}, computed in double. The folded
 * Conv keeps its name and writes the BatchNormalization's output, so value names downstream (and
 * calibration ranges) stay valid. A BatchNormalization is left alone when its input is not a
 * Conv output read only by it, or when any operand is not a constant.
 */
public final class BatchNormFolding {
  private BatchNormFolding() {}

  /** The graph with every foldable BatchNormalization folded; the same graph if none is. */
  public static Graph fold(Graph g) {
    Map<String, Integer> readers = readers(g);
    Map<String, Node> producer = new HashMap<>();
    for (Node n : g.nodes()) {
      for (String o : n.outputs()) {
        producer.put(o, n);
      }
    }
    Map<String, Tensor> initializers = new LinkedHashMap<>(g.initializers());
    Map<Node, Node> replaced = new HashMap<>();
    Set<Node> removed = new HashSet<>();
    Map<String, TensorType> types = new HashMap<>(g.valueTypes());
    for (Node bn : g.nodes()) {
      if (bn.op() != OpType.BATCH_NORMALIZATION) {
        continue;
      }
      Node conv = producer.get(bn.input(0));
      if (conv == null || conv.op() != OpType.CONV || replaced.containsKey(conv)
          || readers.getOrDefault(bn.input(0), 0) != 1 || !foldable(bn, initializers)
          || !initializers.containsKey(conv.input(1))
          || (conv.hasInput(2) && !initializers.containsKey(conv.input(2)))) {
        continue;
      }
      Tensor w = initializers.get(conv.input(1));
      int m = w.dim(0);
      float[] scale = initializers.get(bn.input(1)).floats();
      float[] shift = initializers.get(bn.input(2)).floats();
      float[] mean = initializers.get(bn.input(3)).floats();
      float[] var = initializers.get(bn.input(4)).floats();
      if (scale.length != m || shift.length != m || mean.length != m || var.length != m) {
        continue;
      }
      double eps = bn.attributes().getFloat("epsilon", 1e-5f);
      float[] b = conv.hasInput(2) ? initializers.get(conv.input(2)).floats() : new float[m];
      float[] wf = w.floats();
      int per = wf.length / m;
      float[] folded = new float[wf.length];
      float[] bias = new float[m];
      for (int ch = 0; ch < m; ch++) {
        double s = scale[ch] / Math.sqrt(var[ch] + eps);
        for (int j = 0; j < per; j++) {
          folded[ch * per + j] = (float) (wf[ch * per + j] * s);
        }
        bias[ch] = (float) ((b[ch] - (double) mean[ch]) * s + shift[ch]);
      }
      String wName = unique(conv.name() + ".weight_bn_folded", initializers, types);
      initializers.put(wName, Tensor.ofFloats(w.shape(), folded));
      types.put(wName, TensorType.of(w.dtype(), w.shape()));
      String bName = unique(conv.name() + ".bias_bn_folded", initializers, types);
      initializers.put(bName, Tensor.ofFloats(new int[] {m}, bias));
      types.put(bName, TensorType.of(w.dtype(), m));
      types.remove(conv.outputs().get(0));
      replaced.put(conv, new Node(conv.name(), conv.op(), List.of(conv.input(0), wName, bName),
          List.of(bn.outputs().get(0)), conv.attributes(), conv.opset()));
      removed.add(bn);
    }
    if (replaced.isEmpty()) {
      return g;
    }
    List<Node> nodes = new ArrayList<>();
    for (Node n : g.nodes()) {
      if (!removed.contains(n)) {
        nodes.add(replaced.getOrDefault(n, n));
      }
    }
    Set<String> read = new HashSet<>();
    nodes.forEach(n -> read.addAll(n.inputs()));
    g.inputs().forEach(v -> read.add(v.name()));
    g.outputs().forEach(v -> read.add(v.name()));
    initializers.keySet().retainAll(read);
    return new Graph(g.name(), g.source(), g.opset(), g.inputs(), g.outputs(), initializers,
        nodes, types);
  }

  private static boolean foldable(Node bn, Map<String, Tensor> initializers) {
    if (bn.attributes().getInt("training_mode", 0) != 0) {
      return false;
    }
    for (int i = 1; i < bn.outputs().size(); i++) {
      if (!bn.outputs().get(i).isEmpty()) {
        return false;
      }
    }
    for (int i = 1; i <= 4; i++) {
      Tensor t = initializers.get(bn.input(i));
      if (t == null || !t.dtype().isFloat()) {
        return false;
      }
    }
    return true;
  }

  /** How many node inputs and graph outputs read each value. */
  static Map<String, Integer> readers(Graph g) {
    Map<String, Integer> readers = new HashMap<>();
    for (Node n : g.nodes()) {
      for (String in : n.inputs()) {
        if (!in.isEmpty()) {
          readers.merge(in, 1, Integer::sum);
        }
      }
    }
    for (ValueInfo o : g.outputs()) {
      readers.merge(o.name(), 1, Integer::sum);
    }
    return readers;
  }

  private static String unique(String base, Map<String, Tensor> initializers,
      Map<String, TensorType> types) {
    String name = base;
    for (int i = 2; initializers.containsKey(name) || types.containsKey(name); i++) {
      name = base + "_" + i;
    }
    return name;
  }
}
