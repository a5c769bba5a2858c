package dev.potaccel.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.ModelMetadata;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Node;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.quantize.ActivationFormat;
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.QuantizedGraph;
import dev.potaccel.quantize.QuantizedWeights;
import dev.potaccel.quantize.Quantizer;
import dev.potaccel.quantize.levels.GeneralizedGamma;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pictures' data from real values: LeNet-5's weights under POT-4, checked against the POT-4
 * rounding rule written out again here (docs/accelerator.md §2, QuantizationScheme.POT4), and an
 * activation sample drawn from a known generalized gamma distribution.
 */
class PicturesTest {
  static QuantizedGraph pot4;
  static CalibrationStats stats;

  @BeforeAll
  static void quantizeLenet() {
    Path model = Path.of("../models/lenet5.onnx");
    Graph g = OnnxImporter.read(model);
    ImagePreprocessing prep = ImagePreprocessing.forModel(g.inputs().get(0).type(),
        ModelMetadata.readSidecar(model).orElseThrow(), "lenet5.onnx");
    stats = Calibrator.collect(g, FashionMnist.bundledSample().calibration(
        Calibrator.DEFAULT_IMAGES, Calibrator.DEFAULT_SEED), prep, 2, ProgressListener.NONE);
    pot4 = Quantizer.quantize(g, stats, QuantizationScheme.POT4);
  }

  /** POT-4's level for a weight already on its channel's scale: nearest, midpoints 1.5·2^e. */
  private static int pot4Level(double a) {
    double m = Math.abs(a);
    int level = 0;
    if (m >= 0.5) {
      level = 1;
      for (int e = 1; e <= 6; e++) {
        if (m >= 1.5 * (1 << (e - 1))) {
          level = 1 << e;
        }
      }
    }
    return a < 0 ? -level : level;
  }

  @Test
  void pot4WeightsLandOnTheLevelsTheRuleGives() {
    Graph g = pot4.graph();
    Node conv2 = g.nodes().stream().filter(n -> n.name().equals("/conv2/Conv")).findFirst()
        .orElseThrow();
    QuantizedWeights q = pot4.weightsOf(conv2.name());
    float[] w = ReportLayers.fp32Weights(g, conv2);
    WeightPicture p = WeightPicture.of(w, q);

    assertArrayEquals(new int[] {-64, -32, -16, -8, -4, -2, -1, 0, 1, 2, 4, 8, 16, 32, 64},
        p.levels(), "POT-4 levels are 0 and ±2^0..±2^6, all within the weights' range");
    assertEquals(0, p.levelsBeyond());
    int[] frac = q.frac();
    long[] expected = new long[p.levels().length];
    double maxScaled = 0;
    for (int m = 0; m < q.outChannels(); m++) {
      for (int j = 0; j < q.perChannel(); j++) {
        double a = Math.scalb((double) w[m * q.perChannel() + j], frac[m]);
        maxScaled = Math.max(maxScaled, Math.abs(a));
        int level = pot4Level(a);
        for (int i = 0; i < expected.length; i++) {
          if (p.levels()[i] == level) {
            expected[i]++;
          }
        }
      }
    }
    assertArrayEquals(expected, p.levelUse());
    assertEquals(16 * 6 * 5 * 5, p.histogram().total());
    assertEquals(0, p.histogram().below() + p.histogram().above());
    // the scale puts the largest weight of some channel between the top level's midpoints
    assertTrue(maxScaled >= 48 && maxScaled < 96, "max scaled weight " + maxScaled);
    assertEquals(maxScaled * 1.04, p.histogram().hi(), 1e-9);
  }

  @Test
  void aReluActivationIsPictured() {
    Graph g = pot4.graph();
    Node conv1 = g.nodes().stream().filter(n -> n.name().equals("/conv1/Conv")).findFirst()
        .orElseThrow();
    String value = ReportLayers.producedActivation(g, conv1);
    assertEquals("/Relu_output_0", value);
    ActivationFormat f = pot4.activation(value);
    float[] sample = stats.sample(value);
    ActivationPicture a = ActivationPicture.of(value, sample, f);
    long zeros = 0;
    double max = 0;
    for (float v : sample) {
      zeros += v == 0 ? 1 : 0;
      max = Math.max(max, v);
    }
    assertEquals(zeros, a.zeros());
    assertEquals(sample.length - zeros, a.histogram().total());
    assertEquals(max, a.maxAbs(), 0);
    assertEquals(255 * Math.scalb(1.0, -f.frac()), a.clip(), 0);
    // the max-abs rule covers the largest value with the smallest power-of-two step
    assertTrue(a.clip() >= max && a.clip() < 2 * max + 1e-9, a.clip() + " vs " + max);
    assertTrue(a.curveX().length > 0, a.fit());
  }

  @Test
  void theFittedCurveFollowsAKnownDistribution() {
    GeneralizedGamma truth = new GeneralizedGamma(1.5, 1.2, 1.4);
    double[] x = truth.sample(7, 30000);
    float[] sample = new float[x.length + 10000]; // plus 10000 exact zeros, as after a ReLU
    for (int i = 0; i < x.length; i++) {
      sample[i] = (float) x[i];
    }
    ActivationPicture a = ActivationPicture.of("x", sample, new ActivationFormat(8, false, 5));
    assertEquals(10000, a.zeros());
    assertEquals(40000, a.samples());
    assertNotNull(a.fit());
    // the drawn curve is a density on the histogram's scale: it integrates to about 1
    double integral = 0;
    double[] cx = a.curveX();
    double[] cy = a.curveY();
    for (int i = 1; i < cx.length; i++) {
      integral += (cx[i] - cx[i - 1]) * (cy[i] + cy[i - 1]) / 2;
    }
    assertEquals(1.0, integral, 0.02);
    // the histogram's densities follow the true density where bins hold ~1000 samples
    double worst = 0;
    int compared = 0;
    for (int i = 0; i < a.histogram().bins(); i++) {
      double mid = a.histogram().edge(i) + a.histogram().binWidth() / 2;
      if (truth.density(mid) > 0.25) {
        compared++;
        worst = Math.max(worst, Math.abs(truth.density(mid) - a.histogram().density(i))
            / truth.density(mid));
      }
    }
    assertTrue(compared >= 5, compared + " bins compared");
    assertTrue(worst < 0.1, "histogram vs true density, worst relative gap " + worst);
    assertEquals(255 / 32.0, a.clip(), 0);
  }
}
