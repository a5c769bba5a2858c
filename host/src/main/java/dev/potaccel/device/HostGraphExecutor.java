package dev.potaccel.device;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.emulator.HostExecutor;
import dev.potaccel.emulator.HostTensor;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.GraphException;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Buffer;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.HostCommand;
import dev.potaccel.protocol.pkg.PackageFormatException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a package's HOST commands on the CPU reference engine: imports {@code host_graph} once,
 * and builds one {@link CpuEngine} per host command over the nodes it names, fed with the
 * command's input buffers (by buffer name, which is the ONNX value name) and giving its output
 * buffers. Thread-safe, as the engines are.
 */
public final class HostGraphExecutor implements HostExecutor, AutoCloseable {
  private final Map<List<Integer>, CpuEngine> engines = new HashMap<>();

  /**
   * @param threads worker threads of each engine (0: one per processor)
   * @throws PackageFormatException if a host command names nodes or values the host graph does
   *     not have
   */
  public HostGraphExecutor(AcceleratorPackage pkg, int threads) {
    String model = pkg.getProvenance().getModelName();
    String source = "package '" + (model.isEmpty() ? "(unnamed)" : model) + "' host_graph";
    List<HostCommand> hosts = new ArrayList<>();
    List<Integer> indices = new ArrayList<>();
    for (int i = 0; i < pkg.getCommandsCount(); i++) {
      Command c = pkg.getCommands(i);
      if (c.hasHost()) {
        hosts.add(c.getHost());
        indices.add(i);
      }
    }
    if (hosts.isEmpty()) {
      return;
    }
    ModelProto proto;
    try {
      proto = ModelProto.parseFrom(pkg.getHostGraph().getOnnxModel());
    } catch (InvalidProtocolBufferException e) {
      throw new PackageFormatException(source + ": not a valid ONNX model: " + e.getMessage(), e);
    }
    Graph full = OnnxImporter.fromProto(proto, source, null);
    Map<String, Node> byName = new HashMap<>();
    for (Node n : full.nodes()) {
      byName.put(n.name(), n);
    }
    try {
      for (int h = 0; h < hosts.size(); h++) {
        HostCommand cmd = hosts.get(h);
        String where = source + ": command " + indices.get(h) + " (host '"
            + pkg.getCommands(indices.get(h)).getName() + "')";
        if (!engines.containsKey(cmd.getNodesList())) {
          Graph sub = subgraph(full, proto, byName, cmd, pkg, where);
          try {
            engines.put(cmd.getNodesList(), new CpuEngine(sub, threads));
          } catch (GraphException e) { // a node reads a value nothing defines before it
            throw new PackageFormatException(where + ": " + e.getMessage(), e);
          }
        }
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private static Graph subgraph(Graph full, ModelProto proto, Map<String, Node> byName,
      HostCommand cmd, AcceleratorPackage pkg, String where) {
    List<Node> nodes = new ArrayList<>();
    for (int index : cmd.getNodesList()) {
      if (index < 0 || index >= proto.getGraph().getNodeCount()) {
        throw new PackageFormatException(where + ": node " + Integer.toUnsignedString(index)
            + " does not exist (the host graph has " + proto.getGraph().getNodeCount()
            + " nodes)");
      }
      Node n = byName.get(proto.getGraph().getNode(index).getName());
      if (n == null) {
        throw new PackageFormatException(where + ": host graph node " + index
            + " has no unique name");
      }
      nodes.add(n);
    }
    List<ValueInfo> inputs = new ArrayList<>();
    for (int b : cmd.getInputsList()) {
      String name = buffer(pkg, b, where).getName();
      TensorType t = full.typeOf(name);
      inputs.add(new ValueInfo(name, t != null ? t : TensorType.unknownRank(
          DataType.FLOAT)));
    }
    List<ValueInfo> outputs = new ArrayList<>();
    for (int b : cmd.getOutputsList()) {
      String name = buffer(pkg, b, where).getName();
      outputs.add(new ValueInfo(name, TensorType.unknownRank(DataType.FLOAT)));
    }
    return new Graph(full.name(), where, full.opset(), inputs, outputs, full.initializers(),
        nodes, full.valueTypes());
  }

  private static Buffer buffer(AcceleratorPackage pkg, int index, String where) {
    if (index < 0 || index >= pkg.getBuffersCount()) {
      throw new PackageFormatException(where + ": buffer " + Integer.toUnsignedString(index)
          + " does not exist");
    }
    return pkg.getBuffers(index);
  }

  @Override
  public void run(HostCommand command, List<HostTensor> inputs, List<HostTensor> outputs) {
    CpuEngine engine = engines.get(command.getNodesList());
    if (engine == null) {
      throw new IllegalStateException("no engine for host nodes " + command.getNodesList()
          + "; was this executor built for another package?");
    }
    Map<String, Tensor> feed = new HashMap<>();
    for (HostTensor t : inputs) {
      feed.put(t.name(), Tensor.ofFloats(t.shape(), t.values()));
    }
    Map<String, Tensor> result = engine.run(feed);
    for (HostTensor out : outputs) {
      Tensor t = result.get(out.name());
      if (t == null || t.size() != out.values().length) {
        throw new IllegalStateException("host nodes " + command.getNodesList() + " gave "
            + (t == null ? "no '" + out.name() + "'" : "'" + out.name() + "' " + t)
            + " for output buffer " + out);
      }
      System.arraycopy(t.floats(), 0, out.values(), 0, t.size());
    }
  }

  /** Stops every engine's threads; idempotent. */
  @Override
  public void close() {
    engines.values().forEach(CpuEngine::close);
  }
}
