package dev.potaccel.quantize.levels;

import dev.potaccel.quantize.WeightCodebook;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * A sign-symmetric set of integer weight magnitudes {@code 0 = m_0 < m_1 < ...} on one
 * power-of-two scale: the levels of PoT, APoT, UPoT, ShiftCNN, Kalali's two-term projection and
 * plain uniform codes (research/quantization.md §8 item 1, "an ordered magnitude list"). Weights
 * are {@code ±m_i·2^-F}. Being integers, the magnitudes are exactly what a TERMS or POT codebook
 * stores (docs/accelerator.md §2), and the same set at a free real scale gives the §4.4
 * distribution-level SQNR.
 *
 * @param name what the set is, for reports ("apot4", "2^a+2^b", ...)
 */
public record LevelSet(String name, int[] magnitudes) {
  public LevelSet {
    if (magnitudes.length < 2 || magnitudes[0] != 0) {
      throw new IllegalArgumentException(name + ": magnitudes must start with 0 and have a"
          + " nonzero level");
    }
    for (int i = 1; i < magnitudes.length; i++) {
      if (magnitudes[i] <= magnitudes[i - 1]) {
        throw new IllegalArgumentException(name + ": magnitudes must ascend strictly");
      }
    }
    magnitudes = magnitudes.clone();
  }

  /** The distinct values of {@code values} (absolute values, 0 added), ascending. */
  public static LevelSet of(String name, Iterable<Integer> values) {
    TreeSet<Integer> s = new TreeSet<>();
    s.add(0);
    for (int v : values) {
      s.add(Math.abs(v));
    }
    return new LevelSet(name, s.stream().mapToInt(Integer::intValue).toArray());
  }

  /** Plain integers {@code 0..max}: uniform midtread (int4 is {@code max = 7}, int8 127). */
  public static LevelSet uniform(int max) {
    int[] m = new int[max + 1];
    for (int i = 0; i <= max; i++) {
      m[i] = i;
    }
    return new LevelSet("uniform +-" + max, m);
  }

  /**
   * Single power of two: {@code {0, 2^0, ..., 2^(exponents-1)}} (research §4.4 PoT rows; pot4 is
   * 7 exponents, DoubleQ's 5-bit code 8).
   */
  public static LevelSet pot(int exponents) {
    int[] m = new int[exponents + 1];
    for (int e = 0; e < exponents; e++) {
      m[e + 1] = 1 << e;
    }
    return new LevelSet("pot " + exponents + " exponents", m);
  }

  /**
   * All sums of one element from each term set, each set holding 0 ("no term") and powers of
   * two: APoT (§3.1) and UPoT (§2.2) level sets in integer form.
   */
  public static LevelSet sums(String name, int[]... termSets) {
    TreeSet<Integer> acc = new TreeSet<>();
    acc.add(0);
    for (int[] set : termSets) {
      TreeSet<Integer> next = new TreeSet<>();
      for (int a : acc) {
        for (int t : set) {
          next.add(a + t);
        }
      }
      acc = next;
    }
    return of(name, acc);
  }

  /**
   * APoT 4-bit weights (Li et al. ICLR 2020, §3.1; {@code build_power_value(B=3)}): term sets
   * {@code {0, 2^-1, 2^-2, 2^-4}} and {@code {0, 2^-3}}, i.e. {@code {0,1,2,3,4,6,8,10}/10} after
   * APoT's max-normalization; in sixteenths these are the integers {@code {0,1,2,3,4,6,8,10}}.
   */
  public static LevelSet apot4() {
    return sums("apot4", new int[] {0, 8, 4, 1}, new int[] {0, 2});
  }

  /**
   * Kalali's projection set (seed 000, research §2.1): {@code {0} ∪ {2^a} ∪ {2^a + 2^b : a > b}}
   * with {@code a, b ∈ [0, maxExponent]}, 37 magnitudes for 7; with {@code signedDigits} also
   * {@code 2^a - 2^b} (52 magnitudes).
   */
  public static LevelSet twoTerms(int maxExponent, boolean signedDigits) {
    TreeSet<Integer> s = new TreeSet<>();
    for (int a = 0; a <= maxExponent; a++) {
      s.add(1 << a);
      for (int b = 0; b < a; b++) {
        s.add((1 << a) + (1 << b));
        if (signedDigits) {
          s.add((1 << a) - (1 << b));
        }
      }
    }
    return of(signedDigits ? "2^a+-2^b" : "2^a+2^b", s);
  }

  /** Unsigned {@code width}-bit integers with at most {@code ones} set bits (93 for 8 and 3). */
  public static LevelSet setBits(int width, int ones) {
    TreeSet<Integer> s = new TreeSet<>();
    for (int v = 0; v < 1 << width; v++) {
      if (Integer.bitCount(v) <= ones) {
        s.add(v);
      }
    }
    return of("<=" + ones + " set bits of " + width, s);
  }

