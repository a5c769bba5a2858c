package dev.potaccel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.InputBatch;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.device.EmulatorSession;
import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.CodebookEntry;
import dev.potaccel.protocol.pkg.PackageFile;
import dev.potaccel.protocol.pkg.PowerOfTwoTerm;
import dev.potaccel.protocol.pkg.WeightFormat;
import dev.potaccel.quantize.LayerQuality;
import dev.potaccel.quantize.SchemeSpec;
import dev.potaccel.testing.RequiredData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every scheme of {@code potaccel compile --scheme} end to end on LeNet-5: calibrated on training
 * images, compiled, run through the emulator on the first 256 test images, its top-1 compared
 * with the FP32 model's on the same images, and its per-layer weight SQNR checked against what
 * the level set can reach (research/quantization.md §4.3–4.4).
 */
class AllSchemesEmulatorTest {
  private static final Path MODEL = Path.of("../models/lenet5.onnx");
  private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");
  private static final int IMAGES = 256;

  private static FashionMnist dataset;
  private static LoadedModel model;
  private static LabelledImages calibration;
  private static LabelledImages test;
  private static List<Integer> labels;
  private static int[] fp32;

  @TempDir
  Path dir;

  @BeforeAll
  static void fp32Predictions() {
    dataset = FashionMnist.directory(RequiredData.debianDir(DATA, FashionMnist.DEBIAN_PACKAGE));
    model = LoadedModel.read(MODEL);
    calibration = dataset.calibration(Calibrator.DEFAULT_IMAGES, Calibrator.DEFAULT_SEED);
    test = dataset.test(IMAGES);
    labels = new ArrayList<>();
    List<Integer> predicted = new ArrayList<>();
    try (CpuEngine e = new CpuEngine(model.graph(), 2)) {
      for (Iterator<InputBatch> it = test.batches(IMAGES, prep()); it.hasNext(); ) {
        InputBatch b = it.next();
        Map<String, Tensor> y = e.run(Map.of(model.input().name(), b.tensor()));
        predicted.addAll(argmax(y.get(model.output().name())));
        labels.addAll(b.labels());
      }
    }
    fp32 = predicted.stream().mapToInt(Integer::intValue).toArray();
  }

  private static ImagePreprocessing prep() {
    return ImagePreprocessing.forModel(model.input().type(), model.metadata(), model.name());
  }

  private static List<Integer> argmax(Tensor scores) {
    List<Integer> out = new ArrayList<>();
    int classes = scores.dim(1);
    for (int i = 0; i < scores.dim(0); i++) {
      int best = 0;
      for (int k = 1; k < classes; k++) {
        if (scores.getDouble(i * classes + k) > scores.getDouble(i * classes + best)) {
          best = k;
        }
      }
      out.add(best);
    }
    return out;
  }

  private static int[] emulatorPredictions(AcceleratorPackage pkg) {
    List<Integer> predicted = new ArrayList<>();
    try (EmulatorSession s = EmulatorSession.open(pkg, 2)) {
      for (Iterator<InputBatch> it = test.batches(IMAGES, prep()); it.hasNext(); ) {
        predicted.addAll(argmax(s.run(it.next().tensor())));
      }
    }
    return predicted.stream().mapToInt(Integer::intValue).toArray();
  }

  private static ModelCompilation.Result compile(SchemeSpec s, ModelCompilation.Tuning t) {
    return ModelCompilation.compile(model, calibration, Calibrator.DEFAULT_SEED, s, 2,
        ProgressListener.NONE, AcceleratorDescription.DEFAULT, t);
  }

  private static ModelCompilation.Tuning tuning(boolean bft, Double memoryTarget,
      Double budget, StringWriter log) {
    return new ModelCompilation.Tuning(bft, 1, dataset.calibration(200,
        Calibrator.DEFAULT_SEED + 1), memoryTarget, budget, new PrintWriter(log));
  }

