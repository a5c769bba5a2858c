package dev.potaccel.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FloatPairsTest {

  @Test
  void splitMatchesTheStride2LoopAndWritesNothingElse() {
    assumeTrue(VectorKernels.ENABLED, "the JVM runs without --add-modules jdk.incubator.vector");
    float[] src = new float[80];
    for (int i = 0; i < src.length; i++) {
      src[i] = i;
    }
    // counts around the 8-lane step, odd source offsets, both outputs in one array
    for (int count : new int[] {0, 1, 7, 8, 9, 15, 16, 17, 31}) {
      for (int s : new int[] {0, 3}) {
        float[] dst = new float[100];
        Arrays.fill(dst, -1f);
        FloatPairs.split(src, s, dst, 2, dst, 50, count);
        for (int i = 0; i < dst.length; i++) {
          float want = i >= 2 && i < 2 + count ? s + 2 * (i - 2)
              : i >= 50 && i < 50 + count ? s + 2 * (i - 50) + 1
              : -1f;
          assertEquals(want, dst[i], "count " + count + ", offset " + s + ", element " + i);
        }
      }
    }
  }
}
