package dev.potaccel.quantize.levels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DoubleQExt (seed 003; research §2.4 step 3, reconstruction [R]): DoubleQ's PoT second level
 * only on the "less informative" layers, the rest stays int8. The paper's selection criterion is
 * not public; this ranks layers by a cheap proxy (research option (b): how much SQNR the PoT step
 * costs over int8; the layers that lose least are converted first) and converts greedily until
 * the PoT layers hold {@code potFraction} of the weight bits. The default 0.615 is the abstract's
 * 23.05% saving over DoubleQ's 37.50% (research §2.4). The accuracy-driven criterion (a) needs the
 * evaluator and belongs to the compile path.
 */
public final class DoubleQExt {
  /** Default share of weight bits converted to PoT: 23.05 / 37.50. */
  public static final double DEFAULT_POT_FRACTION = 23.05 / 37.50;

  /** One layer's weights, row-major {@code [outChannels][perChannel]}. */
  public record Layer(String name, float[] weights, int outChannels, int perChannel) {}

  /** A layer's score: SQNR of int8 and of DoubleQ weights, and the loss between them. */
  public record Score(String name, long weights, double int8Db, double doubleqDb) {
    /** dB lost by the PoT step. */
    public double lossDb() {
      return int8Db - doubleqDb;
    }
  }

  private DoubleQExt() {}

  /** Scores every layer (empirical weight SQNR, int8 vs DoubleQ). */
  public static List<Score> score(List<Layer> layers) {
    List<Score> out = new ArrayList<>();
    for (Layer l : layers) {
      double i8 = UniformWeights.int8Baseline().quantizeLayer(l.weights(), l.outChannels(),
          l.perChannel()).sqnrDb(l.weights());
      double dq = new DoubleQWeights(Rounding.LINEAR).quantizeLayer(l.weights(),
          l.outChannels(), l.perChannel()).sqnrDb(l.weights());
      out.add(new Score(l.name(), l.weights().length, i8, dq));
    }
    return out;
  }

  /**
   * The scheme per layer name, in the input order: {@code doubleq} for the layers losing the
   * least SQNR, taken while their weights stay within {@code potFraction} of all weights
   * (ties by name, so the plan is deterministic), {@code int8} for the rest. The memory saving
   * against int8 is {@code 3/8} of that fraction.
   */
  public static Map<String, WeightScheme> plan(List<Score> scores, double potFraction) {
    long total = scores.stream().mapToLong(Score::weights).sum();
    List<Score> order = new ArrayList<>(scores);
    order.sort(Comparator.comparingDouble(Score::lossDb).thenComparing(Score::name));
    java.util.Set<String> pot = new java.util.HashSet<>();
    long used = 0;
    for (Score s : order) {
      if (used + s.weights() <= potFraction * total) {
        pot.add(s.name());
        used += s.weights();
      }
    }
    Map<String, WeightScheme> out = new LinkedHashMap<>();
    for (Score s : scores) {
      out.put(s.name(), pot.contains(s.name()) ? new DoubleQWeights(Rounding.LINEAR)
          : UniformWeights.int8Baseline());
    }
    return out;
  }
}