  /**
   * @param formats the weight formats the scheme may use (UPoT's searched subsets at 2 and 3
   *     bits are often single powers of two, which the library stores as POT)
   * @param agree the least fraction of the 256 images whose top-1 class must equal FP32's: 95%
   *     for 8-bit-like weights (above 35 dB), 85% for 4-bit and two-term sets (14–24 dB), 40% for
   *     2-bit UPoT (a 3-level ternary set without retraining: a sanity floor, 4x chance)
   * @param minDb, maxDb the band every layer's weight SQNR must fall in: research §4.4 (single PoT
   *     saturates near 14.2 dB on Gaussian/Laplacian weights; APoT-4 17–19 dB; two-term 24 dB;
   *     uniform int8 35–41 dB) widened by a few dB for real layers' heavier tails; k-quantile LUT
   *     levels spend codes on the dense middle, not on MSE, so 8-bit LUT sits well below int8
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "int8, 8, INT8, 0.95, 33, 45",
      "pot4, 4, POT, 0.85, 11, 16",
      "apot4, 4, TERMS, 0.85, 14, 21",
      "ggd, 8, INT8, 0.95, 30, 45",
      "doubleq, 5, POT, 0.85, 11, 16",
      "upot, 2, POT TERMS, 0.40, 3, 10",
      "upot, 3, POT TERMS, 0.85, 8, 16",
      "upot, 4, TERMS, 0.85, 14, 21",
      "kalali, 7, TERMS, 0.85, 20, 28",
      "lut, 4, LUT, 0.85, 10, 21",
      "lut, 8, LUT, 0.95, 20, 50"})
  void everySchemeCompilesRunsAndAgreesWithFp32(String method, int bits, String formats,
      double agree, double minDb, double maxDb) throws Exception {
    SchemeSpec s = SchemeSpec.parse(method, bits);
    ModelCompilation.Result r = compile(s, ModelCompilation.Tuning.NONE);
    Path file = dir.resolve(s.id() + ".potpkg");
    PackageFile.write(r.compiled().pkg(), file);
    AcceleratorPackage pkg = PackageFile.read(file); // validates codebooks and requirements
    assertEquals(s.id(), pkg.getProvenance().getScheme());
    for (WeightFormat f : pkg.getRequirements().getWeightFormatsList()) {
      assertTrue(List.of(formats.split(" ")).contains(f.name()), s + " uses " + f);
    }
    for (Codebook cb : pkg.getCodebooksList()) {
      assertEquals(bits, cb.getBits(), s + " codebook width");
      if (cb.getFormat() == WeightFormat.TERMS) {
        assertTermsAddUp(cb);
      }
    }
    int[] got = emulatorPredictions(pkg);
    int same = 0;
    int hits = 0;
    for (int i = 0; i < got.length; i++) {
      same += got[i] == fp32[i] ? 1 : 0;
      hits += got[i] == labels.get(i) ? 1 : 0;
    }
    System.out.printf(Locale.ROOT, "lenet5 %-7s top-1 %.2f%% on %d test images, agrees with FP32"
        + " on %.2f%%%n", s.id(), 100.0 * hits / got.length, got.length, 100.0 * same / got.length);
    assertEquals(IMAGES, got.length);
    assertTrue(same >= agree * got.length, s + ": agrees with FP32 on " + same + " of "
        + got.length);
    assertEquals(5, r.quantized().layers().size(), "one SQNR per weighted layer");
    for (LayerQuality l : r.quantized().layers().values()) {
      assertTrue(l.sqnrDb() >= minDb && l.sqnrDb() <= maxDb, s + " layer " + l.node() + ": "
          + l.sqnrDb() + " dB outside [" + minDb + ", " + maxDb + "]");
    }
  }

  /** Each TERMS entry's terms sum to its value, and max_terms bounds them (accelerator.md §2). */
  private static void assertTermsAddUp(Codebook cb) {
    int most = 0;
    for (CodebookEntry e : cb.getEntriesList()) {
      long sum = 0;
      for (PowerOfTwoTerm t : e.getTermsList()) {
        sum += (t.getNegative() ? -1L : 1L) << t.getExponent();
      }
      assertEquals(e.getValue(), sum, "entry " + e);
      most = Math.max(most, e.getTermsCount());
    }
    assertEquals(most, cb.getMaxTerms());
  }

  @Test
  void int8ReachesTheBriefsFloor() {
    int[] got = emulatorPredictions(compile(SchemeSpec.parse("int8", null),
        ModelCompilation.Tuning.NONE).compiled().pkg());
    int hits = 0;
    for (int i = 0; i < got.length; i++) {
      hits += got[i] == labels.get(i) ? 1 : 0;
    }
    assertTrue(hits >= 0.88 * got.length, "int8 top-1 " + hits + "/" + got.length);
  }

