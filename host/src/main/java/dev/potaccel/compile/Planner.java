package dev.potaccel.compile;

import dev.potaccel.compile.OpPlan.Kind;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.graph.WindowGeometry;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.quantize.ActivationFormat;
import dev.potaccel.quantize.ConstantValues;
import dev.potaccel.quantize.QuantizedGraph;
import dev.potaccel.quantize.QuantizedWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides, for every node of a quantized graph, what it becomes (an {@link OpPlan}): which ops
 * the accelerator runs, which activations fuse into the layer before them, which nodes are views
 * or aliases, which run on the host, and which are dead (only feeding shapes that are already
 * known). Emits nothing: {@link Lowering} turns the plan into commands.
 */
final class Planner {
  private final QuantizedGraph q;
  private final Graph g;
  private final ConstantValues constants;
  private final Map<String, List<Node>> readers = new HashMap<>();
  private final Set<String> graphOutputs = new HashSet<>();
  private final Map<Node, OpPlan> plans = new IdentityHashMap<>();
  private final Map<String, String> canonical = new HashMap<>();
  private final Set<Node> live = Collections.newSetFromMap(new IdentityHashMap<>());

  Planner(QuantizedGraph q) {
    this.q = q;
    this.g = q.graph();
    this.constants = new ConstantValues(g);
    for (Node n : g.nodes()) {
      for (String in : n.inputs()) {
        if (!in.isEmpty()) {
          readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
      }
    }
    for (ValueInfo o : g.outputs()) {
      graphOutputs.add(o.name());
    }
  }

  /** Plans every node, resolves aliases and finds the live nodes. */
  Planner plan() {
    for (Node n : g.nodes()) {
      if (plans.containsKey(n)) {
        continue; // fused into the layer before it
      }
      OpPlan p = classify(n);
      if (p.kind() == Kind.CONV || p.kind() == Kind.GEMM || p.kind() == Kind.ADD) {
        p = fuseActivation(n, p);
      }
      plans.put(n, p);
      if (p.kind() == Kind.ALIAS) {
        canonical.put(n.outputs().get(0), canonical(n.input(0)));
      }
    }
    findLive();
    return this;
  }

  OpPlan planOf(Node n) {
    return plans.get(n);
  }

  boolean isLive(Node n) {
    return live.contains(n);
  }

  /** The value an alias stands for (itself when it is no alias). */
  String canonical(String value) {
    return canonical.getOrDefault(value, value);
  }

  ConstantValues constants() {
    return constants;
  }

  /** The inputs of {@code n} whose values it reads when it runs (not shapes it already knows). */
  List<String> dataInputs(Node n) {
    OpPlan p = plans.get(n);
    List<String> in = new ArrayList<>();
    switch (p.kind()) {
      case CONV, GEMM, POOL, VIEW, ALIAS -> in.add(n.input(0));
      case ADD -> {
        in.add(n.input(0));
        in.add(n.input(1));
      }
      case HOST -> n.inputs().stream().filter(s -> !s.isEmpty()).forEach(in::add);
      case CONSTANT, FUSED -> {}
    }
    return in;
  }

  private void findLive() {
    Set<String> needed = new HashSet<>(graphOutputs);
    List<Node> nodes = g.nodes();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Node n = nodes.get(i);
      boolean used = n.outputs().stream().anyMatch(needed::contains);
      if (!used) {
        continue;
      }
      OpPlan p = plans.get(n);
      if (p.kind() == Kind.FUSED) {
        needed.add(n.input(0)); // the layer it is fused into writes its output
        continue;
      }
      live.add(n);
      needed.addAll(dataInputs(n));
    }
  }

  // ---- classification ----

  private OpPlan classify(Node n) {
    if (n.op() == OpType.CONSTANT) {
      return OpPlan.of(Kind.CONSTANT);
    }
    boolean anyFloat = false;
    boolean allKnown = true;
    for (String o : n.outputs()) {
      if (o.isEmpty()) {
        continue;
      }
      TensorType t = g.typeOf(o);
      anyFloat |= t == null || t.dtype() == DataType.FLOAT;
      allKnown &= constants.isConstant(o);
    }
    if (!anyFloat) {
      return allKnown ? OpPlan.of(Kind.CONSTANT)
          : OpPlan.host("computes integer values at run time");
    }
    return switch (n.op()) {
      case CONV -> conv(n);
      case GEMM -> gemm(n);
      case MAX_POOL, AVERAGE_POOL -> pool(n);
      case GLOBAL_AVERAGE_POOL -> globalPool(n);
      case ADD -> add(n);
      case FLATTEN, RESHAPE, SQUEEZE, UNSQUEEZE -> view(n);
      case IDENTITY -> alias(n);
      case DROPOUT -> dropout(n);
      case RELU, CLIP, LEAKY_RELU -> OpPlan.host(n.op().onnxName() + " is fused only right after"
          + " a Conv, Gemm or Add whose output nothing else reads"
          + (n.op() == OpType.CLIP ? ", and only as Clip(0, 6) or Clip(0, inf)" : "")
          + (n.op() == OpType.LEAKY_RELU ? ", with a power-of-two slope 2^-a, a >= 1" : ""));
      default -> OpPlan.host(n.op().onnxName() + " is not an accelerator operation"
          + " (docs/accelerator.md §3.4)");
    };
  }

