package dev.potaccel.serve;

import dev.potaccel.device.session.InferenceSession;
import dev.potaccel.protocol.pkg.PackageFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model repository folder: one sub-folder per model, named as the model, holding {@code
 * model.onnx} or a compiled {@code model.potpkg} (or a single other {@code .potpkg} / {@code
 * .onnx} file), an optional {@code model.json} sidecar (input normalisation, used to calibrate),
 * and an optional {@link ModelConfig#FILE}. Sub-folders starting with '.' are skipped.
 */
public final class ModelRepository {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRepository.class);

  private ModelRepository() {}

  /**
   * The models in {@code dir}, sorted by name, not yet loaded.
   *
   * @param defaults the configuration of models without a config file, and the base of those
   *     with one
   * @param trainingData where calibration images are (Fashion-MNIST training split)
   * @throws IllegalArgumentException naming the folder or file at fault
   */
  public static List<ModelSource> scan(Path dir, ModelConfig defaults, Path trainingData) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + ": model repository is not a directory");
    }
    List<Path> folders;
    try (Stream<Path> s = Files.list(dir)) {
      folders = s.filter(Files::isDirectory)
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .sorted().toList();
    } catch (IOException e) {
      throw new IllegalArgumentException(dir + ": cannot list the model repository: "
          + e.getMessage(), e);
    }
    if (folders.isEmpty()) {
      throw new IllegalArgumentException(dir + ": no model folders (expected DIR/<name>/model.onnx"
          + " or DIR/<name>/model" + PackageFile.EXTENSION + ")");
    }
    List<ModelSource> sources = new ArrayList<>();
    for (Path folder : folders) {
      String name = folder.getFileName().toString();
      if (!ModelSource.NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(folder + ": '" + name + "' is not a valid model name"
            + " (letters, digits, '_', '-', '.')");
      }
      Path file = modelFile(folder);
      ModelConfig config = ModelConfig.read(folder, defaults);
      LOG.debug("model '{}': {} on {}, {}", name, file, config.deviceList(), config);
      sources.add(new ModelSource(name, config, () -> open(file, config, trainingData)));
    }
    return sources;
  }

  private static InferenceModel open(Path file, ModelConfig config, Path trainingData) {
    SessionModel m = new SessionModel(InferenceSession.open(file,
        config.sessionOptions(trainingData)));
    LOG.info("{}: {}", file, m.description());
    return m;
  }

  /** The model file of a folder: model.potpkg, model.onnx, or the only .potpkg or .onnx file. */
  static Path modelFile(Path folder) {
    for (String preferred : List.of("model" + PackageFile.EXTENSION, "model.onnx")) {
      if (Files.isRegularFile(folder.resolve(preferred))) {
        return folder.resolve(preferred);
      }
    }
    List<Path> candidates;
    try (Stream<Path> s = Files.list(folder)) {
      candidates = s.filter(Files::isRegularFile)
          .filter(p -> p.toString().endsWith(PackageFile.EXTENSION)
              || p.toString().endsWith(".onnx"))
          .sorted().toList();
    } catch (IOException e) {
      throw new IllegalArgumentException(folder + ": cannot list: " + e.getMessage(), e);
    }
    if (candidates.size() != 1) {
      throw new IllegalArgumentException(folder + ": expected model.onnx or model"
          + PackageFile.EXTENSION + (candidates.isEmpty() ? ", found no model file"
          : ", found several model files " + candidates.stream().map(Path::getFileName)
              .toList() + "; name the one to serve model.onnx or model" + PackageFile.EXTENSION));
    }
    return candidates.get(0);
  }
}
