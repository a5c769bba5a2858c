package dev.potaccel.serve;

import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A model the server will serve, before it is loaded: its name, how it is served, and how to
 * open it (the repository opens a file with host's {@code InferenceSession}; tests pass fakes).
 *
 * @param open opens the model; may take seconds (an ONNX model compiles for the emulator)
 */
public record ModelSource(String name, ModelConfig config, Supplier<InferenceModel> open) {
  /**
   * Model names: letters, digits, '_', '-', '.', not starting with '.'; they appear in URL paths
   * and metric labels, and must never name a path outside the repository.
   */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}");

  public ModelSource {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("model name '" + name + "': use 1 to 128 letters,"
          + " digits, '_', '-' or '.', not starting with '.'");
    }
  }
}
