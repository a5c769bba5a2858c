package dev.potaccel.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.potaccel.device.DeviceSpec;
import dev.potaccel.device.session.InferenceSession;
import dev.potaccel.graph.Tensor;
import dev.potaccel.serve.client.GrpcClient;
import dev.potaccel.serve.client.NamedTensor;
import dev.potaccel.serve.client.RestClient;
import dev.potaccel.serve.grpc.ModelMetadataResponse;
import dev.potaccel.serve.grpc.ModelReadyRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled LeNet-5 served from a repository on the emulator (compiled in memory, int8):
 * health, metadata and inference over REST and gRPC give exactly what the in-process engine gives
 * for the same images, alone and when concurrent requests of mixed sizes are batched together.
 */
class Lenet5ServerTest {
  @TempDir
  static Path dir;

  static InferenceServer server;
  static InferenceSession reference;
  static RestClient rest;
  static GrpcClient grpc;

  @BeforeAll
  static void start() throws Exception {
    Path repo = TestServers.lenetRepository(dir, "{\"device\": \"emulator\", \"max_batch_size\":"
        + " 16, \"max_batch_delay_us\": 30000, \"threads\": 1}");
    server = InferenceServer.start(ServerOptions.ephemeral(), ModelRepository.scan(repo,
        ModelConfig.defaults(DeviceSpec.EMULATOR),
        dev.potaccel.data.FashionMnist.DEBIAN_DIR));
    reference = InferenceSession.open(repo.resolve("lenet5/model.onnx"),
        InferenceSession.Options.defaults(DeviceSpec.EMULATOR, 1));
    assertEquals(List.of(), server.awaitLoaded(Duration.ofSeconds(60)));
    rest = new RestClient("127.0.0.1", server.httpPort());
    grpc = new GrpcClient("127.0.0.1", server.grpcPort());
  }

  @AfterAll
  static void stop() {
    grpc.close();
    server.close();
    reference.close();
  }

