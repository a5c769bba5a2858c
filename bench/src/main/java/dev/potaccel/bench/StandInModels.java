package dev.potaccel.bench;

import com.google.protobuf.ByteString;
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
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Untrained models with the exact graph shape of a reference model, for benchmarking before the
 * trained file exists. Weights are random (He-normal, fixed seed), so outputs mean nothing, but
 * the operators, shapes and multiply-add count are those of the trained export.
 *
 * <p>{@link #resnet20} is what PyTorch 1.13 exports for {@code models/training/archs.py}
 * {@code resnet20} in eval mode: BatchNorm folded into the convolutions (so every Conv has a
 * bias), 1x1 stride-2 projection shortcuts, {@code GlobalAveragePool}, {@code Flatten},
 * {@code Gemm(transB=1)}; input {@code "input"} [N,1,28,28], output {@code "logits"} [N,10].
 */
public final class StandInModels {
  private StandInModels() {}

  /** The names {@link #build} knows. */
  public static final String[] NAMES = {"resnet20"};

  /**
   * @throws IllegalArgumentException for a name not in {@link #NAMES}
   */
  public static ModelProto build(String name, long seed) {
    return switch (name) {
      case "resnet20" -> resnet20(seed);
      default -> throw new IllegalArgumentException("no stand-in for '" + name + "'; known: "
          + String.join(", ", NAMES));
    };
  }

  /** ResNet-20 for 1x28x28 inputs: 3 stages x 3 basic blocks, 16/32/64 channels, 10 classes. */
  public static ModelProto resnet20(long seed) {
    GraphBuilder g = new GraphBuilder("resnet20-standin", new Random(seed));
    String x = g.relu(g.conv("input", 1, 16, 3, 1));
    int cin = 16;
    for (int stage = 0; stage < 3; stage++) {
      int cout = 16 << stage;
      for (int block = 0; block < 3; block++) {
        int stride = stage > 0 && block == 0 ? 2 : 1;
        String h = g.relu(g.conv(x, cin, cout, 3, stride));
        h = g.conv(h, cout, cout, 3, 1);
        String shortcut = stride != 1 || cin != cout ? g.conv(x, cin, cout, 1, stride) : x;
        x = g.relu(g.add(h, shortcut));
        cin = cout;
      }
    }
    String pooled = g.node("GlobalAveragePool", new String[] {x});
    String flat = g.node("Flatten", new String[] {pooled}, intAttr("axis", 1));
    String w = g.weight(new long[] {10, cin}, Math.sqrt(1.0 / cin));
    String b = g.weight(new long[] {10}, 0.01);
    g.graph.addNode(NodeProto.newBuilder().setOpType("Gemm").setName("Gemm_" + g.count++)
        .addInput(flat).addInput(w).addInput(b).addOutput("logits")
        .addAttribute(floatAttr("alpha", 1f)).addAttribute(floatAttr("beta", 1f))
        .addAttribute(intAttr("transB", 1)));
    g.graph.addInput(valueInfo("input", -1, 1, 28, 28));
    g.graph.addOutput(valueInfo("logits", -1, 10));
    return ModelProto.newBuilder().setIrVersion(7).setProducerName("potaccel-bench")
        .setProducerVersion("stand-in, random weights, seed " + seed)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g.graph).build();
  }

  /** Names values and weights, adds nodes in order. */
  private static final class GraphBuilder {
    final GraphProto.Builder graph;
    final Random random;
    int count;

    GraphBuilder(String name, Random random) {
      this.graph = GraphProto.newBuilder().setName(name);
      this.random = random;
    }

    /** Conv with bias (BatchNorm folded), "same" padding for 3x3. */
    String conv(String in, int cin, int cout, int k, int stride) {
      int id = count++;
      String w = weight(new long[] {cout, cin, k, k}, Math.sqrt(2.0 / (cin * k * k)));
      String b = weight(new long[] {cout}, 0.01);
      String out = "conv" + id;
      int pad = k / 2;
      graph.addNode(NodeProto.newBuilder().setOpType("Conv").setName("Conv_" + id)
          .addInput(in).addInput(w).addInput(b).addOutput(out)
          .addAttribute(intsAttr("dilations", 1, 1)).addAttribute(intAttr("group", 1))
          .addAttribute(intsAttr("kernel_shape", k, k))
          .addAttribute(intsAttr("pads", pad, pad, pad, pad))
          .addAttribute(intsAttr("strides", stride, stride)));
      return out;
    }

    String relu(String in) {
      return node("Relu", new String[] {in});
    }

    String add(String a, String b) {
      return node("Add", new String[] {a, b});
    }

    String node(String op, String[] inputs, AttributeProto... attrs) {
      int id = count++;
      String out = op.toLowerCase(Locale.ROOT) + id;
      graph.addNode(NodeProto.newBuilder().setOpType(op).setName(op + "_" + id)
          .addAllInput(Arrays.asList(inputs)).addOutput(out)
          .addAllAttribute(Arrays.asList(attrs)));
      return out;
    }

    /** A float initializer of normal values with standard deviation {@code std}. */
    String weight(long[] dims, double std) {
      String name = "w" + graph.getInitializerCount();
      int n = Math.toIntExact(Arrays.stream(dims).reduce(1, (a, b) -> a * b));
      ByteBuffer bytes = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        bytes.putFloat((float) (random.nextGaussian() * std));
      }
      graph.addInitializer(TensorProto.newBuilder().setName(name)
          .setDataType(TensorProto.DataType.FLOAT_VALUE)
          .addAllDims(Arrays.stream(dims).boxed().toList())
          .setRawData(ByteString.copyFrom(bytes.array())));
      return name;
    }
  }

  /** A float tensor value; a negative dimension is the symbolic batch "N". */
  private static ValueInfoProto valueInfo(String name, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
          : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder()
            .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
  }

  private static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(v).build();
  }

  private static AttributeProto floatAttr(String name, float v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT)
        .setF(v).build();
  }

  private static AttributeProto intsAttr(String name, long... v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS)
        .addAllInts(Arrays.stream(v).boxed().toList()).build();
  }
}
