package dev.potaccel.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.PackageFormatException;
import dev.potaccel.protocol.pkg.PoolKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Emulator behaviour beyond single ops: chains, clamps, inputs, host commands, threads, close. */
class EmulatorTest {
  private static final long SEED = 77_001L;

  /**
   * A residual block shaped like ResNet-20's, then global average pooling, a reshape and a fully
   * connected layer: conv3x3+ReLU, conv3x3, add(+ReLU) with the block input, GAP, flatten, FC.
   */
  static final class Block {
    final AcceleratorPackage pkg;
    final int x;
    final int c1;
    final int c2;
    final int sum;
    final int gap;
    final int flat;
    final int fc;
    final int c;
    final int hw;
    final int classes;
    final int[] w1;
    final int[] w2;
    final int[] w3;
    final int[] b1;
    final int[] b2;
    final int[] b3;
    final int[] table;

    Block(long seed, int c, int hw, int classes) {
      Random rnd = new Random(seed);
      this.c = c;
      this.hw = hw;
      this.classes = classes;
      TestPackage t = new TestPackage("block");
      int in = t.floats("input", c, hw, hw);
      x = t.codes("x", 8, false, 5, c, hw, hw);
      c1 = t.codes("c1", 8, false, 4, c, hw, hw);
      c2 = t.codes("c2", 8, true, 4, c, hw, hw);
      sum = t.codes("sum", 8, false, 4, c, hw, hw);
      gap = t.codes("gap", 8, false, 4, c, 1, 1);
      flat = t.codes("flat", 8, false, 4, c);
      fc = t.codes("fc", 8, true, 2, classes);
      int out = t.floats("logits", classes);
      t.input(in).output(out);
      Codebook pot = Codebooks.pot(4, 0);
      int cb = t.codebook(pot);
      table = Codebooks.levels(pot);
      int k = c * 9;
      w1 = Codebooks.randomCodes(pot, c, k, 255, 1000, 0.1, rnd);
      w2 = Codebooks.randomCodes(pot, c, k, 255, 1000, 0.1, rnd);
      w3 = Codebooks.randomCodes(pot, classes, c, 255, 1000, 0.1, rnd);
      b1 = randomInts(c, 1000, rnd);
      b2 = randomInts(c, 1000, rnd);
      b3 = randomInts(classes, 1000, rnd);
      t.convert(in, x);
      t.conv("conv1", x, c1, TestPackage.Geometry.same3x3(), cb, w1, b1, new int[] {9},
          Activation.RELU, 0);
      t.conv("conv2", c1, c2, TestPackage.Geometry.same3x3(), cb, w2, b2, new int[] {8},
          Activation.ACTIVATION_NONE, 0);
      t.add("add", x, c2, sum, Activation.RELU, 0);
      t.pool("gap", sum, gap, PoolKind.GLOBAL_AVERAGE, 0, 0, 0, 0, null);
      t.reshape(gap, flat);
      t.conv("fc", flat, fc, TestPackage.Geometry.of(1), cb, w3, b3, new int[] {6},
          Activation.ACTIVATION_NONE, 0);
      t.convert(fc, out);
      pkg = t.build();
    }

    int[] levels(int[] codes) {
      int[] v = new int[codes.length];
      for (int i = 0; i < v.length; i++) {
        v[i] = table[codes[i]];
      }
      return v;
    }

    /** Reference codes of the logits for quantized input codes. */
    int[] reference(int[] xCodes, int batch) {
      TestPackage.Geometry g = TestPackage.Geometry.same3x3();
      int[] r1 = Reference.conv(xCodes, batch, c, hw, hw, levels(w1), b1, c, g, new int[] {9},
          Activation.RELU, 0, 4, 0, 255);
      int[] r2 = Reference.conv(r1, batch, c, hw, hw, levels(w2), b2, c, g, new int[] {8},
          Activation.ACTIVATION_NONE, 0, 4, -128, 127);
      int[] s = Reference.add(xCodes, 5, r2, 4, 4, Activation.RELU, 0, 0, 255);
      int[] p = Reference.pool(s, batch, c, hw, hw, PoolKind.GLOBAL_AVERAGE, 0, 0, 0, 0, null,
          0, 255);
      return Reference.conv(p, batch, c, 1, 1, levels(w3), b3, classes,
          TestPackage.Geometry.of(1), new int[] {6}, Activation.ACTIVATION_NONE, 0, 2, -128, 127);
    }

