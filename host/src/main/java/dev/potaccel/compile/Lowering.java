package dev.potaccel.compile;

import com.google.protobuf.ByteString;
import dev.potaccel.compile.LayerReport.Placement;
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
import dev.potaccel.protocol.pkg.AddCommand;
import dev.potaccel.protocol.pkg.Buffer;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.CodebookEntry;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.ConvCommand;
import dev.potaccel.protocol.pkg.ConvertCommand;
import dev.potaccel.protocol.pkg.HostCommand;
import dev.potaccel.protocol.pkg.PoolCommand;
import dev.potaccel.protocol.pkg.PoolKind;
import dev.potaccel.protocol.pkg.PowerOfTwoTerm;
import dev.potaccel.protocol.pkg.Region;
import dev.potaccel.protocol.pkg.Requantize;
import dev.potaccel.protocol.pkg.ReshapeCommand;
import dev.potaccel.protocol.pkg.TileSchedule;
import dev.potaccel.protocol.pkg.TileScheduler;
import dev.potaccel.protocol.pkg.TileScheduler.ConvShape;
import dev.potaccel.protocol.pkg.WeightFormat;
import dev.potaccel.protocol.pkg.WeightLayout;
import dev.potaccel.protocol.pkg.WeightPacker;
import dev.potaccel.protocol.pkg.WeightTiling;
import dev.potaccel.quantize.ActivationFormat;
import dev.potaccel.quantize.QuantizedGraph;
import dev.potaccel.quantize.QuantizedWeights;
import dev.potaccel.quantize.WeightCodebook;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a planned graph into the package's buffers and commands, in the graph's order. Every ONNX
 * value may live in a code buffer, an FP32 buffer or both; CONVERT commands are added where a
 * command needs the other form: model inputs arrive as FP32 and are quantized before the first
 * accelerator command, host commands get dequantized values, and model outputs leave as FP32.
 * Consecutive host nodes form one HOST command.
 */
final class Lowering {
  private final QuantizedGraph q;
  private final Graph g;
  private final Planner plan;
  private final CompileOptions opts;
  private final WeightTiling tiling;
  final List<Buffer> buffers = new ArrayList<>();
  final List<Command> commands = new ArrayList<>();
  final List<Codebook> codebooks = new ArrayList<>();
  final List<Integer> inputBuffers = new ArrayList<>();
  final List<Integer> outputBuffers = new ArrayList<>();
  final List<LayerReport> layers = new ArrayList<>();
  final Set<WeightFormat> formats = EnumSet.noneOf(WeightFormat.class);
  /** The largest {@code k} of any TERMS codebook (requirements.max_terms), 0 without one. */
  int maxTerms;
  final ByteArrayOutputStream weights = new ByteArrayOutputStream();
  final ByteArrayOutputStream biases = new ByteArrayOutputStream();
  final HostGraphWriter host;
  long maxTileBytes;
  private final Map<WeightCodebook, Integer> codebookIndex = new HashMap<>();
  private final Map<String, Integer> codes = new HashMap<>();
  private final Map<String, Integer> floats = new HashMap<>();
  private final Map<Integer, ActivationFormat> codeFormat = new HashMap<>();
  /** Canonical values read by each live emitting node, to find what a host group must output. */
  private final Map<String, Set<Node>> readersOf = new HashMap<>();
  private final Set<String> outputValues = new HashSet<>();
  private final List<Node> hostGroup = new ArrayList<>();

  Lowering(QuantizedGraph q, CompileOptions opts) {
    this.q = q;
    this.g = q.graph();
    this.opts = opts;
    this.tiling = opts.tiling();
    this.plan = new Planner(q).plan();
    this.host = new HostGraphWriter(g.opset());
  }

