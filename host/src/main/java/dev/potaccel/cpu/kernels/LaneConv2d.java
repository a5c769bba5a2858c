package dev.potaccel.cpu.kernels;

import dev.potaccel.simd.LaneConvKernel;
import dev.potaccel.simd.VectorKernels;
import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;

/**
 * FP32 convolution with images in the vector lanes ({@link LaneConvKernel}), for batches of at
 * least half a vector of images: the batch is cut into lane groups of {@code LANES} images (the
 * last one padded with junk lanes nobody reads). One task per lane group (or per group and slice
 * of output channels, when there are fewer groups than threads) multiplies eight output channels
 * at a time over all output pixels into its thread's workspace and writes them out with the bias.
 * The input is an NCHW array (gathered into zero-padded planes {@code [c][hp][wp][lane]}) or a
 * {@link LaneTensor}, read in place when its border covers the pads; the output is NCHW (a
 * blocked scalar transpose) or a lane tensor (vector stores, plus an absorbed residual Add). In
 * lane layout end to end, ResNet-20 (batch 64, 2 threads) spends nearly all its time in the
 * kernel; the NCHW write-out alone had been a quarter of it (docs/benchmarks.md).
 */
public final class LaneConv2d {
  private LaneConv2d() {}

  /** True if {@link #conv2d} takes this convolution. */
  public static boolean applies(Conv2dParams p) {
    return VectorKernels.ENABLED && p.group() == 1 && p.n() >= LaneConvKernel.LANES / 2
        && p.outH() * p.outW() >= 3;
  }

  /**
   * Whether {@link #depthwise} computes this convolution: one input channel per group and output
   * channel (a depthwise convolution), pads within the lane tensor's border, a batch that fills
   * at least half a vector.
   */
  public static boolean appliesDepthwise(Conv2dParams p) {
    return VectorKernels.ENABLED && p.group() > 1 && p.group() == p.c() && p.m() == p.c()
        && p.n() >= LaneConvKernel.LANES / 2 && p.padTop() <= LaneTensor.BORDER
        && p.padLeft() <= LaneTensor.BORDER && p.padBottom() <= LaneTensor.BORDER
        && p.padRight() <= LaneTensor.BORDER;
  }

  /**
   * A depthwise convolution from lane tensor to lane tensor, {@code yl = clamp(conv(xl, w) +
   * bias)}: the input is read in place (its zero border is the padding), each output vector is
   * one window of 16 images, the weights {@code [c][kh][kw]} are scalar broadcasts. Only when
   * {@link #appliesDepthwise}.
   *
   * @throws IllegalArgumentException when the operands do not fit {@code p}
   */
  public static void depthwise(Conv2dParams p, LaneTensor xl, float[] w, float[] bias,
      LaneTensor yl, Clamp clamp, ForkJoinPool pool) {
    if (!Arrays.equals(xl.shape(), new int[] {p.n(), p.c(), p.h(), p.w()})
        || !Arrays.equals(yl.shape(), new int[] {p.n(), p.m(), p.outH(), p.outW()})) {
      throw new IllegalArgumentException("lane tensors " + Arrays.toString(xl.shape()) + " -> "
          + Arrays.toString(yl.shape()) + " do not fit " + p);
    }
    int taps = p.kh() * p.kw();
    Bounds.requireRange("w", w, 0, (long) p.c() * taps);
    if (bias != null) {
      Bounds.requireRange("bias", bias, 0, p.c());
    }
    final int lanes = LaneConvKernel.LANES;
    final int pitch = xl.rowPitch();
    final int[] kOffset = new int[taps];
    for (int ky = 0, q = 0; ky < p.kh(); ky++) {
      for (int kx = 0; kx < p.kw(); kx++) {
        kOffset[q++] = ky * p.dilationH() * pitch + kx * p.dilationW() * lanes;
      }
    }
    final int step = p.strideW() * lanes;
    final int channels = p.c();
    final float[] x = xl.data();
    final float[] y = yl.data();
    // one task per lane group and block of channels: enough tasks for the threads, each
    // reading its planes once
    final int perTask = Math.max(1, Math.min(channels, 8));
    final int blocks = (channels + perTask - 1) / perTask;
    ParallelTasks.run(pool, yl.groups() * blocks, ws -> ws, (task, ws) -> {
      int g = task / blocks;
      int c0 = (task % blocks) * perTask;
      int c1 = Math.min(channels, c0 + perTask);
      for (int ch = c0; ch < c1; ch++) {
        // the window of output (0, 0) starts at input (-padTop, -padLeft), inside the border
        int src = xl.origin(g, ch) - p.padTop() * pitch - p.padLeft() * lanes;
        yl.clearBorder(g, ch);
        int dst = yl.origin(g, ch);
        float b = bias == null ? 0f : bias[ch];
        for (int oy = 0; oy < p.outH(); oy++) {
          LaneConvKernel.depthwiseRow(taps, w, ch * taps, x, src + oy * p.strideH() * pitch,
              kOffset, step, p.outW(), b, clamp.lo(), clamp.hi(), y,
              dst + oy * yl.rowPitch());
        }
      }
    });
  }

