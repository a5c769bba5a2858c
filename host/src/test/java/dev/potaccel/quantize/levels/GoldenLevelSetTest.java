package dev.potaccel.quantize.levels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * research/quantization.md §4.4: PoT and sum-of-PoT level sets on unit-variance Gaussian and
 * Laplacian sources with the scale α optimized. The research used Monte Carlo (4e5 samples,
 * seed 0); these are fixed level sets with one scale, so the test integrates exactly and
 * optimizes α on the exact MSE (a Monte Carlo cross-check is in {@link MonteCarloTest}). Every
 * row, both columns, ±0.05 dB.
 */
class GoldenLevelSetTest {
  private static final double DB = 0.05;

  private static void row(LevelSet set, Rounding r, double gaussian, double laplacian) {
    ScalarQuantizer q = set.quantizer(r);
    double guess = 3.0 / set.max();
    assertEquals(gaussian, Sqnr.optimalScale(Source.gaussian(), q, guess).sqnrDb(), DB,
        set + " " + r + " Gaussian");
    assertEquals(laplacian, Sqnr.optimalScale(Source.laplacian(), q, guess).sqnrDb(), DB,
        set + " " + r + " Laplacian");
  }

  @Test
  void pot() {
    row(LevelSet.pot(3), Rounding.LINEAR, 13.23, 11.51);
    row(LevelSet.pot(3), Rounding.LOG, 12.98, 11.36);
    row(LevelSet.pot(7), Rounding.LINEAR, 14.23, 14.17);
    row(LevelSet.pot(7), Rounding.LOG, 13.85, 13.79);
    row(LevelSet.pot(15), Rounding.LINEAR, 14.23, 14.18);
    row(LevelSet.pot(15), Rounding.LOG, 13.85, 13.80);
  }

  @Test
  void apotAndUniform() {
    assertEquals(8, LevelSet.apot4().size());
    row(LevelSet.apot4(), Rounding.LINEAR, 19.17, 16.91);
    row(LevelSet.uniform(7), Rounding.LINEAR, 18.90, 15.60);
    ScalarQuantizer int8 = LevelSet.uniform(127).quantizer(Rounding.LINEAR);
    assertEquals(35.18, Sqnr.optimalScale(Source.laplacian(), int8, 0.02).sqnrDb(), DB,
        "int8 Laplacian");
    // The Gaussian column's 40.63 is not the exact value; see int8GaussianAsPublished.
    assertEquals(40.54, Sqnr.optimalScale(Source.gaussian(), int8, 0.02).sqnrDb(), DB,
        "int8 Gaussian = §4.3's unsigned midtread b=7 on ReLU(Gaussian), i.e. signed +-127");
  }

  @Disabled("§4.4's 40.63 dB is a Monte Carlo artifact: α optimized on the same 4e5 samples it"
      + " is scored on fits the sample's thin 4-sigma tail. The exact optimum is 40.54 dB, the"
      + " value §4.3 itself publishes for the same quantizer (unsigned midtread b=7 on"
      + " ReLU(Gaussian) 'equals a signed midtread with b+1 bits'), and §2.1's '40.6' is the"
      + " same MC figure. NumPy default_rng(0).standard_normal(400000) with in-sample α gives"
      + " 40.633; MonteCarloTest shows the seed-to-seed spread covers it.")
  @Test
  void int8GaussianAsPublished() {
    row(LevelSet.uniform(127), Rounding.LINEAR, 40.63, 35.18);
  }

  @Test
  void sumsOfPowersOfTwo() {
    assertEquals(37, LevelSet.twoTerms(7, false).size());
    assertEquals(52, LevelSet.twoTerms(7, true).size());
    assertEquals(93, LevelSet.setBits(8, 3).size());
    row(LevelSet.twoTerms(7, false), Rounding.LINEAR, 24.32, 24.27);
    row(LevelSet.twoTerms(7, true), Rounding.LINEAR, 28.62, 28.40);
    row(LevelSet.shiftCnn(2, 4), Rounding.LINEAR, 28.50, 28.02);
    row(LevelSet.setBits(8, 3), Rounding.LINEAR, 33.26, 32.78);
  }
}
