package dev.potaccel.serve;

import dev.potaccel.graph.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol-neutral core both front ends call: health, metadata and inference over the
 * models of the repository. It owns the models' states (loading, ready, failed), validates every
 * request against its model once for both protocols, queues it on the model's {@link Batcher},
 * and counts what is in flight so a shutdown can wait for it. Readiness is false until every
 * model has loaded, and again from {@link #beginShutdown} on.
 */
final class InferenceService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InferenceService.class);

  static final String SERVER_NAME = "potaccel";
  /** The one version potaccel serves of each model. */
  static final String VERSION = "1";
  /** The protocol extensions implemented, as server metadata reports them. */
  static final List<String> EXTENSIONS = List.of("binary_tensor_data");

  /** A model's place in the server: loading until its source opens, then ready or failed. */
  private static final class Entry {
    final ModelSource source;
    volatile ServedModel model;
    volatile String failure;

    Entry(ModelSource source) {
      this.source = source;
    }
  }

  /** A loaded model with its batcher. */
  record ServedModel(String name, InferenceModel model, ModelConfig config, Batcher batcher) {
    String platform() {
      return "potaccel_" + model.device();
    }
  }

  private final Map<String, Entry> models = new LinkedHashMap<>();
  private final Metrics metrics;
  private final String serverVersion;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean draining;

  InferenceService(List<ModelSource> sources, Metrics metrics, String serverVersion) {
    for (ModelSource s : sources) {
      if (models.put(s.name(), new Entry(s)) != null) {
        throw new IllegalArgumentException("two models named '" + s.name() + "'");
      }
    }
    this.metrics = metrics;
    this.serverVersion = serverVersion;
  }

  /**
   * Opens every model in turn (on the caller's thread: the server calls it from a loader
   * thread). A model that fails stays unavailable with the reason, which {@link #loadFailures}
   * reports.
   */
  void loadAll() {
    for (Entry e : models.values()) {
      if (draining) {
        return;
      }
      String name = e.source.name();
      try {
        InferenceModel m = e.source.open().get();
        if (draining) {
          m.close();
          return;
        }
        e.model = new ServedModel(name, m, e.source.config(),
            new Batcher(name, m, e.source.config(), metrics, VERSION));
        LOG.info("model '{}' ready on {}", name, m.device());
      } catch (RuntimeException ex) {
        e.failure = ex.getMessage() != null ? ex.getMessage() : ex.getClass().getName();
        LOG.error("model '{}' failed to load: {}", name, e.failure, ex);
      }
    }
  }

  /** "model 'x': reason" for every model that failed to load. */
  List<String> loadFailures() {
    List<String> out = new ArrayList<>();
    for (Entry e : models.values()) {
      if (e.failure != null) {
        out.add("model '" + e.source.name() + "': " + e.failure);
      }
    }
    return out;
  }

  boolean live() {
    return true;
  }

  /** Every model loaded and not shutting down. */
  boolean ready() {
    return !draining && models.values().stream().allMatch(e -> e.model != null);
  }

  String serverVersion() {
    return serverVersion;
  }

  /** Whether {@code name} (at {@code version}, empty for any) is loaded and accepts requests. */
  boolean modelReady(String name, String version) {
    return !draining && model(name, version, false) != null;
  }

  /**
   * The loaded model {@code name}.
   *
   * @param version "" or "1"
   * @throws ServeException NOT_FOUND for an unknown model or version, UNAVAILABLE while it loads
   *     or when it failed to load
   */
  ServedModel model(String name, String version) {
    return model(name, version, true);
  }

  private ServedModel model(String name, String version, boolean strict) {
    Entry e = models.get(name);
    if (e == null) {
      throw new ServeException(ServeError.NOT_FOUND, "no model '" + name + "'; models: "
          + models.keySet());
    }
    if (!version.isEmpty() && !version.equals(VERSION)) {
      throw new ServeException(ServeError.NOT_FOUND, "model '" + name + "' has no version '"
          + version + "'; versions: [" + VERSION + "]");
    }
    ServedModel m = e.model;
    if (m == null && strict) {
      throw new ServeException(ServeError.UNAVAILABLE, "model '" + name + "' is "
          + (e.failure != null ? "unavailable: it failed to load: " + e.failure
              : "still loading; retry when /v2/health/ready answers 200"));
    }
    return m;
  }

  /**
   * Validates {@code r}, queues it and returns its answer. Refusals before the queue (bad
   * request, unknown model, queue full, shutting down) are thrown; failures after it complete
   * the future exceptionally with a {@link ServeException}.
   */
  CompletableFuture<InferResponse> infer(InferRequest r, long deadlineNanos) {
    long start = System.nanoTime();
    if (draining) {
      throw new ServeException(ServeError.UNAVAILABLE, "the server is shutting down and takes no"
          + " new requests");
    }
    ServedModel m = model(r.model(), r.version());
    Metrics.ModelMetrics counters = m.batcher().metrics();
    List<Tensor> inputs;
    List<InferResponse.Output> template;
    try {
      inputs = inputs(m.name(), m.model().inputs(), r);
      template = outputs(m, r);
    } catch (ServeException e) {
      counters.failed(e.error(), (System.nanoTime() - start) / 1000);
      throw e;
    }
    CompletableFuture<List<Tensor>> result;
    inFlight.incrementAndGet();
    try {
      long deadline = Math.min(deadlineNanos, start + m.config().timeout().toNanos());
      result = m.batcher().submit(inputs, inputs.get(0).rank() > 0 ? inputs.get(0).dim(0) : 1,
          deadline);
    } catch (ServeException e) {
      inFlight.decrementAndGet();
      counters.failed(e.error(), (System.nanoTime() - start) / 1000);
      throw e;
    }
    return result.handle((outs, error) -> {
      inFlight.decrementAndGet();
      long micros = (System.nanoTime() - start) / 1000;
      if (error != null) {
        Throwable cause = error instanceof CompletionException c ? c.getCause() : error;
        ServeException se = cause instanceof ServeException s ? s
            : new ServeException(ServeError.INTERNAL, "model '" + m.name() + "': "
                + cause.getMessage(), cause);
        counters.failed(se.error(), micros);
        throw se;
      }
      counters.succeeded(micros);
      List<InferResponse.Output> answer = new ArrayList<>();
      for (InferResponse.Output o : template) {
        int index = indexOf(m.model().outputs(), o.name());
        answer.add(new InferResponse.Output(o.name(), o.datatype(), outs.get(index),
            o.binary()));
      }
      return new InferResponse(m.name(), VERSION, r.id(), answer);
    });
  }

  /**
   * The request's inputs in model order, checked against {@code specs} and decoded (the fuzz
   * tests call this directly).
   *
   * @throws ServeException (400) saying what does not fit
   */
  static List<Tensor> inputs(String model, List<TensorSpec> specs, InferRequest r) {
    String where = "model '" + model + "'";
    Map<String, InferRequest.Input> byName = new HashMap<>();
    for (InferRequest.Input in : r.inputs()) {
      if (indexOf(specs, in.name()) < 0) {
        throw ServeException.badRequest(where + ": no input '" + in.name() + "'; inputs: "
            + specs.stream().map(TensorSpec::name).toList());
      }
      if (byName.put(in.name(), in) != null) {
        throw ServeException.badRequest(where + ": input '" + in.name() + "' given twice");
      }
    }
    List<Tensor> out = new ArrayList<>();
    for (TensorSpec spec : specs) {
      InferRequest.Input in = byName.get(spec.name());
      if (in == null) {
        throw ServeException.badRequest(where + ": input '" + spec.name() + "' missing; the"
            + " model takes " + specs);
      }
      out.add(TensorCodec.decode(in, spec, where + ", input '" + spec.name() + "'"));
    }
    int rows = out.get(0).rank() > 0 ? out.get(0).dim(0) : 1;
    for (int i = 1; i < out.size(); i++) {
      if (specs.get(i).batched() && out.get(i).dim(0) != rows) {
        throw ServeException.badRequest(where + ": inputs differ in batch size: '"
            + specs.get(0).name() + "' has " + rows + ", '" + specs.get(i).name() + "' has "
            + out.get(i).dim(0));
      }
    }
    return out;
  }

  /** The outputs to return, in request order (model order when none was named). */
  private static List<InferResponse.Output> outputs(ServedModel m, InferRequest r) {
    List<TensorSpec> specs = m.model().outputs();
    List<InferResponse.Output> out = new ArrayList<>();
    if (r.outputs().isEmpty()) {
      for (TensorSpec s : specs) {
        out.add(new InferResponse.Output(s.name(), s.datatype(), null, r.allBinary()));
      }
      return out;
    }
    Set<String> seen = new HashSet<>();
    for (InferRequest.RequestedOutput o : r.outputs()) {
      int index = indexOf(specs, o.name());
      if (index < 0) {
        throw ServeException.badRequest("model '" + m.name() + "': no output '" + o.name()
            + "'; outputs: " + specs.stream().map(TensorSpec::name).toList());
      }
      if (!seen.add(o.name())) {
        throw ServeException.badRequest("model '" + m.name() + "': output '" + o.name()
            + "' requested twice");
      }
      out.add(new InferResponse.Output(o.name(), specs.get(index).datatype(), null, o.binary()));
    }
    return out;
  }

  private static int indexOf(List<TensorSpec> specs, String name) {
    for (int i = 0; i < specs.size(); i++) {
      if (specs.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** Readiness false and new inference refused from now on; in-flight requests go on. */
  void beginShutdown() {
    draining = true;
  }

  boolean draining() {
    return draining;
  }

  /** Requests accepted and not yet answered. */
  int inFlight() {
    return inFlight.get();
  }

  /** Answers everything queued, then closes every model. */
  @Override
  public void close() {
    draining = true;
    for (Entry e : models.values()) {
      ServedModel m = e.model;
      if (m != null) {
        try {
          m.batcher().close();
        } finally {
          m.model().close();
        }
      }
    }
  }
}