  /**
   * ShiftCNN (Gudovskiy & Rigazio, §3.4): all sums of {@code n} terms, each from the codebook
   * {@code {0, ±2^0, ±2^-1, ..., ±2^-(2^(b-1) - 2)}} ({@code 2^b - 1} values); in integers the
   * exponents are {@code 0..2^(b-1) - 2} counted up from the smallest term.
   */
  public static LevelSet shiftCnn(int n, int b) {
    int exps = (1 << (b - 1)) - 1;
    TreeSet<Integer> terms = new TreeSet<>();
    terms.add(0);
    for (int e = 0; e < exps; e++) {
      terms.add(1 << e);
      terms.add(-(1 << e));
    }
    TreeSet<Integer> acc = new TreeSet<>();
    acc.add(0);
    for (int i = 0; i < n; i++) {
      TreeSet<Integer> next = new TreeSet<>();
      for (int a : acc) {
        for (int t : terms) {
          next.add(a + t);
        }
      }
      acc = next;
    }
    return of("shiftcnn N=" + n + " B=" + b, acc);
  }

  /** Number of magnitudes, 0 included. */
  public int size() {
    return magnitudes.length;
  }

  /** The largest magnitude. */
  public int max() {
    return magnitudes[magnitudes.length - 1];
  }

  /** Magnitude {@code i}. */
  public int magnitude(int i) {
    return magnitudes[i];
  }

  /** Code width of the sign-magnitude code: 1 sign bit plus {@code ceil(log2(size))}. */
  public int codeBits() {
    return 1 + (32 - Integer.numberOfLeadingZeros(magnitudes.length - 1));
  }

  /** The most signed power-of-two terms any magnitude needs (its non-adjacent form weight). */
  public int maxTerms() {
    int k = 0;
    for (int m : magnitudes) {
      k = Math.max(k, WeightCodebook.naf(m).size());
    }
    return k;
  }

  /**
   * The sign-magnitude codebook of this set: code {@code sign << (bits-1) | i} decodes to
   * {@code ±magnitude(i)}, index 0 and the unused indices to 0, so the sign bit with index 0 is the
   * reserved zero code of POT (docs/accelerator.md §2). POT when the magnitudes are
   * {@code 0, 2^0, 2^1, ...} (the layout of {@link WeightCodebook#pot} with {@code e_min = 0}),
   * TERMS otherwise.
   */
  public WeightCodebook codebook() {
    int bits = Math.max(2, codeBits());
    int half = 1 << (bits - 1);
    int[] levels = new int[2 * half];
    for (int i = 1; i < magnitudes.length; i++) {
      levels[i] = magnitudes[i];
      levels[half | i] = -magnitudes[i];
    }
    boolean pot = true;
    for (int i = 1; i < magnitudes.length; i++) {
      pot &= magnitudes[i] == 1 << (i - 1);
    }
    // POT's table rule fixes every entry, so unused indices decode to the larger powers of two
    // (never emitted) rather than 0
    return pot ? WeightCodebook.pot(bits, 0) : WeightCodebook.terms(bits, levels);
  }

  /** The sign-magnitude code of index {@code i} (see {@link #codebook()}). */
  public int code(int i, boolean negative) {
    return i == 0 ? 0 : (negative ? 1 << (Math.max(2, codeBits()) - 1) : 0) | i;
  }

  /** The sign-symmetric quantizer over these magnitudes (level units = integers). */
  public ScalarQuantizer quantizer(Rounding rounding) {
    return ScalarQuantizer.symmetric(Arrays.stream(magnitudes).asDoubleStream().toArray(),
        rounding);
  }

  /**
   * Index of the magnitude nearest to {@code a >= 0} under {@code rounding}; ties go to the
   * larger magnitude (as the existing pot4 quantizer does).
   */
  public int nearest(double a, Rounding rounding) {
    int lo = 0;
    int hi = magnitudes.length - 1;
    if (!(a > 0)) {
      return 0;
    }
    if (a >= magnitudes[hi]) {
      return hi;
    }
    while (hi - lo > 1) { // invariant m[lo] <= a < m[hi]
      int mid = (lo + hi) >>> 1;
      if (magnitudes[mid] <= a) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    double l = magnitudes[lo];
    double u = magnitudes[hi];
    double t = rounding == Rounding.LOG && l > 0 ? Math.sqrt(l * u) : 0.5 * (l + u);
    return a >= t ? hi : lo;
  }

  @Override
  public int[] magnitudes() {
    return magnitudes.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LevelSet s && name.equals(s.name) && Arrays.equals(magnitudes,
        s.magnitudes);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(magnitudes);
  }

  @Override
  public String toString() {
    return name + " (" + magnitudes.length + " magnitudes, max " + max() + ")";
  }
}
