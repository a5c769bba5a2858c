package dev.potaccel.bench.kernels;

import dev.potaccel.cpu.kernels.Conv2d;
import dev.potaccel.cpu.kernels.Conv2dParams;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Conv2d#conv2d} on the 3x3 layers of ResNet-20 for 28x28 inputs at batch 64: the three
 * stage shapes (16 channels at 28x28, 32 at 14x14, 64 at 7x7) and the two stride-2 stage
 * entries. Each {@code layer} reads {@code CtoM-HxW-sS}: C input and M output channels, input
 * H x W, stride S, 3x3 kernel, padding 1, with bias. Time per call; divide
 * {@code 2 * batch * M * outH * outW * C * 9} by it for FLOP/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class Conv2dBench {
  private static final Pattern LAYER = Pattern.compile("(\\d+)to(\\d+)-(\\d+)x(\\d+)-s(\\d+)");

  @Param({"16to16-28x28-s1", "16to32-28x28-s2", "32to32-14x14-s1", "32to64-14x14-s2",
      "64to64-7x7-s1"})
  public String layer;

  @Param({"64"})
  public int batch;

  @Param({"2"})
  public int threads;

  private Conv2dParams params;
  private float[] x;
  private float[] w;
  private float[] bias;
  private float[] y;
  private ForkJoinPool pool;

  @Setup(Level.Trial)
  public void setUp() {
    Matcher m = LAYER.matcher(layer);
    if (!m.matches()) {
      throw new IllegalArgumentException("layer '" + layer + "' is not CtoM-HxW-sS");
    }
    int c = Integer.parseInt(m.group(1));
    int out = Integer.parseInt(m.group(2));
    int h = Integer.parseInt(m.group(3));
    int wd = Integer.parseInt(m.group(4));
    int s = Integer.parseInt(m.group(5));
    params = new Conv2dParams(batch, c, h, wd, out, 3, 3, s, s, 1, 1, 1, 1, 1, 1, 1);
    Random random = new Random(7);
    x = randoms(random, params.inputSize());
    w = randoms(random, params.weightSize());
    bias = randoms(random, out);
    y = new float[params.outputSize()];
    pool = new ForkJoinPool(threads);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pool.shutdown();
  }

  @Benchmark
  public float[] conv3x3() {
    Conv2d.conv2d(params, x, w, bias, y, pool);
    return y;
  }

  static float[] randoms(Random random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }
}
