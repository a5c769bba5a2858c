package dev.potaccel.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.data.FashionMnist;
import dev.potaccel.device.DeviceSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small run of the load test ({@code potaccel serve load}): 500 requests at concurrency 8 per
 * protocol on the bundled LeNet-5 and test images, every answer equal to the in-process one.
 */
class LoadTestTest {
  static final Path IMAGES = Path.of("../models/testdata/fmnist-test-first256.npy");

  @TempDir
  Path dir;

  @Test
  void restAndGrpcAnswerEveryRequestWithTheInProcessAnswer() throws Exception {
    assertTrue(Files.isRegularFile(IMAGES), IMAGES.toAbsolutePath() + " is missing");
    ModelConfig defaults = ModelConfig.defaults(DeviceSpec.EMULATOR);
    ModelConfig config = new ModelConfig(defaults.devices(), defaults.poolMode(), defaults.scheme(), 8,
        Duration.ofMillis(2), 64, Duration.ofSeconds(30), 1);
    LoadTest.Plan plan = new LoadTest.Plan("lenet5", LoadTest.bundledModel("lenet5", dir,
        ".onnx"), LoadTest.bundledModel("lenet5", dir, ".json"), IMAGES, config, 500, 20, 8,
        FashionMnist.DEBIAN_DIR);
    LoadTest.Report report = LoadTest.run(plan);
    String table = report.table();
    assertEquals(List.of("in-process", "REST", "gRPC"), report.results().stream()
        .map(LoadTest.PathResult::path).toList(), table);
    for (LoadTest.PathResult r : report.results()) {
      assertEquals(500, r.requests(), table);
      assertEquals(0, r.errors(), table);
      assertTrue(r.imagesPerSecond() > 0 && r.p50Ms() > 0 && r.p99Ms() >= r.p50Ms(), table);
    }
    for (LoadTest.PathResult r : report.results().subList(1, 3)) {
      assertTrue(r.meanBatch() >= 1 && r.meanBatch() <= 8, "batches of at most 8: " + table);
    }
    assertTrue(table.contains("mean batch") && table.contains("vs in-process"), table);
  }

  @Test
  void percentilesAreNearestRank() {
    long[] sorted = new long[100];
    for (int i = 0; i < sorted.length; i++) {
      sorted[i] = i + 1;
    }
    assertEquals(50, LoadTest.percentile(sorted, 0.50));
    assertEquals(99, LoadTest.percentile(sorted, 0.99));
    assertEquals(7, LoadTest.percentile(new long[] {7}, 0.99));
  }
}
