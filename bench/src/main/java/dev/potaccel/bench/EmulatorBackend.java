package dev.potaccel.bench;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.compile.CompiledPackage;
import dev.potaccel.compile.PackageCompiler;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.InputFileException;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.data.ModelMetadata;
import dev.potaccel.device.EmulatorSession;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.quantize.SchemeSpec;
import dev.potaccel.quantize.QuantizedGraph;
import dev.potaccel.quantize.Quantizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Properties;

/**
 * The bit-exact accelerator emulator: the ONNX model is compiled in memory when the backend opens
 * ({@value Calibrator#DEFAULT_IMAGES} Fashion-MNIST training images, seed {@value
 * Calibrator#DEFAULT_SEED} → {@link Calibrator} → {@link Quantizer} with the chosen scheme →
 * {@link PackageCompiler}, default tiling) and every batch runs through one {@link
 * EmulatorSession} with the backend's threads. Compilation is not timed; quantization and
 * dequantization of the batch (the package's CONVERT commands) and HOST commands are.
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
    long start = System.nanoTime();
    ModelMetadata meta = ModelMetadata.readSidecar(file).orElseGet(() -> ModelMetadata.none(name));
    ImagePreprocessing prep = ImagePreprocessing.forModel(graph.inputs().get(0).type(), meta,
        name);
    LabelledImages calibration = data.calibration(Calibrator.DEFAULT_IMAGES,
        Calibrator.DEFAULT_SEED);
    CalibrationStats stats = Calibrator.collect(graph, calibration, prep, options.threads(),
        ProgressListener.NONE);
    QuantizedGraph q = Quantizer.quantize(graph, stats, options.scheme(),
        Quantizer.Options.NONE);
    CompiledPackage compiled = PackageCompiler.compile(q,
        CompileOptions.of(stem(name), sha256(file), toolVersion()));
    long millis = (System.nanoTime() - start) / 1_000_000;
    String description = String.format(Locale.ROOT, "%s package compiled in memory in %d ms"
            + " (calibrated on %d training images of %s, seed %d; default tiling)",
        options.scheme().id(), millis, calibration.size(), options.trainingData(),
        Calibrator.DEFAULT_SEED);
    return new Compiled(compiled.pkg(), description);
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

  private static String stem(String file) {
    int dot = file.lastIndexOf('.');
    return dot > 0 ? file.substring(0, dot) : file;
  }

  private static String sha256(Path file) {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file),
        MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (IOException e) {
      throw new InputFileException(file + ": cannot read: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The version host's jar records, as {@code potaccel compile} puts it in provenance. */
  private static String toolVersion() {
    Properties p = new Properties();
    try (InputStream in = EmulatorBackend.class.getResourceAsStream(
        "/dev/potaccel/version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // provenance only
    }
    return p.getProperty("version", "(unknown version)");
  }
}
