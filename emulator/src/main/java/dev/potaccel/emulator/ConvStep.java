package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.ConvCommand;
import dev.potaccel.protocol.pkg.PackageFormatException;
import dev.potaccel.protocol.pkg.WeightPacker;
import dev.potaccel.protocol.pkg.WeightTiling;
import dev.potaccel.simd.LaneConvKernel;
import dev.potaccel.simd.VectorKernels;
import java.util.Arrays;

/**
 * CONV (docs/accelerator.md §3.1, fully connected layers included) with §1.3 requantization.
 *
 * <p>Weights are decoded once into integer levels laid out {@code [M][K]} with {@code K = (c, ky,
 * kx)} of the group. A run treats the layer as a GEMM per group, {@code out[m][j] = bias[m] +
 * sum_k W[m][k] * col[k][j]}, whose columns {@code j} run over every output pixel of every image
 * of the batch. The input codes are first <em>spread</em>: widened to numbers in planes {@code
 * [n][c][kx][hp][ow]} holding, for each kernel column {@code kx}, the zero-padded input rows
 * already sampled at the output columns ({@code ox * sw + kx * dw}). Then an im2col panel row
 * {@code (c, ky, kx)} of a stride-1 layer is one array copy per image the task's columns touch
 * (the output pixels of an image are consecutive in that plane, offset by {@code ky * dh} rows);
 * with a vertical stride it is one copy per output row. Tasks take a block of at most {@link
 * #COLUMNS} columns (and, when there are too few columns to keep the threads busy, a slice of the
 * output channels), fill a panel of {@link #PANEL_ROWS} K rows at a time, multiply-accumulate
 * ({@link MacKernel}) and requantize the rows into output codes.
 *
 * <p><b>Two exact arithmetics.</b> A layer whose §1.4 product bound {@code xmax * sum|v|} is at
 * most 2^24 on every channel runs in {@code float}: every product and every partial sum of
 * products, in any order, is then an integer of magnitude at most 2^24, which float32 represents
 * exactly, so each float operation is exact and the sum equals the int32 one bit for bit. The
 * bias, which may be large, is added as an int afterwards. Why: AVX2 float multiply and add have
 * about twice the throughput of the int multiply ({@code vpmulld}). Measured on the Zen 3 machine
 * of docs/benchmarks.md the gain is small (about 3 % of CPU time on ResNet-20, and never a loss in
 * our A/B runs), because the C2 kernel is bound by its loads and stores rather than by the
 * multiplier. Any other layer runs in int32, exact by the §1.4 bound, which the emulator checks
 * when decoding.
 *
 * <p><b>Images in the lanes.</b> When the vector kernels run, an ungrouped float layer given a
 * batch of at least half a vector of images takes {@link #executeLanes} instead of the GEMM
 * above: the same exact float sums, computed by {@link LaneConvKernel} with 16 (AVX-512) or 8
 * images per vector, from and to lane-layout codes. On ResNet-20 this made the emulator about 5x
 * faster (docs/benchmarks.md, latest figures).
 */
final class ConvStep implements Step {
  /**
   * Columns (output pixels across the batch) per task: long rows amortize the set-up of each
   * vectorized row loop in {@link MacKernel} (measured 7 to 9 % less CPU than 256 on ResNet-20).
   */
  static final int COLUMNS = 512;
  /** K rows per panel: 128 x 512 ints or floats = 256 KiB, about half an L2. */
  static final int PANEL_ROWS = 128;
  /**
   * The largest product bound ({@code xmax * sum|v|}) of a layer that runs in float: integers up
   * to 2^24 in magnitude are exact in float32.
   */
  static final long FLOAT_EXACT = 1L << 24;
  /** The fewest columns per task before output channels are split instead. */
  private static final int MIN_COLUMNS = 64;

  private final String name;
  private final int input;
  private final int output;
  private final int c;
  private final int h;
  private final int w;
  private final int m;
  private final int oh;
  private final int ow;
  private final int kh;
  private final int kw;
  private final int sh;
  private final int sw;
  private final int dh;
  private final int dw;
  private final int pt;
  private final int pl;
  /** Padded plane height: {@code h + pad_top + pad_bottom}. */
  private final int hp;
  /** Padded plane width: {@code w + pad_left + pad_right}. */
  private final int wp;
  private final int cg;
  private final int mg;
  private final int kg;
  private final boolean inputSigned;
  /** Integer weight levels {@code [M][K]}; the int path's operand. */
  private final int[] weights;
  /** The same levels as floats when the layer runs in float (see the class comment), else null. */
  private final float[] floatWeights;
  private final int[] bias;
  private final Requantization requant;
  /**
   * The float levels packed {@code [M / 8][K][8]} (zero rows pad M) for {@link LaneConvKernel}
   * when this layer can run with images in the vector lanes (float, one group, vector kernels
   * on), else null.
   */
  private final float[] laneWeights;
  /** {@link LaneConvKernel} offset tables: K step {@code (c, ky, kx)} and output pixel. */
  private final int[] laneK;
  private final int[] lanePix;

