package dev.potaccel.device.pool;

import dev.potaccel.device.HostGraphExecutor;
import dev.potaccel.emulator.Emulator;
import dev.potaccel.emulator.EmulatorRun;
import dev.potaccel.emulator.LiveBuffers;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import java.util.ArrayList;
import java.util.List;

/**
 * A package on the bit-exact emulator, as {@link dev.potaccel.device.EmulatorSession} opens it (an
 * {@link Emulator} with a {@link HostGraphExecutor} for HOST commands), holding the emulator
 * itself so that it can also run a command range: it runs pipeline stages.
 */
public final class EmulatorInferenceDevice implements InferenceDevice {
  private final String name;
  private final HostGraphExecutor host;
  private final Emulator emulator;

  private EmulatorInferenceDevice(String name, HostGraphExecutor host, Emulator emulator) {
    this.name = name;
    this.host = host;
    this.emulator = emulator;
  }

  /**
   * Decodes {@code pkg} for the emulator.
   *
   * @param threads the emulator's and the host engine's threads (1: all work in the caller)
   * @throws dev.potaccel.protocol.pkg.PackageFormatException if the package breaks the contract
   */
  public static EmulatorInferenceDevice open(String name, AcceleratorPackage pkg, int threads) {
    HostGraphExecutor host = new HostGraphExecutor(pkg, threads);
    try {
      return new EmulatorInferenceDevice(name, host, new Emulator(pkg, threads, host));
    } catch (RuntimeException e) {
      host.close();
      throw e;
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Tensor> run(List<Tensor> batch) {
    int n = batch.get(0).dim(0);
    List<float[]> values = new ArrayList<>(batch.size());
    for (Tensor t : batch) {
      values.add(t.floats());
    }
    return tensors(emulator.run(n, values));
  }

  static List<Tensor> tensors(EmulatorRun run) {
    List<Tensor> out = new ArrayList<>(run.outputs().size());
    for (int i = 0; i < run.outputs().size(); i++) {
      out.add(Tensor.ofFloats(run.outputShape(i), run.output(i)));
    }
    return out;
  }

  @Override
  public boolean runsStages() {
    return true;
  }

  @Override
  public LiveBuffers runStage(LiveBuffers in, int to) {
    return emulator.runCommands(to, in);
  }

  @Override
  public void close() {
    try {
      emulator.close();
    } finally {
      host.close();
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
