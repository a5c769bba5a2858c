package dev.potaccel.bench;

import dev.potaccel.device.opencl.OpenClDevice;
import dev.potaccel.device.opencl.OpenClException;
import dev.potaccel.device.opencl.OpenClSession;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import java.nio.file.Path;

/**
 * The accelerator kernels on an OpenCL device ({@code opencl:0:0}, PoCL on the CPU here): the
 * same package the emulator backend compiles in memory, run through one {@link OpenClSession}.
 * Compilation and the kernels' build or cache load are not timed; quantizing the batch, every
 * kernel, the input and output transfers are. Its outputs equal the emulator's bit for bit.
 */
final class OpenClBackend implements Backend {
  private final OpenClSession session;
  private final String description;

  private OpenClBackend(OpenClSession session, String description) {
    this.session = session;
    this.description = description;
  }

  static OpenClBackend compile(Path file, Graph graph, BackendOptions options) {
    return open(EmulatorBackend.compilePackage(file, graph, options), options);
  }

  /** Opens a package already compiled (shared with other rows of the same run). */
  static OpenClBackend open(EmulatorBackend.Compiled c, BackendOptions options) {
    OpenClSession s = OpenClSession.open(c.pkg(), 0, 0, options.threads(),
        OpenClDevice.Options.defaults());
    return new OpenClBackend(s, c.description() + "; on " + s.device().info().spec() + " '"
        + s.device().info().deviceName() + "', bitstream " + s.device().manifest().name() + ", "
        + s.loaded().programReport());
  }

  @Override
  public String name() {
    return BackendKind.OPENCL.id();
  }

  /** One line for the table header: the package, the device, how the kernels were loaded. */
  String description() {
    return description;
  }

  @Override
  public Tensor run(Tensor batch) {
    try {
      return session.run(batch);
    } catch (IllegalArgumentException | OpenClException e) {
      throw new BackendException("opencl: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    session.close();
  }
}
