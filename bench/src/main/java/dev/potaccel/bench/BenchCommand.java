package dev.potaccel.bench;

import dev.potaccel.data.FashionMnist;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.quantize.QuantizationScheme;
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
          + " --scheme) (default ${DEFAULT-VALUE}).")
  List<String> devices;

  @Option(names = "--scheme", defaultValue = "int8", paramLabel = "S",
      description = "Quantization scheme of the emulator's package: int8 or pot4"
          + " (default ${DEFAULT-VALUE}).")
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
      description = "Threads per backend; 0 = one per processor (default).")
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
    List<BackendKind> kinds = parseDevices();
    QuantizationScheme q;
    try {
      q = QuantizationScheme.parse(scheme);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--scheme: " + e.getMessage(), e);
    }
    int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
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
    err.printf(Locale.ROOT, "bench: %s on %s, about %.0f s%n", model.getFileName(),
        kinds.stream().map(BackendKind::id).toList(),
        kinds.size() * (warmupSeconds + seconds) + 2);
    err.flush();

    List<Backend> backends = new ArrayList<>();
    try {
      for (BackendKind k : kinds) {
        backends.add(k.open(model, graph, options));
      }
      List<Agreement> agreements = agreements(backends, inputs);
      Benchmark bench = new Benchmark(backends, inputs.batches());
      bench.warmUp(warmup);
      results = bench.measure(timed);

      out.printf(Locale.ROOT, "model:   %s (input '%s' %s)%n", model, in.name(),
          BenchInputs.dimsText(in.type()));
      out.printf(Locale.ROOT, "inputs:  %s%n", inputs.description());
      out.printf(Locale.ROOT, "run:     batch %d, %d thread%s per backend, warm-up %s s, then"
              + " %s s per backend, interleaved in %d ms turns%n",
          inputs.batchSize(), t, t == 1 ? "" : "s", number(warmupSeconds), number(seconds),
          Benchmark.SLICE.toMillis());
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
      }
      out.println();
      out.print(ResultTable.format(results, BackendKind.ONNXRUNTIME.id()));
      for (Agreement a : agreements) {
        out.println("check:   " + a + " (first batch)"
            + (BackendKind.parse(a.backend()).quantized()
                ? "; " + q.id() + "-quantized, so outputs differ numerically: top-1 agreement"
                    + " reported, not required" : ""));
      }
      out.flush();
    } finally {
      for (int i = backends.size() - 1; i >= 0; i--) {
        backends.get(i).close();
      }
    }
    return 0;
  }

  private List<BackendKind> parseDevices() {
    Set<BackendKind> kinds = new LinkedHashSet<>();
    for (String d : devices) {
      try {
        if (!kinds.add(BackendKind.parse(d))) {
          throw new ParameterException(spec.commandLine(), "--devices names '" + d + "' twice");
        }
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--devices: " + e.getMessage(), e);
      }
    }
    if (kinds.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--devices names no backend");
    }
    return List.copyOf(kinds);
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
