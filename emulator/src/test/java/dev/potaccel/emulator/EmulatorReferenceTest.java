package dev.potaccel.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.PoolKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random small layers against {@link Reference}, the naive reading of the contract: every code
 * of every buffer must be equal, bit for bit. Seeds are fixed and printed in every failure.
 */
class EmulatorReferenceTest {
  private static final long SEED = 20_261_124L;

  /** A conv layer shape: input [c, h, w] (or [c] when fc), m outputs, geometry. */
  record Shape(String name, int c, int h, int w, int m, TestPackage.Geometry g, boolean fc) {
    @Override
    public String toString() {
      return name;
    }
  }

  static TestPackage.Geometry geo(int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pl,
      int pb, int pr, int groups) {
    return new TestPackage.Geometry(kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups);
  }

  static List<Shape> shapes() {
    return List.of(
        new Shape("3x3 same", 5, 9, 9, 7, TestPackage.Geometry.same3x3(), false),
        new Shape("3x3 stride 2 asymmetric pads", 4, 10, 7, 6, geo(3, 3, 2, 2, 1, 1, 1, 0, 1, 2,
            1), false),
        new Shape("3x3 dilation 2", 3, 8, 8, 5, geo(3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1), false),
        new Shape("groups 2", 6, 7, 6, 4, geo(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2), false),
        new Shape("depthwise", 6, 8, 8, 6, geo(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6), false),
        new Shape("depthwise x2 stride 2", 4, 9, 9, 8, geo(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4),
            false),
        new Shape("1x1", 16, 5, 5, 10, TestPackage.Geometry.of(1), false),
        new Shape("1x1 stride 2", 8, 7, 7, 8, TestPackage.Geometry.of(1).strides(2), false),
        new Shape("fc", 40, 1, 1, 12, TestPackage.Geometry.of(1), true),
        new Shape("5x3 stride 2x1", 3, 11, 6, 9, geo(5, 3, 2, 1, 1, 1, 2, 1, 2, 1, 1), false),
        new Shape("K > panel (360)", 40, 6, 6, 5, TestPackage.Geometry.same3x3(), false),
        new Shape("many channels few pixels", 6, 3, 3, 37, TestPackage.Geometry.same3x3(), false),
        new Shape("columns across images", 3, 12, 12, 4, TestPackage.Geometry.same3x3(), false),
        new Shape("kernel = input", 4, 3, 3, 3, TestPackage.Geometry.of(3), false));
  }

  static List<String> books() {
    return List.of("INT8-4", "INT8-8", "POT-4", "POT-5", "TERMS-4-k2", "TERMS-8-k3", "LUT-4",
        "LUT-8");
  }

  static Stream<Arguments> convCases() {
    List<Arguments> cases = new ArrayList<>();
    int i = 0;
    for (Shape s : shapes()) {
      for (String b : books()) {
        cases.add(Arguments.of(s, b, i++));
      }
    }
    return cases.stream();
  }

  static Codebook book(String name, Random rnd) {
    String[] p = name.split("-");
    int bits = Integer.parseInt(p[1]);
    return switch (p[0]) {
      case "INT8" -> Codebooks.int8(bits);
      case "POT" -> Codebooks.pot(bits, rnd.nextInt(2));
      case "TERMS" -> Codebooks.terms(bits, Integer.parseInt(p[2].substring(1)), 7, rnd);
      case "LUT" -> Codebooks.lut(bits, 1 << 15, rnd);
      default -> throw new IllegalArgumentException(name);
    };
  }

  /** Random float inputs: mostly exact codes, some off-grid, exact ties, out of range, NaN. */
  static float[] inputs(int count, int bits, boolean signed, int frac, Random rnd) {
    int lo = Reference.lo(bits, signed);
    int hi = Reference.hi(bits, signed);
    float scale = (float) Math.pow(2, -frac);
    float[] v = new float[count];
    for (int i = 0; i < count; i++) {
      int code = lo + rnd.nextInt(hi - lo + 1);
      double r = rnd.nextDouble();
      if (r < 0.7) {
        v[i] = code * scale;
      } else if (r < 0.8) {
        v[i] = (code + 0.5f) * scale; // a tie: rounds up
      } else if (r < 0.9) {
        v[i] = (code + (float) rnd.nextGaussian()) * scale;
      } else if (r < 0.99) {
        v[i] = (rnd.nextBoolean() ? 1 : -1) * (hi + 1 + rnd.nextInt(1000)) * scale;
      } else {
        v[i] = Float.NaN;
      }
    }
    return v;
  }

