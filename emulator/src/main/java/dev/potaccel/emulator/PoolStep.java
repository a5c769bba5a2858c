package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.PoolCommand;
import dev.potaccel.protocol.pkg.PoolKind;
import dev.potaccel.simd.CodeKernels;
import dev.potaccel.simd.VectorKernels;

/**
 * MAX, AVERAGE and GLOBAL_AVERAGE pooling on codes (docs/accelerator.md §3.2). The output keeps
 * the input's fractional length and signedness; results are saturated to the output buffer's
 * range (a no-op when it has the input's bits). Average pooling divides the window sum {@code S}
 * by {@code n = kh·kw} (padding included) as {@code rshift(S, p)} when {@code n = 2^p}, else as
 * {@code rshift(S·R, 16)} with {@code R = round(2^16 / n)}.
 */
final class PoolStep implements Step {
  private final int input;
  private final int output;
  private final PoolKind kind;
  private final int c;
  private final int h;
  private final int w;
  private final int oh;
  private final int ow;
  private final int kh;
  private final int kw;
  private final int sh;
  private final int sw;
  private final int pt;
  private final int pl;
  private final boolean signed;
  private final boolean fullWindows2x2;
  private final int lo;
  private final int hi;
  /** {@code p} when {@code n = 2^p}, else -1. */
  private final int log2n;
  private final int reciprocal;

  private PoolStep(int input, int output, PoolKind kind, int[] chw, int[] ohw, int[] kernel,
      int[] pads, BufferInfo in, BufferInfo out, int log2n, int reciprocal) {
    this.input = input;
    this.output = output;
    this.kind = kind;
    this.c = chw[0];
    this.h = chw[1];
    this.w = chw[2];
    this.oh = ohw[0];
    this.ow = ohw[1];
    this.kh = kernel[0];
    this.kw = kernel[1];
    this.sh = kernel[2];
    this.sw = kernel[3];
    this.pt = pads[0];
    this.pl = pads[1];
    // MAX 2 x 2 windows that never reach the padding: the vectorized lane path
    this.fullWindows2x2 = kind == PoolKind.MAX && kernel[0] == 2 && kernel[1] == 2
        && pads[0] == 0 && pads[1] == 0
        && (ohw[0] - 1) * kernel[2] + 2 <= chw[1] && (ohw[1] - 1) * kernel[3] + 2 <= chw[2];
    this.signed = in.signed();
    this.lo = out.lo();
    this.hi = out.hi();
    this.log2n = log2n;
    this.reciprocal = reciprocal;
  }

  /** {@code round(2^16 / n)}, ties up (docs/accelerator.md §3.2). */
  static int reciprocal(long n) {
    return (int) ((2 * 65536L + n) / (2 * n));
  }

