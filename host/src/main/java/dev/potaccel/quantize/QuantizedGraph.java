package dev.potaccel.quantize;

import dev.potaccel.graph.Graph;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A graph ready to compile: the graph after BatchNorm folding, the format of every FP32 value
 * calibration measured, and the quantized weights of every Conv and Gemm that can have them, by
 * node name. Nodes without weights here (and everything else) the compiler may still run on the
 * host in FP32 from the graph's own initializers.
 *
 * @param scheme the scheme that made it
 * @param parameters what the scheme did, for provenance
 * @param layers per weighted node, what its weights got and their SQNR (the per-layer report)
 * @param ownActivations the values whose format was chosen for them (not kept from their input),
 *     in graph order: what Backwards-Forward Tuning may change
 * @param calibrationImages how many images calibration ran
 * @param calibrationSha256 the calibration set's hash ({@code CalibrationStats.sha256})
 */
public record QuantizedGraph(Graph graph, SchemeSpec scheme,
    Map<String, String> parameters, Map<String, QuantizedWeights> weights,
    Map<String, ActivationFormat> activations, Map<String, LayerQuality> layers,
    List<String> ownActivations, int calibrationImages, String calibrationSha256) {

  public QuantizedGraph {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(scheme, "scheme");
    parameters = Map.copyOf(parameters);
    weights = Map.copyOf(weights);
    activations = Map.copyOf(activations);
    layers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(layers));
    ownActivations = List.copyOf(ownActivations);
    Objects.requireNonNull(calibrationSha256, "calibrationSha256");
  }

  /**
   * Without per-layer reports (for callers that only rewrite the provenance parameters; {@link
   * #withParameters} keeps them).
   */
  public QuantizedGraph(Graph graph, SchemeSpec scheme, Map<String, String> parameters,
      Map<String, QuantizedWeights> weights, Map<String, ActivationFormat> activations,
      int calibrationImages, String calibrationSha256) {
    this(graph, scheme, parameters, weights, activations, Map.of(), List.of(), calibrationImages,
        calibrationSha256);
  }

  /** This graph with other provenance parameters. */
  public QuantizedGraph withParameters(Map<String, String> p) {
    return new QuantizedGraph(graph, scheme, p, weights, activations, layers, ownActivations,
        calibrationImages, calibrationSha256);
  }

  /** The format of value {@code name}, or null when it has none (not an FP32 value measured). */
  public ActivationFormat activation(String name) {
    return activations.get(name);
  }

  /** The quantized weights of node {@code name}, or null. */
  public QuantizedWeights weightsOf(String node) {
    return weights.get(node);
  }
}
