package dev.potaccel.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.graph.Tensor;
import dev.potaccel.serve.client.ClientSecurity;
import dev.potaccel.serve.client.GrpcClient;
import dev.potaccel.serve.client.NamedTensor;
import dev.potaccel.serve.client.RestClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and the bearer token: a server with both (a self-signed certificate made by openssl at
 * test time) answers clients that trust the certificate and send the token, refuses the others
 * with 401 / UNAUTHENTICATED and the protocol's error, and keeps health checks open; model names
 * cannot reach outside the repository.
 */
class SecurityTest {
  static final String TOKEN = "s3cret-token_42";

  @TempDir
  static Path dir;

  static Path cert;
  static InferenceServer server;

  @BeforeAll
  static void start() throws Exception {
    cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", key.toString(), "-out", cert.toString(), "-days", "1", "-subj",
        "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl failed: " + out);
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, TOKEN + "\n");
    server = TestServers.fake(new FakeModel(), TestServers.config(4, 16, Duration.ZERO,
        Duration.ofSeconds(30)), ServerOptions.ephemeral().withTls(new TlsFiles(cert, key))
        .withAuthToken(BearerToken.read(tokenFile)));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static List<NamedTensor> x() {
    return List.of(new NamedTensor("x", Tensor.ofFloats(new int[] {1, 4},
        new float[] {1, 2, 3, 4})));
  }

  static final float[] Y = {3, 5, 7, 9};

  @Test
  void restOverTlsWithTheTokenInfers() {
    RestClient rest = new RestClient("127.0.0.1", server.httpPort(),
        new ClientSecurity(cert, TOKEN));
    assertArrayEquals(Y, rest.infer("fake", x(), false).get(0).tensor().floats());
    assertArrayEquals(Y, rest.infer("fake", x(), true).get(0).tensor().floats());
    assertEquals(200, rest.get("/v2/models/fake").status());
  }

  @Test
  void restWithoutOrWithAWrongTokenIs401ButHealthStaysOpen() {
    RestClient none = new RestClient("127.0.0.1", server.httpPort(),
        new ClientSecurity(cert, null));
    RestClient.Response r = none.post("/v2/models/fake/infer", "{}".getBytes(
        StandardCharsets.UTF_8), Map.of("Content-Type", "application/json"));
    assertEquals(401, r.status());
    assertTrue(r.error().contains("no 'Authorization: Bearer <token>' header"), r.error());
    assertEquals(List.of("Bearer"), r.headers().get("www-authenticate"));
    assertEquals(401, none.get("/v2/models/fake").status());
    assertEquals(401, none.get("/v2").status());
    assertTrue(none.live());
    assertTrue(none.ready());
    RestClient wrong = new RestClient("127.0.0.1", server.httpPort(),
        new ClientSecurity(cert, TOKEN + "x"));
    RestClient.Response w = wrong.get("/v2/models/fake/ready");
    assertEquals(401, w.status());
    assertTrue(w.error().contains("the bearer token is wrong"), w.error());
  }

  @Test
  void restPlaintextToATlsServerFails() {
    RestClient plain = new RestClient("127.0.0.1", server.httpPort(),
        new ClientSecurity(null, TOKEN));
    assertThrows(UncheckedIOException.class, plain::live);
  }

  @Test
  void grpcOverTlsWithTheTokenInfersAndWithoutIsUnauthenticated() {
    try (GrpcClient ok = new GrpcClient("localhost", server.grpcPort(),
            new ClientSecurity(cert, TOKEN));
        GrpcClient none = new GrpcClient("localhost", server.grpcPort(),
            new ClientSecurity(cert, null));
        GrpcClient wrong = new GrpcClient("localhost", server.grpcPort(),
            new ClientSecurity(cert, "nope"))) {
      assertArrayEquals(Y, ok.infer("fake", x(), false).get(0).tensor().floats());
      assertArrayEquals(Y, ok.infer("fake", x(), true).get(0).tensor().floats());
      assertEquals("fake", ok.modelMetadata("fake").getName());
      assertTrue(none.live());
      assertTrue(none.ready());
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> none.infer("fake", x(), true));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("no 'authorization: Bearer <token>'"),
          e.getStatus().getDescription());
      StatusRuntimeException m = assertThrows(StatusRuntimeException.class,
          () -> wrong.modelMetadata("fake"));
      assertEquals(Status.Code.UNAUTHENTICATED, m.getStatus().getCode());
      assertTrue(m.getStatus().getDescription().contains("the bearer token is wrong"));
    }
  }

  @Test
  void bearerTokenComparesTheWholeTokenAndNeverPrintsIt() throws Exception {
    BearerToken t = BearerToken.of(TOKEN);
    assertTrue(t.accepts("Bearer " + TOKEN));
    assertTrue(t.accepts("bearer " + TOKEN));
    assertFalse(t.accepts(null));
    assertFalse(t.accepts(TOKEN));
    assertFalse(t.accepts("Bearer " + TOKEN.substring(1)));
    assertFalse(t.accepts("Bearer " + TOKEN + "0"));
    assertFalse(t.accepts("Basic " + TOKEN));
    assertFalse(t.toString().contains(TOKEN));
    Path empty = Files.writeString(dir.resolve("empty"), "\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BearerToken.read(empty));
    assertTrue(e.getMessage().contains("the auth token is empty"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BearerToken.read(dir.resolve("none")));
  }

  @Test
  void anUnusableCertificateIsRefusedAtStartNamingTheFiles() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.pem"), "not a certificate\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InferenceServer.start(ServerOptions.ephemeral().withTls(new TlsFiles(bad, bad)),
            List.of()));
    assertTrue(e.getMessage().startsWith("TLS: cannot use certificate " + bad), e.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> new TlsFiles(dir.resolve("missing.pem"), bad));
    assertTrue(missing.getMessage().contains("missing.pem: TLS certificate file is missing"),
        missing.getMessage());
  }

  @Test
  void theTokenFileWinsOverTheEnvironment() throws Exception {
    Path file = Files.writeString(dir.resolve("file-token"), "from-file\n");
    assertTrue(ServeCommand.authToken(file, "from-env").accepts("Bearer from-file"));
    assertTrue(ServeCommand.authToken(null, "from-env").accepts("Bearer from-env"));
    assertNull(ServeCommand.authToken(null, null));
    assertNull(ServeCommand.authToken(null, " "));
  }

  @Test
  void modelNamesCannotEscapeTheRepository() throws Exception {
    for (String name : List.of("..", "../etc", "a/b", ".hidden", "a\\b", "")) {
      assertThrows(IllegalArgumentException.class, () -> new ModelSource(name,
          TestServers.config(1, 1, Duration.ZERO, Duration.ofSeconds(1)), FakeModel::new), name);
    }
    RestClient rest = new RestClient("127.0.0.1", server.httpPort(),
        new ClientSecurity(cert, TOKEN));
    for (String path : List.of("/v2/models/..%2F..%2Fetc%2Fpasswd", "/v2/models/../fake",
        "/v2/models/%2e%2e/ready")) {
      RestClient.Response r = rest.get(path);
      assertEquals(404, r.status(), path + ": " + r.text());
    }
  }
}
