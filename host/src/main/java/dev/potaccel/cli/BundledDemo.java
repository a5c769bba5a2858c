package dev.potaccel.cli;

import dev.potaccel.data.InputBatch;
import dev.potaccel.data.InputFiles;
import dev.potaccel.data.ModelMetadata;
import dev.potaccel.data.NpyReader;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.ModelFormatException;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The model and sample images shipped inside the jar, so {@code potaccel run} works offline with
 * no arguments: LeNet-5 trained on Fashion-MNIST and the first 8 test images with their labels.
 * Read from class-path bytes, not extracted to files.
 */
final class BundledDemo {
  static final String MODEL = "lenet5";
  static final String SAMPLE = "sample-8";
  private static final String MODELS = "/dev/potaccel/models/";
  private static final String SAMPLES = "/dev/potaccel/samples/";

  private BundledDemo() {}

  /** The bundled LeNet-5 with its metadata. */
  static LoadedModel model() {
    String name = MODEL + ".onnx";
    String source = name + " (bundled)";
    byte[] bytes = resource(MODELS + name);
    ModelProto proto;
    try {
      proto = ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelFormatException(source + ": not a valid ONNX model: " + e.getMessage(), e);
    }
    // bundled models keep all weights inline: no directory for external data
    Graph graph = OnnxImporter.fromProto(proto, source, null);
    return new LoadedModel(name, graph, null,
        ModelMetadata.parse(metadataJson(), MODEL + ".json (bundled)"), LoadedModel.sha256(bytes));
  }

  /** The bundled model's metadata file, as text. */
  static String metadataJson() {
    return new String(resource(MODELS + MODEL + ".json"), StandardCharsets.UTF_8);
  }

  /** The 8 bundled Fashion-MNIST test images, checked against {@code model}, with labels. */
  static InputBatch sample(LoadedModel model) {
    String source = SAMPLE + ".npy (bundled)";
    Tensor raw = NpyReader.decode(resource(SAMPLES + SAMPLE + ".npy"), source);
    Tensor t = InputFiles.fit(raw, source, model.input(), model.name());
    String labels = new String(resource(SAMPLES + SAMPLE + ".labels.txt"),
        StandardCharsets.UTF_8);
    return InputBatch.numbered(source, t)
        .withLabels(InputFiles.parseLabels(labels, SAMPLE + ".labels.txt (bundled)", t.dim(0)));
  }

  /** A class-path resource that the build must have put in the jar. */
  private static byte[] resource(String path) {
    try (InputStream in = BundledDemo.class.getResourceAsStream(path)) {
      if (in == null) {
        // a packaging bug, not a user error: the jar was built without models/ or samples/
        throw new IllegalStateException(path.substring(1) + " is missing from the jar; rebuild"
            + " with ./mvnw package after models/ and the samples are in place");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read bundled " + path, e);
    }
  }
}
