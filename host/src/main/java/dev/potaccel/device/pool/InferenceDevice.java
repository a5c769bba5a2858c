package dev.potaccel.device.pool;

import dev.potaccel.device.DeviceSpec;
import dev.potaccel.device.opencl.OpenClDevice;
import dev.potaccel.device.opencl.OpenClSession;
import dev.potaccel.emulator.LiveBuffers;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import java.util.List;

/**
 * One member of a {@link DevicePool}: a compiled package opened on one device, run one batch at a
 * time by the pool's thread for it. The pool calls {@link #run} (data parallel, health probes)
 * and, in pipeline mode, {@link #runStage}; it never calls one device from two threads at once,
 * except that a probe may overlap a run the pool has already given up on (a timeout).
 *
 * <p>Implementations: {@link EmulatorInferenceDevice}, {@link OpenClInferenceDevice}; tests add
 * fakes that fail on purpose.
 */
public interface InferenceDevice extends AutoCloseable {
  /**
   * Opens {@code pkg} on the device {@code spec} names: the emulator, or an OpenCL device (with the
   * default program cache).
   *
   * @param threads the emulator's threads, and the host engine's for HOST commands
   * @throws IllegalArgumentException for the CPU, which runs FP32 models, not packages
   * @throws dev.potaccel.device.opencl.OpenClException when the OpenCL device cannot be opened
   */
  static InferenceDevice open(DeviceSpec spec, String name, AcceleratorPackage pkg, int threads) {
    return switch (spec.kind()) {
      case EMULATOR -> EmulatorInferenceDevice.open(name, pkg, threads);
      case OPENCL -> new OpenClInferenceDevice(name, OpenClSession.open(pkg, spec.platform(),
          spec.device(), threads, OpenClDevice.Options.defaults()));
      case CPU -> throw new IllegalArgumentException("cpu runs FP32 models, not compiled"
          + " packages: a device pool holds emulator and opencl devices");
    };
  }

  /** Unique within a pool, for events and logs: "emulator#0", "opencl:0:0#1". */
  String name();

  /**
   * Runs one batch of the whole package.
   *
   * @param batch one FP32 tensor per model input, batch first
   * @return one FP32 tensor per model output, batch first
   */
  List<Tensor> run(List<Tensor> batch);

  /** Whether {@link #runStage} works: the device can start and stop mid-package. */
  default boolean runsStages() {
    return false;
  }

  /**
   * Runs commands {@code [in.at(), to)} of the package on the buffers live before {@code
   * in.at()} and returns those live before {@code to} (codes where the buffer holds codes).
   *
   * @throws UnsupportedOperationException unless {@link #runsStages}
   */
  default LiveBuffers runStage(LiveBuffers in, int to) {
    throw new UnsupportedOperationException(name() + " runs whole packages only");
  }

  /** Releases the device's threads and memory. Idempotent. */
  @Override
  void close();
}
