package dev.potaccel.bench;

import dev.potaccel.data.FashionMnist;
import dev.potaccel.quantize.SchemeSpec;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What a backend is opened with besides the model.
 *
 * @param threads the thread budget of each backend
 * @param scheme the quantization scheme of backends that run a compiled package (the emulator)
 * @param trainingData the Fashion-MNIST folder whose training split calibrates such backends
 */
public record BackendOptions(int threads, SchemeSpec scheme, Path trainingData) {
  public BackendOptions {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(trainingData, "trainingData");
  }

  /** {@code threads} threads, INT8, the Debian Fashion-MNIST folder. */
  public static BackendOptions of(int threads) {
    return new BackendOptions(threads, SchemeSpec.parse("int8", null), FashionMnist.DEBIAN_DIR);
  }
}
