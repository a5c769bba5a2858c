package dev.potaccel.quantize.levels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.protocol.pkg.WeightFormat;
import dev.potaccel.quantize.WeightCodebook;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-layer weight schemes: formats, codes, and error against §4.4's level-set SQNR. */
class WeightSchemeTest {
  private static final int M = 16;
  private static final int PER = 4096;

  /** A layer of Gaussian weights, channel m scaled by 2^(m/5) so per-channel scales matter. */
  static float[] gaussianLayer(long seed) {
    double[] g = Samples.gaussian(seed, M * PER);
    float[] w = new float[g.length];
    for (int i = 0; i < g.length; i++) {
      w[i] = (float) (0.05 * g[i] * Math.pow(2, (i / PER) / 5.0));
    }
    return w;
  }

  private static void assertCodebookRules(QuantizedLayer l) {
    WeightCodebook cb = l.codebook();
    assertEquals(0, cb.level(0), "code 0 decodes to 0");
    if (cb.format() == WeightFormat.TERMS || cb.format() == WeightFormat.POT) {
      assertTrue(cb.maxTerms() <= 3);
      for (int c = 0; c < 1 << cb.bits(); c++) {
        long sum = cb.terms(c).stream().mapToLong(WeightCodebook.Term::value).sum();
        assertEquals(cb.level(c), sum, "terms of code " + c);
      }
    }
    if (cb.format() == WeightFormat.POT) {
      assertEquals(0, cb.level(1 << (cb.bits() - 1)), "reserved POT code");
    }
  }

  @Test
  void baselinesMatchTheExistingRules() {
    float[] w = {0.5f, -1.0f, 0.26f, 0.0f, 3.0f, -0.75f, 0.001f, 1.5f};
    QuantizedLayer i8 = WeightScheme.named("int8", 0).quantizeLayer(w, 2, 4);
    // channel 0: max 1.0 -> F = 6 (64 <= 127 < 128); 0.5 -> 32, -1 -> -64, 0.26 -> 16.64 -> 17
    assertArrayEquals(new int[] {6, 5}, i8.frac());
    assertEquals(32, i8.codes()[0]);
    assertEquals(-64 & 0xFF, i8.codes()[1]);
    assertEquals(17, i8.codes()[2]);
    QuantizedLayer p4 = WeightScheme.named("pot4", 0).quantizeLayer(w, 2, 4);
    assertEquals(WeightCodebook.pot(4, 0), p4.codebook());
    // channel 0: max 1.0, largest F with 2^F < 96 is 6: -1 -> -64 = code 8|7
    assertEquals(6, p4.frac()[0]);
    assertEquals(8 | 7, p4.codes()[1]);
    assertCodebookRules(p4);
  }

  @Test
  void everyNamedSchemeProducesValidCodebooks() {
    float[] w = gaussianLayer(1);
    for (String id : List.of("int8", "pot4", "apot4", "kalali", "doubleq", "upot", "lut", "ggd")) {
      QuantizedLayer l = WeightScheme.named(id, 0).quantizeLayer(w, M, PER);
      assertCodebookRules(l);
      assertEquals(M, l.outChannels());
      assertTrue(l.sqnrDb(w) > 10, id + ": " + l.sqnrDb(w));
    }
    assertEquals(WeightFormat.TERMS, WeightScheme.named("kalali", 0).quantizeLayer(w, M, PER)
        .codebook().format());
    assertEquals(WeightFormat.LUT, WeightScheme.named("lut", 3).quantizeLayer(w, M, PER)
        .codebook().format());
    assertThrows(IllegalArgumentException.class, () -> WeightScheme.named("upot", 5));
    assertThrows(IllegalArgumentException.class, () -> WeightScheme.named("pot4", 3));
  }

