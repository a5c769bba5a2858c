package dev.potaccel.graph;

import java.util.List;

/**
 * One operator application. Input names may be empty strings for omitted optional inputs, as in
 * ONNX. {@code opset} is the default-domain opset version the model imports, which decides the
 * operator's semantics and attribute defaults.
 */
public record Node(String name, OpType op, List<String> inputs, List<String> outputs,
    Attributes attributes, int opset) {

  public Node {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /** Input i's name, or "" when the input is absent or omitted. */
  public String input(int i) {
    return i < inputs.size() ? inputs.get(i) : "";
  }

  public boolean hasInput(int i) {
    return !input(i).isEmpty();
  }

  /** A short label for messages: "node 'Conv_3' (Conv)". */
  public String label() {
    return "node '" + name + "' (" + op.onnxName() + ")";
  }
}
