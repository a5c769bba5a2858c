package dev.potaccel.cli;

import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.compile.CompiledPackage;
import dev.potaccel.compile.LayerReport;
import dev.potaccel.compile.LayerReport.Placement;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.InputFileException;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.PackageFile;
import dev.potaccel.quantize.QuantizationScheme;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code potaccel compile}: calibrates an ONNX model on Fashion-MNIST training images, quantizes
 * it with a baseline scheme and writes the accelerator package for a target accelerator; prints
 * every command with where it runs, the packed weight bytes as ideal plus burst alignment, and how
 * layers are split to fit the target's buffers.
 */
@Command(name = "compile",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {"Compile an ONNX model into an accelerator package (.potpkg): calibrate on"
        + " Fashion-MNIST training images, quantize, lower to accelerator and host commands,"
        + " pack the weights.",
        "Prints each command, where it runs, the weight bytes packed against the ideal, and the"
            + " layers split to fit the accelerator's buffers."})
final class CompileCommand implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "MODEL.onnx",
      description = "ONNX model; MODEL.json beside it gives the input normalisation (and is"
          + " copied beside the package). Default: the bundled " + BundledDemo.MODEL + ".")
  Path model;

  @Option(names = "--scheme", paramLabel = "SCHEME", defaultValue = "int8",
      converter = SchemeConverter.class,
      description = "Quantization: int8 (8-bit weights, per-channel power-of-two scales) or pot4"
          + " (4-bit powers of two). Activations are 8-bit in both. Default: ${DEFAULT-VALUE}.")
  QuantizationScheme scheme;

  @Option(names = "--calib", paramLabel = "N", defaultValue = "" + Calibrator.DEFAULT_IMAGES,
      description = "Calibration images, chosen at random from the training split."
          + " Default: ${DEFAULT-VALUE}.")
  int calibrationImages;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "" + Calibrator.DEFAULT_SEED,
      description = "Seed that picks the calibration images. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Directory with train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz."
          + " Default: " + "/usr/share/datasets/fashion-mnist (apt-get install "
          + FashionMnist.DEBIAN_PACKAGE + ").")
  Path data;

  @Option(names = {"-o", "--output"}, paramLabel = "OUT.potpkg",
      description = "Package to write. Default: MODEL.potpkg beside the model (lenet5.potpkg"
          + " here for the bundled model).")
  Path output;

  @Option(names = "--accelerator", paramLabel = "FILE",
      description = "Target accelerator, 'key = value' lines as for profile (pe_cols and"
          + " burst_bytes tile the weights; weight_buffer and activation_buffer bound each"
          + " layer's tile schedule, and larger layers are split). Default: 16 PE columns,"
          + " 64-byte bursts, 256 KiB weight and activation buffers.")
  Path accelerator;

  @Option(names = "--threads", paramLabel = "N",
      description = "CPU threads for calibration. Default: all available processors.")
  Integer threads;

  @Spec
  CommandSpec spec;

  /** Where the dataset is looked for without --data; tests point it elsewhere. */
  Path installedData = FashionMnist.DEBIAN_DIR;

  @Override
  public Integer call() throws IOException {
    if (calibrationImages < 1) {
      throw new ParameterException(spec.commandLine(), "--calib must be at least 1, got "
          + calibrationImages);
    }
    int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    if (threadCount < 1) {
      throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got "
          + threadCount);
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LoadedModel m = model != null ? LoadedModel.read(model) : BundledDemo.model();
    if (m.isPackage()) {
      throw new InputFileException(m.name() + ": is already a compiled package; compile the"
          + " ONNX model it came from");
    }
    AcceleratorDescription targetAccelerator = accelerator != null
        ? AcceleratorFile.read(accelerator, AcceleratorDescription.DEFAULT)
        : AcceleratorDescription.DEFAULT;
    Path target = output != null ? output : defaultOutput(m);
    Path dir = data != null ? data : installedData;
    FashionMnist dataset = FashionMnist.directory(dir);
    requireTraining(dataset, m);
    LabelledImages calibration;
    try {
      calibration = dataset.calibration(calibrationImages, seed);
    } catch (IllegalArgumentException e) { // more images than the training split holds
      throw new ParameterException(spec.commandLine(), "--calib: " + e.getMessage());
    }

    ModelCompilation.Result r;
    try (ProgressDisplay progress = ProgressDisplay.onStderr("calibrate", "images",
        calibrationImages, err)) {
      long[] shown = {0};
      r = ModelCompilation.compile(m, calibration, seed, scheme, threadCount,
          (done, total) -> {
            progress.advance((int) (done - shown[0]));
            shown[0] = done;
          }, targetAccelerator);
    }
    CompiledPackage c = r.compiled();
    PackageFile.write(c.pkg(), target);
    Path sidecar = copyMetadata(target);

    AcceleratorPackage pkg = c.pkg();
    out.println("model        " + (model != null ? model : m.name() + " (bundled)")
        + ", sha256 " + m.sha256());
    out.println("scheme       " + scheme + ": " + describe(scheme));
    out.println("calibration  " + r.calibration().size() + " images of the "
        + r.calibration().split().id() + " split of " + dataset.description() + " (seed " + seed
        + "), sha256 " + pkg.getProvenance().getCalibrationSha256());
    out.println("accelerator  " + describe(targetAccelerator, accelerator));
    out.println();
    printLayers(out, c);
    out.println();
    out.println(weightSummary(c, targetAccelerator));
    out.println(splitSummary(c));
    out.println("placement    " + count(c, Placement.ACCELERATOR) + " commands on the"
        + " accelerator, " + count(c, Placement.HOST) + " on the host CPU (FP32), "
        + count(c, Placement.BOUNDARY) + " conversions between them");
    out.println("wrote        " + target + " (" + Files.size(target) + " bytes)"
        + (sidecar != null ? " and its metadata " + sidecar : ""));
    out.flush();
    return 0;
  }

  /** A clear error when {@code dataset} has no training split to calibrate with. */
  private static void requireTraining(FashionMnist dataset, LoadedModel m) {
    if (!dataset.has(FashionMnist.Split.TRAIN)) {
      throw new InputFileException(dataset.description() + ": no Fashion-MNIST training split"
          + " (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz) to calibrate "
          + m.name() + " with: apt-get install " + FashionMnist.DEBIAN_PACKAGE + ", or give"
          + " --data DIR. The bundled sample holds test images only, which must never be used"
          + " for calibration.");
    }
  }

  private Path defaultOutput(LoadedModel m) {
    String name = ModelCompilation.modelName(m) + PackageFile.EXTENSION;
    return model != null ? model.resolveSibling(name) : Path.of(name);
  }

  /**
   * Writes the model's metadata as {@code OUT.json} beside the package, so run and eval
   * normalise inputs for it as for the ONNX model; returns null when there is none or it is the
   * same file.
   */
  private Path copyMetadata(Path target) throws IOException {
    String file = target.getFileName().toString();
    int dot = file.lastIndexOf('.');
    Path json = target.resolveSibling((dot > 0 ? file.substring(0, dot) : file) + ".json");
    String text;
    if (model == null) {
      text = BundledDemo.metadataJson();
    } else {
      String src = model.getFileName().toString();
      int d = src.lastIndexOf('.');
      Path from = model.resolveSibling((d > 0 ? src.substring(0, d) : src) + ".json");
      if (!Files.isRegularFile(from)) {
        return null;
      }
      if (Files.exists(json) && Files.isSameFile(from, json)) {
        return null;
      }
      text = Files.readString(from, StandardCharsets.UTF_8);
    }
    try {
      Files.writeString(json, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw InputFileException.io(json, e);
    }
    return json;
  }

  /** "'default' (built in): 16 PE columns, 64-byte bursts, 262144 B weight buffer, ...". */
  private static String describe(AcceleratorDescription d, Path file) {
    return "'" + d.name() + "' (" + (file != null ? file : "built in") + "): " + d.peCols()
        + " PE columns, " + d.burstBytes() + "-byte bursts, " + d.weightBufferBytes()
        + " B weight buffer, " + d.activationBufferBytes() + " B activation buffer";
  }

  /**
   * Packed weight bytes as ideal + burst alignment, exactly (docs/accelerator.md §4): the last
   * tile of a layer holds only its remaining channels, so the gaps after tiles are all there is.
   */
  static String weightSummary(CompiledPackage c, AcceleratorDescription d) {
    double ideal = c.idealWeightBytes();
    double alignment = c.alignmentBytes();
    return String.format(Locale.ROOT, "weights      %s B ideal (bits x weights / 8) + %s B burst"
        + " alignment (%d tiles, each padded to a multiple of %d bytes) = %d B packed: +%.2f%% over"
        + " ideal, +%.2f%% over ideal + alignment", exact(ideal), exact(alignment),
        c.weightTiles(), d.burstBytes(), c.packedWeightBytes(), 100 * c.packingOverhead(),
        100 * (c.packedWeightBytes() / (ideal + alignment) - 1));
  }

  /** Which layers the tile schedules split to fit the buffers. */
  static String splitSummary(CompiledPackage c) {
    List<LayerReport> split = c.splitLayers();
    if (split.isEmpty()) {
      return "tiling       every layer fits the buffers whole (weights fetched once, whole images)";
    }
    return "tiling       " + split.size() + (split.size() == 1 ? " layer" : " layers")
        + " split to fit the buffers: " + split.stream()
            .map(l -> l.name() + " (" + l.split() + ")").collect(Collectors.joining("; "));
  }

  /** A byte count that may have a fraction (bits x weights / 8), without a trailing ".0". */
  private static String exact(double bytes) {
    return BigDecimal.valueOf(bytes).stripTrailingZeros().toPlainString();
  }

  private static long count(CompiledPackage c, Placement p) {
    return c.layers().stream().filter(l -> l.placement() == p).count();
  }

  private static String describe(QuantizationScheme s) {
    return switch (s) {
      case INT8 -> "8-bit weights, per-output-channel power-of-two scales; 8-bit activations";
      case POT4 -> "4-bit power-of-two weights (sign, exponent 2^0..2^6, zero), per-output-channel"
          + " scales; 8-bit activations";
    };
  }

  private static void printLayers(PrintWriter out, CompiledPackage c) {
    int nameWidth = "command".length();
    int opWidth = "operation".length();
    for (LayerReport l : c.layers()) {
      nameWidth = Math.max(nameWidth, Math.min(40, l.name().length()));
      opWidth = Math.max(opWidth, l.operation().length());
    }
    String format = "%3s  %-" + nameWidth + "s  %-" + opWidth
        + "s  %-11s  %8s  %9s  %9s  %7s  %5s  %s";
    out.println(String.format(Locale.ROOT, format, "#", "command", "operation", "runs on",
        "weights", "packed B", "ideal B", "align B", "tiles", "split to fit"));
    for (LayerReport l : c.layers()) {
      String name = l.name().length() > 40 ? l.name().substring(0, 37) + "..." : l.name();
      boolean weighted = l.weights() > 0;
      out.println(String.format(Locale.ROOT, format, l.command(), name, l.operation(),
          l.placement(), weighted ? l.weights() : "",
          weighted ? l.packedBytes() : "",
          weighted ? exact(l.idealBytes()) : "",
          weighted ? exact(l.alignmentBytes()) : "",
          weighted ? l.tiles() : "",
          l.split()).stripTrailing());
    }
  }

  /** Picocli's hook for {@link QuantizationScheme#parse}: a bad scheme is a usage error. */
  static final class SchemeConverter implements ITypeConverter<QuantizationScheme> {
    @Override
    public QuantizationScheme convert(String value) {
      try {
        return QuantizationScheme.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
