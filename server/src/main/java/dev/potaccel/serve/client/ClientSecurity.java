package dev.potaccel.serve.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a client reaches a secured server.
 *
 * @param trustedCertificate PEM certificate (or CA) to trust for TLS; null for plaintext
 * @param token bearer token sent as {@code Authorization: Bearer <token>}; null for none
 */
public record ClientSecurity(Path trustedCertificate, String token) {
  /** Plaintext, no token. */
  public static final ClientSecurity NONE = new ClientSecurity(null, null);

  public boolean tls() {
    return trustedCertificate != null;
  }

  /** The {@code Authorization} header value, or null. */
  public String authorization() {
    return token != null ? "Bearer " + token : null;
  }

  /** A TLS context trusting only {@link #trustedCertificate}. */
  SSLContext sslContext() {
    try (InputStream in = Files.newInputStream(trustedCertificate)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("trusted-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(
          TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return ssl;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(trustedCertificate + ": cannot trust this certificate: "
          + e.getMessage(), e);
    }
  }
}
