package dev.potaccel.serve;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.device.pool.DevicePool;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code potaccel serve}: the model repository behind KServe v2 REST, gRPC and metrics. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = ServeCommand.Version.class,
    description = {
        "Serves every model of a repository over the KServe v2 inference protocol: REST on"
            + " --http-port, gRPC on --grpc-port, Prometheus metrics on --metrics-port/metrics.",
        "Repository: DIR/<name>/model.onnx or DIR/<name>/model.potpkg, optional model.json"
            + " (input normalisation) and config.json (device, scheme, max_batch_size,"
            + " max_batch_delay_us, max_queue_size, timeout_ms, threads).",
        "SIGTERM or Ctrl-C: readiness false, new requests refused, in-flight ones answered."})
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--repository", required = true, paramLabel = "DIR",
      description = "Model repository: one folder per model, named as the model.")
  Path repository;

  @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDR",
      description = "Address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for every"
          + " interface).")
  String host;

  @Option(names = "--http-port", defaultValue = "8000", description = "REST port (default:"
      + " ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(names = "--grpc-port", defaultValue = "8001", description = "gRPC port (default:"
      + " ${DEFAULT-VALUE}).")
  int grpcPort;

  @Option(names = "--metrics-port", defaultValue = "8002", description = "Prometheus metrics"
      + " port (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = {"--devices", "--device"}, defaultValue = "emulator", paramLabel = "D[,D...]",
      description = "Devices of models whose config.json names none: cpu, emulator or"
          + " opencl[:platform[:device]]; several (e.g. emulator,opencl) serve each model from a"
          + " device pool (default: ${DEFAULT-VALUE}).")
  String devices;

  @Option(names = "--pool-mode", defaultValue = "data-parallel", paramLabel = "MODE",
      description = "How a pool of several devices runs: data-parallel (whole batches to free"
          + " devices) or pipeline (the network cut into stages, one per device) (default:"
          + " ${DEFAULT-VALUE}).")
  String poolMode;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Fashion-MNIST for calibrating ONNX models compiled for the emulator"
          + " (default: /usr/share/datasets/fashion-mnist, else the bundled calibration set).")
  Path data = FashionMnist.DEBIAN_DIR;

  @Option(names = "--max-body-bytes", defaultValue = "67108864", paramLabel = "N",
      description = "Largest REST body or gRPC message (default: ${DEFAULT-VALUE}, 64 MiB).")
  int maxBodyBytes;

  @Option(names = "--shutdown-grace-s", defaultValue = "30", paramLabel = "S",
      description = "Seconds a shutdown waits for in-flight requests (default:"
          + " ${DEFAULT-VALUE}).")
  int shutdownGraceSeconds;

  @Option(names = "--tls-cert", paramLabel = "PEM",
      description = "Serve REST and gRPC over TLS with this certificate chain (with --tls-key).")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM",
      description = "The certificate's private key, unencrypted PKCS#8 PEM.")
  Path tlsKey;

  @Option(names = "--auth-token-file", paramLabel = "FILE",
      description = "Require 'Authorization: Bearer <token>' with the token in FILE on every"
          + " REST and gRPC request except health checks; without this option the token is"
          + " read from $" + BearerToken.ENV + " when set. Metrics stay open.")
  Path authTokenFile;

  @Option(names = {"-v", "--verbose"}, description = "Info logs on stderr; -vv debug.")
  boolean[] verbose = new boolean[0];

  @Override
  public Integer call() throws InterruptedException {
    setLogLevels(verbose.length);
    ModelConfig base = ModelConfig.defaults(ModelConfig.parseDevices(devices));
    ModelConfig defaults = new ModelConfig(base.devices(), DevicePool.Mode.parse(poolMode),
        base.scheme(), base.maxBatchSize(), base.maxBatchDelay(), base.maxQueueSize(),
        base.timeout(), base.threads());
    List<ModelSource> models = ModelRepository.scan(repository, defaults, data);
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new IllegalArgumentException("TLS needs both --tls-cert and --tls-key");
    }
    ServerOptions options = new ServerOptions(host, httpPort, grpcPort, metricsPort,
        maxBodyBytes, Duration.ofSeconds(shutdownGraceSeconds),
        tlsCert != null ? new TlsFiles(tlsCert, tlsKey) : null,
        authToken(authTokenFile, System.getenv(BearerToken.ENV)));
    InferenceServer server = InferenceServer.start(options, models);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println("potaccel serve: shutting down (answering requests in flight)");
      server.close();
      stopped.countDown();
    }, "shutdown"));
    System.err.printf("potaccel serve: %d models from %s loading; REST %s://%s:%d/v2, gRPC"
        + " %s:%d%s, metrics http://%s:%d/metrics%s%n", models.size(), repository,
        options.tls() != null ? "https" : "http", host, server.httpPort(), host,
        server.grpcPort(), options.tls() != null ? " (TLS)" : "", host, server.metricsPort(),
        options.authToken() != null ? "; bearer token required" : "");
    List<String> failures = server.awaitLoaded(Duration.ofHours(1));
    if (!failures.isEmpty()) {
      for (String f : failures) {
        System.err.println("error: " + f);
      }
      server.close();
      return 3;
    }
    System.err.println("potaccel serve: ready (" + models.stream().map(ModelSource::name)
        .toList() + ")");
    stopped.await();
    return 0;
  }

  /** The token of --auth-token-file, else of the environment variable, else none. */
  static BearerToken authToken(Path file, String env) {
    if (file != null) {
      return BearerToken.read(file);
    }
    if (env != null && !env.isBlank()) {
      return BearerToken.of(env);
    }
    return null;
  }

  /** Held so the level sticks: java.util.logging keeps loggers only weakly. */
  private static final java.util.logging.Logger GRPC_LOG =
      java.util.logging.Logger.getLogger("io.grpc");

  /** WARN by default, INFO with -v, DEBUG with -vv; grpc-java's own logging stays quiet. */
  static void setLogLevels(int verbosity) {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext context) {
      context.getLogger("dev.potaccel").setLevel(verbosity >= 2 ? Level.DEBUG
          : verbosity == 1 ? Level.INFO : Level.WARN);
    }
    GRPC_LOG.setLevel(verbosity >= 2
        ? java.util.logging.Level.FINE : java.util.logging.Level.WARNING);
  }

  static final class Version implements picocli.CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"potaccel " + InferenceServer.version()};
    }
  }
}
