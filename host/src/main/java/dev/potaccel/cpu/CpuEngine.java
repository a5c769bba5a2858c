package dev.potaccel.cpu;

import dev.potaccel.cpu.kernels.Clamp;
import dev.potaccel.cpu.kernels.Conv2dParams;
import dev.potaccel.cpu.kernels.LaneConv2d;
import dev.potaccel.cpu.kernels.LaneKernels;
import dev.potaccel.cpu.kernels.LaneTensor;
import dev.potaccel.cpu.kernels.Pool2dParams;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.GraphException;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.ShapeInference;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Runs a {@link Graph} in FP32 on the host CPU: the reference every quantized and accelerated
 * result is compared with, and the executor of the partitions that stay on the host.
 *
 * <p>The plan is fixed at construction: every value gets a slot, every node its kernel and the
 * list of slots it is the last reader of, so intermediates are dropped as soon as nothing needs
 * them and memory stays bounded by the widest cut of the graph. One engine may run concurrently
 * from several threads; each run has its own slots. Heavy kernels split work over the engine's
 * fork-join pool.
 *
 * <p>The plan also fuses: a Relu into the Conv or Add before it, and a residual Add into the
 * Conv that computes one of its operands. A value all of whose readers take {@link LaneTensor}s
 * (images in the vector lanes: Conv, Add, Relu, GlobalAveragePool) is kept in that form when its
 * producer can make it, so a ResNet's blocks run from Conv to Conv without any layout change; a
 * value another reader needs is converted to NCHW once, at its producer.
 */
public final class CpuEngine implements AutoCloseable {
  private final Graph graph;
  private final ForkJoinPool pool;
  private final Map<String, Integer> inputSlots;
  private final Tensor[] constantSlots;
  private final Step[] steps;
  private final int slotCount;
  private final String[] slotNames;
  private final int[] outputSlots;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  /** Most arrays kept between runs ({@link RunBuffers}). */
  private static final int SPARE_MAX = 32;
  private final List<float[]> spare = new ArrayList<>();
  private boolean closed; // written under the write lock, read under the read lock

  /** One node of the plan: its kernel, where its operands live, what to drop after it. */
  private record Step(Node node, OpKernel kernel, int[] inputSlots, int[] outputSlots,
      int[] releaseAfter, Form form) {}

  /**
   * What the plan decided beyond the kernel. {@code relu}: the step writes max(0, .) for a Relu
   * fused into it. {@code passThrough}: a fused Relu, which hands its input on. {@code
   * laneOut}: every reader takes the output as a {@link LaneTensor}. {@code absorbs}: for a
   * Conv that only an Add or a Clip reads, that step (else -1). An Add is absorbed when its other
   * operand, {@code residualSlot}, is a lane tensor of the Conv's shape: the Conv adds it and
   * applies {@code absorbedClamp} (the Add's fused Relu, or none). A Clip with constant bounds
   * ({@code residualSlot} -1) is absorbed when the Conv writes lanes: the Conv applies its
   * bounds. The absorbed step then hands its input {@code absorbedInput} on.
   */
  private record Form(boolean relu, boolean passThrough, boolean laneOut, int absorbs,
      int residualSlot, Clamp absorbedClamp, int absorbedInput) {
    static final Form PLAIN = new Form(false, false, false, -1, -1, null, -1);

    Form withLaneOut() {
      return new Form(relu, passThrough, true, absorbs, residualSlot, absorbedClamp,
          absorbedInput);
    }
  }

  /** The slots and lane tensors of one run, and the Adds its Convs absorbed. */
  private record RunState(Tensor[] slots, LaneTensor[] lanes, boolean[] absorbed,
      RunBuffers buffers) {}

