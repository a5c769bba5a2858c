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
import dev.potaccel.quantize.LayerQuality;
import dev.potaccel.quantize.SchemeSpec;
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
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code potaccel compile}: calibrates an ONNX model on Fashion-MNIST training images, quantizes
 * it with one of the seed schemes ({@link SchemeSpec}) and writes the accelerator package for a target accelerator; prints
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
      description = "Quantization method: int8 (8-bit weights, per-channel power-of-two"
          + " scales), pot4 (4-bit powers of two), apot4 (additive powers of two), ggd (min-error"
          + " fractional lengths, GGD-fitted activation steps), doubleq (int8 then 5-bit PoT),"
          + " doubleqext (doubleq on the layers that lose least), upot (universal PoT, --bits"
          + " 2|3|4), kalali (two-term shift-add weights), lut (k-quantile levels in a LUT,"
          + " --bits 2..8). Activations are 8-bit. Default: ${DEFAULT-VALUE}.")
  String schemeName;

  @Option(names = "--bits", paramLabel = "B",
      description = "Weight code width for upot (2, 3, 4; default 4), lut (2..8; default 4) and"
          + " ggd (2..8; default 8). The other schemes have a fixed width.")
  Integer bits;

  @Option(names = "--bft",
      description = "Backwards-Forward Tuning: tune each activation's fractional length for"
          + " top-1 (ties: top-5) on a tuning split of training images, scored by the emulator.")
  boolean bft;

  @Option(names = "--bft-sweeps", paramLabel = "N", defaultValue = ""
      + QuantizationTuning.BFT_SWEEPS,
      description = "BFT sweeps, each a backward and a forward pass. Default: ${DEFAULT-VALUE}.")
  int bftSweeps;

  @Option(names = "--tune-images", paramLabel = "N",
      defaultValue = "" + ModelCompilation.DEFAULT_TUNE_IMAGES,
      description = "Training images (seed + 1) that BFT and doubleqext score candidates on."
          + " Default: ${DEFAULT-VALUE}.")
  int tuneImages;

  @Option(names = "--memory-target", paramLabel = "PERCENT",
      description = "doubleqext: convert layers until the weights are this many percent smaller"
          + " than int8. Default: 23.05.")
  Double memoryTarget;

  @Option(names = "--accuracy-budget", paramLabel = "POINTS",
      description = "doubleqext: convert as many layers as keep top-1 on the tuning split within"
          + " this many points of int8 (instead of a memory target).")
  Double accuracyBudget;

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
    SchemeSpec scheme;
    try {
      scheme = SchemeSpec.parse(schemeName, bits);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--scheme/--bits: " + e.getMessage());
    }
    checkTuningOptions(scheme);
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

    ModelCompilation.Tuning tuning = ModelCompilation.Tuning.NONE;
    if (bft || scheme.method().equals("doubleqext")) {
      LabelledImages tuneSet;
      try {
        tuneSet = dataset.calibration(tuneImages, seed + 1);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--tune-images: " + e.getMessage());
      }
      tuning = new ModelCompilation.Tuning(bft, bftSweeps, tuneSet,
          memoryTarget != null ? memoryTarget / 100 : null, accuracyBudget, out);
    }
    ModelCompilation.Result r;
    try (ProgressDisplay progress = ProgressDisplay.onStderr("calibrate", "images",
        calibrationImages, err)) {
      long[] shown = {0};
      r = ModelCompilation.compile(m, calibration, seed, scheme, threadCount,
          (done, total) -> {
            progress.advance((int) (done - shown[0]));
            shown[0] = done;
          }, targetAccelerator, tuning);
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
    printQuality(out, r.quantized().layers().values());
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

  private void checkTuningOptions(SchemeSpec scheme) {
    boolean dqx = scheme.method().equals("doubleqext");
    if (!dqx && (memoryTarget != null || accuracyBudget != null)) {
      throw new ParameterException(spec.commandLine(), "--memory-target and --accuracy-budget"
          + " apply to --scheme doubleqext only, not " + scheme.id());
    }
    if (memoryTarget != null && accuracyBudget != null) {
      throw new ParameterException(spec.commandLine(), "give --memory-target or"
          + " --accuracy-budget, not both");
    }
    if (memoryTarget != null && !(memoryTarget >= 0 && memoryTarget <= 37.5)) {
      throw new ParameterException(spec.commandLine(), "--memory-target must be 0..37.5 (percent;"
          + " all layers PoT saves 37.5%), got " + memoryTarget);
    }
    if (accuracyBudget != null && !(accuracyBudget >= 0)) {
      throw new ParameterException(spec.commandLine(), "--accuracy-budget must be >= 0 points,"
          + " got " + accuracyBudget);
    }
    if (tuneImages < 1) {
      throw new ParameterException(spec.commandLine(), "--tune-images must be at least 1, got "
          + tuneImages);
    }
    if (bftSweeps < 1) {
      throw new ParameterException(spec.commandLine(), "--bft-sweeps must be at least 1, got "
          + bftSweeps);
    }
  }

  private static String describe(SchemeSpec s) {
    return switch (s.method()) {
      case "int8" -> "8-bit weights, per-output-channel power-of-two scales; 8-bit activations";
      case "pot4" -> "4-bit power-of-two weights (sign, exponent 2^0..2^6, zero),"
          + " per-output-channel scales; 8-bit activations";
      case "doubleqext" -> "5-bit PoT weights (doubleq) on the layers chosen below, int8 on the"
          + " rest; 8-bit activations";
      default -> s.parameters().get("weight_format") + " " + s.parameters().get("weight_bits")
          + "-bit weights (" + s.parameters().get("weight_scale") + "); 8-bit activations, "
          + s.parameters().get("activation_scale");
    };
  }

  /** Per weighted layer: the weight scheme it got, what it chose, and its weight SQNR. */
  static void printQuality(PrintWriter out, java.util.Collection<LayerQuality> layers) {
    int nameWidth = "layer".length();
    for (LayerQuality l : layers) {
      nameWidth = Math.max(nameWidth, Math.min(40, l.node().length()));
    }
    String format = "%-" + nameWidth + "s  %-9s  %4s  %9s  %9s  %s";
    out.println(String.format(Locale.ROOT, format, "layer", "weights", "bits", "count",
        "SQNR dB", "chosen"));
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    for (LayerQuality l : layers) {
      String name = l.node().length() > 40 ? l.node().substring(0, 37) + "..." : l.node();
      out.println(String.format(Locale.ROOT, format, name, l.scheme(), l.bits(), l.weights(),
          String.format(Locale.ROOT, "%.2f", l.sqnrDb()), l.description()).stripTrailing());
      sum += l.sqnrDb();
      min = Math.min(min, l.sqnrDb());
    }
    if (!layers.isEmpty()) {
      out.println(String.format(Locale.ROOT, "sqnr         weight SQNR mean %.2f dB, min %.2f dB"
          + " over %d layers", sum / layers.size(), min, layers.size()));
    }
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
}
