package dev.potaccel.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelMetadataTest {
  /** The shape models/training/train.py writes, trimmed. */
  static final String LENET_JSON = """
      {
        "name": "lenet5",
        "architecture": "LeNet-5",
        "input": {"name": "input", "shape": [-1, 1, 28, 28], "layout": "NCHW",
                  "mean": [0.286], "std": [0.353], "scale": "pixel/255",
                  "channels": "grayscale"},
        "output": {"name": "logits", "shape": [-1, 10]},
        "classes": ["T-shirt/top", "Trouser", "Pullover"],
        "fp32_top1": 0.9123,
        "training": {"seed": 1}
      }
      """;

  @TempDir
  Path dir;

  @Test
  void readsTheTrainingMetadata() {
    ModelMetadata m = ModelMetadata.parse(LENET_JSON, "lenet5.json");
    assertEquals("lenet5", m.name());
    assertEquals("input", m.inputName());
    assertArrayEquals(new int[] {-1, 1, 28, 28}, m.inputShape());
    assertArrayEquals(new float[] {0.286f}, m.mean());
    assertArrayEquals(new float[] {0.353f}, m.std());
    assertEquals(1, m.channels());
    assertEquals(List.of("T-shirt/top", "Trouser", "Pullover"), m.classes());
    assertEquals(0.9123, m.fp32Top1().getAsDouble(), 1e-12);
    assertEquals("Trouser", m.className(1));
    assertEquals("class 7", m.className(7));
  }

  @Test
  void sidecarIsFoundBesideTheModel() throws IOException {
    Files.writeString(dir.resolve("lenet5.json"), LENET_JSON);
    assertEquals("lenet5", ModelMetadata.readSidecar(dir.resolve("lenet5.onnx")).get().name());
    assertTrue(ModelMetadata.readSidecar(dir.resolve("other.onnx")).isEmpty());
  }

  @Test
  void emptyObjectMeansNoNormalisationAndNumberedClasses() {
    ModelMetadata m = ModelMetadata.parse("{}", "m.json");
    assertArrayEquals(new float[] {0f}, m.mean());
    assertArrayEquals(new float[] {1f}, m.std());
    assertEquals(0, m.channels());
    assertEquals("class 0", m.className(0));
    assertTrue(m.fp32Top1().isEmpty());
  }

  @Test
  void errorsNameFileAndField() {
    assertMessage("{\"classes\": \"cat\"}", "m.json: classes must be an array, found \"cat\"");
    assertMessage("{\"classes\": [1]}", "m.json: classes[0] must be a string, found 1");
    assertMessage("{\"input\": {\"std\": [0]}}", "m.json: input.std [0.0] must be positive");
    assertMessage("{\"input\": {\"mean\": [0, 0], \"std\": [1]}}",
        "m.json: input.mean has 2 values, input.std 1; they must match");
    assertMessage("{\"input\": {\"channels\": \"cmyk\"}}",
        "m.json: input.channels must be 1, 3, \"grayscale\" or \"rgb\", found \"cmyk\"");
    assertMessage("{\"input\": {\"shape\": [1.5]}}", "m.json: input.shape[0] = 1.5 is not a");
    assertMessage("[1, 2]", "m.json: model metadata must be a JSON object");
    assertMessage("{\"name\": ", "m.json: not valid JSON: ");
  }

  private static void assertMessage(String json, String expected) {
    InputFileException e = assertThrows(InputFileException.class,
        () -> ModelMetadata.parse(json, "m.json"));
    assertTrue(e.getMessage().startsWith(expected), e.getMessage());
  }
}