    float[] input(int batch, Random rnd) {
      float[] v = new float[batch * c * hw * hw];
      for (int i = 0; i < v.length; i++) {
        v[i] = rnd.nextInt(256) / 32f;
      }
      return v;
    }

    int[] inputCodes(float[] v) {
      int[] q = new int[v.length];
      for (int i = 0; i < q.length; i++) {
        q[i] = Reference.quantize(v[i], 5, 0, 255);
      }
      return q;
    }
  }

  static int[] randomInts(int n, int bound, Random rnd) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextInt(2 * bound + 1) - bound;
    }
    return v;
  }

  @Test
  void residualBlockMatchesReferenceForBatchOneAndThree() {
    Block b = new Block(SEED, 8, 7, 5);
    Random rnd = new Random(SEED + 1);
    for (int threads : new int[] {1, 2}) {
      try (Emulator e = new Emulator(b.pkg, threads, null)) {
        for (int batch : new int[] {1, 3}) {
          float[] x = b.input(batch, rnd);
          EmulatorRun r = e.run(batch, List.of(x), true);
          int[] want = b.reference(b.inputCodes(x), batch);
          EmulatorReferenceTest.assertCodes(want, Reference.decode(r.codes(b.fc), true),
              "block batch " + batch + " threads " + threads);
          float[] logits = new float[want.length];
          for (int i = 0; i < want.length; i++) {
            logits[i] = want[i] / 4f;
          }
          assertArrayEquals(logits, r.output(0));
          assertArrayEquals(new int[] {batch, 5}, r.outputShape(0));
          assertSame(r.codes(b.gap), r.codes(b.flat), "a reshape is a view");
          assertNull(r.codes(0), "float buffers have no codes");
          // the codes are not all zero or saturated: the test exercises the arithmetic
          long distinct = Reference.decode(r.codes(b.c1), false).length;
          assertTrue(java.util.Arrays.stream(Reference.decode(r.codes(b.c1), false)).distinct()
              .count() > 20, "conv1 codes spread over the range (" + distinct + ")");
        }
      }
    }
  }

  /** ReLU6 at F_y = 2 clamps to 6 · 2^2 = 24; saturation at both ends of a signed 4-bit range. */
  @Test
  void relu6AndSaturation() {
    TestPackage t = new TestPackage("clamps");
    int in = t.floats("x", 1, 1, 1);
    int xq = t.codes("xq", 8, true, 0, 1, 1, 1);
    int y6 = t.codes("y6", 8, false, 2, 4, 1, 1);
    int ys = t.codes("ys", 4, true, 0, 4, 1, 1);
    int out6 = t.floats("out6", 4, 1, 1);
    int outs = t.floats("outs", 4, 1, 1);
    t.input(in).output(out6).output(outs);
    t.convert(in, xq);
    int cb = t.codebook(Codebooks.int8(8));
    // x = 1, weights 1: A = bias + 1
    t.conv("relu6", xq, y6, TestPackage.Geometry.of(1), cb, new int[] {1, 1, 1, 1},
        new int[] {-41, 22, 23, 999}, new int[] {0}, Activation.RELU6, 0);
    t.conv("sat", xq, ys, TestPackage.Geometry.of(1), cb, new int[] {1, 1, 1, 1},
        new int[] {-1001, -10, 6, 999}, new int[] {0}, Activation.ACTIVATION_NONE, 0);
    t.convert(y6, out6);
    t.convert(ys, outs);
    try (Emulator e = new Emulator(t.build(), 1, null)) {
      EmulatorRun r = e.run(1, List.of(new float[] {1f}), true);
      assertArrayEquals(new int[] {0, 23, 24, 24}, Reference.decode(r.codes(y6), false));
      assertArrayEquals(new float[] {0f, 5.75f, 6f, 6f}, r.output(0));
      assertArrayEquals(new int[] {-8, -8, 7, 7}, Reference.decode(r.codes(ys), true));
    }
  }

  /** Quantization: round half up, saturation at both ends, NaN to 0, infinities saturate. */
  @Test
  void quantizeAndDequantizeConvert() {
    TestPackage t = new TestPackage("convert");
    int in = t.floats("x", 10);
    int q = t.codes("q", 4, true, 1, 10);
    int out = t.floats("out", 10);
    t.input(in).output(out);
    t.convert(in, q);
    t.convert(q, out);
    float[] x = {0.25f, -0.25f, 0.75f, -0.75f, 0.2499999f, 3.5f, 3.75f, -4.25f, Float.NaN,
        Float.NEGATIVE_INFINITY};
    // x · 2: 0.5 -> 1, -0.5 -> 0, 1.5 -> 2, -1.5 -> -1, 0.4999998 -> 0, 7 -> 7, 7.5 -> 8 -> 7,
    // -8.5 -> -8, NaN -> 0, -inf -> -8
    try (Emulator e = new Emulator(t.build(), 1, null)) {
      EmulatorRun r = e.run(1, List.of(x), true);
      assertArrayEquals(new int[] {1, 0, 2, -1, 0, 7, 7, -8, 0, -8},
          Reference.decode(r.codes(q), true));
      assertArrayEquals(new float[] {0.5f, 0f, 1f, -0.5f, 0f, 3.5f, 3.5f, -4f, 0f, -4f},
          r.output(0));
    }
  }

  @Test
  void runInputsAreChecked() {
    Block b = new Block(SEED, 4, 5, 3);
    try (Emulator e = new Emulator(b.pkg, 1, null)) {
      assertEquals("block", e.modelName());
      assertEquals(1, e.inputCount());
      assertArrayEquals(new int[] {4, 5, 5}, e.inputShape(0));
      IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
          () -> e.run(2, List.of(new float[100])));
      assertEquals("model 'block': input 0 'input' has 100 values; batch 2 x [4, 5, 5] needs 200",
          ex.getMessage());
      ex = assertThrows(IllegalArgumentException.class,
          () -> e.run(1, List.of(new float[100], new float[100])));
      assertEquals("model 'block' takes 1 input, got 2", ex.getMessage());
      ex = assertThrows(IllegalArgumentException.class, () -> e.run(0, List.of(new float[0])));
      assertEquals("model 'block': batch must be >= 1, got 0", ex.getMessage());
      List<float[]> withNull = new ArrayList<>();
      withNull.add(null);
      ex = assertThrows(IllegalArgumentException.class, () -> e.run(1, withNull));
      assertEquals("model 'block': input 0 'input' is null", ex.getMessage());
      EmulatorRun r = e.run(1, List.of(new float[100]));
      assertFalse(r.hasCodes());
      assertThrows(IllegalStateException.class, () -> r.codes(0));
    }
  }

  @Test
  void constructorArgumentsAreChecked() {
    Block b = new Block(SEED, 4, 5, 3);
    assertThrows(IllegalArgumentException.class, () -> new Emulator(b.pkg, 0, null));
    assertThrows(NullPointerException.class, () -> new Emulator(null, 1, null));
  }

  /** Two threads running one emulator get the results a one-thread emulator gets. */
  @Test
  void concurrentRunsAgree() throws Exception {
    Block b = new Block(SEED + 5, 16, 14, 10);
    Random rnd = new Random(SEED + 6);
    List<float[]> inputs = new ArrayList<>();
    List<float[]> expected = new ArrayList<>();
    try (Emulator single = new Emulator(b.pkg, 1, null)) {
      for (int i = 0; i < 6; i++) {
        float[] x = b.input(1 + i % 3 * 4, rnd);
        inputs.add(x);
        expected.add(single.run(1 + i % 3 * 4, List.of(x)).output(0));
      }
    }
    ExecutorService callers = Executors.newFixedThreadPool(2);
    try (Emulator shared = new Emulator(b.pkg, 2, null)) {
      List<Future<?>> futures = new ArrayList<>();
      for (int caller = 0; caller < 2; caller++) {
        futures.add(callers.submit(() -> {
          for (int rep = 0; rep < 5; rep++) {
            for (int i = 0; i < inputs.size(); i++) {
              float[] got = shared.run(1 + i % 3 * 4, List.of(inputs.get(i))).output(0);
              assertArrayEquals(expected.get(i), got, "input " + i + " rep " + rep);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void closeIsIdempotentAndRefusesLaterRuns() {
    Block b = new Block(SEED, 4, 5, 3);
    Emulator e = new Emulator(b.pkg, 2, null);
    e.run(1, List.of(new float[100]));
    e.close();
    e.close();
    IllegalStateException ex = assertThrows(IllegalStateException.class,
        () -> e.run(1, List.of(new float[100])));
    assertEquals("Emulator for package 'block' is closed", ex.getMessage());
    assertTrue(e.toString().contains("closed"), e.toString());
  }

  /** A host command doubling its input; the package quantizes around it. */
  static AcceleratorPackage hostPackage() {
    TestPackage t = new TestPackage("with-host");
    int in = t.floats("x", 2, 2, 2);
    int xq = t.codes("xq", 8, true, 4, 2, 2, 2);
    int xf = t.floats("xf", 2, 2, 2);
    int hf = t.floats("doubled", 2, 2, 2);
    int hq = t.codes("hq", 8, true, 3, 2, 2, 2);
    int out = t.floats("out", 2, 2, 2);
    t.input(in).output(out);
    t.convert(in, xq);
    t.convert(xq, xf);
    t.host("Mul_1", new int[] {xf}, new int[] {hf});
    t.convert(hf, hq);
    t.convert(hq, out);
    return t.build();
  }

  @Test
  void hostCommandsRunThroughTheExecutor() {
    List<String> seen = new ArrayList<>();
    HostExecutor doubler = (cmd, in, out) -> {
      seen.add(cmd.getReason() + " " + in.get(0) + " -> " + out.get(0));
      float[] src = in.get(0).values();
      float[] dst = out.get(0).values();
      for (int i = 0; i < src.length; i++) {
        dst[i] = 2 * src[i];
      }
    };
    float[] x = new float[16];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i - 8) * 0.3f;
    }
    try (Emulator e = new Emulator(hostPackage(), 2, doubler)) {
      EmulatorRun r = e.run(2, List.of(x));
      float[] want = new float[16];
      for (int i = 0; i < x.length; i++) {
        int q = Reference.quantize(x[i], 4, -128, 127);
        float doubled = 2 * Reference.dequantize(q, 4);
        want[i] = Reference.dequantize(Reference.quantize(doubled, 3, -128, 127), 3);
      }
      assertArrayEquals(want, r.output(0));
    }
    assertEquals(List.of("test HostTensor[xf [2, 2, 2, 2]] -> HostTensor[doubled [2, 2, 2, 2]]"),
        seen);
  }

  @Test
  void hostCommandWithoutExecutorFailsClearly() {
    try (Emulator e = new Emulator(hostPackage(), 1, null)) {
      IllegalStateException ex = assertThrows(IllegalStateException.class,
          () -> e.run(1, List.of(new float[8])));
      assertEquals("package 'with-host': command 2 (host 'Mul_1') runs on the host, but this "
          + "Emulator was built without a HostExecutor", ex.getMessage());
    }
  }

  /** close() waits for a running run, then refuses new ones; a run's failure reaches its caller. */
  @Test
  void closeWaitsForRunningRuns() throws Exception {
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    HostExecutor blocking = (cmd, in, out) -> {
      inside.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    Emulator e = new Emulator(hostPackage(), 2, blocking);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<EmulatorRun> run = threads.submit(() -> e.run(1, List.of(new float[8])));
      assertTrue(inside.await(1, TimeUnit.MINUTES));
      Future<?> closing = threads.submit(e::close);
      Thread.sleep(200);
      assertFalse(closing.isDone(), "close must wait for the running run");
      release.countDown();
      closing.get(1, TimeUnit.MINUTES);
      assertEquals(1, run.get(1, TimeUnit.MINUTES).outputs().size());
      assertThrows(IllegalStateException.class, () -> e.run(1, List.of(new float[8])));
    } finally {
      release.countDown();
      threads.shutdownNow();
    }
  }

  @Test
  void closeFromInsideARunIsRefused() {
    AtomicReference<Emulator> self = new AtomicReference<>();
    HostExecutor closer = (cmd, in, out) -> self.get().close();
    try (Emulator e = new Emulator(hostPackage(), 1, closer)) {
      self.set(e);
      IllegalStateException ex = assertThrows(IllegalStateException.class,
          () -> e.run(1, List.of(new float[8])));
      assertTrue(ex.getMessage().contains("close() called from inside one of its runs"),
          ex.getMessage());
    }
  }

  /** §1.4: a layer whose accumulator could overflow int32 is refused, naming the channel. */
  @Test
  void accumulatorBoundIsChecked() {
    TestPackage t = new TestPackage("overflow");
    int in = t.floats("x", 300, 1, 1);
    int xq = t.codes("xq", 8, false, 0, 300, 1, 1);
    int y = t.codes("y", 8, true, 0, 2, 1, 1);
    int out = t.floats("out", 2, 1, 1);
    t.input(in).output(out);
    t.convert(in, xq);
    int cb = t.codebook(Codebooks.lut(8, 1 << 15, new Random(1)).toBuilder()
        .setEntries(1, dev.potaccel.protocol.pkg.CodebookEntry.newBuilder().setValue(32767))
        .build());
    int[] codes = new int[600];
    java.util.Arrays.fill(codes, 300, 600, 1); // channel 1: 255 x 300 x 32767 > 2^31 - 1
    t.conv("big", xq, y, TestPackage.Geometry.of(1), cb, codes, new int[] {0, 0}, new int[] {20},
        Activation.ACTIVATION_NONE, 0);
    t.convert(y, out);
    PackageFormatException ex = assertThrows(PackageFormatException.class,
        () -> new Emulator(t.build(), 1, null));
    assertEquals("package 'overflow': command 1 (conv 'big'): channel 1: accumulator bound "
        + "2506675500 (xmax 255 x sum|v| 9830100 + |bias| 0) exceeds 2^31 - 1 "
        + "(docs/accelerator.md §1.4)", ex.getMessage());
  }

  /** The package validator runs first: a broken package is refused with its field path. */
  @Test
  void invalidPackagesAreRefused() {
    Block b = new Block(SEED, 4, 5, 3);
    AcceleratorPackage wrongVersion = b.pkg.toBuilder().setContractVersion(2).build();
    PackageFormatException ex = assertThrows(PackageFormatException.class,
        () -> new Emulator(wrongVersion, 1, null));
    assertTrue(ex.getMessage().startsWith("package 'block': contract_version 2"),
        ex.getMessage());
    TestPackage t = new TestPackage("maxpad");
    int in = t.floats("x", 1, 4, 4);
    int xq = t.codes("xq", 8, false, 0, 1, 4, 4);
    int y = t.codes("y", 8, false, 0, 1, 6, 6);
    int out = t.floats("out", 1, 6, 6);
    t.input(in).output(out);
    t.convert(in, xq);
    t.pool("max", xq, y, PoolKind.MAX, 2, 2, 1, 1, new int[] {2, 2, 1, 1});
    t.convert(y, out);
    ex = assertThrows(PackageFormatException.class, () -> new Emulator(t.build(), 1, null));
    assertTrue(ex.getMessage().startsWith("package 'maxpad': command 1 (pool 'max'): MAX "
        + "pooling pads must be smaller than the kernel"), ex.getMessage());
  }
}