  private ConvStep(String name, int input, int output, int[] chw, int m, int[] ohw, int[] kernel,
      int[] pads, int groups, boolean inputSigned, int[] weights, boolean useFloat, int[] bias,
      Requantization requant) {
    this.name = name;
    this.input = input;
    this.output = output;
    this.c = chw[0];
    this.h = chw[1];
    this.w = chw[2];
    this.m = m;
    this.oh = ohw[0];
    this.ow = ohw[1];
    this.kh = kernel[0];
    this.kw = kernel[1];
    this.sh = kernel[2];
    this.sw = kernel[3];
    this.dh = kernel[4];
    this.dw = kernel[5];
    this.pt = pads[0];
    this.pl = pads[1];
    this.hp = h + pads[0] + pads[2];
    this.wp = w + pads[1] + pads[3];
    this.cg = c / groups;
    this.mg = m / groups;
    this.kg = cg * kh * kw;
    this.inputSigned = inputSigned;
    this.weights = weights;
    if (useFloat) {
      floatWeights = new float[weights.length];
      for (int i = 0; i < weights.length; i++) {
        floatWeights[i] = weights[i];
      }
    } else {
      floatWeights = null;
    }
    this.bias = bias;
    this.requant = requant;
    if (useFloat && groups == 1 && VectorKernels.ENABLED) {
      laneWeights = packLaneWeights();
      laneK = laneKOffsets();
      lanePix = lanePixelBases();
    } else {
      laneWeights = null;
      laneK = null;
      lanePix = null;
    }
  }

