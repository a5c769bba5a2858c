package dev.potaccel.graph;

import static dev.potaccel.graph.TensorType.UNKNOWN;
import static dev.potaccel.graph.TensorType.UNKNOWN_VALUE;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Output types of every supported operator from its input types. Used twice: at import, where
 * dimensions and values may be unknown (a dynamic batch), and by the CPU engine on concrete tensors,
 * so the output shapes it allocates are exactly the ones checked at import. Integer values are
 * propagated through the Shape/Gather/Unsqueeze/Concat chains PyTorch exports for Flatten/Reshape.
 */
public final class ShapeInference {
  private ShapeInference() {}

  /**
   * @param in one entry per node input; null where the optional input is omitted
   * @return one type per node output (null for omitted optional outputs)
   * @throws GraphException on inconsistent shapes or attributes
   * @throws UnsupportedOperatorException for operator variants potaccel does not implement
   */
  public static List<TensorType> infer(Node node, List<TensorType> in) {
    int needed = minInputs(node.op());
    for (int i = 0; i < needed; i++) {
      if (i >= in.size() || in.get(i) == null) {
        throw new GraphException(node.label() + ": input " + i + " is required");
      }
    }
    List<TensorType> out = switch (node.op()) {
      case CONV -> List.of(conv(node, in));
      case GEMM -> List.of(gemm(node, in));
      case MAT_MUL -> List.of(matMul(node, in.get(0), in.get(1)));
      case ADD, SUB, MUL, DIV -> List.of(binary(node, in.get(0), in.get(1)));
      case RELU, LEAKY_RELU, SIGMOID -> List.of(floatLike(node, in.get(0)));
      case CLIP -> List.of(clip(node, in));
      case IDENTITY -> List.of(in.get(0));
      case MAX_POOL, AVERAGE_POOL -> pool(node, in.get(0));
      case GLOBAL_AVERAGE_POOL -> List.of(globalPool(node, in.get(0)));
      case BATCH_NORMALIZATION -> List.of(batchNorm(node, in));
      case FLATTEN -> List.of(flatten(node, in.get(0)));
      case RESHAPE -> List.of(reshape(node, in));
      case TRANSPOSE -> List.of(transpose(node, in.get(0)));
      case CONCAT -> List.of(concat(node, in));
      case SOFTMAX -> List.of(floatLike(node, in.get(0)));
      case DROPOUT -> dropout(node, in);
      case CONSTANT -> List.of(constant(node).type());
      case PAD -> List.of(pad(node, in));
      case SQUEEZE -> List.of(squeeze(node, in));
      case UNSQUEEZE -> List.of(unsqueeze(node, in));
      case SHAPE -> List.of(shape(node, in.get(0)));
      case GATHER -> List.of(gather(node, in.get(0), in.get(1)));
      case CAST -> List.of(cast(node, in.get(0)));
    };
    for (int i = out.size(); i < node.outputs().size(); i++) {
      if (!node.outputs().get(i).isEmpty()) {
        throw new UnsupportedOperatorException(node.label() + ": output " + i + " ('"
            + node.outputs().get(i) + "') is not supported");
      }
    }
    return out;
  }

  private static int minInputs(OpType op) {
    return switch (op) {
      case CONSTANT -> 0;
      case CONV, GEMM, MAT_MUL, ADD, SUB, MUL, DIV, GATHER -> 2;
      case BATCH_NORMALIZATION -> 5;
      default -> 1;
    };
  }

  /** The value of a Constant node as a tensor (value, value_float(s), value_int(s)). */
  public static Tensor constant(Node node) {
    Attributes a = node.attributes();
    if (a.has("value")) {
      return a.getTensor("value");
    }
    if (a.has("value_float")) {
      return Tensor.scalar(a.getFloat("value_float", 0));
    }
    if (a.has("value_floats")) {
      float[] v = a.getFloats("value_floats", null);
      return Tensor.ofFloats(new int[] {v.length}, v.clone());
    }
    if (a.has("value_int")) {
      return Tensor.ofLongs(DataType.INT64, new int[0], new long[] {a.getInt("value_int", 0)});
    }
    if (a.has("value_ints")) {
      return Tensor.ofInt64(a.getInts("value_ints", null).clone());
    }
    throw new UnsupportedOperatorException(node.label() + ": only value, value_float(s) and"
        + " value_int(s) constants are supported, got " + a.asMap().keySet());
  }