  static int[] quantize(float[] v, int frac, int lo, int hi) {
    int[] q = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      q[i] = Reference.quantize(v[i], frac, lo, hi);
    }
    return q;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("convCases")
  void convMatchesReference(Shape shape, String bookName, int index) {
    long seed = SEED + 1000L * index;
    Random rnd = new Random(seed);
    Codebook cb = book(bookName, rnd);
    int xBits = rnd.nextBoolean() ? 8 : 4;
    boolean xSigned = rnd.nextBoolean();
    int fx = rnd.nextInt(7) - 1;
    Activation act = Activation.forNumber(rnd.nextInt(4));
    int leaky = 1 + rnd.nextInt(4);
    int yBits = rnd.nextBoolean() ? 8 : 4;
    boolean ySigned = act == Activation.ACTIVATION_NONE || act == Activation.LEAKY_RELU
        || rnd.nextInt(4) == 0;
    int fy = act == Activation.RELU6 ? rnd.nextInt(4) : rnd.nextInt(7) - 2;
    int batch = rnd.nextBoolean() ? 1 : 3;
    int threads = 1 + rnd.nextInt(2);
    TestPackage.Geometry g = shape.g();
    int kg = shape.c() / g.groups() * g.kh() * g.kw();
    long xmax = xSigned ? 1L << (xBits - 1) : (1L << xBits) - 1;
    int maxBias = 1 << 14;
    int[] codes = Codebooks.randomCodes(cb, shape.m(), kg, xmax, maxBias, 0.2, rnd);
    int[] bias = new int[shape.m()];
    int[] shifts = new int[shape.m()];
    int[] shiftChoices = {-2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 20, 31, 32, 40};
    for (int i = 0; i < shape.m(); i++) {
      bias[i] = rnd.nextInt(2 * maxBias + 1) - maxBias;
      shifts[i] = shiftChoices[rnd.nextInt(shiftChoices.length)];
    }
    String what = shape + " " + bookName + " seed " + seed + ": x " + xBits + "-bit "
        + (xSigned ? "signed" : "unsigned") + " F=" + fx + ", y " + yBits + "-bit "
        + (ySigned ? "signed" : "unsigned") + " F=" + fy + ", " + act + " a=" + leaky + ", batch "
        + batch + ", threads " + threads;

    TestPackage t = new TestPackage("ref-conv");
    int[] xShape = shape.fc() ? new int[] {shape.c()} : new int[] {shape.c(), shape.h(),
        shape.w()};
    int oh = g.outSize(shape.h(), true);
    int ow = g.outSize(shape.w(), false);
    int[] yShape = shape.fc() ? new int[] {shape.m()} : new int[] {shape.m(), oh, ow};
    int in = t.floats("x", xShape);
    int xq = t.codes("xq", xBits, xSigned, fx, xShape);
    int y = t.codes("y", yBits, ySigned, fy, yShape);
    int out = t.floats("out", yShape);
    t.input(in).output(out);
    t.convert(in, xq);
    int book = t.codebook(cb);
    t.conv("conv", xq, y, g, book, codes, bias, shifts, act, leaky);
    t.convert(y, out);
    AcceleratorPackage pkg = t.build();

    int xLo = Reference.lo(xBits, xSigned);
    int xHi = Reference.hi(xBits, xSigned);
    int yLo = Reference.lo(yBits, ySigned);
    int yHi = Reference.hi(yBits, ySigned);
    int perImage = shape.c() * shape.h() * shape.w();
    float[] x = inputs(batch * perImage, xBits, xSigned, fx, rnd);
    int[] xCodes = quantize(x, fx, xLo, xHi);
    int[] levels = new int[codes.length];
    int[] table = Codebooks.levels(cb);
    for (int i = 0; i < codes.length; i++) {
      levels[i] = table[codes[i]];
    }
    int[] expected = Reference.conv(xCodes, batch, shape.c(), shape.h(), shape.w(), levels, bias,
        shape.m(), g, shifts, act, leaky, fy, yLo, yHi);

    try (Emulator e = new Emulator(pkg, threads, null)) {
      EmulatorRun r = e.run(batch, List.of(x), true);
      assertArrayEquals(xCodes, Reference.decode(r.codes(xq), xSigned), what + ": input codes");
      int[] got = Reference.decode(r.codes(y), ySigned);
      assertCodes(expected, got, what);
      float[] want = new float[expected.length];
      for (int i = 0; i < want.length; i++) {
        want[i] = Reference.dequantize(expected[i], fy);
      }
      assertArrayEquals(want, r.output(0), what + ": dequantized output");
      int[] shapeWithBatch = new int[yShape.length + 1];
      shapeWithBatch[0] = batch;
      System.arraycopy(yShape, 0, shapeWithBatch, 1, yShape.length);
      assertArrayEquals(shapeWithBatch, r.outputShape(0), what);
      // the same run without keeping codes gives the same output
      assertArrayEquals(r.output(0), e.run(batch, List.of(x)).output(0), what);
    }
  }

