package dev.potaccel.serve;

import dev.potaccel.data.NpyReader;
import dev.potaccel.device.session.InferenceSession;
import dev.potaccel.graph.Tensor;
import dev.potaccel.serve.client.GrpcClient;
import dev.potaccel.serve.client.NamedTensor;
import dev.potaccel.serve.client.RestClient;
import dev.potaccel.serve.grpc.ModelInferRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * The serving load test: a server started in this JVM on loopback (ephemeral ports) with a
 * one-model repository, then the same single-image requests sent by {@code concurrency} client
 * threads over REST (binary tensor data) and over gRPC (raw contents), each answer compared with
 * what the in-process {@link InferenceSession} gives for that image. The in-process figure is
 * measured in the same run on the same model, device and images, one image per call as the
 * clients send them, so the table says what the network, the protocol and batching cost or gain.
 */
public final class LoadTest {
  private LoadTest() {}

  /**
   * One load test.
   *
   * @param modelName the name the model is served under
   * @param model the ONNX file or package to serve
   * @param sidecar its optional {@code model.json} (input normalisation), or null
   * @param images a float .npy of shape [K, ...]: request i sends sample i mod K as a batch of one
   * @param config how the server runs the model (device, scheme, batching, threads)
   * @param requests requests per protocol, timed
   * @param warmup requests per protocol before timing starts (JIT, connections)
   * @param concurrency client threads, each sending its next request when the previous answered
   * @param trainingData calibration data for an ONNX model on the emulator
   */
  public record Plan(String modelName, Path model, Path sidecar, Path images, ModelConfig config,
      int requests, int warmup, int concurrency, Path trainingData) {
    public Plan {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(images, "images");
      Objects.requireNonNull(config, "config");
      if (requests < 1 || concurrency < 1 || warmup < 0) {
        throw new IllegalArgumentException("requests and concurrency must be at least 1 and warmup"
            + " at least 0, got " + requests + ", " + concurrency + ", " + warmup);
      }
    }
  }

  /**
   * What one path measured.
   *
   * @param path "in-process", "REST" or "gRPC"
   * @param requests timed requests (or in-process calls)
   * @param errors requests that failed or whose answer differed from the in-process one
   * @param firstError the first failure, for the report; empty when none
   * @param imagesPerSecond images answered per second of wall time
   * @param p50Ms median latency of one request
   * @param p99Ms 99th-percentile latency
   * @param meanBatch images per model execution during the timed requests (the server's
   *     nv_inference_count / nv_inference_exec_count); 1 in-process
   */
  public record PathResult(String path, int requests, int errors, String firstError,
      double imagesPerSecond, double p50Ms, double p99Ms, double meanBatch) {}

  /** The in-process figure first, then REST and gRPC. */
  public record Report(Plan plan, List<PathResult> results) {
    public PathResult inProcess() {
      return results.get(0);
    }

    public int errors() {
      return results.stream().mapToInt(PathResult::errors).sum();
    }

    /** The table {@code potaccel serve load} prints. */
    public String table() {
      StringBuilder s = new StringBuilder();
      ModelConfig c = plan.config();
      s.append(String.format(Locale.ROOT, "model %s on %s (%s), %d requests of 1 image per path,"
              + " concurrency %d, %d warm-up; server batching: max_batch_size %d,"
              + " max_batch_delay_us %d, threads %d%n", plan.modelName(), c.deviceList(),
          c.scheme(), plan.requests(), plan.concurrency(), plan.warmup(), c.maxBatchSize(),
          c.maxBatchDelay().toNanos() / 1000, c.threads()));
      s.append(String.format(Locale.ROOT, "%-12s %9s %7s %11s %9s %9s %11s %14s%n", "path",
          "requests", "errors", "images/s", "p50 ms", "p99 ms", "mean batch", "vs in-process"));
      double base = inProcess().imagesPerSecond();
      for (PathResult r : results) {
        s.append(String.format(Locale.ROOT, "%-12s %9d %7d %11.1f %9.3f %9.3f %11.1f %13.2fx%n",
            r.path(), r.requests(), r.errors(), r.imagesPerSecond(), r.p50Ms(), r.p99Ms(),
            r.meanBatch(), r.imagesPerSecond() / base));
      }
      for (PathResult r : results) {
        if (!r.firstError().isEmpty()) {
          s.append(r.path()).append(": first error: ").append(r.firstError()).append('\n');
        }
      }
      return s.toString();
    }
  }

