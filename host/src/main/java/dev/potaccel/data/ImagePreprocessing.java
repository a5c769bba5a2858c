package dev.potaccel.data;

import dev.potaccel.graph.TensorType;
import java.util.Arrays;

/**
 * How a picture becomes one NCHW image of a model's input: the channel count (1 grayscale, 3
 * RGB), the size it is resized to (0 keeps the picture's own size, for models with dynamic
 * height or width), and the normalisation {@code (pixel/255 - mean[c]) / std[c]}.
 *
 * @param mean one value per channel, or one value for all
 * @param std same length as {@code mean}
 */
public record ImagePreprocessing(int channels, int height, int width, float[] mean, float[] std) {

  public ImagePreprocessing {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
    }
    if (height < 0 || width < 0) {
      throw new IllegalArgumentException("size " + height + "x" + width + " is negative");
    }
    if (mean.length != std.length || (mean.length != 1 && mean.length != channels)) {
      throw new IllegalArgumentException("mean " + Arrays.toString(mean) + " and std "
          + Arrays.toString(std) + " need 1 or " + channels + " values each");
    }
    mean = mean.clone();
    std = std.clone();
  }

  /**
   * The preprocessing a model's input wants: channels and size from its declared NCHW shape, the
   * metadata filling in what the model leaves dynamic, and the metadata's mean and std.
   *
   * @param modelName names the model in messages
   * @throws InputFileException when the input is not an image tensor or the channel count is
   *     unknown or not 1 or 3
   */
  public static ImagePreprocessing forModel(TensorType input, ModelMetadata meta,
      String modelName) {
    if (!input.hasRank() || input.rank() != 4) {
      throw new InputFileException(modelName + ": input " + input + " is not an image batch"
          + " (N,C,H,W); give the input as .npy or .pb instead of pictures");
    }
    int[] declared = meta.inputShape().length == 4 ? meta.inputShape() : new int[4];
    int channels = known(input.dim(1), meta.channels() > 0 ? meta.channels() : declared[1]);
    if (channels != 1 && channels != 3) {
      throw new InputFileException(modelName + ": input " + input + " has "
          + (channels <= 0 ? "an unknown number of" : Integer.toString(channels))
          + " channels; pictures can feed only 1 (grayscale) or 3 (RGB)");
    }
    float[] mean = meta.mean();
    float[] std = meta.std();
    if (mean.length != 1 && mean.length != channels) {
      throw new InputFileException(modelName + ": metadata mean " + Arrays.toString(mean)
          + " has " + mean.length + " values, the input has " + channels + " channels");
    }
    return new ImagePreprocessing(channels, Math.max(0, known(input.dim(2), declared[2])),
        Math.max(0, known(input.dim(3), declared[3])), mean, std);
  }

  private static int known(int fromModel, int fromMetadata) {
    return fromModel > 0 ? fromModel : fromMetadata;
  }

  float mean(int channel) {
    return mean.length == 1 ? mean[0] : mean[channel];
  }

  float std(int channel) {
    return std.length == 1 ? std[0] : std[channel];
  }
}
