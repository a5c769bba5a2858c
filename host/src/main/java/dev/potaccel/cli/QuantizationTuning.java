package dev.potaccel.cli;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.compile.CompileException;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.compile.CompiledPackage;
import dev.potaccel.compile.PackageCompiler;
import dev.potaccel.graph.Graph;
import dev.potaccel.quantize.LayerQuality;
import dev.potaccel.quantize.QuantizedGraph;
import dev.potaccel.quantize.Quantizer;
import dev.potaccel.quantize.SchemeSpec;
import dev.potaccel.quantize.levels.DoubleQWeights;
import dev.potaccel.quantize.levels.Rounding;
import dev.potaccel.quantize.levels.UniformWeights;
import dev.potaccel.quantize.levels.WeightScheme;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The searches of the seed methods that need the network's accuracy, not just the weights'
 * error: Backwards-Forward Tuning of activation fractional lengths (GGD paper, research §2.5) and
 * DoubleQExt's layer selection (research §2.4 step 3). Both score candidate packages on a tuning
 * split of <em>training</em> images through the emulator ({@link SplitEvaluator}); the test set
 * is never seen. They live in {@code cli} because they need the emulator, which comes after
 * {@code quantize} and {@code compile} in the package order.
 */
final class QuantizationTuning {
  /** Default number of BFT sweeps (each a backward then a forward pass over the values). */
  static final int BFT_SWEEPS = 1;

  /** DoubleQExt's default memory target: the abstract's 23.05% saving against int8. */
  static final double DEFAULT_MEMORY_TARGET = 0.2305;

  private final Graph graph;
  private final CalibrationStats stats;
  private final SchemeSpec scheme;
  private final CompileOptions compileOptions;
  private final SplitEvaluator evaluator;
  private final PrintWriter log;
  private final Quantizer.LayerCache cache = new Quantizer.LayerCache();
  private int evaluations;

  QuantizationTuning(Graph graph, CalibrationStats stats, SchemeSpec scheme,
      CompileOptions compileOptions, SplitEvaluator evaluator, PrintWriter log) {
    this.graph = graph;
    this.stats = stats;
    this.scheme = scheme;
    this.compileOptions = compileOptions;
    this.evaluator = evaluator;
    this.log = log;
  }

  /** Packages scored so far. */
  int evaluations() {
    return evaluations;
  }

  Quantizer.LayerCache cache() {
    return cache;
  }

  /** Top-1 hits, ties broken by top-5 hits: what BFT maximises. */
  record Score(int top1Hits, int top5Hits, int images) implements Comparable<Score> {
    static Score of(Accuracy a) {
      return new Score(a.top1Hits(), a.top5Hits(), a.images());
    }

    @Override
    public int compareTo(Score o) {
      return top1Hits != o.top1Hits ? Integer.compare(top1Hits, o.top1Hits)
          : Integer.compare(top5Hits, o.top5Hits);
    }

    double top1() {
      return images == 0 ? 0 : (double) top1Hits / images;
    }

