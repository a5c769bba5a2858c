package dev.potaccel.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.compile.CompiledPackage;
import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.InputBatch;
import dev.potaccel.data.InputFileException;
import dev.potaccel.data.InputFiles;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.emulator.cost.CommandCost;
import dev.potaccel.emulator.cost.CostModel;
import dev.potaccel.emulator.cost.CostReport;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.WeightFormat;
import dev.potaccel.quantize.LayerQuality;
import dev.potaccel.quantize.SchemeSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code potaccel study}: every quantization scheme on every reference model, side by side
 * (the seed-quantization issue's study). Per model × scheme it compiles (calibration and any
 * tuning on training images only), scores the package on the Fashion-MNIST test set through the
 * bit-exact emulator, and asks the cost model for energy and cycles per image; FP32 is scored on
 * the same test images by the CPU engine. Writes the table as Markdown (with the published
 * figures of the seed papers beside it, research/quantization.md §7), CSV and JSON.
 */
@Command(name = "study",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {"Run every quantization scheme on every reference model and write a"
        + " comparison table (Markdown, CSV, JSON): top-1/top-5 on the Fashion-MNIST test set by"
        + " the emulator, deltas vs FP32 and INT8, weight bytes, layer SQNR, energy, cycles,"
        + " multipliers vs shifts, compile time.",
        "Calibration and tuning (BFT, DoubleQExt) use training images only."})
final class StudyCommand implements Callable<Integer> {
  /** The reference models, in table order. */
  static final List<String> MODELS = List.of("lenet5", "mobilenet-small", "vgg-small",
      "resnet20");

  /** The schemes of the study, in table order; "+bft" adds Backwards-Forward Tuning. */
  static final List<String> SCHEMES = List.of("int8", "pot4", "apot4", "ggd", "ggd+bft",
      "doubleq", "doubleqext", "upot2", "upot3", "upot4", "kalali", "lut4");

  @Option(names = "--models", paramLabel = "M,...", split = ",",
      description = "Models (NAME for models/NAME.onnx, or a path to an .onnx file). Default:"
          + " every reference model present of lenet5, mobilenet-small, vgg-small, resnet20.")
  List<String> models;

  @Option(names = "--schemes", paramLabel = "S,...", split = ",",
      description = "Schemes: a method, a method with its bits (upot3, lut4, ggd6), with '+bft'"
          + " for BFT. Default: " + "int8, pot4, apot4, ggd, ggd+bft, doubleq, doubleqext,"
          + " upot2, upot3, upot4, kalali, lut4.")
  List<String> schemes;

