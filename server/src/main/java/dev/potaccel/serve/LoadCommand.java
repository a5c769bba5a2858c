package dev.potaccel.serve;

import dev.potaccel.data.FashionMnist;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code potaccel serve load}: the serving load test ({@link LoadTest}); prints the table and
 * exits 0 only when every request was answered with the in-process answer.
 */
@Command(name = "serve load", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = ServeCommand.Version.class,
    description = {
        "Load test: starts the server in this JVM on loopback with one model, measures the"
            + " in-process figure (one image per call) on the same model, device and images,"
            + " then sends --requests single-image requests at --concurrency over REST (binary"
            + " tensors) and gRPC (raw contents); every answer must equal the in-process one.",
        "Prints images/s, p50 and p99 latency per path and the load average; exit code 1 when"
            + " any request failed or differed."})
final class LoadCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "lenet5", paramLabel = "NAME|FILE",
      description = "A bundled model (lenet5, resnet20, vgg-small, mobilenet-small) or an .onnx"
          + " / .potpkg file (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--images", defaultValue = "models/testdata/fmnist-test-first256.npy",
      paramLabel = "NPY", description = "Float .npy [K, ...]; request i sends sample i mod K"
          + " (default: ${DEFAULT-VALUE}).")
  Path images;

  @Option(names = "--requests", defaultValue = "10000", paramLabel = "N",
      description = "Timed requests per path (default: ${DEFAULT-VALUE}).")
  int requests;

  @Option(names = "--concurrency", defaultValue = "32", paramLabel = "N",
      description = "Client threads (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--warmup", defaultValue = "500", paramLabel = "N",
      description = "Untimed requests per path first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = {"--devices", "--device"}, defaultValue = "emulator", paramLabel = "D[,D...]",
      description = "cpu, emulator or opencl[:platform[:device]]; several make a device pool"
          + " (data parallel), server and in-process alike (default: ${DEFAULT-VALUE}).")
  String devices;

  @Option(names = "--max-batch-size", defaultValue = "32", paramLabel = "N",
      description = "Server batching; 1 turns it off (default: ${DEFAULT-VALUE}).")
  int maxBatchSize;

  @Option(names = "--max-batch-delay-us", defaultValue = "2000", paramLabel = "US",
      description = "Longest wait of the oldest queued request (default: ${DEFAULT-VALUE}).")
  long maxBatchDelayUs;

  @Option(names = "--threads", paramLabel = "N",
      description = "Engine threads, server and in-process alike (default: the CPU count).")
  Integer threads;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Fashion-MNIST for calibrating an ONNX model on the emulator (default:"
          + " /usr/share/datasets/fashion-mnist, else the bundled calibration set).")
  Path data = FashionMnist.DEBIAN_DIR;

  @Option(names = {"-v", "--verbose"}, description = "Info logs on stderr.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    ServeCommand.setLogLevels(verbose ? 1 : 0);
    if (!Files.isRegularFile(images)) {
      throw new IllegalArgumentException(images + ": no such file (run from the repository root,"
          + " or pass --images)");
    }
    Path tmp = Files.createTempDirectory("potaccel-load-model-");
    try {
      Path file = Path.of(model);
      Path sidecar;
      String name;
      if (Files.isRegularFile(file)) {
        String base = file.getFileName().toString();
        name = base.contains(".") ? base.substring(0, base.lastIndexOf('.')) : base;
        sidecar = file.resolveSibling(name + ".json");
      } else {
        name = model;
        file = LoadTest.bundledModel(model, tmp, ".onnx");
        if (file == null) {
          throw new IllegalArgumentException("--model " + model + ": neither a file nor a"
              + " bundled model (lenet5, resnet20, vgg-small, mobilenet-small)");
        }
        sidecar = LoadTest.bundledModel(model, tmp, ".json");
      }
      ModelConfig defaults = ModelConfig.defaults(ModelConfig.parseDevices(devices));
      ModelConfig config = new ModelConfig(defaults.devices(), defaults.poolMode(),
          defaults.scheme(), maxBatchSize,
          Duration.ofNanos(maxBatchDelayUs * 1000), Math.max(defaults.maxQueueSize(),
          2 * concurrency), defaults.timeout(), threads != null ? threads : defaults.threads());
      String before = loadAverage();
      LoadTest.Report report = LoadTest.run(new LoadTest.Plan(name.replaceAll("[^A-Za-z0-9_.-]",
          "_"), file, sidecar, images, config, requests, warmup, concurrency, data));
      System.out.print(report.table());
      System.out.println("load average (1, 5, 15 min): before " + before + ", after "
          + loadAverage() + "; " + Runtime.getRuntime().availableProcessors() + " CPUs");
      return report.errors() == 0 ? 0 : 1;
    } finally {
      try (var s = Files.list(tmp)) {
        for (Path p : s.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(tmp);
    }
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException e) {
      return "unknown (no /proc/loadavg)";
    }
  }
}
