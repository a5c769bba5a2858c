package dev.potaccel.quantize.levels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * research/quantization.md §4.3: optimal uniform steps and SQNR on unit-variance sources, the
 * accuracy of the §4.2 closed form, and the Lloyd–Max reference. Every number below is copied
 * from that section; SQNR must match to ±0.05 dB, steps to ±0.0005 absolute or 0.3% relative.
 */
class GoldenUniformTest {
  private static final double DB = 0.05;

  static void assertStep(double published, double actual, String what) {
    double err = Math.abs(actual - published);
    assertTrue(err <= 0.0005 || err <= 0.003 * published,
        what + ": published " + published + ", computed " + actual);
  }

  @Test
  void gaussianMidrise() {
    double[] step = {1.5958, 0.9957, 0.5860, 0.3352, 0.1881, 0.1041, 0.0569, 0.0308};
    double[] sqnr = {4.40, 9.25, 14.27, 19.38, 24.57, 29.83, 35.17, 40.57};
    for (int b = 1; b <= 8; b++) {
      Sqnr.Optimum o = StepSize.midrise(Source.gaussian(), b);
      assertStep(step[b - 1], o.scale(), "Gaussian midrise b=" + b);
      assertEquals(sqnr[b - 1], o.sqnrDb(), DB, "Gaussian midrise SQNR b=" + b);
    }
  }

  @Test
  void laplacianMidrise() {
    double[] step = {1.4142, 1.0874, 0.7309, 0.4610, 0.2800, 0.1657, 0.0961, 0.0548};
    double[] sqnr = {3.01, 7.07, 11.44, 15.96, 20.60, 25.36, 30.23, 35.21};
    for (int b = 1; b <= 8; b++) {
      Sqnr.Optimum o = StepSize.midrise(Source.laplacian(), b);
      assertStep(step[b - 1], o.scale(), "Laplacian midrise b=" + b);
      assertEquals(sqnr[b - 1], o.sqnrDb(), DB, "Laplacian midrise SQNR b=" + b);
    }
  }

  @Test
  void unsignedMidtreadOnReluGaussian() {
    double[] step = {1.2240, 0.6508, 0.3534, 0.1932, 0.1055, 0.0573, 0.0309, 0.0165};
    double[] sqnr = {7.21, 13.29, 18.90, 24.33, 29.71, 35.11, 40.54, 46.02};
    Source relu = Source.relu(Source.gaussian());
    assertEquals(0.5, relu.power(), 1e-12, "E[ReLU(X)^2]");
    for (int b = 1; b <= 8; b++) {
      Sqnr.Optimum o = StepSize.unsignedMidtread(relu, b);
      assertStep(step[b - 1], o.scale(), "ReLU(Gaussian) b=" + b);
      assertEquals(sqnr[b - 1], o.sqnrDb(), DB, "ReLU(Gaussian) SQNR b=" + b);
    }
  }

  @Test
  void unsignedMidtreadOnReluLaplacian() {
    double[] step = {1.4142, 0.8218, 0.4869, 0.2875, 0.1679, 0.0967, 0.0550, 0.0309};
    Source relu = Source.relu(Source.laplacian());
    for (int b = 1; b <= 8; b++) {
      assertStep(step[b - 1], StepSize.unsignedMidtread(relu, b).scale(),
          "ReLU(Laplacian) b=" + b);
    }
  }

  /** "Gaussian midrise Δ_HN at b=4/6/8 is 0.3199/0.1027/0.03066 ... midtread b=8 0.03087". */
  @Test
  void asymptoticClosedForm() {
    double[] hn = {0.3199, 0.1027, 0.03066};
    int[] bits = {4, 6, 8};
    for (int i = 0; i < 3; i++) {
      assertStep(hn[i], StepSize.asymptotic(Source.gaussian(), 1 << (bits[i] - 1)),
          "Hui-Neuhoff b=" + bits[i]);
    }
    assertStep(0.03087, StepSize.asymptotic(Source.gaussian(), 127), "midtread b=8");
    // "... against the optimum 0.3352/0.1041/0.03076" (b=8: published 0.0308 above)
    assertStep(0.03076, StepSize.midrise(Source.gaussian(), 8).scale(), "optimum b=8");
    // "equal to the optimum": the signed midtread's exact optimum
    assertStep(0.03087, StepSize.midtread(Source.gaussian(), 127).scale(), "int8 optimum");
  }

  @Test
  void lloydMax() {
    double[] gauss = {4.40, 9.30, 14.62, 20.22};
    double[] laplace = {3.01, 7.54, 12.64, 18.13};
    for (int b = 1; b <= 4; b++) {
      ScalarQuantizer g = LloydMax.design(Source.gaussian(), 1 << b);
      assertEquals(gauss[b - 1], Sqnr.exactDb(Source.gaussian(), g, 1), DB, "Gaussian b=" + b);
      ScalarQuantizer l = LloydMax.design(Source.laplacian(), 1 << b);
      assertEquals(laplace[b - 1], Sqnr.exactDb(Source.laplacian(), l, 1), DB,
          "Laplacian b=" + b);
    }
    double[] two = LloydMax.design(Source.gaussian(), 4).levels();
    assertEquals(0.4528, two[2], 0.0005);
    assertEquals(1.5104, two[3], 0.0005);
    double[] three = LloydMax.design(Source.gaussian(), 8).levels();
    double[] published = {0.2451, 0.7560, 1.3439, 2.1519};
    for (int i = 0; i < 4; i++) {
      assertEquals(published[i], three[4 + i], 0.0005, "b=3 level " + i);
      assertEquals(-published[i], three[3 - i], 0.0005, "b=3 level -" + i);
    }
  }
}