  Lowering run() {
    for (Node n : g.nodes()) {
      if (plan.isLive(n) && plan.planOf(n).kind() != Kind.FUSED) {
        for (String in : plan.dataInputs(n)) {
          readersOf.computeIfAbsent(plan.canonical(in), k -> identitySet()).add(n);
        }
      }
    }
    for (ValueInfo o : g.outputs()) {
      outputValues.add(plan.canonical(o.name()));
    }
    for (ValueInfo in : g.inputs()) {
      if (in.type().dtype() != DataType.FLOAT) {
        throw new CompileException(where() + ": model input '" + in.name() + "' is "
            + in.type() + "; the accelerator's inputs are FP32");
      }
      int b = addFloats(in.name(), perImage(in.name()));
      floats.put(in.name(), b);
      inputBuffers.add(b);
    }
    for (Node n : g.nodes()) {
      if (!plan.isLive(n)) {
        continue;
      }
      OpPlan p = plan.planOf(n);
      if (p.kind() == Kind.HOST) {
        hostGroup.add(n);
        continue;
      }
      if (p.emitsNothing()) {
        continue;
      }
      flushHost();
      switch (p.kind()) {
        case CONV -> conv(n, p);
        case GEMM -> gemm(n, p);
        case POOL -> pool(n);
        case ADD -> add(n, p);
        case VIEW -> view(n);
        default -> throw new IllegalStateException(p.kind().toString());
      }
    }
    flushHost();
    for (ValueInfo o : g.outputs()) {
      outputBuffers.add(floatsOf(plan.canonical(o.name())));
    }
    return this;
  }

  // ---- accelerator commands ----

  private void conv(Node n, OpPlan p) {
    QuantizedWeights w = q.weightsOf(n.name());
    int in = codesOf(plan.canonical(n.input(0)), w);
    int[] x = buffers.get(in).getShapeList().stream().mapToInt(Integer::intValue).toArray();
    WindowGeometry geo = WindowGeometry.resolve(n, new int[] {x[1], x[2]},
        new int[] {w.kernelH(), w.kernelW()}, false);
    int group = (int) n.attributes().getInt("group", 1);
    String outValue = output(n, p);
    int out = addCodes(outValue, perImage(outValue), formatOf(outValue, n));
    ConvCommand.Builder c = ConvCommand.newBuilder().setInput(in).setOutput(out)
        .setOutChannels(w.outChannels()).setKernelH(w.kernelH()).setKernelW(w.kernelW())
        .setStrideH(geo.strides()[0]).setStrideW(geo.strides()[1])
        .setDilationH(geo.dilations()[0]).setDilationW(geo.dilations()[1])
        .setPadTop(geo.padsBegin()[0]).setPadLeft(geo.padsBegin()[1])
        .setPadBottom(geo.padsEnd()[0]).setPadRight(geo.padsEnd()[1]).setGroups(group);
    String what = String.format("conv %dx%d %d->%d%s%s", w.kernelH(), w.kernelW(), x[0],
        w.outChannels(), geo.strides()[0] > 1 ? " /" + geo.strides()[0] : "",
        group > 1 ? " g" + group : "");
    weighted(n, p, c, w, in, out, what);
  }

  private void gemm(Node n, OpPlan p) {
    QuantizedWeights w = q.weightsOf(n.name());
    int in = codesOf(plan.canonical(n.input(0)), w);
    String outValue = output(n, p);
    int out = addCodes(outValue, perImage(outValue), formatOf(outValue, n));
    ConvCommand.Builder c = ConvCommand.newBuilder().setInput(in).setOutput(out)
        .setOutChannels(w.outChannels()).setKernelH(1).setKernelW(1).setStrideH(1).setStrideW(1)
        .setDilationH(1).setDilationW(1).setGroups(1);
    weighted(n, p, c, w, in, out,
        String.format("fc %d->%d (1x1 conv)", w.inChannelsPerGroup(), w.outChannels()));
  }

  /**
   * Checks the accumulator bound, plans the tile schedule, packs weights and bias, adds the CONV
   * command.
   */
  private void weighted(Node n, OpPlan p, ConvCommand.Builder c, QuantizedWeights w, int in,
      int out, String what) {
    ActivationFormat fx = codeFormat.get(in);
    ActivationFormat fy = codeFormat.get(out);
    int[] bias = checkAccumulators(n, w, fx);
    int bits = w.codebook().bits();
    int m = w.outChannels();
    ConvShape shape = ConvShape.of(buffers.get(in), buffers.get(out), c, bits, tiling);
    TileSchedule schedule = schedule(n, shape, what);
    c.setSchedule(schedule);
    byte[] packed = WeightPacker.pack(w.codes(), m, w.inChannelsPerGroup(), w.kernelH(),
        w.kernelW(), bits, tiling);
    maxTileBytes = Math.max(maxTileBytes, WeightPacker.tileDataBytes(w.inChannelsPerGroup(),
        w.kernelH(), w.kernelW(), bits, tiling));
    c.setCodebook(codebook(w.codebook()));
    c.setWeights(append(weights, packed));
    c.setBias(append(biases, WeightPacker.packBias(bias, tiling)));
    Requantize.Builder rq = Requantize.newBuilder().setActivation(p.activation())
        .setLeakyShift(p.leakyShift());
    int[] frac = w.frac();
    for (int ch = 0; ch < m; ch++) {
      c.addWeightFracBits(frac[ch]);
      rq.addShift(fx.frac() + frac[ch] - fy.frac());
    }
    c.setRequantize(rq);
    layers.add(new LayerReport(commands.size(), name(n, p), what + suffix(p.activation()),
        Placement.ACCELERATOR, bits, (long) m * w.perChannel(), packed.length,
        shape.weights().tiles(), split(shape, schedule)));
    commands.add(Command.newBuilder().setName(name(n, p)).setConv(c).build());
  }

