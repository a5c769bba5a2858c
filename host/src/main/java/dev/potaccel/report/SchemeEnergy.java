package dev.potaccel.report;

/**
 * The cost model's energy per image of the model compiled with one scheme, split as {@code
 * Energy} is (docs/accelerator.md §8).
 *
 * @param scheme the scheme's id ("int8", "upot3")
 * @param computeUj PE arithmetic (and the pooling/add lanes)
 * @param onChipUj on-chip buffer traffic
 * @param dramUj DRAM traffic
 * @param weightBytes ideal weight bytes (bits × weights / 8)
 */
public record SchemeEnergy(String scheme, double computeUj, double onChipUj, double dramUj,
    double weightBytes) {
  public SchemeEnergy {
    if (!(computeUj >= 0 && onChipUj >= 0 && dramUj >= 0)) {
      throw new IllegalArgumentException(scheme + ": energies must be >= 0, got " + computeUj
          + ", " + onChipUj + ", " + dramUj);
    }
  }

  public double totalUj() {
    return computeUj + onChipUj + dramUj;
  }
}
