package dev.potaccel.protocol.pkg;

import com.google.protobuf.ByteString;
import java.util.Random;

/** Small packages built in code, valid unless a test breaks them on purpose. */
final class TestPackages {
  /**
   * Tiling of {@link #minimal}: 3 output channels make a full tile and a short one of 1 channel.
   */
  static final WeightTiling TILING = new WeightTiling(2, 32);

  static final int X = 0; // "x", FP32 [2, 4, 4], model input
  static final int XQ = 1; // "x_q", int8 F=4
  static final int YQ = 2; // "y_q", uint8 F=3 (after ReLU)
  static final int Y = 3; // "y", FP32 [3, 4, 4], model output

  private TestPackages() {}

  /**
   * convert (quantize) → 3x3 conv, 2 → 3 channels, pad 1, POT 4-bit weights, ReLU → convert
   * (dequantize). Weights are random codes (never the reserved 8) from a fixed seed.
   */
  static AcceleratorPackage minimal() {
    int m = 3;
    int c = 2;
    Random r = new Random(7);
    int[] codes = new int[m * c * 3 * 3];
    for (int i = 0; i < codes.length; i++) {
      do {
        codes[i] = r.nextInt(16);
      } while (codes[i] == 8);
    }
    byte[] weights = WeightPacker.pack(codes, m, c, 3, 3, 4, TILING);
    byte[] bias = WeightPacker.packBias(new int[] {5, -40, 300}, TILING);
    return AcceleratorPackage.newBuilder()
        .setFormatVersion(1)
        .setContractVersion(1)
        .setLayoutVersion(PackageFile.LAYOUT_VERSION)
        .setProvenance(
            Provenance.newBuilder()
                .setModelName("tiny")
                .setModelSha256("00".repeat(32))
                .setScheme("pot")
                .putSchemeParameters("bits", "4")
                .setToolVersion("test"))
        .setRequirements(
            Requirements.newBuilder()
                .addWeightFormats(WeightFormat.POT)
                .setPeOut(TILING.peOut())
                .setBurstBytes(TILING.burstBytes())
                .setMaxWeightTileBytes(WeightPacker.tileDataBytes(c, 3, 3, 4, TILING))
                .setMaxActivationBytesPerImage(48))
        .addBuffers(floats("x", 2, 4, 4))
        .addBuffers(codes("x_q", 8, true, 4, 2, 4, 4))
        .addBuffers(codes("y_q", 8, false, 3, 3, 4, 4))
        .addBuffers(floats("y", 3, 4, 4))
        .addCommands(convert("quant", X, XQ))
        .addCommands(
            Command.newBuilder()
                .setName("conv1")
                .setConv(
                    ConvCommand.newBuilder()
                        .setInput(XQ)
                        .setOutput(YQ)
                        .setOutChannels(m)
                        .setKernelH(3)
                        .setKernelW(3)
                        .setStrideH(1)
                        .setStrideW(1)
                        .setDilationH(1)
                        .setDilationW(1)
                        .setPadTop(1)
                        .setPadLeft(1)
                        .setPadBottom(1)
                        .setPadRight(1)
                        .setGroups(1)
                        .setCodebook(0)
                        .setWeights(region(0, weights.length))
                        .setBias(region(0, bias.length))
                        .addWeightFracBits(2)
                        .addWeightFracBits(2)
                        .addWeightFracBits(3)
                        // F_x + F_w - F_y = 4 + 2 - 3, 4 + 2 - 3, 4 + 3 - 3
                        .setRequantize(
                            Requantize.newBuilder()
                                .addShift(3)
                                .addShift(3)
                                .addShift(4)
                                .setActivation(Activation.RELU))))
        .addCommands(convert("dequant", YQ, Y))
        .addCodebooks(pot(4, 0))
        .setWeights(ByteString.copyFrom(weights))
        .setBiases(ByteString.copyFrom(bias))
        .addInputBuffers(X)
        .addOutputBuffers(Y)
        .build();
  }

  static Buffer floats(String name, int... shape) {
    Buffer.Builder b = Buffer.newBuilder().setName(name).setBits(32).setIsFloat(true);
    for (int d : shape) {
      b.addShape(d);
    }
    return b.build();
  }

  static Buffer codes(String name, int bits, boolean signed, int frac, int... shape) {
    Buffer.Builder b =
        Buffer.newBuilder().setName(name).setBits(bits).setIsSigned(signed).setFracBits(frac);
    for (int d : shape) {
      b.addShape(d);
    }
    return b.build();
  }

  static Command convert(String name, int in, int out) {
    return Command.newBuilder()
        .setName(name)
        .setConvert(ConvertCommand.newBuilder().setInput(in).setOutput(out))
        .build();
  }

  static Region region(long offset, long length) {
    return Region.newBuilder().setOffset(offset).setLength(length).build();
  }

  /** The POT codebook of §2: code {@code sign << (b-1) | e_idx}, level ±2^(eMin + e_idx - 1). */
  static Codebook pot(int bits, int eMin) {
    Codebook.Builder cb = Codebook.newBuilder().setFormat(WeightFormat.POT).setBits(bits);
    int half = 1 << (bits - 1);
    for (int code = 0; code < 1 << bits; code++) {
      int eIdx = code & (half - 1);
      boolean negative = code >= half;
      if (eIdx == 0) {
        cb.addEntries(CodebookEntry.newBuilder().setValue(0));
      } else {
        int e = eMin + eIdx - 1;
        cb.addEntries(
            CodebookEntry.newBuilder()
                .setValue((negative ? -1 : 1) << e)
                .addTerms(PowerOfTwoTerm.newBuilder().setNegative(negative).setExponent(e)));
      }
    }
    return cb.build();
  }

  /** The INT8 codebook: the two's-complement identity. */
  static Codebook int8(int bits) {
    Codebook.Builder cb = Codebook.newBuilder().setFormat(WeightFormat.INT8).setBits(bits);
    for (int code = 0; code < 1 << bits; code++) {
      cb.addEntries(
          CodebookEntry.newBuilder().setValue(code < 1 << (bits - 1) ? code : code - (1 << bits)));
    }
    return cb.build();
  }

  /** A 2-bit TERMS codebook with k = 2: levels 0, 3 = 2^1 + 2^0, -6 = -2^3 + 2^1, 1. */
  static Codebook terms2() {
    return Codebook.newBuilder()
        .setFormat(WeightFormat.TERMS)
        .setBits(2)
        .setMaxTerms(2)
        .addEntries(CodebookEntry.newBuilder().setValue(0))
        .addEntries(
            CodebookEntry.newBuilder()
                .setValue(3)
                .addTerms(term(false, 1))
                .addTerms(term(false, 0)))
        .addEntries(
            CodebookEntry.newBuilder()
                .setValue(-6)
                .addTerms(term(true, 3))
                .addTerms(term(false, 1)))
        .addEntries(CodebookEntry.newBuilder().setValue(1).addTerms(term(false, 0)))
        .build();
  }

  static PowerOfTwoTerm term(boolean negative, int exponent) {
    return PowerOfTwoTerm.newBuilder().setNegative(negative).setExponent(exponent).build();
  }
}