  /**
   * The tile schedule that fits the target's buffers (docs/accelerator.md §4.1): a layer too
   * large is split into passes of weight tiles and bands of output rows.
   *
   * @throws CompileException naming the layer, the sizes and the buffer when not even one weight
   *     tile or one output row fits
   */
  private TileSchedule schedule(Node n, ConvShape shape, String what) {
    try {
      return TileScheduler.plan(shape, opts.buffers());
    } catch (TileScheduler.DoesNotFit e) {
      throw new CompileException(where() + ": layer '" + n.name() + "' (" + n.op().onnxName()
          + ", " + what + "): " + e.getMessage() + " of accelerator '" + opts.target().name()
          + "'. Layers are split into passes of weight tiles and bands of output rows, but not"
          + " below one tile and one row: compile for an accelerator with larger buffers");
    }
  }

  /** "2 weight passes of 3 tiles, bands of 4 output rows"; empty when nothing is cut. */
  private static String split(ConvShape shape, TileSchedule t) {
    List<String> parts = new ArrayList<>();
    long passes = TileScheduler.passes(shape, t);
    if (passes > 1) {
      WeightLayout w = shape.weights();
      parts.add(passes + " weight passes of " + t.getWeightTilesPerPass() + " of " + w.tiles()
          + " tiles");
    }
    if (t.getRowsPerBand() > 0) {
      parts.add("bands of " + t.getRowsPerBand() + " of " + shape.outHeight() + " output rows");
    }
    return String.join(", ", parts);
  }

  /**
   * Proves {@code xmax · Σ|v| + |bias| <= 2^31 - 1} for every output channel (docs/accelerator.md
   * §1.4) and returns the biases as ints.
   *
   * @throws CompileException naming the layer, channel and bound when it does not hold
   */
  private int[] checkAccumulators(Node n, QuantizedWeights w, ActivationFormat fx) {
    long xmax = fx.maxMagnitude();
    long[] bias = w.bias();
    int[] out = new int[bias.length];
    for (int ch = 0; ch < w.outChannels(); ch++) {
      long sum = 0;
      for (int j = 0; j < w.perChannel(); j++) {
        sum += Math.abs(w.level(ch, j));
      }
      long bound = xmax * sum + Math.abs(bias[ch]);
      if (bound > Integer.MAX_VALUE) {
        throw new CompileException(where() + ": layer '" + n.name() + "' ("
            + n.op().onnxName() + "), output channel " + ch + ": the int32 accumulator could"
            + " overflow: xmax·Σ|v| + |bias| = " + xmax + "·" + sum + " + " + Math.abs(bias[ch])
            + " = " + bound + " > 2^31 - 1 (docs/accelerator.md §1.4) with " + fx
            + " inputs and " + w.codebook() + " weights; the layer has too many inputs per"
            + " output (" + w.perChannel() + ") or too large a bias for the accelerator");
      }
      out[ch] = (int) bias[ch];
    }
    return out;
  }

