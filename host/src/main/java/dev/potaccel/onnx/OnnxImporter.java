package dev.potaccel.onnx;

import dev.potaccel.graph.Attribute;
import dev.potaccel.graph.Attributes;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.GraphException;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.ShapeInference;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.UnsupportedOperatorException;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.protocol.onnx.OnnxProto.AttributeProto;
import dev.potaccel.protocol.onnx.OnnxProto.GraphProto;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import dev.potaccel.protocol.onnx.OnnxProto.NodeProto;
import dev.potaccel.protocol.onnx.OnnxProto.OperatorSetIdProto;
import dev.potaccel.protocol.onnx.OnnxProto.TensorProto;
import dev.potaccel.protocol.onnx.OnnxProto.TensorShapeProto;
import dev.potaccel.protocol.onnx.OnnxProto.TypeProto;
import dev.potaccel.protocol.onnx.OnnxProto.ValueInfoProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads an ONNX model file into a {@link Graph}: decodes initializers and attributes, checks that
 * every operator is supported (all unsupported ones are reported at once), orders the nodes
 * topologically (a cycle is an error) and infers the type of every value.
 */
public final class OnnxImporter {
  private OnnxImporter() {}

  /**
   * @throws ModelFormatException for a file that is not valid ONNX or not a consistent network
   * @throws UnsupportedOperatorException for operators or types potaccel does not implement
   */
  public static Graph read(Path file) {
    ModelProto model = parse(file);
    Path dir = file.toAbsolutePath().getParent();
    return fromProto(model, file.getFileName().toString(), dir);
  }

