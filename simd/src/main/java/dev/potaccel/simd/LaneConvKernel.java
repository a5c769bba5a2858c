package dev.potaccel.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A convolution micro-kernel with <em>images in the vector lanes</em>: activations are laid out
 * {@code [channel][row][column][image]}, one vector holding the same pixel of {@link #LANES}
 * images, so every weight is a scalar broadcast and every input load is one aligned vector with no
 * im2col copy, no edge handling and no horizontal work. An 8 output channel x 3 output pixel tile
 * keeps 24 accumulators in registers for the whole K loop: each step costs three vector loads and
 * eight broadcasts for 24 fused multiply-adds (measured 15 % faster than 4 x 4 tiles, whose input
 * loads, mostly from L2, feed only four multiply-adds each). With 512-bit vectors this runs at more
 * than twice the rate of the pixel-lane {@link FloatTileKernel} on ResNet-20's small planes, whose
 * 7 to 28 pixel rows fill few pixel-lane vectors (docs/benchmarks.md).
 *
 * <p>The input is read through two offset tables: pixel {@code p}'s window starts at {@code
 * src[srcOff + pixBase[p]]} and K step {@code q} adds {@code kOffset[q]}, so any stride,
 * dilation and padding (stored as zeros in the planes) is just a choice of tables. With
 * integer-valued operands whose partial sums stay within 2^24 every result is exact.
 */
