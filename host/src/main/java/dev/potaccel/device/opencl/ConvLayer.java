package dev.potaccel.device.opencl;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Buffer;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.ConvCommand;
import dev.potaccel.protocol.pkg.PackageFormatException;
import dev.potaccel.protocol.pkg.WeightLayout;
import dev.potaccel.protocol.pkg.WeightPacker;
import dev.potaccel.protocol.pkg.WeightTiling;

/**
 * A CONV command decoded for the kernels (kernels-cl potaccel.cl, "CONV"): shapes, the layout
 * numbers decode_weights walks the packed tiles with, the codebook's integer levels, and the
 * kernel that runs it. Decoding unpacks the weights once on the host only to prove the
 * docs/accelerator.md §1.4 accumulator bound, which the device relies on (it never checks for
 * overflow) and which the emulator checks too, and to choose the arithmetic: float when the
 * product bound {@code xmax * sum|v|} is at most 2^24 on every channel (exact, as in the
 * emulator's ConvStep), int otherwise.
 *
 * @param kernel "conv_f16", "conv_grouped_i8", "fc_f8", ...
 * @param levels the codebook's level v(c) of each of the 2^bits codes (every weight format)
 * @param exactFloat true if the layer runs in float
 * @param mb output channels per work-item block (8 or 16), the decoded layout's block size
 */