  /** {@code n} images of N(0,1) noise, a fixed seed per call site. */
  static Tensor images(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n * 28 * 28];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Tensor.ofFloats(new int[] {n, 1, 28, 28}, v);
  }

  static float[] expected(Tensor x) {
    return reference.run(List.of(x)).get(0).floats();
  }

  static List<NamedTensor> input(Tensor x) {
    return List.of(new NamedTensor("input", x));
  }

  @Test
  void restHealthAndMetadata() {
    assertTrue(rest.live());
    assertTrue(rest.ready());
    JsonObject server = rest.serverMetadata();
    assertEquals("potaccel", server.get("name").getAsString());
    assertTrue(server.getAsJsonArray("extensions").toString().contains("binary_tensor_data"));
    JsonObject m = rest.modelMetadata("lenet5");
    assertEquals("lenet5", m.get("name").getAsString());
    assertEquals("potaccel_emulator", m.get("platform").getAsString());
    JsonObject in = m.getAsJsonArray("inputs").get(0).getAsJsonObject();
    assertEquals("input", in.get("name").getAsString());
    assertEquals("FP32", in.get("datatype").getAsString());
    assertEquals("[-1,1,28,28]", in.get("shape").toString());
    assertEquals("[-1,10]", m.getAsJsonArray("outputs").get(0).getAsJsonObject().get("shape")
        .toString());
    assertEquals(200, rest.get("/v2/models/lenet5/versions/1").status());
    RestClient.Response ready = rest.get("/v2/models/lenet5/ready");
    assertEquals(200, ready.status());
    assertTrue(ready.json().get("ready").getAsBoolean());
  }

  @Test
  void restInferJsonAndBinaryEqualTheInProcessEngine() {
    Tensor x = images(3, 1);
    float[] want = expected(x);
    List<NamedTensor> json = rest.infer("lenet5", input(x), false);
    assertEquals("logits", json.get(0).name());
    assertArrayEquals(new int[] {3, 10}, json.get(0).tensor().shape());
    assertArrayEquals(want, json.get(0).tensor().floats());
    List<NamedTensor> binary = rest.infer("lenet5", input(x), true);
    assertArrayEquals(want, binary.get(0).tensor().floats());
  }

  @Test
  void restAcceptsNestedDataAndEchoesTheId() {
    Tensor x = images(1, 2);
    JsonArray rows = new JsonArray();
    for (int y = 0; y < 28; y++) {
      JsonArray row = new JsonArray();
      for (int c = 0; c < 28; c++) {
        row.add(x.floats()[y * 28 + c]);
      }
      rows.add(row);
    }
    JsonArray nested = new JsonArray();
    JsonArray channel = new JsonArray();
    channel.add(rows);
    nested.add(channel);
    String body = "{\"id\": \"req-7\", \"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\","
        + " \"shape\": [1, 1, 28, 28], \"data\": " + nested + "}], \"outputs\": [{\"name\":"
        + " \"logits\"}]}";
    RestClient.Response r = rest.post("/v2/models/lenet5/versions/1/infer",
        body.getBytes(StandardCharsets.UTF_8), Map.of());
    assertEquals(200, r.status(), r.text());
    assertEquals("req-7", r.json().get("id").getAsString());
    assertEquals("1", r.json().get("model_version").getAsString());
    assertArrayEquals(expected(x), RestClient.outputs(r).get(0).tensor().floats());
  }

  @Test
  void grpcHealthMetadataAndInferEqualTheInProcessEngine() {
    assertTrue(grpc.live());
    assertTrue(grpc.ready());
    assertTrue(grpc.stub().modelReady(ModelReadyRequest.newBuilder().setName("lenet5").build())
        .getReady());
    ModelMetadataResponse m = grpc.modelMetadata("lenet5");
    assertEquals(List.of(-1L, 1L, 28L, 28L), m.getInputs(0).getShapeList());
    assertEquals("FP32", m.getOutputs(0).getDatatype());
    Tensor x = images(4, 3);
    float[] want = expected(x);
    assertArrayEquals(want, grpc.infer("lenet5", input(x), false).get(0).tensor().floats());
    assertArrayEquals(want, grpc.infer("lenet5", input(x), true).get(0).tensor().floats());
  }

  @Test
  void concurrentMixedSizesAreBatchedAndSplitBackExactly() throws Exception {
    int[] sizes = {1, 3, 2, 5, 1, 4, 2, 1, 3, 1, 2, 6};
    List<Tensor> inputs = new ArrayList<>();
    List<float[]> singles = new ArrayList<>();
    for (int i = 0; i < sizes.length; i++) {
      Tensor x = images(sizes[i], 100 + i);
      inputs.add(x);
      singles.add(expected(x));
    }
    ExecutorService pool = Executors.newFixedThreadPool(sizes.length);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<float[]>> answers = new ArrayList<>();
      for (int i = 0; i < sizes.length; i++) {
        Tensor x = inputs.get(i);
        boolean viaGrpc = i % 2 == 1;
        answers.add(pool.submit(() -> {
          go.await();
          return (viaGrpc ? grpc.infer("lenet5", input(x), i(x) % 2 == 0)
              : rest.infer("lenet5", input(x), i(x) % 2 == 0)).get(0).tensor().floats();
        }));
      }
      go.countDown();
      for (int i = 0; i < sizes.length; i++) {
        assertArrayEquals(singles.get(i), answers.get(i).get(60, TimeUnit.SECONDS),
            "request " + i + " of " + sizes[i] + " images");
      }
    } finally {
      pool.shutdownNow();
    }
    String metrics = new RestClient("127.0.0.1", server.metricsPort()).get("/metrics").text();
    long executed = value(metrics, "nv_inference_exec_count{model=\"lenet5\",version=\"1\"}");
    long requests = value(metrics,
        "nv_inference_request_success{model=\"lenet5\",version=\"1\"}");
    assertTrue(executed < requests, "requests were merged into batches: " + executed
        + " batches for " + requests + " requests");
    assertTrue(metrics.contains("potaccel_inference_batch_size_bucket{model=\"lenet5\""));
    assertTrue(metrics.contains("potaccel_device_utilization{model=\"lenet5\",version=\"1\","
        + "device=\"emulator\"}"));
  }

  private static int i(Tensor x) {
    return x.dim(0);
  }

  static long value(String metrics, String series) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Long.parseLong(line.substring(series.length() + 1).strip());
      }
    }
    throw new AssertionError("no series " + series + " in\n" + metrics);
  }
}
