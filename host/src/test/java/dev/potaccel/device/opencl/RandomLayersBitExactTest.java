package dev.potaccel.device.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.emulator.Codebooks;
import dev.potaccel.emulator.Emulator;
import dev.potaccel.emulator.EmulatorRun;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.PoolKind;
import dev.potaccel.protocol.pkg.WeightTiling;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Randomized single-layer packages (FP32 in, CONVERT, one accelerator command, CONVERT, FP32 out)
 * over shapes, strides, dilations, asymmetric padding, groups (depthwise with channel
 * multipliers), fully connected layers, weight formats INT8 / POT / TERMS / LUT at 2 to 8 bits,
 * activation bit widths and signedness, every activation, per-channel shifts (negative, zero,
 * beyond 31), P_out and burst tilings, batches; plus pooling, ADD and CONVERT edge values. Each
 * runs on the emulator and on the OpenCL kernels; every code buffer and output must match bit for
 * bit. Seeds are fixed, and the failing case is printed.
 */
class RandomLayersBitExactTest {
  private static OpenClDevice device;

  @BeforeAll
  static void open() {
    device = OpenClTesting.open();
  }

  @AfterAll
  static void close() {
    if (device != null) {
      device.close();
    }
  }

  /** Runs {@code pkg} on both devices and compares every code buffer and output. */
  private static void compare(AcceleratorPackage pkg, int batch, List<float[]> inputs,
      String what) {
    try (Emulator emu = new Emulator(pkg, 1, null);
        OpenClPackage cl = device.load(pkg, null)) {
      EmulatorRun want = emu.run(batch, inputs, true);
      OpenClRun got = cl.run(batch, inputs, true);
      for (int b = 0; b < pkg.getBuffersCount(); b++) {
        if (want.codes(b) != null) {
          assertArrayEquals(want.codes(b), got.codes(b), what + ": buffer " + b + " '"
              + pkg.getBuffers(b).getName() + "'");
        }
      }
      for (int o = 0; o < want.outputs().size(); o++) {
        assertArrayEquals(want.output(o), got.output(o), what + ": output " + o);
      }
      // and the fast path: reused activation slots
      OpenClRun again = cl.run(batch, inputs, false);
      for (int o = 0; o < want.outputs().size(); o++) {
        assertArrayEquals(want.output(o), again.output(o), what + ": output " + o
            + " with reused slots");
      }
    }
  }

  private static float[] randomInput(Random rnd, int n, int bits, int frac) {
    float[] v = new float[n];
    double range = Math.scalb(1.0, bits - 1 - frac) * 1.3;
    for (int i = 0; i < v.length; i++) {
      double x = (rnd.nextDouble() * 2 - 1) * range;
      if (rnd.nextInt(8) == 0) { // exact ties of the quantizer's rounding
        x = (Math.floor(x * Math.scalb(1.0, frac)) + 0.5) * Math.scalb(1.0, -frac);
      }
      v[i] = (float) x;
    }
    return v;
  }

  private static Codebook codebook(Random rnd, int bits) {
    return switch (rnd.nextInt(4)) {
      case 0 -> Codebooks.int8(bits);
      case 1 -> Codebooks.pot(Math.min(bits, 5), rnd.nextInt(3)); // exponents <= 30
      case 2 -> Codebooks.terms(bits, 1 + rnd.nextInt(3), 8, rnd);
      default -> Codebooks.lut(bits, 1 + rnd.nextInt(300), rnd);
    };
  }

