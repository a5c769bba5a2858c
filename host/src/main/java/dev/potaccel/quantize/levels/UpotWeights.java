package dev.potaccel.quantize.levels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * UPoT, Universal Powers-of-Two (Xia et al., IEEE TCAS-I 2023, seed 001; research §2.2,
 * reconstruction [R]): a weight is a sign times a sum of {@code n} powers of two, term {@code i}
 * taken from its own subset {@code S_i = {0} ∪ {2^e : e ∈ E_i}} of {@code 2^k_i} values, with
 * {@code b = 1 + Σk_i} bits. "For each CNN model layer, UPoT automatically searches for the
 * optimized distribution that minimizes the quantization error": here, per layer, every split of
 * the {@code b - 1} magnitude bits into at most 3 subsets (TERMS has {@code k <= 3}) and every
 * choice of disjoint exponent sets {@code E_i} from a pool of 8 consecutive exponents (b=4 with
 * k=(2,1): the research's 280 configurations), each at its best power-of-two scale; the
 * configuration with the least squared error wins. Disjoint exponents make every sum distinct, so
 * all {@code 2^(b-1)} magnitudes are used. The search runs on the sorted weights' prefix sums
 * ({@link EmpiricalDistribution}), so it needs no subsampling.
 *
 * @param bits 2, 3 or 4
 * @param scalePerChannel a power-of-two scale per output channel instead of UPoT's per-layer α
 */
public record UpotWeights(int bits, boolean scalePerChannel) implements WeightScheme {
  /** Exponent pool size: {@code E_i ⊂ {0..7}}. */
  static final int POOL = 8;

  public UpotWeights {
    if (bits < 2 || bits > 4) {
      throw new IllegalArgumentException("upot takes --bits 2, 3 or 4, got " + bits);
    }
  }

  @Override
  public String id() {
    return "upot" + bits;
  }

  @Override
  public int codeBits() {
    return bits;
  }

  @Override
  public Map<String, String> parameters() {
    return Map.of("weight_format", "TERMS", "weight_bits", Integer.toString(bits),
        "weight_levels", "sign + sum of PoT terms from per-layer searched subsets of 2^0..2^7",
        "weight_scale", (scalePerChannel ? "per output channel" : "per layer")
            + ", power of two minimizing the squared error",
        "weight_rounding", "nearest level (linear midpoints), ties away from zero");
  }

  @Override
  public QuantizedLayer quantizeLayer(float[] w, int outChannels, int perChannel,
      int[] fracLimit) {
    List<EmpiricalDistribution> parts = new ArrayList<>();
    if (scalePerChannel) {
      for (int m = 0; m < outChannels; m++) {
        parts.add(EmpiricalDistribution.magnitudes(w, m * perChannel, perChannel));
      }
    } else {
      parts.add(EmpiricalDistribution.magnitudes(w, 0, outChannels * perChannel));
    }
    LevelSet best = null;
    double bestErr = Double.POSITIVE_INFINITY;
    for (LevelSet s : candidates(bits)) {
      ScalarQuantizer q = s.quantizer(Rounding.LINEAR);
      double err = 0;
      for (EmpiricalDistribution d : parts) {
        int f = PowerOfTwoScale.minMseFrac(d, q, s.max(), Integer.MAX_VALUE);
        err += d.squaredError(q, Math.scalb(1.0, -f));
      }
      if (err < bestErr) {
        bestErr = err;
        best = s;
      }
    }
    return LevelSetWeights.encode(best, Rounding.LINEAR, scalePerChannel, w, outChannels,
        perChannel, fracLimit, id() + " " + best.name());
  }

  /**
   * Every UPoT level set with {@code bits} bits: subsets of the pool for each split of
   * {@code bits - 1} into at most 3 parts, deduplicated up to a common power-of-two factor (which
   * the scale search absorbs). Named by their exponent sets, e.g. "{0,2,5}+{3}".
   */
  public static List<LevelSet> candidates(int bits) {
    List<LevelSet> out = new ArrayList<>();
    Set<List<Integer>> seen = new HashSet<>();
    for (int[] split : splits(bits - 1)) {
      search(split, 0, new ArrayList<>(), 0, out, seen);
    }
    return out;
  }

  /** Non-increasing splits of {@code m} into at most 3 positive parts. */
  private static List<int[]> splits(int m) {
    List<int[]> out = new ArrayList<>();
    for (int a = m; a >= 1; a--) {
      if (a == m) {
        out.add(new int[] {a});
      }
      for (int b = Math.min(a, m - a); b >= 1; b--) {
        int c = m - a - b;
        if (c == 0) {
          out.add(new int[] {a, b});
        } else if (c <= b) {
          out.add(new int[] {a, b, c});
        }
      }
    }
    return out;
  }

  private static void search(int[] split, int i, List<int[]> chosen, int used,
      List<LevelSet> out, Set<List<Integer>> seen) {
    if (i == split.length) {
      int[][] sets = new int[chosen.size()][];
      StringBuilder name = new StringBuilder();
      for (int s = 0; s < sets.length; s++) {
        int[] e = chosen.get(s);
        sets[s] = new int[e.length + 1];
        for (int t = 0; t < e.length; t++) {
          sets[s][t + 1] = 1 << e[t];
        }
        name.append(s == 0 ? "" : "+").append(Arrays.toString(e).replace(" ", "")
            .replace('[', '{').replace(']', '}'));
      }
      LevelSet set = LevelSet.sums(name.toString(), sets);
      int or = 0;
      for (int m : set.magnitudes()) {
        or |= m;
      }
      int shift = Integer.numberOfTrailingZeros(or);
      List<Integer> key = new ArrayList<>();
      for (int m : set.magnitudes()) {
        key.add(m >> shift);
      }
      if (set.size() == 1 << (split.length == 0 ? 0 : Arrays.stream(split).sum())
          && seen.add(key)) {
        out.add(set);
      }
      return;
    }
    int size = (1 << split[i]) - 1;
    // subsets of the unused pool of the given size, in lexicographic order; equal parts in
    // increasing order of their smallest exponent so (1,1,1) is enumerated once
    int minFirst = i > 0 && split[i] == split[i - 1] ? chosen.get(i - 1)[0] + 1 : 0;
    combinations(size, minFirst, used, new int[size], 0, e -> {
      chosen.add(e.clone());
      int mask = used;
      for (int x : e) {
        mask |= 1 << x;
      }
      search(split, i + 1, chosen, mask, out, seen);
      chosen.remove(chosen.size() - 1);
    });
  }

  private static void combinations(int size, int from, int used, int[] acc, int k,
      java.util.function.Consumer<int[]> each) {
    if (k == size) {
      each.accept(acc);
      return;
    }
    for (int e = k == 0 ? from : acc[k - 1] + 1; e < POOL; e++) {
      if ((used & (1 << e)) == 0) {
        acc[k] = e;
        combinations(size, from, used, acc, k + 1, each);
      }
    }
  }
}
