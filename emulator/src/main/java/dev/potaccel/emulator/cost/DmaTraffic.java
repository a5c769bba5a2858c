package dev.potaccel.emulator.cost;

/**
 * Bytes a command moves between DRAM and the on-chip buffers.
 *
 * @param activationBytesIn input activation codes, one byte each (docs/accelerator.md §1.1)
 * @param weightBytesIn packed weight bytes, counting re-fetches ({@code weightFetches} times the
 *     layer's packed size)
 * @param biasBytesIn the layer's bias block
 * @param bytesOut output activation codes
 * @param weightFetches how often the layer's weights are read from DRAM: 1, or more when they do
 *     not fit the weight buffer; 0 for commands without weights
 */
public record DmaTraffic(
    long activationBytesIn, long weightBytesIn, long biasBytesIn, long bytesOut,
    long weightFetches) {
  public static final DmaTraffic NONE = new DmaTraffic(0, 0, 0, 0, 0);

  public long bytesIn() {
    return activationBytesIn + weightBytesIn + biasBytesIn;
  }

  public long total() {
    return bytesIn() + bytesOut;
  }

  /** Weight bytes read more than once: {@code (weightFetches - 1) / weightFetches} of them. */
  public long weightRereadBytes() {
    return weightFetches <= 1 ? 0 : weightBytesIn / weightFetches * (weightFetches - 1);
  }
}