  // ---- convolution, matrix products -------------------------------------------------------------

  private static TensorType conv(Node node, List<TensorType> in) {
    TensorType x = requireFloat(node, in.get(0), "X");
    TensorType w = requireFloat(node, in.get(1), "W");
    if (!x.hasRank() || !w.hasRank()) {
      return TensorType.unknownRank(DataType.FLOAT);
    }
    int r = x.rank();
    if (r != 3 && r != 4) {
      throw new UnsupportedOperatorException(node.label() + ": only 1-D and 2-D convolution is"
          + " supported, input is " + x);
    }
    if (w.rank() != r) {
      throw new GraphException(node.label() + ": weight " + w + " has rank " + w.rank()
          + ", input " + x + " has rank " + r);
    }
    int group = Math.toIntExact(node.attributes().getInt("group", 1));
    int c = x.dim(1);
    int m = w.dim(0);
    if (group <= 0) {
      throw new GraphException(node.label() + ": group must be positive, got " + group);
    }
    if (c != UNKNOWN && w.dim(1) != UNKNOWN && c != w.dim(1) * group) {
      throw new GraphException(node.label() + ": weight '" + node.input(1) + "' has " + w.dim(1)
          + " input channels per group, input '" + node.input(0) + "' has " + c
          + " channels (group=" + group + ")");
    }
    if (m != UNKNOWN && m % group != 0) {
      throw new GraphException(node.label() + ": " + m + " output channels not divisible by group "
          + group);
    }
    if (in.size() > 2 && in.get(2) != null) {
      TensorType b = in.get(2);
      if (b.hasRank() && (b.rank() != 1 || (b.dim(0) != UNKNOWN && m != UNKNOWN && b.dim(0) != m))) {
        throw new GraphException(node.label() + ": bias " + b + " must be 1-D with " + m + " values");
      }
    }
    int[] spatial = Arrays.copyOfRange(x.dims(), 2, r);
    int[] kernel = Arrays.copyOfRange(w.dims(), 2, r);
    WindowGeometry g = WindowGeometry.resolve(node, spatial, kernel, false);
    int[] out = new int[r];
    out[0] = x.dim(0);
    out[1] = m;
    System.arraycopy(g.outSizes(), 0, out, 2, r - 2);
    return TensorType.of(DataType.FLOAT, out);
  }

  private static TensorType gemm(Node node, List<TensorType> in) {
    TensorType a = requireFloat(node, in.get(0), "A");
    TensorType b = requireFloat(node, in.get(1), "B");
    if (!a.hasRank() || !b.hasRank()) {
      return TensorType.unknownRank(DataType.FLOAT);
    }
    if (a.rank() != 2 || b.rank() != 2) {
      throw new GraphException(node.label() + ": A " + a + " and B " + b + " must be 2-D");
    }
    boolean ta = node.attributes().getInt("transA", 0) != 0;
    boolean tb = node.attributes().getInt("transB", 0) != 0;
    int m = ta ? a.dim(1) : a.dim(0);
    int ka = ta ? a.dim(0) : a.dim(1);
    int kb = tb ? b.dim(1) : b.dim(0);
    int n = tb ? b.dim(0) : b.dim(1);
    if (ka != UNKNOWN && kb != UNKNOWN && ka != kb) {
      throw new GraphException(node.label() + ": inner dimensions differ: A " + a
          + (ta ? " (transposed)" : "") + " and B " + b + (tb ? " (transposed)" : ""));
    }
    TensorType y = TensorType.of(DataType.FLOAT, m, n);
    if (in.size() > 2 && in.get(2) != null) {
      broadcast(node, y, requireFloat(node, in.get(2), "C"));
      // C must broadcast *to* [M,N], not widen it
      TensorType c = in.get(2);
      if (c.hasRank() && c.rank() > 2) {
        throw new GraphException(node.label() + ": C " + c + " does not broadcast to " + y);
      }
    }
    return y;
  }

