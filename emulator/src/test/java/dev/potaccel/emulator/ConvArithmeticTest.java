package dev.potaccel.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.Codebook;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The two exact arithmetics of {@link ConvStep}: float where the layer's product bound {@code
 * xmax * sum|v|} is at most 2^24, int32 otherwise. Each case runs the same package with the float
 * path allowed and with it forced off, checks which path each layer took, and requires both to
 * give the codes of {@link Reference} (BigInteger arithmetic), bit for bit.
 */
class ConvArithmeticTest {
  /** Command index of the CONV in {@link #layer}'s packages (0 is the input CONVERT). */
  private static final int CONV = 1;

  /** One CONV layer between FP32 input and output, and the reference codes for an input. */
  private record Layer(AcceleratorPackage pkg, int yBuffer, boolean ySigned, int[] expected,
      float[] x, int batch) {}

  private static Layer layer(int c, int h, int w, int m, TestPackage.Geometry g, Codebook cb,
      int[] codes, int[] bias, int[] shifts, boolean xSigned, int[] xCodes, int batch,
      Activation act) {
    int yBits = 8;
    boolean ySigned = act == Activation.ACTIVATION_NONE;
    int oh = g.outSize(h, true);
    int ow = g.outSize(w, false);
    TestPackage t = new TestPackage("arith");
    int in = t.floats("x", c, h, w);
    int xq = t.codes("xq", 8, xSigned, 0, c, h, w);
    int y = t.codes("y", yBits, ySigned, 0, m, oh, ow);
    int out = t.floats("out", m, oh, ow);
    t.input(in).output(out);
    t.convert(in, xq);
    t.conv("conv", xq, y, g, t.codebook(cb), codes, bias, shifts, act, 1);
    t.convert(y, out);
    int[] table = Codebooks.levels(cb);
    int[] levels = new int[codes.length];
    for (int i = 0; i < codes.length; i++) {
      levels[i] = table[codes[i]];
    }
    int[] expected = Reference.conv(xCodes, batch, c, h, w, levels, bias, m, g, shifts, act, 1, 0,
        Reference.lo(yBits, ySigned), Reference.hi(yBits, ySigned));
    float[] x = new float[xCodes.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = xCodes[i]; // F_x = 0: the value is the code
    }
    return new Layer(t.build(), y, ySigned, expected, x, batch);
  }

  /** Runs {@code l} with the float path allowed or not; returns the output codes. */
  private static int[] run(Layer l, boolean floatConv, int threads, boolean expectFloat) {
    try (Emulator e = new Emulator(l.pkg(), threads, null, floatConv)) {
      ConvStep conv = (ConvStep) e.step(CONV);
      assertEquals(expectFloat, conv.usesFloat(), "float path with floatConv = " + floatConv);
      EmulatorRun r = e.run(l.batch(), List.of(l.x()), true);
      return Reference.decode(r.codes(l.yBuffer()), l.ySigned());
    }
  }

  /** Both paths on the same layer: each must equal the reference. */
  private static void assertBothPathsExact(Layer l, boolean floatApplies, String what) {
    for (int threads = 1; threads <= 2; threads++) {
      int[] viaFloat = run(l, true, threads, floatApplies);
      int[] viaInt = run(l, false, threads, false);
      EmulatorReferenceTest.assertCodes(l.expected(), viaInt, what + ", int32, threads "
          + threads);
      EmulatorReferenceTest.assertCodes(l.expected(), viaFloat, what + ", "
          + (floatApplies ? "float" : "int32") + ", threads " + threads);
      assertArrayEquals(viaInt, viaFloat, what);
    }
  }

  private static int[] randomInput(int count, boolean signed, Random rnd) {
    int[] x = new int[count];
    for (int i = 0; i < x.length; i++) {
      x[i] = signed ? rnd.nextInt(256) - 128 : rnd.nextInt(256);
    }
    return x;
  }

  private static long productBound(Codebook cb, int[] codes, int m, long xmax) {
    int[] table = Codebooks.levels(cb);
    int k = codes.length / m;
    long max = 0;
    for (int i = 0; i < m; i++) {
      long sum = 0;
      for (int j = 0; j < k; j++) {
        sum += Math.abs((long) table[codes[i * k + j]]);
      }
      max = Math.max(max, xmax * sum);
    }
    return max;
  }

