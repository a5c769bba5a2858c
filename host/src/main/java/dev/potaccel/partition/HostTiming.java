package dev.potaccel.partition;

import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.data.InputFileException;
import dev.potaccel.device.HostGraphExecutor;
import dev.potaccel.emulator.Emulator;
import dev.potaccel.emulator.HostTensor;
import dev.potaccel.emulator.cost.HostSpeed;
import dev.potaccel.emulator.cost.HostWork;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Buffer;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.ConvertCommand;
import dev.potaccel.protocol.pkg.PackageFile;
import dev.potaccel.protocol.pkg.Provenance;
import dev.potaccel.protocol.pkg.Requirements;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * Measures this host's {@link HostSpeed} by running the code a plan charges it for: the CPU engine
 * on a package's HOST commands (FLOP/s: their counted FLOPs over the median time), and the
 * emulator's CONVERT quantizing and dequantizing 64 Ki values (bytes/s: 10 bytes per value over
 * the median time). Inputs are random values in [-1, 1); each measurement is warmed up first.
 * Wall-clock timings on a shared machine vary by tens of percent between runs; the source string
 * says what was timed so a reader can judge.
 */
public final class HostTiming {
  /**
   * Values converted to measure the host's streaming speed: 64 Ki, the size of a few images'
   * activations, small enough that many timed runs fit the budget and one slow run (a collection,
   * another process) moves the median little.
   */
  static final int CONVERT_VALUES = 1 << 16;
  /**
   * Warm-up runs continue until the fastest run has not improved by 5% for this long (at most
   * {@link #MAX_WARM_UP_NANOS}): the JIT compiles the loops only after thousands of iterations,
   * later still when its queue is full after calibration, and a plan timed while the interpreter
   * runs them would charge the host ten times too much (measured: 0.1 GB/s against 1.5 GB/s).
   */
  private static final long STABLE_NANOS = 500_000_000L;
  private static final long MAX_WARM_UP_NANOS = 3_000_000_000L;
  private static final int WARM_UP = 5;
  private static final int MIN_RUNS = 5;
  private static final int MAX_RUNS = 200;
  /** Timed runs continue until they take this long in total (or MAX_RUNS). */
  private static final long BUDGET_NANOS = 300_000_000L;

  /**
   * What was measured.
   *
   * @param speed the host speed with its source
   * @param hostCommandUs the median time of each HOST command for the batch, by command index
   */
  public record Measurement(HostSpeed speed, Map<Integer, Double> hostCommandUs) {
    public Measurement {
      hostCommandUs = Map.copyOf(hostCommandUs);
    }
  }

  private HostTiming() {}

  /**
   * Times {@code pkg}'s HOST commands on the CPU engine at {@code batch} and the CONVERT loop.
   * Without HOST commands, or when they count no FLOPs, FLOP/s keeps {@link HostSpeed#DEFAULT}'s
   * figure and the source says so.
   *
   * @param work the counted work per image of each HOST command ({@link HostWorkCount})
   */
  public static Measurement ofPackage(AcceleratorPackage pkg, Map<Integer, HostWork> work,
      int batch, int threads) {
    double bytesPerSecond = convertBytesPerSecond();
    String convertSource = String.format(Locale.ROOT,
        "the emulator's CONVERT on %d values, median of its runs", CONVERT_VALUES);
    long flops = work.values().stream().mapToLong(HostWork::flops).sum() * batch;
    if (flops == 0) {
      String why = work.isEmpty() ? "the package has no host command"
          : "its host commands count no FLOPs";
      return new Measurement(new HostSpeed(HostSpeed.DEFAULT.flopsPerSecond(), bytesPerSecond,
          "measured on this host: " + convertSource + "; FLOP/s is the default (" + why + ")"),
          Map.of());
    }
    Map<Integer, Double> us = new HashMap<>();
    try (HostGraphExecutor host = new HostGraphExecutor(pkg, threads)) {
      for (Map.Entry<Integer, HostWork> e : work.entrySet()) {
        Command c = pkg.getCommands(e.getKey());
        List<HostTensor> in = tensors(pkg, c.getHost().getInputsList(), batch, true);
        List<HostTensor> out = tensors(pkg, c.getHost().getOutputsList(), batch, false);
        us.put(e.getKey(), medianNanos(() -> {
          long t0 = System.nanoTime();
          host.run(c.getHost(), in, out);
          return System.nanoTime() - t0;
        }) / 1e3);
      }
    }
    double seconds = us.values().stream().mapToDouble(Double::doubleValue).sum() / 1e6;
    String source = String.format(Locale.ROOT, "measured on this host: the CPU engine on the"
        + " package's %d host command(s), batch %d, %d thread(s), %d FLOPs in %.3f ms (medians);"
        + " %s", us.size(), batch, threads, flops, seconds * 1e3, convertSource);
    return new Measurement(new HostSpeed(flops / seconds, bytesPerSecond, source), us);
  }

