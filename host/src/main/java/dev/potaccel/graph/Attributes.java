package dev.potaccel.graph;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The attributes of one node with typed getters that take the operator's default. A present
 * attribute of the wrong kind is a {@link GraphException}, not a silent default.
 */
public final class Attributes {
  private final String nodeName;
  private final Map<String, Attribute> byName;

  public Attributes(String nodeName, List<Attribute> attributes) {
    this.nodeName = nodeName;
    Map<String, Attribute> m = new LinkedHashMap<>();
    for (Attribute a : attributes) {
      m.put(a.name(), a);
    }
    this.byName = Collections.unmodifiableMap(m);
  }

  public static Attributes none(String nodeName) {
    return new Attributes(nodeName, List.of());
  }

  public boolean has(String name) {
    return byName.containsKey(name);
  }

  public Map<String, Attribute> asMap() {
    return byName;
  }

  private Attribute get(String name, Attribute.Kind kind) {
    Attribute a = byName.get(name);
    if (a != null && a.kind() != kind) {
      throw new GraphException(
          "node '" + nodeName + "': attribute '" + name + "' is " + a.kind() + ", expected " + kind);
    }
    return a;
  }

  public long getInt(String name, long dflt) {
    Attribute a = get(name, Attribute.Kind.INT);
    return a == null ? dflt : a.i();
  }

  public float getFloat(String name, float dflt) {
    Attribute a = get(name, Attribute.Kind.FLOAT);
    return a == null ? dflt : a.f();
  }

  public String getString(String name, String dflt) {
    Attribute a = get(name, Attribute.Kind.STRING);
    return a == null ? dflt : a.s();
  }

  /** The INTS attribute, or {@code dflt} (may be null) when absent. */
  public long[] getInts(String name, long[] dflt) {
    Attribute a = get(name, Attribute.Kind.INTS);
    return a == null ? dflt : a.ints();
  }

  public float[] getFloats(String name, float[] dflt) {
    Attribute a = get(name, Attribute.Kind.FLOATS);
    return a == null ? dflt : a.floats();
  }

  public Tensor getTensor(String name) {
    Attribute a = get(name, Attribute.Kind.TENSOR);
    return a == null ? null : a.tensor();
  }
}
