package dev.potaccel.quantize.levels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The research computed §4.4 by Monte Carlo with 4e5 samples and α optimized on those samples.
 * These tests check that the empirical machinery agrees with the exact integrals, and show why
 * the int8 Gaussian entry (40.63 dB) sits 0.09 dB above the exact 40.54 dB.
 */
class MonteCarloTest {
  private static final int N = 400_000;

  @Test
  void sampleEstimateAgreesWithExactIntegral() {
    ScalarQuantizer q = LevelSet.twoTerms(7, true).quantizer(Rounding.LINEAR);
    Sqnr.Optimum exact = Sqnr.optimalScale(Source.gaussian(), q, 0.02);
    EmpiricalDistribution d = EmpiricalDistribution.of(Samples.gaussian(0, N));
    // at the exact optimum scale, the 4e5-sample SQNR is the exact one within sampling error
    assertEquals(exact.sqnrDb(), d.sqnrDb(q, exact.scale()), 0.03);
    assertEquals(28.62, d.optimalScale(q, 0.02).sqnrDb(), 0.05, "§4.4 2^a+-2^b Gaussian");
  }

  /**
   * In-sample optimization of the int8 step fits each sample's few points beyond ±3.9σ: over
   * seeds the estimate scatters by about 0.1 dB around (and above) the exact value, enough to
   * reach the published 40.63.
   */
  @Test
  void int8GaussianMonteCarloSpreadCoversThePublishedValue() {
    ScalarQuantizer q = ScalarQuantizer.uniformMidtread(127);
    double exact = Sqnr.optimalScale(Source.gaussian(), q, 0.03).sqnrDb();
    assertEquals(40.54, exact, 0.01);
    double max = Double.NEGATIVE_INFINITY;
    double min = Double.POSITIVE_INFINITY;
    for (long seed = 0; seed < 8; seed++) {
      double db = EmpiricalDistribution.of(Samples.gaussian(seed, N)).optimalScale(q, 0.03)
          .sqnrDb();
      max = Math.max(max, db);
      min = Math.min(min, db);
    }
    assertTrue(min < exact + 0.03 && max > 40.60, "MC range [" + min + ", " + max + "]");
  }
}