  /**
   * Runs the plan: in-process, then a server in this JVM loaded from a temporary repository,
   * REST, then gRPC; the server and the repository are gone when this returns.
   *
   * @throws IllegalStateException when the model does not load
   */
  public static Report run(Plan plan) throws IOException, InterruptedException {
    Tensor all = NpyReader.read(plan.images());
    List<Tensor> images = samples(all);
    Path repo = Files.createTempDirectory("potaccel-load-");
    try {
      Path folder = Files.createDirectories(repo.resolve(plan.modelName()));
      String fileName = plan.model().getFileName().toString();
      Path served = folder.resolve(fileName.endsWith(".onnx") ? "model.onnx"
          : "model" + fileName.substring(fileName.lastIndexOf('.')));
      Files.copy(plan.model(), served);
      if (plan.sidecar() != null && Files.isRegularFile(plan.sidecar())) {
        Files.copy(plan.sidecar(), folder.resolve("model.json"));
      }
      ModelConfig c = plan.config();
      InferenceSession.Options options = c.sessionOptions(plan.trainingData());
      List<PathResult> results = new ArrayList<>();
      List<float[]> expected = new ArrayList<>();
      try (InferenceSession session = InferenceSession.open(served, options)) {
        for (Tensor x : images) {
          expected.add(session.run(List.of(x)).get(0).floats());
        }
        results.add(inProcess(session, images, expected, plan));
      }
      List<ModelSource> sources = List.of(new ModelSource(plan.modelName(), c,
          () -> new SessionModel(InferenceSession.open(served, options))));
      try (InferenceServer server = InferenceServer.start(ServerOptions.ephemeral(), sources)) {
        List<String> failures = server.awaitLoaded(Duration.ofMinutes(30));
        if (!failures.isEmpty()) {
          throw new IllegalStateException(String.join("; ", failures));
        }
        RestClient rest = new RestClient("127.0.0.1", server.httpPort());
        RestClient metrics = new RestClient("127.0.0.1", server.metricsPort());
        Counters executions = () -> executions(metrics, plan.modelName());
        results.add(load("REST", plan, expected, executions, i ->
            rest.infer(plan.modelName(), input(images, i), true).get(0).tensor().floats()));
        try (GrpcClient grpc = new GrpcClient("127.0.0.1", server.grpcPort())) {
          List<ModelInferRequest> requests = new ArrayList<>();
          for (Tensor x : images) {
            requests.add(GrpcClient.request(plan.modelName(),
                List.of(new NamedTensor("input", x)), true));
          }
          results.add(load("gRPC", plan, expected, executions, i -> GrpcClient.outputs(grpc.stub()
              .modelInfer(requests.get(i % requests.size()))).get(0).tensor().floats()));
        }
      }
      return new Report(plan, results);
    } finally {
      deleteTree(repo);
    }
  }

  /** The samples of [K, ...] as K batches of one. */
  static List<Tensor> samples(Tensor all) {
    int[] shape = all.shape();
    if (shape.length < 2 || shape[0] < 1) {
      throw new IllegalArgumentException("images of shape " + Arrays.toString(shape)
          + ": expected [K, ...] with K >= 1");
    }
    int[] one = shape.clone();
    one[0] = 1;
    int per = all.size() / shape[0];
    List<Tensor> out = new ArrayList<>();
    for (int k = 0; k < shape[0]; k++) {
      out.add(Tensor.ofFloats(one, Arrays.copyOfRange(all.floats(), k * per, (k + 1) * per)));
    }
    return out;
  }

  private static List<NamedTensor> input(List<Tensor> images, int i) {
    return List.of(new NamedTensor("input", images.get(i % images.size())));
  }

