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
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Quantizes a calibrated graph with one of the baseline schemes: folds BatchNorm, gives every
 * measured FP32 value an 8-bit power-of-two format, and rounds the weights of every Conv and Gemm
 * whose operands are constants.
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
   * @param stats ranges measured on {@code g} (before folding: folding keeps value names)
   */
  public static QuantizedGraph quantize(Graph g, CalibrationStats stats,
      QuantizationScheme scheme) {
    Graph folded = BatchNormFolding.fold(g);
    ConstantValues constants = new ConstantValues(folded);
    Map<String, ActivationFormat> formats = activationFormats(folded, stats, constants);
    Map<String, QuantizedWeights> weights = new LinkedHashMap<>();
    for (Node n : folded.nodes()) {
      ActivationFormat in = formats.get(n.input(0));
      if (in == null) {
        continue;
      }
      QuantizedWeights w = switch (n.op()) {
        case CONV -> conv(n, folded, in, scheme);
        case GEMM -> gemm(n, folded, in, scheme);
        default -> null;
      };
      if (w != null) {
        weights.put(n.name(), w);
      }
    }
    return new QuantizedGraph(folded, scheme, scheme.parameters(), weights, formats,
        stats.images(), stats.sha256());
  }

  static Map<String, ActivationFormat> activationFormats(Graph g, CalibrationStats stats,
      ConstantValues constants) {
    int bits = QuantizationScheme.ACTIVATION_BITS;
    Map<String, ActivationFormat> formats = new HashMap<>();
    Map<String, Boolean> nonNegative = new HashMap<>();
    for (ValueInfo in : g.inputs()) {
      if (stats.has(in.name())) {
        ValueRange r = stats.range(in.name());
        nonNegative.put(in.name(), r.nonNegative());
        formats.put(in.name(), ActivationFormat.covering(r.maxAbs(), !r.nonNegative(), bits));
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
          formats.put(o, ActivationFormat.covering(stats.range(o).maxAbs(), !nonNeg, bits));
        }
      }
    }
    return formats;
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

  private static QuantizedWeights conv(Node n, Graph g, ActivationFormat in,
      QuantizationScheme scheme) {
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
    return quantize(n.name(), w.floats(), bias, m, w.dim(1), w.dim(2), w.dim(3), in, scheme);
  }

  /** Gemm {@code alpha·A·B' + beta·C} as {@code [M, K, 1, 1]} weights, A not transposed. */
  private static QuantizedWeights gemm(Node n, Graph g, ActivationFormat in,
      QuantizationScheme scheme) {
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
    return quantize(n.name(), w, bias, m, k, 1, 1, in, scheme);
  }

  private static QuantizedWeights quantize(String node, float[] w, float[] bias, int m, int cg,
      int kh, int kw, ActivationFormat in, QuantizationScheme scheme) {
    int per = cg * kh * kw;
    int[] codes = new int[m * per];
    int[] frac = new int[m];
    long[] b = new long[m];
    for (int ch = 0; ch < m; ch++) {
      WeightQuantizer.Channel c = switch (scheme) {
        case INT8 -> WeightQuantizer.int8(w, ch * per, per, bias[ch], in.frac());
        case POT4 -> WeightQuantizer.pot(w, ch * per, per, 4, bias[ch], in.frac());
      };
      System.arraycopy(c.codes(), 0, codes, ch * per, per);
      frac[ch] = c.frac();
      b[ch] = WeightQuantizer.roundHalfAway(Math.scalb((double) bias[ch], in.frac() + c.frac()));
    }
    WeightCodebook codebook = switch (scheme) {
      case INT8 -> WeightCodebook.int8(8);
      case POT4 -> WeightCodebook.pot(4, 0);
    };
    return new QuantizedWeights(node, codebook, m, cg, kh, kw, codes, frac, b, in.frac());
  }
}
