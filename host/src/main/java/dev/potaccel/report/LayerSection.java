package dev.potaccel.report;

import java.util.List;

/**
 * What the report shows of one weighted layer.
 *
 * @param node the Conv or Gemm node
 * @param op "Conv" or "Gemm"
 * @param shape the weight shape, "[16, 6, 5, 5]"
 * @param scheme the weight scheme the layer got (under DoubleQExt: doubleq or int8)
 * @param description what the scheme chose for it
 * @param weights the weight picture
 * @param activation the picture of the activation the layer produces (after a ReLU it feeds),
 *     or null when calibration kept no sample of it
 * @param sqnr the layer's weight SQNR under every scheme compiled, in scheme order
 */
public record LayerSection(String node, String op, String shape, String scheme,
    String description, WeightPicture weights, ActivationPicture activation,
    List<SchemeSqnr> sqnr) {
  /** A layer's weight SQNR under one scheme. */
  public record SchemeSqnr(String scheme, double sqnrDb) {}

  public LayerSection {
    sqnr = List.copyOf(sqnr);
  }
}
