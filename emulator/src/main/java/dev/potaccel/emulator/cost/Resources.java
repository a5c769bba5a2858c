package dev.potaccel.emulator.cost;

/**
 * FPGA resources of an accelerator description: the PE array's arithmetic and the buffers' block
 * RAM. Control, DMA engines, codebook decoders (one per column, shared down it) and requantizers
 * are not counted; they are the same for every PE type. Every per-PE figure is an assumption
 * (docs/accelerator.md §8), not a synthesis result.
 *
 * @param pes PEs in the array
 * @param dsps DSP48 slices: one per MULTIPLIER PE, none for shift PEs
 * @param luts LUT6s of the PEs' arithmetic
 * @param bramWeights BRAM36 blocks of the weight buffer
 * @param bramActivations BRAM36 blocks of the activation buffer
 * @param bramAccumulators BRAM36 blocks of the accumulator buffer
 */
public record Resources(
    int pes, int dsps, long luts, long bramWeights, long bramActivations, long bramAccumulators) {

  /**
   * LUTs of one shifter term (assumption): an 8-bit activation shifted by 0..15 places is a 23-bit
   * result; 4 stages of 2:1 muxes fit 2 levels of LUT6 4:1 muxes, 24 × 2 = 48 LUTs; plus a 32-bit
   * add/subtract on the carry chain, one LUT per bit (the sign folds into it): 48 + 32 = 80.
   */
  public static final int LUTS_PER_SHIFT_TERM = 80;

  /**
   * LUTs of one MULTIPLIER PE's arithmetic (assumption): 0, since the 8 × 16-bit product and the
   * 32-bit accumulation both run inside its DSP48 (27 × 18 multiplier, 48-bit ALU).
   */
  public static final int LUTS_PER_MULTIPLIER = 0;

  /**
   * Bytes of byte-wide data one BRAM36 holds: of its 36 Kib, the 4 Kib parity bits do not hold
   * byte data, leaving 32 Kib = 4096 bytes.
   */
  public static final int BRAM36_BYTES = 4096;

  /** The widest port of a BRAM36 (simple dual port): 72 bits. */
  public static final int BRAM36_PORT_BITS = 72;

  /**
   * The resources of {@code d}: DSPs = PEs for MULTIPLIER (one DSP48 per PE; packing two 8-bit
   * products into one DSP48 is not assumed because LUT levels need 16-bit operands); LUTs = PEs ×
   * {@link #LUTS_PER_SHIFT_TERM} for SHIFT, × {@code maxTerms} more for SHIFT_ADD_K (k shifters and
   * k adders in parallel); BRAM36 per buffer = the larger of {@code ceil(bytes / 4096)} and the
   * blocks its read port needs ({@code peCols} 8-bit codes, {@code peRows} activation bytes,
   * {@code peCols} int32 accumulators per cycle, 72 bits per block).
   */
  public static Resources of(AcceleratorDescription d) {
    int pes = d.pes();
    int dsps = d.peType() == PeType.MULTIPLIER ? pes : 0;
    long luts =
        switch (d.peType()) {
          case MULTIPLIER -> (long) pes * LUTS_PER_MULTIPLIER;
          case SHIFT -> (long) pes * LUTS_PER_SHIFT_TERM;
          case SHIFT_ADD_K -> (long) pes * LUTS_PER_SHIFT_TERM * d.maxTerms();
        };
    return new Resources(
        pes,
        dsps,
        luts,
        bram(d.weightBufferBytes(), 8L * d.peCols()),
        bram(d.activationBufferBytes(), 8L * d.peRows()),
        bram(d.accumulatorBufferBytes(), 32L * d.peCols()));
  }

  /** All BRAM36 blocks. */
  public long bram36() {
    return bramWeights + bramActivations + bramAccumulators;
  }

  private static long bram(long bytes, long portBits) {
    long byCapacity = (bytes + BRAM36_BYTES - 1) / BRAM36_BYTES;
    long byWidth = (portBits + BRAM36_PORT_BITS - 1) / BRAM36_PORT_BITS;
    return Math.max(byCapacity, byWidth);
  }
}
