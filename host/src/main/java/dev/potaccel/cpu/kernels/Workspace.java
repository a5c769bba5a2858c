package dev.potaccel.cpu.kernels;

/**
 * Per-thread scratch buffers reused across kernel calls, so steady-state inference allocates
 * (and zero-fills) nothing per call. Buffers only grow; contents are stale, callers overwrite
 * every element they read. Each thread keeps a small stack of workspaces: {@link #acquire()}
 * hands out the next level and {@link #release()} (in a finally block, strictly nested) gives it
 * back, so a kernel's caller-side buffers and its worker's buffers on the same thread, or a
 * fork-join worker that runs other tasks while it waits, never share a buffer. Flat buffers
 * above {@link #CACHE_LIMIT} floats, and levels deeper than {@link #CACHED_LEVELS}, are not
 * retained.
 */
final class Workspace {
  /** Largest flat buffer (in floats) kept between calls. */
  static final int CACHE_LIMIT = 1 << 20;
  /** Nesting levels per thread whose buffers are kept between calls. */
  static final int CACHED_LEVELS = 4;

  private static final ThreadLocal<Levels> LEVELS = ThreadLocal.withInitial(Levels::new);

  private final Levels owner;
  private final boolean cached;
  private final float[][][] rows = new float[2][][];
  private final float[][] floats = new float[4][];
  private final int[][] ints = new int[5][];

  private Workspace(Levels owner, boolean cached) {
    this.owner = owner;
    this.cached = cached;
  }

  /** The calling thread's workspaces, by nesting depth. */
  private static final class Levels {
    final Workspace[] level = new Workspace[CACHED_LEVELS];
    int depth;
  }

  static Workspace acquire() {
    Levels levels = LEVELS.get();
    int d = levels.depth++;
    if (d >= CACHED_LEVELS) {
      return new Workspace(levels, false);
    }
    Workspace w = levels.level[d];
    if (w == null) {
      w = new Workspace(levels, true);
      levels.level[d] = w;
    }
    return w;
  }

  /** Returns this workspace; must be called on the acquiring thread, innermost first. */
  void release() {
    owner.depth--;
  }

  /** At least {@code count} rows of at least {@code len} floats each. Slots 0 and 1. */
  float[][] rows(int slot, int count, int len) {
    float[][] r = rows[slot];
    if (r == null || r.length < count || (count > 0 && r[0].length < len)) {
      int c = Math.max(count, r == null ? 0 : r.length);
      int l = Math.max(len, r == null || r.length == 0 ? 0 : r[0].length);
      r = new float[c][l];
      rows[slot] = r;
    }
    return r;
  }

  /** At least {@code len} floats. Slots 0 to 3. */
  float[] floats(int slot, int len) {
    float[] f = floats[slot];
    if (f == null || f.length < len) {
      f = new float[len];
      if (cached && len <= CACHE_LIMIT) {
        floats[slot] = f;
      }
    }
    return f;
  }

  /** At least {@code len} ints. Slots 0 to 4. */
  int[] ints(int slot, int len) {
    int[] v = ints[slot];
    if (v == null || v.length < len) {
      v = new int[len];
      ints[slot] = v;
    }
    return v;
  }
}