  /**
   * @param threads worker threads for the kernels; zero or less means one per available processor
   * @throws GraphException when a node reads a value nothing defines before it, or a value is
   *     defined twice
   */
  public CpuEngine(Graph graph, int threads) {
    this.graph = graph;
    Map<String, Integer> slotOf = new HashMap<>();
    Map<String, Integer> inputs = new LinkedHashMap<>();
    for (ValueInfo in : graph.inputs()) {
      int slot = slotOf.computeIfAbsent(in.name(), k -> slotOf.size());
      inputs.put(in.name(), slot);
    }
    for (String name : graph.initializers().keySet()) {
      slotOf.computeIfAbsent(name, k -> slotOf.size());
    }
    List<Node> nodes = graph.nodes();
    int[][] nodeInputs = new int[nodes.size()][];
    int[][] nodeOutputs = new int[nodes.size()][];
    for (int s = 0; s < nodes.size(); s++) {
      Node node = nodes.get(s);
      nodeInputs[s] = new int[node.inputs().size()];
      for (int i = 0; i < nodeInputs[s].length; i++) {
        String name = node.input(i);
        Integer slot = name.isEmpty() ? Integer.valueOf(-1) : slotOf.get(name);
        if (slot == null) {
          throw new GraphException(where() + ": " + node.label() + " reads '" + name
              + "', which no input, initializer or earlier node defines");
        }
        nodeInputs[s][i] = slot;
      }
      nodeOutputs[s] = new int[node.outputs().size()];
      for (int i = 0; i < nodeOutputs[s].length; i++) {
        String name = node.outputs().get(i);
        if (name.isEmpty()) {
          nodeOutputs[s][i] = -1;
          continue;
        }
        if (slotOf.containsKey(name)) {
          throw new GraphException(where() + ": " + node.label() + " writes '" + name
              + "', which is already defined (values are assigned once)");
        }
        nodeOutputs[s][i] = slotOf.size();
        slotOf.put(name, nodeOutputs[s][i]);
      }
    }
    this.slotCount = slotOf.size();
    this.slotNames = new String[slotCount];
    slotOf.forEach((name, slot) -> slotNames[slot] = name);
    this.constantSlots = new Tensor[slotCount];
    graph.initializers().forEach((name, t) -> constantSlots[slotOf.get(name)] = t);
    this.outputSlots = new int[graph.outputs().size()];
    boolean[] keep = new boolean[slotCount];
    for (int o = 0; o < outputSlots.length; o++) {
      String name = graph.outputs().get(o).name();
      Integer slot = slotOf.get(name);
      if (slot == null) {
        throw new GraphException(where() + ": output '" + name + "' is never computed");
      }
      outputSlots[o] = slot;
      keep[slot] = true;
    }
    for (int slot = 0; slot < slotCount; slot++) {
      keep[slot] |= constantSlots[slot] != null;
    }
    this.steps = plan(nodes, nodeInputs, nodeOutputs, keep);
    this.inputSlots = Map.copyOf(inputs);
    int workers = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    this.pool = new ForkJoinPool(workers);
  }

  /** Each value is released right after its last reader, or after its producer if none reads it. */
  private Step[] plan(List<Node> nodes, int[][] nodeInputs, int[][] nodeOutputs, boolean[] keep) {
    int[] lastUse = new int[slotCount];
    Arrays.fill(lastUse, -1);
    for (int s = 0; s < nodes.size(); s++) {
      for (int slot : nodeOutputs[s]) {
        if (slot >= 0) {
          lastUse[slot] = s;
        }
      }
      for (int slot : nodeInputs[s]) {
        if (slot >= 0) {
          lastUse[slot] = s;
        }
      }
    }
    List<List<Integer>> release = new ArrayList<>();
    for (int s = 0; s < nodes.size(); s++) {
      release.add(new ArrayList<>());
    }
    for (int slot = 0; slot < slotCount; slot++) {
      if (!keep[slot] && lastUse[slot] >= 0) {
        release.get(lastUse[slot]).add(slot);
      }
    }
    OpKernel[] kernels = new OpKernel[nodes.size()];
    for (int s = 0; s < kernels.length; s++) {
      kernels[s] = OpKernel.of(nodes.get(s).op());
    }
    Form[] forms = new Form[nodes.size()];
    Arrays.fill(forms, Form.PLAIN);
    fuse(nodes, nodeInputs, nodeOutputs, keep, kernels, forms);
    markLaneOutputs(nodes, nodeInputs, nodeOutputs, keep, forms);
    Step[] plan = new Step[nodes.size()];
    for (int s = 0; s < plan.length; s++) {
      Node node = nodes.get(s);
      plan[s] = new Step(node, kernels[s], nodeInputs[s], nodeOutputs[s],
          release.get(s).stream().mapToInt(Integer::intValue).toArray(), forms[s]);
    }
    return plan;
  }