  /**
   * Decodes and checks one CONV command; {@code name} is the command's name for messages. The
   * layer runs in float when its product bound allows it and {@code d.floatConv} is set.
   */
  static ConvStep decode(String name, ConvCommand cmd, Decoding d) {
    BufferInfo in = d.codes(cmd.getInput(), "input");
    BufferInfo out = d.codes(cmd.getOutput(), "output");
    int[] chw = in.chw();
    int[] mhw = out.chw();
    if (chw == null) {
      throw d.fail("input " + in.describe() + " must have shape [C, H, W] or [K]");
    }
    if (mhw == null) {
      throw d.fail("output " + out.describe() + " must have shape [M, OH, OW] or [M]");
    }
    int m = positive(cmd.getOutChannels(), "out_channels", d);
    int[] kernel = {
      positive(cmd.getKernelH(), "kernel_h", d), positive(cmd.getKernelW(), "kernel_w", d),
      positive(cmd.getStrideH(), "stride_h", d), positive(cmd.getStrideW(), "stride_w", d),
      positive(cmd.getDilationH(), "dilation_h", d), positive(cmd.getDilationW(), "dilation_w", d)
    };
    int[] pads = {
      pad(cmd.getPadTop(), "pad_top", d), pad(cmd.getPadLeft(), "pad_left", d),
      pad(cmd.getPadBottom(), "pad_bottom", d), pad(cmd.getPadRight(), "pad_right", d)
    };
    int groups = positive(cmd.getGroups(), "groups", d);
    if (m != mhw[0]) {
      throw d.fail("out_channels " + m + " but output " + out.describe() + " has " + mhw[0]
          + " channels");
    }
    if (chw[0] % groups != 0 || m % groups != 0) {
      throw d.fail("groups " + groups + " must divide the input channels (" + chw[0]
          + ") and the output channels (" + m + ")");
    }
    long effH = (long) kernel[4] * (kernel[0] - 1) + 1;
    long effW = (long) kernel[5] * (kernel[1] - 1) + 1;
    long spanH = (long) chw[1] + pads[0] + pads[2] - effH;
    long spanW = (long) chw[2] + pads[1] + pads[3] - effW;
    if (spanH < 0 || spanW < 0) {
      throw d.fail("kernel " + kernel[0] + "x" + kernel[1] + " (dilation " + kernel[4] + "x"
          + kernel[5] + ") does not fit the padded input " + in.describe());
    }
    long oh = spanH / kernel[2] + 1;
    long ow = spanW / kernel[3] + 1;
    if (oh != mhw[1] || ow != mhw[2]) {
      throw d.fail("input " + in.describe() + " with kernel " + kernel[0] + "x" + kernel[1]
          + ", strides " + kernel[2] + "x" + kernel[3] + ", dilations " + kernel[4] + "x"
          + kernel[5] + ", pads (top, left, bottom, right) " + Arrays.toString(pads) + " gives "
          + oh + "x" + ow + " outputs, but output " + out.describe() + " is " + mhw[1] + "x"
          + mhw[2]);
    }
    if ((long) chw[0] * kernel[1] * (chw[1] + pads[0] + pads[2]) * ow > Integer.MAX_VALUE) {
      throw d.fail("the spread input planes of " + in.describe() + " are too large for the "
          + "emulator");
    }
    int cg = chw[0] / groups;
    long kgLong = (long) cg * kernel[0] * kernel[1];
    if (kgLong * m > Integer.MAX_VALUE) {
      throw d.fail("weights [" + m + ", " + cg + ", " + kernel[0] + ", " + kernel[1]
          + "] are too large for the emulator");
    }
    int kg = (int) kgLong;

    // codebook and weights
    if (cmd.getCodebook() >= d.pkg.getCodebooksCount() || cmd.getCodebook() < 0) {
      throw d.fail("codebook " + Integer.toUnsignedString(cmd.getCodebook())
          + " does not exist (package has " + d.pkg.getCodebooksCount() + " codebooks)");
    }
    Codebook book = d.pkg.getCodebooks(cmd.getCodebook());
    String bookName = "codebook " + cmd.getCodebook();
    int bits = book.getBits();
    if (bits < 2 || bits > 8) {
      throw d.fail(bookName + ": code width " + Integer.toUnsignedString(bits)
          + " is not between 2 and 8");
    }
    if (book.getEntriesCount() != 1 << bits) {
      throw d.fail(bookName + ": " + book.getEntriesCount() + " entries, a " + bits
          + "-bit codebook needs " + (1 << bits));
    }
    int[] table = new int[1 << bits];
    for (int i = 0; i < table.length; i++) {
      table[i] = book.getEntries(i).getValue();
    }
    if (table[0] != 0) {
      throw d.fail(bookName + ": code 0 decodes to " + table[0] + "; it must decode to 0");
    }
    WeightTiling tiling = d.tiling();
    // PackageValidator has checked both regions: inside their blobs, exactly the packed sizes
    int wOff = d.toInt(cmd.getWeights().getOffset(), "weights.offset");
    int bOff = d.toInt(cmd.getBias().getOffset(), "bias.offset");
    int[] codes;
    try {
      codes = WeightPacker.unpack(d.weights, wOff, m, cg, kernel[0], kernel[1], bits, tiling);
    } catch (RuntimeException e) {
      throw new PackageFormatException(d.source + ": " + name + ": cannot unpack the weights at "
          + "byte " + wOff + ": " + e.getMessage(), e);
    }
    int[] levels = new int[codes.length];
    for (int i = 0; i < codes.length; i++) {
      levels[i] = table[codes[i]];
    }

    int[] bias;
    try {
      bias = WeightPacker.unpackBias(d.biases, bOff, m, tiling);
    } catch (RuntimeException e) {
      throw new PackageFormatException(d.source + ": " + name + ": cannot unpack the bias at "
          + "byte " + bOff + ": " + e.getMessage(), e);
    }

    // requantization
    int[] shifts = shifts(cmd.getRequantize().getShiftList(), m, "requantize.shift", d);
    Activation act = cmd.getRequantize().getActivation();
    checkActivation(act, cmd.getRequantize().getLeakyShift(), out, d);
    Requantization rq = Requantization.of(shifts, act, cmd.getRequantize().getLeakyShift(),
        out.lo(), out.hi(), out.frac());

    // docs/accelerator.md §1.4: the int32 accumulator never overflows
    long xmax = in.maxMagnitude();
    long maxProducts = 0;
    for (int i = 0; i < m; i++) {
      long sum = 0;
      for (int k = 0; k < kg; k++) {
        sum += Math.abs((long) levels[i * kg + k]);
      }
      long bound = xmax * sum + Math.abs((long) bias[i]);
      if (bound > Integer.MAX_VALUE) {
        throw d.fail("channel " + i + ": accumulator bound " + bound + " (xmax " + xmax
            + " x sum|v| " + sum + " + |bias| " + Math.abs((long) bias[i]) + ") exceeds 2^31 - 1 "
            + "(docs/accelerator.md §1.4)");
      }
      maxProducts = Math.max(maxProducts, xmax * sum);
    }
    return new ConvStep(name, cmd.getInput(), cmd.getOutput(), chw, m,
        new int[] {(int) oh, (int) ow}, kernel, pads, groups, in.signed(), levels,
        d.floatConv && maxProducts <= FLOAT_EXACT, bias, rq);
  }

