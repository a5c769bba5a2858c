package dev.potaccel.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A register-blocked FP32 micro-kernel on the incubating Vector API: a 6 x 2L tile of outputs (L
 * floats per vector) stays in twelve vector registers for a whole K block, so each step costs two
 * vector loads and six broadcasts for twelve fused multiply-adds. The C2 auto-vectorized loops the
 * engines used before keep their accumulators in memory (a load and a store per multiply-add pair),
 * which caps them well below this kernel. Use only when {@link VectorKernels#ENABLED}.
 *
 * <p>The B operand is read in place through a table of row offsets: K row {@code q} of a strip is
 * the NR floats at {@code src[base + kOffset[k0 + q]]}. For a stride-1 convolution over padded
 * planes that is exactly the im2col row, so callers make no im2col copy at all. The caller keeps
 * every read in bounds (a slack region after its last plane) and discards columns past its data.
 * With integer-valued operands whose partial sums stay within 2^24 every result is exact (the
 * test checks this); otherwise results match separate multiply and add up to rounding.
 */
public final class FloatTileKernel {
  // The preferred shape, as in every kernel here: code that mixes two vector shapes in one JVM
  // pollutes the type profiles of the shared Vector API methods, and C2 then deoptimizes the
  // kernels again and again (measured 40x slower).
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int L = SPECIES.length();
  /** Most output rows (channels) of one tile. */
  public static final int MR = 6;
  /** Output columns (pixels) of one tile: two vectors (16 with AVX2, 32 with AVX-512). */
  public static final int NR = 2 * L;

  private FloatTileKernel() {}

  /**
   * {@code acc[accOff + r * accPitch + j] = start[r][j] + sum over q < kLen of a[aOff + rows * q
   * + r] * src[base + kOffset[k0 + q] + j]} for {@code r < rows, j < NR}, where {@code start} is
   * {@code bias[biasOff + r]} when bias is given (the first K block) and the accumulator itself
   * otherwise. A is packed {@code [k][rows]}; rows is 6 or 4 (6 x NR keeps twelve accumulators
   * in flight, enough to hide the FMA latency; 4 x NR covers the remainder of a block).
   */
  public static void tile(int rows, int kLen, float[] a, int aOff, float[] src, int base,
      int[] kOffset, int k0, float[] bias, int biasOff, float[] acc, int accOff, int accPitch) {
    if (rows == 6) {
      tile6(kLen, a, aOff, src, base, kOffset, k0, bias, biasOff, acc, accOff, accPitch);
    } else {
      tile4(kLen, a, aOff, src, base, kOffset, k0, bias, biasOff, acc, accOff, accPitch);
    }
  }

  /**
   * Heights of the row tiles covering {@code rows} rows: sixes, and fours where six would
   * waste rows (16 = 6 + 6 + 4, 8 = 4 + 4); the last may cover padding rows.
   */
  public static int[] tileHeights(int rows) {
    int[] h = new int[rows / 4 + 1];
    int count = 0;
    for (int rem = rows; rem > 0; ) {
      int t = rem == 8 || rem <= 4 ? 4 : 6;
      h[count++] = t;
      rem -= t;
    }
    return java.util.Arrays.copyOf(h, count);
  }

  // tile6 and tile4 are the same code written out for 6 and 4 rows on purpose: the accumulators
  // must be separate locals for C2 to keep them in registers (an array of vectors is not).
  private static void tile6(int kLen, float[] a, int aOff, float[] src, int base, int[] kOffset,
      int k0, float[] bias, int biasOff, float[] acc, int accOff, int accPitch) {
    int o0 = accOff + 0 * accPitch;
    int o1 = accOff + 1 * accPitch;
    int o2 = accOff + 2 * accPitch;
    int o3 = accOff + 3 * accPitch;
    int o4 = accOff + 4 * accPitch;
    int o5 = accOff + 5 * accPitch;
    FloatVector c00;
    FloatVector c01;
    FloatVector c10;
    FloatVector c11;
    FloatVector c20;
    FloatVector c21;
    FloatVector c30;
    FloatVector c31;
    FloatVector c40;
    FloatVector c41;
    FloatVector c50;
    FloatVector c51;
    if (bias != null) {
      c00 = FloatVector.broadcast(SPECIES, bias[biasOff + 0]);
      c01 = FloatVector.broadcast(SPECIES, bias[biasOff + 0]);
      c10 = FloatVector.broadcast(SPECIES, bias[biasOff + 1]);
      c11 = FloatVector.broadcast(SPECIES, bias[biasOff + 1]);
      c20 = FloatVector.broadcast(SPECIES, bias[biasOff + 2]);
      c21 = FloatVector.broadcast(SPECIES, bias[biasOff + 2]);
      c30 = FloatVector.broadcast(SPECIES, bias[biasOff + 3]);
      c31 = FloatVector.broadcast(SPECIES, bias[biasOff + 3]);
      c40 = FloatVector.broadcast(SPECIES, bias[biasOff + 4]);
      c41 = FloatVector.broadcast(SPECIES, bias[biasOff + 4]);
      c50 = FloatVector.broadcast(SPECIES, bias[biasOff + 5]);
      c51 = FloatVector.broadcast(SPECIES, bias[biasOff + 5]);
    } else {
      c00 = FloatVector.fromArray(SPECIES, acc, o0);
      c01 = FloatVector.fromArray(SPECIES, acc, o0 + L);
      c10 = FloatVector.fromArray(SPECIES, acc, o1);
      c11 = FloatVector.fromArray(SPECIES, acc, o1 + L);
      c20 = FloatVector.fromArray(SPECIES, acc, o2);
      c21 = FloatVector.fromArray(SPECIES, acc, o2 + L);
      c30 = FloatVector.fromArray(SPECIES, acc, o3);
      c31 = FloatVector.fromArray(SPECIES, acc, o3 + L);
      c40 = FloatVector.fromArray(SPECIES, acc, o4);
      c41 = FloatVector.fromArray(SPECIES, acc, o4 + L);
      c50 = FloatVector.fromArray(SPECIES, acc, o5);
      c51 = FloatVector.fromArray(SPECIES, acc, o5 + L);
    }
    for (int q = 0, ai = aOff; q < kLen; q++, ai += 6) {
      int bi = base + kOffset[k0 + q];
      FloatVector b0 = FloatVector.fromArray(SPECIES, src, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, src, bi + L);
      FloatVector x = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(SPECIES, a[ai + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(SPECIES, a[ai + 5]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
    }
    c00.intoArray(acc, o0);
    c01.intoArray(acc, o0 + L);
    c10.intoArray(acc, o1);
    c11.intoArray(acc, o1 + L);
    c20.intoArray(acc, o2);
    c21.intoArray(acc, o2 + L);
    c30.intoArray(acc, o3);
    c31.intoArray(acc, o3 + L);
    c40.intoArray(acc, o4);
    c41.intoArray(acc, o4 + L);
    c50.intoArray(acc, o5);
    c51.intoArray(acc, o5 + L);
  }

  private static void tile4(int kLen, float[] a, int aOff, float[] src, int base, int[] kOffset,
      int k0, float[] bias, int biasOff, float[] acc, int accOff, int accPitch) {
    int o0 = accOff + 0 * accPitch;
    int o1 = accOff + 1 * accPitch;
    int o2 = accOff + 2 * accPitch;
    int o3 = accOff + 3 * accPitch;
    FloatVector c00;
    FloatVector c01;
    FloatVector c10;
    FloatVector c11;
    FloatVector c20;
    FloatVector c21;
    FloatVector c30;
    FloatVector c31;
    if (bias != null) {
      c00 = FloatVector.broadcast(SPECIES, bias[biasOff + 0]);
      c01 = FloatVector.broadcast(SPECIES, bias[biasOff + 0]);
      c10 = FloatVector.broadcast(SPECIES, bias[biasOff + 1]);
      c11 = FloatVector.broadcast(SPECIES, bias[biasOff + 1]);
      c20 = FloatVector.broadcast(SPECIES, bias[biasOff + 2]);
      c21 = FloatVector.broadcast(SPECIES, bias[biasOff + 2]);
      c30 = FloatVector.broadcast(SPECIES, bias[biasOff + 3]);
      c31 = FloatVector.broadcast(SPECIES, bias[biasOff + 3]);
    } else {
      c00 = FloatVector.fromArray(SPECIES, acc, o0);
      c01 = FloatVector.fromArray(SPECIES, acc, o0 + L);
      c10 = FloatVector.fromArray(SPECIES, acc, o1);
      c11 = FloatVector.fromArray(SPECIES, acc, o1 + L);
      c20 = FloatVector.fromArray(SPECIES, acc, o2);
      c21 = FloatVector.fromArray(SPECIES, acc, o2 + L);
      c30 = FloatVector.fromArray(SPECIES, acc, o3);
      c31 = FloatVector.fromArray(SPECIES, acc, o3 + L);
    }
    for (int q = 0, ai = aOff; q < kLen; q++, ai += 4) {
      int bi = base + kOffset[k0 + q];
      FloatVector b0 = FloatVector.fromArray(SPECIES, src, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, src, bi + L);
      FloatVector x = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
    }
    c00.intoArray(acc, o0);
    c01.intoArray(acc, o0 + L);
    c10.intoArray(acc, o1);
    c11.intoArray(acc, o1 + L);
    c20.intoArray(acc, o2);
    c21.intoArray(acc, o2 + L);
    c30.intoArray(acc, o3);
    c31.intoArray(acc, o3 + L);
  }

  /** True when the preferred float vectors are hardware vectors of 256 bits or more. */
  static boolean hardwareSupported() {
    return SPECIES.vectorBitSize() >= 256;
  }

  /** Bits per vector of every kernel here. */
  static int vectorBits() {
    return SPECIES.vectorBitSize();
  }
}