  /**
   * {@code y = conv(x, w) + bias}, then {@code max(y, 0)} when {@code relu}, as {@link
   * Conv2d#conv2d}; only when {@link #applies}.
   */
  static void conv2d(Conv2dParams p, float[] x, float[] w, float[] bias, float[] y,
      ForkJoinPool pool, boolean relu) {
    conv2d(p, x, null, w, bias, y, null, null, Clamp.relu(relu), pool);
  }

  /**
   * The general form: the input is NCHW {@code x} or the lane tensor {@code xl} (one of them
   * null), the output NCHW {@code y} or the lane tensor {@code yl}; with a lane output, {@code
   * residual} (same shape as {@code yl}, or null) is added before the clamp (the fused Relu or
   * Clip; {@link Clamp#NONE} for none). Only when {@link #applies}.
   *
   * @throws IllegalArgumentException when the operands do not fit {@code p}
   */
  public static void conv2d(Conv2dParams p, float[] x, LaneTensor xl, float[] w, float[] bias,
      float[] y, LaneTensor yl, LaneTensor residual, Clamp clamp, ForkJoinPool pool) {
    if ((x == null) == (xl == null) || (y == null) == (yl == null)) {
      throw new IllegalArgumentException("give exactly one input and one output form");
    }
    if (xl != null && !Arrays.equals(xl.shape(), new int[] {p.n(), p.c(), p.h(),
        p.w()})) {
      throw new IllegalArgumentException("lane input " + Arrays.toString(xl.shape())
          + " does not fit " + p);
    }
    if (yl != null && !Arrays.equals(yl.shape(), new int[] {p.n(), p.m(), p.outH(),
        p.outW()})) {
      throw new IllegalArgumentException("lane output " + Arrays.toString(yl.shape())
          + " does not fit " + p);
    }
    if (residual != null && (yl == null || !residual.sameShape(yl))) {
      throw new IllegalArgumentException("a residual needs a lane output of its shape");
    }
    final int lanes = LaneConvKernel.LANES;
    final int rowsPerTile = LaneConvKernel.ROWS;
    final int c = p.c();
    final int m = p.m();
    final int kg = c * p.kh() * p.kw();
    // a lane input whose border covers the pads is read in place; others are copied into
    // zero-padded planes of the conv's own geometry
    final boolean inPlace = xl != null && p.padTop() <= LaneTensor.BORDER
        && p.padLeft() <= LaneTensor.BORDER && p.padBottom() <= LaneTensor.BORDER
        && p.padRight() <= LaneTensor.BORDER;
    final int hp = inPlace ? p.h() + 2 * LaneTensor.BORDER : p.h() + p.padTop() + p.padBottom();
    final int wp = inPlace ? p.w() + 2 * LaneTensor.BORDER : p.w() + p.padLeft() + p.padRight();
    final int shift = inPlace
        ? ((LaneTensor.BORDER - p.padTop()) * wp + LaneTensor.BORDER - p.padLeft()) * lanes : 0;
    final int ohw = p.outH() * p.outW();
    final int groups = (p.n() + lanes - 1) / lanes;
    final int blocks = (m + rowsPerTile - 1) / rowsPerTile;
    final float[] packed = pack(w, m, kg, blocks);
    final int[] kOffset = new int[kg];
    for (int ci = 0, q = 0; ci < c; ci++) {
      for (int ky = 0; ky < p.kh(); ky++) {
        for (int kx = 0; kx < p.kw(); kx++) {
          kOffset[q++] = ((ci * hp + ky * p.dilationH()) * wp + kx * p.dilationW()) * lanes;
        }
      }
    }
    final int[] pixBase = new int[ohw];
    for (int oy = 0; oy < p.outH(); oy++) {
      for (int ox = 0; ox < p.outW(); ox++) {
        pixBase[oy * p.outW() + ox] = (oy * p.strideH() * wp + ox * p.strideW()) * lanes;
      }
    }
    int threads = ParallelTasks.workers(pool, Integer.MAX_VALUE);
    // slices of output channels only when the groups alone cannot keep the threads busy; each
    // slice transposes its group's input again (finer slices measured no faster)
    final int slices = Math.min(blocks, Math.max(1, (threads + groups - 1) / groups));
    final int blocksPerSlice = (blocks + slices - 1) / slices;
    ParallelTasks.run(pool, groups * slices, ws -> ws, (task, ws) -> {
      int g = task / slices;
      int b0 = (task % slices) * blocksPerSlice;
      int b1 = Math.min(blocks, b0 + blocksPerSlice);
      if (b0 >= b1) {
        return;
      }
      float[] acc = ws.floats(1, rowsPerTile * ohw * lanes);
      float[] src;
      int srcOff;
      if (inPlace) {
        src = xl.data();
        srcOff = g * xl.groupPitch() + shift;
      } else {
        src = ws.floats(0, c * hp * wp * lanes);
        srcOff = 0;
        if (xl == null) {
          transposeIn(p, x, g, src, hp, wp);
        } else {
          repad(p, xl, g, src, hp, wp);
        }
      }
      for (int b = b0; b < b1; b++) {
        LaneConvKernel.convolve(kg, packed, b * rowsPerTile * kg, src, srcOff, kOffset, pixBase,
            0, ohw, acc, 0, ohw * lanes);
        if (yl == null) {
          transposeOut(p, acc, g, b * rowsPerTile, bias, clamp, y);
        } else {
          finishLanes(p, acc, g, b * rowsPerTile, bias, residual, clamp, yl);
        }
      }
    });
  }

