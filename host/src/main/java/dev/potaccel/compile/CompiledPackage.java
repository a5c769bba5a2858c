package dev.potaccel.compile;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import java.util.List;
import java.util.Objects;

/** A compiled, validated package and what went where. */
public record CompiledPackage(AcceleratorPackage pkg, List<LayerReport> layers) {
  public CompiledPackage {
    Objects.requireNonNull(pkg, "pkg");
    layers = List.copyOf(layers);
  }

  /** Bytes of the packed weight blob (every layer's tiles with their padding). */
  public long packedWeightBytes() {
    return layers.stream().mapToLong(LayerReport::packedBytes).sum();
  }

  /** {@code Σ bits · weights / 8} over the layers: the weights with no tiling or alignment. */
  public double idealWeightBytes() {
    return layers.stream().mapToDouble(LayerReport::idealBytes).sum();
  }

  /** Packed over ideal, minus one: 0.004 means 0.4% of padding and alignment. */
  public double packingOverhead() {
    double ideal = idealWeightBytes();
    return ideal == 0 ? 0 : packedWeightBytes() / ideal - 1;
  }
}
