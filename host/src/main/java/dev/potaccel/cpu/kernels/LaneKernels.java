package dev.potaccel.cpu.kernels;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;

/**
 * The element-wise operators and layout changes on {@link LaneTensor}s that let a chain of
 * {@link LaneConv2d} convolutions stay in lane layout: residual Add, Relu and Clip, MaxPool,
 * GlobalAveragePool (which ends the chain with an NCHW result) and the conversion to NCHW for any
 * other reader.
 * Every result equals, bit for bit, the NCHW kernel's on the same values.
 */
public final class LaneKernels {
  private LaneKernels() {}

  /**
   * {@code out = a + b}, then {@code max(out, 0)} when {@code relu}; all three of one shape.
   * The borders stay zero ({@code 0 + 0}, {@code max(0, 0)}).
   */
  public static void add(LaneTensor a, LaneTensor b, boolean relu, LaneTensor out,
      ForkJoinPool pool) {
    requireSameShape(a, out);
    requireSameShape(b, out);
    float[] x = a.data();
    float[] y = b.data();
    float[] z = out.data();
    int pitch = out.groupPitch();
    ParallelTasks.run(pool, out.groups(), ws -> ws, (g, ws) -> {
      int from = g * pitch;
      if (relu) {
        for (int i = from; i < from + pitch; i++) {
          z[i] = Math.max(x[i] + y[i], 0f);
        }
      } else {
        for (int i = from; i < from + pitch; i++) {
          z[i] = x[i] + y[i];
        }
      }
    });
  }

  /**
   * {@code out = clamp(a)} (Relu, Clip; Math's NaN rules); both of one shape. Only a clamp that
   * {@linkplain Clamp#keepsZero keeps zero}, so that the borders stay zero.
   */
  public static void clamp(LaneTensor a, Clamp clamp, LaneTensor out, ForkJoinPool pool) {
    requireSameShape(a, out);
    if (!clamp.keepsZero()) {
      throw new IllegalArgumentException(clamp + " would make the zero border nonzero");
    }
    float[] x = a.data();
    float[] z = out.data();
    int pitch = out.groupPitch();
    float lo = clamp.lo();
    float hi = clamp.hi();
    ParallelTasks.run(pool, out.groups(), ws -> ws, (g, ws) -> {
      for (int i = g * pitch; i < (g + 1) * pitch; i++) {
        z[i] = Math.min(Math.max(x[i], lo), hi);
      }
    });
  }

  /**
   * Whether {@link #maxPool} computes this pooling: every window inside the input (no pads, the
   * ceil-mode windows included), no dilation.
   */
  public static boolean maxPoolApplies(Pool2dParams p) {
    return p.padTop() == 0 && p.padLeft() == 0 && p.dilationH() == 1 && p.dilationW() == 1
        && (p.outH() - 1) * p.strideH() + p.kh() <= p.h()
        && (p.outW() - 1) * p.strideW() + p.kw() <= p.w();
  }

