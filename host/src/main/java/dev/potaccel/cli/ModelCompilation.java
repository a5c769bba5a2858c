package dev.potaccel.cli;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.compile.CompiledPackage;
import dev.potaccel.compile.PackageCompiler;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.QuantizedGraph;
import dev.potaccel.quantize.Quantizer;
import dev.potaccel.quantize.SchemeSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The flow from an ONNX model to a compiled package: calibration images from the Fashion-MNIST
 * training split → {@link Calibrator} → {@link Quantizer} (with, when the scheme or options ask,
 * DoubleQExt's layer plan and Backwards-Forward Tuning, both scored on a tuning split of training
 * images: {@link QuantizationTuning}) → {@link PackageCompiler}. Shared by {@code potaccel
 * compile}, {@code potaccel study} and by {@code --device emulator} given an ONNX model.
 */
final class ModelCompilation {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCompilation.class);

  /** The scheme {@code --device emulator} compiles an ONNX model with. */
  static final QuantizationScheme DEFAULT_SCHEME = QuantizationScheme.INT8;

  /** Images in the tuning split BFT and DoubleQExt score on, unless told otherwise. */
  static final int DEFAULT_TUNE_IMAGES = 500;

  /**
   * What the search steps need beyond the scheme.
   *
   * @param bft run Backwards-Forward Tuning of activation fractional lengths
   * @param bftSweeps BFT sweeps (backward + forward passes)
   * @param tuneSet training images the searches score on (distinct seed from calibration), or
   *     null when no search runs
   * @param memoryTarget DoubleQExt: saving against int8 weights to reach (fraction), or null
   * @param accuracyBudget DoubleQExt: top-1 points it may lose against int8, or null
   * @param log where the searches print their progress and DoubleQExt its curve
   */
  record Tuning(boolean bft, int bftSweeps, LabelledImages tuneSet, Double memoryTarget,
      Double accuracyBudget, PrintWriter log) {
    static final Tuning NONE = new Tuning(false, 0, null, null, null,
        new PrintWriter(new StringWriter()));

    boolean needsTuneSet(SchemeSpec s) {
      return bft || s.method().equals("doubleqext");
    }
  }

  /**
   * What was compiled from what.
   *
   * @param quantized the quantized graph compiled (per-layer SQNR in {@link
   *     QuantizedGraph#layers})
   * @param bft what BFT did, or null
   * @param plan DoubleQExt's plan and curve, or null
   */
  record Result(CompiledPackage compiled, LabelledImages calibration, long seed,
      QuantizedGraph quantized, QuantizationTuning.BftResult bft,
      QuantizationTuning.DoubleQExtPlan plan) {}

  private ModelCompilation() {}

  /**
   * Calibrates {@code m} on {@code calibration} (training images chosen with {@code seed}),
   * quantizes with {@code scheme}, compiles for the default accelerator.
   */
  static Result compile(LoadedModel m, LabelledImages calibration, long seed,
      QuantizationScheme scheme, int threads, ProgressListener progress) {
    return compile(m, calibration, seed, SchemeSpec.of(scheme), threads, progress,
        AcceleratorDescription.DEFAULT, Tuning.NONE);
  }

  /**
   * As {@link #compile(LoadedModel, LabelledImages, long, QuantizationScheme, int,
   * ProgressListener)}, for {@code target}: its PE columns and burst tile the weights, its buffers
   * bound the tile schedules.
   */
  static Result compile(LoadedModel m, LabelledImages calibration, long seed,
      QuantizationScheme scheme, int threads, ProgressListener progress,
      AcceleratorDescription target) {
    return compile(m, calibration, seed, SchemeSpec.of(scheme), threads, progress, target,
        Tuning.NONE);
  }

  /**
   * Any scheme, with DoubleQExt's plan and BFT when asked.
   *
   * @throws IllegalArgumentException when a search is asked for without a tuning set
   */
  static Result compile(LoadedModel m, LabelledImages calibration, long seed, SchemeSpec scheme,
      int threads, ProgressListener progress, AcceleratorDescription target, Tuning tuning) {
    ImagePreprocessing prep = ImagePreprocessing.forModel(m.input().type(), m.metadata(),
        m.name());
    CalibrationStats stats = Calibrator.collect(m.graph(), calibration, prep, threads, progress);
    CompileOptions opts = new CompileOptions(modelName(m), m.sha256(),
        Main.Version.numberOrUnknown(), target);
    Map<String, String> parameters = new TreeMap<>(scheme.parameters());
    parameters.put("calibration_split", calibration.split().id());
    parameters.put("calibration_seed", Long.toString(seed));
    Quantizer.Options qopts = Quantizer.Options.NONE;
    QuantizationTuning.BftResult bft = null;
    QuantizationTuning.DoubleQExtPlan plan = null;
    QuantizationTuning search = null;
    if (tuning.needsTuneSet(scheme)) {
      if (tuning.tuneSet() == null) {
        throw new IllegalArgumentException(scheme.id() + (tuning.bft() ? " with BFT" : "")
            + " needs a tuning split of training images");
      }
      if (tuning.tuneSet().split() != FashionMnist.Split.TRAIN) {
        throw new IllegalArgumentException("the tuning split must be training images, got the "
            + tuning.tuneSet().split().id() + " split");
      }
      search = new QuantizationTuning(m.graph(), stats, scheme, opts,
          new SplitEvaluator(m, tuning.tuneSet(), threads), tuning.log());
      qopts = qopts.withCache(search.cache());
      parameters.put("tuning_split", tuning.tuneSet().split().id() + ", "
          + tuning.tuneSet().size() + " images (seed " + (seed + 1) + ")");
    }
    if (scheme.method().equals("doubleqext")) {
      plan = search.doubleQExt(tuning.memoryTarget(), tuning.accuracyBudget());
      qopts = qopts.withLayerSchemes(plan.layers());
      parameters.put("doubleqext_rule", plan.rule());
      parameters.put("doubleqext_memory_saving", String.format(java.util.Locale.ROOT, "%.4f",
          plan.memorySaving()));
      StringBuilder pot = new StringBuilder();
      plan.layers().forEach((k, v) -> {
        if (v.id().equals("doubleq")) {
          pot.append(pot.length() > 0 ? "," : "").append(k);
        }
      });
      parameters.put("doubleqext_pot_layers", pot.toString());
    }
    QuantizedGraph q = Quantizer.quantize(m.graph(), stats, scheme, qopts);
    if (tuning.bft()) {
      bft = search.bft(q, qopts, Math.max(1, tuning.bftSweeps()));
      qopts = qopts.withActivationFracs(bft.fracs());
      q = Quantizer.quantize(m.graph(), stats, scheme, qopts);
      parameters.put("bft", "per-value activation fractional lengths tuned on the tuning split:"
          + " top-1 " + bft.start() + " -> " + bft.end() + ", " + bft.steps().size()
          + " changes");
    }
    q = q.withParameters(parameters);
    return new Result(PackageCompiler.compile(q, opts), calibration, seed, q, bft, plan);
  }

  /**
   * Compiles an ONNX model in memory for {@code --device emulator}: the default scheme,
   * {@value Calibrator#DEFAULT_IMAGES} calibration images from the training split in {@code
   * trainingData}, or, when it has none, the same images from the bundled sample (which holds
   * exactly the default calibration set), so the emulator works offline.
   */
  static CompiledPackage forEmulator(LoadedModel m, Path trainingData, int threads) {
    FashionMnist data = FashionMnist.installedOrBundled(trainingData, FashionMnist.Split.TRAIN);
    if (data.isBundledSample()) {
      LOG.info("{}: no Fashion-MNIST training split in {}; calibrating on the bundled {}"
          + " training images (the default calibration set)", m.name(), trainingData,
          FashionMnist.BUNDLED_CALIBRATION_IMAGES);
    }
    long start = System.nanoTime();
    Result r = compile(m, data.calibration(Calibrator.DEFAULT_IMAGES, Calibrator.DEFAULT_SEED),
        Calibrator.DEFAULT_SEED, DEFAULT_SCHEME, threads, ProgressListener.NONE);
    LOG.info("{}: compiled for the emulator with {} (calibrated on {} training images, seed {})"
        + " in {} ms", m.name(), DEFAULT_SCHEME, r.calibration().size(), r.seed(),
        (System.nanoTime() - start) / 1_000_000);
    return r.compiled();
  }

  /** "lenet5" for lenet5.onnx. */
  static String modelName(LoadedModel m) {
    String file = m.name();
    int dot = file.lastIndexOf('.');
    return dot > 0 ? file.substring(0, dot) : file;
  }
}
