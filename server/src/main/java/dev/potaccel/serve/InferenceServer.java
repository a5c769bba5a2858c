package dev.potaccel.serve;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service: REST, gRPC and metrics listeners over one {@link InferenceService}.
 * {@link #start} binds the listeners at once (so liveness answers while models load) and loads
 * the models on a background thread; readiness turns true when all have loaded. {@link #close}
 * is the graceful shutdown: readiness false, new inference refused (503 / UNAVAILABLE), queued
 * and running requests answered (up to {@link ServerOptions#shutdownGrace}), then the listeners
 * close.
 */
public final class InferenceServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InferenceServer.class);

  private final ServerOptions options;
  private final InferenceService service;
  private final HttpServer http;
  private final Server grpc;
  private final HttpServer metricsHttp;
  private final Thread loader;
  private final CountDownLatch loaded = new CountDownLatch(1);
  private boolean closed; // guarded by this

  private InferenceServer(ServerOptions options, InferenceService service, HttpServer http,
      Server grpc, HttpServer metricsHttp) {
    this.options = options;
    this.service = service;
    this.http = http;
    this.grpc = grpc;
    this.metricsHttp = metricsHttp;
    this.loader = new Thread(() -> {
      try {
        service.loadAll();
      } finally {
        loaded.countDown();
      }
    }, "model-loader");
    loader.setDaemon(true);
  }

  /**
   * Binds the listeners and starts loading {@code models}.
   *
   * @throws IllegalStateException naming the address that cannot be bound
   */
  public static InferenceServer start(ServerOptions options, List<ModelSource> models) {
    Metrics metrics = new Metrics();
    InferenceService service = new InferenceService(models, metrics, version());
    HttpServer http = null;
    HttpServer metricsHttp = null;
    Server grpc = null;
    try {
      TlsFiles tls = options.tls();
      http = new HttpServer("REST", options.host(), options.httpPort(), options.maxBodyBytes(),
          2, tls != null ? tls.restContext() : null,
          () -> new RestHandler(service, options.authToken()));
      // metrics stay plaintext and open: Prometheus scrapes them inside the cluster
      metricsHttp = new HttpServer("metrics", options.host(), options.metricsPort(), 1 << 16, 1,
          null, () -> new MetricsHandler(metrics));
      GrpcFront front = new GrpcFront(service);
      NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(
              options.host(), options.grpcPort()))
          .maxInboundMessageSize(options.maxBodyBytes());
      if (tls != null) {
        builder.sslContext(tls.grpcContext());
      }
      builder.addService(options.authToken() != null
          ? ServerInterceptors.intercept(front.definition(),
              new GrpcAuth(options.authToken()))
          : front.definition());
      try {
        grpc = builder.build().start();
      } catch (IOException e) {
        throw new IllegalStateException("gRPC: cannot listen on " + options.host() + ":"
            + options.grpcPort() + ": " + e.getMessage(), e);
      }
    } catch (RuntimeException e) {
      if (http != null) {
        http.close();
      }
      if (metricsHttp != null) {
        metricsHttp.close();
      }
      throw e;
    }
    InferenceServer server = new InferenceServer(options, service, http, grpc, metricsHttp);
    server.loader.start();
    LOG.info("serving {} models: REST {}:{}, gRPC {}:{}, metrics {}:{}/metrics", models.size(),
        options.host(), server.httpPort(), options.host(), server.grpcPort(), options.host(),
        server.metricsPort());
    return server;
  }

  public int httpPort() {
    return http.port();
  }

  public int grpcPort() {
    return grpc.getPort();
  }

  public int metricsPort() {
    return metricsHttp.port();
  }

  /**
   * Waits until every model has been tried.
   *
   * @return "model 'x': reason" for each model that failed to load; empty when all are ready
   * @throws IllegalStateException when loading takes longer than {@code timeout}
   */
  public List<String> awaitLoaded(Duration timeout) throws InterruptedException {
    if (!loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("models still loading after " + timeout.toSeconds() + " s");
    }
    return service.loadFailures();
  }

  /** Whether the server answers ready (tests). */
  public boolean ready() {
    return service.ready();
  }

  /** Requests accepted and not yet answered. */
  public int inFlight() {
    return service.inFlight();
  }

  /**
   * Graceful shutdown: readiness false and new inference refused at once; queued and running
   * requests are answered; then gRPC and HTTP close. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    LOG.info("shutting down: refusing new requests, answering {} in flight", service.inFlight());
    service.beginShutdown();
    long deadline = System.nanoTime() + options.shutdownGrace().toNanos();
    // the batchers answer everything queued before they stop; wait for those answers to go out
    Thread drain = new Thread(service::close, "drain");
    drain.start();
    try {
      drain.join(Math.max(1, options.shutdownGrace().toMillis()));
      while (service.inFlight() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (service.inFlight() > 0) {
      LOG.warn("shutdown: {} requests still in flight after {} s; closing anyway",
          service.inFlight(), options.shutdownGrace().toSeconds());
    }
    grpc.shutdown();
    try {
      if (!grpc.awaitTermination(Math.max(1, (deadline - System.nanoTime()) / 1_000_000),
          TimeUnit.MILLISECONDS)) {
        grpc.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      grpc.shutdownNow();
    }
    http.close();
    metricsHttp.close();
    LOG.info("shut down");
  }

  /** The potaccel version host's jar records. */
  static String version() {
    Properties p = new Properties();
    try (InputStream in = InferenceServer.class.getResourceAsStream(
        "/dev/potaccel/version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      LOG.warn("cannot read the potaccel version", e);
    }
    return p.getProperty("version", "(unknown version)");
  }
}
