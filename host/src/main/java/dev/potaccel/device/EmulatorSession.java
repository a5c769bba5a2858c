package dev.potaccel.device;

import dev.potaccel.emulator.Emulator;
import dev.potaccel.emulator.EmulatorRun;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Buffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A compiled package opened on the emulator for any number of runs: FP32 batches in (quantized by
 * the package's CONVERT commands), dequantized FP32 outputs out, HOST commands on the CPU engine.
 * Thread-safe. {@link #close} stops the emulator's and the host engines' threads.
 */
public final class EmulatorSession implements AutoCloseable {
  private final AcceleratorPackage pkg;
  private final HostGraphExecutor host;
  private final Emulator emulator;

  private EmulatorSession(AcceleratorPackage pkg, HostGraphExecutor host, Emulator emulator) {
    this.pkg = pkg;
    this.host = host;
    this.emulator = emulator;
  }

  /**
   * Decodes {@code pkg} for the emulator.
   *
   * @param threads emulator worker threads, and threads of each host engine
   * @throws dev.potaccel.protocol.pkg.PackageFormatException if the package breaks the contract
   */
  public static EmulatorSession open(AcceleratorPackage pkg, int threads) {
    HostGraphExecutor host = new HostGraphExecutor(pkg, threads);
    try {
      return new EmulatorSession(pkg, host, new Emulator(pkg, threads, host));
    } catch (RuntimeException e) {
      host.close();
      throw e;
    }
  }

  public AcceleratorPackage pkg() {
    return pkg;
  }

  /**
   * A package's model inputs as graph values: name and FP32 shape, the batch dimension unknown
   * (what a caller checks its input files against before opening a session).
   */
  public static List<ValueInfo> inputsOf(AcceleratorPackage pkg) {
    return values(pkg, pkg.getInputBuffersList());
  }

  /** A package's model outputs, likewise. */
  public static List<ValueInfo> outputsOf(AcceleratorPackage pkg) {
    return values(pkg, pkg.getOutputBuffersList());
  }

  private static List<ValueInfo> values(AcceleratorPackage pkg, List<Integer> indices) {
    List<ValueInfo> out = new ArrayList<>();
    for (int i : indices) {
      out.add(valueOf(pkg.getBuffers(i)));
    }
    return out;
  }

  /** A buffer as a batch-first FP32 graph value. */
  private static ValueInfo valueOf(Buffer b) {
    int[] dims = new int[b.getShapeCount() + 1];
    dims[0] = TensorType.UNKNOWN;
    for (int d = 0; d < b.getShapeCount(); d++) {
      dims[d + 1] = b.getShape(d);
    }
    return new ValueInfo(b.getName(), TensorType.of(DataType.FLOAT, dims));
  }

  /**
   * Runs one batch.
   *
   * @param inputs one FP32 tensor per model input, batch first, equal batch sizes
   * @return one FP32 tensor per model output, batch first
   * @throws IllegalArgumentException if the inputs do not fit the package
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
    EmulatorRun run = emulator.run(batch, values);
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

  @Override
  public void close() {
    try {
      emulator.close();
    } finally {
      host.close();
    }
  }
}
