package dev.potaccel.serve;

import dev.potaccel.device.pool.DevicePool;
import dev.potaccel.graph.Tensor;
import java.util.List;
import java.util.concurrent.CompletableFuture;

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

  /** Where it runs, for metrics and metadata: "emulator", "cpu", "emulator+opencl:0:0". */
  String device();

  /**
   * Runs one batch: one tensor per input, in order, equal first dimensions; returns one tensor per
   * output with the same first dimension.
   */
  List<Tensor> run(List<Tensor> batch);

  /**
   * Queues one batch; completes as {@link #run} returns or throws. The default runs it now, in
   * the caller; a model on several devices returns at once and completes from a device thread.
   */
  default CompletableFuture<List<Tensor>> submit(List<Tensor> batch) {
    try {
      return CompletableFuture.completedFuture(run(batch));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Batches worth having in flight at once: 1 unless the model runs on several devices. */
  default int parallelism() {
    return 1;
  }

  /** Each device of a pool with its health and busy time; empty for one device. */
  default List<DevicePool.DeviceState> deviceStates() {
    return List.of();
  }

  @Override
  void close();
}
