package dev.potaccel.data;

import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.onnx.TensorDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Reads a model's input from a file or directory, by extension: {@code .npy} (NumPy), {@code .pb}
 * (ONNX TensorProto), {@code .png}/{@code .jpg}/{@code .jpeg} (one picture), or a directory of
 * pictures (a batch, in file-name order). The result is checked against the model's declared
 * input so a wrong file fails here with a message naming both shapes, not deep in the engine.
 */
public final class InputFiles {
  private static final List<String> IMAGE_EXTENSIONS = List.of("png", "jpg", "jpeg");

  private InputFiles() {}

  /**
   * @param input the model input the batch is for
   * @param meta the model's metadata (normalisation for pictures)
   * @param modelName names the model in messages
   * @throws InputFileException for missing, unreadable or unsuitable files
   */
  public static InputBatch read(Path path, ValueInfo input, ModelMetadata meta,
      String modelName) {
    if (Files.isDirectory(path)) {
      return readPictures(path, input, meta, modelName);
    }
    String ext = extension(path);
    if (IMAGE_EXTENSIONS.contains(ext)) {
      ImagePreprocessing prep = ImagePreprocessing.forModel(input.type(), meta, modelName);
      Tensor t = ImageDecoder.read(path, prep);
      return new InputBatch(path.toString(), fit(t, path.toString(), input, modelName),
          List.of(path.getFileName().toString()), List.of());
    }
    Tensor raw = switch (ext) {
      case "npy" -> NpyReader.read(path);
      case "pb" -> {
        if (!Files.isRegularFile(path)) {
          throw InputFileException.io(path, new NoSuchFileException(path.toString()));
        }
        yield TensorDecoder.decode(TensorDecoder.readProtoFile(path),
            path.toAbsolutePath().getParent(), path.toString());
      }
      default -> throw new InputFileException(path + ": unknown input format '." + ext
          + "' (give .npy, .pb, .png, .jpg, .jpeg or a directory of pictures)");
    };
    Tensor t = fit(raw, path.toString(), input, modelName);
    InputBatch batch = InputBatch.numbered(path.toString(), t);
    Path labels = sidecarLabels(path);
    return Files.isRegularFile(labels) ? batch.withLabels(readLabels(labels, t.dim(0))) : batch;
  }

  /** {@code x.labels.txt} beside {@code x.npy}: true classes, one integer per line. */
  public static Path sidecarLabels(Path input) {
    String file = input.getFileName().toString();
    int dot = file.lastIndexOf('.');
    return input.resolveSibling((dot > 0 ? file.substring(0, dot) : file) + ".labels.txt");
  }

  /** Reads a labels file and checks it has one label per item. */
  public static List<Integer> readLabels(Path file, int items) {
    try {
      return parseLabels(Files.readString(file, StandardCharsets.UTF_8), file.toString(), items);
    } catch (IOException e) {
      throw InputFileException.io(file, e);
    }
  }

  /** Parses labels text: one non-negative class index per line, blank lines ignored. */
  public static List<Integer> parseLabels(String text, String source, int items) {
    List<Integer> labels = new ArrayList<>();
    String[] lines = text.split("\\R");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      try {
        int label = Integer.parseInt(line);
        if (label < 0) {
          throw new NumberFormatException("negative");
        }
        labels.add(label);
      } catch (NumberFormatException e) {
        throw new InputFileException(source + ": line " + (i + 1) + ": '" + line
            + "' is not a class index (a non-negative integer)", e);
      }
    }
    if (labels.size() != items) {
      throw new InputFileException(source + ": " + labels.size() + " labels for " + items
          + " inputs");
    }
    return labels;
  }

  /**
   * Checks {@code t} against the model input: same rank (a single item without the batch
   * dimension gets one), equal on every dimension the model fixes; integer data is converted to
   * float for float models.
   */
  public static Tensor fit(Tensor t, String source, ValueInfo input, String modelName) {
    TensorType want = input.type();
    if (t.rank() == 0) {
      throw new InputFileException(source + ": a scalar is not a batch; " + modelName
          + " input '" + input.name() + "' wants " + (want.hasRank() ? wanted(want.dims())
          : "a batch"));
    }
    Tensor fitted = t;
    if (want.hasRank() && t.rank() == want.rank() - 1 && want.rank() > 1) {
      int[] batched = new int[t.rank() + 1];
      batched[0] = 1;
      System.arraycopy(t.shape(), 0, batched, 1, t.rank());
      fitted = t.reshape(batched);
    }
    if (want.hasRank() && !fits(fitted.shape(), want.dims())) {
      throw new InputFileException(source + ": shape " + Arrays.toString(t.shape())
          + " does not fit " + modelName + " input '" + input.name() + "', which wants "
          + wanted(want.dims()));
    }
    if (fitted.dtype() != want.dtype()) {
      if (!want.dtype().isFloat()) {
        throw new InputFileException(source + ": holds " + fitted.dtype() + ", " + modelName
            + " input '" + input.name() + "' wants " + want.dtype());
      }
      float[] f = new float[fitted.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) fitted.getDouble(i);
      }
      fitted = Tensor.ofFloats(fitted.shape(), f);
    }
    return fitted;
  }

  private static InputBatch readPictures(Path dir, ValueInfo input, ModelMetadata meta,
      String modelName) {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> IMAGE_EXTENSIONS.contains(extension(p)) && Files.isRegularFile(p))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw InputFileException.io(dir, e);
    }
    if (files.isEmpty()) {
      throw new InputFileException(dir + ": no pictures (.png, .jpg, .jpeg) in this directory");
    }
    ImagePreprocessing prep = ImagePreprocessing.forModel(input.type(), meta, modelName);
    List<Tensor> images = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (Path f : files) {
      Tensor img = ImageDecoder.read(f, prep);
      if (!images.isEmpty() && !Arrays.equals(img.shape(), images.get(0).shape())) {
        throw new InputFileException(f + ": " + img.dim(2) + "x" + img.dim(3) + " differs from "
            + files.get(0).getFileName() + " (" + images.get(0).dim(2) + "x"
            + images.get(0).dim(3) + ") and " + modelName + " does not fix the size to resize to");
      }
      images.add(img);
      names.add(f.getFileName().toString());
    }
    int[] one = images.get(0).shape();
    int per = images.get(0).size();
    float[] data = new float[per * images.size()];
    for (int i = 0; i < images.size(); i++) {
      System.arraycopy(images.get(i).floats(), 0, data, i * per, per);
    }
    Tensor batch = Tensor.ofFloats(new int[] {images.size(), one[1], one[2], one[3]}, data);
    return new InputBatch(dir.toString(), fit(batch, dir.toString(), input, modelName), names,
        List.of());
  }

  private static boolean fits(int[] shape, int[] want) {
    if (shape.length != want.length) {
      return false;
    }
    for (int i = 0; i < shape.length; i++) {
      if (want[i] != TensorType.UNKNOWN && want[i] != shape[i]) {
        return false;
      }
    }
    return true;
  }

  /** Like "[N,1,28,28]": a dynamic batch dimension shows as N, others as '?'. */
  static String wanted(int[] dims) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      sb.append(i > 0 ? "," : "");
      sb.append(dims[i] != TensorType.UNKNOWN ? Integer.toString(dims[i]) : i == 0 ? "N" : "?");
    }
    return sb.append(']').toString();
  }

  private static String extension(Path p) {
    String name = p.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }
}
