package dev.potaccel.device.opencl;

import dev.potaccel.device.HostGraphExecutor;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import java.util.ArrayList;
import java.util.List;

/**
 * A compiled package opened on an OpenCL device for any number of runs, as {@link
 * dev.potaccel.device.EmulatorSession} is on the emulator: FP32 batches in, FP32 outputs out,
 * HOST commands on the CPU engine. Owns the device, the loaded package and the host engines, and
 * closes all three. The last run's per-command device times are kept for {@code potaccel
 * profile}.
 */
public final class OpenClSession implements AutoCloseable {
  private final OpenClDevice device;
  private final HostGraphExecutor host;
  private final OpenClPackage loaded;
  private volatile OpenClRun last;

  private OpenClSession(OpenClDevice device, HostGraphExecutor host, OpenClPackage loaded) {
    this.device = device;
    this.host = host;
    this.loaded = loaded;
  }

  /**
   * Opens device {@code device} of platform {@code platform} and loads {@code pkg} on it.
   *
   * @param threads threads of each host engine (HOST commands)
   * @throws OpenClException when the device, the manifest check, the program or an OpenCL call
   *     fails
   * @throws dev.potaccel.protocol.pkg.PackageFormatException if the package breaks the contract
   */
  public static OpenClSession open(AcceleratorPackage pkg, int platform, int device, int threads,
      OpenClDevice.Options options) {
    OpenClDevice d = OpenClDevice.open(platform, device, options);
    HostGraphExecutor h = null;
    try {
      h = new HostGraphExecutor(pkg, threads);
      return new OpenClSession(d, h, d.load(pkg, h));
    } catch (RuntimeException e) {
      if (h != null) {
        h.close();
      }
      d.close();
      throw e;
    }
  }

  public OpenClDevice device() {
    return device;
  }

  public OpenClPackage loaded() {
    return loaded;
  }

  /** The last run, with its per-command times; null before the first. */
  public OpenClRun lastRun() {
    return last;
  }

  /**
   * Runs one batch.
   *
   * @param inputs one FP32 tensor per model input, batch first, equal batch sizes
   * @return one FP32 tensor per model output, batch first
   */
  public List<Tensor> run(List<Tensor> inputs) {
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("no inputs");
    }
    int batch = inputs.get(0).dim(0);
    List<float[]> values = new ArrayList<>();
    for (Tensor t : inputs) {
      if (t.rank() == 0 || t.dim(0) != batch) {
        throw new IllegalArgumentException("inputs differ in batch size: " + t + " and "
            + inputs.get(0));
      }
      values.add(t.floats());
    }
    OpenClRun run = loaded.run(batch, values);
    last = run;
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < run.outputs().size(); i++) {
      out.add(Tensor.ofFloats(run.outputShape(i), run.output(i)));
    }
    return out;
  }

  /** Runs one batch of the package's one input; returns its first output. */
  public Tensor run(Tensor input) {
    return run(List.of(input)).get(0);
  }

  /** Releases the package's device memory and kernels, the host engines, then the device. */
  @Override
  public void close() {
    try {
      loaded.close();
    } finally {
      try {
        host.close();
      } finally {
        device.close();
      }
    }
  }
}
