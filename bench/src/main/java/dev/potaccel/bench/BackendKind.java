package dev.potaccel.bench;

import dev.potaccel.graph.Graph;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The backends {@code --devices} can name. A closed set: a new backend is one more constant and
 * one more case in {@link #open}.
 */
public enum BackendKind {
  /** Our FP32 reference engine ({@code dev.potaccel.cpu.CpuEngine}). */
  CPU("cpu"),
  /** ONNX Runtime's CPU execution provider, the speed anchor. */
  ONNXRUNTIME("onnxruntime"),
  /**
   * The bit-exact accelerator emulator running a package compiled in memory (calibrated on
   * training images, quantized with {@code --scheme}); see {@link EmulatorBackend}.
   */
  EMULATOR("emulator"),
  /**
   * The accelerator kernels on OpenCL device 0 of platform 0 (PoCL in CI), running the package the
   * emulator backend compiles; see {@link OpenClBackend}.
   */
  OPENCL("opencl");

  private final String id;

  BackendKind(String id) {
    this.id = id;
  }

  /** The name used on the command line and in the table. */
  public String id() {
    return id;
  }

  /**
   * @throws IllegalArgumentException naming the valid choices when {@code name} is none of them
   */
  public static BackendKind parse(String name) {
    String wanted = name.trim().toLowerCase(Locale.ROOT);
    for (BackendKind k : values()) {
      if (k.id.equals(wanted)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown device '" + name + "'; choose from "
        + Arrays.stream(values()).map(BackendKind::id).collect(Collectors.joining(", ")));
  }

  /**
   * Opens this backend on a model limited to {@code threads} threads.
   *
   * @param file the ONNX file (backends that read the file themselves use it)
   * @param graph the same model as imported by potaccel
   */
  public Backend open(Path file, Graph graph, int threads) {
    return open(file, graph, BackendOptions.of(threads));
  }

  /**
   * Opens this backend on a model with {@code options} (threads; scheme and calibration data
   * for the emulator).
   */
  public Backend open(Path file, Graph graph, BackendOptions options) {
    return switch (this) {
      case CPU -> new CpuBackend(graph, options.threads());
      case ONNXRUNTIME -> new OnnxRuntimeBackend(file, options.threads());
      case EMULATOR -> EmulatorBackend.compile(file, graph, options);
      case OPENCL -> OpenClBackend.compile(file, graph, options);
    };
  }

  /** Whether this backend computes in reduced precision (its outputs differ numerically). */
  public boolean quantized() {
    return this == EMULATOR || this == OPENCL;
  }
}
