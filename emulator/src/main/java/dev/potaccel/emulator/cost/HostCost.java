package dev.potaccel.emulator.cost;

/**
 * What a command costs outside the accelerator's array: data crossing the host link, and host CPU
 * time. Zero for accelerator commands.
 *
 * @param toDeviceBytes bytes sent from the host to the accelerator's DRAM for the batch
 * @param fromDeviceBytes bytes read back from the accelerator's DRAM for the batch
 * @param transferUs time of both transfers on the link
 * @param cpuUs host CPU time for the batch (the CPU engine, or quantizing and dequantizing)
 */
public record HostCost(long toDeviceBytes, long fromDeviceBytes, double transferUs,
    double cpuUs) {
  public static final HostCost NONE = new HostCost(0, 0, 0, 0);

  public HostCost {
    if (toDeviceBytes < 0 || fromDeviceBytes < 0 || !(transferUs >= 0) || !(cpuUs >= 0)) {
      throw new IllegalArgumentException("negative host cost: " + toDeviceBytes + " B, "
          + fromDeviceBytes + " B, " + transferUs + " us, " + cpuUs + " us");
    }
  }

  public long transferBytes() {
    return toDeviceBytes + fromDeviceBytes;
  }

  public double totalUs() {
    return transferUs + cpuUs;
  }

  public HostCost plus(HostCost o) {
    return new HostCost(toDeviceBytes + o.toDeviceBytes, fromDeviceBytes + o.fromDeviceBytes,
        transferUs + o.transferUs, cpuUs + o.cpuUs);
  }
}
