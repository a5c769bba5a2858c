package dev.potaccel.partition;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.potaccel.emulator.cost.HostWork;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.TensorType;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.PackageFormatException;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts the FP32 work of host nodes per image, by a fixed convention (docs/partitioning.md): a
 * multiply-accumulate is 2 FLOPs, an element-wise arithmetic op or comparison 1 per output,
 * Sigmoid 4 per output (negate, exp, add, divide), Softmax 5 per output (max, subtract, exp, sum,
 * divide), BatchNormalization 2, a pooling window element 1; ops that only move data (Reshape,
 * Transpose, Concat, Pad, Gather, ...) 0. Bytes are the FP32 values of the node's non-constant
 * inputs and its outputs, 4 each. A value whose shape is not known per image counts 0, so the
 * count is a lower bound.
 */
public final class HostWorkCount {
  private HostWorkCount() {}

  /**
   * The work of every HOST command of {@code pkg}, by command index (empty without HOST
   * commands).
   *
   * @throws PackageFormatException if the host graph is not a valid ONNX model, or a command
   *     names a node it does not have
   */
  public static Map<Integer, HostWork> ofPackage(AcceleratorPackage pkg) {
    Map<Integer, HostWork> work = new HashMap<>();
    if (pkg.getCommandsList().stream().noneMatch(Command::hasHost)) {
      return work;
    }
    String model = pkg.getProvenance().getModelName();
    String source = "package '" + (model.isEmpty() ? "(unnamed)" : model) + "' host_graph";
    ModelProto proto;
    try {
      proto = ModelProto.parseFrom(pkg.getHostGraph().getOnnxModel());
    } catch (InvalidProtocolBufferException e) {
      throw new PackageFormatException(source + ": not a valid ONNX model: " + e.getMessage(), e);
    }
    Graph g = OnnxImporter.fromProto(proto, source, null);
    Map<String, Node> byName = new HashMap<>();
    for (Node n : g.nodes()) {
      byName.put(n.name(), n);
    }
    for (int i = 0; i < pkg.getCommandsCount(); i++) {
      Command c = pkg.getCommands(i);
      if (!c.hasHost()) {
        continue;
      }
      HostWork w = new HostWork(0, 0);
      for (int index : c.getHost().getNodesList()) {
        if (index < 0 || index >= proto.getGraph().getNodeCount()) {
          throw new PackageFormatException(source + ": command " + i + " (host '" + c.getName()
              + "') names node " + Integer.toUnsignedString(index) + "; the host graph has "
              + proto.getGraph().getNodeCount());
        }
        Node n = byName.get(proto.getGraph().getNode(index).getName());
        if (n != null) { // null: a Constant the importer folded, no run-time work
          w = w.plus(of(g, n));
        }
      }
      work.put(i, w);
    }
    return work;
  }

  /** The work of every node of {@code g}: the whole model on the CPU engine. */
  public static HostWork ofGraph(Graph g) {
    HostWork w = new HostWork(0, 0);
    for (Node n : g.nodes()) {
      w = w.plus(of(g, n));
    }
    return w;
  }

  /** One node's work per image. */
  static HostWork of(Graph g, Node n) {
    long out = 0;
    for (String o : n.outputs()) {
      out += perImage(g, o);
    }
    long bytes = out;
    for (String in : n.inputs()) {
      if (!in.isEmpty() && !g.initializers().containsKey(in)) {
        bytes += perImage(g, in);
      }
    }
    bytes *= 4;
    long flops = switch (n.op()) {
      case CONV -> 2 * out * reduction(g, n.input(1), 1);
      case GEMM -> {
        long k = perImage(g, n.input(0));
        yield 2 * out * k + (n.hasInput(2) ? out : 0);
      }
      case MAT_MUL -> 2 * out * lastDim(g, n.input(0));
      case ADD, SUB, MUL, DIV, RELU, LEAKY_RELU, CLIP -> out;
      case SIGMOID -> 4 * out;
      case SOFTMAX -> 5 * out;
      case BATCH_NORMALIZATION -> 2 * out;
      case MAX_POOL, AVERAGE_POOL -> {
        long window = 1;
        for (long k : n.attributes().getInts("kernel_shape", new long[0])) {
          window *= k;
        }
        yield out * window;
      }
      case GLOBAL_AVERAGE_POOL -> perImage(g, n.input(0));
      default -> 0;
    };
    return new HostWork(flops, bytes);
  }

  /** Elements of {@code value} per image (all dims after the first), or 0 if unknown. */
  static long perImage(Graph g, String value) {
    TensorType t = g.typeOf(value);
    if (t == null || !t.hasRank() || t.rank() < 1) {
      return 0;
    }
    long n = 1;
    for (int d = 1; d < t.rank(); d++) {
      if (t.dim(d) == TensorType.UNKNOWN) {
        return 0;
      }
      n *= t.dim(d);
    }
    return n;
  }

  /** Product of a constant weight's dimensions from {@code from} on: C/g · kh · kw of a Conv. */
  private static long reduction(Graph g, String weight, int from) {
    var w = g.initializers().get(weight);
    int[] shape;
    if (w != null) {
      shape = w.shape();
    } else {
      TensorType t = g.typeOf(weight);
      if (t == null || !t.hasRank()) {
        return 0;
      }
      shape = new int[t.rank()];
      for (int d = 0; d < shape.length; d++) {
        shape[d] = Math.max(0, t.dim(d));
      }
    }
    long k = 1;
    for (int d = from; d < shape.length; d++) {
      k *= shape[d];
    }
    return k;
  }

  private static long lastDim(Graph g, String value) {
    TensorType t = g.typeOf(value);
    if (t == null || !t.hasRank() || t.rank() < 1) {
      return 0;
    }
    return Math.max(0, t.dim(t.rank() - 1));
  }
}