record ConvLayer(String kernel, int c, int h, int w, int m, int oh, int ow, int kh, int kw,
    int sh, int sw, int dh, int dw, int pt, int pl, int groups, int bits, int woff,
    int tileStride, int boff, int[] shifts, int[] levels, boolean exactFloat, int mb) {

  /**
   * The largest product bound of a layer that runs in float: integers up to 2^24 in magnitude
   * are exact in float32 (the emulator's ConvStep.FLOAT_EXACT).
   */
  static final long FLOAT_EXACT = 1L << 24;

  /** Output pixels per conv work-item: the kernels' CONV_PB default. */
  static final int PIXELS_PER_ITEM = 4;

  /**
   * Decodes a conv of a package that {@link dev.potaccel.protocol.pkg.PackageValidator} has
   * accepted, reading its input and output shapes and code widths from the package.
   *
   * @param weights the package's weight blob, {@code biases} its bias blob (copied out once by
   *     the caller, not per layer)
   *
   * @throws PackageFormatException naming {@code where} when a channel's accumulator bound exceeds
   *     int32 or the layer's numbers do not fit the kernels' int arguments
   */
  static ConvLayer decode(String where, AcceleratorPackage pkg, ConvCommand cmd, byte[] weights,
      byte[] biases) {
    Buffer in = pkg.getBuffers(cmd.getInput());
    Buffer out = pkg.getBuffers(cmd.getOutput());
    return decode(where, pkg, cmd, chw(in), chw(out), in.getIsSigned(), in.getBits(), weights,
        biases);
  }

  private static int[] chw(Buffer b) {
    return b.getShapeCount() == 3 ? new int[] {b.getShape(0), b.getShape(1), b.getShape(2)}
        : new int[] {b.getShape(0), 1, 1};
  }

  /**
   * Decodes a conv whose package {@link dev.potaccel.protocol.pkg.PackageValidator} has accepted.
   *
   * @param in input [C, H, W] (or [K]); {@code inSigned}, {@code inBits} its codes
   * @param out output [M, OH, OW] (or [M])
   * @throws PackageFormatException naming {@code where} when a channel's accumulator bound exceeds
   *     int32 or the layer's numbers do not fit the kernels' int arguments
   */
  static ConvLayer decode(String where, AcceleratorPackage pkg, ConvCommand cmd, int[] in,
      int[] out, boolean inSigned, int inBits, byte[] weights, byte[] biases) {
    int c = in[0];
    int h = in[1];
    int w = in[2];
    int m = cmd.getOutChannels();
    int groups = cmd.getGroups();
    int cg = c / groups;
    Codebook book = pkg.getCodebooks(cmd.getCodebook());
    int bits = book.getBits();
    WeightTiling tiling = WeightTiling.of(pkg.getRequirements(), where);
    WeightLayout layout = new WeightLayout(m, cg, cmd.getKernelH(), cmd.getKernelW(), bits,
        tiling);
    long woff = cmd.getWeights().getOffset();
    long boff = cmd.getBias().getOffset();
    if (woff > Integer.MAX_VALUE || boff > Integer.MAX_VALUE || boff % 4 != 0
        || layout.stride(0) > Integer.MAX_VALUE) {
      throw new PackageFormatException(where + ": weights at byte " + woff + " (tile stride "
          + layout.stride(0) + ") and bias at byte " + boff + " must be below 2^31, the bias"
          + " 4-byte aligned, for the OpenCL kernels");
    }
    int[] codes = WeightPacker.unpack(weights, (int) woff, m, cg, cmd.getKernelH(),
        cmd.getKernelW(), bits, tiling);
    int[] bias = WeightPacker.unpackBias(biases, (int) boff, m, tiling);
    int[] levels = new int[1 << bits];
    for (int i = 0; i < levels.length; i++) {
      levels[i] = book.getEntries(i).getValue();
    }
    // docs/accelerator.md §1.4, as the emulator checks it: the device accumulates in int32
    long xmax = inSigned ? 1L << (inBits - 1) : (1L << inBits) - 1;
    int kg = codes.length / m;
    long maxProducts = 0;
    for (int i = 0; i < m; i++) {
      long sum = 0;
      for (int k = 0; k < kg; k++) {
        sum += Math.abs((long) levels[codes[i * kg + k]]);
      }
      long bound = xmax * sum + Math.abs((long) bias[i]);
      if (bound > Integer.MAX_VALUE) {
        throw new PackageFormatException(where + ": channel " + i + ": accumulator bound "
            + bound + " (xmax " + xmax + " x sum|v| " + sum + " + |bias| "
            + Math.abs((long) bias[i]) + ") exceeds 2^31 - 1 (docs/accelerator.md §1.4)");
      }
      maxProducts = Math.max(maxProducts, xmax * sum);
    }
    int[] shifts = new int[m];
    var list = cmd.getRequantize().getShiftList();
    for (int i = 0; i < m; i++) {
      int s = list.size() == 1 ? list.get(0) : list.get(i);
      shifts[i] = Math.max(-64, Math.min(64, s));
    }
    boolean exactFloat = maxProducts <= FLOAT_EXACT;
    boolean fc = h == 1 && w == 1 && cmd.getKernelH() == 1 && cmd.getKernelW() == 1
        && out[1] == 1 && out[2] == 1 && cmd.getPadTop() == 0 && cmd.getPadLeft() == 0
        && groups == 1;
    int mg = m / groups;
    // 16 channels per block halve the activation loads per MAC; 8 waste less on narrow layers
    int mb = m <= 8 ? 8 : 16;
    boolean grouped = false;
    if (groups > 1 && mg % mb != 0) {
      mb = 8;
      grouped = mg % 8 != 0; // a block would span groups: each lane reads its own group
    }
    String kernel = (fc ? "fc_" : grouped ? "conv_grouped_" : "conv_") + (exactFloat ? "f" : "i")
        + mb;
    return new ConvLayer(kernel, c, h, w, m, out[1], out[2], cmd.getKernelH(),
        cmd.getKernelW(), cmd.getStrideH(), cmd.getStrideW(), cmd.getDilationH(),
        cmd.getDilationW(), cmd.getPadTop(), cmd.getPadLeft(), groups, bits, (int) woff,
        (int) layout.stride(0), (int) (boff / 4), shifts, levels, exactFloat, mb);
  }

  /** True for a fully connected layer (the fc_* kernels). */
  boolean fullyConnected() {
    return kernel.startsWith("fc_");
  }

  /** The kernel that decodes this layer's packed weights at load. */
  String decodeKernel() {
    return exactFloat ? "decode_weights_f" : "decode_weights_i";
  }

  /** K of one group: {@code C / groups * kh * kw}. */
  int k() {
    return c / groups * kh * kw;
  }

  /** Output-channel blocks of {@link #mb} channels. */
  int blocks() {
    return (m + mb - 1) / mb;
  }

  /** Elements of the decoded weight array: blocks x K x mb (zero past M). */
  long decodedElements() {
    return (long) blocks() * k() * mb;
  }

  /** Input rows the local tile of a band of {@code rows} output rows holds. */
  int tileRows(int rows) {
    return (rows - 1) * sh + (kh - 1) * dh + 1;
  }

  /** Input columns the local tile holds (the padded window of one output row). */
  int tileCols() {
    return (ow - 1) * sw + (kw - 1) * dw + 1;
  }

  /** Work-items of a work-group covering {@code rows} output rows. */
  int itemsPerBand(int rows) {
    return (rows * ow + PIXELS_PER_ITEM - 1) / PIXELS_PER_ITEM * blocks();
  }

  /**
   * Output rows per work-group: as many as keep the work-group within {@code maxItems} work-items
   * and its local tile within {@code maxLocalBytes}, and leave at least {@code minBands} bands per
   * image when the image has that many rows (so small batches still spread over the cores).
   *
   * @throws OpenClException if even one row does not fit the device
   */
  int bandRows(int maxItems, long maxLocalBytes, int minBands, int deviceMaxItems,
      String where) {
    int best = 0;
    int cap = Math.max(1, oh / Math.max(1, minBands));
    for (int r = 1; r <= Math.min(oh, cap); r++) {
      if (itemsPerBand(r) <= maxItems && localBytes(r) <= maxLocalBytes) {
        best = r;
      }
    }
    if (best == 0) {
      if (itemsPerBand(1) <= deviceMaxItems && localBytes(1) <= maxLocalBytes) {
        return 1;
      }
      throw new OpenClException(where + ": one output row needs " + itemsPerBand(1)
          + " work-items (device limit " + deviceMaxItems + ") and " + localBytes(1)
          + " bytes of local memory (device limit " + maxLocalBytes + ")");
    }
    // as few bands as that allows, of equal height (28 rows: 4 x 7, not 3 x 9 + 1)
    int bands = (oh + best - 1) / best;
    return (oh + bands - 1) / bands;
  }

  /** Local memory of a work-group covering {@code rows} output rows: all C channels. */
  long localBytes(int rows) {
    return 4L * c * tileRows(rows) * tileCols();
  }
}
