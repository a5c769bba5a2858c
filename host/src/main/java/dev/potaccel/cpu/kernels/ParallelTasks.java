package dev.potaccel.cpu.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs {@code count} independent tasks on a fork-join pool. Each worker allocates its scratch
 * state once and then pulls task indices from a shared counter, so uneven tasks balance
 * themselves. A null pool, a pool of parallelism 1, or a single task run in the calling thread.
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

  static <S> void run(ForkJoinPool pool, int count, Supplier<S> scratch, Body<S> body) {
    if (count <= 0) {
      return;
    }
    int workers = workers(pool, count);
    if (workers == 1) {
      S s = scratch.get();
      for (int t = 0; t < count; t++) {
        body.run(t, s);
      }
      return;
    }
    AtomicInteger next = new AtomicInteger();
    Runnable worker = () -> {
      S s = scratch.get();
      for (int t = next.getAndIncrement(); t < count; t = next.getAndIncrement()) {
        body.run(t, s);
      }
    };
    pool.invoke(new Team(worker, workers));
  }

  private static final class Team extends RecursiveAction {
    private final transient Runnable worker;
    private final int workers;

    Team(Runnable worker, int workers) {
      this.worker = worker;
      this.workers = workers;
    }

    @Override
    protected void compute() {
      ForkJoinTask<?>[] others = new ForkJoinTask<?>[workers - 1];
      for (int i = 0; i < others.length; i++) {
        others[i] = ForkJoinTask.adapt(worker).fork();
      }
      worker.run();
      for (ForkJoinTask<?> other : others) {
        other.join();
      }
    }
  }
}
