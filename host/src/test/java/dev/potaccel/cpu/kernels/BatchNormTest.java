package dev.potaccel.cpu.kernels;

import static dev.potaccel.cpu.kernels.GemmTest.assertMessage;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchNormTest {

  @Test
  void matchesDefinition() {
    Random rnd = new Random(13);
    int[][] shapes = {{1, 3, 1}, {3, 16, 49}, {2, 7, 1023}, {1, 64, 196}};
    for (int[] s : shapes) {
      int n = s[0];
      int c = s[1];
      int spatial = s[2];
      float[] x = Tolerance.randomArray(rnd, n * c * spatial, 4f);
      float[] scale = Tolerance.randomArray(rnd, c, 2f);
      float[] bias = Tolerance.randomArray(rnd, c, 1f);
      float[] mean = Tolerance.randomArray(rnd, c, 1f);
      float[] var = new float[c];
      for (int i = 0; i < c; i++) {
        var[i] = rnd.nextFloat() * 3f;
      }
      float eps = 1e-5f;
      double[] expected = new double[x.length];
      for (int img = 0; img < n; img++) {
        for (int ch = 0; ch < c; ch++) {
          for (int k = 0; k < spatial; k++) {
            int i = (img * c + ch) * spatial + k;
            expected[i] = scale[ch] * ((double) x[i] - mean[ch]) / Math.sqrt((double) var[ch]
                + eps) + bias[ch];
          }
        }
      }
      float[] y = new float[x.length];
      BatchNorm.batchNormInference(n, c, spatial, x, scale, bias, mean, var, eps, y);
      Tolerance.assertClose("batchNorm", expected, y, y.length);
      // in place
      BatchNorm.batchNormInference(n, c, spatial, x, scale, bias, mean, var, eps, x);
      Tolerance.assertClose("batchNorm in place", expected, x, x.length);
    }
  }

  @Test
  void invalidArgumentsNameTheField() {
    float[] v = new float[8];
    assertMessage("c", () -> BatchNorm.batchNormInference(1, 0, 2, v, v, v, v, v, 1e-5f, v));
    assertMessage("x", () -> BatchNorm.batchNormInference(1, 2, 5, v, v, v, v, v, 1e-5f,
        new float[10]));
    assertMessage("var", () -> BatchNorm.batchNormInference(1, 2, 4, v, v, v, v, new float[1],
        1e-5f, v));
    assertMessage("scale", () -> BatchNorm.batchNormInference(1, 2, 4, v, null, v, v, v, 1e-5f,
        v));
  }
}