  /** Times the CPU engine running all of {@code g} at {@code batch}: the {@code cpu} device. */
  public static Measurement ofGraph(Graph g, HostWork work, int batch, int threads) {
    double bytesPerSecond = convertBytesPerSecond();
    Map<String, Tensor> feed = new HashMap<>();
    SplittableRandom random = new SplittableRandom(1);
    for (ValueInfo v : g.inputs()) {
      TensorType t = v.type();
      int[] shape = new int[t.rank()];
      for (int d = 0; d < shape.length; d++) {
        shape[d] = d == 0 ? batch : t.dim(d);
        if (shape[d] < 0) {
          throw new InputFileException(g.source() + ": input '" + v.name() + "' has an"
              + " unknown dimension " + d + "; potaccel plan times models with static shapes"
              + " after the batch");
        }
      }
      feed.put(v.name(), Tensor.ofFloats(shape, randoms(random,
          Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b))));
    }
    double us;
    try (CpuEngine engine = new CpuEngine(g, threads)) {
      us = medianNanos(() -> {
        long t0 = System.nanoTime();
        engine.run(feed);
        return System.nanoTime() - t0;
      }) / 1e3;
    }
    long flops = work.flops() * batch;
    String source = String.format(Locale.ROOT, "measured on this host: the CPU engine on the"
        + " whole model, batch %d, %d thread(s), %d FLOPs in %.3f ms (median)", batch, threads,
        flops, us / 1e3);
    double flopsPerSecond = flops > 0 ? flops / (us / 1e6) : HostSpeed.DEFAULT.flopsPerSecond();
    return new Measurement(new HostSpeed(flopsPerSecond, bytesPerSecond, source),
        Map.of(0, us));
  }

  /**
   * Bytes per second of the emulator's CONVERT: a package that quantizes {@link #CONVERT_VALUES}
   * FP32 values to 8-bit codes and dequantizes them back, 10 bytes per value (4 read + 1 written,
   * then 1 read + 4 written), run by the emulator in one thread.
   */
  static double convertBytesPerSecond() {
    AcceleratorPackage pkg = AcceleratorPackage.newBuilder()
        .setFormatVersion(PackageFile.FORMAT_VERSION)
        .setContractVersion(PackageFile.CONTRACT_VERSION)
        .setLayoutVersion(PackageFile.LAYOUT_VERSION)
        .setProvenance(Provenance.newBuilder().setModelName("convert-timing"))
        .setRequirements(Requirements.newBuilder()
            .setMaxActivationBytesPerImage(CONVERT_VALUES))
        .addBuffers(Buffer.newBuilder().setName("x").setBits(32).setIsFloat(true)
            .setIsSigned(true).addShape(CONVERT_VALUES))
        .addBuffers(Buffer.newBuilder().setName("q").setBits(8).setIsSigned(true)
            .setFracBits(6).addShape(CONVERT_VALUES))
        .addBuffers(Buffer.newBuilder().setName("y").setBits(32).setIsFloat(true)
            .setIsSigned(true).addShape(CONVERT_VALUES))
        .addCommands(Command.newBuilder().setName("quantize")
            .setConvert(ConvertCommand.newBuilder().setInput(0).setOutput(1)))
        .addCommands(Command.newBuilder().setName("dequantize")
            .setConvert(ConvertCommand.newBuilder().setInput(1).setOutput(2)))
        .addInputBuffers(0).addOutputBuffers(2)
        .build();
    List<float[]> input = List.of(randoms(new SplittableRandom(2), CONVERT_VALUES));
    try (Emulator e = new Emulator(pkg, 1, null)) {
      double nanos = medianNanos(() -> {
        long t0 = System.nanoTime();
        e.run(1, input);
        return System.nanoTime() - t0;
      });
      return 10.0 * CONVERT_VALUES / (nanos / 1e9);
    }
  }

  /**
   * The median of timed runs (at least 5, until 0.3 s or 200 runs) after a warm-up that lasts
   * until the fastest run stops improving.
   */
  static double medianNanos(LongSupplier run) {
    long best = Long.MAX_VALUE;
    long sinceBest = 0;
    long warm = 0;
    for (int i = 0; i < WARM_UP || (sinceBest < STABLE_NANOS && warm < MAX_WARM_UP_NANOS); i++) {
      long t = run.getAsLong();
      warm += t;
      sinceBest += t;
      if (t < best * 0.95) {
        best = t;
        sinceBest = 0;
      }
    }
    List<Long> times = new ArrayList<>();
    long total = 0;
    while (times.size() < MIN_RUNS || (total < BUDGET_NANOS && times.size() < MAX_RUNS)) {
      long t = Math.max(1, run.getAsLong());
      times.add(t);
      total += t;
    }
    times.sort(null);
    int n = times.size();
    return n % 2 == 1 ? times.get(n / 2) : (times.get(n / 2 - 1) + times.get(n / 2)) / 2.0;
  }

  private static List<HostTensor> tensors(AcceleratorPackage pkg, List<Integer> buffers,
      int batch, boolean random) {
    SplittableRandom r = new SplittableRandom(3);
    List<HostTensor> out = new ArrayList<>();
    for (int b : buffers) {
      Buffer buf = pkg.getBuffers(b);
      int[] shape = new int[buf.getShapeCount() + 1];
      shape[0] = batch;
      long n = batch;
      for (int d = 0; d < buf.getShapeCount(); d++) {
        shape[d + 1] = buf.getShape(d);
        n *= buf.getShape(d);
      }
      out.add(new HostTensor(buf.getName(), shape, random ? randoms(r, n) : new float[(int) n]));
    }
    return List.copyOf(out);
  }

  private static float[] randoms(SplittableRandom r, long n) {
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(n + " values do not fit one array");
    }
    float[] v = new float[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return v;
  }
}