  static int positive(int value, String field, Decoding d) {
    if (value <= 0) {
      throw d.fail(field + " is " + Integer.toUnsignedString(value) + "; it must be between 1 and "
          + Integer.MAX_VALUE);
    }
    return value;
  }

  static int pad(int value, String field, Decoding d) {
    if (value < 0 || value > 1 << 20) {
      throw d.fail(field + " is " + Integer.toUnsignedString(value) + "; at most " + (1 << 20));
    }
    return value;
  }

  /** A per-channel list of {@code m} values, or one value broadcast to {@code m}. */
  static int[] shifts(java.util.List<Integer> values, int m, String field, Decoding d) {
    int[] s = new int[m];
    if (values.size() == 1) {
      Arrays.fill(s, values.get(0));
    } else if (values.size() == m) {
      for (int i = 0; i < m; i++) {
        s[i] = values.get(i);
      }
    } else {
      throw d.fail(field + " has " + values.size() + " values; it needs 1 or " + m
          + " (one per output channel)");
    }
    return s;
  }

  /** Activation parameters the contract requires (§1.3). */
  static void checkActivation(Activation act, int leakyShift, BufferInfo out, Decoding d) {
    switch (act) {
      case ACTIVATION_NONE, RELU -> { }
      case RELU6 -> {
        if (out.frac() < 0) {
          throw d.fail("ReLU6 needs F_y >= 0 so that 6 is representable, output "
              + out.describe() + " has F_y " + out.frac() + " (docs/accelerator.md §1.3)");
        }
      }
      case LEAKY_RELU -> {
        if (leakyShift < 1) {
          throw d.fail("LeakyReLU slope 2^-" + Integer.toUnsignedString(leakyShift)
              + ": leaky_shift must be between 1 and " + Integer.MAX_VALUE);
        }
      }
      default -> throw d.fail("unknown activation " + act);
    }
  }

  /** Values per image of the spread input planes a run builds. */
  long spreadPerImage() {
    return (long) c * kw * hp * ow;
  }

  /** True if the layer multiplies and accumulates in float (exactly; see the class comment). */
  boolean usesFloat() {
    return floatWeights != null;
  }

  /** True if batches of at least half a vector of images run with images in the lanes. */
  boolean usesLanes() {
    return laneWeights != null;
  }

  String name() {
    return name;
  }

  int outChannels() {
    return m;
  }

  @Override
  public int[] reads() {
    return new int[] {input};
  }

  @Override
  public int[] writes() {
    return new int[] {output};
  }

  @Override
  public void execute(RunState run) {
    int batch = run.batch;
    if (laneWeights != null && batch >= LaneConvKernel.LANES / 2) {
      RunState.LaneCodes in = run.laneCodes(input, LaneConvKernel.LANES);
      run.putLanes(output, executeLanes(in, batch, run.workers));
      return;
    }
    byte[] x = run.codes(input);
    int ohw = oh * ow;
    byte[] y = new byte[batch * m * ohw];
    int size = batch * c * kw * hp * ow;
    Workers workers = run.workers;
    Object xs = usesFloat() ? workers.acquireFloats(size) : workers.acquireInts(size);
    try {
      spread(x, xs, batch, workers);
      int columns = batch * ohw;
      int threads = workers.threads();
      int nc = COLUMNS;
      int blocks = ceilDiv(columns, nc);
      if (threads > 1 && blocks < 2 * threads) {
        nc = Math.max(MIN_COLUMNS, roundUp(ceilDiv(columns, 2 * threads), 8));
        nc = Math.min(nc, COLUMNS);
        blocks = ceilDiv(columns, nc);
      }
      int chunk = m;
      if (threads > 1 && blocks < 2 * threads) {
        int splits = Math.min(ceilDiv(2 * threads, blocks), ceilDiv(m, 3));
        chunk = roundUp(ceilDiv(m, splits), Math.min(3, m));
      }
      int chunks = ceilDiv(m, chunk);
      int colsPerTask = nc;
      int rowsPerTask = chunk;
      workers.parallelFor(blocks * chunks, task -> {
        Workers.Scratch s = workers.acquire();
        try {
          int j0 = (task / chunks) * colsPerTask;
          int mA = (task % chunks) * rowsPerTask;
          int n = Math.min(colsPerTask, columns - j0);
          int mB = Math.min(m, mA + rowsPerTask);
          if (xs instanceof float[] f) {
            blockFloat(f, y, j0, n, mA, mB, s);
          } else {
            blockInt((int[]) xs, y, j0, n, mA, mB, s);
          }
        } finally {
          workers.release(s);
        }
      });
    } finally {
      if (xs instanceof float[] f) {
        workers.releaseFloats(f);
      } else {
        workers.releaseInts((int[]) xs);
      }
    }
    run.put(output, y);
  }

