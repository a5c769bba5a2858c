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
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The flow from an ONNX model to a compiled package: calibration images from the Fashion-MNIST
 * training split → {@link Calibrator} → {@link Quantizer} → {@link PackageCompiler}. Shared by
 * {@code potaccel compile} and by {@code --device emulator} given an ONNX model.
 */
final class ModelCompilation {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCompilation.class);

  /** The scheme {@code --device emulator} compiles an ONNX model with. */
  static final QuantizationScheme DEFAULT_SCHEME = QuantizationScheme.INT8;

  /** What was compiled from what. */
  record Result(CompiledPackage compiled, LabelledImages calibration, long seed) {}

  private ModelCompilation() {}

  /**
   * Calibrates {@code m} on {@code calibration} (training images chosen with {@code seed}),
   * quantizes with {@code scheme}, compiles for the default accelerator.
   */
  static Result compile(LoadedModel m, LabelledImages calibration, long seed,
      QuantizationScheme scheme, int threads, ProgressListener progress) {
    return compile(m, calibration, seed, scheme, threads, progress,
        AcceleratorDescription.DEFAULT);
  }

  /**
   * As {@link #compile(LoadedModel, LabelledImages, long, QuantizationScheme, int,
   * ProgressListener)}, for {@code target}: its PE columns and burst tile the weights, its buffers
   * bound the tile schedules.
   */
  static Result compile(LoadedModel m, LabelledImages calibration, long seed,
      QuantizationScheme scheme, int threads, ProgressListener progress,
      AcceleratorDescription target) {
    ImagePreprocessing prep = ImagePreprocessing.forModel(m.input().type(), m.metadata(),
        m.name());
    CalibrationStats stats = Calibrator.collect(m.graph(), calibration, prep, threads, progress);
    QuantizedGraph q = Quantizer.quantize(m.graph(), stats, scheme);
    Map<String, String> parameters = new TreeMap<>(q.parameters());
    parameters.put("calibration_split", calibration.split().id());
    parameters.put("calibration_seed", Long.toString(seed));
    q = new QuantizedGraph(q.graph(), q.scheme(), parameters, q.weights(), q.activations(),
        q.calibrationImages(), q.calibrationSha256());
    CompileOptions opts = new CompileOptions(modelName(m), m.sha256(),
        Main.Version.numberOrUnknown(), target);
    return new Result(PackageCompiler.compile(q, opts), calibration, seed);
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
