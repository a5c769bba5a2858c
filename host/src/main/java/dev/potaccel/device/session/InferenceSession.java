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
import dev.potaccel.device.DeviceSpec;
import dev.potaccel.device.EmulatorSession;
import dev.potaccel.device.pool.DevicePool;
import dev.potaccel.device.pool.InferenceDevice;
import dev.potaccel.device.pool.PoolEventListener;
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
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model opened on a device for any number of runs, usable from outside the CLI. The CLI's own
 * {@code ModelSession} feeds one input and reads one output; a server needs every input and
 * output by name, and a public entry point, so this class opens the same engines the same way:
 * {@code cpu} runs an ONNX graph on the FP32 engine; {@code emulator} and {@code opencl[:p[:d]]}
 * run a compiled package on the bit-exact emulator or an OpenCL device, compiling an ONNX model in
 * memory first with {@link Options#scheme} (any scheme {@code potaccel compile --scheme} takes
 * except {@code doubleqext}) on {@value Calibrator#DEFAULT_IMAGES} Fashion-MNIST training images
 * (seed {@value Calibrator#DEFAULT_SEED}; the bundled calibration set when the training split is
 * not installed). Several devices make a {@link DevicePool} (data parallel or pipeline, with its
 * failover), which {@link #submit} keeps several batches in. Thread-safe; {@link #close} stops
 * the engines' threads.
 */
public final class InferenceSession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InferenceSession.class);

  /**
   * How to open a model.
   *
   * @param devices where it runs: {@code cpu} alone (the FP32 engine), or one or more emulator and
   *     OpenCL devices ({@link DeviceSpec}); more than one makes a {@link DevicePool}
   * @param poolMode how a pool uses its devices (ignored for one device)
   * @param scheme the quantization scheme an ONNX model is compiled with for the accelerator: any
   *     {@link SchemeSpec} but {@code doubleqext}, whose layer choice scores candidate packages
   *     on a tuning split (compile it with {@code potaccel compile} and open the package)
   * @param threads worker threads of the engine, or of each pool device
   * @param trainingData where the Fashion-MNIST training split is (calibration images)
   */
  public record Options(List<DeviceSpec> devices, DevicePool.Mode poolMode, SchemeSpec scheme,
      int threads, Path trainingData) {
    public Options {
      devices = List.copyOf(devices);
      Objects.requireNonNull(poolMode, "poolMode");
      Objects.requireNonNull(scheme, "scheme");
      Objects.requireNonNull(trainingData, "trainingData");
      if (devices.isEmpty()) {
        throw new IllegalArgumentException("no device given");
      }
      if (devices.size() > 1 && devices.contains(DeviceSpec.CPU)) {
        throw new IllegalArgumentException("devices " + devices + ": cpu runs the FP32 model on"
            + " its own; a device pool holds emulator and opencl devices");
      }
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, got " + threads);
      }
      requireCompilableAtLoad(scheme);
    }

    /** One device. */
    public Options(DeviceSpec device, SchemeSpec scheme, int threads, Path trainingData) {
      this(List.of(device), DevicePool.Mode.DATA_PARALLEL, scheme, threads, trainingData);
    }

    /** One device, with one of the baseline schemes (int8, pot4). */
    public Options(DeviceSpec device, QuantizationScheme scheme, int threads, Path trainingData) {
      this(device, SchemeSpec.of(scheme), threads, trainingData);
    }

    /** {@code device} with the default scheme (int8), calibration data from the Debian package. */
    public static Options defaults(DeviceSpec device, int threads) {
      return new Options(device, QuantizationScheme.INT8, threads, FashionMnist.DEBIAN_DIR);
    }

    /** Whether the model runs on the FP32 CPU engine rather than an accelerator device. */
    public boolean onCpu() {
      return devices.get(0).equals(DeviceSpec.CPU);
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

  /** What runs the batches: the CPU engine, one device, or a pool. */
  private interface Runner extends AutoCloseable {
    List<Tensor> run(List<Tensor> batch);

    @Override
    void close();
  }

  private final String name;
  private final Options options;
  private final List<ValueInfo> inputs;
  private final List<ValueInfo> outputs;
  private final Runner runner;
  private final DevicePool pool; // null unless several devices
  private final String description;

  private InferenceSession(String name, Options options, List<ValueInfo> inputs,
      List<ValueInfo> outputs, Runner runner, DevicePool pool, String description) {
    this.name = name;
    this.options = options;
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.runner = runner;
    this.pool = pool;
    this.description = description;
  }

  /**
   * Opens {@code file}: an ONNX model (with its sidecar {@code <stem>.json}, which says how
   * calibration images are normalised) or a compiled package, told apart by its magic bytes.
   * The importer's, package reader's and compiler's exceptions ({@link ModelFormatException},
   * {@code UnsupportedOperatorException}, {@code PackageFormatException}, {@code
   * CompileException}) pass through unchanged, as do {@code OpenClException}s.
   *
   * @throws InputFileException when a package is given to the CPU device, or the file is missing
   */
  public static InferenceSession open(Path file, Options options) {
    String name = file.getFileName().toString();
    if (!Files.isRegularFile(file)) {
      throw new InputFileException(file + ": no such model file");
    }
    if (isPackage(file)) {
      if (options.onCpu()) {
        throw new InputFileException(file + ": is a compiled accelerator package; run it on the"
            + " emulator or an OpenCL device, or give the ONNX model to run on the CPU");
      }
      AcceleratorPackage pkg = PackageFile.read(file);
      return onDevices(name, options, pkg, "compiled package " + name);
    }
    Graph graph = OnnxImporter.read(file);
    if (options.onCpu()) {
      CpuEngine engine = new CpuEngine(graph, options.threads());
      Runner cpu = new Runner() {
        @Override
        public List<Tensor> run(List<Tensor> batch) {
          Map<String, Tensor> named = new LinkedHashMap<>();
          for (int i = 0; i < batch.size(); i++) {
            named.put(graph.inputs().get(i).name(), batch.get(i));
          }
          return new ArrayList<>(engine.run(named).values());
        }

        @Override
        public void close() {
          engine.close();
        }
      };
      return new InferenceSession(name, options, graph.inputs(), graph.outputs(), cpu, null,
          "ONNX model on the FP32 CPU engine");
    }
    Compiled c = compileInMemory(file, graph, options);
    return onDevices(name, options, c.pkg(), c.description());
  }

  /**
   * A package compiled in memory, and how.
   *
   * @param description "int8 package compiled in memory in 812 ms (calibrated on ...)"
   */
  public record Compiled(AcceleratorPackage pkg, String description) {}

  /**
   * Compiles {@code graph} (imported from {@code file}, whose sidecar says how calibration images
   * are normalised) as {@link #open} does for an accelerator device: {@link Options#scheme},
   * {@value Calibrator#DEFAULT_IMAGES} training images with seed {@value
   * Calibrator#DEFAULT_SEED} from {@link Options#trainingData}, or the bundled calibration set.
   */
  public static Compiled compileInMemory(Path file, Graph graph, Options options) {
    String name = file.getFileName().toString();
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
    return new Compiled(pkg, how);
  }

  /** The package on one emulator, one OpenCL device, or a pool of them. */
  private static InferenceSession onDevices(String name, Options options, AcceleratorPackage pkg,
      String description) {
    List<ValueInfo> in = EmulatorSession.inputsOf(pkg);
    List<ValueInfo> out = EmulatorSession.outputsOf(pkg);
    List<DeviceSpec> specs = options.devices();
    if (specs.size() == 1) {
      Runner one;
      if (specs.get(0).equals(DeviceSpec.EMULATOR)) {
        EmulatorSession s = EmulatorSession.open(pkg, options.threads());
        one = runner(s::run, s::close);
      } else {
        InferenceDevice d = InferenceDevice.open(specs.get(0), specs.get(0).toString(), pkg,
            options.threads());
        one = runner(d::run, d::close);
      }
      return new InferenceSession(name, options, in, out, one, null,
          description + " on " + specs.get(0));
    }
    List<InferenceDevice> devices = new ArrayList<>();
    DevicePool pool;
    try {
      for (int i = 0; i < specs.size(); i++) {
        devices.add(InferenceDevice.open(specs.get(i), specs.get(i) + "#" + i, pkg,
            options.threads()));
      }
      // two batches per device in flight: enough to keep a pipeline full, few enough that
      // callers keep merging requests while the devices are busy
      pool = DevicePool.open(pkg, devices, DevicePool.Options.of(options.poolMode())
          .withMaxInFlight(2 * devices.size()), PoolEventListener.NONE);
    } catch (RuntimeException e) {
      for (InferenceDevice d : devices) {
        d.close();
      }
      throw e;
    }
    return new InferenceSession(name, options, in, out, runner(pool::run, pool::close), pool,
        description + " on a " + options.poolMode().id() + " pool of " + pool.devices());
  }

  private static Runner runner(UnaryOperator<List<Tensor>> run, Runnable close) {
    return new Runner() {
      @Override
      public List<Tensor> run(List<Tensor> batch) {
        return run.apply(batch);
      }

      @Override
      public void close() {
        close.run();
      }
    };
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

  /** Where it runs: one device, or a pool's devices in order. */
  public List<DeviceSpec> devices() {
    return options.devices();
  }

  /** The devices as one label for logs and metrics: "emulator", "emulator+opencl:0:0". */
  public String deviceLabel() {
    return options.devices().stream().map(DeviceSpec::toString)
        .collect(Collectors.joining("+"));
  }

  /**
   * Batches worth having in flight at once: 1 for one device, a data-parallel pool's devices, a
   * pipeline's twice that (a batch between stages must not leave a stage idle).
   */
  public int parallelism() {
    return pool == null ? 1
        : pool.devices().size() * (pool.mode() == DevicePool.Mode.PIPELINE ? 2 : 1);
  }

  /** A pool's devices, healthy or not, with their busy time; empty for one device. */
  public List<DevicePool.DeviceState> deviceStates() {
    return pool == null ? List.of() : pool.states();
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
    return runner.run(batch);
  }

  /**
   * Queues one batch: on a pool it returns once the pool has room and completes when a device
   * answers, so callers can keep several batches in flight; otherwise it runs the batch now.
   *
   * @return completes with what {@link #run} returns, or exceptionally with what it throws
   */
  public CompletableFuture<List<Tensor>> submit(List<Tensor> batch) {
    if (pool != null && batch.size() == inputs.size()) {
      try {
        return pool.submit(batch);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    try {
      return CompletableFuture.completedFuture(run(batch));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public void close() {
    runner.close();
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
