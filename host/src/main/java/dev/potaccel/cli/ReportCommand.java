package dev.potaccel.cli;

import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.InputFileException;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Provenance;
import dev.potaccel.quantize.SchemeSpec;
import dev.potaccel.report.HtmlReport;
import dev.potaccel.report.ModelReport;
import dev.potaccel.report.ModelReport.Fact;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code potaccel report}: one self-contained HTML page with pictures of what quantization does
 * to a model (docs/report.md). The pictures need the FP32 weights and activation samples, which
 * a package does not hold, so the ONNX model is always read: given directly, or found from a
 * package's provenance (beside the package or in models/, checked against its SHA-256) and
 * re-quantized with the package's scheme and calibration.
 */
@Command(name = "report",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {"Write an HTML report with charts: per layer the weight histogram with the"
        + " quantization levels, the activation histogram with its fitted GGD curve and clip,"
        + " the weight SQNR per scheme; for the model DoubleQExt's accuracy-vs-memory curve and"
        + " the energy per scheme (compute, on-chip, DRAM).",
        "Self-contained: inline SVG, no script, no network."})
final class ReportCommand implements Callable<Integer> {
  /** Schemes compiled for the SQNR bars and the energy chart unless --schemes says otherwise. */
  static final List<String> SCHEMES = List.of("int8", "pot4", "apot4", "ggd", "doubleq",
      "doubleqext", "upot2", "upot3", "upot4", "kalali", "lut4");

  /** Test images the DoubleQExt curve is scored on by default: about a minute for resnet20. */
  static final int DEFAULT_LIMIT = 200;

  @Option(names = "--model", paramLabel = "MODEL.onnx|P.potpkg", required = true,
      description = "ONNX model, or a compiled package: its scheme is reported, re-quantized"
          + " from the ONNX model it names (found beside it or in models/, or give --onnx).")
  Path model;

  @Option(names = "--onnx", paramLabel = "MODEL.onnx",
      description = "The ONNX model a package was compiled from (checked against its SHA-256).")
  Path onnx;

  @Option(names = "--scheme", paramLabel = "SCHEME",
      description = "Scheme of the per-layer sections for an ONNX model, as compile --scheme."
          + " Default: int8.")
  String schemeName;

  @Option(names = "--bits", paramLabel = "B", description = "Width for upot, lut, ggd.")
  Integer bits;