  @Test
  void floatAndIntPathsGiveTheReferenceCodesOnTheSameLayers() {
    Random rnd = new Random(20_261_123L);
    TestPackage.Geometry[] geometries = {
      TestPackage.Geometry.same3x3(),
      TestPackage.Geometry.same3x3().strides(2),
      TestPackage.Geometry.of(1),
      TestPackage.Geometry.same3x3().groups(8),
      TestPackage.Geometry.same3x3().groups(2),
      new TestPackage.Geometry(3, 3, 1, 2, 2, 1, 2, 0, 1, 2, 1)
    };
    Codebook cb = Codebooks.int8(8);
    // m = 24 spans several 3-row steps of MacKernel and a remainder with 2 groups
    for (int m : new int[] {8, 24}) {
      for (TestPackage.Geometry g : geometries) {
        check(g, m, cb, rnd);
      }
    }
  }

  /**
   * Batches of 21 images take the lane path ({@code ConvStep.executeLanes}) where it applies:
   * 21 fills one or two full lane groups (16 or 8 images) and leaves a partial one, and {@code m
   * = 10} leaves a partial block of output channels ({@code LaneConvKernel.ROWS}).
   */
  @Test
  void lanePathGivesTheReferenceCodes() {
    Random rnd = new Random(20_261_207L);
    TestPackage.Geometry[] geometries = {
      TestPackage.Geometry.same3x3(),
      TestPackage.Geometry.same3x3().strides(2),
      TestPackage.Geometry.of(1),
      new TestPackage.Geometry(3, 3, 1, 2, 2, 1, 2, 0, 1, 2, 1),
      // 1 x 1 output (fully connected: lane groups as the tile's pixels) and 1 x 2
      new TestPackage.Geometry(3, 3, 9, 11, 1, 1, 0, 0, 0, 0, 1),
      new TestPackage.Geometry(3, 3, 9, 6, 1, 1, 0, 0, 0, 0, 1)
    };
    Codebook cb = Codebooks.int8(8);
    for (int m : new int[] {10, 24}) {
      for (TestPackage.Geometry g : geometries) {
        Layer l = check(g, m, cb, rnd, 21);
        if (dev.potaccel.simd.VectorKernels.ENABLED) {
          try (Emulator e = new Emulator(l.pkg(), 1, null, true)) {
            assertTrue(((ConvStep) e.step(CONV)).usesLanes(), "lane path for " + g);
          }
        }
      }
    }
  }

