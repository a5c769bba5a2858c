package dev.potaccel.cpu.kernels;

import java.util.Arrays;

import dev.potaccel.simd.LaneConvKernel;

/**
 * A float activation of shape {@code [n][c][h][w]} stored with images in the vector lanes, the
 * layout {@link LaneConv2d} computes in: per group of {@link #lanes()} images, {@code
 * [c][h + 2B][w + 2B][lane]} with a zero border of {@link #BORDER} pixels. Convolutions with
 * pads up to the border read it in place and write their output in it, so a chain of them
 * (ResNet's blocks) never transposes to NCHW and back. Lanes past {@code n} in the last group
 * hold values nobody reads; the border is zero in every lane.
 */
public record LaneTensor(int n, int c, int h, int w, float[] data) {
  /** Zero pixels kept around each plane: enough for 3 x 3 convolutions with pads of 1. */
  public static final int BORDER = 1;

  public LaneTensor {
    if (n < 1 || c < 1 || h < 1 || w < 1) {
      throw new IllegalArgumentException("lane tensor dims must be >= 1, got [" + n + "," + c
          + "," + h + "," + w + "]");
    }
    long need = length(n, c, h, w);
    if (data == null || data.length < need) {
      throw new IllegalArgumentException("lane tensor [" + n + "," + c + "," + h + "," + w
          + "] needs " + need + " floats, got " + (data == null ? "null" : data.length));
    }
  }

  /** Images per vector. */
  public static int lanes() {
    return LaneConvKernel.LANES;
  }

  /** Floats a lane tensor of this shape occupies. */
  public static int length(int n, int c, int h, int w) {
    long groups = (n + lanes() - 1) / lanes();
    long v = groups * c * (h + 2L * BORDER) * (w + 2L * BORDER) * lanes();
    if (v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("lane tensor [" + n + "," + c + "," + h + "," + w
          + "] exceeds a Java array");
    }
    return (int) v;
  }

  /** The NCHW shape. */
  public int[] shape() {
    return new int[] {n, c, h, w};
  }

  /** Lane groups. */
  public int groups() {
    return (n + lanes() - 1) / lanes();
  }

  /** Real images in group {@code g}. */
  public int imagesIn(int g) {
    return Math.min(lanes(), n - g * lanes());
  }

  /** Floats per padded row. */
  public int rowPitch() {
    return (w + 2 * BORDER) * lanes();
  }

  /** Floats per padded channel plane. */
  public int planePitch() {
    return (h + 2 * BORDER) * rowPitch();
  }

  /** Floats per lane group. */
  public int groupPitch() {
    return c * planePitch();
  }

  /** Index of pixel (0, 0) of channel {@code ch} of group {@code g}. */
  public int origin(int g, int ch) {
    return g * groupPitch() + ch * planePitch() + BORDER * rowPitch() + BORDER * lanes();
  }

  /**
   * Zeroes the border of channel {@code ch} of group {@code g} (top and bottom rows, left and
   * right columns), for a kernel that writes only the interior of a possibly recycled array.
   */
  public void clearBorder(int g, int ch) {
    int plane = g * groupPitch() + ch * planePitch();
    int pitch = rowPitch();
    int top = BORDER * pitch;
    int side = BORDER * lanes();
    Arrays.fill(data, plane, plane + top, 0f);
    Arrays.fill(data, plane + planePitch() - top, plane + planePitch(), 0f);
    for (int row = plane + top; row < plane + planePitch() - top; row += pitch) {
      Arrays.fill(data, row, row + side, 0f);
      Arrays.fill(data, row + pitch - side, row + pitch, 0f);
    }
  }

  /** True if {@code other} has the same shape (and so the same layout). */
  public boolean sameShape(LaneTensor other) {
    return n == other.n && c == other.c && h == other.h && w == other.w;
  }
}