  @Option(names = "--schemes", paramLabel = "S,...", split = ",",
      description = "Schemes compiled for the SQNR bars and the energy chart (labels as study"
          + " --schemes). Default: int8, pot4, apot4, ggd, doubleq, doubleqext, upot2, upot3,"
          + " upot4, kalali, lut4.")
  List<String> schemes;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "" + DEFAULT_LIMIT,
      description = "Score the DoubleQExt curve on the first N test images. Default:"
          + " ${DEFAULT-VALUE}.")
  int limit;

  @Option(names = "--tune-images", paramLabel = "N",
      defaultValue = "" + ModelCompilation.DEFAULT_TUNE_IMAGES,
      description = "Training images (seed + 1) DoubleQExt ranks layers on, as compile does;"
          + " without the training split, the bundled calibration images. Default:"
          + " ${DEFAULT-VALUE}.")
  int tuneImages;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Fashion-MNIST directory. Default: /usr/share/datasets/fashion-mnist, else"
          + " the bundled sample (256 calibration images, the first 1000 test images).")
  Path data;

  @Option(names = {"-o", "--output"}, paramLabel = "REPORT.html", defaultValue = "report.html",
      description = "The page to write. Default: ${DEFAULT-VALUE}.")
  Path output;

  @Option(names = "--threads", paramLabel = "N",
      description = "CPU threads. Default: all available processors.")
  Integer threads;

  @Spec
  CommandSpec spec;

  /** Where the dataset is looked for without --data; tests point it elsewhere. */
  Path installedData = FashionMnist.DEBIAN_DIR;

  @Override
  public Integer call() throws IOException {
    int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    if (threadCount < 1 || limit < 1 || tuneImages < 1) {
      throw new ParameterException(spec.commandLine(), "--threads, --limit and --tune-images"
          + " must be at least 1");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    long started = System.nanoTime();
    LoadedModel given = LoadedModel.read(model);
    AcceleratorPackage pkg = given.isPackage() ? given.pkg() : null;
    if (pkg == null && onnx != null) {
      throw new ParameterException(spec.commandLine(), "--onnx applies to a package --model");
    }
    if (pkg != null && (schemeName != null || bits != null)) {
      throw new ParameterException(spec.commandLine(), "--scheme/--bits: " + model + " is a"
          + " package compiled with " + pkg.getProvenance().getScheme() + "; its scheme is"
          + " the one reported");
    }
    LoadedModel m = pkg != null ? LoadedModel.read(sourceModel(pkg)) : given;
    SchemeSpec scheme = pkg != null ? packageScheme(pkg) : parse(
        schemeName != null ? schemeName : "int8", bits);
    List<SchemeSpec> compiled = schemeList(scheme);

    Path dir = data != null ? data : installedData;
    FashionMnist train = FashionMnist.installedOrBundled(dir, FashionMnist.Split.TRAIN);
    FashionMnist testData = FashionMnist.installedOrBundled(dir, FashionMnist.Split.TEST);
    long seed = pkg != null ? provenanceSeed(pkg) : Calibrator.DEFAULT_SEED;
    int calibImages = pkg != null && pkg.getProvenance().getCalibrationImages() > 0
        ? pkg.getProvenance().getCalibrationImages() : Calibrator.DEFAULT_IMAGES;
    LabelledImages calibration = train.calibration(calibImages, seed);
    // offline there is no other training image than the calibration set: rank on it
    LabelledImages tuneSet = train.isBundledSample() ? calibration
        : train.calibration(tuneImages, seed + 1);
    LabelledImages test = testData.test(limit);
    CompileOptions options = new CompileOptions(ModelCompilation.modelName(m), m.sha256(),
        Main.Version.numberOrUnknown(), AcceleratorDescription.DEFAULT);

    ReportMeasurement.Measured r = ReportMeasurement.measure(new ReportMeasurement.Inputs(m,
        scheme, pkg != null && scheme.method().equals("doubleqext") ? potLayers(pkg) : null,
        compiled, calibration, tuneSet, test, options, threadCount), err);

    List<String> notes = new ArrayList<>();
    if (pkg != null) {
      boolean same = r.compiled().pkg().getCommandsList().equals(pkg.getCommandsList())
          && r.compiled().pkg().getCodebooksList().equals(pkg.getCodebooksList());
      notes.add("The pictures re-quantize " + m.name() + " with the package's scheme and"
          + " calibration set; the commands and codebooks compiled here are "
          + (same ? "identical to " + model.getFileName() + "."
              : "NOT identical to " + model.getFileName() + " (compiled with BFT, another"
                  + " accelerator or another tool version?): the pictures show the"
                  + " re-quantization."));
    }
    if (train.isBundledSample()) {
      notes.add("No Fashion-MNIST training split in " + dir + ": calibration and DoubleQExt's"
          + " ranking use the bundled 256 calibration images (apt-get install "
          + FashionMnist.DEBIAN_PACKAGE + " for the compile flow's 500-image tuning split).");
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    List<Fact> facts = List.of(
        new Fact("model", m.name() + ", sha256 " + m.sha256()),
        new Fact("scheme", scheme.id() + (pkg != null ? " (from " + model.getFileName() + ")"
            : "")),
        new Fact("calibration", ReportMeasurement.describe(calibration) + ", seed " + seed),
        new Fact("activation samples", "up to " + Calibrator.SAMPLES_PER_VALUE
            + " elements per tensor, drawn uniformly over the calibration images"),
        new Fact("DoubleQExt test images", ReportMeasurement.describe(test)
            + " (--limit " + limit + ")"),
        new Fact("written by", "potaccel " + Main.Version.numberOrUnknown() + String.format(
            Locale.ROOT, " report in %.1f s on %d threads", seconds, threadCount)));
    ModelReport report = new ModelReport(m.name(), scheme.id(), facts, r.layers(), r.curve(),
        r.energy(), r.energyNote(), notes);
    Path parent = output.toAbsolutePath().getParent();
    try {
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(output, HtmlReport.render(report), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw InputFileException.io(output, e);
    }
    out.println(String.format(Locale.ROOT, "wrote        %s (%d layers, %d schemes%s) in %.1f s",
        output, r.layers().size(), r.energy().size(), r.curve() != null
            ? ", DoubleQExt curve on " + test.size() + " test images" : "", seconds));
    out.flush();
    return 0;
  }

  private SchemeSpec parse(String name, Integer width) {
    try {
      return SchemeSpec.parse(name, width);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--scheme/--bits: " + e.getMessage());
    }
  }

  /** --schemes (or the default list), with the report's scheme added when missing. */
  private List<SchemeSpec> schemeList(SchemeSpec own) {
    Set<SchemeSpec> out = new LinkedHashSet<>();
    for (String label : schemes != null ? schemes : SCHEMES) {
      try {
        out.add(SchemeSpec.parseLabel(label));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--schemes: " + e.getMessage());
      }
    }
    out.add(own);
    return List.copyOf(out);
  }

  /**
   * The ONNX model a package came from: --onnx, else {@code <model_name>.onnx} beside the
   * package, else in models/; it must hash to the package's {@code model_sha256}.
   */
  private Path sourceModel(AcceleratorPackage pkg) {
    Provenance p = pkg.getProvenance();
    List<Path> candidates = onnx != null ? List.of(onnx) : List.of(
        model.toAbsolutePath().resolveSibling(p.getModelName() + ".onnx"),
        Path.of("models", p.getModelName() + ".onnx"));
    for (Path c : candidates) {
      if (Files.isRegularFile(c)) {
        String sha = LoadedModel.read(c).sha256();
        if (!sha.equals(p.getModelSha256())) {
          throw new InputFileException(c + ": sha256 " + sha + ", but " + model + " was"
              + " compiled from a model with sha256 " + p.getModelSha256() + "; give the"
              + " right one with --onnx");
        }
        return c;
      }
    }
    throw new InputFileException(model + ": the report needs the ONNX model it was compiled"
        + " from ('" + p.getModelName() + "', sha256 " + p.getModelSha256() + "), for the FP32"
        + " weights and activations; not found at " + candidates + ": give it with --onnx");
  }

  private SchemeSpec packageScheme(AcceleratorPackage pkg) {
    String id = pkg.getProvenance().getScheme();
    try {
      return SchemeSpec.parseLabel(id);
    } catch (IllegalArgumentException e) {
      throw new InputFileException(model + ": provenance names scheme '" + id + "', which"
          + " this version does not know: " + e.getMessage());
    }
  }

  private static long provenanceSeed(AcceleratorPackage pkg) {
    String s = pkg.getProvenance().getSchemeParametersMap().get("calibration_seed");
    try {
      return s != null ? Long.parseLong(s) : Calibrator.DEFAULT_SEED;
    } catch (NumberFormatException e) {
      return Calibrator.DEFAULT_SEED; // an old package: compile's default
    }
  }

  private static Set<String> potLayers(AcceleratorPackage pkg) {
    String s = pkg.getProvenance().getSchemeParametersMap().getOrDefault(
        "doubleqext_pot_layers", "");
    Set<String> out = new LinkedHashSet<>();
    Arrays.stream(s.split(",")).filter(x -> !x.isBlank()).forEach(out::add);
    return out;
  }
}