  /**
   * A CONV whose output stays in lane layout, read by the steps that work on lane codes: MAX 2 x 2
   * (the vector path), MAX 3 x 3 padded and AVERAGE 2 x 2 (lane by lane), a residual ADD, a
   * reshape and a fully connected CONV. Every buffer's codes must equal those of the same
   * package run with the float path (and so the lane layout) off, whose steps the reference
   * tests check against {@link Reference}.
   */
  @Test
  void stepsOnLaneCodesEqualTheNchwPath() {
    Random rnd = new Random(20_261_208L);
    Codebook cb = Codebooks.int8(8);
    int c = 8;
    int h = 8;
    int w = 8;
    int m = 8;
    TestPackage t = new TestPackage("lanes");
    int in = t.floats("x", c, h, w);
    int xq = t.codes("xq", 8, false, 0, c, h, w);
    int y1 = t.codes("y1", 8, false, 0, m, h, w);
    int p1 = t.codes("p1", 8, false, 0, m, 4, 4);
    int p2 = t.codes("p2", 8, false, 0, m, h, w);
    int p3 = t.codes("p3", 8, false, 0, m, 4, 4);
    int sum = t.codes("sum", 8, false, 0, m, 4, 4);
    int flat = t.codes("flat", 8, false, 0, m * 16);
    int fc = t.codes("fc", 8, true, 0, 10);
    int out = t.floats("out", 10);
    t.input(in).output(out);
    t.convert(in, xq);
    TestPackage.Geometry g = TestPackage.Geometry.same3x3();
    int kg = c * 9;
    int[] codes = Codebooks.randomCodes(cb, m, kg, 255, 1 << 20, 0.2, rnd);
    int[] shifts = new int[m];
    Arrays.fill(shifts, 9);
    t.conv("conv", xq, y1, g, t.codebook(cb), codes, new int[m], shifts, Activation.RELU, 1);
    t.pool("max2", y1, p1, dev.potaccel.protocol.pkg.PoolKind.MAX, 2, 2, 2, 2, new int[4]);
    t.pool("max3", y1, p2, dev.potaccel.protocol.pkg.PoolKind.MAX, 3, 3, 1, 1,
        new int[] {1, 1, 1, 1});
    t.pool("avg2", y1, p3, dev.potaccel.protocol.pkg.PoolKind.AVERAGE, 2, 2, 2, 2, new int[4]);
    t.add("add", p1, p3, sum, Activation.RELU, 1);
    t.reshape(sum, flat);
    int[] fcCodes = Codebooks.randomCodes(cb, 10, m * 16, 255, 1 << 20, 0.2, rnd);
    int[] fcShifts = new int[10];
    Arrays.fill(fcShifts, 8);
    t.conv("fc", flat, fc, TestPackage.Geometry.of(1), t.codebook(cb), fcCodes, new int[10],
        fcShifts, Activation.ACTIVATION_NONE, 1);
    t.convert(fc, out);
    AcceleratorPackage pkg = t.build();
    int batch = 37;
    float[] x = new float[batch * c * h * w];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextInt(256);
    }
    for (int threads = 1; threads <= 2; threads++) {
      EmulatorRun viaLanes;
      EmulatorRun viaNchw;
      try (Emulator e = new Emulator(pkg, threads, null, true)) {
        if (dev.potaccel.simd.VectorKernels.ENABLED) {
          assertTrue(((ConvStep) e.step(CONV)).usesLanes(), "lane path");
        }
        viaLanes = e.run(batch, List.of(x), true);
      }
      try (Emulator e = new Emulator(pkg, threads, null, false)) {
        viaNchw = e.run(batch, List.of(x), true);
      }
      for (int b : new int[] {y1, p1, p2, p3, sum, flat, fc}) {
        assertArrayEquals(viaNchw.codes(b), viaLanes.codes(b), "buffer " + b + ", threads "
            + threads);
      }
      assertArrayEquals(viaNchw.output(0), viaLanes.output(0), 0f, "threads " + threads);
    }
  }

  private static void check(TestPackage.Geometry g, int m, Codebook cb, Random rnd) {
    check(g, m, cb, rnd, 3);
  }

  private static Layer check(TestPackage.Geometry g, int m, Codebook cb, Random rnd,
      int batch) {
    int c = 16;
    int h = 9;
    int w = 11;
    int kg = c / g.groups() * g.kh() * g.kw();
    int[] codes = Codebooks.randomCodes(cb, m, kg, 255, 1 << 20, 0.2, rnd);
    assertTrue(productBound(cb, codes, m, 255) <= ConvStep.FLOAT_EXACT, "bound of " + g);
    int[] bias = new int[m];
    int[] shifts = new int[m];
    for (int i = 0; i < m; i++) {
      bias[i] = rnd.nextInt(1 << 21) - (1 << 20);
      shifts[i] = 6 + rnd.nextInt(8);
    }
    Layer l = layer(c, h, w, m, g, cb, codes, bias, shifts, false,
        randomInput(batch * c * h * w, false, rnd), batch, Activation.RELU);
    assertBothPathsExact(l, true, "m " + m + ", geometry " + g + ", batch " + batch);
    return l;
  }

  /**
   * Biases near 2^30 with shift 24: each output code is 63 or 64 depending on the exact sign of
   * {@code sum + delta}, with small sums and deltas (|.| < 100), where float32 at 2^30 resolves
   * only multiples of 128. So the float path must add the bias as an int to the exact sum.
   */
  @Test
  void largeBiasesAreAddedExactly() {
    Random rnd = new Random(7);
    Codebook cb = Codebooks.int8(4); // levels -8..7
    int c = 8;
    int h = 6;
    int w = 6;
    int m = 6;
    TestPackage.Geometry g = TestPackage.Geometry.same3x3();
    int[] codes = Codebooks.randomCodes(cb, m, c * 9, 128, 1 << 30, 0.1, rnd);
    int[] bias = new int[m];
    int[] shifts = new int[m];
    for (int i = 0; i < m; i++) {
      bias[i] = (1 << 30) - (1 << 23) + rnd.nextInt(129) - 64;
      shifts[i] = 24;
    }
    int batch = 2;
    int[] x = new int[batch * c * h * w];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextInt(5) - 2;
    }
    Layer l = layer(c, h, w, m, g, cb, codes, bias, shifts, true, x, batch,
        Activation.ACTIVATION_NONE);
    assertTrue(Arrays.stream(l.expected()).anyMatch(v -> v == 63)
        && Arrays.stream(l.expected()).anyMatch(v -> v == 64), "the case must hit both codes");
    assertBothPathsExact(l, true, "bias near 2^30");
  }

  /**
   * The boundary: signed 8-bit inputs (xmax = 128) and K = 1024 weights of -128 give a product
   * bound of exactly 2^24, so the layer runs in float; inputs of -128 reach that bound, 2^24,
   * which float32 holds exactly. One more weight of 1 makes the bound 2^24 + 128: int32.
   */
  @Test
  void boundOfExactlyTwoTo24RunsInFloatAndOneMoreRunsInInt() {
    for (int c : new int[] {1024, 1025}) {
      Codebook cb = Codebooks.int8(8);
      int m = 2;
      int[] codes = new int[m * c];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < 1024; j++) {
          codes[i * c + j] = 0x80; // -128
        }
        if (c == 1025) {
          codes[i * c + 1024] = 1;
        }
      }
      boolean floatApplies = c == 1024;
      assertEquals(floatApplies, productBound(cb, codes, m, 128) <= ConvStep.FLOAT_EXACT);
      int batch = 2;
      int[] x = new int[batch * c];
      Arrays.fill(x, -128); // every product 2^14: the sum reaches the bound
      x[x.length - 1] = 127;
      int[] bias = {-(1 << 24), 5};
      int[] shifts = {8, 18};
      Layer l = layer(c, 1, 1, m, TestPackage.Geometry.of(1), cb, codes, bias, shifts, true, x,
          batch, Activation.ACTIVATION_NONE);
      assertBothPathsExact(l, floatApplies, "K = " + c);
    }
  }

  /**
   * LUT levels up to 2^15: the product bound is far above 2^24 (but within the §1.4 int32
   * bound), so the layer runs in int32 even with the float path allowed, and stays exact.
   */
  @Test
  void layerAboveTwoTo24RunsInIntAndStaysExact() {
    Random rnd = new Random(11);
    Codebook cb = Codebooks.lut(8, 1 << 15, rnd);
    int c = 12;
    int h = 7;
    int w = 7;
    int m = 5;
    TestPackage.Geometry g = TestPackage.Geometry.same3x3();
    int[] codes = Codebooks.randomCodes(cb, m, c * 9, 255, 1 << 16, 0.1, rnd);
    long bound = productBound(cb, codes, m, 255);
    assertTrue(bound > ConvStep.FLOAT_EXACT, "bound " + bound + " must exceed 2^24");
    assertTrue(bound + (1 << 16) <= Integer.MAX_VALUE, "bound " + bound + " must fit int32");
    int[] bias = new int[m];
    int[] shifts = new int[m];
    for (int i = 0; i < m; i++) {
      bias[i] = rnd.nextInt(1 << 17) - (1 << 16);
      shifts[i] = 18 + rnd.nextInt(6);
    }
    int batch = 2;
    Layer l = layer(c, h, w, m, g, cb, codes, bias, shifts, false,
        randomInput(batch * c * h * w, false, rnd), batch, Activation.ACTIVATION_NONE);
    assertBothPathsExact(l, false, "LUT levels up to 2^15");
    try (Emulator e = new Emulator(l.pkg(), 1, null)) {
      assertFalse(((ConvStep) e.step(CONV)).usesFloat(), "the public constructor too");
    }
  }
}
