package dev.potaccel.serve;

import dev.potaccel.error.PotaccelException;
import dev.potaccel.graph.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching for one model: requests wait in a bounded queue; one worker thread takes the
 * oldest, lets later ones join it until the batch holds {@link ModelConfig#maxBatchSize} rows or
 * the oldest has waited {@link ModelConfig#maxBatchDelay}, runs the merged batch (inputs
 * concatenated along the batch dimension) and splits every output back by each request's rows,
 * so a request's answer is exactly what it would get alone. A full queue refuses at once
 * ({@link ServeError#OVERLOADED}); a request that waited past its deadline is refused
 * ({@link ServeError#TIMEOUT}) instead of run. If a merged batch fails, each of its requests is
 * retried alone so one bad request cannot fail the others. A model on several devices ({@link
 * InferenceModel#parallelism} above 1) gets that many merged batches in flight at once: the
 * worker forms the next batch while the devices run the previous ones, and answers are split
 * back on a completion thread. {@link #close} refuses new requests, answers every queued and
 * running one and stops the threads.
 */
final class Batcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Batcher.class);

  /** A request waiting for its batch. */
  private record Pending(List<Tensor> inputs, int rows, long enqueuedNanos, long deadlineNanos,
      CompletableFuture<List<Tensor>> result) {}

  private final String name;
  private final InferenceModel model;
  private final ModelConfig config;
  private final Metrics.ModelMetrics metrics;
  private final boolean mergeable;
  private final ArrayBlockingQueue<Pending> queue;
  private final Thread worker;
  /** Permits for merged batches in flight on the model's devices. */
  private final Semaphore inFlight;
  private final int permits;
  /** Splits and answers batches that completed on a device thread (null for one device). */
  private final ExecutorService completions;
  private boolean closing; // guarded by this
  private Pending carry; // worker thread only: taken but did not fit the previous batch

  Batcher(String name, InferenceModel model, ModelConfig config, Metrics metrics,
      String version) {
    this.name = name;
    this.model = model;
    this.config = config;
    this.queue = new ArrayBlockingQueue<>(config.maxQueueSize());
    this.metrics = metrics.register(name, version, model.device(), queue::size,
        model::deviceStates);
    // requests merge only along a variable first dimension of every input
    this.mergeable = config.maxBatchSize() > 1
        && model.inputs().stream().allMatch(TensorSpec::batched);
    this.permits = Math.max(1, model.parallelism());
    this.inFlight = new Semaphore(permits);
    this.completions = permits == 1 ? null : Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "batcher-" + name + "-answers");
      t.setDaemon(true);
      return t;
    });
    this.worker = new Thread(this::work, "batcher-" + name);
    worker.setDaemon(true);
    worker.start();
  }

  Metrics.ModelMetrics metrics() {
    return metrics;
  }

  /**
   * Queues one request.
   *
   * @param inputs one tensor per model input, in order, validated against the model
   * @param rows the request's batch size (first dimension)
   * @param deadlineNanos {@link System#nanoTime} after which it is refused rather than run
   * @throws ServeException OVERLOADED when the queue is full, UNAVAILABLE after {@link #close}
   */
  CompletableFuture<List<Tensor>> submit(List<Tensor> inputs, int rows, long deadlineNanos) {
    Pending p = new Pending(inputs, rows, System.nanoTime(), deadlineNanos,
        new CompletableFuture<>());
    synchronized (this) {
      if (closing) {
        throw new ServeException(ServeError.UNAVAILABLE, "model '" + name
            + "': the server is shutting down and takes no new requests");
      }
      if (!queue.offer(p)) {
        throw new ServeException(ServeError.OVERLOADED, "model '" + name + "': queue full ("
            + config.maxQueueSize() + " requests waiting); retry later");
      }
    }
    return p.result();
  }

  /** Requests waiting, not yet running. */
  int pending() {
    return queue.size();
  }

  private void work() {
    try {
      while (true) {
        Pending first = carry != null ? carry : queue.poll(50, TimeUnit.MILLISECONDS);
        carry = null;
        if (first == null) {
          synchronized (this) {
            if (closing && queue.isEmpty()) {
              return;
            }
          }
          continue;
        }
        if (expired(first)) {
          continue;
        }
        List<Pending> batch = new ArrayList<>();
        batch.add(first);
        int rows = first.rows();
        long until = first.enqueuedNanos() + config.maxBatchDelay().toNanos();
        while (mergeable && rows < config.maxBatchSize()) {
          long wait = until - System.nanoTime();
          Pending next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
          if (next == null) {
            break;
          }
          if (expired(next)) {
            continue;
          }
          if (rows + next.rows() > config.maxBatchSize()) {
            carry = next;
            break;
          }
          batch.add(next);
          rows += next.rows();
        }
        long now = System.nanoTime();
        for (Pending p : batch) {
          metrics.queued((now - p.enqueuedNanos()) / 1000);
        }
        execute(batch, rows);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failAll(new ServeException(ServeError.UNAVAILABLE, "model '" + name
          + "': the server stopped before this request ran"));
    }
  }

  private boolean expired(Pending p) {
    if (System.nanoTime() - p.deadlineNanos() <= 0) {
      return false;
    }
    long waited = (System.nanoTime() - p.enqueuedNanos()) / 1_000_000;
    p.result().completeExceptionally(new ServeException(ServeError.TIMEOUT, "model '" + name
        + "': request timed out after " + waited + " ms in the queue (timeout "
        + config.timeout().toMillis() + " ms)"));
    return true;
  }

  /**
   * Runs a merged batch: waits for a free permit, submits it, and answers its requests when it
   * completes, at once in this thread when the model ran it synchronously, else on the
   * completion thread (a device thread must never wait here, nor run a retry).
   */
  private void execute(List<Pending> batch, int rows) throws InterruptedException {
    List<Tensor> merged = merge(batch, rows);
    inFlight.acquire();
    long start = System.nanoTime();
    CompletableFuture<List<Tensor>> f;
    try {
      f = model.submit(merged);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    if (f.isDone() || completions == null) {
      awaitQuietly(f);
      inFlight.release();
      answer(batch, rows, f, start);
      return;
    }
    CompletableFuture<List<Tensor>> running = f;
    // the permit goes back on the device thread (the completion thread may wait for one in a
    // retry), after the answer is queued (close() waits for every permit, then for the queue)
    running.whenComplete((out, error) -> {
      completions.execute(() -> answer(batch, rows, running, start));
      inFlight.release();
    });
  }

  private static void awaitQuietly(CompletableFuture<?> f) {
    try {
      f.join();
    } catch (CompletionException | CancellationException e) {
      // the caller reads the outcome from f
    }
  }

  /** Answers the requests of a batch whose future is complete. */
  private void answer(List<Pending> batch, int rows, CompletableFuture<List<Tensor>> done,
      long start) {
    List<Tensor> out;
    try {
      out = done.join();
      metrics.executed(rows, System.nanoTime() - start, true);
    } catch (CompletionException | CancellationException e) {
      metrics.executed(rows, System.nanoTime() - start, false);
      RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
      if (batch.size() > 1) {
        LOG.debug("model '{}': merged batch of {} requests failed; running each alone", name,
            batch.size(), cause);
        for (Pending p : batch) {
          runAlone(p);
        }
        return;
      }
      batch.get(0).result().completeExceptionally(failure(cause));
      return;
    }
    split(batch, rows, out);
  }

  /** A request of a failed merged batch, on its own, waited for here. */
  private void runAlone(Pending p) {
    try {
      inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.result().completeExceptionally(new ServeException(ServeError.UNAVAILABLE, "model '"
          + name + "': the server stopped before this request ran"));
      return;
    }
    long start = System.nanoTime();
    CompletableFuture<List<Tensor>> f;
    try {
      f = model.submit(p.inputs());
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    awaitQuietly(f);
    inFlight.release();
    answer(List.of(p), p.rows(), f, start);
  }

  private List<Tensor> merge(List<Pending> batch, int rows) {
    if (batch.size() == 1) {
      return batch.get(0).inputs();
    }
    List<Tensor> merged = new ArrayList<>();
    for (int i = 0; i < model.inputs().size(); i++) {
      List<Tensor> parts = new ArrayList<>();
      for (Pending p : batch) {
        parts.add(p.inputs().get(i));
      }
      merged.add(concat(parts, rows));
    }
    return merged;
  }

  /** Every request its rows of every output. */
  private void split(List<Pending> batch, int rows, List<Tensor> out) {
    if (batch.size() == 1) {
      batch.get(0).result().complete(out);
      return;
    }
    int offset = 0;
    for (Pending p : batch) {
      List<Tensor> mine = new ArrayList<>();
      for (Tensor t : out) {
        if (t.rank() == 0 || t.dim(0) != rows) {
          p.result().completeExceptionally(new ServeException(ServeError.INTERNAL, "model '"
              + name + "': output " + t + " of a batch of " + rows + " rows has no batch"
              + " dimension to split; set max_batch_size 1 for this model"));
          mine = null;
          break;
        }
        mine.add(slice(t, offset, p.rows()));
      }
      if (mine != null) {
        p.result().complete(mine);
      }
      offset += p.rows();
    }
  }

  /** The error a client sees for a failed run: bad input is 400, anything else 500. */
  private ServeException failure(RuntimeException e) {
    if (e instanceof ServeException s) {
      return s;
    }
    if (e instanceof IllegalArgumentException || e instanceof PotaccelException) {
      return new ServeException(ServeError.BAD_REQUEST, "model '" + name + "': "
          + e.getMessage(), e);
    }
    LOG.warn("model '{}' on {}: run failed", name, model.device(), e);
    return new ServeException(ServeError.INTERNAL, "model '" + name + "' on " + model.device()
        + ": run failed: " + (e.getMessage() != null ? e.getMessage() : e.getClass().getName()),
        e);
  }

  private void failAll(ServeException e) {
    if (carry != null) {
      carry.result().completeExceptionally(e);
    }
    Pending p;
    while ((p = queue.poll()) != null) {
      p.result().completeExceptionally(e);
    }
  }

  /** The tensors stacked along the first dimension. */
  static Tensor concat(List<Tensor> parts, int rows) {
    Tensor first = parts.get(0);
    int[] shape = first.shape().clone();
    shape[0] = rows;
    int offset = 0;
    if (first.dtype().isFloat()) {
      float[] all = new float[Math.toIntExact(Tensor.elementCount(shape))];
      for (Tensor t : parts) {
        System.arraycopy(t.floats(), 0, all, offset, t.size());
        offset += t.size();
      }
      return Tensor.ofFloats(shape, all);
    }
    long[] all = new long[Math.toIntExact(Tensor.elementCount(shape))];
    for (Tensor t : parts) {
      System.arraycopy(t.longs(), 0, all, offset, t.size());
      offset += t.size();
    }
    return Tensor.ofLongs(first.dtype(), shape, all);
  }

  /** Rows {@code [from, from + count)} of {@code t}, copied. */
  static Tensor slice(Tensor t, int from, int count) {
    int[] shape = t.shape().clone();
    int rowSize = t.size() / shape[0];
    shape[0] = count;
    if (t.dtype().isFloat()) {
      return Tensor.ofFloats(shape, Arrays.copyOfRange(t.floats(), from * rowSize,
          (from + count) * rowSize));
    }
    return Tensor.ofLongs(t.dtype(), shape, Arrays.copyOfRange(t.longs(), from * rowSize,
        (from + count) * rowSize));
  }

  /** Refuses new requests, answers every queued and running one, stops the threads. */
  @Override
  public void close() {
    synchronized (this) {
      closing = true;
    }
    try {
      worker.join();
      if (completions != null) {
        inFlight.acquire(permits); // no batch left on the devices
        inFlight.release(permits); // a failed merged batch's retries may still need them
        completions.shutdown();
        completions.awaitTermination(1, TimeUnit.MINUTES);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      worker.interrupt();
    }
  }
}
