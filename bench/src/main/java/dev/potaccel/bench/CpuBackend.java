package dev.potaccel.bench;

import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import java.util.Map;

/** Our FP32 CPU engine: one {@link CpuEngine} with its own pool of {@code threads} workers. */
final class CpuBackend implements Backend {
  private final CpuEngine engine;
  private final String input;

  CpuBackend(Graph graph, int threads) {
    this.engine = new CpuEngine(graph, threads);
    this.input = graph.inputs().get(0).name();
  }

  @Override
  public String name() {
    return BackendKind.CPU.id();
  }

  @Override
  public Tensor run(Tensor batch) {
    return engine.run(Map.of(input, batch)).values().iterator().next();
  }

  @Override
  public void close() {
    engine.close();
  }
}
