package dev.potaccel.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.graph.Tensor;
import dev.potaccel.serve.client.ClientException;
import dev.potaccel.serve.client.GrpcClient;
import dev.potaccel.serve.client.NamedTensor;
import dev.potaccel.serve.client.RestClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure and lifecycle with a fake model that blocks on demand: a full queue refuses at
 * once (429 / RESOURCE_EXHAUSTED), a request that waits past its timeout is refused, and a
 * shutdown answers the requests in flight while refusing new ones.
 */
class QueueAndShutdownTest {
  static List<NamedTensor> x(int rows) {
    float[] v = new float[rows * 4];
    for (int i = 0; i < v.length; i++) {
      v[i] = i;
    }
    return List.of(new NamedTensor("x", Tensor.ofFloats(new int[] {rows, 4}, v)));
  }

  static CompletableFuture<List<NamedTensor>> async(RestClient rest) {
    return CompletableFuture.supplyAsync(() -> rest.infer("fake", x(1), false));
  }

  @Test
  void fullQueueIsRefusedAtOnceOverRestAndGrpc() throws Exception {
    FakeModel model = new FakeModel();
    try (InferenceServer server = TestServers.fake(model, TestServers.config(1, 2,
        Duration.ZERO, Duration.ofSeconds(30)), ServerOptions.ephemeral());
        GrpcClient grpc = new GrpcClient("127.0.0.1", server.grpcPort())) {
      RestClient rest = new RestClient("127.0.0.1", server.httpPort());
      model.block();
      CompletableFuture<List<NamedTensor>> running = async(rest);
      model.awaitRunning();
      CompletableFuture<List<NamedTensor>> queued1 = async(rest);
      CompletableFuture<List<NamedTensor>> queued2 = async(rest);
      while (server.inFlight() < 3) {
        Thread.sleep(2);
      }
      long start = System.nanoTime();
      ClientException e = assertThrows(ClientException.class,
          () -> rest.infer("fake", x(1), false));
      assertEquals(429, e.status());
      assertTrue(e.getMessage().contains("model 'fake': queue full (2 requests waiting)"),
          e.getMessage());
      StatusRuntimeException g = assertThrows(StatusRuntimeException.class,
          () -> grpc.infer("fake", x(1), false));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, g.getStatus().getCode());
      assertTrue(g.getStatus().getDescription().contains("queue full"));
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "refused at once");
      model.release();
      for (CompletableFuture<List<NamedTensor>> f : List.of(running, queued1, queued2)) {
        assertEquals(1f, f.get(10, TimeUnit.SECONDS).get(0).tensor().floats()[0]);
      }
      String metrics = new RestClient("127.0.0.1", server.metricsPort()).get("/metrics").text();
      assertTrue(metrics.contains("nv_inference_request_failure{model=\"fake\",version=\"1\","
          + "reason=\"REJECTED\"} 2"), metrics);
    }
  }

  @Test
  void requestWaitingPastItsTimeoutIsRefused() throws Exception {
    FakeModel model = new FakeModel();
    try (InferenceServer server = TestServers.fake(model, TestServers.config(1, 4,
        Duration.ZERO, Duration.ofMillis(100)), ServerOptions.ephemeral())) {
      RestClient rest = new RestClient("127.0.0.1", server.httpPort());
      model.block();
      CompletableFuture<List<NamedTensor>> running = async(rest);
      model.awaitRunning();
      CompletableFuture<List<NamedTensor>> late = async(rest);
      Thread.sleep(300);
      model.release();
      running.get(10, TimeUnit.SECONDS);
      Exception e = assertThrows(Exception.class, () -> late.get(10, TimeUnit.SECONDS));
      ClientException c = (ClientException) e.getCause();
      assertEquals(503, c.status());
      assertTrue(c.getMessage().contains("model 'fake': request timed out after"),
          c.getMessage());
    }
  }

  @Test
  void shutdownAnswersInFlightRequestsAndRefusesNewOnes() throws Exception {
    FakeModel model = new FakeModel();
    InferenceServer server = TestServers.fake(model, TestServers.config(4, 8,
        Duration.ZERO, Duration.ofSeconds(30)), ServerOptions.ephemeral());
    RestClient rest = new RestClient("127.0.0.1", server.httpPort());
    GrpcClient grpc = new GrpcClient("127.0.0.1", server.grpcPort());
    try {
      model.block();
      CompletableFuture<List<NamedTensor>> inFlight = async(rest);
      model.awaitRunning();
      CompletableFuture<List<NamedTensor>> queued = async(rest);
      while (server.inFlight() < 2) {
        Thread.sleep(2);
      }
      CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
      while (server.ready()) {
        Thread.sleep(2);
      }
      RestClient.Response ready = rest.get("/v2/health/ready");
      assertEquals(503, ready.status());
      assertEquals("not ready: the server is shutting down", ready.error());
      assertFalse(grpc.ready());
      ClientException refused = assertThrows(ClientException.class,
          () -> rest.infer("fake", x(1), false));
      assertEquals(503, refused.status());
      assertTrue(refused.getMessage().contains("shutting down"), refused.getMessage());
      StatusRuntimeException g = assertThrows(StatusRuntimeException.class,
          () -> grpc.infer("fake", x(1), false));
      assertEquals(Status.Code.UNAVAILABLE, g.getStatus().getCode());
      assertFalse(closing.isDone(), "close waits for the requests in flight");
      model.release();
      assertEquals(1f, inFlight.get(10, TimeUnit.SECONDS).get(0).tensor().floats()[0]);
      assertEquals(1f, queued.get(10, TimeUnit.SECONDS).get(0).tensor().floats()[0]);
      closing.get(10, TimeUnit.SECONDS);
      assertTrue(model.closed);
    } finally {
      model.release();
      grpc.close();
      server.close();
    }
  }
}
