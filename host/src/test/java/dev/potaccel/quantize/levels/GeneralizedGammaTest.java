package dev.potaccel.quantize.levels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The GGD fitter and asymptotic step of research §2.5. */
class GeneralizedGammaTest {
  @Test
  void fitRecoversTheParametersOfItsSamples() {
    GeneralizedGamma truth = new GeneralizedGamma(1.5, 1.2, 0.8);
    GeneralizedGamma fit = GeneralizedGamma.fit(truth.sample(7, 200_000));
    assertEquals(truth.p(), fit.p(), 0.05 * truth.p(), fit.toString());
    assertEquals(truth.d(), fit.d(), 0.05 * truth.d(), fit.toString());
    assertEquals(truth.a(), fit.a(), 0.08 * truth.a(), fit.toString());
  }

  @Test
  void fitFindsHalfGaussianInReluOfGaussian() {
    // ReLU(N(0,1)): zeros skipped, the nonzero part is half-Gaussian d=1, p=2, a=√2
    double[] x = Samples.gaussian(3, 200_000);
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.max(0, x[i]);
    }
    GeneralizedGamma fit = GeneralizedGamma.fit(x);
    assertEquals(2, fit.p(), 0.1, fit.toString());
    assertEquals(1, fit.d(), 0.05, fit.toString());
    assertEquals(Math.sqrt(2), fit.a(), 0.05, fit.toString());
  }

  /** Closed-form tails against quadrature (research §2.5 "checked numerically"). */
  @Test
  void closedFormTailMatchesQuadrature() {
    GeneralizedGamma g = new GeneralizedGamma(0.7, 1.6, 1.3);
    for (double t : new double[] {0.1, 0.8, 2.5}) {
      double numeric = Quadrature.integrate(x -> (x - t) * g.density(x), t, g.upper(), 0.01);
      assertEquals(numeric, g.tailExcess(t), 1e-10);
    }
    // x^(d-1) is not smooth at 0, which limits the fixed-order rule on the first piece
    assertEquals(1, g.integrate(g::density, 0, g.upper()), 1e-6);
  }

  /**
   * §4.3: "Signed midtread 1/(24M²) at b=8 gives 0.03087" for the unit Gaussian; as a GGD the
   * Gaussian's magnitude is d=1, p=2, a=√2, and the closed-form tail must give the same step.
   */
  @Test
  void asymptoticStepOfGaussianAsGgd() {
    GeneralizedGamma halfGaussian = new GeneralizedGamma(Math.sqrt(2), 1, 2);
    assertEquals(0.03087, StepSize.asymptoticClip(halfGaussian::tailExcess, 127) / 127, 0.00005);
    // Hui-Neuhoff midrise b=4 (M = N/2 = 8): 0.3199
    assertEquals(0.3199, StepSize.asymptoticClip(halfGaussian::tailExcess, 8) / 8, 0.00005);
  }

  @Test
  void stepIsSnappedToThePowerOfTwoWithTheLowerError() {
    // ReLU(N(0,1)) at 8 bits: the exact optimum (§4.3) is 0.0165, between 2^-6 and 2^-5
    double[] x = Samples.gaussian(11, 100_000);
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.max(0, x[i]);
    }
    GgdStep s = GgdStep.of(x, 8, true);
    assertEquals(0.0165, s.refinedStep(), 0.0165 * 0.1, s.toString());
    assertTrue(s.frac() == 5 || s.frac() == 6, s.toString());
    EmpiricalDistribution d = EmpiricalDistribution.of(x);
    ScalarQuantizer q = ScalarQuantizer.unsignedMidtread(8);
    assertTrue(s.mse() <= d.mse(q, 0x1p-5) && s.mse() <= d.mse(q, 0x1p-6));
  }
}
