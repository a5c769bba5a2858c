package dev.potaccel.device.session;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.compile.PackageCompiler;
import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.InputFileException;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.data.ModelMetadata;
import dev.potaccel.device.EmulatorSession;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.onnx.ModelFormatException;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.PackageFile;
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.QuantizedGraph;
import dev.potaccel.quantize.Quantizer;
import dev.potaccel.quantize.SchemeSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model opened on a device for any number of runs, usable from outside the CLI. The CLI's own
 * {@code ModelSession} feeds one input and reads one output; a server needs every input and
 * output by name, and a public entry point, so this class opens the same two engines the same
 * way: {@link Device#CPU} runs an ONNX graph on the FP32 engine, {@link Device#EMULATOR} runs a
 * compiled package on the bit-exact emulator, compiling an ONNX model in memory first with
 * {@link Options#scheme} (any scheme {@code potaccel compile --scheme} takes except {@code
 * doubleqext}) on {@value Calibrator#DEFAULT_IMAGES} Fashion-MNIST training images
 * (seed {@value Calibrator#DEFAULT_SEED}; the bundled calibration set when the training split is
 * not installed), as {@code --device emulator} does. Thread-safe; {@link #close} stops the
 * engine's threads.
 */
public final class InferenceSession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InferenceSession.class);

  /** The devices a session can run on. */
  public enum Device {
    /** The FP32 reference engine; ONNX models only. */
    CPU("cpu"),
    /** The bit-exact accelerator emulator; packages, or ONNX models compiled in memory. */
    EMULATOR("emulator");

    private final String id;

    Device(String id) {
      this.id = id;
    }

    /** The name in configuration and on the command line: "cpu", "emulator". */
    public String id() {
      return id;
    }

    /**
     * The device named {@code text} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the valid devices
     */
    public static Device parse(String text) {
      String t = text.strip().toLowerCase(Locale.ROOT);
      return Arrays.stream(values()).filter(d -> d.id.equals(t)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("unknown device '" + text
              + "'; valid devices: " + Arrays.stream(values()).map(Device::id).toList()));
    }
  }

  /**
   * How to open a model.
   *
   * @param scheme the quantization scheme an ONNX model is compiled with for the emulator: any
   *     {@link SchemeSpec} but {@code doubleqext}, whose layer choice scores candidate packages
   *     on a tuning split (compile it with {@code potaccel compile} and open the package)
   * @param threads worker threads of the engine
   * @param trainingData where the Fashion-MNIST training split is (calibration images)
   */
  public record Options(Device device, SchemeSpec scheme, int threads, Path trainingData) {
    public Options {
      Objects.requireNonNull(device, "device");
      Objects.requireNonNull(scheme, "scheme");
      Objects.requireNonNull(trainingData, "trainingData");
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, got " + threads);
      }
      requireCompilableAtLoad(scheme);
    }

    /** With one of the baseline schemes (int8, pot4). */
    public Options(Device device, QuantizationScheme scheme, int threads, Path trainingData) {
      this(device, SchemeSpec.of(scheme), threads, trainingData);
    }

    /** The emulator with the default scheme (int8), calibration data from the Debian package. */
    public static Options defaults(Device device, int threads) {
      return new Options(device, QuantizationScheme.INT8, threads, FashionMnist.DEBIAN_DIR);
    }
  }

  /**
   * Refuses the one scheme a session cannot compile by itself.
   *
   * @throws IllegalArgumentException for {@code doubleqext}, saying what to do instead
   */
  public static void requireCompilableAtLoad(SchemeSpec scheme) {
    if (scheme.method().equals("doubleqext")) {
      // its layer selection scores a package per layer on 500 training images: minutes of
      // emulator time at load, and a search that belongs to `potaccel compile`
      throw new IllegalArgumentException("scheme doubleqext chooses its PoT layers by scoring"
          + " candidate packages on a tuning split, which is not done when a model is opened:"
          + " compile it with `potaccel compile --scheme doubleqext` and open the .potpkg");
    }
  }

  private final String name;
  private final Options options;
  private final List<ValueInfo> inputs;
  private final List<ValueInfo> outputs;
  private final CpuEngine engine;
  private final EmulatorSession emulator;
  private final String description;

  private InferenceSession(String name, Options options, List<ValueInfo> inputs,
      List<ValueInfo> outputs, CpuEngine engine, EmulatorSession emulator, String description) {
    this.name = name;
    this.options = options;
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.engine = engine;
    this.emulator = emulator;
    this.description = description;
  }

  /**
   * Opens {@code file}: an ONNX model (with its sidecar {@code <stem>.json}, which says how
   * calibration images are normalised) or a compiled package, told apart by its magic bytes.
   * The importer's, package reader's and compiler's exceptions ({@link ModelFormatException},
   * {@code UnsupportedOperatorException}, {@code PackageFormatException}, {@code
   * CompileException}) pass through unchanged.
   *
   * @throws InputFileException when a package is given to the CPU device, or the file is missing
   */
  public static InferenceSession open(Path file, Options options) {
    String name = file.getFileName().toString();
    if (!Files.isRegularFile(file)) {
      throw new InputFileException(file + ": no such model file");
    }
    if (isPackage(file)) {
      if (options.device() == Device.CPU) {
        throw new InputFileException(file + ": is a compiled accelerator package; run it on the"
            + " emulator, or give the ONNX model to run on the CPU");
      }
      AcceleratorPackage pkg = PackageFile.read(file);
      return onEmulator(name, options, pkg, "compiled package " + name);
    }
    Graph graph = OnnxImporter.read(file);
    if (options.device() == Device.CPU) {
      return new InferenceSession(name, options, graph.inputs(), graph.outputs(),
          new CpuEngine(graph, options.threads()), null, "ONNX model on the FP32 CPU engine");
    }
    long start = System.nanoTime();
    ModelMetadata meta = ModelMetadata.readSidecar(file).orElseGet(() -> ModelMetadata.none(name));
    FashionMnist data = FashionMnist.installedOrBundled(options.trainingData(),
        FashionMnist.Split.TRAIN);
    LabelledImages calibration = data.calibration(Calibrator.DEFAULT_IMAGES,
        Calibrator.DEFAULT_SEED);
    AcceleratorPackage pkg = compile(file, graph, meta, calibration, options);
    String how = String.format(Locale.ROOT, "%s package compiled in memory in %d ms (calibrated"
            + " on %d training images from %s, seed %d)", options.scheme().id(),
        (System.nanoTime() - start) / 1_000_000, calibration.size(),
        data.isBundledSample() ? "the bundled calibration set" : options.trainingData(),
        Calibrator.DEFAULT_SEED);
    LOG.info("{}: {}", name, how);
    return onEmulator(name, options, pkg, how);
  }

  private static InferenceSession onEmulator(String name, Options options, AcceleratorPackage pkg,
      String description) {
    EmulatorSession session = EmulatorSession.open(pkg, options.threads());
    return new InferenceSession(name, options, EmulatorSession.inputsOf(pkg),
        EmulatorSession.outputsOf(pkg), null, session, description);
  }

  /**
   * Calibrate → quantize → compile for the default accelerator, recording the calibration split
   * and seed in the package's provenance as {@code potaccel compile} does.
   */
  private static AcceleratorPackage compile(Path file, Graph graph, ModelMetadata meta,
      LabelledImages calibration, Options options) {
    String name = file.getFileName().toString();
    ImagePreprocessing prep = ImagePreprocessing.forModel(graph.inputs().get(0).type(), meta,
        name);
    CalibrationStats stats = Calibrator.collect(graph, calibration, prep, options.threads(),
        ProgressListener.NONE);
    QuantizedGraph q = Quantizer.quantize(graph, stats, options.scheme(),
        Quantizer.Options.NONE);
    Map<String, String> parameters = new TreeMap<>(q.parameters());
    parameters.put("calibration_split", calibration.split().id());
    parameters.put("calibration_seed", Long.toString(Calibrator.DEFAULT_SEED));
    q = q.withParameters(parameters); // keeps the per-layer quality and GGD activation data
    return PackageCompiler.compile(q, CompileOptions.of(stem(name), sha256(file), toolVersion()))
        .pkg();
  }

  /** The model file name. */
  public String name() {
    return name;
  }

  public Device device() {
    return options.device();
  }

  /** The model inputs in order: name, element type and shape (-1 for the batch dimension). */
  public List<ValueInfo> inputs() {
    return inputs;
  }

  /** The model outputs in order. */
  public List<ValueInfo> outputs() {
    return outputs;
  }

  /** How the model was opened, for logs: "int8 package compiled in memory in 812 ms (...)". */
  public String description() {
    return description;
  }

  /**
   * Runs one batch.
   *
   * @param batch one tensor per model input, in {@link #inputs} order, batch first
   * @return one tensor per model output, in {@link #outputs} order
   * @throws IllegalArgumentException when the inputs do not fit the model
   */
  public List<Tensor> run(List<Tensor> batch) {
    if (batch.size() != inputs.size()) {
      throw new IllegalArgumentException(name + ": " + batch.size() + " input tensors given, the"
          + " model has " + inputs.size());
    }
    if (emulator != null) {
      return emulator.run(batch);
    }
    Map<String, Tensor> named = new LinkedHashMap<>();
    for (int i = 0; i < batch.size(); i++) {
      named.put(inputs.get(i).name(), batch.get(i));
    }
    return new ArrayList<>(engine.run(named).values());
  }

  @Override
  public void close() {
    if (engine != null) {
      engine.close();
    }
    if (emulator != null) {
      emulator.close();
    }
  }

  private static boolean isPackage(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return Arrays.equals(in.readNBytes(PackageFile.HEADER_BYTES), PackageFile.magic());
    } catch (IOException e) {
      throw InputFileException.io(file, e);
    }
  }

  private static String stem(String file) {
    int dot = file.lastIndexOf('.');
    return dot > 0 ? file.substring(0, dot) : file;
  }

  private static String sha256(Path file) {
    try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file),
        MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(in.getMessageDigest().digest());
    } catch (IOException e) {
      throw InputFileException.io(file, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The version host's jar records, as {@code potaccel compile} puts it in provenance. */
  private static String toolVersion() {
    Properties p = new Properties();
    try (InputStream in = InferenceSession.class.getResourceAsStream(
        "/dev/potaccel/version.properties")) {
      if (in == null) {
        return "(unknown version)";
      }
      p.load(in);
    } catch (IOException e) {
      LOG.warn("cannot read the potaccel version for package provenance", e);
    }
    return p.getProperty("version", "(unknown version)");
  }
}
