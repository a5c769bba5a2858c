package dev.potaccel.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ResNet-20 stand-in has ResNet-20's graph, and both backends agree on it. */
class StandInModelsTest {
  @TempDir
  Path dir;

  @Test
  void resnet20HasTheGraphOfTheTrainedExportAndBothBackendsAgree() throws IOException {
    Path file = Files.write(dir.resolve("resnet20.onnx"),
        StandInModels.build("resnet20", 1).toByteArray());
    Graph graph = OnnxImporter.read(file);

    Map<String, Integer> ops = new TreeMap<>();
    for (Node n : graph.nodes()) {
      ops.merge(n.op().name(), 1, Integer::sum);
    }
    // stem + 9 blocks x 2 convs + 2 projection shortcuts; 1 + 9 x 2 ReLUs; one Add per block
    assertEquals(21, count(ops, "CONV"), ops.toString());
    assertEquals(19, count(ops, "RELU"), ops.toString());
    assertEquals(9, count(ops, "ADD"), ops.toString());
    assertEquals(1, count(ops, "GEMM"), ops.toString());

    BenchInputs in = BenchInputs.random(graph.inputs().get(0), 3, 5);
    Tensor batch = in.batches().get(0);
    try (Backend cpu = BackendKind.CPU.open(file, graph, 2);
        Backend ort = BackendKind.ONNXRUNTIME.open(file, graph, 2)) {
      Tensor ours = cpu.run(batch);
      Tensor ref = ort.run(batch);
      Agreement a = Agreement.of("cpu", ours, "onnxruntime", ref);
      double scale = 0;
      for (float v : ref.floats()) {
        scale = Math.max(scale, Math.abs(v));
      }
      assertEquals(3, a.samples());
      assertEquals(3, a.sameTop1(), a.toString());
      assertTrue(a.maxAbsDiff() <= 1e-4 * Math.max(1, scale), a + ", largest logit " + scale);
    }
  }

  private static int count(Map<String, Integer> ops, String op) {
    return ops.getOrDefault(op, 0);
  }
}