  /**
   * The layer with images in the vector lanes ({@link LaneConvKernel}), from lane-layout codes
   * to lane-layout codes ({@link RunState.LaneCodes}): each lane group's channels are widened
   * into zero-padded float planes {@code [c][hp][wp][lane]}; one task per group and block of
   * eight output channels multiplies the whole layer for it and requantizes the exact float sums
   * straight into the output codes, still in lanes.
   */
  private RunState.LaneCodes executeLanes(RunState.LaneCodes in, int batch, Workers workers) {
    int lanes = LaneConvKernel.LANES;
    int ohw = oh * ow;
    int laneGroups = ceilDiv(batch, lanes);
    int planeSize = hp * wp * lanes;
    int groupSize = c * planeSize;
    byte[] y = new byte[laneGroups * m * ohw * lanes];
    float[] xl = workers.acquireFloats(laneGroups * groupSize);
    int blocks = ceilDiv(m, LaneConvKernel.ROWS);
    try {
      if (ohw == 1) {
        // fully connected: the lane groups take the place of the pixels of a tile
        workers.parallelFor(laneGroups * c, t -> spreadLanes(in.data(), t, xl, t * planeSize));
        int[] groupBase = new int[laneGroups];
        for (int g = 0; g < laneGroups; g++) {
          groupBase[g] = g * groupSize;
        }
        workers.parallelFor(blocks, b -> fullyConnectedLanes(xl, groupBase, b * LaneConvKernel.ROWS,
            y, workers));
      } else if (laneGroups % workers.threads() == 0) {
        // whole lane groups per thread, the same thread for a group in every layer: its codes
        // and planes stay in that core's L2 (ResNet-20, batch 64, 2 threads: 24 ms a batch
        // instead of 30 with tasks shared out dynamically)
        workers.forEachBySlot(laneGroups, g -> {
          for (int ci = 0; ci < c; ci++) {
            spreadLanes(in.data(), g * c + ci, xl, (g * c + ci) * planeSize);
          }
          for (int b = 0; b < blocks; b++) {
            convolveLanes(xl, g, b * LaneConvKernel.ROWS, y, workers);
          }
        });
      } else {
        workers.parallelFor(laneGroups * c, t -> spreadLanes(in.data(), t, xl, t * planeSize));
        workers.parallelFor(laneGroups * blocks,
            t -> convolveLanes(xl, t / blocks, (t % blocks) * LaneConvKernel.ROWS, y, workers));
      }
    } finally {
      workers.releaseFloats(xl);
    }
    return new RunState.LaneCodes(y, lanes);
  }

  /** Output channels {@code [r0, r0 + ROWS)} of every lane group of a 1 x 1 output. */
  private void fullyConnectedLanes(float[] xl, int[] groupBase, int r0, byte[] y,
      Workers workers) {
    int lanes = LaneConvKernel.LANES;
    int groups = groupBase.length;
    Workers.Scratch s = workers.acquire();
    try {
      float[] acc = s.laneAcc(LaneConvKernel.ROWS * groups * lanes);
      LaneConvKernel.convolve(kg, laneWeights, r0 * kg, xl, 0, laneK, groupBase, 0, groups, acc,
          0, groups * lanes);
      for (int r = r0; r < Math.min(m, r0 + LaneConvKernel.ROWS); r++) {
        for (int g = 0; g < groups; g++) {
          requantizeLanes(acc, ((r - r0) * groups + g) * lanes, lanes, y, (g * m + r) * lanes, r);
        }
      }
    } finally {
      workers.release(s);
    }
  }

