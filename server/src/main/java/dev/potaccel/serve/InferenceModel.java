package dev.potaccel.serve;

import dev.potaccel.graph.Tensor;
import java.util.List;

/**
 * What the server runs for a model: its tensors and one batch at a time. {@link SessionModel}
 * is the real one (a host {@code InferenceSession} on the emulator or the CPU engine); tests add
 * fakes that block or count batches, which is why this is an interface.
 */
public interface InferenceModel extends AutoCloseable {
  /** The inputs in order; the batch dimension first and -1. */
  List<TensorSpec> inputs();

  /** The outputs in order. */
  List<TensorSpec> outputs();

  /** Where it runs, for metrics and metadata: "emulator", "cpu". */
  String device();

  /**
   * Runs one batch: one tensor per input, in order, equal first dimensions; returns one tensor per
   * output with the same first dimension.
   */
  List<Tensor> run(List<Tensor> batch);

  @Override
  void close();
}
