package dev.potaccel.bench;

import dev.potaccel.graph.Tensor;

/**
 * One way to run a model, one row of the bench table. A backend is opened for one model with a
 * thread budget, runs batches one at a time from a single thread (one session, nothing in
 * flight concurrently), and is closed when the table is done. Later backends (the emulator, an
 * OpenCL device, a remote server) implement the same three methods.
 */
public interface Backend extends AutoCloseable {
  /** The row name in the table, as given to {@code --devices}: "cpu", "onnxruntime". */
  String name();

  /**
   * Runs one batch and returns the model's first output. Everything a caller would pay for is
   * inside: copying the input in, the inference, copying the output out.
   *
   * @throws BackendException when the backend itself fails (bad inputs are the caller's bug)
   */
  Tensor run(Tensor input);

  /** Releases threads and native memory. Idempotent; no checked exception. */
  @Override
  void close();
}
