package dev.potaccel.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Numpy broadcasting of two operands to an output shape, simplified for fast loops: output axes of
 * size 1 are dropped and neighbouring axes that broadcast the same way are merged. What is left is
 * an outer odometer over "rows" and one contiguous inner run in which each operand either advances
 * (stride 1) or stays put (stride 0). Same-shape operands become one row; a per-channel bias on
 * NCHW becomes rows of H*W with the bias fixed per row.
 */
final class BroadcastLayout {
  final int[] outerDims;
  final int[] outerStrideA;
  final int[] outerStrideB;
  final int inner;
  final int innerStrideA;
  final int innerStrideB;
  final int rows;

  private BroadcastLayout(int[] outerDims, int[] outerStrideA, int[] outerStrideB, int inner,
      int innerStrideA, int innerStrideB) {
    this.outerDims = outerDims;
    this.outerStrideA = outerStrideA;
    this.outerStrideB = outerStrideB;
    this.inner = inner;
    this.innerStrideA = innerStrideA;
    this.innerStrideB = innerStrideB;
    this.rows = OpKernel.product(outerDims, 0, outerDims.length);
  }

  /** The layout for operands of shapes {@code a} and {@code b} broadcast to {@code out}. */
  static BroadcastLayout of(int[] out, int[] a, int[] b) {
    int r = out.length;
    List<int[]> merged = new ArrayList<>(); // {size, a broadcast?, b broadcast?}
    for (int d = 0; d < r; d++) {
      if (out[d] == 1) {
        continue;
      }
      int ad = d - (r - a.length) >= 0 ? a[d - (r - a.length)] : 1;
      int bd = d - (r - b.length) >= 0 ? b[d - (r - b.length)] : 1;
      int aBroadcast = ad == 1 ? 1 : 0;
      int bBroadcast = bd == 1 ? 1 : 0;
      int[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (last != null && last[1] == aBroadcast && last[2] == bBroadcast) {
        last[0] = Math.multiplyExact(last[0], out[d]);
      } else {
        merged.add(new int[] {out[d], aBroadcast, bBroadcast});
      }
    }
    if (merged.isEmpty()) {
      return new BroadcastLayout(new int[0], new int[0], new int[0], 1, 0, 0);
    }
    int n = merged.size();
    int[] strideA = new int[n];
    int[] strideB = new int[n];
    int runA = 1;
    int runB = 1;
    for (int i = n - 1; i >= 0; i--) {
      int[] m = merged.get(i);
      strideA[i] = m[1] == 1 ? 0 : runA;
      strideB[i] = m[2] == 1 ? 0 : runB;
      runA *= m[1] == 1 ? 1 : m[0];
      runB *= m[2] == 1 ? 1 : m[0];
    }
    int[] outer = new int[n - 1];
    for (int i = 0; i < n - 1; i++) {
      outer[i] = merged.get(i)[0];
    }
    return new BroadcastLayout(outer, Arrays.copyOf(strideA, n - 1),
        Arrays.copyOf(strideB, n - 1), merged.get(n - 1)[0], strideA[n - 1],
        strideB[n - 1]);
  }

  /** Receives one row: offsets of its first element in the output and in each operand. */
  @FunctionalInterface
  interface Row {
    void run(int outOffset, int aOffset, int bOffset);
  }

  /** Visits rows [from, to) in order, tracking operand offsets with an odometer. */
  void forRows(int from, int to, Row row) {
    int k = outerDims.length;
    int[] coord = new int[k];
    int aOff = 0;
    int bOff = 0;
    int rest = from;
    for (int d = k - 1; d >= 0; d--) {
      coord[d] = rest % outerDims[d];
      rest /= outerDims[d];
      aOff += coord[d] * outerStrideA[d];
      bOff += coord[d] * outerStrideB[d];
    }
    for (int r = from; r < to; r++) {
      row.run(r * inner, aOff, bOff);
      for (int d = k - 1; d >= 0; d--) {
        aOff += outerStrideA[d];
        bOff += outerStrideB[d];
        if (++coord[d] < outerDims[d]) {
          break;
        }
        aOff -= outerStrideA[d] * outerDims[d];
        bOff -= outerStrideB[d] * outerDims[d];
        coord[d] = 0;
      }
    }
  }
}
