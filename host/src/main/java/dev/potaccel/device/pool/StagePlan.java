package dev.potaccel.device.pool;

import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.emulator.cost.CommandCost;
import dev.potaccel.emulator.cost.CostModel;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A package's command list cut into contiguous pipeline stages, each with its estimated cost.
 *
 * @param stages in order; the first starts at command 0, each starts where the previous ends, the
 *     last ends after the last command
 */
public record StagePlan(List<Stage> stages) {
  /**
   * Commands {@code [from, to)}.
   *
   * @param cost the sum of the commands' costs (accelerator cycles)
   */
  public record Stage(int from, int to, long cost) {
    public Stage {
      if (from < 0 || to <= from) {
        throw new IllegalArgumentException("a stage needs commands [from, to) with 0 <= from < to,"
            + " got [" + from + ", " + to + ")");
      }
    }

    /** Whether the run that has reached command {@code at} continues on this stage. */
    boolean contains(int at) {
      return at >= from && at < to;
    }
  }

  public StagePlan {
    stages = List.copyOf(stages);
    if (stages.isEmpty()) {
      throw new IllegalArgumentException("a plan needs at least one stage");
    }
    for (int i = 1; i < stages.size(); i++) {
      if (stages.get(i).from() != stages.get(i - 1).to()) {
        throw new IllegalArgumentException("stages " + (i - 1) + " and " + i + " are not"
            + " contiguous: " + stages);
      }
    }
    if (stages.get(0).from() != 0) {
      throw new IllegalArgumentException("the first stage starts at command "
          + stages.get(0).from() + ", not 0");
    }
  }

  /**
   * Per command of {@code pkg}, its accelerator cycles for {@code batch} images on the
   * accelerator the package was compiled for ({@link AcceleratorDescription#defaultFor}), at
   * least 1 so that no stage is free.
   */
  public static long[] commandCosts(AcceleratorPackage pkg, int batch) {
    List<CommandCost> costs = CostModel.estimate(pkg, AcceleratorDescription.defaultFor(pkg),
        batch).commands();
    long[] c = new long[costs.size()];
    for (int i = 0; i < c.length; i++) {
      c[i] = Math.max(1, costs.get(i).cycles());
    }
    return c;
  }

  /**
   * Cuts {@code costs.length} commands into {@code min(stages, costs.length)} contiguous stages
   * whose largest cost is as small as it can be (a pipeline runs at the pace of its slowest
   * stage). Exact, by dynamic programming over the cut positions: O(stages · n²), nothing for the
   * few hundred commands of a CNN.
   *
   * @throws IllegalArgumentException if there are no commands or {@code stages < 1}
   */
  public static StagePlan balance(long[] costs, int stages) {
    Objects.requireNonNull(costs, "costs");
    int n = costs.length;
    if (n == 0 || stages < 1) {
      throw new IllegalArgumentException("need at least one command and one stage, got " + n
          + " commands and " + stages + " stages");
    }
    int k = Math.min(stages, n);
    long[] prefix = new long[n + 1];
    for (int i = 0; i < n; i++) {
      prefix[i + 1] = prefix[i] + costs[i];
    }
    // best[s][j]: the smallest possible largest stage cost of commands [0, j) cut into s stages
    long[][] best = new long[k + 1][n + 1];
    int[][] cut = new int[k + 1][n + 1];
    for (int j = 1; j <= n; j++) {
      best[1][j] = prefix[j];
    }
    for (int s = 2; s <= k; s++) {
      for (int j = s; j <= n; j++) {
        best[s][j] = Long.MAX_VALUE;
        for (int i = s - 1; i < j; i++) {
          long worst = Math.max(best[s - 1][i], prefix[j] - prefix[i]);
          if (worst < best[s][j]) {
            best[s][j] = worst;
            cut[s][j] = i;
          }
        }
      }
    }
    List<Stage> out = new ArrayList<>();
    int end = n;
    for (int s = k; s >= 1; s--) {
      int from = s == 1 ? 0 : cut[s][end];
      out.add(0, new Stage(from, end, prefix[end] - prefix[from]));
      end = from;
    }
    return new StagePlan(out);
  }

  /** The number of commands the plan covers. */
  public int commands() {
    return stages.get(stages.size() - 1).to();
  }

  /** The index of the stage that holds command {@code at}. */
  int stageOf(int at) {
    for (int i = 0; i < stages.size(); i++) {
      if (stages.get(i).contains(at)) {
        return i;
      }
    }
    throw new IllegalArgumentException("command " + at + " is outside the plan " + this);
  }

  /** The slowest stage's cost over the total: 1/stages is a perfect balance. */
  public double largestShare() {
    long total = 0;
    long max = 0;
    for (Stage s : stages) {
      total += s.cost();
      max = Math.max(max, s.cost());
    }
    return total == 0 ? 1 : (double) max / total;
  }

  /** {@code "[0,12) 51% | [12,27) 49%"}. */
  @Override
  public String toString() {
    long total = stages.stream().mapToLong(Stage::cost).sum();
    StringBuilder sb = new StringBuilder();
    for (Stage s : stages) {
      sb.append(sb.length() == 0 ? "" : " | ").append('[').append(s.from()).append(',')
          .append(s.to()).append(") ")
          .append(total == 0 ? 0 : Math.round(100.0 * s.cost() / total)).append('%');
    }
    return sb.toString();
  }
}
