package dev.potaccel.emulator.cost;

/**
 * Bytes written to and read from each on-chip buffer (DMA fills and drains included).
 *
 * @param weightBytes weight buffer: DMA writes plus one read of each weight tile per pixel tile
 * @param activationBytes activation buffer: input writes, operand reads, output writes and reads
 * @param accumulatorBytes accumulator buffer: bias, per-tile bias reads, int32 drains and
 *     requantizer reads
 */
public record BufferTraffic(long weightBytes, long activationBytes, long accumulatorBytes) {
  public static final BufferTraffic NONE = new BufferTraffic(0, 0, 0);

  public long total() {
    return weightBytes + activationBytes + accumulatorBytes;
  }

  public BufferTraffic plus(BufferTraffic o) {
    return new BufferTraffic(
        weightBytes + o.weightBytes,
        activationBytes + o.activationBytes,
        accumulatorBytes + o.accumulatorBytes);
  }
}
