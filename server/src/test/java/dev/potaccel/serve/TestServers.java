package dev.potaccel.serve;

import dev.potaccel.device.DeviceSpec;
import dev.potaccel.device.pool.DevicePool;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Servers and repositories for tests: loopback, ephemeral ports. */
final class TestServers {
  private TestServers() {}

  /** A repository with the bundled LeNet-5 as {@code lenet5/model.onnx} (+ sidecar, config). */
  static Path lenetRepository(Path dir, String configJson) throws IOException {
    Path folder = Files.createDirectories(dir.resolve("lenet5"));
    copy("/dev/potaccel/models/lenet5.onnx", folder.resolve("model.onnx"));
    copy("/dev/potaccel/models/lenet5.json", folder.resolve("model.json"));
    Files.writeString(folder.resolve(ModelConfig.FILE), configJson);
    return dir;
  }

  private static void copy(String resource, Path to) throws IOException {
    try (InputStream in = TestServers.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException(resource + " is not on the test classpath (host's jar has it)");
      }
      Files.copy(in, to);
    }
  }

  /** A server for one fake model named "fake", loaded. */
  static InferenceServer fake(FakeModel model, ModelConfig config, ServerOptions options)
      throws InterruptedException {
    InferenceServer s = InferenceServer.start(options,
        List.of(new ModelSource("fake", config, () -> model)));
    List<String> failures = s.awaitLoaded(Duration.ofSeconds(10));
    if (!failures.isEmpty()) {
      throw new AssertionError(failures.toString());
    }
    return s;
  }

  /** Fake-model config: batches of up to {@code maxBatch}, {@code queue} waiting. */
  static ModelConfig config(int maxBatch, int queue, Duration delay, Duration timeout) {
    return new ModelConfig(List.of(DeviceSpec.CPU), DevicePool.Mode.DATA_PARALLEL,
        ModelConfig.defaults(DeviceSpec.CPU).scheme(), maxBatch, delay,
        queue, timeout, 1);
  }
}