    double top5() {
      return images == 0 ? 0 : (double) top5Hits / images;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "top-1 %.2f%%, top-5 %.2f%%", 100 * top1(), 100 * top5());
    }
  }

  /** One BFT change kept. */
  record BftStep(String value, int from, int to, Score score) {}

  /** What BFT did: the start and end scores on the tuning split and the changes kept. */
  record BftResult(Map<String, Integer> fracs, Score start, Score end, List<BftStep> steps,
      int evaluations) {}

  /** Quantizes with {@code opts} and compiles, or null when the layers cannot compile. */
  private CompiledPackage compile(Quantizer.Options opts) {
    QuantizedGraph q = Quantizer.quantize(graph, stats, scheme, opts.withCache(cache));
    try {
      return PackageCompiler.compile(q, compileOptions);
    } catch (CompileException e) { // e.g. a finer input scale overflows an accumulator
      return null;
    }
  }

  private Score score(CompiledPackage c) {
    evaluations++;
    return Score.of(evaluator.score(c.pkg()));
  }

  /**
   * Backwards-Forward Tuning (research §2.5 [R]): coordinate descent on the fractional length
   * of every value whose format is chosen for it ({@link QuantizedGraph#ownActivations}). A
   * backward pass from the last value to the first tries {@code F + 1} and {@code F - 1} and keeps
   * a change only if top-1 on the tuning split improves (ties: top-5) by at least {@link
   * #minGain} images; then a forward pass; up to
   * {@code sweeps} times or until nothing changes. A candidate that compiles to the same package
   * (a value the accelerator never stores, such as a conv output fused with its ReLU) is not
   * scored. Never worse than the start on the tuning split, by construction; the margin keeps it
   * from following single-image noise, which on 500 images did not carry over to the test set
   * (lenet5: two +1-image changes cost 0.2 points of test top-1).
   *
   * @param start the quantization to start from (its formats are the starting point)
   */
  BftResult bft(QuantizedGraph start, Quantizer.Options base, int sweeps) {
    Map<String, Integer> fracs = new LinkedHashMap<>();
    for (String v : start.ownActivations()) {
      fracs.put(v, start.activation(v).frac());
    }
    CompiledPackage current = compile(base.withActivationFracs(fracs));
    if (current == null) {
      throw new IllegalStateException("BFT: the starting quantization does not compile");
    }
    Score best = score(current);
    Score first = best;
    log.printf(Locale.ROOT, "bft          start on %d tuning images: %s; %d values to tune%n",
        best.images(), best, fracs.size());
    log.flush();
    List<String> order = new ArrayList<>(fracs.keySet());
    List<BftStep> steps = new ArrayList<>();
    for (int sweep = 0; sweep < sweeps; sweep++) {
      boolean changed = false;
      for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < order.size(); i++) {
          String v = order.get(pass == 0 ? order.size() - 1 - i : i);
          int f = fracs.get(v);
          for (int delta : new int[] {+1, -1}) {
            Map<String, Integer> trial = new LinkedHashMap<>(fracs);
            trial.put(v, f + delta);
            CompiledPackage c = compile(base.withActivationFracs(trial));
            if (c == null || c.pkg().equals(current.pkg())) {
              continue;
            }
            Score s = score(c);
            if (improves(s, best)) {
              fracs = trial;
              best = s;
              current = c;
              changed = true;
              steps.add(new BftStep(v, f, f + delta, s));
              log.printf(Locale.ROOT, "bft          %s pass: '%s' F %d -> %d: %s%n",
                  pass == 0 ? "backward" : "forward", v, f, f + delta, s);
              log.flush();
              break;
            }
          }
        }
      }
      if (!changed) {
        break;
      }
    }
    log.printf(Locale.ROOT, "bft          end: %s (start %s), %d changes kept, %d packages"
        + " scored%n", best, first, steps.size(), evaluations);
    log.flush();
    return new BftResult(fracs, first, best, steps, evaluations);
  }

  /**
   * The least gain BFT acts on: 0.2% of the tuning images, at least 2 (one image either way is
   * within the noise of any split).
   */
  static int minGain(int images) {
    return Math.max(2, (int) Math.ceil(0.002 * images));
  }

  /** Whether {@code s} beats {@code best} by {@link #minGain}: top-1 first, else top-5. */
  static boolean improves(Score s, Score best) {
    int g = minGain(best.images());
    return s.top1Hits() - best.top1Hits() >= g
        || (s.top1Hits() == best.top1Hits() && s.top5Hits() - best.top5Hits() >= g);
  }

  /** One point of DoubleQExt's accuracy-vs-memory curve. */
  record CurvePoint(int converted, String layer, double memorySaving, Score score) {}

  /** DoubleQExt's choice: the weight scheme per layer, and the curve it was chosen from. */
  record DoubleQExtPlan(Map<String, WeightScheme> layers, List<CurvePoint> curve, int chosen,
      String rule) {
    double memorySaving() {
      return curve.get(chosen).memorySaving();
    }
  }

  /**
   * DoubleQExt's layer selection (research §2.4 step 3, criterion (a)): each layer is made PoT
   * alone and scored on the tuning split; layers are ranked by how little top-1 (then top-5) they
   * lose, ties by the weight SQNR the PoT step costs; then converted greedily in that order. The
   * whole curve (first k layers converted, k = 0..L) is scored and printed. With a memory target
   * the smallest k reaching it is chosen; with an accuracy budget the largest k whose top-1 drop
   * against int8 (k = 0) stays within it.
   *
   * @param memoryTarget saving against int8 weights (0.2305 is 23.05%), or null
   * @param accuracyBudget top-1 drop in points against int8 on the tuning split, or null
   */
  DoubleQExtPlan doubleQExt(Double memoryTarget, Double accuracyBudget) {
    WeightScheme int8 = UniformWeights.int8Baseline();
    WeightScheme pot = new DoubleQWeights(Rounding.LINEAR);
    Quantizer.Options none = Quantizer.Options.NONE;
    // every layer int8 and every layer doubleq: names, sizes, SQNR lost
    QuantizedGraph all8 = Quantizer.quantize(graph, stats, scheme,
        none.withLayerSchemes(uniform(graph, int8)).withCache(cache));
    List<String> names = new ArrayList<>(all8.layers().keySet());
    Map<String, WeightScheme> plan8 = new LinkedHashMap<>();
    names.forEach(n -> plan8.put(n, int8));
    Map<String, WeightScheme> planPot = new LinkedHashMap<>();
    names.forEach(n -> planPot.put(n, pot));
    QuantizedGraph allPot = Quantizer.quantize(graph, stats, scheme,
        none.withLayerSchemes(planPot).withCache(cache));
    long total = 0;
    Map<String, Long> size = new HashMap<>();
    Map<String, Double> lossDb = new HashMap<>();
    for (String n : names) {
      LayerQuality a = all8.layers().get(n);
      size.put(n, a.weights());
      total += a.weights();
      lossDb.put(n, a.sqnrDb() - allPot.layers().get(n).sqnrDb());
    }
    Score base = score(requireCompiled(none.withLayerSchemes(plan8), "int8"));
    Map<String, Score> alone = new HashMap<>();
    for (String n : names) {
      Map<String, WeightScheme> p = new LinkedHashMap<>(plan8);
      p.put(n, pot);
      alone.put(n, score(requireCompiled(none.withLayerSchemes(p), n)));
    }
    List<String> ranked = new ArrayList<>(names);
    ranked.sort(Comparator.comparing((String n) -> alone.get(n)).reversed()
        .thenComparingDouble(lossDb::get).thenComparing(n -> n));
    List<CurvePoint> curve = new ArrayList<>();
    curve.add(new CurvePoint(0, "", 0, base));
    Map<String, WeightScheme> p = new LinkedHashMap<>(plan8);
    long converted = 0;
    for (int k = 1; k <= ranked.size(); k++) {
      String n = ranked.get(k - 1);
      p.put(n, pot);
      converted += size.get(n);
      Score s = score(requireCompiled(none.withLayerSchemes(p), n));
      curve.add(new CurvePoint(k, n, 3.0 * converted / (8.0 * total), s));
    }
    int chosen;
    String rule;
    if (accuracyBudget != null) {
      chosen = 0;
      for (CurvePoint c : curve) {
        if (100 * (base.top1() - c.score().top1()) <= accuracyBudget + 1e-9) {
          chosen = c.converted();
        }
      }
      rule = String.format(Locale.ROOT, "accuracy budget %.2f points of top-1 against int8 on"
          + " the tuning split", accuracyBudget);
    } else {
      double target = memoryTarget != null ? memoryTarget : DEFAULT_MEMORY_TARGET;
      chosen = curve.size() - 1;
      for (CurvePoint c : curve) {
        if (c.memorySaving() >= target - 1e-12) {
          chosen = c.converted();
          break;
        }
      }
      rule = String.format(Locale.ROOT, "memory target %.2f%% saving against int8",
          100 * target);
    }
    Map<String, WeightScheme> layers = new LinkedHashMap<>(plan8);
    for (int k = 0; k < chosen; k++) {
      layers.put(ranked.get(k), pot);
    }
    printCurve(curve, chosen, rule, lossDb);
    return new DoubleQExtPlan(layers, curve, chosen, rule);
  }

  private void printCurve(List<CurvePoint> curve, int chosen, String rule,
      Map<String, Double> lossDb) {
    log.println("doubleqext   accuracy vs memory on " + curve.get(0).score().images()
        + " tuning images (training split), layers made PoT in rank order; " + rule);
    log.println(String.format(Locale.ROOT, "  %3s  %-32s  %8s  %8s  %8s  %9s", "k",
        "layer made PoT", "saving", "top-1", "top-5", "SQNR lost"));
    for (CurvePoint c : curve) {
      String name = c.layer().length() > 32 ? c.layer().substring(0, 29) + "..." : c.layer();
      log.println(String.format(Locale.ROOT, "  %3d  %-32s  %7.2f%%  %7.2f%%  %7.2f%%  %9s%s",
          c.converted(), c.converted() == 0 ? "(all int8)" : name, 100 * c.memorySaving(),
          100 * c.score().top1(), 100 * c.score().top5(),
          c.converted() == 0 ? "" : String.format(Locale.ROOT, "%.1f dB",
              lossDb.get(c.layer())), c.converted() == chosen ? "  <- chosen" : ""));
    }
    log.flush();
  }

  private CompiledPackage requireCompiled(Quantizer.Options opts, String what) {
    CompiledPackage c = compile(opts);
    if (c == null) {
      QuantizedGraph q = Quantizer.quantize(graph, stats, scheme, opts.withCache(cache));
      PackageCompiler.compile(q, compileOptions); // throws the compiler's own message
      throw new IllegalStateException(what + ": does not compile");
    }
    return c;
  }

  /** Every weighted layer of {@code g} with {@code s} (DoubleQExt's all-int8 start). */
  private Map<String, WeightScheme> uniform(Graph g, WeightScheme s) {
    Map<String, WeightScheme> out = new LinkedHashMap<>();
    for (var n : g.nodes()) {
      out.put(n.name(), s);
    }
    return out;
  }
}
