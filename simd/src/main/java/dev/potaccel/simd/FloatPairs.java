package dev.potaccel.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Splitting a float sequence into its even and odd elements (the stride-2 phase planes of a
 * convolution's input) on the incubating Vector API: lane permutes and blends, 2L elements per step
 * (L floats per vector), a scalar tail. C2 does not vectorize the stride-2 loads of the plain loop.
 * Use only when {@link VectorKernels#ENABLED}.
 */
public final class FloatPairs {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int L = SPECIES.length();
  // Single-vector rearranges plus a blend: the two-vector rearrange rebuilds its shuffle on
  // every call in JDK 17 (not intrinsified), these compile to vpermps and vblendps.
  private static final VectorShuffle<Float> EVENS =
      VectorShuffle.fromOp(SPECIES, i -> 2 * i % L);
  private static final VectorShuffle<Float> ODDS =
      VectorShuffle.fromOp(SPECIES, i -> (2 * i + 1) % L);
  private static final VectorMask<Float> UPPER_HALF =
      VectorMask.fromLong(SPECIES, ((1L << L) - 1) & ~((1L << (L / 2)) - 1));

  private FloatPairs() {}

  /** {@code even[e + t] = src[s + 2t]} and {@code odd[o + t] = src[s + 2t + 1]} for t < count. */
  public static void split(float[] src, int s, float[] even, int e, float[] odd, int o,
      int count) {
    int t = 0;
    for (; t + L <= count; t += L) {
      FloatVector a = FloatVector.fromArray(SPECIES, src, s + 2 * t);
      FloatVector b = FloatVector.fromArray(SPECIES, src, s + 2 * t + L);
      a.rearrange(EVENS).blend(b.rearrange(EVENS), UPPER_HALF).intoArray(even, e + t);
      a.rearrange(ODDS).blend(b.rearrange(ODDS), UPPER_HALF).intoArray(odd, o + t);
    }
    for (; t < count; t++) {
      even[e + t] = src[s + 2 * t];
      odd[o + t] = src[s + 2 * t + 1];
    }
  }
}