  /**
   * A Conv or Add whose output only a Relu reads (and is not a graph output) writes max(0, .)
   * itself, and that Relu passes its input on: one pass over the activation and one allocation
   * fewer (ResNet-20 at batch 64 on 2 threads: 49 ms a batch instead of 55). An Add of a Conv
   * output that only the Add reads and of a value computed before that Conv may be absorbed by
   * the Conv at run time (when both are lane tensors): of two such Convs, the later one.
   */
  private void fuse(List<Node> nodes, int[][] nodeInputs, int[][] nodeOutputs, boolean[] keep,
      OpKernel[] kernels, Form[] forms) {
    int[] readers = new int[slotCount];
    int[] reader = new int[slotCount];
    int[] producer = new int[slotCount];
    Arrays.fill(producer, -1);
    for (int s = 0; s < nodes.size(); s++) {
      for (int slot : nodeInputs[s]) {
        if (slot >= 0) {
          readers[slot]++;
          reader[slot] = s;
        }
      }
      for (int slot : nodeOutputs[s]) {
        if (slot >= 0) {
          producer[slot] = s;
        }
      }
    }
    for (int s = 0; s < nodes.size(); s++) {
      OpType op = nodes.get(s).op();
      if ((op != OpType.CONV && op != OpType.ADD) || nodeOutputs[s].length != 1) {
        continue;
      }
      int out = nodeOutputs[s][0];
      if (out < 0 || keep[out] || readers[out] != 1) {
        continue;
      }
      int r = reader[out];
      if (nodes.get(r).op() == OpType.RELU && nodeInputs[r].length == 1) {
        kernels[s] = op == OpType.CONV ? ConvKernel::runWithRelu : ArithmeticKernel::addWithRelu;
        kernels[r] = (node, in, types, pool) -> new Tensor[] {in[0]};
        forms[s] = new Form(true, false, false, -1, -1, null, -1);
        forms[r] = new Form(false, true, false, -1, -1, null, -1);
      } else if (op == OpType.CONV && nodes.get(r).op() == OpType.CLIP) {
        Clamp bounds = constantClipBounds(nodes.get(r), nodeInputs[r], nodes, producer);
        if (bounds != null) {
          forms[s] = new Form(false, false, false, r, -1, bounds, -1);
          forms[r] = new Form(false, false, false, -1, -1, null, 0);
        }
      }
    }
    for (int s = 0; s < nodes.size(); s++) {
      if (nodes.get(s).op() != OpType.ADD || nodeInputs[s].length != 2
          || nodeOutputs[s].length != 1) {
        continue;
      }
      int best = -1;
      for (int i = 0; i < 2; i++) {
        int mine = nodeInputs[s][i];
        int other = nodeInputs[s][1 - i];
        if (mine < 0 || other < 0 || mine == other || readers[mine] != 1 || keep[mine]) {
          continue;
        }
        int conv = producer[mine];
        if (conv < 0 || nodes.get(conv).op() != OpType.CONV || forms[conv].relu()
            || forms[conv].absorbs() >= 0 || producer[other] < 0 || producer[other] >= conv) {
          continue;
        }
        if (best < 0 || conv > producer[nodeInputs[s][best]]) {
          best = i;
        }
      }
      if (best >= 0) {
        int conv = producer[nodeInputs[s][best]];
        forms[conv] = new Form(false, false, false, s, nodeInputs[s][1 - best],
            Clamp.relu(forms[s].relu()), -1);
        forms[s] = new Form(forms[s].relu(), false, false, -1, -1, null, best);
      }
    }
  }

