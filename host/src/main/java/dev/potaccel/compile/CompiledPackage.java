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

  /** Bytes of the packed weight blob (every layer's tiles with their burst gaps). */
  public long packedWeightBytes() {
    return layers.stream().mapToLong(LayerReport::packedBytes).sum();
  }

  /** {@code Σ bits · weights / 8} over the layers: the weights with no tiling or alignment. */
  public double idealWeightBytes() {
    return layers.stream().mapToDouble(LayerReport::idealBytes).sum();
  }

  /**
   * Bytes of burst alignment over the layers: {@code packed - ideal}, the gap after each tile up to
   * the next burst (docs/accelerator.md §4).
   */
  public double alignmentBytes() {
    return packedWeightBytes() - idealWeightBytes();
  }

  /** Weight tiles over the layers, each aligned to the burst. */
  public long weightTiles() {
    return layers.stream().mapToLong(LayerReport::tiles).sum();
  }

  /** Packed over ideal, minus one: 0.004 means 0.4% of burst alignment. */
  public double packingOverhead() {
    double ideal = idealWeightBytes();
    return ideal == 0 ? 0 : packedWeightBytes() / ideal - 1;
  }

  /** Layers whose tile schedule splits them to fit the target's buffers. */
  public List<LayerReport> splitLayers() {
    return layers.stream().filter(LayerReport::isSplit).toList();
  }
}