  private OpPlan conv(Node n) {
    QuantizedWeights w = q.weightsOf(n.name());
    if (w == null) {
      return OpPlan.host("Conv without constant weights, or a 1-D Conv, or an input with no"
          + " calibrated range");
    }
    int[] x = perImage(n.input(0), 3);
    int[] y = perImage(n.outputs().get(0), 3);
    if (x == null || y == null) {
      return OpPlan.host("Conv whose input or output shape is not static [N, C, H, W]");
    }
    int group = (int) n.attributes().getInt("group", 1);
    if (x[0] / group != w.inChannelsPerGroup()) {
      return OpPlan.host("Conv weights do not match the input channels");
    }
    WindowGeometry geo = WindowGeometry.resolve(n, new int[] {x[1], x[2]},
        new int[] {w.kernelH(), w.kernelW()}, false);
    if (geo.outSizes()[0] != y[1] || geo.outSizes()[1] != y[2]) {
      return OpPlan.host("Conv output size differs from its geometry");
    }
    return OpPlan.of(Kind.CONV);
  }

  private OpPlan gemm(Node n) {
    QuantizedWeights w = q.weightsOf(n.name());
    if (w == null) {
      return OpPlan.host("Gemm without constant weights and per-output bias, or transA=1, or an"
          + " input with no calibrated range");
    }
    int[] x = perImage(n.input(0), 1);
    int[] y = perImage(n.outputs().get(0), 1);
    if (x == null || y == null || x[0] != w.inChannelsPerGroup() || y[0] != w.outChannels()) {
      return OpPlan.host("Gemm whose input is not [N, K] with K the weight's");
    }
    return OpPlan.of(Kind.GEMM);
  }