  static PoolStep decode(PoolCommand cmd, Decoding d) {
    BufferInfo in = d.codes(cmd.getInput(), "input");
    BufferInfo out = d.codes(cmd.getOutput(), "output");
    int[] chw = in.chw();
    int[] ochw = out.chw();
    if (chw == null || in.shape().length != 3) {
      throw d.fail("input " + in.describe() + " must have shape [C, H, W]");
    }
    if (ochw == null) {
      throw d.fail("output " + out.describe() + " must have shape [C, OH, OW]");
    }
    if (in.signed() != out.signed() || in.frac() != out.frac()) {
      throw d.fail("pooling keeps the input's signedness and fractional length, but input "
          + in.describe() + " and output " + out.describe() + " differ (docs/accelerator.md §3.2)");
    }
    PoolKind kind = cmd.getKind();
    int[] kernel;
    int[] pads;
    switch (kind) {
      case MAX, AVERAGE -> {
        kernel = new int[] {
          ConvStep.positive(cmd.getKernelH(), "kernel_h", d),
          ConvStep.positive(cmd.getKernelW(), "kernel_w", d),
          ConvStep.positive(cmd.getStrideH(), "stride_h", d),
          ConvStep.positive(cmd.getStrideW(), "stride_w", d)
        };
        pads = new int[] {
          ConvStep.pad(cmd.getPadTop(), "pad_top", d), ConvStep.pad(cmd.getPadLeft(), "pad_left", d),
          ConvStep.pad(cmd.getPadBottom(), "pad_bottom", d),
          ConvStep.pad(cmd.getPadRight(), "pad_right", d)
        };
        if (kind == PoolKind.MAX && (pads[0] >= kernel[0] || pads[2] >= kernel[0]
            || pads[1] >= kernel[1] || pads[3] >= kernel[1])) {
          throw d.fail("MAX pooling pads must be smaller than the kernel " + kernel[0] + "x"
              + kernel[1] + ", got (top, left, bottom, right) " + java.util.Arrays.toString(pads)
              + ": a window of padding alone has no maximum");
        }
      }
      case GLOBAL_AVERAGE -> {
        kernel = new int[] {chw[1], chw[2], 1, 1};
        pads = new int[4];
      }
      default -> throw d.fail("unknown pooling kind " + kind);
    }
    long spanH = (long) chw[1] + pads[0] + pads[2] - kernel[0];
    long spanW = (long) chw[2] + pads[1] + pads[3] - kernel[1];
    if (spanH < 0 || spanW < 0) {
      throw d.fail("kernel " + kernel[0] + "x" + kernel[1] + " does not fit the padded input "
          + in.describe());
    }
    long oh = spanH / kernel[2] + 1;
    long ow = spanW / kernel[3] + 1;
    if (ochw[0] != chw[0] || ochw[1] != oh || ochw[2] != ow) {
      throw d.fail(kind + " pooling of input " + in.describe() + " (kernel " + kernel[0] + "x"
          + kernel[1] + ", strides " + kernel[2] + "x" + kernel[3] + ") gives [" + chw[0] + ", "
          + oh + ", " + ow + "], but output " + out.describe() + " differs");
    }
    long n = (long) kernel[0] * kernel[1];
    int log2n = Long.bitCount(n) == 1 ? Long.numberOfTrailingZeros(n) : -1;
    int r = 0;
    if (kind != PoolKind.MAX && log2n < 0) {
      if (n > 1 << 16) {
        throw d.fail("average window of " + n + " codes: more than 2^16, R = round(2^16 / n) "
            + "would be 0");
      }
      r = reciprocal(n);
      if (cmd.getReciprocal() != r) {
        throw d.fail("reciprocal is " + Integer.toUnsignedString(cmd.getReciprocal())
            + "; a window of n = " + n + " needs R = round(2^16 / n) = " + r
            + " (docs/accelerator.md §3.2)");
      }
    }
    return new PoolStep(cmd.getInput(), cmd.getOutput(), kind, chw,
        new int[] {(int) oh, (int) ow}, kernel, pads, in, out, log2n, r);
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
    int lanes = run.laneCount(input);
    if (lanes > 0) {
      // codes in lane layout (ConvStep) stay in it: each (lane group, channel) plane is [h][w]
      // vectors of lanes, pooled lane by lane at stride `lanes`
      byte[] x = run.laneCodes(input, lanes).data();
      int planes = ConvStep.ceilDiv(run.batch, lanes) * c;
      byte[] y = new byte[planes * oh * ow * lanes];
      int perTask = Math.max(1, Math.min(planes, (1 << 16) / Math.max(1, h * w * lanes)));
      run.workers.parallelFor(ConvStep.ceilDiv(planes, perTask), t -> {
        int end = Math.min(planes, (t + 1) * perTask);
        for (int plane = t * perTask; plane < end; plane++) {
          if (fullWindows2x2 && VectorKernels.ENABLED && lanes == CodeKernels.lanes()) {
            maxPlaneLanes(x, plane * h * w * lanes, y, plane * oh * ow * lanes);
            continue;
          }
          for (int l = 0; l < lanes; l++) {
            plane(x, plane * h * w * lanes + l, lanes, y, plane * oh * ow * lanes + l);
          }
        }
      });
      run.putLanes(output, new RunState.LaneCodes(y, lanes));
      return;
    }
    byte[] x = run.codes(input);
    int planes = run.batch * c;
    byte[] y = new byte[planes * oh * ow];
    int perTask = Math.max(1, Math.min(planes, (1 << 16) / Math.max(1, h * w)));
    int tasks = ConvStep.ceilDiv(planes, perTask);
    run.workers.parallelFor(tasks, t -> {
      int end = Math.min(planes, (t + 1) * perTask);
      for (int plane = t * perTask; plane < end; plane++) {
        plane(x, plane * h * w, 1, y, plane * oh * ow);
      }
    });
    run.put(output, y);
  }

  /** 2 x 2 max pooling of one lane-layout plane whose windows all lie inside it. */
  private void maxPlaneLanes(byte[] x, int xBase, byte[] y, int yBase) {
    int lanes = CodeKernels.lanes();
    int rowStride = w * lanes;
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        CodeKernels.max2x2(x, xBase + ((oy * sh) * w + ox * sw) * lanes, rowStride, signed, lo, hi, y,
            yBase + (oy * ow + ox) * lanes);
      }
    }
  }

  /** One plane, its codes {@code stride} apart (1 in NCHW, the lane count in lane layout). */
  private void plane(byte[] x, int xBase, int stride, byte[] y, int yBase) {
    int mask = signed ? -1 : 0xFF;
    for (int oy = 0; oy < oh; oy++) {
      int y0 = oy * sh - pt;
      int yA = Math.max(0, y0);
      int yB = Math.min(h, y0 + kh);
      for (int ox = 0; ox < ow; ox++) {
        int x0 = ox * sw - pl;
        int xA = Math.max(0, x0);
        int xB = Math.min(w, x0 + kw);
        int v;
        if (kind == PoolKind.MAX) {
          int max = Integer.MIN_VALUE;
          for (int iy = yA; iy < yB; iy++) {
            int row = xBase + iy * w * stride;
            for (int ix = xA; ix < xB; ix++) {
              max = Math.max(max, x[row + ix * stride] & mask);
            }
          }
          v = max;
        } else {
          long sum = 0;
          for (int iy = yA; iy < yB; iy++) {
            int row = xBase + iy * w * stride;
            for (int ix = xA; ix < xB; ix++) {
              sum += x[row + ix * stride] & mask;
            }
          }
          long r = log2n >= 0 ? Shifts.rshift(sum, log2n) : Shifts.rshift(sum * reciprocal, 16);
          v = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, r));
        }
        y[yBase + (oy * ow + ox) * stride] = (byte) Math.min(hi, Math.max(lo, v));
      }
    }
  }
}
