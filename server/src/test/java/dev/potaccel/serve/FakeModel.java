package dev.potaccel.serve;

import dev.potaccel.graph.Tensor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A fake model for server tests: input "x" FP32 [-1,4] → output "y" = 2x + 1, row by row, so any
 * merged batch splits back to the single answers. Records batch sizes; can be made to block in
 * {@link #run} until {@link #release} (queue-full and shutdown tests).
 */
final class FakeModel implements InferenceModel {
  static final List<TensorSpec> INPUTS = List.of(
      new TensorSpec("x", Datatype.FP32, new long[] {-1, 4}));
  static final List<TensorSpec> OUTPUTS = List.of(
      new TensorSpec("y", Datatype.FP32, new long[] {-1, 4}));

  final List<Integer> batches = new CopyOnWriteArrayList<>();
  final Semaphore running = new Semaphore(0);
  private volatile CountDownLatch gate = new CountDownLatch(0);
  volatile boolean closed;

  /** From now on every run waits until {@link #release}. */
  void block() {
    gate = new CountDownLatch(1);
  }

  void release() {
    gate.countDown();
  }

  /** Waits until a run has started (it may be blocked). */
  void awaitRunning() throws InterruptedException {
    if (!running.tryAcquire(10, TimeUnit.SECONDS)) {
      throw new AssertionError("no run started within 10 s");
    }
  }

  @Override
  public List<TensorSpec> inputs() {
    return INPUTS;
  }

  @Override
  public List<TensorSpec> outputs() {
    return OUTPUTS;
  }

  @Override
  public String device() {
    return "fake";
  }

  @Override
  public List<Tensor> run(List<Tensor> batch) {
    Tensor x = batch.get(0);
    batches.add(x.dim(0));
    running.release();
    try {
      if (!gate.await(20, TimeUnit.SECONDS)) {
        throw new IllegalStateException("fake model: never released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    float[] y = x.floats().clone();
    for (int i = 0; i < y.length; i++) {
      y[i] = 2 * y[i] + 1;
    }
    return List.of(Tensor.ofFloats(x.shape(), y));
  }

  @Override
  public void close() {
    closed = true;
  }
}
