package dev.potaccel.compile;

import dev.potaccel.graph.Node;
import dev.potaccel.graph.WindowGeometry;

/**
 * A MaxPool's or AveragePool's window in the accelerator's terms (docs/accelerator.md §3.2,
 * output size {@code floor((in + pads - k) / s) + 1}). ONNX's {@code ceil_mode} becomes extra
 * bottom/right padding, which MAX ignores and AVERAGE would count.
 *
 * @param padded whether any pad is non-zero
 * @param ceilPadded whether ceil_mode added padding
 */
record PoolGeometry(int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, int outH,
    int outW, boolean padded, boolean ceilPadded) {

  /** @param chw the input's per-image shape */
  static PoolGeometry of(Node n, int[] chw) {
    boolean ceil = n.attributes().getInt("ceil_mode", 0) != 0;
    WindowGeometry geo = WindowGeometry.resolve(n, new int[] {chw[1], chw[2]}, null, ceil);
    int kh = geo.kernel()[0];
    int kw = geo.kernel()[1];
    int sh = geo.strides()[0];
    int sw = geo.strides()[1];
    int pt = geo.padsBegin()[0];
    int pl = geo.padsBegin()[1];
    int pb = geo.padsEnd()[0] + extra(chw[1], kh, sh, pt, geo.padsEnd()[0], geo.outSizes()[0]);
    int pr = geo.padsEnd()[1] + extra(chw[2], kw, sw, pl, geo.padsEnd()[1], geo.outSizes()[1]);
    boolean ceilPadded = pb != geo.padsEnd()[0] || pr != geo.padsEnd()[1];
    return new PoolGeometry(kh, kw, sh, sw, pt, pl, pb, pr, geo.outSizes()[0],
        geo.outSizes()[1], pt + pl + pb + pr > 0, ceilPadded);
  }

  /** Padding to add at the end so the floor formula gives {@code out} windows. */
  private static int extra(int in, int k, int s, int begin, int end, int out) {
    int floor = (in + begin + end - k) / s + 1;
    return floor >= out ? 0 : (out - 1) * s + k - (in + begin + end);
  }
}
