package dev.potaccel.emulator.cost;

/**
 * The estimated cost of one package command for a whole batch.
 *
 * @param index the command's position in the package
 * @param name the command's name (the ONNX node(s) it implements)
 * @param kind what it is; HOST (and CONVERT, unless the device converts) run on the host and
 *     cost no accelerator cycles
 * @param macs multiply-accumulates (CONV and FC; 0 otherwise)
 * @param computeCycles cycles of the PE array (or the pooling/add lanes)
 * @param memoryCycles cycles DMA needs for {@code dma}
 * @param latencyUs {@code cycles()} at the accelerator clock
 * @param dma bytes between DRAM and the buffers
 * @param buffers on-chip buffer traffic
 * @param energy picojoules by component
 * @param note why a figure is what it is (re-fetched weights, host work), or empty
 * @param host bytes on the host link and host CPU time ({@link HostCost#NONE} for commands the
 *     accelerator runs alone)
 */
public record CommandCost(
    int index,
    String name,
    CommandKind kind,
    long macs,
    long computeCycles,
    long memoryCycles,
    double latencyUs,
    DmaTraffic dma,
    BufferTraffic buffers,
    Energy energy,
    String note,
    HostCost host) {

  /** {@code max(computeCycles, memoryCycles)}: DMA and compute overlap (double buffering). */
  public long cycles() {
    return Math.max(computeCycles, memoryCycles);
  }

  /**
   * Accelerator time plus host link and host CPU time: what the command adds to a run, since the
   * host and the accelerator take turns (docs/partitioning.md).
   */
  public double totalUs() {
    return latencyUs + host.totalUs();
  }

  /** Which side dominates; COMPUTE on a tie, NONE when both are 0. */
  public Bound bound() {
    if (computeCycles == 0 && memoryCycles == 0) {
      return Bound.NONE;
    }
    return computeCycles >= memoryCycles ? Bound.COMPUTE : Bound.MEMORY;
  }
}