  private OpPlan pool(Node n) {
    boolean avg = n.op() == OpType.AVERAGE_POOL;
    int[] x = perImage(n.input(0), 3);
    int[] y = perImage(n.outputs().get(0), 3);
    if (x == null || y == null) {
      return OpPlan.host("pooling whose input or output is not a static [N, C, H, W]");
    }
    if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()
        && (readers.containsKey(n.outputs().get(1)) || graphOutputs.contains(n.outputs().get(1)))) {
      return OpPlan.host("MaxPool indices output");
    }
    long[] dil = n.attributes().getInts("dilations", null);
    if (dil != null) {
      for (long d : dil) {
        if (d != 1) {
          return OpPlan.host("dilated pooling");
        }
      }
    }
    PoolGeometry geo = PoolGeometry.of(n, x);
    if (geo.outH() != y[1] || geo.outW() != y[2]) {
      return OpPlan.host("pooling output size differs from its geometry");
    }
    if (avg && geo.ceilPadded()) {
      return OpPlan.host("AveragePool whose ceil_mode adds a partial window");
    }
    if (avg && geo.padded() && n.attributes().getInt("count_include_pad", 0) == 0) {
      return OpPlan.host("AveragePool with padding and count_include_pad=0"
          + " (docs/accelerator.md §3.2)");
    }
    return OpPlan.of(Kind.POOL);
  }

  private OpPlan globalPool(Node n) {
    int[] x = perImage(n.input(0), 3);
    int[] y = perImage(n.outputs().get(0), 3);
    if (x == null || y == null) {
      return OpPlan.host("GlobalAveragePool whose input is not a static [N, C, H, W]");
    }
    return OpPlan.of(Kind.POOL);
  }

  private OpPlan add(Node n) {
    String a = n.input(0);
    String b = n.input(1);
    if (constants.isConstant(a) || constants.isConstant(b)) {
      return OpPlan.host("Add of a constant (the accelerator adds two tensors)");
    }
    TensorType ta = g.typeOf(a);
    TensorType tb = g.typeOf(b);
    int[] x = perImage(a, -1);
    int[] z = perImage(b, -1);
    if (x == null || z == null || !Arrays.equals(x, z) || ta.rank() != tb.rank()) {
      return OpPlan.host("Add with broadcasting (the accelerator adds equal shapes)");
    }
    ActivationFormat fa = q.activation(a);
    ActivationFormat fb = q.activation(b);
    if (fa == null || fb == null || q.activation(n.outputs().get(0)) == null) {
      return OpPlan.host("Add of values with no calibrated range");
    }
    int f = Math.max(fa.frac(), fb.frac());
    int sa = f - fa.frac();
    int sb = f - fb.frac();
    if (sa > 22 || sb > 22
        || (fa.maxMagnitude() << sa) + (fb.maxMagnitude() << sb) > Integer.MAX_VALUE) {
      return OpPlan.host("Add of inputs whose scales differ too much for int32 alignment");
    }
    return OpPlan.of(Kind.ADD);
  }

  private OpPlan view(Node n) {
    TensorType in = g.typeOf(n.input(0));
    TensorType out = g.typeOf(n.outputs().get(0));
    int[] x = perImage(n.input(0), -1);
    int[] y = perImage(n.outputs().get(0), -1);
    if (x == null || y == null || constants.isConstant(n.input(0))
        || in.dim(0) != out.dim(0) || elements(x) != elements(y)) {
      return OpPlan.host(n.op().onnxName() + " that does not keep the batch dimension");
    }
    return OpPlan.of(Kind.VIEW);
  }

  private OpPlan alias(Node n) {
    TensorType t = g.typeOf(n.input(0));
    if (constants.isConstant(n.input(0)) || t == null || t.dtype() != DataType.FLOAT) {
      return OpPlan.host("Identity of a constant");
    }
    return OpPlan.of(Kind.ALIAS);
  }

  private OpPlan dropout(Node n) {
    if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()
        && (readers.containsKey(n.outputs().get(1)) || graphOutputs.contains(n.outputs().get(1)))) {
      return OpPlan.host("Dropout mask output");
    }
    if (n.hasInput(2)) {
      Tensor training = constants.of(n.input(2));
      if (training == null || training.getLong(0) != 0) {
        return OpPlan.host("Dropout in training mode");
      }
    }
    return alias(n);
  }

  private OpPlan fuseActivation(Node n, OpPlan p) {
    String o = n.outputs().get(0);
    List<Node> rs = readers.getOrDefault(o, List.of());
    if (graphOutputs.contains(o) || rs.size() != 1) {
      return p;
    }
    Node act = rs.get(0);
    if (!act.input(0).equals(o) || q.activation(act.outputs().get(0)) == null) {
      return p;
    }
    OpPlan fused = switch (act.op()) {
      case RELU -> p.fusing(act, Activation.RELU, 0);
      case CLIP -> {
        double[] bounds = constants.clipBounds(act);
        if (bounds == null || bounds[0] != 0) {
          yield p;
        }
        if (bounds[1] == 6 && q.activation(act.outputs().get(0)).frac() >= 0) {
          yield p.fusing(act, Activation.RELU6, 0);
        }
        yield bounds[1] == Double.POSITIVE_INFINITY ? p.fusing(act, Activation.RELU, 0) : p;
      }
      case LEAKY_RELU -> {
        float alpha = act.attributes().getFloat("alpha", 0.01f);
        int a = alpha > 0 ? (int) Math.round(-Math.log(alpha) / Math.log(2)) : 0;
        yield a >= 1 && a <= 31 && Math.scalb(1f, -a) == alpha
            ? p.fusing(act, Activation.LEAKY_RELU, a) : p;
      }
      default -> p;
    };
    if (fused != p) {
      plans.put(act, OpPlan.of(Kind.FUSED));
    }
    return fused;
  }

  /**
   * The shape of {@code value} without the batch, when every such dimension is known and the rank
   * without the batch is {@code rank} (any rank >= 1 when {@code rank < 0}); else null.
   */
  int[] perImage(String value, int rank) {
    TensorType t = g.typeOf(value);
    if (t == null || !t.hasRank() || t.rank() < 2 || (rank >= 0 && t.rank() != rank + 1)) {
      return null;
    }
    int[] d = new int[t.rank() - 1];
    for (int i = 0; i < d.length; i++) {
      d[i] = t.dim(i + 1);
      if (d[i] == TensorType.UNKNOWN) {
        return null;
      }
    }
    return d;
  }

  private static long elements(int[] shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }
}