  private static TensorType matMul(Node node, TensorType a, TensorType b) {
    requireFloat(node, a, "A");
    requireFloat(node, b, "B");
    if (!a.hasRank() || !b.hasRank()) {
      return TensorType.unknownRank(DataType.FLOAT);
    }
    if (a.rank() == 0 || b.rank() == 0) {
      throw new GraphException(node.label() + ": MatMul operands must have rank >= 1, got " + a
          + " and " + b);
    }
    int[] ad = a.rank() == 1 ? new int[] {1, a.dim(0)} : a.dims();
    int[] bd = b.rank() == 1 ? new int[] {b.dim(0), 1} : b.dims();
    int k1 = ad[ad.length - 1];
    int k2 = bd[bd.length - 2];
    if (k1 != UNKNOWN && k2 != UNKNOWN && k1 != k2) {
      throw new GraphException(node.label() + ": inner dimensions differ: " + a + " x " + b);
    }
    int[] batch = broadcastDims(node, Arrays.copyOf(ad, ad.length - 2),
        Arrays.copyOf(bd, bd.length - 2));
    List<Integer> out = new ArrayList<>();
    for (int d : batch) {
      out.add(d);
    }
    if (a.rank() > 1) {
      out.add(ad[ad.length - 2]);
    }
    if (b.rank() > 1) {
      out.add(bd[bd.length - 1]);
    }
    return TensorType.of(DataType.FLOAT, out.stream().mapToInt(Integer::intValue).toArray());
  }

  // ---- element-wise -----------------------------------------------------------------------------