  private void pool(Node n) {
    int in = codesOf(plan.canonical(n.input(0)), null);
    ActivationFormat f = codeFormat.get(in);
    String outValue = n.outputs().get(0);
    int[] x = buffers.get(in).getShapeList().stream().mapToInt(Integer::intValue).toArray();
    int out = addCodes(outValue, perImage(outValue), f);
    PoolCommand.Builder c = PoolCommand.newBuilder().setInput(in).setOutput(out);
    long window;
    String what;
    if (n.op() == OpType.GLOBAL_AVERAGE_POOL) {
      c.setKind(PoolKind.GLOBAL_AVERAGE).setKernelH(x[1]).setKernelW(x[2]).setStrideH(1)
          .setStrideW(1);
      window = (long) x[1] * x[2];
      what = "global avg " + x[1] + "x" + x[2];
    } else {
      PoolGeometry geo = PoolGeometry.of(n, x);
      boolean max = n.op() == OpType.MAX_POOL;
      c.setKind(max ? PoolKind.MAX : PoolKind.AVERAGE).setKernelH(geo.kh()).setKernelW(geo.kw())
          .setStrideH(geo.sh()).setStrideW(geo.sw()).setPadTop(geo.pt()).setPadLeft(geo.pl())
          .setPadBottom(geo.pb()).setPadRight(geo.pr());
      window = (long) geo.kh() * geo.kw();
      what = (max ? "max " : "avg ") + geo.kh() + "x" + geo.kw()
          + (geo.sh() > 1 ? " /" + geo.sh() : "");
    }
    if (c.getKind() != PoolKind.MAX) {
      c.setReciprocal((int) ((2 * 65536L + window) / (2 * window))); // round(2^16/n), ties up
    }
    add(Command.newBuilder().setName(n.name()).setPool(c).build(), what, Placement.ACCELERATOR);
  }

  private void add(Node n, OpPlan p) {
    int a = codesOf(plan.canonical(n.input(0)), null);
    int b = codesOf(plan.canonical(n.input(1)), null);
    String outValue = output(n, p);
    ActivationFormat fy = formatOf(outValue, n);
    int out = addCodes(outValue, perImage(outValue), fy);
    int f = Math.max(codeFormat.get(a).frac(), codeFormat.get(b).frac());
    AddCommand.Builder c = AddCommand.newBuilder().setInputA(a).setInputB(b).setOutput(out)
        .setRequantize(Requantize.newBuilder().addShift(f - fy.frac())
            .setActivation(p.activation()).setLeakyShift(p.leakyShift()));
    add(Command.newBuilder().setName(name(n, p)).setAdd(c).build(),
        "add" + suffix(p.activation()), Placement.ACCELERATOR);
  }

  /**
   * A view of the input's codes; of its FP32 values when it has none and only host nodes read
   * the view.
   */
  private void view(Node n) {
    String in = plan.canonical(n.input(0));
    String outValue = n.outputs().get(0);
    Integer src = codes.get(in);
    if (src == null && feedsAccelerator(outValue) && q.activation(in) != null) {
      src = codesOf(in, null);
    }
    boolean onCodes = src != null;
    if (!onCodes) {
      src = floats.get(in);
      if (src == null) {
        throw new IllegalStateException(n.label() + ": input '" + in + "' has no buffer");
      }
    }
    Buffer from = buffers.get(src);
    int[] shape = perImage(outValue);
    int out = onCodes ? addCodes(outValue, shape, codeFormat.get(src))
        : addFloats(outValue, shape);
    (onCodes ? codes : floats).put(outValue, out);
    add(Command.newBuilder().setName(n.name())
            .setReshape(ReshapeCommand.newBuilder().setInput(src).setOutput(out)).build(),
        "view " + shapeText(from.getShapeList()) + " -> " + Arrays.toString(shape)
            .replace(" ", ""), Placement.ACCELERATOR);
  }

  /** Whether an accelerator command reads {@code value} (through views and aliases too). */
  private boolean feedsAccelerator(String value) {
    for (Node r : readersOf.getOrDefault(plan.canonical(value), Set.of())) {
      Kind k = plan.planOf(r).kind();
      if (k == Kind.CONV || k == Kind.GEMM || k == Kind.POOL || k == Kind.ADD
          || (k == Kind.VIEW && feedsAccelerator(r.outputs().get(0)))) {
        return true;
      }
    }
    return false;
  }

  // ---- host commands ----

