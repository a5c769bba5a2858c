package dev.potaccel.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FloatTileKernelTest {

  @Test
  void tileHeightsCoverTheRowsWithSixesAndFours() {
    for (int rows = 1; rows <= 70; rows++) {
      int[] h = FloatTileKernel.tileHeights(rows);
      int sum = Arrays.stream(h).sum();
      assertTrue(sum >= rows && sum <= rows + 3, rows + " rows: " + Arrays.toString(h));
      assertTrue(Arrays.stream(h).allMatch(t -> t == 4 || t == 6), Arrays.toString(h));
      if (rows % 2 == 0 && rows >= 4) {
        assertEquals(rows, sum, "no padding for " + rows + " rows: " + Arrays.toString(h));
      }
    }
    assertArrayEquals(new int[] {6, 6, 4}, FloatTileKernel.tileHeights(16));
    assertArrayEquals(new int[] {4, 4}, FloatTileKernel.tileHeights(8));
  }

  /**
   * Integer-valued operands whose sums stay below 2^24 make every float operation exact, so the
   * kernel must equal a long-integer reference exactly, whatever the order it sums in.
   */
  @Test
  void tileEqualsTheIntegerReferenceOnScatteredRows() {
    assumeTrue(VectorKernels.ENABLED, "the JVM runs without --add-modules jdk.incubator.vector");
    Random rnd = new Random(7);
    for (int rows : new int[] {4, 6}) {
      for (int kLen : new int[] {1, 2, 9, 37}) {
        int k0 = 3;
        int[] kOffset = new int[k0 + kLen];
        float[] src = new float[4096];
        for (int i = 0; i < src.length; i++) {
          src[i] = rnd.nextInt(511) - 255;
        }
        for (int q = 0; q < kOffset.length; q++) {
          kOffset[q] = rnd.nextInt(src.length - 64); // rows anywhere, overlapping
        }
        float[] a = new float[rows * kLen + 5];
        for (int i = 0; i < a.length; i++) {
          a[i] = rnd.nextInt(255) - 127;
        }
        int base = 17;
        int aOff = 5;
        int pitch = 40;
        float[] bias = {3, -7, 11, 0, 5, -2, 99};
        for (boolean first : new boolean[] {true, false}) {
          float[] acc = new float[rows * pitch + 8];
          for (int i = 0; i < acc.length; i++) {
            acc[i] = rnd.nextInt(1000);
          }
          float[] before = acc.clone();
          int accOff = 8;
          FloatTileKernel.tile(rows, kLen, a, aOff, src, base, kOffset, k0,
              first ? bias : null, 1, acc, accOff, pitch);
          for (int r = 0; r < rows; r++) {
            for (int j = 0; j < FloatTileKernel.NR; j++) {
              long want = first ? (long) bias[1 + r] : (long) before[accOff + r * pitch + j];
              for (int q = 0; q < kLen; q++) {
                want += (long) a[aOff + rows * q + r] * (long) src[base + kOffset[k0 + q] + j];
              }
              assertEquals(want, (long) acc[accOff + r * pitch + j],
                  "rows " + rows + ", k " + kLen + ", r " + r + ", j " + j);
            }
          }
          // nothing outside the tile is written
          for (int i = 0; i < accOff; i++) {
            assertEquals(before[i], acc[i]);
          }
        }
      }
    }
  }
}