  static ModelProto parse(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      CodedInputStream cin = CodedInputStream.newInstance(in);
      cin.setSizeLimit(Integer.MAX_VALUE);
      ModelProto m = ModelProto.parseFrom(cin);
      if (!m.hasGraph()) {
        throw new ModelFormatException(file + ": not an ONNX model (no graph; is this the right"
            + " file?)");
      }
      return m;
    } catch (InvalidProtocolBufferException e) {
      throw new ModelFormatException(file + ": not a valid ONNX model (corrupt or truncated"
          + " protobuf: " + e.getMessage() + ")", e);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(file + ": file not found", e);
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Builds the graph of an already parsed model.
   *
   * @param source name used in messages
   * @param dir folder that external data is resolved in (null: external data refused)
   */
  public static Graph fromProto(ModelProto model, String source, Path dir) {
    GraphProto g = model.getGraph();
    checkSupported(g, source);
    int opset = defaultOpset(model, source);

    Map<String, Tensor> initializers = new LinkedHashMap<>();
    for (TensorProto t : g.getInitializerList()) {
      String where = source + ": initializer '" + t.getName() + "'";
      if (t.getName().isEmpty()) {
        throw new ModelFormatException(source + ": an initializer has no name");
      }
      initializers.put(t.getName(), TensorDecoder.decode(t, dir, where));
    }
    if (g.getSparseInitializerCount() > 0) {
      throw new UnsupportedOperatorException(source + ": sparse initializers are not supported");
    }

    List<ValueInfo> inputs = new ArrayList<>();
    for (ValueInfoProto v : g.getInputList()) {
      if (!initializers.containsKey(v.getName())) {
        inputs.add(new ValueInfo(v.getName(), typeOf(v, source + ": graph input")));
      }
    }
    List<ValueInfo> outputs = new ArrayList<>();
    for (ValueInfoProto v : g.getOutputList()) {
      outputs.add(new ValueInfo(v.getName(), typeOf(v, source + ": graph output")));
    }

    List<Node> nodes = new ArrayList<>();
    int index = 0;
    for (NodeProto np : g.getNodeList()) {
      String name = np.getName().isEmpty() ? np.getOpType() + "_" + index : np.getName();
      index++;
      List<Attribute> attrs = new ArrayList<>();
      for (AttributeProto a : np.getAttributeList()) {
        Attribute conv = attribute(a, dir, source + ": node '" + name + "' attribute '"
            + a.getName() + "'");
        if (conv != null) {
          attrs.add(conv);
        }
      }
      nodes.add(new Node(name, OpType.ofOnnx(np.getOpType()), np.getInputList(),
          np.getOutputList(), new Attributes(name, attrs), opset));
    }
    List<Node> sorted = topologicalOrder(nodes, inputs, initializers, source);

    Map<String, TensorType> types = new HashMap<>();
    for (ValueInfo v : inputs) {
      types.put(v.name(), v.type());
    }
    initializers.forEach((k, t) -> types.put(k, t.type()));
    for (Node n : sorted) {
      List<TensorType> in = new ArrayList<>();
      for (String s : n.inputs()) {
        in.add(s.isEmpty() ? null : types.get(s));
      }
      List<TensorType> out;
      try {
        out = ShapeInference.infer(n, in);
      } catch (UnsupportedOperatorException e) {
        throw new UnsupportedOperatorException(source + ": " + e.getMessage());
      } catch (GraphException | ArithmeticException e) {
        throw new ModelFormatException(source + ": " + messageWithLabel(n, e), e);
      }
      for (int i = 0; i < out.size() && i < n.outputs().size(); i++) {
        if (!n.outputs().get(i).isEmpty()) {
          types.put(n.outputs().get(i), out.get(i));
        }
      }
    }
    for (ValueInfo o : outputs) {
      TensorType inferred = types.get(o.name());
      if (inferred == null) {
        throw new ModelFormatException(source + ": graph output '" + o.name()
            + "' is not produced by any node");
      }
      checkDeclared(o, inferred, source);
    }
    return new Graph(g.getName(), source, opset, inputs, outputs, initializers, sorted, types);
  }

  private static String messageWithLabel(Node n, RuntimeException e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    return m.startsWith("node '") ? m : n.label() + ": " + m;
  }

  private static int defaultOpset(ModelProto model, String source) {
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        return Math.toIntExact(o.getVersion());
      }
    }
    if (model.getOpsetImportCount() == 0 && model.getIrVersion() < 3) {
      return 1; // IR < 3 predates opset_import: opset 1 semantics
    }
    throw new ModelFormatException(source + ": the model imports no default-domain opset");
  }

  private static void checkSupported(GraphProto g, String source) {
    Map<String, List<String>> unsupported = new TreeMap<>();
    int index = 0;
    for (NodeProto n : g.getNodeList()) {
      String name = n.getName().isEmpty() ? n.getOpType() + "_" + index : n.getName();
      index++;
      boolean defaultDomain = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
      if (!defaultDomain || OpType.ofOnnx(n.getOpType()) == null) {
        String op = defaultDomain ? n.getOpType() : n.getDomain() + "::" + n.getOpType();
        unsupported.computeIfAbsent(op, k -> new ArrayList<>()).add(name);
      }
    }
    if (!unsupported.isEmpty()) {
      StringBuilder sb = new StringBuilder(source).append(": ").append(unsupported.size())
          .append(" unsupported op").append(unsupported.size() == 1 ? "" : "s").append(": ");
      int k = 0;
      for (Map.Entry<String, List<String>> e : unsupported.entrySet()) {
        if (k++ > 0) {
          sb.append(", ");
        }
        List<String> names = e.getValue();
        sb.append(e.getKey()).append(" (")
            .append(String.join(", ", names.subList(0, Math.min(3, names.size()))))
            .append(names.size() > 3 ? " and " + (names.size() - 3) + " more" : "").append(')');
      }
      throw new UnsupportedOperatorException(sb.toString());
    }
  }

  /** Kahn's algorithm; keeps the file's order where it is already valid. */
  private static List<Node> topologicalOrder(List<Node> nodes, List<ValueInfo> inputs,
      Map<String, Tensor> initializers, String source) {
    Map<String, Integer> producer = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (String o : nodes.get(i).outputs()) {
        if (o.isEmpty()) {
          continue;
        }
        if (producer.put(o, i) != null || initializers.containsKey(o)) {
          throw new ModelFormatException(source + ": value '" + o + "' is produced twice ("
              + nodes.get(i).label() + " and an earlier node or initializer)");
        }
      }
    }
    Set<String> available = new LinkedHashSet<>(initializers.keySet());
    inputs.forEach(v -> available.add(v.name()));
    int[] pending = new int[nodes.size()];
    Map<String, List<Integer>> consumers = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      for (String s : new LinkedHashSet<>(n.inputs())) {
        if (s.isEmpty() || available.contains(s)) {
          continue;
        }
        if (!producer.containsKey(s)) {
          throw new ModelFormatException(source + ": " + n.label() + " reads '" + s
              + "', which is no graph input, initializer or node output (missing initializer?)");
        }
        pending[i]++;
        consumers.computeIfAbsent(s, k -> new ArrayList<>()).add(i);
      }
    }
    Deque<Integer> ready = new ArrayDeque<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (pending[i] == 0) {
        ready.add(i);
      }
    }
    List<Node> order = new ArrayList<>(nodes.size());
    boolean[] done = new boolean[nodes.size()];
    while (!ready.isEmpty()) {
      int i = ready.poll();
      done[i] = true;
      order.add(nodes.get(i));
      for (String o : nodes.get(i).outputs()) {
        for (int c : consumers.getOrDefault(o, List.of())) {
          if (--pending[c] == 0) {
            ready.add(c);
          }
        }
      }
    }
    if (order.size() != nodes.size()) {
      List<String> stuck = new ArrayList<>();
      for (int i = 0; i < nodes.size() && stuck.size() < 5; i++) {
        if (!done[i]) {
          stuck.add("'" + nodes.get(i).name() + "'");
        }
      }
      throw new ModelFormatException(source + ": the graph has a cycle through nodes "
          + String.join(", ", stuck));
    }
    return order;
  }

  private static TensorType typeOf(ValueInfoProto v, String where) {
    if (!v.hasType() || !v.getType().hasTensorType()) {
      if (v.hasType() && v.getType().getValueCase() != TypeProto.ValueCase.VALUE_NOT_SET) {
        throw new UnsupportedOperatorException(where + " '" + v.getName() + "' is a "
            + v.getType().getValueCase().name().toLowerCase() + "; only tensors are supported");
      }
      return TensorType.unknownRank(DataType.FLOAT);
    }
    TypeProto.Tensor t = v.getType().getTensorType();
    DataType dtype = DataType.ofOnnx(t.getElemType());
    if (dtype == null) {
      throw new UnsupportedOperatorException(where + " '" + v.getName() + "' has element type "
          + DataType.onnxName(t.getElemType()) + "; supported: "
          + Arrays.toString(DataType.values()));
    }
    if (!t.hasShape()) {
      return TensorType.unknownRank(dtype);
    }
    int[] dims = new int[t.getShape().getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      TensorShapeProto.Dimension d = t.getShape().getDim(i);
      dims[i] = d.hasDimValue() && d.getDimValue() >= 0 && d.getDimValue() <= Integer.MAX_VALUE
          ? (int) d.getDimValue() : TensorType.UNKNOWN;
    }
    return TensorType.of(dtype, dims);
  }

  private static void checkDeclared(ValueInfo declared, TensorType inferred, String source) {
    TensorType d = declared.type();
    if (!d.hasRank() || !inferred.hasRank()) {
      return;
    }
    boolean ok = d.rank() == inferred.rank();
    for (int i = 0; ok && i < d.rank(); i++) {
      ok = d.dim(i) == TensorType.UNKNOWN || inferred.dim(i) == TensorType.UNKNOWN
          || d.dim(i) == inferred.dim(i);
    }
    if (!ok) {
      throw new ModelFormatException(source + ": graph output '" + declared.name()
          + "' is declared " + d + " but the graph computes " + inferred);
    }
  }

  /** Decodes one attribute; returns null for kinds no supported operator reads (graphs, ...). */
  private static Attribute attribute(AttributeProto a, Path dir, String where) {
    AttributeProto.AttributeType type = a.hasType() ? a.getType() : impliedType(a);
    return switch (type) {
      case INT -> Attribute.ofInt(a.getName(), a.getI());
      case FLOAT -> Attribute.ofFloat(a.getName(), a.getF());
      case STRING -> Attribute.ofString(a.getName(), a.getS().toStringUtf8());
      case INTS -> Attribute.ofInts(a.getName(),
          a.getIntsList().stream().mapToLong(Long::longValue).toArray());
      case FLOATS -> {
        float[] f = new float[a.getFloatsCount()];
        for (int i = 0; i < f.length; i++) {
          f[i] = a.getFloats(i);
        }
        yield Attribute.ofFloats(a.getName(), f);
      }
      case TENSOR -> Attribute.ofTensor(a.getName(), TensorDecoder.decode(a.getT(), dir, where));
      default -> null;
    };
  }

  /** IR version 1 files do not set {@code type}: infer it from the field that is present. */
  private static AttributeProto.AttributeType impliedType(AttributeProto a) {
    if (a.hasT()) {
      return AttributeProto.AttributeType.TENSOR;
    }
    if (a.hasS()) {
      return AttributeProto.AttributeType.STRING;
    }
    if (a.hasI()) {
      return AttributeProto.AttributeType.INT;
    }
    if (a.hasF()) {
      return AttributeProto.AttributeType.FLOAT;
    }
    if (a.getIntsCount() > 0) {
      return AttributeProto.AttributeType.INTS;
    }
    if (a.getFloatsCount() > 0) {
      return AttributeProto.AttributeType.FLOATS;
    }
    return AttributeProto.AttributeType.UNDEFINED;
  }
}
