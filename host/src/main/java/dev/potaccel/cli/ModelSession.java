package dev.potaccel.cli;

import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.graph.Tensor;
import java.util.Map;

/**
 * A model opened on a device for any number of runs: a batch for its one input in, its first
 * output out. The one place the CLI chooses an engine by {@link DeviceSpec.Kind}, so a new kind
 * of device is added here and every command gets it.
 */
final class ModelSession implements AutoCloseable {
  private final LoadedModel model;
  private final CpuEngine engine;

  private ModelSession(LoadedModel model, CpuEngine engine) {
    this.model = model;
    this.engine = engine;
  }

  /** @param threads worker threads for engines that run on the host CPU */
  static ModelSession open(LoadedModel model, DeviceSpec device, int threads) {
    return switch (device.kind()) {
      case CPU -> new ModelSession(model, new CpuEngine(model.graph(), threads));
    };
  }

  /** Runs one batch; returns the model's first output (class scores, batch first). */
  Tensor run(Tensor batch) {
    Map<String, Tensor> out = engine.run(Map.of(model.input().name(), batch));
    return out.get(model.output().name());
  }

  @Override
  public void close() {
    engine.close();
  }
}