  /**
   * A power-of-two scale cannot beat the free α of §4.4, and for sets whose error is flat in
   * log α (many exponents) it loses little: each scheme lands below its §4.4 value and within a
   * bound set by how much of an octave its α can miss.
   */
  @Test
  void sqnrAgainstTheDistributionLevelValues() {
    float[] w = gaussianLayer(2);
    double apot = LevelSetWeights.apot4().quantizeLayer(w, M, PER).sqnrDb(w);
    assertBetween(19.17 - 1.5, 19.17 + 0.1, apot, "apot4 vs §4.4 19.17");
    double kalali = WeightScheme.named("kalali", 0).quantizeLayer(w, M, PER).sqnrDb(w);
    assertBetween(24.32 - 2.0, 24.32 + 0.1, kalali, "kalali vs §4.4 24.32");
    double sd = new KalaliWeights(true, KalaliWeights.FracRule.MAX_ABS)
        .quantizeLayer(w, M, PER).sqnrDb(w);
    assertBetween(28.62 - 2.5, 28.62 + 0.1, sd, "kalali-sd vs §4.4 28.62");
    double pot4 = WeightScheme.named("pot4", 0).quantizeLayer(w, M, PER).sqnrDb(w);
    assertBetween(14.23 - 1.5, 14.23 + 0.1, pot4, "pot4 vs §4.4 14.23");
    double int8 = WeightScheme.named("int8", 0).quantizeLayer(w, M, PER).sqnrDb(w);
    assertBetween(40.54 - 6.5, 40.54 + 0.1, int8, "int8 max-abs vs exact 40.54");
  }

  @Test
  void upotSearchBeatsFixedSets() {
    float[] w = gaussianLayer(3);
    double upot4 = new UpotWeights(4, true).quantizeLayer(w, M, PER).sqnrDb(w);
    double apot4 = LevelSetWeights.apot4().quantizeLayer(w, M, PER).sqnrDb(w);
    assertTrue(upot4 >= apot4 - 1e-9, "UPoT's search space contains APoT: " + upot4 + " vs "
        + apot4);
    assertTrue(UpotWeights.candidates(4).size() > 100);
    double upot3 = new UpotWeights(3, false).quantizeLayer(w, M, PER).sqnrDb(w);
    double upot2 = new UpotWeights(2, false).quantizeLayer(w, M, PER).sqnrDb(w);
    assertTrue(upot2 < upot3, upot2 + " " + upot3);
  }

  @Test
  void doubleqIsThePowerOfTwoOfTheInt8Code() {
    float[] w = gaussianLayer(4);
    QuantizedLayer i8 = UniformWeights.int8Baseline().quantizeLayer(w, M, PER);
    QuantizedLayer dq = new DoubleQWeights(Rounding.LINEAR).quantizeLayer(w, M, PER);
    assertEquals(WeightCodebook.pot(5, 0), dq.codebook());
    assertArrayEquals(i8.frac(), dq.frac());
    for (int i = 0; i < 2000; i++) {
      int q = (byte) i8.codes()[i];
      int v = dq.codebook().level(dq.codes()[i]);
      int a = Math.abs(q);
      int expected = a == 0 ? 0 : a >= 96 ? 128 : Integer.highestOneBit(a)
          * (a >= 1.5 * Integer.highestOneBit(a) ? 2 : 1);
      assertEquals(q < 0 ? -expected : expected, v, "q=" + q);
    }
  }

  @Test
  void doubleqExtConvertsTheLeastSensitiveLayersFirst() {
    DoubleQExt.Layer a = new DoubleQExt.Layer("a", gaussianLayer(5), M, PER);
    float[] lap = new float[M * PER];
    double[] l = Samples.laplacian(6, lap.length);
    for (int i = 0; i < lap.length; i++) {
      lap[i] = (float) (0.05 * l[i]);
    }
    DoubleQExt.Layer b = new DoubleQExt.Layer("b", lap, M, PER);
    List<DoubleQExt.Score> scores = DoubleQExt.score(List.of(a, b));
    Map<String, WeightScheme> plan = DoubleQExt.plan(scores, 0.5);
    long pot = plan.values().stream().filter(s -> s instanceof DoubleQWeights).count();
    assertEquals(1, pot);
    DoubleQExt.Score least = scores.get(0).lossDb() <= scores.get(1).lossDb() ? scores.get(0)
        : scores.get(1);
    assertTrue(plan.get(least.name()) instanceof DoubleQWeights);
  }

