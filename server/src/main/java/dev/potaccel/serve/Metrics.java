package dev.potaccel.serve;

import dev.potaccel.device.pool.DevicePool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics, in the text exposition format, with Triton's names and labels
 * ({@code model}, {@code version}) so dashboards built for Triton read them unchanged:
 * request success and failure counts (failure by {@code reason}), samples and batch executions,
 * pending requests, cumulative request, queue and compute microseconds. Ours beside them:
 * a batch-size histogram and per-device busy time, utilisation and health.
 */
final class Metrics {
  /** Upper bounds of the batch-size histogram buckets (samples per executed batch). */
  static final int[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  private static final List<String> REASONS = List.of("REJECTED", "CANCELED", "BACKEND", "OTHER");

  private final List<ModelMetrics> models = new CopyOnWriteArrayList<>();

  /** Registers a model; its counters appear in every scrape from now on. */
  ModelMetrics register(String model, String version, String device, IntSupplier pending) {
    return register(model, version, device, pending, List::of);
  }

  /**
   * Registers a model on a device pool: {@code devices} gives each pool device's health and busy
   * time at a scrape (empty: one device, reported from the model's own batches).
   */
  ModelMetrics register(String model, String version, String device, IntSupplier pending,
      Supplier<List<DevicePool.DeviceState>> devices) {
    ModelMetrics m = new ModelMetrics(model, version, device, pending, devices);
    models.add(m);
    return m;
  }

  /** The counters of one model, updated by its batcher and the front ends. */
  static final class ModelMetrics {
    private final String labels;
    private final String device;
    private final IntSupplier pending;
    private final LongAdder success = new LongAdder();
    private final Map<String, LongAdder> failure = new ConcurrentHashMap<>();
    private final LongAdder inferenceCount = new LongAdder();
    private final LongAdder execCount = new LongAdder();
    private final LongAdder requestMicros = new LongAdder();
    private final LongAdder queueMicros = new LongAdder();
    private final LongAdder computeMicros = new LongAdder();
    private final AtomicLongArray batchBuckets = new AtomicLongArray(BATCH_BUCKETS.length);
    private final LongAdder batchSum = new LongAdder();
    private final AtomicLong lastScrapeNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong busyAtLastScrape = new AtomicLong();
    private final LongAdder busyNanos = new LongAdder();
    private volatile boolean healthy = true;
    private final Supplier<List<DevicePool.DeviceState>> devices;
    /** Pool devices: busy nanoseconds at the previous scrape, by device name. */
    private final Map<String, Long> deviceBusyAtLastScrape = new ConcurrentHashMap<>();

    private ModelMetrics(String model, String version, String device, IntSupplier pending,
        Supplier<List<DevicePool.DeviceState>> devices) {
      this.labels = "model=\"" + escape(model) + "\",version=\"" + escape(version) + "\"";
      this.device = device;
      this.pending = pending;
      this.devices = devices;
      for (String r : REASONS) {
        failure.put(r, new LongAdder());
      }
    }

    /** A request answered; {@code micros} from arrival to answer. */
    void succeeded(long micros) {
      success.increment();
      requestMicros.add(micros);
    }

    /** A request refused or failed after it reached the model. */
    void failed(ServeError error, long micros) {
      failure.get(error.metricReason()).increment();
      requestMicros.add(micros);
    }

    /** One request's time in the queue. */
    void queued(long micros) {
      queueMicros.add(micros);
    }

    /** One executed batch of {@code samples} rows that took {@code nanos} on the device. */
    void executed(int samples, long nanos, boolean ok) {
      execCount.increment();
      inferenceCount.add(samples);
      computeMicros.add(nanos / 1000);
      busyNanos.add(nanos);
      batchSum.add(samples);
      for (int b = 0; b < BATCH_BUCKETS.length; b++) {
        if (samples <= BATCH_BUCKETS[b]) {
          batchBuckets.incrementAndGet(b);
          break;
        }
      }
      healthy = ok;
    }

    /**
     * Per device since the previous scrape: its busy fraction and health. One device: from the
     * model's batches (healthy when the last one succeeded); a pool: from the pool's own account.
     */
    private List<DeviceSample> deviceSamples() {
      long now = System.nanoTime();
      long elapsed = now - lastScrapeNanos.getAndSet(now);
      List<DevicePool.DeviceState> states = devices.get();
      if (states.isEmpty()) {
        long busy = busyNanos.sum();
        long delta = busy - busyAtLastScrape.getAndSet(busy);
        return List.of(new DeviceSample(device, fraction(delta, elapsed), healthy));
      }
      List<DeviceSample> out = new ArrayList<>();
      for (DevicePool.DeviceState d : states) {
        Long before = deviceBusyAtLastScrape.put(d.name(), d.busyNanos());
        out.add(new DeviceSample(d.name(),
            fraction(d.busyNanos() - (before == null ? 0 : before), elapsed), d.healthy()));
      }
      return out;
    }

    private static double fraction(long busy, long elapsed) {
      return elapsed <= 0 ? 0 : Math.min(1.0, (double) busy / elapsed);
    }
  }

  /** One device's line in a scrape. */
  private record DeviceSample(String device, double utilisation, boolean healthy) {
  }

  /** All metrics in the Prometheus text format (version 0.0.4). */
  String scrape() {
    StringBuilder out = new StringBuilder();
    family(out, "nv_inference_request_success", "counter",
        "Inference requests answered successfully (a batch-64 request counts once)");
    for (ModelMetrics m : models) {
      sample(out, "nv_inference_request_success", m.labels, m.success.sum());
    }
    family(out, "nv_inference_request_failure", "counter",
        "Inference requests that failed, by reason");
    for (ModelMetrics m : models) {
      for (String r : REASONS) {
        sample(out, "nv_inference_request_failure", m.labels + ",reason=\"" + r + "\"",
            m.failure.get(r).sum());
      }
    }
    counter(out, "nv_inference_count", "Samples inferred (a batch of n counts n)",
        m -> m.inferenceCount.sum());
    counter(out, "nv_inference_exec_count", "Batches executed", m -> m.execCount.sum());
    family(out, "nv_inference_pending_request_count", "gauge",
        "Requests queued, not yet executing");
    for (ModelMetrics m : models) {
      sample(out, "nv_inference_pending_request_count", m.labels, m.pending.getAsInt());
    }
    counter(out, "nv_inference_request_duration_us",
        "Cumulative end-to-end request time, microseconds", m -> m.requestMicros.sum());
    counter(out, "nv_inference_queue_duration_us", "Cumulative queue time, microseconds",
        m -> m.queueMicros.sum());
    counter(out, "nv_inference_compute_infer_duration_us",
        "Cumulative device time of executed batches, microseconds", m -> m.computeMicros.sum());
    family(out, "potaccel_inference_batch_size", "histogram",
        "Samples per executed batch after dynamic batching");
    for (ModelMetrics m : models) {
      long cumulative = 0;
      for (int b = 0; b < BATCH_BUCKETS.length; b++) {
        cumulative += m.batchBuckets.get(b);
        sample(out, "potaccel_inference_batch_size_bucket",
            m.labels + ",le=\"" + BATCH_BUCKETS[b] + "\"", cumulative);
      }
      sample(out, "potaccel_inference_batch_size_bucket", m.labels + ",le=\"+Inf\"",
          m.execCount.sum());
      sample(out, "potaccel_inference_batch_size_sum", m.labels, m.batchSum.sum());
      sample(out, "potaccel_inference_batch_size_count", m.labels, m.execCount.sum());
    }
    counter(out, "potaccel_device_busy_us", "Cumulative time the model's device was computing,"
        + " microseconds", m -> m.busyNanos.sum() / 1000);
    Map<ModelMetrics, List<DeviceSample>> samples = new LinkedHashMap<>();
    for (ModelMetrics m : models) {
      samples.put(m, m.deviceSamples());
    }
    family(out, "potaccel_device_utilization", "gauge",
        "Fraction of wall time each of the model's devices was busy since the previous scrape");
    samples.forEach((m, list) -> list.forEach(d -> out.append("potaccel_device_utilization{")
        .append(m.labels).append(",device=\"").append(escape(d.device())).append("\"} ")
        .append(String.format(Locale.ROOT, "%.4f", d.utilisation())).append('\n')));
    family(out, "potaccel_device_healthy", "gauge",
        "1 when the device is serving (one device: its last batch succeeded; a pool device: in"
            + " the pool), 0 when not");
    samples.forEach((m, list) -> list.forEach(d -> sample(out, "potaccel_device_healthy",
        m.labels + ",device=\"" + escape(d.device()) + "\"", d.healthy() ? 1 : 0)));
    return out.toString();
  }

  private void counter(StringBuilder out, String name, String help,
      java.util.function.ToLongFunction<ModelMetrics> value) {
    family(out, name, "counter", help);
    for (ModelMetrics m : models) {
      sample(out, name, m.labels, value.applyAsLong(m));
    }
  }

  private static void family(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void sample(StringBuilder out, String name, String labels, long value) {
    out.append(name).append('{').append(labels).append("} ").append(value).append('\n');
  }

  private static String escape(String label) {
    return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
