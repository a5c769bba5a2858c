package dev.potaccel.quantize;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.ValueRange;
import dev.potaccel.graph.DataType;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Node;
import dev.potaccel.graph.OpType;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.quantize.levels.GgdStep;
import dev.potaccel.quantize.levels.QuantizedLayer;
import dev.potaccel.quantize.levels.Sqnr;
import dev.potaccel.quantize.levels.WeightScheme;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Quantizes a calibrated graph with a {@link SchemeSpec}: folds BatchNorm, gives every measured
 * FP32 value an 8-bit power-of-two format, and rounds the weights of every Conv and Gemm whose
 * operands are constants with the scheme's {@link WeightScheme} (or, per layer, the one {@link
 * Options#layerSchemes} names: DoubleQExt's plan). The baselines {@code int8} and {@code pot4} keep
 * their original quantizer ({@link WeightQuantizer}) so their packages do not change.
 *
 * <p>The GGD scheme's activations (research/quantization.md §2.5): every value a node computes
 * gets the fractional length {@link GgdStep} finds on its calibration sample (a generalized gamma
 * fit, single-sided when the graph guarantees it is never negative, the asymptotic clip refined on
 * the sample error, snapped to a power of two). The graph's input and outputs keep the max-abs
 * rule: the input is a normalised image, not a feature map, and clipping the logits would tie the
 * classes the argmax chooses between. {@link Options#activationFracs} overrides any value's
 * fractional length (Backwards-Forward Tuning).
 *
 * <p>Activation formats: the ops that move or select codes without arithmetic (pooling, Flatten,
 * Reshape, Identity...) keep their input's format exactly, as the accelerator requires; every other
 * value gets the largest {@code F} with {@code max|x|·2^F <= 127}, or 255 unsigned when the graph
 * guarantees it is never negative (after ReLU, ReLU6, Sigmoid, Softmax, and ops of only such
 * values; a graph input when calibration never saw it negative).
 */
public final class Quantizer {
  /** Ops whose output is some of their input's elements (or their mean): same format. */
  private static final Set<OpType> FORMAT_KEEPING = EnumSet.of(OpType.MAX_POOL,
      OpType.AVERAGE_POOL, OpType.GLOBAL_AVERAGE_POOL, OpType.FLATTEN, OpType.RESHAPE,
      OpType.SQUEEZE, OpType.UNSQUEEZE, OpType.IDENTITY, OpType.DROPOUT, OpType.TRANSPOSE);

  private Quantizer() {}

  /**
   * What a compile flow may fix beyond the scheme.
   *
   * @param layerSchemes per Conv/Gemm node name, the weight scheme to use instead of the
   *     scheme's own (DoubleQExt's plan); layers not named use the scheme's
   * @param activationFracs per value name, the fractional length to use instead of the rule's
   *     (BFT); the value keeps its signedness
   * @param cache layers already quantized by an earlier call with the same weights and bias
   *     limits, reused (BFT re-quantizes a graph dozens of times); null for none
   */
  public record Options(Map<String, WeightScheme> layerSchemes,
      Map<String, Integer> activationFracs, LayerCache cache) {
    public static final Options NONE = new Options(Map.of(), Map.of(), null);

    public Options {
      layerSchemes = Map.copyOf(layerSchemes);
      activationFracs = Map.copyOf(activationFracs);
    }

    public Options withLayerSchemes(Map<String, WeightScheme> s) {
      return new Options(s, activationFracs, cache);
    }

    public Options withActivationFracs(Map<String, Integer> f) {
      return new Options(layerSchemes, f, cache);
    }

    public Options withCache(LayerCache c) {
      return new Options(layerSchemes, activationFracs, c);
    }
  }

  /**
   * Quantized layers by node, weight scheme and bias limits: a layer's codes depend on nothing
   * else, so re-quantizing a graph after changing activation fractional lengths costs only the
   * layers whose input scale moved a bias limit. Thread-safe.
   */
  public static final class LayerCache {
    private record Key(String node, WeightScheme scheme, List<Integer> limits) {}

    private final Map<Key, QuantizedLayer> layers = new ConcurrentHashMap<>();
  }

  /**
   * @param stats ranges measured on {@code g} (before folding: folding keeps value names)
   */
  public static QuantizedGraph quantize(Graph g, CalibrationStats stats,
      QuantizationScheme scheme) {
    return quantize(g, stats, SchemeSpec.of(scheme), Options.NONE);
  }

  /**
   * @param stats ranges (and, for GGD activations, samples) measured on {@code g} before folding
   * @throws IllegalArgumentException for {@code doubleqext} without a layer plan in {@code opts}
   *     for a weighted layer, or a GGD scheme whose stats hold no samples
   */
  public static QuantizedGraph quantize(Graph g, CalibrationStats stats, SchemeSpec scheme,
      Options opts) {
    Graph folded = BatchNormFolding.fold(g);
    ConstantValues constants = new ConstantValues(folded);
    List<String> own = new ArrayList<>();
    Map<String, ActivationFormat> formats = activationFormats(folded, stats, constants, scheme,
        opts.activationFracs(), own);
    Map<String, QuantizedWeights> weights = new LinkedHashMap<>();
    Map<String, LayerQuality> quality = new LinkedHashMap<>();
    for (Node n : folded.nodes()) {
      ActivationFormat in = formats.get(n.input(0));
      if (in == null) {
        continue;
      }
      Layer layer = switch (n.op()) {
        case CONV -> conv(n, folded);
        case GEMM -> gemm(n, folded);
        default -> null;
      };
      if (layer != null) {
        Quantized q = quantize(layer, in, scheme, opts);
        weights.put(n.name(), q.weights());
        quality.put(n.name(), q.quality());
      }
    }
    return new QuantizedGraph(folded, scheme, scheme.parameters(), weights, formats, quality,
        own, stats.images(), stats.sha256());
  }

  static Map<String, ActivationFormat> activationFormats(Graph g, CalibrationStats stats,
      ConstantValues constants) {
    return activationFormats(g, stats, constants, SchemeSpec.of(QuantizationScheme.INT8),
        Map.of(), new ArrayList<>());
  }

  /**
   * @param own receives, in graph order, the values whose format is chosen here rather than kept
   *     from an input (the ones BFT may tune)
   */
  static Map<String, ActivationFormat> activationFormats(Graph g, CalibrationStats stats,
      ConstantValues constants, SchemeSpec scheme, Map<String, Integer> overrides,
      List<String> own) {
    int bits = QuantizationScheme.ACTIVATION_BITS;
    Set<String> graphOutputs = new HashSet<>();
    for (ValueInfo o : g.outputs()) {
      graphOutputs.add(o.name());
    }
    Map<String, ActivationFormat> formats = new HashMap<>();
    Map<String, Boolean> nonNegative = new HashMap<>();
    for (ValueInfo in : g.inputs()) {
      if (stats.has(in.name())) {
        ValueRange r = stats.range(in.name());
        nonNegative.put(in.name(), r.nonNegative());
        formats.put(in.name(), override(ActivationFormat.covering(r.maxAbs(), !r.nonNegative(),
            bits), overrides.get(in.name())));
        own.add(in.name());
      }
    }
    for (Node n : g.nodes()) {
      boolean nonNeg = nonNegative(n, nonNegative, constants);
      for (String o : n.outputs()) {
        TensorType t = g.typeOf(o);
        if (o.isEmpty() || t == null || t.dtype() != DataType.FLOAT) {
          continue;
        }
        nonNegative.put(o, nonNeg);
        ActivationFormat kept = FORMAT_KEEPING.contains(n.op()) && o.equals(n.outputs().get(0))
            ? formats.get(n.input(0)) : null;
        if (kept != null) {
          formats.put(o, kept);
        } else if (stats.has(o)) {
          ActivationFormat f = scheme.ggdActivations() && !graphOutputs.contains(o)
              ? ggd(o, stats, nonNeg, bits)
              : ActivationFormat.covering(stats.range(o).maxAbs(), !nonNeg, bits);
          formats.put(o, override(f, overrides.get(o)));
          own.add(o);
        }
      }
    }
    return formats;
  }

  private static ActivationFormat override(ActivationFormat f, Integer frac) {
    if (frac == null) {
      return f;
    }
    return new ActivationFormat(f.bits(), f.signed(),
        Math.max(-ActivationFormat.MAX_FRAC, Math.min(ActivationFormat.MAX_FRAC, frac)));
  }

  /**
   * The GGD step of value {@code name} (research §2.5): fitted on its calibration sample. A
   * value that is (almost) always 0 has nothing to fit and keeps the max-abs rule.
   */
  private static ActivationFormat ggd(String name, CalibrationStats stats, boolean nonNeg,
      int bits) {
    if (!stats.samples().containsKey(name)) {
      throw new IllegalArgumentException("GGD activations need calibration samples; the stats"
          + " hold none for '" + name + "'");
    }
    float[] s = stats.sample(name);
    double[] x = new double[s.length];
    int positive = 0;
    for (int i = 0; i < s.length; i++) {
      x[i] = s[i];
      if ((nonNeg ? s[i] : Math.abs(s[i])) > 0) {
        positive++;
      }
    }
    ActivationFormat maxAbs = ActivationFormat.covering(stats.range(name).maxAbs(), !nonNeg,
        bits);
    if (positive < 16) {
      return maxAbs;
    }
    try {
      int frac = GgdStep.of(x, bits, nonNeg).frac();
      return new ActivationFormat(bits, !nonNeg,
          Math.max(-ActivationFormat.MAX_FRAC, Math.min(ActivationFormat.MAX_FRAC, frac)));
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new IllegalArgumentException("value '" + name + "': GGD fit failed on "
          + s.length + " calibration samples: " + e.getMessage(), e);
    }
  }

  /** Whether the graph guarantees node {@code n}'s first output is never negative. */
  private static boolean nonNegative(Node n, Map<String, Boolean> known,
      ConstantValues constants) {
    return switch (n.op()) {
      case RELU, SIGMOID, SOFTMAX -> true;
      case CLIP -> {
        double[] bounds = constants.clipBounds(n);
        yield bounds != null && bounds[0] >= 0;
      }
      case MAX_POOL, AVERAGE_POOL, GLOBAL_AVERAGE_POOL, FLATTEN, RESHAPE, SQUEEZE, UNSQUEEZE,
          IDENTITY, DROPOUT, TRANSPOSE -> known.getOrDefault(n.input(0), false);
      case ADD, MUL, CONCAT -> {
        boolean all = true;
        for (String in : n.inputs()) {
          if (in.isEmpty()) {
            continue;
          }
          Tensor c = constants.of(in);
          all &= c != null ? allNonNegative(c) : known.getOrDefault(in, false);
        }
        yield all;
      }
      default -> false;
    };
  }

  private static boolean allNonNegative(Tensor t) {
    for (int i = 0; i < t.size(); i++) {
      if (!(t.getDouble(i) >= 0)) {
        return false;
      }
    }
    return true;
  }

  /** A Conv's or Gemm's FP32 weights as {@code [M][Cg][kh][kw]} and its bias. */
  private record Layer(String node, float[] w, float[] bias, int m, int cg, int kh, int kw) {}

  private record Quantized(QuantizedWeights weights, LayerQuality quality) {}

  private static Layer conv(Node n, Graph g) {
    Tensor w = g.initializers().get(n.input(1));
    if (w == null || !w.dtype().isFloat() || w.rank() != 4) {
      return null;
    }
    int m = w.dim(0);
    float[] bias = new float[m];
    if (n.hasInput(2)) {
      Tensor b = g.initializers().get(n.input(2));
      if (b == null || !b.dtype().isFloat() || b.size() != m) {
        return null;
      }
      bias = b.floats();
    }
    return new Layer(n.name(), w.floats(), bias, m, w.dim(1), w.dim(2), w.dim(3));
  }

  /** Gemm {@code alpha·A·B' + beta·C} as {@code [M, K, 1, 1]} weights, A not transposed. */
  private static Layer gemm(Node n, Graph g) {
    Tensor b = g.initializers().get(n.input(1));
    if (n.attributes().getInt("transA", 0) != 0 || b == null || !b.dtype().isFloat()
        || b.rank() != 2) {
      return null;
    }
    boolean transB = n.attributes().getInt("transB", 0) != 0;
    int m = transB ? b.dim(0) : b.dim(1);
    int k = transB ? b.dim(1) : b.dim(0);
    float alpha = n.attributes().getFloat("alpha", 1f);
    float beta = n.attributes().getFloat("beta", 1f);
    float[] src = b.floats();
    float[] w = new float[m * k];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < k; j++) {
        w[i * k + j] = alpha * (transB ? src[i * k + j] : src[j * m + i]);
      }
    }
    float[] bias = new float[m];
    if (n.hasInput(2)) {
      Tensor c = g.initializers().get(n.input(2));
      if (c == null || !c.dtype().isFloat()) {
        return null;
      }
      boolean perOutput = c.size() == m && (c.rank() == 1 || (c.rank() == 2 && c.dim(0) == 1));
      if (!perOutput && c.size() != 1) {
        return null; // a bias per row of A is not a layer bias
      }
      for (int i = 0; i < m; i++) {
        bias[i] = beta * c.floats()[perOutput ? i : 0];
      }
    }
    return new Layer(n.name(), w, bias, m, k, 1, 1);
  }

  private static Quantized quantize(Layer l, ActivationFormat in, SchemeSpec scheme,
      Options opts) {
    WeightScheme chosen = opts.layerSchemes().get(l.node());
    if (chosen == null && scheme.baseline() != null) {
      QuantizedWeights q = baseline(l, in, scheme.baseline());
      return new Quantized(q, quality(l, q, scheme.id(), scheme.id()));
    }
    if (chosen == null && scheme.method().equals("doubleqext")) {
      throw new IllegalArgumentException("layer '" + l.node() + "': doubleqext needs a plan"
          + " naming doubleq or int8 for every weighted layer");
    }
    WeightScheme ws = chosen != null ? chosen : scheme.weightScheme();
    int per = l.cg() * l.kh() * l.kw();
    int[] limits = WeightScheme.biasFracLimits(l.bias(), in.frac());
    QuantizedLayer ql;
    if (opts.cache() != null) {
      LayerCache.Key key = new LayerCache.Key(l.node(), ws,
          Arrays.stream(limits).boxed().toList());
      ql = opts.cache().layers.computeIfAbsent(key,
          k -> ws.quantizeLayer(l.w(), l.m(), per, limits));
    } else {
      ql = ws.quantizeLayer(l.w(), l.m(), per, limits);
    }
    int[] frac = ql.frac();
    long[] b = new long[l.m()];
    for (int ch = 0; ch < l.m(); ch++) {
      b[ch] = WeightQuantizer.roundHalfAway(Math.scalb((double) l.bias()[ch],
          in.frac() + frac[ch]));
    }
    QuantizedWeights q = new QuantizedWeights(l.node(), ql.codebook(), l.m(), l.cg(), l.kh(),
        l.kw(), ql.codes(), frac, b, in.frac());
    return new Quantized(q, quality(l, q, ws.id(), ql.description()));
  }

  private static LayerQuality quality(Layer l, QuantizedWeights q, String scheme,
      String description) {
    int per = q.perChannel();
    double[] v = new double[l.w().length];
    for (int i = 0; i < v.length; i++) {
      v[i] = q.value(i / per, i % per);
    }
    return new LayerQuality(l.node(), scheme, description, l.w().length, q.codebook().bits(),
        Sqnr.tensorDb(l.w(), v));
  }

  /** The original int8 and pot4 quantizer, unchanged. */
  private static QuantizedWeights baseline(Layer l, ActivationFormat in,
      QuantizationScheme scheme) {
    int per = l.cg() * l.kh() * l.kw();
    float[] w = l.w();
    int[] codes = new int[l.m() * per];
    int[] frac = new int[l.m()];
    long[] b = new long[l.m()];
    for (int ch = 0; ch < l.m(); ch++) {
      WeightQuantizer.Channel c = switch (scheme) {
        case INT8 -> WeightQuantizer.int8(w, ch * per, per, l.bias()[ch], in.frac());
        case POT4 -> WeightQuantizer.pot(w, ch * per, per, 4, l.bias()[ch], in.frac());
      };
      System.arraycopy(c.codes(), 0, codes, ch * per, per);
      frac[ch] = c.frac();
      b[ch] = WeightQuantizer.roundHalfAway(Math.scalb((double) l.bias()[ch],
          in.frac() + c.frac()));
    }
    WeightCodebook codebook = switch (scheme) {
      case INT8 -> WeightCodebook.int8(8);
      case POT4 -> WeightCodebook.pot(4, 0);
    };
    return new QuantizedWeights(l.node(), codebook, l.m(), l.cg(), l.kh(), l.kw(), codes, frac,
        b, in.frac());
  }
}
