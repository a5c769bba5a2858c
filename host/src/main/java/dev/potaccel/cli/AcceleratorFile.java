package dev.potaccel.cli;

import dev.potaccel.data.InputFileException;
import dev.potaccel.emulator.cost.AcceleratorDescription;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An {@code --accelerator FILE}: {@code key = value} lines over a base description (docs/
 * accelerator.md §8.1). Until bitstream manifests exist it stands for the target's manifest, for
 * {@code compile} (tiling and buffers) and {@code profile} (the cost model) alike.
 */
final class AcceleratorFile {
  private AcceleratorFile() {}

  /**
   * The description in {@code file}, keys it does not give taken from {@code base}.
   *
   * @throws InputFileException naming the file when it cannot be read or holds a bad entry
   */
  static AcceleratorDescription read(Path file, AcceleratorDescription base) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw InputFileException.io(file, e);
    }
    try {
      return AcceleratorDescription.parse(text, base);
    } catch (IllegalArgumentException e) {
      throw new InputFileException(file + ": " + e.getMessage(), e);
    }
  }
}
