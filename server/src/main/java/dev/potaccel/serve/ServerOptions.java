package dev.potaccel.serve;

import java.time.Duration;
import java.util.Objects;

/**
 * Where the server listens and its limits.
 *
 * @param host address every listener binds; loopback by default, so exposing the server is a
 *     decision, not an accident
 * @param httpPort REST port, 0 for an ephemeral one (tests)
 * @param grpcPort gRPC port, 0 for ephemeral
 * @param metricsPort Prometheus port, 0 for ephemeral
 * @param maxBodyBytes largest REST body and gRPC message accepted (413 / RESOURCE_EXHAUSTED)
 * @param shutdownGrace how long a shutdown waits for in-flight requests
 * @param tls the certificate and key REST and gRPC serve TLS with; null for plaintext
 * @param authToken the bearer token every inference and metadata request must carry; null for
 *     none. Health endpoints (liveness, readiness) and metrics stay open for probes and scrapers.
 */
public record ServerOptions(String host, int httpPort, int grpcPort, int metricsPort,
    int maxBodyBytes, Duration shutdownGrace, TlsFiles tls, BearerToken authToken) {

  public static final int DEFAULT_MAX_BODY_BYTES = 64 << 20;

  public ServerOptions {
    Objects.requireNonNull(host, "host");
    for (int port : new int[] {httpPort, grpcPort, metricsPort}) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is not in 0..65535");
      }
    }
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("max body bytes must be positive, got " + maxBodyBytes);
    }
  }

  /** 127.0.0.1, ports 8000/8001/8002, 64 MiB bodies, 30 s to drain. */
  public static ServerOptions defaults() {
    return new ServerOptions("127.0.0.1", 8000, 8001, 8002, DEFAULT_MAX_BODY_BYTES,
        Duration.ofSeconds(30), null, null);
  }

  /** Loopback, ephemeral ports: for tests. */
  public static ServerOptions ephemeral() {
    return new ServerOptions("127.0.0.1", 0, 0, 0, DEFAULT_MAX_BODY_BYTES, Duration.ofSeconds(10),
        null, null);
  }

  public ServerOptions withMaxBodyBytes(int bytes) {
    return new ServerOptions(host, httpPort, grpcPort, metricsPort, bytes, shutdownGrace, tls,
        authToken);
  }

  public ServerOptions withTls(TlsFiles files) {
    return new ServerOptions(host, httpPort, grpcPort, metricsPort, maxBodyBytes, shutdownGrace,
        files, authToken);
  }

  public ServerOptions withAuthToken(BearerToken token) {
    return new ServerOptions(host, httpPort, grpcPort, metricsPort, maxBodyBytes, shutdownGrace,
        tls, token);
  }
}