  /**
   * MaxPool from lane tensor to lane tensor (Math.max: NaN wins, as in {@link Pool2d#maxPool});
   * only when {@link #maxPoolApplies}. The output's borders are zeroed.
   */
  public static void maxPool(LaneTensor x, Pool2dParams p, LaneTensor out, ForkJoinPool pool) {
    if (!Arrays.equals(x.shape(), new int[] {p.n(), p.c(), p.h(), p.w()})
        || !Arrays.equals(out.shape(), new int[] {p.n(), p.c(), p.outH(), p.outW()})) {
      throw new IllegalArgumentException("lane tensors " + Arrays.toString(x.shape()) + " -> "
          + Arrays.toString(out.shape()) + " do not fit " + p);
    }
    int lanes = LaneTensor.lanes();
    float[] src = x.data();
    float[] y = out.data();
    int inPitch = x.rowPitch();
    int outPitch = out.rowPitch();
    int ow = p.outW();
    int sh = p.strideH() * inPitch;
    int sw = p.strideW() * lanes;
    int kh = p.kh();
    int kw = p.kw();
    ParallelTasks.run(pool, out.groups(), ws -> ws, (g, ws) -> {
      for (int ch = 0; ch < p.c(); ch++) {
        out.clearBorder(g, ch);
        int from = x.origin(g, ch);
        int to = out.origin(g, ch);
        for (int oy = 0; oy < p.outH(); oy++, from += sh, to += outPitch) {
          for (int ox = 0; ox < ow; ox++) {
            int win = from + ox * sw;
            int d = to + ox * lanes;
            System.arraycopy(src, win, y, d, lanes);
            for (int ky = 0; ky < kh; ky++) {
              for (int kx = ky == 0 ? 1 : 0; kx < kw; kx++) {
                int t = win + ky * inPitch + kx * lanes;
                for (int l = 0; l < lanes; l++) {
                  y[d + l] = Math.max(y[d + l], src[t + l]);
                }
              }
            }
          }
        }
      }
    });
  }

  /**
   * GlobalAveragePool into NCHW {@code y [n][c]} (the 1 x 1 planes), summed exactly as {@link
   * Pool2d#globalAveragePool} does, pixel by pixel in row order into four double sums.
   */
  public static void globalAveragePool(LaneTensor x, float[] y) {
    Bounds.requireRange("y", y, 0, (long) x.n() * x.c());
    int lanes = LaneTensor.lanes();
    int spatial = x.h() * x.w();
    float[] d = x.data();
    for (int g = 0; g < x.groups(); g++) {
      for (int ch = 0; ch < x.c(); ch++) {
        int origin = x.origin(g, ch);
        for (int l = 0; l < x.imagesIn(g); l++) {
          double s0 = 0;
          double s1 = 0;
          double s2 = 0;
          double s3 = 0;
          int k = 0;
          for (; k + 3 < spatial; k += 4) {
            s0 += d[at(x, origin, k) + l];
            s1 += d[at(x, origin, k + 1) + l];
            s2 += d[at(x, origin, k + 2) + l];
            s3 += d[at(x, origin, k + 3) + l];
          }
          for (; k < spatial; k++) {
            s0 += d[at(x, origin, k) + l];
          }
          y[(g * lanes + l) * x.c() + ch] = (float) (((s0 + s1) + (s2 + s3)) / spatial);
        }
      }
    }
  }

  private static int at(LaneTensor x, int origin, int pixel) {
    return origin + (pixel / x.w()) * x.rowPitch() + (pixel % x.w()) * LaneTensor.lanes();
  }

  /**
   * The NCHW form of {@code x} into {@code y}: per row of a channel, each image's pixels are
   * written in a run while the row's {@code w x LANES} values stay in L1.
   */
  public static void toNchw(LaneTensor x, float[] y, ForkJoinPool pool) {
    int lanes = LaneTensor.lanes();
    int h = x.h();
    int w = x.w();
    int c = x.c();
    Bounds.requireRange("y", y, 0, (long) x.n() * c * h * w);
    float[] d = x.data();
    ParallelTasks.run(pool, x.groups() * c, ws -> ws, (task, ws) -> {
      int g = task / c;
      int ch = task % c;
      int images = x.imagesIn(g);
      for (int iy = 0; iy < h; iy++) {
        int row = x.origin(g, ch) + iy * x.rowPitch();
        for (int l = 0; l < images; l++) {
          int dst = (((g * lanes + l) * c + ch) * h + iy) * w;
          for (int ix = 0, s = row + l; ix < w; ix++, s += lanes) {
            y[dst + ix] = d[s];
          }
        }
      }
    });
  }

  private static void requireSameShape(LaneTensor a, LaneTensor out) {
    if (!a.sameShape(out)) {
      throw new IllegalArgumentException("lane tensors " + Arrays.toString(a.shape())
          + " and " + Arrays.toString(out.shape()) + " differ in shape");
    }
  }
}
