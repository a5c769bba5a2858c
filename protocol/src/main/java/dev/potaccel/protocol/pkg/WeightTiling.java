package dev.potaccel.protocol.pkg;

/**
 * How weights are tiled for DMA (docs/accelerator.md §4): {@code peOut} output channels per tile
 * (the PE array's P_out) and the burst size every tile and bias block is aligned to.
 */
public record WeightTiling(int peOut, int burstBytes) {
  /** 16 output channels per tile, 64-byte bursts (the contract's default burst). */
  public static final WeightTiling DEFAULT = new WeightTiling(16, 64);

  public WeightTiling {
    if (peOut <= 0) {
      throw new IllegalArgumentException("peOut must be > 0, got " + peOut);
    }
    if (burstBytes <= 0) {
      throw new IllegalArgumentException("burstBytes must be > 0, got " + burstBytes);
    }
  }

  /**
   * The tiling a package's weights were packed with ({@code requirements.pe_out} and {@code
   * burst_bytes}).
   *
   * @throws PackageFormatException if either is 0 or does not fit an int
   */
  public static WeightTiling of(Requirements requirements, String source) {
    int peOut = requirements.getPeOut();
    int burst = requirements.getBurstBytes();
    if (peOut <= 0 || burst <= 0) {
      throw new PackageFormatException(
          source
              + ": requirements: pe_out "
              + Integer.toUnsignedString(peOut)
              + " and burst_bytes "
              + Integer.toUnsignedString(burst)
              + " must both be between 1 and "
              + Integer.MAX_VALUE);
    }
    return new WeightTiling(peOut, burst);
  }
}
