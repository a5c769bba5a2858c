package dev.potaccel.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Splits an index range [0, count) into contiguous chunks run on a fork-join pool. Small ranges,
 * and single-thread pools, run in the calling thread without any task overhead.
 */
final class ParallelRange {
  private ParallelRange() {}

  /** The work on one chunk [from, to). */
  @FunctionalInterface
  interface Chunk {
    void run(int from, int to);
  }

  /**
   * @param minChunk the smallest chunk worth a task of its own (in range items)
   */
  static void run(ForkJoinPool pool, int count, int minChunk, Chunk chunk) {
    int threads = pool.getParallelism();
    if (count <= minChunk || threads <= 1) {
      if (count > 0) {
        chunk.run(0, count);
      }
      return;
    }
    // a few chunks per thread balance uneven work without drowning in tiny tasks
    int leaf = Math.max(minChunk, (count + 4 * threads - 1) / (4 * threads));
    pool.invoke(new Split(0, count, leaf, chunk));
  }

  /** A minimum chunk size so that each task covers roughly {@code work} elementary operations. */
  static int chunkFor(long itemCost, long work) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, work / Math.max(1, itemCost)));
  }

  private static final class Split extends RecursiveAction {
    private static final long serialVersionUID = 1L;
    private final int from;
    private final int to;
    private final int leaf;
    private final transient Chunk chunk;

    Split(int from, int to, int leaf, Chunk chunk) {
      this.from = from;
      this.to = to;
      this.leaf = leaf;
      this.chunk = chunk;
    }

    @Override
    protected void compute() {
      if (to - from <= leaf) {
        chunk.run(from, to);
        return;
      }
      int mid = (from + to) >>> 1;
      invokeAll(new Split(from, mid, leaf, chunk), new Split(mid, to, leaf, chunk));
    }
  }
}
