package dev.potaccel.bench;

import dev.potaccel.data.FashionMnist;
import dev.potaccel.device.pool.DevicePool;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.quantize.SchemeSpec;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code potaccel bench}: runs the same batches through several backends, interleaved, and
 * prints one table: images/s, batch latency p50/p99, throughput ratio to ONNX Runtime.
 */
@Command(name = "potaccel bench",
    subcommands = {StandInCommand.class},
    description = {"Throughput and latency of each backend on one model, measured in one run"
        + " with the backends interleaved, so their ratio holds on a loaded machine.",
        "Each backend: one session, one batch in flight, at most --threads threads."},
    footer = {"", "Kernel microbenchmarks (JMH): potaccel bench jmh [JMH options], e.g."
        + " 'potaccel bench jmh -h' or 'potaccel bench jmh Conv2dBench -p threads=1'.",
        "Exit codes: 0 ok, 1 internal error, 2 usage error, 3 bad model or input,"
            + " 4 backend error."})
public final class BenchCommand implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "M.onnx", description = "The model (ONNX).")
  Path model;

  @Option(names = "--devices", split = ",", defaultValue = "cpu,onnxruntime",
      paramLabel = "D",
      description = "Backends, one row each: cpu (potaccel FP32 engine), onnxruntime,"
          + " emulator (bit-exact accelerator emulator on a package compiled in memory with"
          + " --scheme), opencl (the same package on OpenCL device 0:0) (default"
          + " ${DEFAULT-VALUE}). A device named more than once makes a device pool of that many:"
          + " 'emulator,emulator' benches one emulator, and two in a pool, data parallel and"
          + " pipeline, in the same run.")
  List<String> devices;

  @Option(names = "--pool", split = ",", paramLabel = "D",
      description = "A device pool of any mix of emulator and opencl devices, e.g."
          + " 'emulator,opencl' (what a repeated --devices entry does for one kind). Each of"
          + " its kinds also gets a single-device row. Data parallel and pipeline. Pools stream"
          + " batches (2 per device in flight) and are timed by wall time in turns of 5 s.")
  List<String> pool;

  @Option(names = "--scheme", defaultValue = "int8", paramLabel = "S",
      description = "Quantization scheme of the emulator's and opencl's package, as potaccel"
          + " compile takes it: int8, pot4, apot4, ggd, doubleq, kalali, upot2..4, lut2..8"
          + " (default ${DEFAULT-VALUE}). doubleqext searches for minutes: compile it first.")
  String scheme;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Fashion-MNIST folder whose training split calibrates the emulator's package"
          + " (default: /usr/share/datasets/fashion-mnist, from apt-get install"
          + " dataset-fashion-mnist).")
  Path data;

  @Option(names = "--batch", defaultValue = "64", paramLabel = "B",
      description = "Images per batch (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--threads", defaultValue = "0", paramLabel = "T",
      description = "Threads per backend, and per device of a pool; 0 = one per processor"
          + " (default), or 1 when a pool is benched, so that N devices on N cores compare"
          + " honestly with one.")
  int threads;

  @Option(names = "--warmup-s", defaultValue = "3", paramLabel = "S",
      description = "Untimed warm-up per backend, seconds (default ${DEFAULT-VALUE}).")
  double warmupSeconds;

  @Option(names = "--seconds", defaultValue = "10", paramLabel = "S",
      description = "Timed run per backend, seconds (default ${DEFAULT-VALUE}).")
  double seconds;

  @Option(names = "--input", paramLabel = "FILE.npy",
      description = "Samples [K, ...] to cycle through. Default: the bundled 256 Fashion-MNIST"
          + " test images for models taking N x 1 x 28 x 28, else random normal data.")
  Path input;

  @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
      description = "Seed of the random inputs (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = {"-v", "--verbose"}, description = "Show the stack trace of an error.")
  boolean verbose;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  boolean help;

  @Spec
  CommandSpec spec;

  /** The figures of the last run, for tests. */
  List<BackendResult> results = List.of();

  @Override
  public Integer call() {
    if (model == null) {
      throw new ParameterException(spec.commandLine(), "missing --model M.onnx");
    }
    if (batch < 1) {
      throw new ParameterException(spec.commandLine(), "--batch must be >= 1, got " + batch);
    }
    if (threads < 0) {
      throw new ParameterException(spec.commandLine(), "--threads must be >= 0, got " + threads);
    }
    if (!(seconds > 0) || !(warmupSeconds >= 0)) {
      throw new ParameterException(spec.commandLine(),
          "--seconds must be > 0 and --warmup-s >= 0");
    }
    Rows rows = parseDevices();
    List<BackendKind> kinds = rows.singles();
    SchemeSpec q;
    try {
      q = SchemeSpec.parseLabel(scheme);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--scheme: " + e.getMessage(), e);
    }
    if (q.method().equals("doubleqext")) {
      throw new ParameterException(spec.commandLine(), "--scheme doubleqext: its layer search"
          + " runs the emulator for minutes; bench the others, or time a package compiled with"
          + " potaccel compile --scheme doubleqext through potaccel profile");
    }
    int t = threads > 0 ? threads
        : rows.pool().isEmpty() ? Runtime.getRuntime().availableProcessors() : 1;
    BackendOptions options = new BackendOptions(t, q,
        data != null ? data : FashionMnist.DEBIAN_DIR);
    Graph graph = OnnxImporter.read(model);
    ValueInfo in = graph.inputs().get(0);
    BenchInputs inputs = inputs(in);

    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Duration warmup = Duration.ofMillis(Math.round(warmupSeconds * 1000));
    Duration timed = Duration.ofMillis(Math.max(1, Math.round(seconds * 1000)));
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    List<DevicePool.Mode> modes = poolModes(rows.pool());
    int rowCount = kinds.size() + modes.size();
    err.printf(Locale.ROOT, "bench: %s on %s%s, about %.0f s%n", model.getFileName(),
        kinds.stream().map(BackendKind::id).toList(),
        rows.pool().isEmpty() ? "" : " and a pool of " + PoolBackend.label(rows.pool()) + " "
            + modes.stream().map(DevicePool.Mode::id).toList(),
        rowCount * (warmupSeconds + seconds) + 2);
    err.flush();

    List<Backend> backends = new ArrayList<>();
    try {
      EmulatorBackend.Compiled compiled = null;
      for (BackendKind k : kinds) {
        if (k == BackendKind.EMULATOR || k == BackendKind.OPENCL) {
          // one package for every row that runs one, so their figures are comparable
          compiled = compiled != null ? compiled
              : EmulatorBackend.compilePackage(model, graph, options);
          backends.add(k == BackendKind.EMULATOR ? EmulatorBackend.open(compiled, options)
              : OpenClBackend.open(compiled, options));
        } else {
          backends.add(k.open(model, graph, options));
        }
      }
      for (DevicePool.Mode mode : modes) {
        backends.add(PoolBackend.open(compiled.pkg(), rows.pool(), mode, t));
      }
      List<Agreement> agreements = agreements(backends, inputs);
      Duration turn = modes.isEmpty() ? Benchmark.SLICE
          : Duration.ofMillis(Math.min(5000, Math.max(1, Math.round(seconds * 1000))));
      Benchmark bench = new Benchmark(backends, inputs.batches(), turn);
      bench.warmUp(warmup);
      results = bench.measure(timed);

      out.printf(Locale.ROOT, "model:   %s (input '%s' %s)%n", model, in.name(),
          BenchInputs.dimsText(in.type()));
      out.printf(Locale.ROOT, "inputs:  %s%n", inputs.description());
      out.printf(Locale.ROOT, "run:     batch %d, %d thread%s per backend%s, warm-up %s s, then"
              + " %s s per backend, interleaved in %d ms turns%n",
          inputs.batchSize(), t, t == 1 ? "" : "s", modes.isEmpty() ? "" : " and per pool device",
          number(warmupSeconds), number(seconds), turn.toMillis());
      out.printf(Locale.ROOT,
          "machine: %d processors, load average %.2f at start, Java %s, %s %s%n",
          Runtime.getRuntime().availableProcessors(), load, System.getProperty("java.version"),
          System.getProperty("os.name"), System.getProperty("os.arch"));
      for (Backend b : backends) {
        if (b instanceof EmulatorBackend e) {
          out.printf(Locale.ROOT, "emulator: %s%n", e.description());
        }
        if (b instanceof OpenClBackend o) {
          out.printf(Locale.ROOT, "opencl:  %s%n", o.description());
        }
        if (b instanceof PoolBackend p) {
          out.printf(Locale.ROOT, "pool:    %s%n", p.description());
        }
      }
      out.println();
      String reference = kinds.contains(BackendKind.ONNXRUNTIME) || rows.pool().isEmpty()
          ? BackendKind.ONNXRUNTIME.id() : rows.pool().get(0).id();
      out.print(ResultTable.format(results, reference));
      for (Agreement a : agreements) {
        out.println("check:   " + a + " (first batch)"
            + (quantized(a.backend()) && !quantized(a.reference()) && a.maxAbsDiff() != 0
                ? "; " + q.id() + "-quantized, so outputs differ numerically: top-1 agreement"
                    + " reported, not required" : ""));
      }
      for (String line : scaling(results, rows.pool())) {
        out.println("scaling: " + line);
      }
      out.flush();
    } finally {
      for (int i = backends.size() - 1; i >= 0; i--) {
        backends.get(i).close();
      }
    }
    return 0;
  }

  /**
   * The single-device rows, and the pool's devices (empty for none).
   *
   * @param singles one row each, in the order named; every kind of the pool is among them
   * @param pool the devices of the pool, in the order named
   */
  record Rows(List<BackendKind> singles, List<BackendKind> pool) {}

  private Rows parseDevices() {
    List<BackendKind> named = kinds(devices, "--devices");
    List<BackendKind> poolKinds = new ArrayList<>();
    for (BackendKind k : named) {
      if (named.stream().filter(k::equals).count() > 1) {
        poolKinds.add(k);
      }
    }
    if (pool != null) {
      if (!poolKinds.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "--devices names "
            + poolKinds.get(0).id() + " more than once, which makes a pool, and --pool gives"
            + " another: give one pool");
      }
      poolKinds.addAll(kinds(pool, "--pool"));
    }
    for (BackendKind k : poolKinds) {
      if (k != BackendKind.EMULATOR && k != BackendKind.OPENCL) {
        throw new ParameterException(spec.commandLine(), "a pool holds emulator and opencl"
            + " devices, which run compiled packages; " + k.id() + " cannot join one");
      }
    }
    Set<BackendKind> singles = new LinkedHashSet<>(named);
    singles.addAll(poolKinds);
    if (singles.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--devices names no backend");
    }
    return new Rows(List.copyOf(singles), List.copyOf(poolKinds));
  }

  private List<BackendKind> kinds(List<String> names, String option) {
    List<BackendKind> out = new ArrayList<>();
    for (String d : names) {
      try {
        out.add(BackendKind.parse(d));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** Data parallel and pipeline (emulator and OpenCL devices both run pipeline stages). */
  private static List<DevicePool.Mode> poolModes(List<BackendKind> pool) {
    return pool.isEmpty() ? List.of()
        : List.of(DevicePool.Mode.DATA_PARALLEL, DevicePool.Mode.PIPELINE);
  }

  private static boolean quantized(String backend) {
    return backend.startsWith("pool ") || BackendKind.parse(backend).quantized();
  }

  /**
   * Per pool row: its images/s over one device's, from the same run (over the first device kind
   * of the pool, and for a mix over the sum of its devices' single figures).
   */
  static List<String> scaling(List<BackendResult> results, List<BackendKind> pool) {
    List<String> lines = new ArrayList<>();
    if (pool.isEmpty()) {
      return lines;
    }
    double sum = 0;
    for (BackendKind k : pool) {
      sum += figure(results, k.id());
    }
    double one = figure(results, pool.get(0).id());
    boolean mixed = pool.stream().distinct().count() > 1;
    for (BackendResult r : results) {
      if (r.backend().startsWith("pool ")) {
        double x = r.imagesPerSecond();
        lines.add(String.format(Locale.ROOT, "%s: %.1f images/s = %.2fx one %s (%.1f)%s",
            r.backend(), x, x / one, pool.get(0).id(), one, mixed
                ? String.format(Locale.ROOT, ", %.2fx the sum of its devices alone (%.1f)",
                    x / sum, sum)
                : String.format(Locale.ROOT, ", %.0f%% of %d x one", 100 * x / sum,
                    pool.size())));
      }
    }
    return lines;
  }

  private static double figure(List<BackendResult> results, String backend) {
    return results.stream().filter(r -> r.backend().equals(backend)).findFirst()
        .map(BackendResult::imagesPerSecond).orElse(Double.NaN);
  }

  private BenchInputs inputs(ValueInfo in) {
    if (input != null) {
      return BenchInputs.fromFile(input, in, batch);
    }
    Optional<Path> images = BenchInputs.defaultImages(model, in);
    return images.isPresent() ? BenchInputs.fromFile(images.get(), in, batch)
        : BenchInputs.random(in, batch, seed);
  }

  /** Each backend's output on the first batch against ONNX Runtime's (or the first backend's). */
  private static List<Agreement> agreements(List<Backend> backends, BenchInputs inputs) {
    Backend ref = backends.stream().filter(b -> b.name().equals(BackendKind.ONNXRUNTIME.id()))
        .findFirst().orElse(backends.get(0));
    var first = inputs.batches().get(0);
    var expected = ref.run(first);
    List<Agreement> list = new ArrayList<>();
    for (Backend b : backends) {
      if (b != ref) {
        list.add(Agreement.of(b.name(), b.run(first), ref.name(), expected));
      }
    }
    return list;
  }

  private static String number(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }
}
