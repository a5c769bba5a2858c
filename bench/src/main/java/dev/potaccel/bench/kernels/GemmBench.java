package dev.potaccel.bench.kernels;

import dev.potaccel.cpu.kernels.Gemm;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
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
 * {@link Gemm#sgemm} ({@code C = A * B}, no transposes) on {@code MxNxK} shapes: the im2col
 * products of ResNet-20's 3x3 stages at batch 64 (M output channels, N = 64 * pixels,
 * K = 9 * input channels), a square one, and the first fully connected layer of LeNet-5 at batch
 * 64 with B transposed as ONNX Gemm(transB=1) stores it. Time per call; {@code 2MNK} / time is
 * the FLOP rate.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class GemmBench {
  @Param({"16x50176x144", "32x12544x288", "64x3136x576", "512x512x512", "64x120x400/tB"})
  public String shape;

  @Param({"2"})
  public int threads;

  private int m;
  private int n;
  private int k;
  private boolean transB;
  private float[] a;
  private float[] b;
  private float[] c;
  private ForkJoinPool pool;

  @Setup(Level.Trial)
  public void setUp() {
    transB = shape.endsWith("/tB");
    String[] dims = shape.replace("/tB", "").split("x");
    if (dims.length != 3) {
      throw new IllegalArgumentException("shape '" + shape + "' is not MxNxK[/tB]");
    }
    m = Integer.parseInt(dims[0]);
    n = Integer.parseInt(dims[1]);
    k = Integer.parseInt(dims[2]);
    Random random = new Random(7);
    a = Conv2dBench.randoms(random, m * k);
    b = Conv2dBench.randoms(random, k * n);
    c = new float[m * n];
    pool = new ForkJoinPool(threads);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pool.shutdown();
  }

  @Benchmark
  public float[] sgemm() {
    Gemm.sgemm(false, transB, m, n, k, 1f, a, 0, b, 0, 0f, c, 0, pool);
    return c;
  }
}
