package dev.potaccel.device.opencl;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.CodebookEntry;
import dev.potaccel.protocol.pkg.ConvCommand;
import dev.potaccel.protocol.pkg.PackageFormatException;
import dev.potaccel.protocol.pkg.PowerOfTwoTerm;
import dev.potaccel.protocol.pkg.WeightFormat;
import dev.potaccel.protocol.pkg.WeightLayout;
import dev.potaccel.protocol.pkg.WeightPacker;
import dev.potaccel.protocol.pkg.WeightTiling;

/**
 * A CONV command decoded for the conv kernels: shapes, the layout numbers the kernel walks the
 * packed tiles with, and the codebook table its PEs read. The weights themselves stay packed: the
 * device reads them as the DMA layout stores them. Decoding unpacks them once on the host only to
 * prove the docs/accelerator.md §1.4 accumulator bound, which the device relies on (it never
 * checks for overflow) and which the emulator checks too.
 *
 * @param kernel "conv_mul", "conv_grouped_pot", ...
 * @param table the codebook as the kernel's PE reads it (kernels-cl potaccel.cl): levels for
 *     INT8 and LUT, packed power-of-two terms for POT and TERMS; 2^bits entries
 */
record ConvLayer(String kernel, int c, int h, int w, int m, int oh, int ow, int kh, int kw,
    int sh, int sw, int dh, int dw, int pt, int pl, int groups, int bits, int woff,
    int tileStride, int boff, int[] shifts, int[] table) {

  /** Multiplier PEs for INT8 and LUT, shifters for POT, shift-adders for TERMS. */
  static String pe(WeightFormat f) {
    return switch (f) {
      case POT -> "pot";
      case TERMS -> "terms";
      default -> "mul";
    };
  }

  /**
   * The kernel a conv runs on: the format's PE, grouped when a weight tile of {@code pe_out}
   * channels can span groups (depthwise and other grouped layers whose group size is not a
   * multiple of P_out).
   */
  static String kernelName(AcceleratorPackage pkg, ConvCommand cmd) {
    Codebook book = pkg.getCodebooks(cmd.getCodebook());
    int peOut = Math.max(1, pkg.getRequirements().getPeOut());
    int groups = Math.max(1, cmd.getGroups());
    int mg = Math.max(1, cmd.getOutChannels() / groups);
    boolean grouped = groups > 1 && mg % peOut != 0;
    return "conv_" + (grouped ? "grouped_" : "") + pe(book.getFormat());
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
    }
    int[] shifts = new int[m];
    var list = cmd.getRequantize().getShiftList();
    for (int i = 0; i < m; i++) {
      int s = list.size() == 1 ? list.get(0) : list.get(i);
      shifts[i] = Math.max(-64, Math.min(64, s));
    }
    return new ConvLayer(kernelName(pkg, cmd), c, h, w, m, out[1], out[2], cmd.getKernelH(),
        cmd.getKernelW(), cmd.getStrideH(), cmd.getStrideW(), cmd.getDilationH(),
        cmd.getDilationW(), cmd.getPadTop(), cmd.getPadLeft(), groups, bits, (int) woff,
        (int) layout.stride(0), (int) (boff / 4), shifts, table(book, where));
  }

  /** The codebook as the PE kernels read it (see potaccel.cl, "The processing elements"). */
  static int[] table(Codebook book, String where) {
    int n = 1 << book.getBits();
    int[] t = new int[n];
    WeightFormat f = book.getFormat();
    for (int i = 0; i < n; i++) {
      CodebookEntry e = book.getEntries(i);
      if (f != WeightFormat.POT && f != WeightFormat.TERMS) {
        t[i] = e.getValue();
        continue;
      }
      if (e.getTermsCount() > 3 || (f == WeightFormat.POT && e.getTermsCount() > 1)) {
        throw new PackageFormatException(where + ": codebook entry " + i + " has "
            + e.getTermsCount() + " terms; the kernels take at most 3 (1 for POT)");
      }
      int packed = 0;
      for (int q = 0; q < e.getTermsCount(); q++) {
        PowerOfTwoTerm term = e.getTerms(q);
        int exp = term.getExponent();
        if (exp < 0 || exp > 30) {
          throw new PackageFormatException(where + ": codebook entry " + i + " term " + q
              + " has exponent " + exp + "; exponents are 0..30");
        }
        int d = exp | (term.getNegative() ? 32 : 0) | 64;
        packed |= d << (8 * q);
      }
      t[i] = packed;
    }
    return t;
  }

  /** Output pixels of one image. */
  int pixelsPerImage() {
    return oh * ow;
  }

  /** Weight tiles of P_out channels. */
  int tiles(int peOut) {
    return (m + peOut - 1) / peOut;
  }
}