  /** Weights {@code [m][kg]} as {@code [blocks][kg][ROWS]}, zero rows past m. */
  private static float[] pack(float[] w, int m, int kg, int blocks) {
    int rows = LaneConvKernel.ROWS;
    float[] packed = new float[blocks * kg * rows];
    for (int r = 0; r < m; r++) {
      for (int q = 0; q < kg; q++) {
        packed[((r / rows) * kg + q) * rows + r % rows] = w[r * kg + q];
      }
    }
    return packed;
  }

  /**
   * Lane group {@code g} of NCHW {@code x} into zero-padded planes {@code [c][hp][wp][lane]}:
   * one gather of {@code LANES} images per pixel (lanes past the batch get image 0's values,
   * never read back).
   */
  private static void transposeIn(Conv2dParams p, float[] x, int g, float[] planes, int hp,
      int wp) {
    int lanes = LaneConvKernel.LANES;
    int h = p.h();
    int w = p.w();
    int chw = p.c() * h * w;
    int[] map = LaneConvKernel.laneOffsets(chw, Math.min(lanes, p.n() - g * lanes));
    int rowLen = wp * lanes;
    int src = g * lanes * chw;
    for (int ci = 0; ci < p.c(); ci++) {
      int plane = ci * hp * rowLen;
      Arrays.fill(planes, plane, plane + p.padTop() * rowLen, 0f);
      Arrays.fill(planes, plane + (p.padTop() + h) * rowLen, plane + hp * rowLen, 0f);
      for (int iy = 0; iy < h; iy++) {
        int row = plane + (p.padTop() + iy) * rowLen;
        Arrays.fill(planes, row, row + p.padLeft() * lanes, 0f);
        Arrays.fill(planes, row + (p.padLeft() + w) * lanes, row + rowLen, 0f);
        int d = row + p.padLeft() * lanes;
        for (int ix = 0; ix < w; ix++, d += lanes) {
          LaneConvKernel.gather(x, src++, map, planes, d);
        }
      }
    }
  }

