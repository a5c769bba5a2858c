package dev.potaccel.bench;

import dev.potaccel.graph.Tensor;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Times backends on the same batches, interleaved so that a change in machine load (other jobs
 * on shared cores, frequency changes) hits every backend alike and their ratio stays fair. The
 * warm-up and the measurement are each cut into slices of about {@link #SLICE}; in every round
 * each backend runs for one slice, in alternating order (A B, B A, ...). A backend runs one batch
 * at a time from this thread and cycles through the batches; every call is timed.
 *
 * <p>A {@link PoolBackend} is fed a stream instead: in its slice it keeps {@link
 * PoolBackend#window} batches in flight, stops submitting when the slice is over and waits for
 * the last answer. Its time is the slice's wall time, from the first submission to the last
 * answer, fill and drain included; its latencies are from submission to answer.
 */
public final class Benchmark {
  /** Length of one backend's turn. */
  static final Duration SLICE = Duration.ofMillis(500);

  private final List<Backend> backends;
  private final List<Tensor> batches;
  private final int[] cursor;
  private double sink; // keeps results observably used

  private final Duration slice;

  public Benchmark(List<Backend> backends, List<Tensor> batches) {
    this(backends, batches, SLICE);
  }

  /** With turns of {@code slice} (a pool needs several batches per turn to fill up). */
  public Benchmark(List<Backend> backends, List<Tensor> batches, Duration slice) {
    if (backends.isEmpty() || batches.isEmpty()) {
      throw new IllegalArgumentException("need at least one backend and one batch");
    }
    this.backends = List.copyOf(backends);
    this.batches = List.copyOf(batches);
    this.cursor = new int[backends.size()];
    this.slice = slice;
  }

  /** Runs every backend for about {@code time} in total, untimed (JIT, caches, thread pools). */
  public void warmUp(Duration time) {
    interleave(time, null);
  }

  /** Runs every backend for about {@code time} in total and returns their figures, in order. */
  public List<BackendResult> measure(Duration time) {
    Latencies[] latencies = new Latencies[backends.size()];
    for (int i = 0; i < latencies.length; i++) {
      latencies[i] = new Latencies();
    }
    interleave(time, latencies);
    List<BackendResult> results = new ArrayList<>();
    int batchSize = batches.get(0).dim(0);
    for (int i = 0; i < latencies.length; i++) {
      results.add(latencies[i].result(backends.get(i).name(), batchSize));
    }
    return results;
  }

  private void interleave(Duration time, Latencies[] record) {
    if (time.isZero() || time.isNegative()) {
      return;
    }
    long rounds = Math.max(1, Math.round(time.toNanos() / (double) slice.toNanos()));
    long slice = time.toNanos() / rounds;
    for (long r = 0; r < rounds; r++) {
      for (int k = 0; k < backends.size(); k++) {
        int i = r % 2 == 0 ? k : backends.size() - 1 - k;
        runSlice(i, slice, record == null ? null : record[i]);
      }
    }
  }

  /** At least one batch, then more until {@code nanos} have passed. */
  private void runSlice(int i, long nanos, Latencies record) {
    Backend backend = backends.get(i);
    if (backend instanceof PoolBackend pool) {
      streamSlice(i, pool, nanos, record);
      return;
    }
    long cpu0 = processCpuNanos();
    long end = System.nanoTime() + nanos;
    long now;
    do {
      Tensor in = batches.get(cursor[i]);
      cursor[i] = (cursor[i] + 1) % batches.size();
      long t0 = System.nanoTime();
      Tensor out = backend.run(in);
      now = System.nanoTime();
      sink += out.floats()[0];
      if (record != null) {
        record.add(now - t0);
      }
    } while (now < end);
    if (record != null) {
      record.addCpu(processCpuNanos() - cpu0);
    }
  }

  /**
   * CPU time of the whole process: during a backend's turn only that backend runs, so the delta
   * is its CPU cost (plus the JVM's own GC and JIT threads), which other jobs on the machine do
   * not inflate the way they inflate wall time.
   */
  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
  }

  /** A stream for {@code nanos}: at least one batch, the window kept full, then drained. */
  private void streamSlice(int i, PoolBackend pool, long nanos, Latencies record) {
    record Answer(long nanos, float first) {}
    record Sent(long t0, CompletableFuture<Answer> done) {}
    long cpu0 = processCpuNanos();
    long start = System.nanoTime();
    long end = start + nanos;
    long last = start;
    ArrayDeque<Sent> window = new ArrayDeque<>();
    boolean first = true;
    while (true) {
      while (window.size() < pool.window() && (first || System.nanoTime() < end)) {
        first = false;
        Tensor in = batches.get(cursor[i]);
        cursor[i] = (cursor[i] + 1) % batches.size();
        long t0 = System.nanoTime();
        // the answer's time is taken when it arrives, not when this thread gets to it
        window.add(new Sent(t0, pool.submit(in).thenApply(
            out -> new Answer(System.nanoTime(), out.floats()[0]))));
      }
      Sent oldest = window.poll();
      if (oldest == null) {
        break;
      }
      Answer a = oldest.done().join();
      sink += a.first();
      long t1 = a.nanos();
      last = Math.max(last, t1);
      if (record != null) {
        record.add(t1 - oldest.t0());
      }
    }
    if (record != null) {
      record.addWall(last - start);
      record.addCpu(processCpuNanos() - cpu0);
    }
  }

  @Override
  public String toString() {
    return "Benchmark" + backends.stream().map(Backend::name).toList() + " (" + sink + ")";
  }

  /** Every call's latency in nanoseconds. */
  private static final class Latencies {
    private long[] nanos = new long[1024];
    private int count;
    /** Streams: wall time of the slices; 0 for one batch at a time (then busy = sum). */
    private long wallNanos;
    /** Process CPU time during the turns; negative when the JVM cannot tell. */
    private long cpuNanos;

    void addCpu(long ns) {
      cpuNanos = ns < 0 || cpuNanos < 0 ? -1 : cpuNanos + ns;
    }

    void addWall(long ns) {
      wallNanos += ns;
    }

    void add(long ns) {
      if (count == nanos.length) {
        nanos = Arrays.copyOf(nanos, 2 * count);
      }
      nanos[count++] = ns;
    }

    BackendResult result(String backend, int batchSize) {
      long[] sorted = Arrays.copyOf(nanos, count);
      Arrays.sort(sorted);
      long total = 0;
      for (long ns : sorted) {
        total += ns;
      }
      long busy = wallNanos > 0 ? wallNanos : total;
      return new BackendResult(backend, batchSize, count, busy / 1e9,
          percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6,
          cpuNanos < 0 ? Double.NaN : cpuNanos / 1e9);
    }

    /** Nearest rank: the smallest value with at least fraction p of the values at or below it. */
    private static double percentile(long[] sorted, double p) {
      if (sorted.length == 0) {
        return Double.NaN;
      }
      int rank = (int) Math.ceil(p * sorted.length);
      return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }
  }
}