  @Test
  void randomConvolutionsMatchTheEmulator() {
    Random rnd = new Random(20261123);
    int cases = 60;
    for (int t = 0; t < cases; t++) {
      int[] tilings = {1, 3, 4, 16};
      WeightTiling tiling = new WeightTiling(tilings[rnd.nextInt(4)],
          new int[] {1, 16, 64}[rnd.nextInt(3)]);
      TestPackage p = new TestPackage("conv" + t, tiling);
      boolean fc = rnd.nextInt(6) == 0;
      int groups;
      int c;
      int m;
      int mode = rnd.nextInt(3);
      if (fc) {
        c = 1 + rnd.nextInt(40);
        groups = 1;
        m = 1 + rnd.nextInt(20);
      } else if (mode == 0) { // depthwise, channel multiplier 1 or 2
        c = 1 + rnd.nextInt(9);
        groups = c;
        m = c * (1 + rnd.nextInt(2));
      } else if (mode == 1) {
        groups = 1 + rnd.nextInt(3);
        c = groups * (1 + rnd.nextInt(3));
        m = groups * (1 + rnd.nextInt(4));
      } else {
        groups = 1;
        c = 1 + rnd.nextInt(8);
        m = 1 + rnd.nextInt(20);
      }
      int h = fc ? 1 : 1 + rnd.nextInt(9);
      int w = fc ? 1 : 1 + rnd.nextInt(9);
      TestPackage.Geometry g;
      while (true) {
        int kh = fc ? 1 : 1 + rnd.nextInt(3);
        int kw = fc ? 1 : 1 + rnd.nextInt(3);
        int dh = fc ? 1 : 1 + rnd.nextInt(2);
        int dw = fc ? 1 : 1 + rnd.nextInt(2);
        int[] pads = new int[4];
        for (int i = 0; i < 4 && !fc; i++) {
          pads[i] = rnd.nextInt(3);
        }
        g = new TestPackage.Geometry(kh, kw, fc ? 1 : 1 + rnd.nextInt(2),
            fc ? 1 : 1 + rnd.nextInt(2), dh, dw, pads[0], pads[1], pads[2], pads[3], groups);
        if (h + pads[0] + pads[2] >= dh * (kh - 1) + 1 && w + pads[1] + pads[3] >= dw * (kw - 1)
            + 1) {
          break;
        }
      }
      int oh = g.outSize(h, true);
      int ow = g.outSize(w, false);
      int inBits = 2 + rnd.nextInt(7);
      boolean inSigned = rnd.nextBoolean();
      int fx = rnd.nextInt(8) - 2;
      Activation act = Activation.forNumber(rnd.nextInt(4));
      int outBits = 2 + rnd.nextInt(7);
      boolean outSigned = act == Activation.ACTIVATION_NONE || act == Activation.LEAKY_RELU
          || rnd.nextBoolean();
      int fy = act == Activation.RELU6 ? rnd.nextInt(4) : rnd.nextInt(8) - 2;
      int x = p.floats("x", fc ? new int[] {c} : new int[] {c, h, w});
      int xq = p.codes("xq", inBits, inSigned, fx, fc ? new int[] {c} : new int[] {c, h, w});
      int yq = p.codes("yq", outBits, outSigned, fy, fc ? new int[] {m} : new int[] {m, oh, ow});
      int y = p.floats("y", fc ? new int[] {m} : new int[] {m, oh, ow});
      Codebook cb = codebook(rnd, 2 + rnd.nextInt(7));
      int bits = cb.getBits();
      int book = p.codebook(cb);
      int k = c / groups * g.kh() * g.kw();
      long xmax = inSigned ? 1L << (inBits - 1) : (1L << inBits) - 1;
      int maxBias = 1 + rnd.nextInt(5000);
      int[] codes = Codebooks.randomCodes(cb, m, k, xmax, maxBias, 0.2, rnd);
      int[] bias = new int[m];
      int[] shifts = new int[rnd.nextBoolean() ? 1 : m];
      for (int i = 0; i < m; i++) {
        bias[i] = rnd.nextInt(2 * maxBias + 1) - maxBias;
      }
      for (int i = 0; i < shifts.length; i++) {
        int r = rnd.nextInt(10);
        shifts[i] = r == 0 ? -rnd.nextInt(4) : r == 1 ? 30 + rnd.nextInt(40) : rnd.nextInt(16);
      }
      int leaky = act == Activation.LEAKY_RELU ? 1 + rnd.nextInt(5) : 0;
      p.input(x).output(y);
      p.convert(x, xq);
      p.conv("conv", xq, yq, g, book, codes, bias, shifts, act, leaky);
      p.convert(yq, y);
      AcceleratorPackage pkg = p.build();
      int batch = 1 + rnd.nextInt(3);
      String what = String.format("case %d: %s C=%d HxW=%dx%d M=%d %s %s %d-bit, in %d-bit %s"
              + " F=%d, out %d-bit %s F=%d, %s/%d, shifts %s, tiling %s, batch %d", t,
          fc ? "FC" : "conv", c, h, w, m, g, cb.getFormat(), bits, inBits,
          inSigned ? "signed" : "unsigned", fx, outBits, outSigned ? "signed" : "unsigned", fy,
          act, leaky, java.util.Arrays.toString(shifts), tiling, batch);
      compare(pkg, batch, List.of(randomInput(rnd, batch * c * h * w, inBits, fx)), what);
    }
  }