  @Test
  void kalaliNeedsTwoShiftersAndSaysSo() {
    AcceleratorPackage pkg = compile(SchemeSpec.parse("kalali", null),
        ModelCompilation.Tuning.NONE).compiled().pkg();
    assertEquals(2, pkg.getRequirements().getMaxTerms()); // 2^a + 2^b, a > b: NAF of 2 terms
  }

  @Test
  void doubleQExtReachesTheMemoryTargetAndPrintsTheCurve() {
    StringWriter log = new StringWriter();
    ModelCompilation.Result r = compile(SchemeSpec.parse("doubleqext", null),
        tuning(false, 0.2305, null, log));
    QuantizationTuning.DoubleQExtPlan plan = r.plan();
    assertEquals(6, plan.curve().size(), "k = 0..5 layers converted");
    assertTrue(plan.memorySaving() >= 0.2305, "saving " + plan.memorySaving());
    assertTrue(plan.chosen() < 5 || plan.curve().get(4).memorySaving() < 0.2305,
        "the smallest k reaching the target");
    for (int k = 1; k < plan.curve().size(); k++) {
      assertTrue(plan.curve().get(k).memorySaving() > plan.curve().get(k - 1).memorySaving());
    }
    assertEquals(0.375, plan.curve().get(5).memorySaving(), 1e-12, "all PoT: 3 of 8 bits");
    assertTrue(log.toString().contains("<- chosen"), log.toString());
    long pot = r.quantized().layers().values().stream()
        .filter(l -> l.scheme().equals("doubleq")).count();
    assertEquals(plan.chosen(), pot);
  }

  @Test
  void doubleQExtWithAZeroBudgetNeverLosesOnTheTuningSplit() {
    ModelCompilation.Result r = compile(SchemeSpec.parse("doubleqext", null),
        tuning(false, null, 0.0, new StringWriter()));
    QuantizationTuning.DoubleQExtPlan plan = r.plan();
    assertTrue(plan.curve().get(plan.chosen()).score().top1Hits()
        >= plan.curve().get(0).score().top1Hits());
  }

  @Test
  void bftNeverEndsBelowItsStartOnTheTuningSplit() {
    StringWriter log = new StringWriter();
    ModelCompilation.Result r = compile(SchemeSpec.parse("ggd", null),
        tuning(true, null, null, log));
    assertTrue(r.bft().end().compareTo(r.bft().start()) >= 0, log.toString());
    assertTrue(r.compiled().pkg().getProvenance().getSchemeParametersMap().containsKey("bft"));
    assertTrue(log.toString().contains("bft          end:"), log.toString());
  }

  @Test
  void compileAndEvalFromTheCommandLine() throws Exception {
    Path out = dir.resolve("upot3.potpkg");
    CliRun c = CliRun.of("compile", "--model", MODEL.toString(), "--scheme", "upot", "--bits",
        "3", "--data", DATA.toString(), "--threads", "2", "-o", out.toString());
    assertEquals(0, c.exitCode(), c.transcript());
    assertTrue(c.out().contains("scheme       upot3"), c.out());
    assertTrue(c.out().contains("sqnr         weight SQNR mean"), c.out());
    CliRun e = CliRun.of("eval", "--model", out.toString(), "--device", "emulator", "--data",
        DATA.toString(), "--limit", "64", "--json");
    assertEquals(0, e.exitCode(), e.transcript());
    JsonObject o = JsonParser.parseString(e.out()).getAsJsonObject();
    assertEquals(64, o.get("images").getAsInt());
  }

  @Test
  void aWidthTheMethodDoesNotTakeIsAUsageError() {
    CliRun c = CliRun.of("compile", "--model", MODEL.toString(), "--scheme", "upot", "--bits",
        "5", "--data", DATA.toString(), "-o", dir.resolve("x.potpkg").toString());
    assertEquals(2, c.exitCode(), c.transcript());
    assertTrue(c.err().contains("upot takes --bits 2, 3 or 4, got 5"), c.err());
    CliRun k = CliRun.of("compile", "--model", MODEL.toString(), "--scheme", "kalali",
        "--bits", "4", "--data", DATA.toString(), "-o", dir.resolve("x.potpkg").toString());
    assertEquals(2, k.exitCode(), k.transcript());
    assertTrue(k.err().contains("kalali has a fixed code width of 7 bits"), k.err());
  }
}
