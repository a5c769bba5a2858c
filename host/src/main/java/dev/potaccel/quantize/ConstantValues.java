package dev.potaccel.quantize;

import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.ShapeInference;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import java.util.HashMap;
import java.util.Map;

/**
 * The values of a graph known before it runs: initializers, Constant node outputs, and integer
 * values shape inference resolved completely (the shape arithmetic PyTorch exports).
 */
public final class ConstantValues {
  private final Graph graph;
  private final Map<String, Node> constantNodes = new HashMap<>();

  public ConstantValues(Graph graph) {
    this.graph = graph;
    for (Node n : graph.nodes()) {
      if (n.op() == OpType.CONSTANT) {
        constantNodes.put(n.outputs().get(0), n);
      }
    }
  }

  /** The value of {@code name} when known before the graph runs, else null. */
  public Tensor of(String name) {
    if (name == null || name.isEmpty()) {
      return null;
    }
    Tensor t = graph.initializers().get(name);
    if (t != null) {
      return t;
    }
    Node c = constantNodes.get(name);
    if (c != null) {
      return ShapeInference.constant(c);
    }
    TensorType type = graph.typeOf(name);
    if (type != null && !type.dtype().isFloat() && type.isStatic() && type.valuesKnown()) {
      return Tensor.ofLongs(type.dtype(), type.dims(), type.values().clone());
    }
    return null;
  }

  public boolean isConstant(String name) {
    return of(name) != null;
  }

  /**
   * The clamp of a Clip node when its bounds are constants: {@code [min, max]}, infinite where a
   * bound is absent; null when a bound is computed at run time.
   */
  public double[] clipBounds(Node clip) {
    double min = Double.NEGATIVE_INFINITY;
    double max = Double.POSITIVE_INFINITY;
    if (clip.opset() < 11) {
      min = clip.attributes().getFloat("min", -Float.MAX_VALUE);
      max = clip.attributes().getFloat("max", Float.MAX_VALUE);
    } else {
      if (clip.hasInput(1)) {
        Tensor t = of(clip.input(1));
        if (t == null || t.size() != 1) {
          return null;
        }
        min = t.getDouble(0);
      }
      if (clip.hasInput(2)) {
        Tensor t = of(clip.input(2));
        if (t == null || t.size() != 1) {
          return null;
        }
        max = t.getDouble(0);
      }
    }
    if (min <= -Float.MAX_VALUE) {
      min = Double.NEGATIVE_INFINITY;
    }
    if (max >= Float.MAX_VALUE) {
      max = Double.POSITIVE_INFINITY;
    }
    return new double[] {min, max};
  }
}
