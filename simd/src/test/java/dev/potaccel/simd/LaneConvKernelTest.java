package dev.potaccel.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LaneConvKernelTest {

  /**
   * Integer-valued operands with sums below 2^24 make every float operation exact, so the kernel
   * must equal a long-integer reference exactly; pixel ranges of every length modulo 4 check the
   * partial last tile (three pixels per tile), and cells outside the range must stay untouched.
   */
  @Test
  void convolveEqualsTheIntegerReference() {
    assumeTrue(VectorKernels.ENABLED, "the JVM runs without --add-modules jdk.incubator.vector");
    int lanes = LaneConvKernel.LANES;
    Random rnd = new Random(11);
    int slots = 64;
    float[] src = new float[(slots + 8) * lanes];
    for (int i = 0; i < src.length; i++) {
      src[i] = rnd.nextInt(511) - 255;
    }
    for (int kLen : new int[] {1, 3, 9, 40}) {
      int[] kOffset = new int[kLen];
      for (int q = 0; q < kLen; q++) {
        kOffset[q] = rnd.nextInt(32) * lanes;
      }
      int[] pixBase = new int[12];
      for (int p = 0; p < pixBase.length; p++) {
        pixBase[p] = rnd.nextInt(32) * lanes;
      }
      float[] w = new float[LaneConvKernel.ROWS * kLen + 3];
      for (int i = 0; i < w.length; i++) {
        w[i] = rnd.nextInt(255) - 127;
      }
      for (int p1 = 3; p1 <= 9; p1++) {
        int p0 = 2;
        int srcOff = 5 * lanes;
        int pitch = 12 * lanes + 3;
        int outOff = 7;
        float[] out = new float[outOff + LaneConvKernel.ROWS * pitch];
        java.util.Arrays.fill(out, -1f);
        LaneConvKernel.convolve(kLen, w, 3, src, srcOff, kOffset, pixBase, p0, p1, out, outOff,
            pitch);
        for (int r = 0; r < LaneConvKernel.ROWS; r++) {
          for (int p = 0; p < pixBase.length; p++) {
            for (int l = 0; l < lanes; l++) {
              float got = out[outOff + r * pitch + p * lanes + l];
              if (p < p0 || p >= p1) {
                assertEquals(-1f, got, "outside the range: r " + r + ", p " + p);
                continue;
              }
              long want = 0;
              for (int q = 0; q < kLen; q++) {
                want += (long) w[3 + LaneConvKernel.ROWS * q + r]
                    * (long) src[srcOff + pixBase[p] + kOffset[q] + l];
              }
              assertEquals(want, (long) got, "k " + kLen + ", r " + r + ", p " + p + ", l " + l);
            }
          }
        }
      }
    }
  }
}
