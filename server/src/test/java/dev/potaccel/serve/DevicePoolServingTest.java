package dev.potaccel.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.device.DeviceSpec;
import dev.potaccel.device.session.InferenceSession;
import dev.potaccel.graph.Tensor;
import dev.potaccel.serve.client.NamedTensor;
import dev.potaccel.serve.client.RestClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model served from several devices: the batcher keeps as many merged batches in flight as the
 * model asks for, answers each request exactly, answers everything in flight at shutdown, and the
 * metrics carry one line per pool device.
 */
class DevicePoolServingTest {

  /** {@link FakeModel} on "two devices": submit runs the batch on one of two threads. */
  private static final class TwoDeviceModel implements InferenceModel {
    final FakeModel inner = new FakeModel();
    final ExecutorService devices = Executors.newFixedThreadPool(2);

    @Override
    public List<TensorSpec> inputs() {
      return inner.inputs();
    }

    @Override
    public List<TensorSpec> outputs() {
      return inner.outputs();
    }

    @Override
    public String device() {
      return "fake+fake";
    }

    @Override
    public List<Tensor> run(List<Tensor> batch) {
      return inner.run(batch);
    }

    @Override
    public CompletableFuture<List<Tensor>> submit(List<Tensor> batch) {
      return CompletableFuture.supplyAsync(() -> inner.run(batch), devices);
    }

    @Override
    public int parallelism() {
      return 2;
    }

    @Override
    public void close() {
      devices.shutdownNow();
      inner.close();
    }
  }

  @Test
  void twoBatchesRunAtOnceAndEveryRequestIsAnswered() throws Exception {
    TwoDeviceModel model = new TwoDeviceModel();
    InferenceServer server = InferenceServer.start(ServerOptions.ephemeral(), List.of(
        new ModelSource("fake", TestServers.config(1, 16, Duration.ZERO, Duration.ofSeconds(30)),
            () -> model)));
    try {
      assertEquals(List.of(), server.awaitLoaded(Duration.ofSeconds(10)));
      RestClient rest = new RestClient("127.0.0.1", server.httpPort());
      model.inner.block();
      List<CompletableFuture<List<NamedTensor>>> answers = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        answers.add(QueueAndShutdownTest.async(rest));
      }
      // two batches reach the "devices" while the first is still blocked; the third waits
      model.inner.awaitRunning();
      model.inner.awaitRunning();
      Thread.sleep(200);
      assertEquals(2, model.inner.batches.size(), "batches started: " + model.inner.batches);
      model.inner.release();
      for (CompletableFuture<List<NamedTensor>> f : answers) {
        assertArrayEquals(new float[] {1, 3, 5, 7},
            f.get(10, TimeUnit.SECONDS).get(0).tensor().floats());
      }
      assertEquals(3, model.inner.batches.size());
      model.inner.awaitRunning(); // the third run's start
      // shutdown answers what is on the devices
      model.inner.block();
      CompletableFuture<List<NamedTensor>> last = QueueAndShutdownTest.async(rest);
      model.inner.awaitRunning();
      CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
      Thread.sleep(100);
      model.inner.release();
      assertArrayEquals(new float[] {1, 3, 5, 7},
          last.get(10, TimeUnit.SECONDS).get(0).tensor().floats());
      closing.get(10, TimeUnit.SECONDS);
    } finally {
      server.close();
    }
  }

  @Test
  void lenet5OnTwoEmulatorsAnswersAsOneAndReportsEachDevice(@TempDir Path dir) throws Exception {
    Path repo = TestServers.lenetRepository(dir, "{\"devices\": [\"emulator\", \"emulator\"],"
        + " \"pool_mode\": \"pipeline\", \"max_batch_size\": 8, \"max_batch_delay_us\": 2000}");
    try (InferenceServer server = InferenceServer.start(ServerOptions.ephemeral(),
        ModelRepository.scan(repo, ModelConfig.defaults(DeviceSpec.EMULATOR),
            dev.potaccel.data.FashionMnist.DEBIAN_DIR));
        InferenceSession reference = InferenceSession.open(repo.resolve("lenet5/model.onnx"),
            InferenceSession.Options.defaults(DeviceSpec.EMULATOR, 1))) {
      assertEquals(List.of(), server.awaitLoaded(Duration.ofSeconds(60)));
      RestClient rest = new RestClient("127.0.0.1", server.httpPort());
      ExecutorService clients = Executors.newFixedThreadPool(8);
      try {
        List<Tensor> inputs = new ArrayList<>();
        List<CompletableFuture<float[]>> answers = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          Tensor x = Lenet5ServerTest.images(1 + i % 3, 100 + i);
          inputs.add(x);
          answers.add(CompletableFuture.supplyAsync(() -> rest.infer("lenet5",
              List.of(new NamedTensor("input", x)), true).get(0).tensor().floats(), clients));
        }
        for (int i = 0; i < inputs.size(); i++) {
          assertArrayEquals(reference.run(List.of(inputs.get(i))).get(0).floats(),
              answers.get(i).get(60, TimeUnit.SECONDS), "request " + i);
        }
      } finally {
        clients.shutdownNow();
      }
      String metrics = new RestClient("127.0.0.1", server.metricsPort()).get("/metrics").text();
      for (String device : List.of("emulator#0", "emulator#1")) {
        assertTrue(metrics.contains("potaccel_device_healthy{model=\"lenet5\",version=\"1\","
            + "device=\"" + device + "\"} 1"), metrics);
        assertTrue(metrics.contains("potaccel_device_utilization{model=\"lenet5\",version=\"1\","
            + "device=\"" + device + "\"}"), metrics);
      }
    }
  }
}