  /** Emits the pending host nodes as one HOST command. */
  private void flushHost() {
    if (hostGroup.isEmpty()) {
      return;
    }
    Set<Node> group = identitySet();
    group.addAll(hostGroup);
    Set<String> produced = new HashSet<>();
    Map<String, Integer> inputs = new LinkedHashMap<>();
    List<Integer> nodes = new ArrayList<>();
    Set<String> reasons = new LinkedHashSet<>();
    for (Node n : hostGroup) {
      List<String> renamed = new ArrayList<>();
      for (String in : n.inputs()) {
        if (in.isEmpty()) {
          renamed.add(in);
          continue;
        }
        Tensor constant = plan.constants().of(in);
        if (constant != null) {
          host.addInitializer(in, constant);
          renamed.add(in);
          continue;
        }
        String c = plan.canonical(in);
        renamed.add(c);
        if (!produced.contains(c) && !inputs.containsKey(c)) {
          TensorType t = g.typeOf(c);
          if (t != null && t.dtype() != DataType.FLOAT) {
            throw new CompileException(where() + ": " + n.label() + " reads the integer value '"
                + c + "', computed at run time by another part of the graph; only FP32 values"
                + " pass between the accelerator and the host");
          }
          inputs.put(c, floatsOf(c));
          host.addInput(c, t);
        }
      }
      nodes.add(host.addNode(n, renamed));
      n.outputs().stream().filter(o -> !o.isEmpty()).forEach(produced::add);
      reasons.add(plan.planOf(n).reason());
    }
    List<Integer> outputs = new ArrayList<>();
    for (String v : produced) {
      boolean readOutside = readersOf.getOrDefault(v, Set.of()).stream()
          .anyMatch(r -> !group.contains(r));
      if (!readOutside && !outputValues.contains(v)) {
        continue;
      }
      TensorType t = g.typeOf(v);
      if (t != null && t.dtype() != DataType.FLOAT) {
        throw new CompileException(where() + ": the integer value '" + v + "' computed on the"
            + " host is read by the accelerator; only FP32 values pass between them");
      }
      int b = addFloats(v, perImage(v));
      floats.put(v, b);
      outputs.add(b);
      host.addOutput(v, t);
    }
    StringBuilder names = new StringBuilder();
    StringBuilder ops = new StringBuilder();
    for (Node n : hostGroup) {
      names.append(names.length() == 0 ? "" : ", ").append(n.name());
      ops.append(ops.length() == 0 ? "" : " ").append(n.op().onnxName());
    }
    HostCommand.Builder c = HostCommand.newBuilder().addAllInputs(inputs.values())
        .addAllOutputs(outputs).addAllNodes(nodes).setReason(String.join("; ", reasons));
    add(Command.newBuilder().setName(names.toString()).setHost(c).build(), "host " + ops,
        Placement.HOST);
    hostGroup.clear();
  }

  // ---- buffers and conversions ----

  /**
   * The code buffer of {@code value}, quantizing its FP32 buffer first if it has none. With
   * {@code w}, checks the format is the one the layer's bias was scaled for.
   */
  private int codesOf(String value, QuantizedWeights w) {
    Integer b = codes.get(value);
    if (b == null) {
      Integer fp = floats.get(value);
      if (fp == null) {
        throw new IllegalStateException("value '" + value + "' has no buffer yet");
      }
      ActivationFormat f = q.activation(value);
      if (f == null) {
        throw new CompileException(where() + ": value '" + value + "' has no calibrated range;"
            + " calibration must run the same graph");
      }
      b = addCodes(value, perImage(buffers.get(fp)), f);
      add(Command.newBuilder().setName(value)
              .setConvert(ConvertCommand.newBuilder().setInput(fp).setOutput(b)).build(),
          "quantize to " + f, Placement.BOUNDARY);
    }
    if (w != null && codeFormat.get(b).frac() != w.inputFrac()) {
      throw new IllegalStateException(w.node() + ": input '" + value + "' has "
          + codeFormat.get(b) + " but the bias was scaled for F_x = " + w.inputFrac());
    }
    return b;
  }

  /** The FP32 buffer of {@code value}, dequantizing its codes first if it has none. */
  private int floatsOf(String value) {
    Integer b = floats.get(value);
    if (b != null) {
      return b;
    }
    Integer cb = codes.get(value);
    if (cb == null) {
      throw new IllegalStateException("value '" + value + "' has no buffer yet");
    }
    int fb = addFloats(value, perImage(buffers.get(cb)));
    floats.put(value, fb);
    add(Command.newBuilder().setName(value)
            .setConvert(ConvertCommand.newBuilder().setInput(cb).setOutput(fb)).build(),
        "dequantize from " + codeFormat.get(cb), Placement.BOUNDARY);
    return fb;
  }