  /** One thread, one image per call, back to back: what a caller in this JVM gets. */
  private static PathResult inProcess(InferenceSession session, List<Tensor> images,
      List<float[]> expected, Plan plan) {
    for (int i = 0; i < plan.warmup(); i++) {
      session.run(List.of(images.get(i % images.size())));
    }
    long[] latencies = new long[plan.requests()];
    int errors = 0;
    long start = System.nanoTime();
    for (int i = 0; i < plan.requests(); i++) {
      long t = System.nanoTime();
      float[] got = session.run(List.of(images.get(i % images.size()))).get(0).floats();
      latencies[i] = System.nanoTime() - t;
      if (!Arrays.equals(got, expected.get(i % expected.size()))) {
        errors++;
      }
    }
    return result("in-process", latencies, errors, errors > 0
        ? "the engine is not deterministic: answers differ between runs" : "",
        System.nanoTime() - start, 1);
  }

  /** {@code concurrency} threads share the request indices; each request is timed alone. */
  private static PathResult load(String path, Plan plan, List<float[]> expected,
      Counters executions, IntFunction<float[]> send) throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(plan.concurrency());
    try {
      runAll(pool, plan.concurrency(), plan.warmup(), new long[plan.warmup()], expected, send,
          new AtomicInteger(), new AtomicReference<>());
      long[] latencies = new long[plan.requests()];
      AtomicInteger errors = new AtomicInteger();
      AtomicReference<String> first = new AtomicReference<>("");
      long[] before = executions.get();
      long start = System.nanoTime();
      runAll(pool, plan.concurrency(), plan.requests(), latencies, expected, send, errors, first);
      long wall = System.nanoTime() - start;
      long[] after = executions.get();
      double meanBatch = after[1] > before[1]
          ? (double) (after[0] - before[0]) / (after[1] - before[1]) : Double.NaN;
      return result(path, latencies, errors.get(), first.get(), wall, meanBatch);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void runAll(ExecutorService pool, int threads, int count, long[] latencies,
      List<float[]> expected, IntFunction<float[]> send, AtomicInteger errors,
      AtomicReference<String> first) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < threads; w++) {
      workers.add(pool.submit(() -> {
        for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
          long t = System.nanoTime();
          String error;
          try {
            float[] got = send.apply(i);
            error = Arrays.equals(got, expected.get(i % expected.size())) ? null
                : "request " + i + ": the answer differs from the in-process one";
          } catch (RuntimeException e) {
            error = "request " + i + ": " + e.getMessage();
          }
          latencies[i] = System.nanoTime() - t;
          if (error != null) {
            errors.incrementAndGet();
            first.compareAndSet("", error);
          }
        }
      }));
    }
    for (Future<?> f : workers) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("load worker failed: " + e.getCause(), e.getCause());
      }
    }
  }

  /** Images inferred and model executions so far: the server's counters, from its metrics. */
  @FunctionalInterface
  private interface Counters {
    long[] get();
  }

  private static long[] executions(RestClient metrics, String model) {
    String text = metrics.get("/metrics").text();
    String labels = "{model=\"" + model + "\",version=\"" + InferenceService.VERSION + "\"} ";
    long[] out = new long[2];
    for (String line : text.split("\n")) {
      if (line.startsWith("nv_inference_count" + labels)) {
        out[0] = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      } else if (line.startsWith("nv_inference_exec_count" + labels)) {
        out[1] = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return out;
  }

  private static PathResult result(String path, long[] latencies, int errors, String firstError,
      long wallNanos, double meanBatch) {
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    return new PathResult(path, latencies.length, errors, firstError,
        latencies.length / (wallNanos / 1e9), percentile(sorted, 0.50) / 1e6,
        percentile(sorted, 0.99) / 1e6, meanBatch);
  }

  /** The nearest-rank percentile of sorted values. */
  static long percentile(long[] sorted, double p) {
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** A model bundled in host's jar ({@code lenet5}, {@code resnet20}, ...), copied to a file. */
  static Path bundledModel(String name, Path dir, String extension) throws IOException {
    String resource = "/dev/potaccel/models/" + name + extension;
    try (InputStream in = LoadTest.class.getResourceAsStream(resource)) {
      if (in == null) {
        return null;
      }
      Path to = dir.resolve(name + extension);
      Files.copy(in, to);
      return to;
    }
  }

  private static void deleteTree(Path dir) {
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // a temporary folder left behind is not worth failing the run for
    }
  }
}
