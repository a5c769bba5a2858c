package dev.potaccel.device.pool;

import dev.potaccel.device.opencl.OpenClSession;
import dev.potaccel.emulator.LiveBuffers;
import dev.potaccel.graph.Tensor;
import java.util.List;

/**
 * A package on an OpenCL device, through an {@link OpenClSession} the pool takes over (and
 * closes). It runs whole batches and pipeline stages ({@link OpenClSession#runCommands}: the
 * buffers at the cut go to the device and come back as codes), both under the session's watchdog.
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
  public boolean runsStages() {
    return true;
  }

  @Override
  public LiveBuffers runStage(LiveBuffers in, int to) {
    return session.runCommands(to, in);
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
