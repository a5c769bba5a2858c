package dev.potaccel.graph;

import java.util.List;
import java.util.Map;

/**
 * An imported network: nodes in topological order, constant tensors (initializers and folded
 * Constant nodes), the runtime inputs and outputs, and the inferred type of every value.
 *
 * @param source where the graph came from (a file name), for messages
 * @param opset default-domain opset version
 */
public record Graph(String name, String source, int opset, List<ValueInfo> inputs,
    List<ValueInfo> outputs, Map<String, Tensor> initializers, List<Node> nodes,
    Map<String, TensorType> valueTypes) {

  public Graph {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    initializers = Map.copyOf(initializers);
    nodes = List.copyOf(nodes);
    valueTypes = Map.copyOf(valueTypes);
  }

  public TensorType typeOf(String value) {
    return valueTypes.get(value);
  }
}
