package dev.potaccel.cli;

import java.util.ArrayList;
import java.util.List;

/** Turns one image's scores into probabilities and picks the k most likely classes. */
final class ClassRanking {
  /** How far from 1 a sum of probabilities may be (float rounding over a few thousand classes). */
  private static final double PROBABILITY_SUM_TOLERANCE = 1e-3;

  private ClassRanking() {}

  /** One class and how likely the model thinks it is. */
  record ClassScore(int classIndex, double probability) {}

  /**
   * Softmax of {@code scores}, unless they already are probabilities (all in [0,1], summing to
   * 1): a model that ends in Softmax must not be squashed a second time.
   */
  static double[] probabilities(float[] scores) {
    double[] p = new double[scores.length];
    double sum = 0;
    boolean inUnitRange = true;
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < scores.length; i++) {
      sum += scores[i];
      inUnitRange &= scores[i] >= 0 && scores[i] <= 1;
      max = Math.max(max, scores[i]);
    }
    if (inUnitRange && Math.abs(sum - 1) <= PROBABILITY_SUM_TOLERANCE) {
      for (int i = 0; i < scores.length; i++) {
        p[i] = scores[i];
      }
      return p;
    }
    // subtract the maximum so exp never overflows
    double total = 0;
    for (int i = 0; i < scores.length; i++) {
      p[i] = Math.exp(scores[i] - max);
      total += p[i];
    }
    for (int i = 0; i < scores.length; i++) {
      p[i] /= total;
    }
    return p;
  }

  /** The {@code k} most probable classes, most probable first; ties go to the lower index. */
  static List<ClassScore> topK(float[] scores, int k) {
    double[] p = probabilities(scores);
    boolean[] taken = new boolean[p.length];
    List<ClassScore> top = new ArrayList<>();
    for (int rank = 0; rank < Math.min(k, p.length); rank++) {
      int best = -1;
      for (int i = 0; i < p.length; i++) {
        if (!taken[i] && (best < 0 || ranksAbove(p[i], p[best]))) {
          best = i;
        }
      }
      taken[best] = true;
      top.add(new ClassScore(best, p[best]));
    }
    return top;
  }

  /**
   * How many classes rank above class {@code c} on raw scores (0 means it is the top-1 class):
   * a higher score, or an equal one at a lower index, as {@link #topK} orders them and as a
   * stable descending sort does.
   */
  static int rankOf(float[] scores, int c) {
    int rank = 0;
    for (int i = 0; i < scores.length; i++) {
      if (i != c && (ranksAbove(scores[i], scores[c])
          || (i < c && !ranksAbove(scores[c], scores[i])))) {
        rank++;
      }
    }
    return rank;
  }

  /** The top-1 class: the highest score, the lowest index among equals. */
  static int best(float[] scores) {
    int best = 0;
    for (int i = 1; i < scores.length; i++) {
      if (ranksAbove(scores[i], scores[best])) {
        best = i;
      }
    }
    return best;
  }

  /** NaN (from a broken model) ranks below every number instead of hiding the real classes. */
  private static boolean ranksAbove(double a, double b) {
    return a > b || (Double.isNaN(b) && !Double.isNaN(a));
  }
}
