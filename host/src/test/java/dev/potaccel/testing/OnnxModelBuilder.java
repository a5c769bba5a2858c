package dev.potaccel.testing;

import dev.potaccel.protocol.onnx.OnnxProto.AttributeProto;
import dev.potaccel.protocol.onnx.OnnxProto.GraphProto;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import dev.potaccel.protocol.onnx.OnnxProto.NodeProto;
import dev.potaccel.protocol.onnx.OnnxProto.OperatorSetIdProto;
import dev.potaccel.protocol.onnx.OnnxProto.TensorProto;
import dev.potaccel.protocol.onnx.OnnxProto.TensorShapeProto;
import dev.potaccel.protocol.onnx.OnnxProto.TypeProto;
import dev.potaccel.protocol.onnx.OnnxProto.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Builds small ONNX models in code, the way ONNX Runtime's Java tests do. */
public final class OnnxModelBuilder {
  private final GraphProto.Builder graph = GraphProto.newBuilder().setName("test");
  private int opset = 13;

  public OnnxModelBuilder opset(int v) {
    opset = v;
    return this;
  }

  /** A FLOAT graph input; a negative dimension is symbolic ("N"). */
  public OnnxModelBuilder input(String name, long... dims) {
    graph.addInput(valueInfo(name, dims));
    return this;
  }

  public OnnxModelBuilder output(String name, long... dims) {
    graph.addOutput(valueInfo(name, dims));
    return this;
  }

  public OnnxModelBuilder initializer(String name, long[] dims, float... values) {
    graph.addInitializer(floatTensor(name, dims, values));
    return this;
  }

  public OnnxModelBuilder initializer(TensorProto t) {
    graph.addInitializer(t);
    return this;
  }

  public OnnxModelBuilder node(String op, String name, String[] inputs, String[] outputs,
      AttributeProto... attrs) {
    graph.addNode(NodeProto.newBuilder().setOpType(op).setName(name)
        .addAllInput(Arrays.asList(inputs)).addAllOutput(Arrays.asList(outputs))
        .addAllAttribute(Arrays.asList(attrs)));
    return this;
  }

  public ModelProto build() {
    return ModelProto.newBuilder().setIrVersion(7).setProducerName("potaccel-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(graph).build();
  }

  public Path write(Path file) throws IOException {
    Files.write(file, build().toByteArray());
    return file;
  }

  public static ValueInfoProto valueInfo(String name, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
          : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape))).build();
  }

  public static TensorProto floatTensor(String name, long[] dims, float... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return TensorProto.newBuilder().setName(name).setDataType(1)
        .addAllDims(Arrays.stream(dims).boxed().toList())
        .setRawData(ByteString.copyFrom(b.array())).build();
  }

  public static AttributeProto ints(String name, long... v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS)
        .addAllInts(Arrays.stream(v).boxed().toList()).build();
  }

  public static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(v).build();
  }

  /** A tensor attribute, as a Constant node's {@code value}. */
  public static AttributeProto tensorAttr(String name, TensorProto t) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR)
        .setT(t).build();
  }
}