  /**
   * A Clip's bounds when they are constants (attributes, initializers or Constant nodes, as
   * PyTorch exports ReLU6), else null.
   */
  private Clamp constantClipBounds(Node clip, int[] inputs, List<Node> nodes, int[] producer) {
    Tensor[] in = new Tensor[inputs.length];
    for (int i = 1; i < inputs.length; i++) {
      if (inputs[i] >= 0) {
        in[i] = constantSlots[inputs[i]];
        int from = producer[inputs[i]];
        if (in[i] == null && from >= 0 && nodes.get(from).op() == OpType.CONSTANT) {
          try {
            in[i] = ShapeInference.constant(nodes.get(from));
          } catch (GraphException e) {
            return null; // not fused: the Constant node reports this when it runs
          }
        }
        if (in[i] == null || !in[i].dtype().isFloat() || in[i].size() != 1) {
          return null;
        }
      }
    }
    float[] b = ActivationKernel.clipBounds(clip, in);
    return new Clamp(b[0], b[1]);
  }

  /**
   * Marks the outputs every reader of which takes a {@link LaneTensor}: Conv (as its data
   * input), Add, Relu, Clip, MaxPool, GlobalAveragePool, and a pass-through whose own output is
   * marked.
   * Graph outputs are never marked. Steps run in order, so readers are decided first, backwards.
   */
  private void markLaneOutputs(List<Node> nodes, int[][] nodeInputs, int[][] nodeOutputs,
      boolean[] keep, Form[] forms) {
    List<List<int[]>> readersOf = new ArrayList<>();
    for (int slot = 0; slot < slotCount; slot++) {
      readersOf.add(new ArrayList<>());
    }
    for (int s = 0; s < nodes.size(); s++) {
      for (int i = 0; i < nodeInputs[s].length; i++) {
        if (nodeInputs[s][i] >= 0) {
          readersOf.get(nodeInputs[s][i]).add(new int[] {s, i});
        }
      }
    }
    boolean[] lane = new boolean[slotCount];
    for (int s = nodes.size() - 1; s >= 0; s--) {
      if (nodeOutputs[s].length != 1 || nodeOutputs[s][0] < 0 || !makesLanes(nodes.get(s))
          && !forms[s].passThrough()) {
        continue;
      }
      int out = nodeOutputs[s][0];
      boolean all = !keep[out] && !readersOf.get(out).isEmpty();
      for (int[] r : readersOf.get(out)) {
        all &= forms[r[0]].passThrough() ? lane[nodeOutputs[r[0]][0]]
            : readsLanes(nodes.get(r[0]), r[1]);
      }
      lane[out] = all;
      if (all) {
        forms[s] = forms[s].withLaneOut();
      }
    }
  }

  // A grouped Conv counts too: depthwise ones run on lanes, and any other converts its lane
  // operand to NCHW when it runs, as a reader without a lane kernel would at its producer.
  private static boolean makesLanes(Node node) {
    return switch (node.op()) {
      case CONV, ADD, RELU, CLIP, MAX_POOL -> true;
      default -> false;
    };
  }

  private static boolean readsLanes(Node node, int input) {
    return switch (node.op()) {
      case CONV, RELU, CLIP, MAX_POOL, GLOBAL_AVERAGE_POOL -> input == 0;
      case ADD -> node.inputs().size() == 2;
      default -> false;
    };
  }

  /** The values dropped right after the named node ran (for tests of the plan). */
  List<String> releasedAfter(String nodeName) {
    for (Step step : steps) {
      if (step.node().name().equals(nodeName)) {
        return Arrays.stream(step.releaseAfter()).mapToObj(slot -> slotNames[slot]).toList();
      }
    }
    throw new IllegalArgumentException("no node '" + nodeName + "'");
  }

  /** The nodes a Conv may absorb at run time, in node order (for tests of the plan). */
  List<String> absorbableNodes() {
    List<String> names = new ArrayList<>();
    for (Step step : steps) {
      if (step.form().absorbs() >= 0) {
        names.add(steps[step.form().absorbs()].node().name());
      }
    }
    return names;
  }

