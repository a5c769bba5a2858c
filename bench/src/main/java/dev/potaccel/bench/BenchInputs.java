package dev.potaccel.bench;

import dev.potaccel.cpu.InputMismatchException;
import dev.potaccel.data.InputFileException;
import dev.potaccel.data.NpyReader;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.StringJoiner;

/**
 * The batches every backend runs, built once before timing starts. From a file of K samples the
 * batches take samples 0..B-1, B..2B-1, ... wrapping around, so that each sample is used at least
 * once ({@code ceil(K / B)} batches); the benchmark cycles through them.
 *
 * @param batches the batches, each of shape [B, ...] where [...] is the model input without N
 * @param description one line for the table header: where the data comes from
 */
public record BenchInputs(List<Tensor> batches, String description) {
  /** The bundled Fashion-MNIST sample, relative to a models folder. */
  static final String TEST_IMAGES = "testdata/fmnist-test-first256.npy";

  public BenchInputs {
    batches = List.copyOf(batches);
    if (batches.isEmpty()) {
      throw new IllegalArgumentException("no batches");
    }
  }

  /** The batch size. */
  public int batchSize() {
    return batches.get(0).dim(0);
  }

  /**
   * The bundled test images when the model takes [N,1,28,28] and they can be found next to the
   * model ({@code <model dir>/testdata/}) or under {@code models/testdata/} in the working folder.
   */
  public static Optional<Path> defaultImages(Path model, ValueInfo input) {
    if (!fits(new int[] {1, 1, 28, 28}, input.type())) {
      return Optional.empty();
    }
    Path dir = model.getParent() != null ? model.getParent() : Path.of("");
    for (Path candidate : new Path[] {dir.resolve(TEST_IMAGES), Path.of("models", TEST_IMAGES)}) {
      if (Files.isRegularFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * Batches of {@code batch} samples from a float .npy of shape [K, ...].
   *
   * @throws InputFileException when the file cannot be read or its samples do not fit the input
   */
  public static BenchInputs fromFile(Path file, ValueInfo input, int batch) {
    Tensor all = NpyReader.read(file);
    int[] shape = all.shape();
    if (shape.length == 0 || shape[0] == 0) {
      throw new InputFileException(file + ": shape " + Arrays.toString(shape)
          + " holds no samples; want [K, ...] with K >= 1");
    }
    int[] batchShape = shape.clone();
    batchShape[0] = batch;
    if (!fits(batchShape, input.type())) {
      throw new InputFileException(file + ": samples of shape " + Arrays.toString(shape)
          + " do not fit model input '" + input.name() + "' " + dimsText(input.type())
          + " at batch " + batch);
    }
    int samples = shape[0];
    int per = all.size() / samples;
    int count = (samples + batch - 1) / batch;
    List<Tensor> batches = new ArrayList<>(count);
    for (int b = 0; b < count; b++) {
      float[] data = new float[batch * per];
      for (int i = 0; i < batch; i++) {
        int sample = (b * batch + i) % samples;
        System.arraycopy(all.floats(), sample * per, data, i * per, per);
      }
      batches.add(Tensor.ofFloats(batchShape, data));
    }
    return new BenchInputs(batches, file + ": " + samples + " samples in " + count
        + (count == 1 ? " batch" : " batches") + " of " + batch + ", cycled");
  }

  /**
   * One batch of standard normal values shaped like the model input with N = {@code batch}.
   *
   * @throws InputMismatchException when the input is not float or has an unknown dimension
   *     other than N (then only {@code --input} can say what to feed)
   */
  public static BenchInputs random(ValueInfo input, int batch, long seed) {
    TensorType type = input.type();
    if (type.dtype() != DataType.FLOAT || !type.hasRank() || type.rank() == 0) {
      throw new InputMismatchException("model input '" + input.name() + "' is " + type
          + "; random inputs need a float tensor with a batch dimension: give --input FILE.npy");
    }
    int[] shape = type.dims().clone();
    if (shape[0] != TensorType.UNKNOWN && shape[0] != batch) {
      throw new InputMismatchException("model input '" + input.name() + "' " + dimsText(type)
          + " has a fixed batch of " + shape[0] + "; use --batch " + shape[0]);
    }
    shape[0] = batch;
    for (int d = 1; d < shape.length; d++) {
      if (shape[d] == TensorType.UNKNOWN) {
        throw new InputMismatchException("model input '" + input.name() + "' " + dimsText(type)
            + " has unknown dimension " + d + "; give --input FILE.npy with the shape to run");
      }
    }
    Random random = new Random(seed);
    float[] data = new float[Math.toIntExact(Tensor.elementCount(shape))];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) random.nextGaussian();
    }
    return new BenchInputs(List.of(Tensor.ofFloats(shape, data)),
        "random normal " + Arrays.toString(shape) + ", seed " + seed);
  }

  private static boolean fits(int[] shape, TensorType want) {
    if (want.dtype() != DataType.FLOAT || !want.hasRank() || want.rank() != shape.length) {
      return false;
    }
    for (int d = 0; d < shape.length; d++) {
      if (want.dim(d) != TensorType.UNKNOWN && want.dim(d) != shape[d]) {
        return false;
      }
    }
    return true;
  }

  static String dimsText(TensorType type) {
    if (!type.hasRank()) {
      return "[?rank]";
    }
    StringJoiner j = new StringJoiner(",", "[", "]");
    for (int d : type.dims()) {
      j.add(d == TensorType.UNKNOWN ? "?" : Integer.toString(d));
    }
    return j.toString();
  }
}
