package dev.potaccel.compile;

import com.google.protobuf.ByteString;
import dev.potaccel.graph.Attribute;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.protocol.onnx.OnnxProto.AttributeProto;
import dev.potaccel.protocol.onnx.OnnxProto.GraphProto;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import dev.potaccel.protocol.onnx.OnnxProto.NodeProto;
import dev.potaccel.protocol.onnx.OnnxProto.OperatorSetIdProto;
import dev.potaccel.protocol.onnx.OnnxProto.TensorProto;
import dev.potaccel.protocol.onnx.OnnxProto.TensorShapeProto;
import dev.potaccel.protocol.onnx.OnnxProto.TypeProto;
import dev.potaccel.protocol.onnx.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the nodes that run on the host into one ONNX model ({@code host_graph.onnx_model}): the
 * nodes with unique names in execution order, the constants they read as initializers, the
 * values they receive from the accelerator as graph inputs and the values they hand back as graph
 * outputs, batch dimension symbolic. {@code HostCommand.nodes} index its node list.
 */
final class HostGraphWriter {
  private final int opset;
  private final GraphProto.Builder graph = GraphProto.newBuilder().setName("host");
  private final Set<String> nodeNames = new HashSet<>();
  private final Set<String> initializers = new HashSet<>();
  private final Map<String, ValueInfoProto> inputs = new LinkedHashMap<>();
  private final Map<String, ValueInfoProto> outputs = new LinkedHashMap<>();

  HostGraphWriter(int opset) {
    this.opset = opset;
  }

  boolean isEmpty() {
    return graph.getNodeCount() == 0;
  }

  /**
   * Adds a node whose inputs are already renamed to the values the host receives.
   *
   * @return its index in the host graph's node list
   */
  int addNode(Node n, List<String> inputs) {
    String name = n.name().isEmpty() ? n.op().onnxName() : n.name();
    String unique = name;
    for (int i = 2; !nodeNames.add(unique); i++) {
      unique = name + "_" + i;
    }
    NodeProto.Builder b = NodeProto.newBuilder().setName(unique).setOpType(n.op().onnxName())
        .addAllInput(inputs).addAllOutput(n.outputs());
    for (Attribute a : n.attributes().asMap().values()) {
      b.addAttribute(attribute(a));
    }
    graph.addNode(b);
    return graph.getNodeCount() - 1;
  }

  /** The name node {@code index} got (unique in the host graph). */
  String nodeName(int index) {
    return graph.getNode(index).getName();
  }

  void addInitializer(String name, Tensor t) {
    if (initializers.add(name)) {
      graph.addInitializer(tensor(name, t));
    }
  }

  void addInput(String name, TensorType type) {
    inputs.computeIfAbsent(name, k -> valueInfo(k, type));
  }

  void addOutput(String name, TensorType type) {
    outputs.computeIfAbsent(name, k -> valueInfo(k, type));
  }

  /** The serialized ModelProto; empty when no node runs on the host. */
  ByteString toBytes() {
    if (isEmpty()) {
      return ByteString.EMPTY;
    }
    GraphProto.Builder g = graph.clone().addAllInput(inputs.values())
        .addAllOutput(outputs.values());
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("potaccel")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(g).build().toByteString();
  }

  private static AttributeProto attribute(Attribute a) {
    AttributeProto.Builder b = AttributeProto.newBuilder().setName(a.name());
    switch (a.kind()) {
      case INT -> b.setType(AttributeProto.AttributeType.INT).setI(a.i());
      case FLOAT -> b.setType(AttributeProto.AttributeType.FLOAT).setF(a.f());
      case STRING -> b.setType(AttributeProto.AttributeType.STRING)
          .setS(ByteString.copyFromUtf8(a.s()));
      case INTS -> {
        b.setType(AttributeProto.AttributeType.INTS);
        for (long v : a.ints()) {
          b.addInts(v);
        }
      }
      case FLOATS -> {
        b.setType(AttributeProto.AttributeType.FLOATS);
        for (float v : a.floats()) {
          b.addFloats(v);
        }
      }
      case TENSOR -> b.setType(AttributeProto.AttributeType.TENSOR).setT(tensor("", a.tensor()));
    }
    return b.build();
  }

  /** A TensorProto with little-endian raw_data. */
  static TensorProto tensor(String name, Tensor t) {
    DataType d = t.dtype();
    ByteBuffer buf = ByteBuffer.allocate(t.size() * d.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < t.size(); i++) {
      switch (d) {
        case FLOAT -> buf.putFloat(t.floats()[i]);
        case UINT8, INT8, BOOL -> buf.put((byte) t.longs()[i]);
        case INT32 -> buf.putInt((int) t.longs()[i]);
        case INT64 -> buf.putLong(t.longs()[i]);
      }
    }
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(d.onnxCode())
        .setRawData(ByteString.copyFrom(buf.array()));
    for (int dim : t.shape()) {
      b.addDims(dim);
    }
    return b.build();
  }

  /** The batch dimension (0) is always symbolic: the host runs any batch the device runs. */
  private static ValueInfoProto valueInfo(String name, TensorType type) {
    TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder()
        .setElemType(type == null ? DataType.FLOAT.onnxCode() : type.dtype().onnxCode());
    if (type != null && type.hasRank()) {
      TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
      for (int i = 0; i < type.rank(); i++) {
        int d = type.dim(i);
        shape.addDim(i == 0 || d == TensorType.UNKNOWN
            ? TensorShapeProto.Dimension.newBuilder().setDimParam(i == 0 ? "N" : "d" + i)
            : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
      }
      t.setShape(shape);
    }
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(t)).build();
  }
}
