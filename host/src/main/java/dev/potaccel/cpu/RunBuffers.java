package dev.potaccel.cpu;

import dev.potaccel.graph.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Recycled output arrays of one {@link CpuEngine} run. Allocating a fresh multi-megabyte array
 * for every activation costs a serial zeroing pass by the allocating thread, which on ResNet-20
 * (batch 64) was about a fifth of a two-thread run. Kernels that overwrite every element of an
 * output take its array from {@link #forOutput}; the engine counts the run's slots holding each
 * such array ({@link #hold}, {@link #drop}) and, when none is left, the array serves a later
 * output of the same length. Arrays that are graph outputs stay held and are never reused; arrays
 * from anywhere else (inputs, constants, other kernels) are not tracked.
 */
final class RunBuffers {
  private static final ThreadLocal<RunBuffers> CURRENT = new ThreadLocal<>();

  private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
  private final Map<float[], int[]> holders = new IdentityHashMap<>();
  private final Set<float[]> owned = Collections.newSetFromMap(new IdentityHashMap<>());

  /**
   * An array of {@code n} floats for an output the caller overwrites completely: unspecified
   * contents when the calling thread runs an engine, a new zeroed array otherwise.
   */
  static float[] forOutput(int n) {
    RunBuffers b = CURRENT.get();
    if (b == null) {
      return new float[n];
    }
    ArrayDeque<float[]> q = b.free.get(n);
    float[] a = q == null ? null : q.poll();
    if (a == null) {
      a = new float[n];
    }
    b.owned.add(a);
    return a;
  }

  /** Makes this the calling thread's buffers; returns the previous ones for {@link #leave}. */
  RunBuffers enter() {
    RunBuffers previous = CURRENT.get();
    CURRENT.set(this);
    return previous;
  }

  /** Restores the thread's previous buffers. */
  void leave(RunBuffers previous) {
    if (previous == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(previous);
    }
  }

  /** A slot now holds {@code t}. */
  void hold(Tensor t) {
    hold(floatsOf(t));
  }

  /** A slot now holds {@code a} (as a lane tensor's storage, say). */
  void hold(float[] a) {
    if (a != null && owned.contains(a)) {
      holders.computeIfAbsent(a, k -> new int[1])[0]++;
    }
  }

  /** A slot let go of {@code t}: its array is free once no slot holds it. */
  void drop(Tensor t) {
    drop(floatsOf(t));
  }

  /** A slot let go of {@code a}. */
  void drop(float[] a) {
    if (a == null || !owned.contains(a)) {
      return;
    }
    int[] count = holders.get(a);
    if (count != null && --count[0] == 0) {
      holders.remove(a);
      free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).add(a);
    }
  }

  /** The free arrays, for the next run ({@link #adopt}); held ones are never returned. */
  List<float[]> spare() {
    List<float[]> out = new ArrayList<>();
    free.values().forEach(out::addAll);
    return out;
  }

  /** Arrays no run holds any more, free for this run's outputs. */
  void adopt(List<float[]> arrays) {
    for (float[] a : arrays) {
      free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).add(a);
    }
  }

  private static float[] floatsOf(Tensor t) {
    return t == null || !t.dtype().isFloat() ? null : t.floats();
  }
}