  @Option(names = "--models-dir", paramLabel = "DIR", defaultValue = "models",
      description = "Where model names are looked up. Default: ${DEFAULT-VALUE}.")
  Path modelsDir;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Fashion-MNIST directory (training and test splits). Default:"
          + " /usr/share/datasets/fashion-mnist.")
  Path data;

  @Option(names = "--limit", paramLabel = "N",
      description = "Score only the first N test images. Default: all 10000.")
  Integer limit;

  @Option(names = "--calib", paramLabel = "N", defaultValue = "" + Calibrator.DEFAULT_IMAGES,
      description = "Calibration images (training split). Default: ${DEFAULT-VALUE}.")
  int calibrationImages;

  @Option(names = "--tune-images", paramLabel = "N",
      defaultValue = "" + ModelCompilation.DEFAULT_TUNE_IMAGES,
      description = "Training images BFT and DoubleQExt score on. Default: ${DEFAULT-VALUE}.")
  int tuneImages;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "" + Calibrator.DEFAULT_SEED,
      description = "Seed of the calibration images (tuning uses S + 1). Default:"
          + " ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE.md",
      defaultValue = "docs/quantization-study.md",
      description = "Markdown table to write; FILE.csv and FILE.json beside it. Default:"
          + " ${DEFAULT-VALUE}.")
  Path output;

  @Option(names = "--threads", paramLabel = "N",
      description = "CPU threads. Default: all available processors.")
  Integer threads;

  @Spec
  CommandSpec spec;

  /** Where the dataset is looked for without --data; tests point it elsewhere. */
  Path installedData = FashionMnist.DEBIAN_DIR;

  /** One row of the table. */
  record Row(String model, String scheme, int images, double top1, double top5, double fp32Top1,
      double fp32Top5, double int8Top1, double weightBytes, double savingVsInt8,
      double meanSqnrDb, double minSqnrDb, double energyUj, long cycles, long multiplies,
      long shifts, double compileSeconds, String notes) {
    double deltaFp32() {
      return 100 * (top1 - fp32Top1);
    }

    double deltaInt8() {
      return Double.isNaN(int8Top1) ? Double.NaN : 100 * (top1 - int8Top1);
    }
  }

  @Override
  public Integer call() throws IOException {
    int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    if (limit != null && limit < 1) {
      throw new ParameterException(spec.commandLine(), "--limit must be at least 1, got "
          + limit);
    }
    List<String> schemeLabels = schemes != null ? schemes : SCHEMES;
    for (String s : schemeLabels) {
      try {
        schemeOf(s);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--schemes: " + e.getMessage());
      }
    }
    List<Path> modelFiles = modelFiles();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    FashionMnist dataset = FashionMnist.directory(data != null ? data : installedData);
    if (!dataset.has(FashionMnist.Split.TRAIN) || !dataset.has(FashionMnist.Split.TEST)) {
      throw new InputFileException(dataset.description() + ": the study needs both"
          + " Fashion-MNIST splits (training for calibration, test for scoring): apt-get"
          + " install " + FashionMnist.DEBIAN_PACKAGE + " or give --data DIR");
    }
    LabelledImages test = limit != null ? dataset.test(limit) : dataset.test();
    LabelledImages calibration = dataset.calibration(calibrationImages, seed);
    LabelledImages tuneSet = dataset.calibration(tuneImages, seed + 1);
    long started = System.nanoTime();
    List<Row> rows = new ArrayList<>();
    for (Path file : modelFiles) {
      LoadedModel m = LoadedModel.read(file);
      String name = ModelCompilation.modelName(m);
      SplitEvaluator testSet = new SplitEvaluator(m, test, threadCount);
      double[] fp32 = fp32(m, test, threadCount);
      double int8Top1 = Double.NaN;
      double int8Bytes = Double.NaN;
      for (String label : schemeLabels) {
        Row r = run(m, name, label, calibration, tuneSet, testSet, fp32, int8Top1, int8Bytes,
            threadCount, err);
        if (label.equals("int8")) {
          int8Top1 = r.top1();
          int8Bytes = r.weightBytes();
          r = new Row(r.model(), r.scheme(), r.images(), r.top1(), r.top5(), r.fp32Top1(),
              r.fp32Top5(), int8Top1, r.weightBytes(), 0, r.meanSqnrDb(), r.minSqnrDb(),
              r.energyUj(), r.cycles(), r.multiplies(), r.shifts(), r.compileSeconds(),
              r.notes());
        }
        rows.add(r);
        out.println(String.format(Locale.ROOT, "%-16s %-11s top-1 %6.2f%% (FP32 %6.2f%%,"
            + " %+.2f)  weights %9.0f B  SQNR %5.1f dB  %.1f s", name, label, 100 * r.top1(),
            100 * r.fp32Top1(), r.deltaFp32(), r.weightBytes(), r.meanSqnrDb(),
            r.compileSeconds()));
        out.flush();
      }
    }
    double minutes = (System.nanoTime() - started) / 60e9;
    write(rows, test.size(), minutes, threadCount);
    out.println("wrote        " + output + ", " + sibling(".csv") + ", " + sibling(".json"));
    out.flush();
    return 0;
  }

  private static SchemeSpec schemeOf(String label) {
    String l = label.strip();
    return SchemeSpec.parseLabel(l.endsWith("+bft") ? l.substring(0, l.length() - 4) : l);
  }

  private List<Path> modelFiles() {
    List<Path> files = new ArrayList<>();
    if (models == null) {
      for (String n : MODELS) {
        Path p = modelsDir.resolve(n + ".onnx");
        if (Files.isRegularFile(p)) {
          files.add(p);
        }
      }
      if (files.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "no reference model in " + modelsDir
            + " (looked for " + String.join(", ", MODELS) + ")");
      }
      return files;
    }
    for (String n : models) {
      Path p = n.endsWith(".onnx") ? Path.of(n) : modelsDir.resolve(n + ".onnx");
      if (!Files.isRegularFile(p)) {
        throw new ParameterException(spec.commandLine(), "--models: no model " + p);
      }
      files.add(p);
    }
    return files;
  }

  private Row run(LoadedModel m, String name, String label, LabelledImages calibration,
      LabelledImages tuneSet, SplitEvaluator testSet, double[] fp32, double int8Top1,
      double int8Bytes, int threadCount, PrintWriter err) {
    SchemeSpec scheme = schemeOf(label);
    boolean bft = label.strip().endsWith("+bft");
    StringWriter searchLog = new StringWriter();
    ModelCompilation.Tuning tuning = bft || scheme.method().equals("doubleqext")
        ? new ModelCompilation.Tuning(bft, QuantizationTuning.BFT_SWEEPS, tuneSet, null, null,
            new PrintWriter(searchLog))
        : ModelCompilation.Tuning.NONE;
    long start = System.nanoTime();
    ModelCompilation.Result r = ModelCompilation.compile(m, calibration, seed, scheme,
        threadCount, (d, t) -> {}, AcceleratorDescription.DEFAULT, tuning);
    double compileSeconds = (System.nanoTime() - start) / 1e9;
    CompiledPackage c = r.compiled();
    Accuracy acc;
    try (ProgressDisplay progress = ProgressDisplay.onStderr(name + " " + label, "images",
        testSet.images(), err)) {
      acc = testSet.score(c.pkg(), progress);
    }
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    for (LayerQuality l : r.quantized().layers().values()) {
      sum += l.sqnrDb();
      min = Math.min(min, l.sqnrDb());
    }
    int layers = r.quantized().layers().size();
    AcceleratorPackage pkg = c.pkg();
    CostReport cost = CostModel.estimate(pkg, AcceleratorDescription.defaultFor(pkg), 1);
    long multiplies = 0;
    long shifts = 0;
    for (CommandCost cc : cost.commands()) {
      dev.potaccel.protocol.pkg.Command cmd = pkg.getCommands(cc.index());
      if (!cmd.hasConv() || cc.macs() == 0) {
        continue;
      }
      Codebook cb = pkg.getCodebooks(cmd.getConv().getCodebook());
      if (cb.getFormat() == WeightFormat.INT8 || cb.getFormat() == WeightFormat.LUT) {
        multiplies += cc.macs();
      } else {
        shifts += cc.macs() * Math.max(1, cb.getMaxTerms());
      }
    }
    double bytes = c.idealWeightBytes();
    String notes = "";
    if (r.plan() != null) {
      notes = String.format(Locale.ROOT, "%d of %d layers PoT", r.plan().chosen(),
          r.plan().curve().size() - 1);
    }
    if (r.bft() != null) {
      int n = r.bft().steps().size();
      notes = String.format(Locale.ROOT, "BFT: %d change%s, tuning top-1 %.2f -> %.2f", n,
          n == 1 ? "" : "s", 100 * r.bft().start().top1(), 100 * r.bft().end().top1());
    }
    return new Row(name, label, acc.images(), acc.top1(), acc.top5(), fp32[0], fp32[1],
        int8Top1, bytes, Double.isNaN(int8Bytes) ? Double.NaN : 1 - bytes / int8Bytes,
        layers == 0 ? Double.NaN : sum / layers, layers == 0 ? Double.NaN : min,
        cost.energy().totalUj(), cost.cycles(), multiplies, shifts, compileSeconds, notes);
  }

  /** FP32 top-1 and top-5 of the ONNX model on the same test images (CPU engine). */
  private static double[] fp32(LoadedModel m, LabelledImages test, int threads) {
    ImagePreprocessing prep = ImagePreprocessing.forModel(m.input().type(), m.metadata(),
        m.name());
    AccuracyTally tally = new AccuracyTally(FashionMnist.CLASSES.size(), m.name());
    try (CpuEngine engine = new CpuEngine(m.graph(), threads)) {
      for (Iterator<InputBatch> it = test.batches(SplitEvaluator.BATCH, prep); it.hasNext(); ) {
        InputBatch b = it.next();
        Tensor x = InputFiles.fit(b.tensor(), b.source(), m.input(), m.name());
        Map<String, Tensor> y = engine.run(Map.of(m.input().name(), x));
        tally.add(y.get(m.output().name()), b.labels());
      }
    }
    Accuracy a = tally.result();
    return new double[] {a.top1(), a.top5()};
  }

  private Path sibling(String extension) {
    String f = output.getFileName().toString();
    int dot = f.lastIndexOf('.');
    return output.resolveSibling((dot > 0 ? f.substring(0, dot) : f) + extension);
  }

  private void write(List<Row> rows, int images, double minutes, int threadCount)
      throws IOException {
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(output, markdown(rows, images, minutes, threadCount),
        StandardCharsets.UTF_8);
    Files.writeString(sibling(".csv"), csv(rows), StandardCharsets.UTF_8);
    Files.writeString(sibling(".json"), json(rows, images, minutes, threadCount),
        StandardCharsets.UTF_8);
  }

  private static String f(String format, double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, format, v);
  }

  static String csv(List<Row> rows) {
    StringBuilder b = new StringBuilder("model,scheme,images,top1,top5,fp32_top1,fp32_top5,"
        + "delta_fp32_points,delta_int8_points,weight_bytes,saving_vs_int8,mean_sqnr_db,"
        + "min_sqnr_db,energy_uj_per_image,cycles_per_image,multiplies_per_image,"
        + "shifts_per_image,compile_s,notes\n");
    for (Row r : rows) {
      b.append(String.join(",", r.model(), r.scheme(), Integer.toString(r.images()),
          f("%.4f", r.top1()), f("%.4f", r.top5()), f("%.4f", r.fp32Top1()),
          f("%.4f", r.fp32Top5()), f("%.2f", r.deltaFp32()), f("%.2f", r.deltaInt8()),
          f("%.2f", r.weightBytes()), f("%.4f", r.savingVsInt8()), f("%.2f", r.meanSqnrDb()),
          f("%.2f", r.minSqnrDb()), f("%.3f", r.energyUj()), Long.toString(r.cycles()),
          Long.toString(r.multiplies()), Long.toString(r.shifts()),
          f("%.1f", r.compileSeconds()), "\"" + r.notes().replace("\"", "'") + "\""))
          .append('\n');
    }
    return b.toString();
  }

  private String json(List<Row> rows, int images, double minutes, int threadCount) {
    JsonObject o = new JsonObject();
    o.addProperty("test_images", images);
    o.addProperty("calibration_images", calibrationImages);
    o.addProperty("tune_images", tuneImages);
    o.addProperty("seed", seed);
    o.addProperty("threads", threadCount);
    o.addProperty("minutes", Math.round(minutes * 10) / 10.0);
    o.addProperty("written", Instant.now().toString());
    JsonArray a = new JsonArray();
    for (Row r : rows) {
      JsonObject j = new JsonObject();
      j.addProperty("model", r.model());
      j.addProperty("scheme", r.scheme());
      j.addProperty("images", r.images());
      j.addProperty("top1", r.top1());
      j.addProperty("top5", r.top5());
      j.addProperty("fp32_top1", r.fp32Top1());
      j.addProperty("fp32_top5", r.fp32Top5());
      j.addProperty("delta_fp32_points", r.deltaFp32());
      if (!Double.isNaN(r.deltaInt8())) {
        j.addProperty("delta_int8_points", r.deltaInt8());
        j.addProperty("saving_vs_int8", r.savingVsInt8());
      }
      j.addProperty("weight_bytes", r.weightBytes());
      j.addProperty("mean_sqnr_db", r.meanSqnrDb());
      j.addProperty("min_sqnr_db", r.minSqnrDb());
      j.addProperty("energy_uj_per_image", r.energyUj());
      j.addProperty("cycles_per_image", r.cycles());
      j.addProperty("multiplies_per_image", r.multiplies());
      j.addProperty("shifts_per_image", r.shifts());
      j.addProperty("compile_seconds", r.compileSeconds());
      j.addProperty("notes", r.notes());
      a.add(j);
    }
    o.add("rows", a);
    return new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create()
        .toJson(o) + "\n";
  }

  /** One target of the issue: a scheme's top-1 against a reference, within a tolerance. */
  private record Target(String scheme, String reference, double points, String text) {}

  private static final List<Target> TARGETS = List.of(
      new Target("ggd", "fp32", 0.2, "GGD 8-bit within 0.2 points of FP32"),
      new Target("kalali", "fp32", 0.3, "Kalali two-term within 0.3 points of FP32"),
      new Target("doubleqext", "int8", 0.6, "DoubleQExt at >= 23.05% saving within 0.6 points"
          + " of INT8"),
      new Target("upot4", "fp32", 1.0, "UPoT 4-bit within 1.0 point of FP32"),
      new Target("upot3", "fp32", 2.5, "UPoT 3-bit within 2.5 points of FP32"),
      new Target("ggd+bft", "ggd", 0.1, "BFT no worse than its start (GGD) by more than 0.1"));

  /**
   * The targets, checked on every model of the run: they are defined on resnet20, and the
   * other models show how the same rule fares elsewhere.
   */
  static String targets(List<Row> rows) {
    StringBuilder b = new StringBuilder("\n## Targets\n\nThe issue sets these on resnet20;"
        + " every model of the run is checked against the same rule (test-set top-1"
        + " points).\n\n| model | target | measured | met |\n|---|---|---:|---|\n");
    for (String model : rows.stream().map(Row::model).distinct().toList()) {
      for (Target t : TARGETS) {
        Row r = find(rows, model, t.scheme());
        if (r == null) {
          continue;
        }
        double delta;
        if (t.reference().equals("fp32")) {
          delta = r.deltaFp32();
        } else {
          Row ref = find(rows, model, t.reference());
          if (ref == null) {
            continue;
          }
          delta = 100 * (r.top1() - ref.top1());
        }
        boolean met = delta >= -t.points() - 1e-9;
        String measured = String.format(Locale.ROOT, "%+.2f vs %s", delta,
            t.reference().toUpperCase(Locale.ROOT));
        if (t.scheme().equals("doubleqext")) {
          met &= r.savingVsInt8() >= 0.2305 - 1e-9;
          measured += String.format(Locale.ROOT, ", saving %.2f%%", 100 * r.savingVsInt8());
        }
        b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", model, t.text(),
            measured, met ? "yes" : "**no**"));
      }
    }
    return b.toString();
  }

  private static Row find(List<Row> rows, String model, String scheme) {
    return rows.stream().filter(r -> r.model().equals(model) && r.scheme().equals(scheme))
        .findFirst().orElse(null);
  }

  private String markdown(List<Row> rows, int images, double minutes, int threadCount) {
    StringBuilder b = new StringBuilder();
    b.append("# Quantization study\n\n");
    b.append("Written by `potaccel study` (").append(Main.Version.numberOrUnknown())
        .append("). Every scheme on every reference model: top-1/top-5 measured by the"
            + " bit-exact emulator on ");
    b.append(images == 10000 ? "the full 10,000-image Fashion-MNIST test set"
        : "the first " + images + " Fashion-MNIST test images (`--limit " + images + "`)");
    b.append("; FP32 by the CPU engine on the same images. Calibration: ")
        .append(calibrationImages).append(" training images (seed ").append(seed)
        .append("); BFT and DoubleQExt score candidates on ").append(tuneImages)
        .append(" other training images (seed ").append(seed + 1)
        .append("). Nothing is tuned on the test set. ")
        .append(String.format(Locale.ROOT, "The run took %.1f minutes on %d threads.%n%n",
            minutes, threadCount));
    b.append("Columns: Δ are top-1 points; *bytes* are the ideal weight bytes (bits × weights"
        + " / 8, before burst alignment); *saving* is against INT8 weight bytes; SQNR is each"
        + " weighted layer's weight SQNR against its FP32 (BatchNorm-folded) weights; energy"
        + " and cycles per image come from the cost model (docs/accelerator.md §8: batch 1,"
        + " default 16x16 array with the simplest PE type that runs the package, 45 nm"
        + " Horowitz energies, accelerator work only); *mults* are multiplier MACs per image"
        + " (INT8 and LUT layers), *shifts* are shift-adds per image (POT and TERMS layers,"
        + " MACs × the codebook's max terms: an upper bound, no zero gating); compile time"
        + " includes calibration and any tuning.\n\n");
    b.append("| model | scheme | top-1 % | top-5 % | Δ FP32 | Δ INT8 | bytes | saving |"
        + " SQNR mean/min dB | energy µJ | cycles | mults | shifts | compile s | notes |\n");
    b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    String model = "";
    for (Row r : rows) {
      if (!r.model().equals(model)) {
        model = r.model();
        b.append(String.format(Locale.ROOT, "| **%s** | FP32 | %.2f | %.2f | | | | | | | | |"
            + " | | CPU engine |%n", model, 100 * r.fp32Top1(), 100 * r.fp32Top5()));
      }
      b.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %+.2f | %s | %.0f | %s |"
          + " %.1f / %.1f | %.2f | %d | %d | %d | %.1f | %s |%n", r.model(), r.scheme(),
          100 * r.top1(), 100 * r.top5(), r.deltaFp32(), f("%+.2f", r.deltaInt8()),
          r.weightBytes(), f("%.1f%%", 100 * r.savingVsInt8()), r.meanSqnrDb(), r.minSqnrDb(),
          r.energyUj(), r.cycles(), r.multiplies(), r.shifts(), r.compileSeconds(),
          r.notes()));
    }
    b.append(targets(rows));
    b.append("\n## Published figures of the seed methods\n\n");
    b.append("From `../shared/research/quantization.md` §7 ([K] known from the source, [R] our"
        + " reconstruction). Different models and datasets from ours: compare deltas, not"
        + " absolute accuracies.\n\n");
    b.append("| method (source) | model / data | bits (W/A) | reported result |\n");
    b.append("|---|---|---|---|\n");
    b.append("| Kalali DSD'21 [K] | VGG-16 / Tiny ImageNet | 8 / ? | −0.39% vs FP; −0.24%"
        + " after fine-tune |\n");
    b.append("| Kalali DSD'21 [K] | AlexNet / Tiny ImageNet | 8 / ? | −0.98% vs FP; −0.39%"
        + " after fine-tune |\n");
    b.append("| Kalali DSD'21 [K] | systolic array | — | power −14.2% and −21.6% (two PEs) vs"
        + " fixed-point MAC |\n");
    b.append("| UPoT TCAS-I'23 [K] | ResNet-18/50, MobileNet-V2, EfficientNet / ImageNet |"
        + " 4, 3, 2 | 8–65× area efficiency, 2–19× energy efficiency (no per-network accuracy"
        + " retrieved) |\n");
    b.append("| Liss et al. 2018 (LUT) [K] | ResNet-18, VGG-like / CIFAR-10/100 | low-bit |"
        + " \"little degradation\" |\n");
    b.append("| DoubleQ [K] | ResNet-20 / CIFAR-10 | 8 → PoT (5 b [R]) | −37.50% memory,"
        + " −7.28% accuracy vs 8-bit |\n");
    b.append("| DoubleQExt [K] | ResNet-20 / CIFAR-10 | mixed | −23.05% memory, −1.19%"
        + " accuracy vs 8-bit |\n");
    b.append("| GGD (Samsung) [K] | CNNs | fixed point | higher SQNR than prior schemes; no"
        + " numbers retrieved |\n");
    b.append("| APoT repo [K] | ResNet-20 / CIFAR-10 | FP, 4, 3, 2 | 92.96, 92.45, 92.49,"
        + " 90.96 (trained, not post-training) |\n");
    b.append("| Vandersteegen'21 [K] | ResNet-18, MobileNet-V2 / ImageNet | 4 (LUT → 8) |"
        + " +0.35%, −0.51% vs FP |\n");
    return b.toString();
  }
}
