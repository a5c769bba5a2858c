package dev.potaccel.cpu.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Runs {@code count} independent tasks on a fork-join pool. Each worker sets up its scratch
 * state once (from its thread's {@link Workspace}) and then pulls task indices from a shared
 * counter, so uneven tasks balance themselves. A null pool, a pool of parallelism 1, or a single
 * task run in the calling thread.
 */
final class ParallelTasks {
  private ParallelTasks() {}

  /** The work of one task, given the calling worker's private scratch. */
  @FunctionalInterface
  interface Body<S> {
    void run(int task, S scratch);
  }

  /** Number of workers a run of {@code count} tasks would use on {@code pool}. */
  static int workers(ForkJoinPool pool, int count) {
    int par = pool == null ? 1 : pool.getParallelism();
    return Math.max(1, Math.min(par, count));
  }

  static <S> void run(ForkJoinPool pool, int count, Function<Workspace, S> scratch,
      Body<S> body) {
    if (count <= 0) {
      return;
    }
    Runnable worker;
    int workers = workers(pool, count);
    if (workers == 1) {
      worker = () -> {
        Workspace ws = Workspace.acquire();
        try {
          S s = scratch.apply(ws);
          for (int t = 0; t < count; t++) {
            body.run(t, s);
          }
        } finally {
          ws.release();
        }
      };
      worker.run();
      return;
    }
    AtomicInteger next = new AtomicInteger();
    worker = () -> {
      Workspace ws = Workspace.acquire();
      try {
        S s = scratch.apply(ws);
        for (int t = next.getAndIncrement(); t < count; t = next.getAndIncrement()) {
          body.run(t, s);
        }
      } finally {
        ws.release();
      }
    };
    team(pool, worker, workers);
  }

  /**
   * Runs {@code worker} on {@code workers} threads, the calling one among them: a caller from
   * outside the pool works too instead of waiting (one pool thread fewer to wake per call; the
   * engine calls this some 25 times per ResNet-20 batch).
   */
  private static void team(ForkJoinPool pool, Runnable worker, int workers) {
    boolean inside = ForkJoinTask.getPool() == pool;
    ForkJoinTask<?>[] others = new ForkJoinTask<?>[workers - 1];
    for (int i = 0; i < others.length; i++) {
      others[i] = inside ? ForkJoinTask.adapt(worker).fork() : pool.submit(worker);
    }
    // always wait for every worker, so nothing still writes the output after a failure
    Throwable failure = null;
    try {
      worker.run();
    } catch (RuntimeException | Error e) {
      failure = e;
    }
    for (ForkJoinTask<?> other : others) {
      try {
        other.join();
      } catch (RuntimeException | Error e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure instanceof RuntimeException re) {
      throw re;
    }
    if (failure instanceof Error err) {
      throw err;
    }
  }
}
