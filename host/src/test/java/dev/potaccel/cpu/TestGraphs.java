package dev.potaccel.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.potaccel.graph.Attribute;
import dev.potaccel.graph.Attributes;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tiny graphs built in code, and the assertions the CPU engine tests share. */
final class TestGraphs {
  private TestGraphs() {}

  static Node node(String name, OpType op, int opset, List<String> inputs, List<String> outputs,
      Attribute... attributes) {
    return new Node(name, op, inputs, outputs, new Attributes(name, List.of(attributes)), opset);
  }

  static Graph graph(List<ValueInfo> inputs, Map<String, Tensor> initializers, List<Node> nodes,
      String... outputs) {
    List<ValueInfo> outs = new ArrayList<>();
    for (String o : outputs) {
      outs.add(new ValueInfo(o, TensorType.unknownRank(DataType.FLOAT)));
    }
    return new Graph("test", "test.onnx", 13, inputs, outs, initializers, nodes, Map.of());
  }

  static ValueInfo input(String name, DataType dtype, int... dims) {
    return new ValueInfo(name, TensorType.of(dtype, dims));
  }

  /**
   * Runs a single node whose non-empty inputs are all graph inputs (so the engine resolves shape
   * operands from runtime values) and returns its outputs in order.
   *
   * @param inputs one per node input; null for an omitted optional input
   */
  static Tensor[] runNode(Node node, Tensor... inputs) {
    List<ValueInfo> declared = new ArrayList<>();
    Map<String, Tensor> feed = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < inputs.length; i++) {
      names.add(inputs[i] == null ? "" : node.input(i));
      if (inputs[i] != null) {
        declared.add(new ValueInfo(node.input(i), TensorType.unknownRank(inputs[i].dtype())));
        feed.put(node.input(i), inputs[i]);
      }
    }
    node = new Node(node.name(), node.op(), names, node.outputs(), node.attributes(),
        node.opset());
    String[] outs = node.outputs().stream().filter(s -> !s.isEmpty()).toArray(String[]::new);
    try (CpuEngine engine = new CpuEngine(graph(declared, Map.of(), List.of(node), outs), 2)) {
      return engine.run(feed).values().toArray(new Tensor[0]);
    }
  }

  /** A one-output node named after its op with inputs a, b, c... and output y. */
  static Node op(OpType op, int opset, int inputCount, Attribute... attributes) {
    List<String> in = new ArrayList<>();
    for (int i = 0; i < inputCount; i++) {
      in.add(String.valueOf((char) ('a' + i)));
    }
    return node(op.onnxName(), op, opset, in, List.of("y"), attributes);
  }

  static Tensor floats(int[] shape, float... values) {
    return Tensor.ofFloats(shape, values);
  }

  static Tensor longs(DataType dtype, int[] shape, long... values) {
    return Tensor.ofLongs(dtype, shape, values);
  }

  static int[] shape(int... dims) {
    return dims;
  }

  /** 1, 2, 3, ... n as floats: the ramp the ONNX operator examples use. */
  static float[] ramp(int n, float first) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = first + i;
    }
    return v;
  }

  static Attribute ints(String name, long... v) {
    return Attribute.ofInts(name, v);
  }

  static Attribute intAttr(String name, long v) {
    return Attribute.ofInt(name, v);
  }

  static Attribute floatAttr(String name, float v) {
    return Attribute.ofFloat(name, v);
  }

  static void assertTensor(int[] shape, float[] expected, Tensor actual) {
    assertEquals(DataType.FLOAT, actual.dtype());
    assertArrayEquals(shape, actual.shape(), () -> "shape " + Arrays.toString(actual.shape()));
    assertArrayEquals(expected, actual.floats(), 1e-5f,
        () -> "values " + Arrays.toString(actual.floats()));
  }

  static void assertTensor(DataType dtype, int[] shape, long[] expected, Tensor actual) {
    assertEquals(dtype, actual.dtype());
    assertArrayEquals(shape, actual.shape(), () -> "shape " + Arrays.toString(actual.shape()));
    assertArrayEquals(expected, actual.longs(), () -> "values " + Arrays.toString(actual.longs()));
  }
}