public final class LaneConvKernel {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  /** Images per vector: 16 with AVX-512, 8 with AVX2. */
  public static final int LANES = SPECIES.length();
  /** Output channels per tile; weights are packed {@code [k][8]} per block of eight channels. */
  public static final int ROWS = 8;
  private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Byte> BYTES =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8));
  // Float-to-int conversion by exponent tricks: JDK 17 does not intrinsify the F2I cast (it runs
  // 30x slower than these adds). For an integer x with |x| <= 2^24, t = x + 1.5 * 2^25 lies in
  // [2^25, 2^26], where floats are spaced 4 apart, so bits(t) - bits(MAGIC4) = round(x / 4)
  // exactly; the remainder x - (t - MAGIC4) is an exact small integer, read the same way with
  // 1.5 * 2^23, where floats are spaced 1 apart.
  private static final float MAGIC4 = 1.5f * (1 << 25);
  private static final int MAGIC4_BITS = Float.floatToRawIntBits(MAGIC4);
  private static final float MAGIC1 = 1.5f * (1 << 23);
  private static final int MAGIC1_BITS = Float.floatToRawIntBits(MAGIC1);

  private LaneConvKernel() {}

  /**
   * {@code out[outOff + r * outPitch + p * LANES + l] = sum over q < kLen of w[wOff + 8 q + r] *
   * src[srcOff + pixBase[p] + kOffset[q] + l]} for {@code r < 8}, {@code p0 <= p < p1} and
   * {@code l < LANES}. Pixels are taken three at a time; a last group of fewer recomputes its
   * last pixel in the spare slots and stores only the real ones.
   */
  public static void convolve(int kLen, float[] w, int wOff, float[] src, int srcOff,
      int[] kOffset, int[] pixBase, int p0, int p1, float[] out, int outOff, int outPitch) {
    for (int p = p0; p < p1; p += 3) {
      int n = Math.min(3, p1 - p);
      tile(kLen, w, wOff, src, kOffset, srcOff + pixBase[p],
          srcOff + pixBase[p + Math.min(1, n - 1)], srcOff + pixBase[p + Math.min(2, n - 1)], n,
          out, outOff + p * LANES, outPitch);
    }
  }

  // 8 output channels x 3 pixels: 24 accumulators, and each input vector loaded feeds eight
  // FMAs instead of four, half the L2 traffic of the 4 x 4 tile (the planes of the 28 x 28
  // layers do not fit L1).
  // One tile per call, its stores written out: C2 then compiles it as a method of its own with
  // every vector op intrinsified. As one loop with the tile inside (and a store helper taking
  // FloatVector arguments) it was sometimes compiled with boxed vectors, 40x slower.
  private static void tile(int kLen, float[] w, int wOff, float[] src, int[] kOffset, int a0,
      int a1, int a2, int n, float[] out, int o, int outPitch) {
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c01 = FloatVector.zero(SPECIES);
    FloatVector c02 = FloatVector.zero(SPECIES);
    FloatVector c10 = FloatVector.zero(SPECIES);
    FloatVector c11 = FloatVector.zero(SPECIES);
    FloatVector c12 = FloatVector.zero(SPECIES);
    FloatVector c20 = FloatVector.zero(SPECIES);
    FloatVector c21 = FloatVector.zero(SPECIES);
    FloatVector c22 = FloatVector.zero(SPECIES);
    FloatVector c30 = FloatVector.zero(SPECIES);
    FloatVector c31 = FloatVector.zero(SPECIES);
    FloatVector c32 = FloatVector.zero(SPECIES);
    FloatVector c40 = FloatVector.zero(SPECIES);
    FloatVector c41 = FloatVector.zero(SPECIES);
    FloatVector c42 = FloatVector.zero(SPECIES);
    FloatVector c50 = FloatVector.zero(SPECIES);
    FloatVector c51 = FloatVector.zero(SPECIES);
    FloatVector c52 = FloatVector.zero(SPECIES);
    FloatVector c60 = FloatVector.zero(SPECIES);
    FloatVector c61 = FloatVector.zero(SPECIES);
    FloatVector c62 = FloatVector.zero(SPECIES);
    FloatVector c70 = FloatVector.zero(SPECIES);
    FloatVector c71 = FloatVector.zero(SPECIES);
    FloatVector c72 = FloatVector.zero(SPECIES);
    for (int q = 0, wi = wOff; q < kLen; q++, wi += 8) {
      int ko = kOffset[q];
      FloatVector x0 = FloatVector.fromArray(SPECIES, src, a0 + ko);
      FloatVector x1 = FloatVector.fromArray(SPECIES, src, a1 + ko);
      FloatVector x2 = FloatVector.fromArray(SPECIES, src, a2 + ko);
      FloatVector v0 = FloatVector.broadcast(SPECIES, w[wi]);
      c00 = v0.fma(x0, c00);
      c01 = v0.fma(x1, c01);
      c02 = v0.fma(x2, c02);
      FloatVector v1 = FloatVector.broadcast(SPECIES, w[wi + 1]);
      c10 = v1.fma(x0, c10);
      c11 = v1.fma(x1, c11);
      c12 = v1.fma(x2, c12);
      FloatVector v2 = FloatVector.broadcast(SPECIES, w[wi + 2]);
      c20 = v2.fma(x0, c20);
      c21 = v2.fma(x1, c21);
      c22 = v2.fma(x2, c22);
      FloatVector v3 = FloatVector.broadcast(SPECIES, w[wi + 3]);
      c30 = v3.fma(x0, c30);
      c31 = v3.fma(x1, c31);
      c32 = v3.fma(x2, c32);
      FloatVector v4 = FloatVector.broadcast(SPECIES, w[wi + 4]);
      c40 = v4.fma(x0, c40);
      c41 = v4.fma(x1, c41);
      c42 = v4.fma(x2, c42);
      FloatVector v5 = FloatVector.broadcast(SPECIES, w[wi + 5]);
      c50 = v5.fma(x0, c50);
      c51 = v5.fma(x1, c51);
      c52 = v5.fma(x2, c52);
      FloatVector v6 = FloatVector.broadcast(SPECIES, w[wi + 6]);
      c60 = v6.fma(x0, c60);
      c61 = v6.fma(x1, c61);
      c62 = v6.fma(x2, c62);
      FloatVector v7 = FloatVector.broadcast(SPECIES, w[wi + 7]);
      c70 = v7.fma(x0, c70);
      c71 = v7.fma(x1, c71);
      c72 = v7.fma(x2, c72);
    }
    int o0 = o + 0 * outPitch;
    int o1 = o + 1 * outPitch;
    int o2 = o + 2 * outPitch;
    int o3 = o + 3 * outPitch;
    int o4 = o + 4 * outPitch;
    int o5 = o + 5 * outPitch;
    int o6 = o + 6 * outPitch;
    int o7 = o + 7 * outPitch;
    c00.intoArray(out, o0);
    c10.intoArray(out, o1);
    c20.intoArray(out, o2);
    c30.intoArray(out, o3);
    c40.intoArray(out, o4);
    c50.intoArray(out, o5);
    c60.intoArray(out, o6);
    c70.intoArray(out, o7);
    if (n > 1) {
      c01.intoArray(out, o0 + 1 * LANES);
      c11.intoArray(out, o1 + 1 * LANES);
      c21.intoArray(out, o2 + 1 * LANES);
      c31.intoArray(out, o3 + 1 * LANES);
      c41.intoArray(out, o4 + 1 * LANES);
      c51.intoArray(out, o5 + 1 * LANES);
      c61.intoArray(out, o6 + 1 * LANES);
      c71.intoArray(out, o7 + 1 * LANES);
    }
    if (n > 2) {
      c02.intoArray(out, o0 + 2 * LANES);
      c12.intoArray(out, o1 + 2 * LANES);
      c22.intoArray(out, o2 + 2 * LANES);
      c32.intoArray(out, o3 + 2 * LANES);
      c42.intoArray(out, o4 + 2 * LANES);
      c52.intoArray(out, o5 + 2 * LANES);
      c62.intoArray(out, o6 + 2 * LANES);
      c72.intoArray(out, o7 + 2 * LANES);
    }
  }

  /**
   * {@code y[d + i] = min(max(acc[a + i] + bias (+ res[d + i] when res is not null), lo), hi)}
   * (as Math.max and Math.min: NaN stays NaN) for {@code i < len}, a multiple of LANES: the
   * write-out of a tile row into a lane tensor, with the residual it absorbs and the Relu ({@code
   * lo = 0}) or Clip after it; {@code -inf, +inf} is no clamp.
   */
  public static void finish(float[] acc, int a, float bias, float[] res, float lo, float hi,
      float[] y, int d, int len) {
    FloatVector b = FloatVector.broadcast(SPECIES, bias);
    boolean clamp = lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY;
    FloatVector vlo = FloatVector.broadcast(SPECIES, lo);
    FloatVector vhi = FloatVector.broadcast(SPECIES, hi);
    if (res == null && !clamp) {
      for (int i = 0; i < len; i += LANES) {
        FloatVector.fromArray(SPECIES, acc, a + i).add(b).intoArray(y, d + i);
      }
    } else if (res == null) {
      for (int i = 0; i < len; i += LANES) {
        FloatVector.fromArray(SPECIES, acc, a + i).add(b).max(vlo).min(vhi).intoArray(y, d + i);
      }
    } else if (!clamp) {
      for (int i = 0; i < len; i += LANES) {
        FloatVector.fromArray(SPECIES, acc, a + i).add(b)
            .add(FloatVector.fromArray(SPECIES, res, d + i)).intoArray(y, d + i);
      }
    } else {
      for (int i = 0; i < len; i += LANES) {
        FloatVector.fromArray(SPECIES, acc, a + i).add(b)
            .add(FloatVector.fromArray(SPECIES, res, d + i)).max(vlo).min(vhi)
            .intoArray(y, d + i);
      }
    }
  }

  /**
   * One output row of a depthwise convolution in lane layout: {@code out[outOff + x * LANES + l]
   * = min(max(bias + sum over q < kLen of w[wOff + q] * src[srcOff + x * step + kOffset[q] + l],
   * lo), hi)} for {@code x < width} and {@code l < LANES}, the sum taken in q order. A 3 x 3
   * window ({@code kLen = 9}) is straight-line code: JDK 17 keeps a vector carried around a loop
   * of variable trip count in a box, so other sizes accumulate in {@code out} instead.
   */
  public static void depthwiseRow(int kLen, float[] w, int wOff, float[] src, int srcOff,
      int[] kOffset, int step, int width, float bias, float lo, float hi, float[] out,
      int outOff) {
    FloatVector vlo = FloatVector.broadcast(SPECIES, lo);
    FloatVector vhi = FloatVector.broadcast(SPECIES, hi);
    FloatVector b = FloatVector.broadcast(SPECIES, bias);
    if (kLen == 9) {
      FloatVector w0 = FloatVector.broadcast(SPECIES, w[wOff]);
      FloatVector w1 = FloatVector.broadcast(SPECIES, w[wOff + 1]);
      FloatVector w2 = FloatVector.broadcast(SPECIES, w[wOff + 2]);
      FloatVector w3 = FloatVector.broadcast(SPECIES, w[wOff + 3]);
      FloatVector w4 = FloatVector.broadcast(SPECIES, w[wOff + 4]);
      FloatVector w5 = FloatVector.broadcast(SPECIES, w[wOff + 5]);
      FloatVector w6 = FloatVector.broadcast(SPECIES, w[wOff + 6]);
      FloatVector w7 = FloatVector.broadcast(SPECIES, w[wOff + 7]);
      FloatVector w8 = FloatVector.broadcast(SPECIES, w[wOff + 8]);
      int k0 = kOffset[0];
      int k1 = kOffset[1];
      int k2 = kOffset[2];
      int k3 = kOffset[3];
      int k4 = kOffset[4];
      int k5 = kOffset[5];
      int k6 = kOffset[6];
      int k7 = kOffset[7];
      int k8 = kOffset[8];
      for (int x = 0, s = srcOff; x < width; x++, s += step) {
        FloatVector acc = FloatVector.fromArray(SPECIES, src, s + k0).fma(w0, b);
        acc = FloatVector.fromArray(SPECIES, src, s + k1).fma(w1, acc);
        acc = FloatVector.fromArray(SPECIES, src, s + k2).fma(w2, acc);
        acc = FloatVector.fromArray(SPECIES, src, s + k3).fma(w3, acc);
        acc = FloatVector.fromArray(SPECIES, src, s + k4).fma(w4, acc);
        acc = FloatVector.fromArray(SPECIES, src, s + k5).fma(w5, acc);
        acc = FloatVector.fromArray(SPECIES, src, s + k6).fma(w6, acc);
        acc = FloatVector.fromArray(SPECIES, src, s + k7).fma(w7, acc);
        acc = FloatVector.fromArray(SPECIES, src, s + k8).fma(w8, acc);
        acc.max(vlo).min(vhi).intoArray(out, outOff + x * LANES);
      }
      return;
    }
    for (int x = 0; x < width; x++) {
      b.intoArray(out, outOff + x * LANES);
    }
    for (int q = 0; q < kLen; q++) {
      FloatVector wq = FloatVector.broadcast(SPECIES, w[wOff + q]);
      for (int x = 0, s = srcOff + kOffset[q]; x < width; x++, s += step) {
        int o = outOff + x * LANES;
        FloatVector.fromArray(SPECIES, src, s).fma(wq, FloatVector.fromArray(SPECIES, out, o))
            .intoArray(out, o);
      }
    }
    for (int x = 0; x < width; x++) {
      int o = outOff + x * LANES;
      FloatVector.fromArray(SPECIES, out, o).max(vlo).min(vhi).intoArray(out, o);
    }
  }

  /**
   * The index map of {@link #gather}: lane {@code l} at {@code l * stride} for {@code l <
   * images}, lanes past that repeat image 0 (in bounds; their values are never used).
   */
  public static int[] laneOffsets(int stride, int images) {
    int[] map = new int[LANES];
    for (int l = 0; l < images; l++) {
      map[l] = l * stride;
    }
    return map;
  }

  /**
   * {@code dst[d + l] = src[s + map[l]]} for {@code l < LANES}, {@code map} from {@link
   * #laneOffsets}: one pixel of {@code LANES} NCHW images gathered into a lane plane.
   */
  public static void gather(float[] src, int s, int[] map, float[] dst, int d) {
    FloatVector.fromArray(SPECIES, src, s, map, 0).intoArray(dst, d);
  }

  /**
   * {@code dst[d + l] = src[s + l]} as numbers ({@code & 0xFF} unless signed) for {@code l <
   * LANES}: one pixel of a lane group's codes widened into a padded plane.
   */
  public static void widen(byte[] src, int s, boolean signed, float[] dst, int d) {
    IntVector v = (IntVector) ByteVector.fromArray(BYTES, src, s)
        .convertShape(VectorOperators.B2I, INTS, 0);
    if (!signed) {
      v = v.and(0xFF);
    }
    ((FloatVector) v.convertShape(VectorOperators.I2F, SPECIES, 0)).intoArray(dst, d);
  }

  /**
   * The requantization of docs/accelerator.md §1.3 on {@code n} (a multiple of LANES) lane
   * sums: {@code y[yOff + i] = clamp(rshift((int) acc[accOff + i] + bias, shift), lo, hi)} with
   * {@code rshift(a, s) = (a >> s) + ((a >> (s - 1)) & 1)} for {@code 1 <= shift <= 31} and
   * {@code a} for shift 0. Each {@code acc} value must be an integer of magnitude at most 2^24
   * and {@code sum + bias} must not overflow int32 (the compiler's bound guarantees both).
   */
  public static void requantize(float[] acc, int accOff, int n, int bias, int shift, int lo,
      int hi, byte[] y, int yOff) {
    if (shift < 0 || shift > 31) {
      throw new IllegalArgumentException("shift " + shift + " is not in [0, 31]");
    }
    for (int i = 0; i < n; i += LANES) {
      FloatVector x = FloatVector.fromArray(SPECIES, acc, accOff + i);
      FloatVector t = x.add(MAGIC4);
      IntVector q = t.reinterpretAsInts().sub(MAGIC4_BITS);
      FloatVector rest = x.sub(t.sub(MAGIC4)).add(MAGIC1);
      IntVector a = q.lanewise(VectorOperators.LSHL, 2)
          .add(rest.reinterpretAsInts().sub(MAGIC1_BITS)).add(bias);
      if (shift > 0) {
        a = a.lanewise(VectorOperators.ASHR, shift)
            .add(a.lanewise(VectorOperators.ASHR, shift - 1).and(1));
      }
      ((ByteVector) a.max(lo).min(hi).castShape(BYTES, 0)).intoArray(y, yOff + i);
    }
  }

  /** True when the preferred float vectors are real hardware vectors of 256 bits or more. */
  static boolean hardwareSupported() {
    return SPECIES.vectorBitSize() >= 256;
  }
}
