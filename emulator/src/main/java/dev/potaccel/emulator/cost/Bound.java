package dev.potaccel.emulator.cost;

/** Which side limits a command's cycles. */
public enum Bound {
  /** The PE array (or the pooling/add lanes): compute cycles >= memory cycles. */
  COMPUTE,
  /** DMA: memory cycles > compute cycles. */
  MEMORY,
  /** Neither: the command takes no accelerator cycles (host work, a view). */
  NONE;

  /** {@code "compute"}, {@code "memory"} or {@code "-"}. */
  public String label() {
    return this == NONE ? "-" : name().toLowerCase(java.util.Locale.ROOT);
  }
}