  /** The values the plan keeps as lane tensors, in node order (for tests of the plan). */
  List<String> laneValues() {
    List<String> names = new ArrayList<>();
    for (Step step : steps) {
      if (step.form().laneOut()) {
        names.add(slotNames[step.outputSlots()[0]]);
      }
    }
    return names;
  }

  public Graph graph() {
    return graph;
  }

  /**
   * Runs the graph once.
   *
   * @param inputs one tensor per graph input, by name (an input that has an initializer of the
   *     same name may be left out and takes that value)
   * @return the graph outputs by name, in graph order
   * @throws InputMismatchException when the inputs do not fit the graph's declared inputs
   * @throws GraphException when a node cannot process what it receives (names the node)
   * @throws IllegalStateException after {@link #close()}
   */
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    Lock lock = lifecycle.readLock();
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("CpuEngine for " + where() + " is closed");
      }
      Tensor[] slots = constantSlots.clone();
      bindInputs(inputs, slots);
      RunBuffers buffers = new RunBuffers();
      buffers.adopt(takeSpare());
      RunBuffers previous = buffers.enter();
      RunState state = new RunState(slots, new LaneTensor[slotCount], new boolean[steps.length],
          buffers);
      try {
        for (int s = 0; s < steps.length; s++) {
          execute(s, state);
        }
      } finally {
        buffers.leave(previous);
      }
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (int o = 0; o < outputSlots.length; o++) {
        out.put(graph.outputs().get(o).name(), slots[outputSlots[o]]);
      }
      giveSpare(buffers.spare());
      return out;
    } finally {
      lock.unlock();
    }
  }

  private void bindInputs(Map<String, Tensor> inputs, Tensor[] slots) {
    for (String name : inputs.keySet()) {
      if (!inputSlots.containsKey(name)) {
        StringJoiner expected = new StringJoiner(", ");
        graph.inputs().forEach(vi -> expected.add("'" + vi.name() + "'"));
        throw new InputMismatchException("unknown input '" + name
            + "'; the model's inputs are " + expected);
      }
    }
    for (ValueInfo declared : graph.inputs()) {
      String name = declared.name();
      Tensor t = inputs.get(name);
      if (t == null) {
        if (graph.initializers().containsKey(name)) {
          continue; // an input with a default value
        }
        throw new InputMismatchException("missing input '" + name + "' ("
            + declared.type() + ")");
      }
      TensorType want = declared.type();
      if (t.dtype() != want.dtype()) {
        throw new InputMismatchException("input '" + name + "': element type " + t.dtype()
            + ", model wants " + want.dtype());
      }
      if (!fits(t.shape(), want)) {
        throw new InputMismatchException("input '" + name + "': shape " + dimsText(t.shape())
            + ", model wants " + dimsText(want.dims()));
      }
      slots[inputSlots.get(name)] = t;
    }
  }

  private static boolean fits(int[] shape, TensorType want) {
    if (!want.hasRank()) {
      return true;
    }
    if (shape.length != want.rank()) {
      return false;
    }
    for (int d = 0; d < shape.length; d++) {
      if (want.dim(d) != TensorType.UNKNOWN && want.dim(d) != shape[d]) {
        return false;
      }
    }
    return true;
  }

  /** Recycled arrays a finished run left free, for the next one (at most {@link #SPARE_MAX}). */
  private List<float[]> takeSpare() {
    synchronized (spare) {
      List<float[]> out = new ArrayList<>(spare);
      spare.clear();
      return out;
    }
  }

  private void giveSpare(List<float[]> arrays) {
    synchronized (spare) {
      for (float[] a : arrays) {
        if (spare.size() < SPARE_MAX) {
          spare.add(a);
        }
      }
    }
  }

  private void execute(int index, RunState st) {
    Step step = steps[index];
    Node node = step.node();
    Form form = step.form();
    int[] outs = step.outputSlots();
    if (form.passThrough() || (form.absorbedInput() >= 0 && st.absorbed()[index])) {
      // the node's own type checks still apply (a fused Relu refuses integers as unfused)
      try {
        ShapeInference.infer(node, argTypes(step, st));
      } catch (GraphException e) {
        throw failure(node, e);
      }
      int from = step.inputSlots()[form.passThrough() ? 0 : form.absorbedInput()];
      put(st, outs[0], st.slots()[from], st.lanes()[from]);
    } else {
      run(step, st);
    }
    for (int slot : outs) {
      if (slot >= 0 && !form.laneOut() && st.slots()[slot] == null && st.lanes()[slot] != null) {
        materialize(st, slot);
      }
    }
    for (int slot : step.releaseAfter()) {
      st.buffers().drop(st.slots()[slot]);
      if (st.lanes()[slot] != null) {
        st.buffers().drop(st.lanes()[slot].data());
      }
      st.slots()[slot] = null;
      st.lanes()[slot] = null;
    }
  }

  private void run(Step step, RunState st) {
    Node node = step.node();
    int n = step.inputSlots().length;
    Tensor[] args = new Tensor[n];
    LaneTensor[] laneArgs = new LaneTensor[n];
    for (int i = 0; i < n; i++) {
      int slot = step.inputSlots()[i];
      args[i] = slot < 0 ? null : st.slots()[slot];
      laneArgs[i] = slot < 0 ? null : st.lanes()[slot];
    }
    List<TensorType> argTypes = argTypes(step, st);
    Tensor[] results;
    List<TensorType> outTypes;
    try {
      outTypes = ShapeInference.infer(node, argTypes);
      if (runOnLanes(step, args, laneArgs, outTypes, st)) {
        return;
      }
      for (int i = 0; i < n; i++) {
        if (args[i] == null && laneArgs[i] != null) {
          args[i] = materialize(st, step.inputSlots()[i]);
        }
      }
      results = step.kernel().run(node, args, outTypes, pool);
    } catch (GraphException | ArithmeticException e) {
      throw failure(node, e);
    }
    int[] outs = step.outputSlots();
    for (int i = 0; i < outs.length; i++) {
      if (outs[i] < 0) {
        continue;
      }
      Tensor t = i < results.length ? results[i] : null;
      TensorType want = i < outTypes.size() ? outTypes.get(i) : null;
      if (t == null || want == null || t.dtype() != want.dtype()
          || (want.hasRank() && !Arrays.equals(t.shape(), want.dims()))) {
        throw new IllegalStateException(node.label() + ": kernel produced " + t + " for output "
            + i + ", shape inference says " + want);
      }
      put(st, outs[i], t, null);
    }
  }

  /** The operands' types, from their NCHW or lane form; fails on a released operand. */
  private static List<TensorType> argTypes(Step step, RunState st) {
    Node node = step.node();
    List<TensorType> types = new ArrayList<>(step.inputSlots().length);
    for (int i = 0; i < step.inputSlots().length; i++) {
      int slot = step.inputSlots()[i];
      Tensor t = slot < 0 ? null : st.slots()[slot];
      LaneTensor l = slot < 0 ? null : st.lanes()[slot];
      if (slot >= 0 && t == null && l == null) {
        throw new IllegalStateException(node.label() + ": input '" + node.input(i)
            + "' was released before its last reader");
      }
      types.add(t != null ? typeOf(t) : l != null ? TensorType.of(DataType.FLOAT, l.shape())
          : null);
    }
    return types;
  }

  /**
   * Runs the step on lane tensors when its operator, operands and plan allow it; false leaves
   * it to the NCHW kernel. An ungrouped Conv takes a lane input or makes a lane output (then
   * absorbing its Add when the residual is a lane tensor of its shape, or its Clip); a depthwise
   * Conv goes from lanes to lanes (absorbing its Clip); Add, Relu, Clip and MaxPool (windows
   * inside the input) work on lane tensors when their output is marked; GlobalAveragePool reads
   * one into NCHW.
   */
  private boolean runOnLanes(Step step, Tensor[] args, LaneTensor[] laneArgs,
      List<TensorType> outTypes, RunState st) {
    Node node = step.node();
    Form form = step.form();
    int out = step.outputSlots().length == 1 ? step.outputSlots()[0] : -1;
    if (out < 0) {
      return false;
    }
    switch (node.op()) {
      case CONV -> {
        LaneTensor xl = laneArgs[0];
        Tensor w = args[1];
        Tensor bias = args.length > 2 ? args[2] : null;
        if ((xl == null && !form.laneOut()) || (xl == null && !args[0].dtype().isFloat())
            || w == null || !w.dtype().isFloat() || w.rank() != 4
            || (bias != null && !bias.dtype().isFloat())) {
          return false;
        }
        int[] xs = xl != null ? xl.shape() : args[0].shape();
        if (xs.length != 4) {
          return false;
        }
        Conv2dParams p = ConvKernel.params(step.node(), xs, w.shape());
        int[] shape = OpKernel.outShape(node, outTypes, 0);
        if (!Arrays.equals(shape, new int[] {p.n(), p.m(), p.outH(), p.outW()})) {
          return false;
        }
        float[] b = bias == null ? null : bias.floats();
        if (LaneConv2d.appliesDepthwise(p) && xl != null) {
          LaneTensor y = newLanes(p.n(), p.m(), p.outH(), p.outW());
          LaneConv2d.depthwise(p, xl, w.floats(), b, y, absorb(form, y, st, false), pool);
          put(st, out, null, y);
          return true;
        }
        if (!LaneConv2d.applies(p)) {
          return false;
        }
        float[] x = xl == null ? args[0].floats() : null;
        if (!form.laneOut()) {
          float[] y = RunBuffers.forOutput(p.outputSize());
          LaneConv2d.conv2d(p, null, xl, w.floats(), b, y, null, null, Clamp.relu(form.relu()),
              pool);
          put(st, out, Tensor.ofFloats(shape, y), null);
          return true;
        }
        LaneTensor y = newLanes(p.n(), p.m(), p.outH(), p.outW());
        Clamp clamp = absorb(form, y, st, true);
        LaneTensor residual = form.residualSlot() >= 0 && st.absorbed()[form.absorbs()]
            ? st.lanes()[form.residualSlot()] : null;
        LaneConv2d.conv2d(p, x, xl, w.floats(), b, null, y, residual, clamp, pool);
        put(st, out, null, y);
        return true;
      }
      case ADD -> {
        if (!form.laneOut() || laneArgs[0] == null || laneArgs[1] == null
            || !laneArgs[0].sameShape(laneArgs[1])) {
          return false;
        }
        LaneTensor a = laneArgs[0];
        LaneTensor y = newLanes(a.n(), a.c(), a.h(), a.w());
        LaneKernels.add(a, laneArgs[1], form.relu(), y, pool);
        put(st, out, null, y);
        return true;
      }
      case RELU, CLIP -> {
        if (!form.laneOut() || laneArgs[0] == null) {
          return false;
        }
        for (int i = 1; i < args.length; i++) {
          if (step.inputSlots()[i] >= 0 && args[i] == null) {
            return false; // a bound computed in lane layout: rare, left to the NCHW kernel
          }
        }
        float[] bounds = node.op() == OpType.RELU ? null : ActivationKernel.clipBounds(node, args);
        Clamp clamp = bounds == null ? Clamp.RELU : new Clamp(bounds[0], bounds[1]);
        if (!clamp.keepsZero()) {
          return false;
        }
        LaneTensor a = laneArgs[0];
        LaneTensor y = newLanes(a.n(), a.c(), a.h(), a.w());
        LaneKernels.clamp(a, clamp, y, pool);
        put(st, out, null, y);
        return true;
      }
      case MAX_POOL -> {
        LaneTensor xl = laneArgs[0];
        if (!form.laneOut() || xl == null) {
          return false;
        }
        Pool2dParams p = PoolKernel.params(node, xl.shape());
        if (!LaneKernels.maxPoolApplies(p) || !Arrays.equals(OpKernel.outShape(node, outTypes, 0),
            new int[] {p.n(), p.c(), p.outH(), p.outW()})) {
          return false;
        }
        LaneTensor y = newLanes(p.n(), p.c(), p.outH(), p.outW());
        LaneKernels.maxPool(xl, p, y, pool);
        put(st, out, null, y);
        return true;
      }
      case GLOBAL_AVERAGE_POOL -> {
        if (laneArgs[0] == null) {
          return false;
        }
        float[] y = new float[laneArgs[0].n() * laneArgs[0].c()];
        LaneKernels.globalAveragePool(laneArgs[0], y);
        put(st, out, Tensor.ofFloats(OpKernel.outShape(node, outTypes, 0), y), null);
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  /**
   * The clamp a Conv writing lane tensor {@code y} applies: its fused Relu, or, when it absorbs
   * the step its plan names (always a Clip; an Add when {@code takesResidual} and the residual
   * is a lane tensor of y's shape), that step's clamp, the step marked as absorbed for this run.
   */
  private static Clamp absorb(Form form, LaneTensor y, RunState st, boolean takesResidual) {
    Clamp own = Clamp.relu(form.relu());
    if (form.absorbs() < 0) {
      return own;
    }
    if (form.residualSlot() >= 0) {
      LaneTensor residual = st.lanes()[form.residualSlot()];
      if (!takesResidual || residual == null || !residual.sameShape(y)) {
        return own;
      }
    }
    st.absorbed()[form.absorbs()] = true;
    return form.absorbedClamp();
  }

  private static LaneTensor newLanes(int n, int c, int h, int w) {
    return new LaneTensor(n, c, h, w, RunBuffers.forOutput(LaneTensor.length(n, c, h, w)));
  }

  /** The slot now holds {@code t} and/or {@code lanes}. */
  private static void put(RunState st, int slot, Tensor t, LaneTensor lanes) {
    st.slots()[slot] = t;
    st.lanes()[slot] = lanes;
    st.buffers().hold(t);
    if (lanes != null) {
      st.buffers().hold(lanes.data());
    }
  }

  /** The NCHW form of a slot that holds only a lane tensor, kept beside it in the slot. */
  private Tensor materialize(RunState st, int slot) {
    LaneTensor l = st.lanes()[slot];
    float[] y = RunBuffers.forOutput(l.n() * l.c() * l.h() * l.w());
    LaneKernels.toNchw(l, y, pool);
    Tensor t = Tensor.ofFloats(l.shape(), y);
    st.slots()[slot] = t;
    st.buffers().hold(t);
    return t;
  }

  /**
   * The type shape inference sees: integer tensors carry their values so Reshape, Pad, Squeeze and
   * Unsqueeze resolve their shape, pads and axes operands exactly as at import.
   */
  private static TensorType typeOf(Tensor t) {
    return t.dtype().isFloat() ? t.type() : TensorType.withValues(t.dtype(), t.shape(), t.longs());
  }

  /** Wraps a node's failure once, adding the graph and the node unless the message names it. */
  private GraphException failure(Node node, RuntimeException e) {
    String what = e.getMessage();
    if (what == null && e.getCause() != null) {
      what = e.getCause().getMessage(); // fork-join may re-create the exception around the original
    }
    if (what == null) {
      what = e.getClass().getSimpleName();
    }
    String message = what.contains(node.label()) ? what : node.label() + ": " + what;
    return new GraphException(where() + ": " + message, e);
  }

  private String where() {
    String name = graph.name() == null || graph.name().isEmpty() ? graph.source() : graph.name();
    return "graph '" + name + "'";
  }

  /** Like "[1,3,28,28]", with '?' for an unknown dimension. */
  static String dimsText(int[] dims) {
    if (dims == null) {
      return "[?rank]";
    }
    StringJoiner j = new StringJoiner(",", "[", "]");
    for (int d : dims) {
      j.add(d == TensorType.UNKNOWN ? "?" : Integer.toString(d));
    }
    return j.toString();
  }

  /** Stops the worker threads; waits for running calls to finish. Idempotent. */
  @Override
  public void close() {
    Lock lock = lifecycle.writeLock();
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        pool.shutdown();
      }
    } finally {
      lock.unlock();
    }
  }
}
