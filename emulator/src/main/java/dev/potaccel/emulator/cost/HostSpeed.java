package dev.potaccel.emulator.cost;

import java.util.Locale;

/**
 * How fast the host CPU does the work the accelerator leaves to it, and where that figure comes
 * from. A command taking {@code f} FLOPs and moving {@code b} bytes is charged {@code max(f /
 * flopsPerSecond, b / bytesPerSecond)} seconds: a roofline, so a command is either compute- or
 * memory-bound, never both.
 *
 * @param flopsPerSecond FP32 operations per second of the CPU engine on host commands, > 0
 * @param bytesPerSecond bytes per second of the host's streaming loops (quantize, dequantize,
 *     element-wise nodes), > 0
 * @param source how the figures were obtained, printed with every estimate ("measured: ...", or
 *     "default ...")
 */
public record HostSpeed(double flopsPerSecond, double bytesPerSecond, String source) {
  /**
   * The figures used when nothing was measured: 0.2 GFLOP/s and 0.5 GB/s, at or below the low end
   * of what the CPU engine and the CONVERT loop measured on the 2-core development VM
   * (docs/partitioning.md lists the measurements), so an unmeasured plan rather overstates the
   * host's share than hides it.
   */
  public static final HostSpeed DEFAULT = new HostSpeed(0.2e9, 0.5e9,
      "default, not measured (docs/partitioning.md); potaccel plan measures this host unless"
          + " given --no-measure");

  public HostSpeed {
    if (!(flopsPerSecond > 0) || Double.isInfinite(flopsPerSecond)
        || !(bytesPerSecond > 0) || Double.isInfinite(bytesPerSecond)) {
      throw new IllegalArgumentException("host speed must be finite and > 0, got "
          + flopsPerSecond + " FLOP/s, " + bytesPerSecond + " B/s");
    }
    if (source == null || source.isBlank()) {
      throw new IllegalArgumentException("a host speed needs its source");
    }
  }

  /** Microseconds for {@code w}: {@code max(flops / flopsPerSecond, bytes / bytesPerSecond)}. */
  public double micros(HostWork w) {
    return Math.max(w.flops() / flopsPerSecond, w.bytes() / bytesPerSecond) * 1e6;
  }

  /** "1.23 GFLOP/s, 2.50 GB/s (measured: ...)"; MFLOP/s and MB/s below a billion. */
  public String summary() {
    return rate(flopsPerSecond, "FLOP/s") + ", " + rate(bytesPerSecond, "B/s") + " (" + source
        + ")";
  }

  private static String rate(double perSecond, String unit) {
    return perSecond >= 1e9 ? String.format(Locale.ROOT, "%.2f G%s", perSecond / 1e9, unit)
        : String.format(Locale.ROOT, "%.2f M%s", perSecond / 1e6, unit);
  }
}