  @Test
  void lutLevelsAreKQuantileMeansOnOneScale() {
    float[] w = gaussianLayer(7);
    QuantizedLayer l = new QuantileLutWeights(3, 0).quantizeLayer(w, M, PER);
    int[] levels = l.codebook().levels();
    assertEquals(0, levels[0]);
    assertEquals(0, levels[7], "the spare code");
    for (int c = 2; c < 7; c++) {
      assertTrue(levels[c] > levels[c - 1], "ascending LUT " + java.util.Arrays.toString(levels));
    }
    assertTrue(Math.max(-levels[1], levels[6]) <= 127);
    for (int f : l.frac()) {
      assertEquals(l.frac()[0], f, "one scale per layer");
    }
    // Lloyd steps can only lower the error of the k-quantile start
    double kq = l.sqnrDb(w);
    double lloyd = new QuantileLutWeights(3, 10).quantizeLayer(w, M, PER).sqnrDb(w);
    assertTrue(lloyd >= kq - 0.05, kq + " " + lloyd);
  }

  @Test
  void ggdWeightsMinimizeTheErrorOverFractionalLengths() {
    float[] w = gaussianLayer(8);
    QuantizedLayer g = UniformWeights.ggd(4).quantizeLayer(w, M, PER);
    double best = g.sqnrDb(w);
    for (int f = g.frac()[0] - 2; f <= g.frac()[0] + 2; f++) {
      double sq = 0;
      double err = 0;
      for (float x : w) {
        double q = Math.max(-8, Math.min(7, Math.round(Math.scalb((double) x, f))));
        double e = x - Math.scalb(q, -f);
        sq += x * x;
        err += e * e;
      }
      assertTrue(Sqnr.db(sq, err) <= best + 1e-6, "F=" + f);
    }
  }

  @Test
  void biasLimitsCapTheFraction() {
    float[] w = gaussianLayer(9);
    int[] limit = WeightScheme.biasFracLimits(new float[] {1e6f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0}, 8);
    assertTrue(limit[0] < 8 && limit[1] == 40);
    QuantizedLayer l = WeightScheme.named("upot", 3).quantizeLayer(w, M, PER, limit);
    assertTrue(l.frac()[0] <= limit[0]);
    assertTrue(Math.abs(Math.scalb(1e6, 8 + l.frac()[0])) <= WeightScheme.BIAS_LIMIT);
  }

  @Test
  void codebookFactories() {
    assertEquals(List.of(new WeightCodebook.Term(false, 3), new WeightCodebook.Term(true, 0)),
        WeightCodebook.naf(7));
    assertEquals(2, LevelSet.twoTerms(7, true).maxTerms());
    assertEquals(3, LevelSet.setBits(8, 3).maxTerms());
    assertEquals(8, LevelSet.setBits(8, 3).codeBits());
    assertEquals(7, LevelSet.twoTerms(7, false).codeBits());
    assertThrows(IllegalArgumentException.class,
        () -> WeightCodebook.terms(2, new int[] {0, 1, 15 + 64 + 256, 0})); // 4 NAF terms
    assertThrows(IllegalArgumentException.class,
        () -> WeightCodebook.lut(2, new int[] {0, 1 << 15, 0, 0}));
    assertEquals(WeightCodebook.pot(4, 0), LevelSet.pot(7).codebook());
  }

  private static void assertBetween(double lo, double hi, double v, String what) {
    assertTrue(v >= lo && v <= hi, what + ": " + v + " not in [" + lo + ", " + hi + "]");
  }
}
