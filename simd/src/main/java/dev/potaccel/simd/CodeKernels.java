package dev.potaccel.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector kernels on the accelerator's 8-bit codes, for the emulator: the residual add
 * (docs/accelerator.md §3.3: both inputs widened and aligned by left shifts, summed in int32,
 * rounding-shifted and saturated), 2 x 2 max pooling on lane-layout codes, and the float-to-code
 * input conversion. C2 leaves these byte loops scalar. Use only when {@link
 * VectorKernels#ENABLED}.
 */
public final class CodeKernels {
  private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
  private static final float MAGIC1 = 1.5f * (1 << 23);
  private static final int MAGIC1_BITS = Float.floatToRawIntBits(MAGIC1);
  private static final int L = INTS.length();
  private static final VectorSpecies<Byte> BYTES =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
  /** Most negative shift (a left shift) handled: larger ones saturate differently, see below. */
  public static final int MIN_SHIFT = -22;

  private CodeKernels() {}

  /** True if {@link #add} covers output shift {@code shift}. */
  public static boolean covers(int shift) {
    return shift >= MIN_SHIFT && shift <= 31;
  }

  /**
   * For {@code from <= i < to}: {@code y[i] = clamp(rshift((a[i] << sa) + (b[i] << sb), shift),
   * lo, hi)} with codes read signed or unsigned ({@code & 0xFF}), {@code rshift(t, s) = (t >> s)
   * + ((t >> (s - 1)) & 1)} for {@code s > 0}, {@code t} for 0 and {@code t << -s} for {@code s <
   * 0}. The sum must fit int32 (the compiler's bound) and {@code lo, hi} be 8-bit codes; a
   * negative shift first saturates {@code t} to {@code ±2^(30 + shift)}, which changes no result
   * (anything that far out clamps to {@code lo} or {@code hi} either way).
   */
  public static void add(byte[] a, boolean signedA, int sa, byte[] b, boolean signedB, int sb,
      int shift, int lo, int hi, byte[] y, int from, int to) {
    if (!covers(shift)) {
      throw new IllegalArgumentException("shift " + shift + " is not in [" + MIN_SHIFT + ", 31]");
    }
    int limit = shift < 0 ? 1 << (30 + shift) : 0;
    int i = from;
    for (; i + L <= to; i += L) {
      IntVector x = widen(a, i, signedA).lanewise(VectorOperators.LSHL, sa);
      IntVector z = widen(b, i, signedB).lanewise(VectorOperators.LSHL, sb);
      IntVector t = x.add(z);
      if (shift > 0) {
        t = t.lanewise(VectorOperators.ASHR, shift)
            .add(t.lanewise(VectorOperators.ASHR, shift - 1).and(1));
      } else if (shift < 0) {
        t = t.max(-limit).min(limit).lanewise(VectorOperators.LSHL, -shift);
      }
      ((ByteVector) t.max(lo).min(hi).castShape(BYTES, 0)).intoArray(y, i);
    }
    for (; i < to; i++) {
      int x = (signedA ? a[i] : a[i] & 0xFF) << sa;
      int z = (signedB ? b[i] : b[i] & 0xFF) << sb;
      int t = x + z;
      if (shift > 0) {
        t = (t >> shift) + ((t >> (shift - 1)) & 1);
      } else if (shift < 0) {
        t = Math.min(limit, Math.max(-limit, t)) << -shift;
      }
      y[i] = (byte) Math.min(hi, Math.max(lo, t));
    }
  }

  /**
   * 2 x 2 max pooling of one output pixel over lane-layout codes: {@code y[yo + l] = clamp(max of
   * x[at + l], x[at + L + l], x[at + rowStride + l], x[at + rowStride + L + l], lo, hi)} for
   * {@code l < L}. Straight-line on purpose: a vector carried around a loop of variable trip
   * count is boxed by JDK 17's C2 (a general window measured 10x slower).
   */
  public static void max2x2(byte[] x, int at, int rowStride, boolean signed, int lo, int hi,
      byte[] y, int yo) {
    IntVector top = widen(x, at, signed).max(widen(x, at + L, signed));
    IntVector bottom = widen(x, at + rowStride, signed).max(widen(x, at + rowStride + L, signed));
    ((ByteVector) top.max(bottom).max(lo).min(hi).castShape(BYTES, 0)).intoArray(y, yo);
  }

  /**
   * The accelerator's input conversion (docs/accelerator.md §1.1) for {@code from <= i < to}:
   * {@code q[i] = clamp(floor(v[i] * 2^frac + 0.5), lo, hi)}, NaN to 0, exactly as the double
   * formula. In float: {@code a = v * 2^frac} is exact (or under/overflows to values that
   * saturate or round to 0 either way), is first clamped to +-1024 (past the 8-bit codes, so the
   * result does not change), then rounded to nearest-even through the 1.5 * 2^23 exponent trick
   * and moved up by one where {@code a} was exactly halfway. Needs {@code -126 <= frac <= 127}.
   */
  public static void quantize(float[] v, float scale, int lo, int hi, byte[] q, int from,
      int to) {
    FloatVector magicV = FloatVector.broadcast(FLOATS, MAGIC1);
    int i = from;
    for (; i + L <= to; i += L) {
      FloatVector a = FloatVector.fromArray(FLOATS, v, i).mul(scale);
      a = a.blend(0f, a.test(VectorOperators.IS_NAN)).max(-1024f).min(1024f);
      FloatVector t = a.add(magicV);
      IntVector r = t.reinterpretAsInts().sub(MAGIC1_BITS);
      VectorMask<Integer> halfway = a.sub(t.sub(magicV)).eq(0.5f).cast(INTS);
      r = r.add(1, halfway);
      ((ByteVector) r.max(lo).min(hi).castShape(BYTES, 0)).intoArray(q, i);
    }
    double s = scale;
    for (; i < to; i++) {
      double x = Math.floor(v[i] * s + 0.5);
      q[i] = (byte) (x < lo ? lo : x > hi ? hi : (int) x);
    }
  }

  /** Codes per vector: the lane count of lane-layout code buffers these kernels take. */
  public static int lanes() {
    return L;
  }

  private static IntVector widen(byte[] codes, int i, boolean signed) {
    IntVector v = (IntVector) ByteVector.fromArray(BYTES, codes, i)
        .convertShape(VectorOperators.B2I, INTS, 0);
    return signed ? v : v.and(0xFF);
  }
}