  /**
   * Output channels {@code [r0, r0 + ROWS)} of lane group g from {@code acc}, plus bias. A
   * scalar transpose in blocks of 16 pixels, whose 16 x LANES sums stay in L1 while each image's
   * 16 outputs are written in a row (JDK 17 does not intrinsify the vector scatter).
   */
  private static void transposeOut(Conv2dParams p, float[] acc, int g, int r0, float[] bias,
      Clamp clamp, float[] y) {
    int lanes = LaneConvKernel.LANES;
    int ohw = p.outH() * p.outW();
    int m = p.m();
    int images = Math.min(lanes, p.n() - g * lanes);
    int r1 = Math.min(m, r0 + LaneConvKernel.ROWS);
    int imageStride = m * ohw;
    for (int r = r0; r < r1; r++) {
      float b = bias == null ? 0f : bias[r];
      int base = (r - r0) * ohw * lanes;
      int dst0 = (g * lanes * m + r) * ohw;
      for (int p0 = 0; p0 < ohw; p0 += 16) {
        int p1 = Math.min(ohw, p0 + 16);
        for (int l = 0; l < images; l++) {
          int dst = dst0 + l * imageStride;
          if (clamp.equals(Clamp.RELU)) {
            for (int px = p0, a = base + p0 * lanes + l; px < p1; px++, a += lanes) {
              y[dst + px] = Math.max(acc[a] + b, 0f);
            }
          } else if (!clamp.equals(Clamp.NONE)) {
            for (int px = p0, a = base + p0 * lanes + l; px < p1; px++, a += lanes) {
              y[dst + px] = clamp.apply(acc[a] + b);
            }
          } else {
            for (int px = p0, a = base + p0 * lanes + l; px < p1; px++, a += lanes) {
              y[dst + px] = acc[a] + b;
            }
          }
        }
      }
    }
  }
  /** Lane group {@code g} of {@code xl} into zero-padded planes of the conv's own pads. */
  private static void repad(Conv2dParams p, LaneTensor xl, int g, float[] planes, int hp,
      int wp) {
    int lanes = LaneConvKernel.LANES;
    int rowLen = wp * lanes;
    int len = p.w() * lanes;
    Arrays.fill(planes, 0, p.c() * hp * rowLen, 0f);
    for (int ci = 0; ci < p.c(); ci++) {
      int from = xl.origin(g, ci);
      int to = (ci * hp + p.padTop()) * rowLen + p.padLeft() * lanes;
      for (int iy = 0; iy < p.h(); iy++, from += xl.rowPitch(), to += rowLen) {
        System.arraycopy(xl.data(), from, planes, to, len);
      }
    }
  }

  /**
   * Output channels {@code [r0, r0 + ROWS)} of lane group g from {@code acc} into {@code yl}:
   * plus bias, plus the residual, then the clamp; the channels' borders are zeroed (the array
   * may be recycled).
   */
  private static void finishLanes(Conv2dParams p, float[] acc, int g, int r0, float[] bias,
      LaneTensor residual, Clamp clamp, LaneTensor yl) {
    int rowLen = p.outW() * LaneConvKernel.LANES;
    int r1 = Math.min(p.m(), r0 + LaneConvKernel.ROWS);
    float[] y = yl.data();
    float[] res = residual == null ? null : residual.data();
    for (int r = r0; r < r1; r++) {
      float b = bias == null ? 0f : bias[r];
      yl.clearBorder(g, r);
      int row = yl.origin(g, r);
      int a = (r - r0) * p.outH() * rowLen;
      for (int oy = 0; oy < p.outH(); oy++, a += rowLen, row += yl.rowPitch()) {
        LaneConvKernel.finish(acc, a, b, res, clamp.lo(), clamp.hi(), y, row, rowLen);
      }
    }
  }
}