  static void assertCodes(int[] expected, int[] got, String what) {
    assertEquals(expected.length, got.length, what + ": code count");
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] != got[i]) {
        fail(what + ": first difference at flat index " + i + ": reference " + expected[i]
            + ", emulator " + got[i] + "\nreference " + Arrays.toString(expected) + "\nemulator  "
            + Arrays.toString(got));
      }
    }
  }

  static Stream<Arguments> poolCases() {
    List<Arguments> cases = new ArrayList<>();
    int i = 0;
    for (PoolKind kind : new PoolKind[] {PoolKind.MAX, PoolKind.AVERAGE,
        PoolKind.GLOBAL_AVERAGE}) {
      for (int[] k : new int[][] {
          {2, 2, 2, 2, 0, 0, 0, 0}, {3, 3, 1, 1, 1, 1, 1, 1}, {3, 3, 2, 2, 1, 0, 1, 1},
          {2, 3, 1, 2, 0, 1, 1, 2}, {5, 5, 3, 3, 2, 2, 2, 2}, {1, 1, 1, 1, 0, 0, 0, 0}}) {
        for (int[] hw : new int[][] {{7, 7}, {8, 6}, {4, 4}}) {
          if (kind == PoolKind.GLOBAL_AVERAGE && k[0] != 2) {
            continue;
          }
          cases.add(Arguments.of(kind, k, hw, i++));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("poolCases")
  void poolMatchesReference(PoolKind kind, int[] k, int[] hw, int index) {
    long seed = SEED + 7919L * index;
    Random rnd = new Random(seed);
    int bits = rnd.nextBoolean() ? 8 : 4;
    boolean signed = rnd.nextBoolean();
    int frac = rnd.nextInt(5) - 1;
    int c = 1 + rnd.nextInt(5);
    int batch = rnd.nextBoolean() ? 1 : 3;
    int threads = 1 + rnd.nextInt(2);
    int h = hw[0];
    int w = hw[1];
    int[] pads = {k[4], k[5], k[6], k[7]};
    if (kind == PoolKind.GLOBAL_AVERAGE) {
      pads = new int[4];
    }
    int oh = kind == PoolKind.GLOBAL_AVERAGE ? 1 : (h + pads[0] + pads[2] - k[0]) / k[2] + 1;
    int ow = kind == PoolKind.GLOBAL_AVERAGE ? 1 : (w + pads[1] + pads[3] - k[1]) / k[3] + 1;
    if (oh < 1 || ow < 1) {
      return;
    }
    String what = kind + " " + Arrays.toString(k) + " on " + h + "x" + w + " seed " + seed + ": "
        + bits + "-bit " + (signed ? "signed" : "unsigned") + ", batch " + batch;
    TestPackage t = new TestPackage("ref-pool");
    int in = t.floats("x", c, h, w);
    int xq = t.codes("xq", bits, signed, frac, c, h, w);
    int y = t.codes("y", bits, signed, frac, c, oh, ow);
    int out = t.floats("out", c, oh, ow);
    t.input(in).output(out);
    t.convert(in, xq);
    t.pool("pool", xq, y, kind, k[0], k[1], k[2], k[3], pads);
    t.convert(y, out);
    int lo = Reference.lo(bits, signed);
    int hi = Reference.hi(bits, signed);
    float[] x = inputs(batch * c * h * w, bits, signed, frac, rnd);
    int[] xCodes = quantize(x, frac, lo, hi);
    int[] expected = Reference.pool(xCodes, batch, c, h, w, kind, k[0], k[1], k[2], k[3], pads,
        lo, hi);
    try (Emulator e = new Emulator(t.build(), threads, null)) {
      EmulatorRun r = e.run(batch, List.of(x), true);
      assertCodes(expected, Reference.decode(r.codes(y), signed), what);
    }
  }

  static Stream<Arguments> addCases() {
    List<Arguments> cases = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      cases.add(Arguments.of(i));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "add case {0}")
  @MethodSource("addCases")
  void addMatchesReference(int index) {
    long seed = SEED + 104_729L * index;
    Random rnd = new Random(seed);
    int aBits = rnd.nextBoolean() ? 8 : 4;
    int bBits = rnd.nextBoolean() ? 8 : 4;
    boolean aSigned = rnd.nextBoolean();
    boolean bSigned = rnd.nextBoolean();
    int fa = rnd.nextInt(9) - 2;
    int fb = rnd.nextInt(9) - 2;
    Activation act = Activation.forNumber(rnd.nextInt(4));
    int leaky = 1 + rnd.nextInt(3);
    int yBits = rnd.nextBoolean() ? 8 : 4;
    boolean ySigned = act == Activation.ACTIVATION_NONE || act == Activation.LEAKY_RELU
        || rnd.nextInt(4) == 0;
    int fy = act == Activation.RELU6 ? rnd.nextInt(4) : Math.max(fa, fb) - rnd.nextInt(6) + 1;
    int batch = 1 + rnd.nextInt(3);
    int c = 3;
    int h = 5;
    int w = 4;
    String what = "add seed " + seed + ": a " + aBits + (aSigned ? "s" : "u") + " F=" + fa
        + ", b " + bBits + (bSigned ? "s" : "u") + " F=" + fb + ", y " + yBits
        + (ySigned ? "s" : "u") + " F=" + fy + " " + act;
    TestPackage t = new TestPackage("ref-add");
    int ia = t.floats("a", c, h, w);
    int ib = t.floats("b", c, h, w);
    int qa = t.codes("qa", aBits, aSigned, fa, c, h, w);
    int qb = t.codes("qb", bBits, bSigned, fb, c, h, w);
    int y = t.codes("y", yBits, ySigned, fy, c, h, w);
    int out = t.floats("out", c, h, w);
    t.input(ia).input(ib).output(out);
    t.convert(ia, qa);
    t.convert(ib, qb);
    t.add("add", qa, qb, y, act, leaky);
    t.convert(y, out);
    float[] a = inputs(batch * c * h * w, aBits, aSigned, fa, rnd);
    float[] b = inputs(batch * c * h * w, bBits, bSigned, fb, rnd);
    int[] aCodes = quantize(a, fa, Reference.lo(aBits, aSigned), Reference.hi(aBits, aSigned));
    int[] bCodes = quantize(b, fb, Reference.lo(bBits, bSigned), Reference.hi(bBits, bSigned));
    int[] expected = Reference.add(aCodes, fa, bCodes, fb, fy, act, leaky,
        Reference.lo(yBits, ySigned), Reference.hi(yBits, ySigned));
    try (Emulator e = new Emulator(t.build(), 2, null)) {
      EmulatorRun r = e.run(batch, List.of(a, b), true);
      assertCodes(expected, Reference.decode(r.codes(y), ySigned), what);
    }
  }
}