  @Test
  void randomPoolingMatchesTheEmulator() {
    Random rnd = new Random(7);
    for (int t = 0; t < 30; t++) {
      PoolKind kind = PoolKind.forNumber(1 + rnd.nextInt(3));
      int c = 1 + rnd.nextInt(4);
      int h = 1 + rnd.nextInt(9);
      int w = 1 + rnd.nextInt(9);
      int kh = kind == PoolKind.GLOBAL_AVERAGE ? h : 1 + rnd.nextInt(Math.min(3, h));
      int kw = kind == PoolKind.GLOBAL_AVERAGE ? w : 1 + rnd.nextInt(Math.min(3, w));
      int sh = 1 + rnd.nextInt(2);
      int sw = 1 + rnd.nextInt(2);
      int[] pads = new int[4];
      if (kind != PoolKind.GLOBAL_AVERAGE) {
        pads = new int[] {rnd.nextInt(kh), rnd.nextInt(kw), rnd.nextInt(kh), rnd.nextInt(kw)};
      }
      int oh = kind == PoolKind.GLOBAL_AVERAGE ? 1 : (h + pads[0] + pads[2] - kh) / sh + 1;
      int ow = kind == PoolKind.GLOBAL_AVERAGE ? 1 : (w + pads[1] + pads[3] - kw) / sw + 1;
      int bits = 2 + rnd.nextInt(7);
      boolean signed = rnd.nextBoolean();
      int f = rnd.nextInt(6) - 1;
      TestPackage p = new TestPackage("pool" + t);
      int x = p.floats("x", c, h, w);
      int xq = p.codes("xq", bits, signed, f, c, h, w);
      int yq = p.codes("yq", bits, signed, f, c, oh, ow);
      int y = p.floats("y", c, oh, ow);
      p.input(x).output(y);
      p.convert(x, xq);
      p.pool("pool", xq, yq, kind, kh, kw, sh, sw, pads);
      p.convert(yq, y);
      int batch = 1 + rnd.nextInt(3);
      compare(p.build(), batch, List.of(randomInput(rnd, batch * c * h * w, bits, f)),
          "case " + t + ": " + kind + " " + c + "x" + h + "x" + w + " kernel " + kh + "x" + kw
              + " strides " + sh + "x" + sw + " pads " + java.util.Arrays.toString(pads) + " "
              + bits + "-bit " + (signed ? "signed" : "unsigned"));
    }
  }

  @Test
  void randomResidualAddsMatchTheEmulator() {
    Random rnd = new Random(11);
    for (int t = 0; t < 30; t++) {
      int n = 1 + rnd.nextInt(50);
      int bitsA = 2 + rnd.nextInt(7);
      int bitsB = 2 + rnd.nextInt(7);
      boolean sa = rnd.nextBoolean();
      boolean sb = rnd.nextBoolean();
      int fa = rnd.nextInt(10) - 2;
      int fb = rnd.nextInt(10) - 2;
      Activation act = Activation.forNumber(rnd.nextInt(4));
      int fy = act == Activation.RELU6 ? rnd.nextInt(5) : rnd.nextInt(12) - 3;
      int outBits = 2 + rnd.nextInt(7);
      boolean outSigned = act != Activation.RELU && act != Activation.RELU6 || rnd.nextBoolean();
      TestPackage p = new TestPackage("add" + t);
      int a = p.floats("a", n);
      int b = p.floats("b", n);
      int aq = p.codes("aq", bitsA, sa, fa, n);
      int bq = p.codes("bq", bitsB, sb, fb, n);
      int yq = p.codes("yq", outBits, outSigned, fy, n);
      int y = p.floats("y", n);
      p.input(a).input(b).output(y);
      p.convert(a, aq);
      p.convert(b, bq);
      p.add("add", aq, bq, yq, act, act == Activation.LEAKY_RELU ? 1 + rnd.nextInt(4) : 0);
      p.convert(yq, y);
      int batch = 1 + rnd.nextInt(3);
      compare(p.build(), batch, List.of(randomInput(rnd, batch * n, bitsA, fa),
          randomInput(rnd, batch * n, bitsB, fb)), "case " + t + ": ADD " + act + " F_a=" + fa
          + " F_b=" + fb + " F_y=" + fy);
    }
  }

  @Test
  void convertEdgeValuesMatchTheEmulator() {
    List<Float> edge = new ArrayList<>(List.of(Float.NaN, Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY, 0f, -0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 0.49999997f,
        -0.49999997f, 0.50000006f, 127.5f, -128.5f, 1e30f, -1e30f, Float.MIN_VALUE, 3e-39f,
        8388607.5f, 16777216f));
    float[] v = new float[edge.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = edge.get(i);
    }
    for (int f : new int[] {-8, -1, 0, 1, 3, 7, 20}) {
      for (boolean signed : new boolean[] {true, false}) {
        TestPackage p = new TestPackage("convert");
        int x = p.floats("x", v.length);
        int q = p.codes("q", 8, signed, f, v.length);
        int y = p.floats("y", v.length);
        p.input(x).output(y);
        p.convert(x, q);
        p.convert(q, y);
        compare(p.build(), 1, List.of(v), "CONVERT F=" + f + (signed ? " signed" : " unsigned"));
      }
    }
    assertTrue(v.length > 20);
  }
}
