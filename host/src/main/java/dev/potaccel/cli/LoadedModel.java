package dev.potaccel.cli;

import dev.potaccel.data.InputFileException;
import dev.potaccel.data.ModelMetadata;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.onnx.OnnxImporter;
import java.nio.file.Path;

/**
 * An imported model with its sidecar metadata (or {@link ModelMetadata#none} when it has none).
 *
 * @param name the model file name, for messages
 */
record LoadedModel(String name, Graph graph, ModelMetadata metadata) {

  /** Imports {@code file} and the {@code .json} beside it, if any. */
  static LoadedModel read(Path file) {
    Graph graph = OnnxImporter.read(file);
    String name = file.getFileName().toString();
    ModelMetadata meta = ModelMetadata.readSidecar(file)
        .orElseGet(() -> ModelMetadata.none(name));
    return new LoadedModel(name, graph, meta);
  }

  /** The one input the CLI feeds. */
  ValueInfo input() {
    if (graph.inputs().size() != 1) {
      throw new InputFileException(name + ": has " + graph.inputs().size() + " inputs "
          + graph.inputs().stream().map(ValueInfo::name).toList()
          + "; potaccel feeds models with exactly one");
    }
    return graph.inputs().get(0);
  }

  /** The output whose scores are ranked and written: the graph's first. */
  ValueInfo output() {
    return graph.outputs().get(0);
  }
}
