package dev.potaccel.simd;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the Vector API kernels ({@link FloatTileKernel}, {@link LaneConvKernel}, {@link
 * FloatPairs}) run. This class itself does not touch {@code jdk.incubator.vector}, so it loads on
 * every JVM: the module is used only when the JVM resolved it ({@code --add-modules
 * jdk.incubator.vector}), the CPU has 256-bit vectors, and {@code -Dpotaccel.vector=false} was not
 * given. Otherwise callers run their portable C2 loops: the same results up to floating-point
 * rounding (the vector kernel fuses multiply and add).
 */
public final class VectorKernels {
  private static final Logger log = LoggerFactory.getLogger(VectorKernels.class);

  /** True when the register-blocked Vector API kernels are used. */
  public static final boolean ENABLED = detect();

  private VectorKernels() {}

  private static boolean detect() {
    if (!Boolean.parseBoolean(System.getProperty("potaccel.vector", "true"))) {
      log.debug("vector kernels off: -Dpotaccel.vector=false");
      return false;
    }
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      log.debug("vector kernels off: the JVM runs without --add-modules jdk.incubator.vector");
      return false;
    }
    boolean hw = FloatTileKernel.hardwareSupported();
    log.debug("vector kernels {}", hw ? "on" : "off: no 256-bit vector unit");
    return hw;
  }

  /** A line for logs and benchmark headers: which kernels run. */
  public static String describe() {
    return ENABLED
        ? "Vector API (jdk.incubator.vector, " + FloatTileKernel.vectorBits() + "-bit)"
        : "C2 auto-vectorized loops";
  }
}
