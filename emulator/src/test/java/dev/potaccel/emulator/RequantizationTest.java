package dev.potaccel.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.potaccel.protocol.pkg.Activation;
import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Shifts} and {@link Requantization} against {@link Reference} over random values. */
class RequantizationTest {
  private static final long SEED = 4_242L;

  @Test
  void rshiftMatchesTheDefinitionForEveryShift() {
    Random rnd = new Random(SEED);
    long[] edge = {0, 1, -1, 2, -2, 3, -3, Integer.MAX_VALUE, Integer.MIN_VALUE,
        Integer.MAX_VALUE - 1L, Integer.MIN_VALUE + 1L, 1L << 40, -(1L << 40)};
    for (int s = -40; s <= 70; s++) {
      for (int i = 0; i < 400; i++) {
        long a = i < edge.length ? edge[i] : i % 2 == 0 ? rnd.nextInt() : rnd.nextInt(1 << 12)
            - (1 << 11);
        BigInteger want = Reference.rshift(BigInteger.valueOf(a), s);
        BigInteger cap = BigInteger.ONE.shiftLeft(62);
        want = want.min(cap).max(cap.negate());
        assertEquals(want.longValueExact(), Shifts.rshift(a, s), "rshift(" + a + ", " + s + ")");
        if (s >= 1 && s <= 31 && a == (int) a) {
          assertEquals(want.longValueExact(), Shifts.rshiftInt((int) a, s),
              "rshiftInt(" + a + ", " + s + ")");
        }
      }
    }
  }

  /** The vectorizable row loop and the scalar path agree with the contract's table. */
  @Test
  void rowAndApplyMatchTheTable() {
    Random rnd = new Random(SEED + 1);
    int[] shiftChoices = {-3, -1, 0, 1, 2, 5, 13, 30, 31, 32, 33, 50};
    for (int trial = 0; trial < 300; trial++) {
      Activation act = Activation.forNumber(trial % 4);
      int bits = 2 + rnd.nextInt(7);
      boolean signed = act == Activation.ACTIVATION_NONE || act == Activation.LEAKY_RELU
          || rnd.nextBoolean();
      int lo = Reference.lo(bits, signed);
      int hi = Reference.hi(bits, signed);
      int frac = rnd.nextInt(4);
      int leaky = 1 + rnd.nextInt(31);
      int m = 3;
      int[] shifts = new int[m];
      for (int i = 0; i < m; i++) {
        shifts[i] = shiftChoices[rnd.nextInt(shiftChoices.length)];
      }
      Requantization rq = Requantization.of(shifts, act, leaky, lo, hi, frac);
      int[] acc = new int[37];
      for (int i = 0; i < acc.length; i++) {
        acc[i] = switch (rnd.nextInt(4)) {
          case 0 -> rnd.nextInt();
          case 1 -> rnd.nextInt(2001) - 1000;
          case 2 -> rnd.nextBoolean() ? Integer.MAX_VALUE : Integer.MIN_VALUE;
          default -> rnd.nextInt(1 << 20) - (1 << 19);
        };
      }
      for (int ch = 0; ch < m; ch++) {
        byte[] y = new byte[acc.length + 2];
        int[] work = new int[acc.length + 5];
        System.arraycopy(acc, 0, work, 5, acc.length);
        rq.row(work, 5, acc.length, y, 2, ch); // overwrites work
        for (int i = 0; i < acc.length; i++) {
          int want = Reference.activate(acc[i], shifts[ch], act, leaky, frac, lo, hi);
          String what = act + " a=" + leaky + " s=" + shifts[ch] + " [" + lo + ", " + hi
              + "] F=" + frac + " A=" + acc[i];
          assertEquals(want, rq.apply(acc[i], ch), what);
          assertEquals(want, signed ? y[i + 2] : y[i + 2] & 0xFF, what + " (row)");
        }
      }
    }
  }
}