  private int addCodes(String value, int[] shape, ActivationFormat f) {
    Buffer.Builder b = Buffer.newBuilder().setName(value).setBits(f.bits())
        .setIsSigned(f.signed()).setFracBits(f.frac());
    for (int d : shape) {
      b.addShape(d);
    }
    buffers.add(b.build());
    int index = buffers.size() - 1;
    codes.put(value, index);
    codeFormat.put(index, f);
    return index;
  }

  private int addFloats(String value, int[] shape) {
    Buffer.Builder b = Buffer.newBuilder().setName(value).setBits(32).setIsFloat(true)
        .setIsSigned(true);
    for (int d : shape) {
      b.addShape(d);
    }
    buffers.add(b.build());
    return buffers.size() - 1;
  }

  private ActivationFormat formatOf(String value, Node n) {
    ActivationFormat f = q.activation(value);
    if (f == null) {
      throw new CompileException(where() + ": " + n.label() + ": output '" + value + "' has no"
          + " calibrated range; calibration must run the same graph");
    }
    return f;
  }

  /** The shape of {@code value} without the batch dimension. */
  private int[] perImage(String value) {
    int[] shape = plan.perImage(value, -1);
    if (shape == null) {
      throw new CompileException(where() + ": value '" + value + "' has shape "
          + g.typeOf(value) + "; the accelerator needs every dimension but the batch known");
    }
    return shape;
  }

  private static int[] perImage(Buffer b) {
    return b.getShapeList().stream().mapToInt(Integer::intValue).toArray();
  }

  // ---- weights ----

  private int codebook(WeightCodebook cb) {
    return codebookIndex.computeIfAbsent(cb, k -> {
      Codebook.Builder b = Codebook.newBuilder().setFormat(k.format()).setBits(k.bits());
      if (k.format() == WeightFormat.TERMS) {
        // §2: TERMS needs 1 <= k <= 3 even for a table of zeros
        b.setMaxTerms(Math.max(1, k.maxTerms()));
        maxTerms = Math.max(maxTerms, Math.max(1, k.maxTerms()));
      }
      int[] levels = k.levels();
      for (int c = 0; c < levels.length; c++) {
        int level = levels[c];
        CodebookEntry.Builder e = CodebookEntry.newBuilder().setValue(level);
        if (k.format() == WeightFormat.POT && level != 0) {
          e.addTerms(PowerOfTwoTerm.newBuilder().setNegative(level < 0)
              .setExponent(Integer.numberOfTrailingZeros(Math.abs(level))));
        } else if (k.format() == WeightFormat.TERMS) {
          for (WeightCodebook.Term t : k.terms(c)) { // the fewest terms: its NAF
            e.addTerms(PowerOfTwoTerm.newBuilder().setNegative(t.negative())
                .setExponent(t.exponent()));
          }
        }
        b.addEntries(e);
      }
      codebooks.add(b.build());
      formats.add(k.format());
      return codebooks.size() - 1;
    });
  }

  /** Appends a block at the next burst boundary. */
  private Region append(ByteArrayOutputStream blob, byte[] block) {
    int burst = tiling.burstBytes();
    while (blob.size() % burst != 0) {
      blob.write(0);
    }
    long offset = blob.size();
    blob.writeBytes(block);
    return Region.newBuilder().setOffset(offset).setLength(block.length).build();
  }

  // ---- helpers ----

  /** Adds a command without weights. */
  private void add(Command c, String what, Placement where) {
    commands.add(c);
    layers.add(new LayerReport(commands.size() - 1, c.getName(), what, where, 0, 0, 0, 0, ""));
  }

  /** The value a layer writes: its fused activation's output, else its own. */
  private static String output(Node n, OpPlan p) {
    return p.activationNode() != null ? p.activationNode().outputs().get(0) : n.outputs().get(0);
  }

  private static String name(Node n, OpPlan p) {
    return p.activationNode() != null ? n.name() + "+" + p.activationNode().name() : n.name();
  }

  private static String suffix(Activation a) {
    return switch (a) {
      case RELU -> " +relu";
      case RELU6 -> " +relu6";
      case LEAKY_RELU -> " +leaky";
      default -> "";
    };
  }

  private static String shapeText(List<Integer> shape) {
    return shape.toString().replace(" ", "");
  }

  private String where() {
    return opts.modelName();
  }

  /** A set of nodes by identity (nodes are records; two equal ones are still two nodes). */
  private static Set<Node> identitySet() {
    return Collections.newSetFromMap(new IdentityHashMap<>());
  }

  ByteString hostGraph() {
    return host.toBytes();
  }
}
