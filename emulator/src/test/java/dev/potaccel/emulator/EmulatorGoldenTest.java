package dev.potaccel.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.PoolKind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hand-worked cases of docs/accelerator.md §1.2 and §7, through whole packages. */
class EmulatorGoldenTest {

  /** Runs {@code pkg} on one image and returns the codes of buffer {@code buffer}. */
  private static int[] codesOf(AcceleratorPackage pkg, float[] input, int buffer, int threads) {
    try (Emulator e = new Emulator(pkg, threads, null)) {
      EmulatorRun r = e.run(1, List.of(input), true);
      return Reference.decode(r.codes(buffer), pkg.getBuffers(buffer).getIsSigned());
    }
  }

  /**
   * §1.2: rshift(5, 1) = 3, rshift(-5, 1) = -2, rshift(-6, 2) = -1, rshift(7, 0) = 7,
   * rshift(3, -2) = 12: a 1x1 conv whose input is 0, so each channel's accumulator is its bias,
   * with one shift per channel.
   */
  @Test
  void roundingShiftCases() {
    TestPackage t = new TestPackage("rshift");
    int in = t.floats("x", 1, 1, 1);
    int xq = t.codes("xq", 8, true, 0, 1, 1, 1);
    int y = t.codes("y", 8, true, 0, 5, 1, 1);
    int out = t.floats("out", 5, 1, 1);
    t.input(in).output(out);
    t.convert(in, xq);
    int cb = t.codebook(Codebooks.int8(8));
    t.conv("conv", xq, y, TestPackage.Geometry.of(1), cb, new int[] {1, 1, 1, 1, 1},
        new int[] {5, -5, -6, 7, 3}, new int[] {1, 1, 2, 0, -2}, Activation.ACTIVATION_NONE, 0);
    t.convert(y, out);
    for (int threads : new int[] {1, 2}) {
      assertArrayEquals(new int[] {3, -2, -1, 7, 12},
          codesOf(t.build(), new float[] {0f}, y, threads));
    }
  }

  @Test
  void roundingShiftCasesDirect() {
    assertEquals(3, Shifts.rshift(5, 1));
    assertEquals(-2, Shifts.rshift(-5, 1));
    assertEquals(-1, Shifts.rshift(-6, 2));
    assertEquals(7, Shifts.rshift(7, 0));
    assertEquals(12, Shifts.rshift(3, -2));
    assertEquals(3, Shifts.rshiftInt(5, 1));
    assertEquals(-2, Shifts.rshiftInt(-5, 1));
    assertEquals(-1, Shifts.rshiftInt(-6, 2));
  }

  /**
   * §7 CONV, POT weights: codes [1, 0b1010, 3] decode (b_w 4, e_min 0) to [1, -2, 4]; x = [10, 20,
   * 30] at F_x = 4 over three input channels, F_w = 2, bias 5 at F_acc = 6: A = 95, F_y = 3,
   * s = 3: rshift(95, 3) = 12; ReLU 12; 12 · 2^-3 = 1.5.
   */
  @Test
  void potConv() {
    TestPackage t = new TestPackage("golden-pot");
    int in = t.floats("x", 3, 1, 1);
    int xq = t.codes("xq", 8, false, 4, 3, 1, 1);
    int y = t.codes("y", 8, false, 3, 1, 1, 1);
    int out = t.floats("out", 1, 1, 1);
    t.input(in).output(out);
    t.convert(in, xq);
    int cb = t.codebook(Codebooks.pot(4, 0));
    assertArrayEquals(new int[] {0, 1, 2, 4}, java.util.Arrays.copyOf(
        Codebooks.levels(t.build().getCodebooks(cb)), 4));
    assertEquals(-2, Codebooks.levels(t.build().getCodebooks(cb))[0b1010]);
    t.conv("conv", xq, y, TestPackage.Geometry.of(1), cb, new int[] {1, 0b1010, 3},
        new int[] {5}, new int[] {3}, Activation.RELU, 0);
    t.convert(y, out);
    AcceleratorPackage pkg = t.build();
    assertEquals(2, pkg.getCommands(1).getConv().getWeightFracBits(0)); // F_w = s - F_x + F_y
    float[] x = {10 / 16f, 20 / 16f, 30 / 16f};
    try (Emulator e = new Emulator(pkg, 1, null)) {
      EmulatorRun r = e.run(1, List.of(x), true);
      assertArrayEquals(new byte[] {10, 20, 30}, r.codes(xq));
      assertArrayEquals(new byte[] {12}, r.codes(y));
      assertArrayEquals(new float[] {1.5f}, r.output(0));
      assertArrayEquals(new int[] {1, 1, 1, 1}, r.outputShape(0));
    }
  }

