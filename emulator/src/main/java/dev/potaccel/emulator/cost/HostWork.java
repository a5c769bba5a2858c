package dev.potaccel.emulator.cost;

/**
 * The FP32 work of one HOST command for one image, counted by whoever can read the package's host
 * graph (the emulator module cannot: it does not interpret ONNX).
 *
 * @param flops floating-point operations, by the counting convention of the caller (docs/
 *     partitioning.md: a multiply-accumulate is 2, a transcendental function 1)
 * @param bytes FP32 values read and written by the nodes, 4 bytes each
 */
public record HostWork(long flops, long bytes) {
  public HostWork {
    if (flops < 0 || bytes < 0) {
      throw new IllegalArgumentException("host work must be >= 0, got " + flops + " FLOPs, "
          + bytes + " bytes");
    }
  }

  public HostWork plus(HostWork o) {
    return new HostWork(Math.addExact(flops, o.flops), Math.addExact(bytes, o.bytes));
  }

  public HostWork times(long n) {
    return new HostWork(Math.multiplyExact(flops, n), Math.multiplyExact(bytes, n));
  }
}
