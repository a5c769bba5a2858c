package dev.potaccel.serve;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * The PEM certificate chain and private key (PKCS#8, unencrypted) that REST and gRPC serve TLS
 * with ({@code --tls-cert}, {@code --tls-key}).
 */
public record TlsFiles(Path certificate, Path privateKey) {
  public TlsFiles {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(privateKey, "privateKey");
    for (Path p : new Path[] {certificate, privateKey}) {
      if (!Files.isReadable(p)) {
        throw new IllegalArgumentException(p + ": TLS " + (p == certificate ? "certificate"
            : "private key") + " file is missing or unreadable");
      }
    }
  }

  /** REST's server context (HTTP/1.1). */
  SslContext restContext() {
    try {
      return SslContextBuilder.forServer(certificate.toFile(), privateKey.toFile()).build();
    } catch (SSLException | IllegalArgumentException e) {
      throw invalid(e);
    }
  }

  /** gRPC's server context: HTTP/2 over ALPN. */
  SslContext grpcContext() {
    try {
      return GrpcSslContexts.forServer(certificate.toFile(), privateKey.toFile()).build();
    } catch (SSLException | IllegalArgumentException e) {
      throw invalid(e);
    }
  }

  private IllegalArgumentException invalid(Exception e) {
    return new IllegalArgumentException("TLS: cannot use certificate " + certificate + " with key "
        + privateKey + " (PEM certificate chain and unencrypted PKCS#8 PEM key expected): "
        + e.getMessage(), e);
  }
}