  /**
   * §7 AVG 3x3: n = 9, R = round(65536 / 9) = 7282; window sums 100, 58, 13 give 11, 6, 1. Also
   * a 2x2 window (n = 4): a pure rounding shift.
   */
  @Test
  void average3x3() {
    TestPackage t = new TestPackage("golden-avg");
    int in = t.floats("x", 3, 3, 3);
    int xq = t.codes("xq", 8, false, 0, 3, 3, 3);
    int y = t.codes("y", 8, false, 0, 3, 1, 1);
    int y2 = t.codes("y2", 8, false, 0, 3, 2, 2);
    int out = t.floats("out", 3, 1, 1);
    int out2 = t.floats("out2", 3, 2, 2);
    t.input(in).output(out).output(out2);
    t.convert(in, xq);
    t.pool("avg", xq, y, PoolKind.AVERAGE, 3, 3, 1, 1, new int[4]);
    t.pool("avg2", xq, y2, PoolKind.AVERAGE, 2, 2, 1, 1, new int[4]);
    t.convert(y, out);
    t.convert(y2, out2);
    AcceleratorPackage pkg = t.build();
    assertEquals(7282, pkg.getCommands(1).getPool().getReciprocal());
    assertEquals(7282, PoolStep.reciprocal(9));
    float[] x = {
      11, 11, 11, 11, 11, 11, 11, 11, 12, // S = 100
      6, 6, 6, 6, 7, 7, 7, 7, 6, // S = 58
      1, 1, 1, 1, 1, 1, 1, 1, 5 // S = 13
    };
    assertArrayEquals(new int[] {11, 6, 1}, codesOf(pkg, x, y, 1));
    // 2x2 windows of plane 0: 44/4 = 11, 45/4 = 11.25 -> 11; plane 1: 25/4 = 6.25 -> 6, 26/4 =
    // 6.5 -> 7 (ties up), 27/4 -> 7, 27/4 -> 7; plane 2: 4/4 = 1, 4 -> 1, 4 -> 1, 8/4 = 2
    assertArrayEquals(new int[] {11, 11, 11, 11, 6, 7, 7, 7, 1, 1, 1, 2}, codesOf(pkg, x, y2, 2));
  }

  /**
   * §7 ADD: a = 50 at F_a = 5, b = -7 at F_b = 3, F_y = 4: F = 5, t = 50 + (-7 << 2) = 22,
   * rshift(22, 1) = 11.
   */
  @Test
  void add() {
    TestPackage t = new TestPackage("golden-add");
    int ia = t.floats("a", 1);
    int ib = t.floats("b", 1);
    int qa = t.codes("qa", 8, true, 5, 1);
    int qb = t.codes("qb", 8, true, 3, 1);
    int y = t.codes("y", 8, true, 4, 1);
    int out = t.floats("out", 1);
    t.input(ia).input(ib).output(out);
    t.convert(ia, qa);
    t.convert(ib, qb);
    t.add("add", qa, qb, y, Activation.ACTIVATION_NONE, 0);
    t.convert(y, out);
    AcceleratorPackage pkg = t.build();
    assertEquals(1, pkg.getCommands(2).getAdd().getRequantize().getShift(0));
    try (Emulator e = new Emulator(pkg, 1, null)) {
      EmulatorRun r = e.run(1, List.of(new float[] {50 / 32f}, new float[] {-7 / 8f}), true);
      assertArrayEquals(new byte[] {11}, r.codes(y));
      assertArrayEquals(new float[] {0.6875f}, r.output(0));
    }
  }

  /**
   * §7 LeakyReLU, slope 1/8: A = -100, s = 2: rshift(-100, 2 + 3) = -3; the positive side
   * A = 100: rshift(100, 2) = 25.
   */
  @Test
  void leakyRelu() {
    TestPackage t = new TestPackage("golden-leaky");
    int in = t.floats("x", 1, 1, 1);
    int xq = t.codes("xq", 8, true, 0, 1, 1, 1);
    int y = t.codes("y", 8, true, 0, 2, 1, 1);
    int out = t.floats("out", 2, 1, 1);
    t.input(in).output(out);
    t.convert(in, xq);
    int cb = t.codebook(Codebooks.int8(4));
    t.conv("conv", xq, y, TestPackage.Geometry.of(1), cb, new int[] {1, 1},
        new int[] {-100, 100}, new int[] {2}, Activation.LEAKY_RELU, 3);
    t.convert(y, out);
    assertArrayEquals(new int[] {-3, 25}, codesOf(t.build(), new float[] {0f}, y, 1));
  }
}
