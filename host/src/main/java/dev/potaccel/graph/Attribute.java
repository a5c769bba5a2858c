package dev.potaccel.graph;

/**
 * One node attribute, already decoded from ONNX. Only the field of its {@link Kind} is set.
 */
public record Attribute(String name, Kind kind, long i, float f, String s, long[] ints,
    float[] floats, Tensor tensor) {

  /** The attribute types potaccel's operators use. */
  public enum Kind { INT, FLOAT, STRING, INTS, FLOATS, TENSOR }

  public static Attribute ofInt(String name, long v) {
    return new Attribute(name, Kind.INT, v, 0, null, null, null, null);
  }

  public static Attribute ofFloat(String name, float v) {
    return new Attribute(name, Kind.FLOAT, 0, v, null, null, null, null);
  }

  public static Attribute ofString(String name, String v) {
    return new Attribute(name, Kind.STRING, 0, 0, v, null, null, null);
  }

  public static Attribute ofInts(String name, long[] v) {
    return new Attribute(name, Kind.INTS, 0, 0, null, v, null, null);
  }

  public static Attribute ofFloats(String name, float[] v) {
    return new Attribute(name, Kind.FLOATS, 0, 0, null, null, v, null);
  }

  public static Attribute ofTensor(String name, Tensor v) {
    return new Attribute(name, Kind.TENSOR, 0, 0, null, null, null, v);
  }
}
