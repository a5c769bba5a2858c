package dev.potaccel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.potaccel.testing.RequiredData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every reference model in {@code models/} (a {@code <name>.onnx} with its {@code <name>.json})
 * must score on the full Fashion-MNIST test set, through {@code potaccel eval} on our CPU engine,
 * the FP32 top-1 PyTorch measured when it was trained ({@code fp32_top1}), to within 0.05
 * percentage points: the golden comes from outside the code under test.
 */
class ReferenceAccuracyTest {
  private static final Path MODELS = Path.of("../models");
  private static final Path DEBIAN_DATA = Path.of("/usr/share/datasets/fashion-mnist");
  /** 0.05 percentage points: 5 of 10,000 images may flip on float rounding. */
  private static final double TOLERANCE = 0.0005;

  static List<Path> referenceModels() throws IOException {
    try (Stream<Path> files = Files.list(MODELS)) {
      List<Path> models = files
          .filter(p -> p.getFileName().toString().endsWith(".onnx"))
          .filter(p -> Files.isRegularFile(sidecar(p)))
          .sorted()
          .toList();
      assertFalse(models.isEmpty(), "no <name>.onnx with <name>.json in " + MODELS);
      return models;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("referenceModels")
  void cpuEngineReproducesThePyTorchTop1(Path model) throws IOException {
    Path data = RequiredData.debianDir(DEBIAN_DATA, "dataset-fashion-mnist");
    JsonObject meta = JsonParser.parseString(Files.readString(sidecar(model)))
        .getAsJsonObject();
    assertTrue(meta.has("fp32_top1"), sidecar(model) + " has no fp32_top1");
    double reference = meta.get("fp32_top1").getAsDouble();

    long start = System.nanoTime();
    CliRun r = CliRun.of("eval", "--model", model.toString(), "--device", "cpu", "--data",
        data.toString(), "--json");
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(0, r.exitCode(), r.transcript());
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    assertEquals(10_000, o.get("images").getAsInt(), r.out());
    double top1 = o.get("top1").getAsDouble();
    // for the report: CI logs show how long each model takes
    System.out.printf(Locale.ROOT, "%s: top-1 %.4f (PyTorch %.4f), %.0f images/s, %.1f s%n",
        model.getFileName(), top1, reference, o.get("images_per_s").getAsDouble(), seconds);
    assertEquals(reference, top1, TOLERANCE, model + ": our top-1 " + top1
        + " vs PyTorch FP32 " + reference);
  }

  private static Path sidecar(Path onnx) {
    String name = onnx.getFileName().toString();
    return onnx.resolveSibling(name.substring(0, name.length() - ".onnx".length()) + ".json");
  }
}
