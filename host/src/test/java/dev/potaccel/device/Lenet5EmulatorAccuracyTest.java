package dev.potaccel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonParser;
import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.compile.CompiledPackage;
import dev.potaccel.compile.PackageCompiler;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.InputBatch;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.data.ModelMetadata;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.QuantizedGraph;
import dev.potaccel.quantize.Quantizer;
import dev.potaccel.testing.RequiredData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LeNet-5 compiled with each baseline scheme, calibrated on 256 training images, scored on all
 * 10,000 Fashion-MNIST test images through the emulator. INT8 must stay within 0.3 percentage
 * points of the FP32 top-1 PyTorch measured at training ({@code models/lenet5.json}); POT-4 has no
 * target yet and is printed.
 */
class Lenet5EmulatorAccuracyTest {
  private static final Path MODEL = Path.of("../models/lenet5.onnx");
  private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");
  /** 0.3 percentage points (issue 4). */
  private static final double INT8_TOLERANCE = 0.003;

  private static Path data;
  private static Graph graph;
  private static ModelMetadata meta;
  private static CalibrationStats stats;

  @BeforeAll
  static void calibrate() {
    data = RequiredData.debianDir(DATA, "dataset-fashion-mnist");
    graph = OnnxImporter.read(MODEL);
    meta = ModelMetadata.readSidecar(MODEL).orElseThrow();
    LabelledImages train = FashionMnist.directory(data)
        .calibration(Calibrator.DEFAULT_IMAGES, Calibrator.DEFAULT_SEED);
    stats = Calibrator.collect(graph, train, prep(), 2, ProgressListener.NONE);
  }

  private static ImagePreprocessing prep() {
    return ImagePreprocessing.forModel(graph.inputs().get(0).type(), meta, "lenet5");
  }

  @Test
  void int8StaysWithinAThirdOfAPointOfFp32() throws IOException {
    double fp32 = JsonParser.parseString(Files.readString(Path.of("../models/lenet5.json")))
        .getAsJsonObject().get("fp32_top1").getAsDouble();
    double top1 = accuracy(QuantizationScheme.INT8);
    assertEquals(fp32, top1, INT8_TOLERANCE, "lenet5 INT8 top-1 " + top1 + " vs FP32 " + fp32);
  }

  @Test
  void pot4IsReported() {
    accuracy(QuantizationScheme.POT4);
  }

  private static double accuracy(QuantizationScheme scheme) {
    QuantizedGraph q = Quantizer.quantize(graph, stats, scheme);
    CompiledPackage c = PackageCompiler.compile(q,
        CompileOptions.of("lenet5", "test", "test"));
    LabelledImages test = FashionMnist.directory(data).test();
    int hits = 0;
    long start;
    long end;
    try (EmulatorSession s = EmulatorSession.open(c.pkg(), 2)) {
      start = System.nanoTime();
      for (Iterator<InputBatch> it = test.batches(256, prep()); it.hasNext(); ) {
        InputBatch b = it.next();
        Tensor scores = s.run(b.tensor());
        for (int i = 0; i < b.size(); i++) {
          int best = 0;
          for (int k = 1; k < 10; k++) {
            if (scores.floats()[i * 10 + k] > scores.floats()[i * 10 + best]) {
              best = k;
            }
          }
          hits += best == b.labels().get(i) ? 1 : 0;
        }
      }
      end = System.nanoTime();
    }
    double top1 = hits / (double) test.size();
    System.out.printf(Locale.ROOT, "lenet5 %s through the emulator: top-1 %.2f%% (%d/%d), %.0f"
        + " images/s on 2 threads; weights %d bytes packed, %.0f ideal (+%.2f%%)%n", scheme,
        100 * top1, hits, test.size(), test.size() / ((end - start) / 1e9),
        c.packedWeightBytes(), c.idealWeightBytes(), 100 * c.packingOverhead());
    return top1;
  }
}
