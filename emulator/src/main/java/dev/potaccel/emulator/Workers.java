package dev.potaccel.emulator;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The emulator's threads and convolution scratch: a {@link ForkJoinPool} of {@code threads}
 * workers (none for one thread: work runs in the caller) and a free list of {@link Scratch}
 * buffers, each used by one task at a time and reused across tasks, layers and runs.
 */
final class Workers {
  private final int threads;
  private final ForkJoinPool pool;
  private final int panelRows;
  private final int accRows;
  private final int columns;
  private final ConcurrentLinkedQueue<Scratch> free = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<int[]> freeInts = new ConcurrentLinkedQueue<>();
  private float[] spareFloats; // guarded by this

  /**
   * Scratch for one convolution task: a panel of activation rows and accumulator rows, as ints
   * or floats (allocated on first use: most packages run only float layers), and one int row.
   */
  static final class Scratch {
    private final int panelRows;
    private final int accRows;
    private final int columns;
    private int[][] intPanel;
    private int[][] intAcc;
    private float[][] floatPanel;
    private float[][] floatAcc;
    private int[] intRow;
    private float[] laneAcc;

    Scratch(int panelRows, int accRows, int columns) {
      this.panelRows = panelRows;
      this.accRows = accRows;
      this.columns = columns;
    }

    int[][] intPanel() {
      if (intPanel == null) {
        intPanel = new int[panelRows][columns];
      }
      return intPanel;
    }

    int[][] intAcc() {
      if (intAcc == null) {
        intAcc = new int[accRows][columns];
      }
      return intAcc;
    }

    float[][] floatPanel() {
      if (floatPanel == null) {
        floatPanel = new float[panelRows][columns];
      }
      return floatPanel;
    }

    float[][] floatAcc() {
      if (floatAcc == null) {
        floatAcc = new float[accRows][columns];
      }
      return floatAcc;
    }

    /** Lane-layout accumulators of at least {@code size} floats (ConvStep's lane path). */
    float[] laneAcc(int size) {
      if (laneAcc == null || laneAcc.length < size) {
        laneAcc = new float[size];
      }
      return laneAcc;
    }

    int[] intRow() {
      if (intRow == null) {
        intRow = new int[columns];
      }
      return intRow;
    }
  }

  Workers(int threads, String name, int panelRows, int accRows, int columns) {
    this.threads = threads;
    this.panelRows = panelRows;
    this.accRows = accRows;
    this.columns = columns;
    if (threads > 1) {
      AtomicInteger id = new AtomicInteger();
      pool = new ForkJoinPool(threads - 1, p -> { // the caller is the last thread
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
        t.setName("potaccel-emulator-" + name + "-" + id.incrementAndGet());
        return t;
      }, null, false);
    } else {
      pool = null;
    }
  }

  int threads() {
    return threads;
  }

  /**
   * Runs {@code body.accept(i)} for every {@code i < tasks}, spread over the calling thread and
   * the pool's workers (each takes the next index when done: dynamic load balance), and returns
   * when all are done. The first exception thrown by a task is rethrown.
   */
  void parallelFor(int tasks, IntConsumer body) {
    if (tasks <= 0) {
      return;
    }
    if (pool == null || tasks == 1) {
      for (int i = 0; i < tasks; i++) {
        body.accept(i);
      }
      return;
    }
    AtomicInteger next = new AtomicInteger();
    int workers = Math.min(threads, tasks);
    Runnable drain = () -> {
      for (int i = next.getAndIncrement(); i < tasks; i = next.getAndIncrement()) {
        body.accept(i);
      }
    };
    // the calling thread takes part (one worker fewer to wake, and none for it to wait on)
    ForkJoinTask<?>[] running = new ForkJoinTask<?>[workers - 1];
    for (int w = 0; w < running.length; w++) {
      running[w] = pool.submit(drain);
    }
    RuntimeException failure = null;
    try {
      drain.run();
    } catch (RuntimeException e) {
      next.set(tasks); // stop handing out work
      failure = e;
    }
    for (ForkJoinTask<?> t : running) {
      try {
        t.join();
      } catch (RuntimeException e) {
        next.set(tasks);
        if (failure == null) {
          failure = e;
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Runs {@code body.accept(i)} for every {@code i < items}, item {@code i} always on thread
   * slot {@code i % threads} (slot 0 is the calling thread): with one pool worker (two threads)
   * every call puts the same items on the same thread, so a lane group's codes stay in that
   * core's caches from layer to layer. Use when the items are equal work.
   */
  void forEachBySlot(int items, IntConsumer body) {
    if (pool == null || items <= 1) {
      for (int i = 0; i < items; i++) {
        body.accept(i);
      }
      return;
    }
    int slots = Math.min(threads, items);
    ForkJoinTask<?>[] running = new ForkJoinTask<?>[slots - 1];
    for (int s = 1; s < slots; s++) {
      int slot = s;
      running[s - 1] = pool.submit(() -> {
        for (int i = slot; i < items; i += slots) {
          body.accept(i);
        }
      });
    }
    RuntimeException failure = null;
    try {
      for (int i = 0; i < items; i += slots) {
        body.accept(i);
      }
    } catch (RuntimeException e) {
      failure = e;
    }
    for (ForkJoinTask<?> t : running) {
      try {
        t.join();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** A scratch buffer for the calling task; give it back with {@link #release}. */
  Scratch acquire() {
    Scratch s = free.poll();
    return s != null ? s : new Scratch(panelRows, accRows, columns);
  }

  void release(Scratch s) {
    free.offer(s);
  }

  /**
   * An int array of at least {@code size} elements with unspecified contents (a layer's padded
   * input planes); give it back with {@link #releaseInts}.
   */
  int[] acquireInts(int size) {
    int[] a = freeInts.poll();
    return a != null && a.length >= size ? a : new int[size];
  }

  void releaseInts(int[] a) {
    freeInts.offer(a);
  }

  /**
   * As {@link #acquireInts}, for floats; give it back with {@link #releaseFloats}. The largest
   * array given back is kept (a one-slot cache: runs take one at a time, and layers of different
   * sizes then share it instead of reallocating).
   */
  synchronized float[] acquireFloats(int size) {
    float[] a = spareFloats;
    spareFloats = null;
    return a != null && a.length >= size ? a : new float[size];
  }

  synchronized void releaseFloats(float[] a) {
    if (spareFloats == null || spareFloats.length < a.length) {
      spareFloats = a;
    }
  }

  /** Stops the pool's threads and drops the scratch buffers. */
  void shutdown() {
    if (pool != null) {
      pool.shutdown();
    }
    free.clear();
    freeInts.clear();
    synchronized (this) {
      spareFloats = null;
    }
  }
}