  private static TensorType binary(Node node, TensorType a, TensorType b) {
    if (a.dtype() != b.dtype()) {
      throw new GraphException(node.label() + ": operand types differ: " + a + " and " + b);
    }
    TensorType t = broadcast(node, a, b);
    if (a.values() != null && b.values() != null && t.isStatic()
        && Tensor.elementCount(t.dims()) <= 64 && !a.dtype().isFloat()) {
      long[] v = new long[(int) Tensor.elementCount(t.dims())];
      for (int i = 0; i < v.length; i++) {
        long x = a.values()[broadcastIndex(i, t.dims(), a.dims())];
        long y = b.values()[broadcastIndex(i, t.dims(), b.dims())];
        if (x == UNKNOWN_VALUE || y == UNKNOWN_VALUE || (node.op() == OpType.DIV && y == 0)) {
          v[i] = UNKNOWN_VALUE;
        } else {
          v[i] = a.dtype().wrap(switch (node.op()) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            default -> x / y;
          });
        }
      }
      return TensorType.withValues(t.dtype(), t.dims(), v);
    }
    return t;
  }

  /** Flat index into a tensor of shape {@code from} broadcast to {@code to}, for element i of to. */
  public static int broadcastIndex(int i, int[] to, int[] from) {
    int idx = 0;
    int stride = 1;
    int off = to.length - from.length;
    for (int d = to.length - 1; d >= 0; d--) {
      int coord = i % to[d];
      i /= to[d];
      int fd = d - off;
      if (fd >= 0) {
        if (from[fd] != 1) {
          idx += coord * stride;
        }
        stride *= from[fd];
      }
    }
    return idx;
  }

  /** Multidirectional (numpy) broadcast of two types. */
  public static TensorType broadcast(Node node, TensorType a, TensorType b) {
    if (!a.hasRank() || !b.hasRank()) {
      return TensorType.unknownRank(a.dtype());
    }
    return TensorType.of(a.dtype(), broadcastDims(node, a.dims(), b.dims()));
  }

  static int[] broadcastDims(Node node, int[] a, int[] b) {
    int r = Math.max(a.length, b.length);
    int[] out = new int[r];
    for (int i = 0; i < r; i++) {
      int da = i < r - a.length ? 1 : a[i - (r - a.length)];
      int db = i < r - b.length ? 1 : b[i - (r - b.length)];
      if (da == db || db == 1) {
        out[i] = da;
      } else if (da == 1) {
        out[i] = db;
      } else if (da == UNKNOWN || db == UNKNOWN) {
        out[i] = Math.max(da, db) == UNKNOWN ? UNKNOWN : Math.max(da, db);
      } else {
        throw new GraphException(node.label() + ": shapes " + Arrays.toString(a) + " and "
            + Arrays.toString(b) + " do not broadcast (axis " + i + ": " + da + " vs " + db + ")");
      }
    }
    return out;
  }

  private static TensorType floatLike(Node node, TensorType x) {
    requireFloat(node, x, "X");
    if (node.op() == OpType.SOFTMAX && x.hasRank()) {
      normalizeAxis(node, node.attributes().getInt("axis", node.opset() >= 13 ? -1 : 1),
          x.rank());
    }
    return new TensorType(x.dtype(), x.dims(), null);
  }

  private static TensorType clip(Node node, List<TensorType> in) {
    TensorType x = in.get(0);
    if (node.opset() < 12 || x.dtype() == DataType.BOOL) { // integer Clip from opset 12
      requireFloat(node, x, "input");
    }
    for (int i = 1; i < Math.min(3, in.size()); i++) {
      TensorType b = in.get(i);
      if (b != null && b.hasRank() && b.rank() != 0
          && !(b.rank() == 1 && b.dim(0) == 1)) {
        throw new GraphException(node.label() + ": " + (i == 1 ? "min" : "max") + " must be a"
            + " scalar, got " + b);
      }
    }
    return new TensorType(x.dtype(), x.dims(), null);
  }

  // ---- pooling, normalization -------------------------------------------------------------------

  private static List<TensorType> pool(Node node, TensorType x) {
    if (node.op() != OpType.MAX_POOL || node.opset() < 12
        || (x.dtype() != DataType.INT8 && x.dtype() != DataType.UINT8)) { // 8-bit MaxPool from 12
      requireFloat(node, x, "X");
    }
    if (node.outputs().size() > 1 && !node.outputs().get(1).isEmpty()) {
      throw new UnsupportedOperatorException(node.label() + ": the Indices output is not supported");
    }
    if (!x.hasRank()) {
      return List.of(TensorType.unknownRank(x.dtype()));
    }
    if (x.rank() != 3 && x.rank() != 4) {
      throw new UnsupportedOperatorException(node.label() + ": only 1-D and 2-D pooling is"
          + " supported, input is " + x);
    }
    if (node.op() == OpType.MAX_POOL && node.attributes().getInt("storage_order", 0) != 0) {
      throw new UnsupportedOperatorException(node.label() + ": storage_order=1 is not supported");
    }
    boolean ceil = node.attributes().getInt("ceil_mode", 0) != 0;
    WindowGeometry g = WindowGeometry.resolve(node,
        Arrays.copyOfRange(x.dims(), 2, x.rank()), null, ceil);
    int[] out = x.dims().clone();
    System.arraycopy(g.outSizes(), 0, out, 2, out.length - 2);
    return List.of(TensorType.of(x.dtype(), out));
  }

  private static TensorType globalPool(Node node, TensorType x) {
    requireFloat(node, x, "X");
    if (!x.hasRank()) {
      return x;
    }
    if (x.rank() < 3) {
      throw new GraphException(node.label() + ": input " + x + " needs rank >= 3 (N, C, spatial)");
    }
    int[] out = x.dims().clone();
    Arrays.fill(out, 2, out.length, 1);
    return TensorType.of(DataType.FLOAT, out);
  }

  private static TensorType batchNorm(Node node, List<TensorType> in) {
    TensorType x = requireFloat(node, in.get(0), "X");
    if (node.attributes().getInt("training_mode", 0) != 0) {
      throw new UnsupportedOperatorException(node.label() + ": training_mode=1 is not supported"
          + " (inference only)");
    }
    if (node.opset() < 9 && node.attributes().getInt("spatial", 1) == 0) {
      throw new UnsupportedOperatorException(node.label() + ": spatial=0 is not supported");
    }
    if (node.outputs().size() > 1) {
      for (int i = 1; i < node.outputs().size(); i++) {
        if (!node.outputs().get(i).isEmpty()) {
          throw new UnsupportedOperatorException(node.label()
              + ": training outputs (running mean/var) are not supported");
        }
      }
    }
    if (x.hasRank()) {
      if (x.rank() < 2) {
        throw new GraphException(node.label() + ": input " + x + " needs rank >= 2");
      }
      int c = x.dim(1);
      String[] names = {"scale", "B", "mean", "var"};
      for (int i = 1; i <= 4; i++) {
        TensorType p = requireFloat(node, in.get(i), names[i - 1]);
        if (p.hasRank() && (p.rank() != 1 || (c != UNKNOWN && p.dim(0) != UNKNOWN && p.dim(0) != c))) {
          throw new GraphException(node.label() + ": " + names[i - 1] + " '" + node.input(i)
              + "' is " + p + ", expected [" + c + "] (one per channel)");
        }
      }
    }
    return new TensorType(x.dtype(), x.dims(), null);
  }

  private static List<TensorType> dropout(Node node, List<TensorType> in) {
    TensorType x = in.get(0);
    if (in.size() > 2 && in.get(2) != null) {
      TensorType t = in.get(2);
      if (!t.valuesKnown() || t.values()[0] != 0) {
        throw new UnsupportedOperatorException(node.label()
            + ": training_mode must be a constant false (inference only)");
      }
    }
    if (node.opset() < 7 && node.attributes().getInt("is_test", 0) == 0) {
      throw new UnsupportedOperatorException(node.label() + ": is_test=0 (training) is not supported");
    }
    TensorType y = new TensorType(x.dtype(), x.dims(), x.values());
    if (node.outputs().size() > 1 && !node.outputs().get(1).isEmpty()) {
      DataType maskType = node.opset() >= 10 ? DataType.BOOL : x.dtype();
      return List.of(y, new TensorType(maskType, x.dims(), null));
    }
    return List.of(y);
  }

  // ---- shape manipulation -----------------------------------------------------------------------

  private static TensorType flatten(Node node, TensorType x) {
    if (!x.hasRank()) {
      return TensorType.of(x.dtype(), UNKNOWN, UNKNOWN);
    }
    int r = x.rank();
    long axisAttr = node.attributes().getInt("axis", 1);
    int axis = (int) (axisAttr < 0 ? axisAttr + r : axisAttr);
    if (axis < 0 || axis > r) {
      throw new GraphException(node.label() + ": axis " + axisAttr + " out of range for " + x);
    }
    return TensorType.of(x.dtype(), product(x.dims(), 0, axis), product(x.dims(), axis, r));
  }

  private static int product(int[] d, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      if (d[i] == UNKNOWN) {
        return UNKNOWN;
      }
      p *= d[i];
    }
    return Math.toIntExact(p);
  }

  private static TensorType reshape(Node node, List<TensorType> in) {
    TensorType x = in.get(0);
    long[] spec;
    if (node.opset() < 5) {
      spec = node.attributes().getInts("shape", null);
      if (spec == null) {
        throw new GraphException(node.label() + ": attribute 'shape' is required");
      }
    } else {
      TensorType s = requireInput(node, in, 1, "shape");
      if (s.hasRank() && s.rank() != 1) {
        throw new GraphException(node.label() + ": shape input must be 1-D, got " + s);
      }
      spec = s.values();
      if (spec == null) {
        int r = s.hasRank() && s.dim(0) != UNKNOWN ? s.dim(0) : -1;
        if (r < 0) {
          return TensorType.unknownRank(x.dtype());
        }
        int[] u = new int[r];
        Arrays.fill(u, UNKNOWN);
        return TensorType.of(x.dtype(), u);
      }
    }
    boolean allowZero = node.attributes().getInt("allowzero", 0) != 0;
    int[] out = new int[spec.length];
    int inferAt = -1;
    for (int i = 0; i < spec.length; i++) {
      long v = spec[i];
      if (v == UNKNOWN_VALUE) {
        out[i] = UNKNOWN;
      } else if (v == -1) {
        if (inferAt >= 0) {
          throw new GraphException(node.label() + ": shape " + Arrays.toString(spec)
              + " has more than one -1");
        }
        inferAt = i;
        out[i] = UNKNOWN;
      } else if (v == 0 && !allowZero) {
        if (!x.hasRank() || i >= x.rank()) {
          if (!x.hasRank()) {
            out[i] = UNKNOWN;
            continue;
          }
          throw new GraphException(node.label() + ": shape " + Arrays.toString(spec)
              + " copies axis " + i + " but input " + x + " has rank " + x.rank());
        }
        out[i] = x.dim(i);
      } else if (v < 0) {
        throw new GraphException(node.label() + ": invalid dimension " + v + " in shape "
            + Arrays.toString(spec));
      } else {
        out[i] = Math.toIntExact(v);
      }
    }
    if (x.isStatic()) {
      long total = Tensor.elementCount(x.dims());
      long known = 1;
      int unknownAt = inferAt;
      int unknowns = 0;
      for (int i = 0; i < out.length; i++) {
        if (out[i] == UNKNOWN) {
          unknowns++;
          unknownAt = i;
        } else {
          known *= out[i];
        }
      }
      if (unknowns == 0 && known != total) {
        throw new GraphException(node.label() + ": cannot reshape " + x + " (" + total
            + " elements) to " + Arrays.toString(out));
      }
      if (unknowns == 1) {
        if (known == 0 || total % known != 0) {
          throw new GraphException(node.label() + ": cannot reshape " + x + " (" + total
              + " elements) to " + Arrays.toString(spec));
        }
        out[unknownAt] = Math.toIntExact(total / known);
      }
    } else if (inferAt >= 0 && x.hasRank()) {
      // dynamic batch: x = [N, rest...], spec = [N-or-unknown, -1]: infer from the known part
      long known = 1;
      boolean ok = true;
      for (int i = 0; i < out.length; i++) {
        if (i != inferAt) {
          if (out[i] == UNKNOWN) {
            ok = false;
          } else {
            known *= out[i];
          }
        }
      }
      if (!ok && out.length >= 1 && inferAt != 0 && out[0] == UNKNOWN && x.dim(0) == UNKNOWN) {
        long restIn = 1;
        boolean staticRest = true;
        for (int i = 1; i < x.rank(); i++) {
          staticRest &= x.dim(i) != UNKNOWN;
          restIn *= Math.max(1, x.dim(i));
        }
        long restOut = 1;
        boolean staticOut = true;
        for (int i = 1; i < out.length; i++) {
          if (i != inferAt) {
            staticOut &= out[i] != UNKNOWN;
            restOut *= Math.max(1, out[i]);
          }
        }
        if (staticRest && staticOut && restIn % restOut == 0) {
          out[inferAt] = Math.toIntExact(restIn / restOut);
        }
      }
    }
    return TensorType.of(x.dtype(), out);
  }

  private static TensorType transpose(Node node, TensorType x) {
    if (!x.hasRank()) {
      return x;
    }
    int r = x.rank();
    long[] perm = node.attributes().getInts("perm", null);
    int[] out = new int[r];
    boolean[] seen = new boolean[r];
    for (int i = 0; i < r; i++) {
      int p = perm == null ? r - 1 - i : (int) perm[i];
      if (perm != null && perm.length != r || p < 0 || p >= r || seen[p]) {
        throw new GraphException(node.label() + ": perm " + Arrays.toString(perm)
            + " is not a permutation of " + r + " axes");
      }
      seen[p] = true;
      out[i] = x.dim(p);
    }
    return TensorType.of(x.dtype(), out);
  }

  private static TensorType concat(Node node, List<TensorType> in) {
    if (!node.attributes().has("axis")) {
      throw new GraphException(node.label() + ": attribute 'axis' is required");
    }
    TensorType first = in.get(0);
    for (TensorType t : in) {
      if (t == null || !t.hasRank()) {
        return TensorType.unknownRank(first.dtype());
      }
      if (t.dtype() != first.dtype()) {
        throw new GraphException(node.label() + ": inputs have different types: " + first + ", " + t);
      }
    }
    int r = first.rank();
    int axis = normalizeAxis(node, node.attributes().getInt("axis", 0), r);
    int[] out = first.dims().clone();
    boolean values = true;
    for (int k = 1; k < in.size(); k++) {
      TensorType t = in.get(k);
      if (t.rank() != r) {
        throw new GraphException(node.label() + ": input " + k + " " + t + " has rank " + t.rank()
            + ", input 0 " + first + " has rank " + r);
      }
      for (int d = 0; d < r; d++) {
        if (d == axis) {
          out[d] = out[d] == UNKNOWN || t.dim(d) == UNKNOWN ? UNKNOWN : out[d] + t.dim(d);
        } else if (out[d] != UNKNOWN && t.dim(d) != UNKNOWN && out[d] != t.dim(d)) {
          throw new GraphException(node.label() + ": input " + k + " " + t + " differs from input 0 "
              + first + " on axis " + d + " (concat axis " + axis + ")");
        } else if (out[d] == UNKNOWN) {
          out[d] = t.dim(d);
        }
      }
    }
    for (TensorType t : in) {
      values &= t.values() != null;
    }
    if (values && r == 1) {
      long[] v = in.stream().flatMapToLong(t -> Arrays.stream(t.values())).toArray();
      return TensorType.withValues(first.dtype(), new int[] {v.length}, v);
    }
    return TensorType.of(first.dtype(), out);
  }

  private static TensorType pad(Node node, List<TensorType> in) {
    TensorType x = in.get(0);
    String mode = node.attributes().getString("mode", "constant");
    if (!mode.equals("constant") && !mode.equals("reflect") && !mode.equals("edge")) {
      throw new UnsupportedOperatorException(node.label() + ": pad mode '" + mode
          + "' is not supported (constant, reflect, edge are)");
    }
    long[] pads;
    if (node.opset() < 11) {
      pads = node.attributes().getInts("pads", null);
      if (pads == null) {
        throw new GraphException(node.label() + ": attribute 'pads' is required");
      }
    } else {
      TensorType p = requireInput(node, in, 1, "pads");
      if (in.size() > 3 && in.get(3) != null) {
        throw new UnsupportedOperatorException(node.label() + ": the axes input is not supported");
      }
      pads = p.values();
    }
    if (!x.hasRank()) {
      return x;
    }
    int r = x.rank();
    if (pads == null) {
      int[] u = new int[r];
      Arrays.fill(u, UNKNOWN);
      return TensorType.of(x.dtype(), u);
    }
    if (pads.length != 2 * r) {
      throw new GraphException(node.label() + ": pads " + Arrays.toString(pads) + " must have "
          + 2 * r + " values for input " + x);
    }
    int[] out = new int[r];
    for (int i = 0; i < r; i++) {
      if (pads[i] == UNKNOWN_VALUE || pads[i + r] == UNKNOWN_VALUE || x.dim(i) == UNKNOWN) {
        out[i] = UNKNOWN;
      } else {
        out[i] = Math.toIntExact(x.dim(i) + pads[i] + pads[i + r]);
        if (out[i] < 0) {
          throw new GraphException(node.label() + ": pads " + Arrays.toString(pads)
              + " remove more than input " + x + " has");
        }
      }
    }
    return TensorType.of(x.dtype(), out);
  }

  private static long[] axesOf(Node node, List<TensorType> in, boolean required) {
    if (node.opset() < 13) {
      long[] axes = node.attributes().getInts("axes", null);
      if (axes == null && required) {
        throw new GraphException(node.label() + ": attribute 'axes' is required");
      }
      return axes;
    }
    if (in.size() < 2 || in.get(1) == null) {
      if (required) {
        throw new GraphException(node.label() + ": input 'axes' is required");
      }
      return null;
    }
    long[] v = in.get(1).values();
    if (v == null || !in.get(1).valuesKnown()) {
      throw new UnsupportedOperatorException(node.label()
          + ": axes must be a constant (computed axes are not supported)");
    }
    return v;
  }

  private static TensorType squeeze(Node node, List<TensorType> in) {
    TensorType x = in.get(0);
    if (node.opset() >= 13 && in.size() > 1 && in.get(1) != null && !in.get(1).valuesKnown()) {
      return TensorType.unknownRank(x.dtype()); // axes known only at run time
    }
    long[] axes = axesOf(node, in, false);
    if (!x.hasRank()) {
      return x;
    }
    int r = x.rank();
    boolean[] drop = new boolean[r];
    if (axes == null) {
      for (int i = 0; i < r; i++) {
        if (x.dim(i) == UNKNOWN) {
          throw new UnsupportedOperatorException(node.label() + ": Squeeze without axes on "
              + x + " with unknown dimensions");
        }
        drop[i] = x.dim(i) == 1;
      }
    } else {
      for (long a : axes) {
        int ax = normalizeAxis(node, a, r);
        if (x.dim(ax) != 1 && x.dim(ax) != UNKNOWN) {
          throw new GraphException(node.label() + ": cannot squeeze axis " + a + " of " + x
              + " (size " + x.dim(ax) + ")");
        }
        drop[ax] = true;
      }
    }
    int[] out = new int[r - count(drop)];
    for (int i = 0, j = 0; i < r; i++) {
      if (!drop[i]) {
        out[j++] = x.dim(i);
      }
    }
    return new TensorType(x.dtype(), out, x.values());
  }

  private static TensorType unsqueeze(Node node, List<TensorType> in) {
    TensorType x = in.get(0);
    if (node.opset() >= 13 && in.size() > 1 && in.get(1) != null && !in.get(1).valuesKnown()) {
      return TensorType.unknownRank(x.dtype()); // axes known only at run time
    }
    long[] axes = axesOf(node, in, true);
    if (!x.hasRank()) {
      return x;
    }
    int r = x.rank() + axes.length;
    boolean[] add = new boolean[r];
    for (long a : axes) {
      int ax = normalizeAxis(node, a, r);
      if (add[ax]) {
        throw new GraphException(node.label() + ": axes " + Arrays.toString(axes)
            + " repeat axis " + ax);
      }
      add[ax] = true;
    }
    int[] out = new int[r];
    for (int i = 0, j = 0; i < r; i++) {
      out[i] = add[i] ? 1 : x.dim(j++);
    }
    return new TensorType(x.dtype(), out, x.values());
  }

  private static TensorType shape(Node node, TensorType x) {
    if (!x.hasRank()) {
      return TensorType.of(DataType.INT64, UNKNOWN);
    }
    int r = x.rank();
    long start = node.attributes().getInt("start", 0);
    long end = node.attributes().getInt("end", r);
    int s = (int) Math.max(0, Math.min(r, start < 0 ? start + r : start));
    int e = (int) Math.max(0, Math.min(r, end < 0 ? end + r : end));
    long[] v = new long[Math.max(0, e - s)];
    for (int i = 0; i < v.length; i++) {
      int d = x.dim(s + i);
      v[i] = d == UNKNOWN ? UNKNOWN_VALUE : d;
    }
    return TensorType.withValues(DataType.INT64, new int[] {v.length}, v);
  }

  private static TensorType gather(Node node, TensorType data, TensorType idx) {
    if (idx.dtype() != DataType.INT64 && idx.dtype() != DataType.INT32) {
      throw new GraphException(node.label() + ": indices must be int32 or int64, got " + idx);
    }
    if (!data.hasRank() || !idx.hasRank()) {
      return TensorType.unknownRank(data.dtype());
    }
    int r = data.rank();
    if (r == 0) {
      throw new GraphException(node.label() + ": data must have rank >= 1");
    }
    int axis = normalizeAxis(node, node.attributes().getInt("axis", 0), r);
    int[] out = new int[r - 1 + idx.rank()];
    int j = 0;
    for (int i = 0; i < axis; i++) {
      out[j++] = data.dim(i);
    }
    for (int d : idx.dims()) {
      out[j++] = d;
    }
    for (int i = axis + 1; i < r; i++) {
      out[j++] = data.dim(i);
    }
    if (r == 1 && data.values() != null && idx.values() != null) {
      int n = data.dim(0);
      long[] v = new long[idx.values().length];
      for (int i = 0; i < v.length; i++) {
        long k = idx.values()[i];
        if (k == UNKNOWN_VALUE || n == UNKNOWN) {
          v[i] = UNKNOWN_VALUE;
          continue;
        }
        if (k < -n || k >= n) {
          throw new GraphException(node.label() + ": index " + k + " out of range for " + data);
        }
        v[i] = data.values()[(int) (k < 0 ? k + n : k)];
      }
      return TensorType.withValues(data.dtype(), out, v);
    }
    return TensorType.of(data.dtype(), out);
  }

  private static TensorType cast(Node node, TensorType x) {
    int to = Math.toIntExact(node.attributes().getInt("to", 0));
    DataType t = DataType.ofOnnx(to);
    if (t == null) {
      throw new UnsupportedOperatorException(node.label() + ": cast to "
          + DataType.onnxName(to) + " is not supported");
    }
    if (x.values() != null && !t.isFloat()) {
      long[] v = x.values().clone();
      for (int i = 0; i < v.length; i++) {
        v[i] = v[i] == UNKNOWN_VALUE ? v[i] : t.wrap(v[i]);
      }
      return TensorType.withValues(t, x.dims(), v);
    }
    return TensorType.of(t, x.dims());
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** An axis attribute in [-r, r) turned into [0, r). */
  public static int normalizeAxis(Node node, long axis, int rank) {
    if (axis < -rank || axis >= rank) {
      throw new GraphException(node.label() + ": axis " + axis + " out of range for rank " + rank);
    }
    return (int) (axis < 0 ? axis + rank : axis);
  }

  private static TensorType requireFloat(Node node, TensorType t, String what) {
    if (t.dtype() != DataType.FLOAT) {
      throw new UnsupportedOperatorException(node.label() + ": " + what + " '"
          + (node.inputs().isEmpty() ? "" : node.input(0)) + "' is " + t.dtype()
          + "; only FLOAT is supported here");
    }
    return t;
  }

  private static TensorType requireInput(Node node, List<TensorType> in, int i, String what) {
    if (i >= in.size() || in.get(i) == null) {
      throw new GraphException(node.label() + ": input '" + what + "' is required");
    }
    return in.get(i);
  }

  private static int count(boolean[] b) {
    int n = 0;
    for (boolean x : b) {
      n += x ? 1 : 0;
    }
    return n;
  }
}
