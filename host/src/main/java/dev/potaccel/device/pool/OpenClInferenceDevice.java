package dev.potaccel.device.pool;

import dev.potaccel.device.opencl.OpenClSession;
import dev.potaccel.graph.Tensor;
import java.util.List;

/**
 * A package on an OpenCL device, through an {@link OpenClSession} the pool takes over (and
 * closes). Whole batches only: {@code OpenClPackage} runs a package from its first command to its
 * last, so it works in data-parallel pools; a pipeline pool refuses it (see the package documentation).
 */
public final class OpenClInferenceDevice implements InferenceDevice {
  private final String name;
  private final OpenClSession session;

  public OpenClInferenceDevice(String name, OpenClSession session) {
    this.name = name;
    this.session = session;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Tensor> run(List<Tensor> batch) {
    return session.run(batch);
  }

  @Override
  public void close() {
    session.close();
  }

  @Override
  public String toString() {
    return name;
  }
}