  /** Output channels {@code [r0, r0 + ROWS)} of lane group {@code g}, requantized into y. */
  private void convolveLanes(float[] xl, int g, int r0, byte[] y, Workers workers) {
    int lanes = LaneConvKernel.LANES;
    int ohw = oh * ow;
    Workers.Scratch s = workers.acquire();
    try {
      float[] acc = s.laneAcc(LaneConvKernel.ROWS * ohw * lanes);
      LaneConvKernel.convolve(kg, laneWeights, r0 * kg, xl, g * c * hp * wp * lanes, laneK,
          lanePix, 0, ohw, acc, 0, ohw * lanes);
      for (int r = r0; r < Math.min(m, r0 + LaneConvKernel.ROWS); r++) {
        requantizeLanes(acc, (r - r0) * ohw * lanes, ohw * lanes, y, (g * m + r) * ohw * lanes, r);
      }
    } finally {
      workers.release(s);
    }
  }

  /** Output channel {@code r}'s {@code n} lane sums into codes, vectorized where §1.3 allows. */
  private void requantizeLanes(float[] acc, int a, int n, byte[] y, int yo, int r) {
    int s = requant.shifts()[r];
    if (!requant.leaky() && s >= 0 && s <= 31) {
      LaneConvKernel.requantize(acc, a, n, bias[r], s, requant.lo(), requant.hi(), y, yo);
    } else {
      for (int i = 0; i < n; i++) {
        y[yo + i] = (byte) requant.apply((long) (int) acc[a + i] + bias[r], r);
      }
    }
  }

  /**
   * Plane {@code plane} ({@code = group * c + channel}) of lane-layout codes {@code x} as a
   * zero-padded float plane {@code [hp][wp][lane]} at {@code xl[dst]}.
   */
  private void spreadLanes(byte[] x, int plane, float[] xl, int dst) {
    int lanes = LaneConvKernel.LANES;
    int rowLen = wp * lanes;
    Arrays.fill(xl, dst, dst + pt * rowLen, 0f);
    Arrays.fill(xl, dst + (pt + h) * rowLen, dst + hp * rowLen, 0f);
    int src = plane * h * w * lanes;
    for (int iy = 0; iy < h; iy++) {
      int d = dst + (pt + iy) * rowLen;
      Arrays.fill(xl, d, d + pl * lanes, 0f);
      Arrays.fill(xl, d + (pl + w) * lanes, d + rowLen, 0f);
      d += pl * lanes;
      for (int ix = 0; ix < w; ix++, d += lanes, src += lanes) {
        LaneConvKernel.widen(x, src, inputSigned, xl, d);
      }
    }
  }

  /** The float levels as {@link #laneWeights}. */
  private float[] packLaneWeights() {
    int rows = LaneConvKernel.ROWS;
    float[] packed = new float[ceilDiv(m, rows) * rows * kg];
    for (int r = 0; r < m; r++) {
      for (int q = 0; q < kg; q++) {
        packed[((r / rows) * kg + q) * rows + r % rows] = weights[r * kg + q];
      }
    }
    return packed;
  }

  /** Offset of K step {@code (ci, ky, kx)} in a lane group's planes, from the window's corner. */
  private int[] laneKOffsets() {
    int lanes = LaneConvKernel.LANES;
    int[] k = new int[kg];
    int q = 0;
    for (int ci = 0; ci < c; ci++) {
      for (int ky = 0; ky < kh; ky++) {
        for (int kx = 0; kx < kw; kx++) {
          k[q++] = ((ci * hp + ky * dh) * wp + kx * dw) * lanes;
        }
      }
    }
    return k;
  }

