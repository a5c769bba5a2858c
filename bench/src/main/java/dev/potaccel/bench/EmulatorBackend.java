package dev.potaccel.bench;

import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.InputFileException;
import dev.potaccel.device.DeviceSpec;
import dev.potaccel.device.EmulatorSession;
import dev.potaccel.device.session.InferenceSession;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.quantize.SchemeSpec;
import java.nio.file.Path;

/**
 * The bit-exact accelerator emulator: the ONNX model is compiled in memory when the backend opens,
 * as a server or {@code --device emulator} compiles it ({@link
 * InferenceSession#compileInMemory}: {@value Calibrator#DEFAULT_IMAGES} Fashion-MNIST training
 * images, seed {@value Calibrator#DEFAULT_SEED}, the chosen scheme, default tiling), and every
 * batch runs through one {@link EmulatorSession} with the backend's threads. Compilation is not
 * timed; quantization and dequantization of the batch (the package's CONVERT commands) and HOST
 * commands are.
 */
final class EmulatorBackend implements Backend {
  private final EmulatorSession session;
  private final SchemeSpec scheme;
  private final String description;

  private EmulatorBackend(EmulatorSession session, SchemeSpec scheme,
      String description) {
    this.session = session;
    this.scheme = scheme;
    this.description = description;
  }

  /**
   * Compiles {@code graph} (imported from {@code file}) and opens it on the emulator.
   *
   * @throws InputFileException naming the Debian package when the training split is missing
   */
  static EmulatorBackend compile(Path file, Graph graph, BackendOptions options) {
    return open(compilePackage(file, graph, options), options);
  }

  /** Opens a package already compiled (shared with other rows of the same run). */
  static EmulatorBackend open(Compiled c, BackendOptions options) {
    return new EmulatorBackend(EmulatorSession.open(c.pkg(), options.threads()),
        options.scheme(), c.description());
  }

  /** A package compiled in memory, and the table header line that says how. */
  record Compiled(AcceleratorPackage pkg, String description) {}

  /**
   * Compiles {@code graph} (imported from {@code file}) as this backend does; shared with the
   * OpenCL backend, which runs the same package.
   *
   * @throws InputFileException naming the Debian package when the training split is missing
   */
  static Compiled compilePackage(Path file, Graph graph, BackendOptions options) {
    String name = file.getFileName().toString();
    FashionMnist data = FashionMnist.directory(options.trainingData());
    if (!data.has(FashionMnist.Split.TRAIN)) {
      throw new InputFileException(name + ": the emulator and opencl backends compile the model"
          + " in memory, which needs " + Calibrator.DEFAULT_IMAGES + " calibration images from the"
          + " Fashion-MNIST training split, and there is none in " + options.trainingData()
          + ": apt-get install " + FashionMnist.DEBIAN_PACKAGE + " (or give --data DIR with"
          + " train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]). Test images are"
          + " never used for calibration.");
    }
    InferenceSession.Compiled c = InferenceSession.compileInMemory(file, graph,
        new InferenceSession.Options(DeviceSpec.EMULATOR, options.scheme(), options.threads(),
            options.trainingData()));
    return new Compiled(c.pkg(), c.description());
  }

  @Override
  public String name() {
    return BackendKind.EMULATOR.id();
  }

  /** The scheme the package was quantized with. */
  SchemeSpec scheme() {
    return scheme;
  }

  /** One line for the table header: what was compiled, how, how long it took. */
  String description() {
    return description;
  }

  @Override
  public Tensor run(Tensor batch) {
    try {
      return session.run(batch);
    } catch (IllegalArgumentException e) {
      throw new BackendException("emulator: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    session.close();
  }
}
