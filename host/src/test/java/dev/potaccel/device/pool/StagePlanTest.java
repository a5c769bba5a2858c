package dev.potaccel.device.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StagePlanTest {
  @Test
  void cutsAroundTheHeavyCommands() {
    StagePlan p = StagePlan.balance(new long[] {5, 1, 1, 1, 5}, 3);
    assertEquals(List.of(new StagePlan.Stage(0, 1, 5), new StagePlan.Stage(1, 4, 3),
        new StagePlan.Stage(4, 5, 5)), p.stages());
    assertEquals("[0,1) 38% | [1,4) 23% | [4,5) 38%", p.toString());
  }

  @Test
  void neverMoreStagesThanCommands() {
    assertEquals(2, StagePlan.balance(new long[] {3, 4}, 5).stages().size());
    assertThrows(IllegalArgumentException.class, () -> StagePlan.balance(new long[0], 2));
  }

  /** The dynamic programme against every way of cutting small random cost lists. */
  @Test
  void largestStageIsTheSmallestPossible() {
    Random random = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + random.nextInt(9);
      long[] costs = new long[n];
      for (int i = 0; i < n; i++) {
        costs[i] = 1 + random.nextInt(100);
      }
      int k = 1 + random.nextInt(4);
      StagePlan p = StagePlan.balance(costs, k);
      assertEquals(Math.min(k, n), p.stages().size());
      assertEquals(n, p.commands());
      long got = p.stages().stream().mapToLong(StagePlan.Stage::cost).max().orElseThrow();
      assertEquals(bruteForce(costs, 0, Math.min(k, n)), got, "seed 7 trial " + trial);
    }
  }

  private static long bruteForce(long[] c, int from, int stages) {
    if (stages == 1) {
      long s = 0;
      for (int i = from; i < c.length; i++) {
        s += c[i];
      }
      return s;
    }
    long best = Long.MAX_VALUE;
    long first = 0;
    for (int end = from + 1; end <= c.length - (stages - 1); end++) {
      first += c[end - 1];
      best = Math.min(best, Math.max(first, bruteForce(c, end, stages - 1)));
    }
    return best;
  }
}