  /** Offset of output pixel {@code (oy, ox)}'s window corner in a padded lane plane. */
  private int[] lanePixelBases() {
    int lanes = LaneConvKernel.LANES;
    int[] p = new int[oh * ow];
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        p[oy * ow + ox] = (oy * sh * wp + ox * sw) * lanes;
      }
    }
    return p;
  }

  /**
   * {@code xs[n][c][kx][y][ox]} = the input code at padded row {@code y} and padded column {@code
   * ox * sw + kx * dw} (0 in the padding), as ints or floats: each kernel column's samples of the
   * zero-padded input, so that panel rows are plain copies without bounds checks. It holds {@code
   * kw} values per padded input row position; in exchange a stride-1 panel row is one copy per
   * image instead of one per output row, which dominated the layers with short rows (7x7).
   */
  private void spread(byte[] x, Object xs, int batch, Workers workers) {
    int planes = batch * c;
    int perTask = Math.max(1, (1 << 15) / (kw * hp * ow));
    workers.parallelFor(ceilDiv(planes, perTask), t -> {
      int end = Math.min(planes, (t + 1) * perTask);
      if (xs instanceof float[] f) {
        float[] plane = new float[h * w];
        for (int p = t * perTask; p < end; p++) {
          widen(x, p * h * w, plane);
          spreadPlane(plane, f, p * kw * hp * ow);
        }
      } else {
        int[] plane = new int[h * w];
        for (int p = t * perTask; p < end; p++) {
          widen(x, p * h * w, plane);
          spreadPlane(plane, (int[]) xs, p * kw * hp * ow);
        }
      }
    });
  }

  /**
   * One input plane's codes as numbers. Widening is scalar (C2 on JDK 17 does not vectorize byte
   * to int or float), so it is done once per plane, in one loop, before the {@code kw} copies.
   */
  private void widen(byte[] x, int src, float[] plane) {
    int mask = inputSigned ? -1 : 0xFF;
    for (int t = 0; t < plane.length; t++) {
      plane[t] = x[src + t] & mask;
    }
  }

  private void widen(byte[] x, int src, int[] plane) {
    int mask = inputSigned ? -1 : 0xFF;
    for (int t = 0; t < plane.length; t++) {
      plane[t] = x[src + t] & mask;
    }
  }

  /**
   * The {@code kw} spread planes of one widened input plane. Rows are short (7 to 28 values in
   * ResNet-20), so per-row work is kept to one array copy plus the zeros of the padding columns.
   */
  private void spreadPlane(float[] plane, float[] xs, int dst) {
    int kwPlane = hp * ow;
    for (int kx = 0; kx < kw; kx++) {
      int shift = kx * dw - pl;
      int lo = oxLo(shift);
      int hi = oxHi(shift, lo);
      int d0 = dst + kx * kwPlane;
      Arrays.fill(xs, d0, d0 + pt * ow, 0f);
      for (int iy = 0; iy < h; iy++) {
        int d = d0 + (pt + iy) * ow;
        for (int t = 0; t < lo; t++) {
          xs[d + t] = 0f;
        }
        int s0 = iy * w + shift;
        if (sw == 1) {
          System.arraycopy(plane, s0 + lo, xs, d + lo, hi - lo);
        } else {
          for (int ox = lo; ox < hi; ox++) {
            xs[d + ox] = plane[s0 + ox * sw];
          }
        }
        for (int t = hi; t < ow; t++) {
          xs[d + t] = 0f;
        }
      }
      Arrays.fill(xs, d0 + (pt + h) * ow, d0 + kwPlane, 0f);
    }
  }

  /** {@link #spreadPlane} in ints. */
  private void spreadPlane(int[] plane, int[] xs, int dst) {
    int kwPlane = hp * ow;
    for (int kx = 0; kx < kw; kx++) {
      int shift = kx * dw - pl;
      int lo = oxLo(shift);
      int hi = oxHi(shift, lo);
      int d0 = dst + kx * kwPlane;
      Arrays.fill(xs, d0, d0 + pt * ow, 0);
      for (int iy = 0; iy < h; iy++) {
        int d = d0 + (pt + iy) * ow;
        for (int t = 0; t < lo; t++) {
          xs[d + t] = 0;
        }
        int s0 = iy * w + shift;
        if (sw == 1) {
          System.arraycopy(plane, s0 + lo, xs, d + lo, hi - lo);
        } else {
          for (int ox = lo; ox < hi; ox++) {
            xs[d + ox] = plane[s0 + ox * sw];
          }
        }
        for (int t = hi; t < ow; t++) {
          xs[d + t] = 0;
        }
      }
      Arrays.fill(xs, d0 + (pt + h) * ow, d0 + kwPlane, 0);
    }
  }

  /** The first output column whose input column {@code ox * sw + shift} is not left padding. */
  private int oxLo(int shift) {
    return shift >= 0 ? 0 : Math.min(ow, ceilDiv(-shift, sw));
  }

  /** One past the last output column whose input column is not right padding; at least lo. */
  private int oxHi(int shift, int lo) {
    int hi = shift > w - 1 ? 0 : Math.min(ow, (w - 1 - shift) / sw + 1);
    return Math.max(lo, hi);
  }

  /** Output channels {@code [mA, mB)} of columns {@code [j0, j0 + n)}, in int32. */
  private void blockInt(int[] xs, byte[] y, int j0, int n, int mA, int mB, Workers.Scratch s) {
    int[][] acc = s.intAcc();
    int[][] panel = s.intPanel();
    for (int r = mA; r < mB; r++) {
      Arrays.fill(acc[r - mA], 0, n, bias[r]);
    }
    for (int g = mA / mg; g <= (mB - 1) / mg; g++) {
      int r0 = Math.max(mA, g * mg);
      int r1 = Math.min(mB, (g + 1) * mg);
      for (int k0 = 0; k0 < kg; k0 += PANEL_ROWS) {
        int kLen = Math.min(PANEL_ROWS, kg - k0);
        fillPanel(panel, xs, g, k0, kLen, j0, n);
        MacKernel.multiplyAccumulate(r1 - r0, n, kLen, weights, r0 * kg + k0, kg, panel, acc,
            r0 - mA);
      }
    }
    for (int r = mA; r < mB; r++) {
      requantize(acc[r - mA], y, j0, n, r);
    }
  }

  /**
   * Output channels {@code [mA, mB)} of columns {@code [j0, j0 + n)}, in float: exact because the
   * layer's product bound is at most {@link #FLOAT_EXACT} (class comment); the bias is added to
   * the converted sums as an int.
   */
  private void blockFloat(float[] xs, byte[] y, int j0, int n, int mA, int mB,
      Workers.Scratch s) {
    float[][] acc = s.floatAcc();
    float[][] panel = s.floatPanel();
    for (int r = mA; r < mB; r++) {
      Arrays.fill(acc[r - mA], 0, n, 0f);
    }
    for (int g = mA / mg; g <= (mB - 1) / mg; g++) {
      int r0 = Math.max(mA, g * mg);
      int r1 = Math.min(mB, (g + 1) * mg);
      for (int k0 = 0; k0 < kg; k0 += PANEL_ROWS) {
        int kLen = Math.min(PANEL_ROWS, kg - k0);
        fillPanel(panel, xs, g, k0, kLen, j0, n);
        MacKernel.multiplyAccumulate(r1 - r0, n, kLen, floatWeights, r0 * kg + k0, kg, panel,
            acc, r0 - mA);
      }
    }
    int[] sums = s.intRow();
    for (int r = mA; r < mB; r++) {
      float[] row = acc[r - mA];
      int b = bias[r];
      for (int t = 0; t < n; t++) {
        sums[t] = (int) row[t] + b;
      }
      requantize(sums, y, j0, n, r);
    }
  }

  /** Requantizes accumulator row {@code r} of columns {@code [j0, j0 + n)} into {@code y}. */
  private void requantize(int[] row, byte[] y, int j0, int n, int r) {
    int ohw = oh * ow;
    int j = j0;
    int end = j0 + n;
    while (j < end) {
      int img = j / ohw;
      int p = j - img * ohw;
      int len = Math.min(ohw - p, end - j);
      requant.row(row, j - j0, len, y, (img * m + r) * ohw + p, r);
      j += len;
    }
  }

  /**
   * Panel rows {@code q < kLen}: K index {@code k0 + q} of group {@code g} at columns {@code
   * j0 .. j0 + n}, copied from the spread planes {@code xs} (an int[] or float[] matching the
   * panel's rows): one copy per image for stride-1 rows, else one per output row.
   */
  private void fillPanel(Object[] panel, Object xs, int g, int k0, int kLen, int j0, int n) {
    int khw = kh * kw;
    int ohw = oh * ow;
    int plane = hp * ow;
    for (int q = 0; q < kLen; q++) {
      int k = k0 + q;
      int ci = k / khw;
      int rem = k - ci * khw;
      int ky = rem / kw;
      int kx = rem - ky * kw;
      Object row = panel[q];
      int d = 0;
      int j = j0;
      while (d < n) {
        int img = j / ohw;
        int p = j - img * ohw;
        int len = Math.min(ohw - p, n - d);
        int base = (((img * c + g * cg + ci) * kw) + kx) * plane + ky * dh * ow;
        if (sh == 1) {
          // output row oy reads spread row oy + ky * dh: the image's pixels are consecutive
          System.arraycopy(xs, base + p, row, d, len);
        } else {
          int oy = p / ow;
          int ox = p - oy * ow;
          int src = base + oy * sh * ow + ox;
          int dd = d;
          int left = len;
          while (left > 0) {
            int cnt = Math.min(ow - ox, left);
            System.arraycopy(xs, src, row, dd, cnt);
            dd += cnt;
            left -= cnt;
            src += sh * ow - ox; // the start of the next output row
            ox = 0;
          }
        }
        d += len;
        j += len;
      }
    }
  }

  static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  static int roundUp(int a, int multiple) {
    return ceilDiv(a, multiple) * multiple;
  }
}
