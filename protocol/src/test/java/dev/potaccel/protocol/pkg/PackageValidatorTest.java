package dev.potaccel.protocol.pkg;

import static dev.potaccel.protocol.pkg.TestPackages.TILING;
import static dev.potaccel.protocol.pkg.TestPackages.X;
import static dev.potaccel.protocol.pkg.TestPackages.XQ;
import static dev.potaccel.protocol.pkg.TestPackages.Y;
import static dev.potaccel.protocol.pkg.TestPackages.YQ;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.potaccel.error.ErrorKind;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class PackageValidatorTest {
  private static final String CONV1 = "command 1 (conv 'conv1')";

  @Test
  void minimalPackageIsValid() {
    assertDoesNotThrow(() -> PackageValidator.validate(TestPackages.minimal(), "t.potpkg"));
    assertDoesNotThrow(() -> PackageValidator.checkPackedCodes(TestPackages.minimal(), "t.potpkg"));
  }

  // ---- regions ----

  @Test
  void weightsRegionBeyondTheBlob() {
    AcceleratorPackage p = TestPackages.minimal();
    AcceleratorPackage bad = conv(p, c -> c.setWeights(TestPackages.region(32, 64)));
    PackageFormatException e = invalid(bad);
    assertEquals(ErrorKind.PACKAGE_FORMAT, e.kind());
    assertEquals(
        "t.potpkg: " + CONV1 + ": weights region [32, 96) ends beyond the weights blob (64 bytes)",
        e.getMessage());
  }

  @Test
  void weightsRegionOfTheWrongLength() {
    AcceleratorPackage bad =
        conv(TestPackages.minimal(), c -> c.setWeights(TestPackages.region(0, 32)));
    assertEquals(
        "t.potpkg: "
            + CONV1
            + ": weights region [0, 32) is 32 bytes; [3, 2, 3, 3] at 4 bits packed"
            + " for pe_out 2, burst 32 take 64",
        invalid(bad).getMessage());
  }

  @Test
  void biasRegionLengthAndAlignment() {
    AcceleratorPackage p = TestPackages.minimal();
    assertEquals(
        "t.potpkg: "
            + CONV1
            + ": bias region [0, 12) is 12 bytes; 3 int32 biases padded to pe_out 2"
            + " and burst 32 take 32",
        invalid(conv(p, c -> c.setBias(TestPackages.region(0, 12)))).getMessage());
    AcceleratorPackage shifted =
        conv(p, c -> c.setBias(TestPackages.region(16, 32))).toBuilder()
            .setBiases(ByteString.copyFrom(new byte[64]))
            .build();
    assertEquals(
        "t.potpkg: "
            + CONV1
            + ": bias region [16, 48) does not start at a multiple of burst_bytes 32",
        invalid(shifted).getMessage());
    assertTrue(
        invalid(conv(p, c -> c.clearBias()))
            .getMessage()
            .endsWith(
                "bias region is missing; needs 32"
                    + " bytes for 3 int32 biases padded to pe_out 2 and burst 32"));
  }

  // ---- codebooks ----

  @Test
  void nonPowerOfTwoEntryInAPotCodebook() {
    AcceleratorPackage p = TestPackages.minimal();
    AcceleratorPackage bad =
        codebook(
            p,
            cb ->
                cb.setEntries(
                    3,
                    CodebookEntry.newBuilder().setValue(3).addTerms(TestPackages.term(false, 1))));
    assertEquals(
        "t.potpkg: codebook 0 (POT, 4 bits): entry 3 (value 3) is not 0 or ±2^e (0 <= e <= 30)",
        invalid(bad).getMessage());
  }

  @Test
  void potEntryWhoseTermDoesNotMatch() {
    AcceleratorPackage bad =
        codebook(
            TestPackages.minimal(),
            cb ->
                cb.setEntries(
                    2,
                    CodebookEntry.newBuilder().setValue(2).addTerms(TestPackages.term(true, 1))));
    assertEquals(
        "t.potpkg: codebook 0 (POT, 4 bits): entry 2 (value 2) must carry exactly one term, +2^1,"
            + " found -2^1",
        invalid(bad).getMessage());
  }

  @Test
  void potReservedCodeMustDecodeToZero() {
    AcceleratorPackage bad =
        codebook(
            TestPackages.minimal(),
            cb ->
                cb.setEntries(
                    8,
                    CodebookEntry.newBuilder().setValue(-1).addTerms(TestPackages.term(true, 0))));
    assertEquals(
        "t.potpkg: codebook 0 (POT, 4 bits): entry 8 (value -1) is the reserved code (sign bit"
            + " with e_idx 0) and must be 0",
        invalid(bad).getMessage());
  }

  @Test
  void wrongEntryCount() {
    AcceleratorPackage bad =
        codebook(TestPackages.minimal(), cb -> cb.addEntries(CodebookEntry.newBuilder()));
    assertEquals(
        "t.potpkg: codebook 0 (POT, 4 bits): has 17 entries; 4-bit codes need exactly 2^4 = 16",
        invalid(bad).getMessage());
  }

  @Test
  void entryZeroMustBeZeroAndBitsInRange() {
    AcceleratorPackage p = TestPackages.minimal();
    assertEquals(
        "t.potpkg: codebook 0 (POT, 4 bits): entry 0 is 4; code 0 must decode to 0 (zero padding"
            + " relies on it)",
        invalid(
                codebook(
                    p,
                    cb ->
                        cb.setEntries(
                            0,
                            CodebookEntry.newBuilder()
                                .setValue(4)
                                .addTerms(TestPackages.term(false, 2)))))
            .getMessage());
    assertEquals(
        "t.potpkg: codebook 0 (POT, 9 bits): bits must be 2..8, got 9",
        invalid(codebook(p, cb -> cb.setBits(9))).getMessage());
  }

  @Test
  void int8CodebookIsTheTwosComplementIdentity() {
    AcceleratorPackage p =
        TestPackages.minimal().toBuilder().addCodebooks(TestPackages.int8(3)).build();
    assertDoesNotThrow(() -> PackageValidator.validate(p, "t.potpkg"));
    AcceleratorPackage bad =
        codebook(p, 1, cb -> cb.setEntries(4, CodebookEntry.newBuilder().setValue(4)));
    assertEquals(
        "t.potpkg: codebook 1 (INT8, 3 bits): entry 4 (value 4) must be -4, the two's-complement"
            + " value of code 4",
        invalid(bad).getMessage());
  }

  @Test
  void termsEntriesSumToTheirValueWithinK() {
    AcceleratorPackage p =
        TestPackages.minimal().toBuilder().addCodebooks(TestPackages.terms2()).build();
    assertDoesNotThrow(() -> PackageValidator.validate(p, "t.potpkg"));
    assertEquals(
        "t.potpkg: codebook 1 (TERMS, 2 bits): entry 1 (value 5): its terms +2^1 +2^0 sum to 3,"
            + " not 5",
        invalid(codebook(p, 1, cb -> cb.setEntries(1, cb.getEntries(1).toBuilder().setValue(5))))
            .getMessage());
    assertEquals(
        "t.potpkg: codebook 1 (TERMS, 2 bits): entry 2 (value -6) has 2 terms, more than"
            + " max_terms 1: -2^3 +2^1",
        invalid(
                codebook(
                    p,
                    1,
                    cb ->
                        cb.setMaxTerms(1)
                            .setEntries(
                                1,
                                CodebookEntry.newBuilder()
                                    .setValue(2)
                                    .addTerms(TestPackages.term(false, 1)))))
            .getMessage());
    assertEquals(
        "t.potpkg: codebook 1 (TERMS, 2 bits): max_terms must be 1..3, got 4",
        invalid(codebook(p, 1, cb -> cb.setMaxTerms(4))).getMessage());
  }

  @Test
  void lutLevelsStayBelowTwoToTheFifteen() {
    Codebook.Builder lut = Codebook.newBuilder().setFormat(WeightFormat.LUT).setBits(2);
    lut.addEntries(CodebookEntry.newBuilder().setValue(0));
    lut.addEntries(CodebookEntry.newBuilder().setValue(-32767));
    lut.addEntries(CodebookEntry.newBuilder().setValue(17));
    lut.addEntries(CodebookEntry.newBuilder().setValue(32768));
    AcceleratorPackage p = TestPackages.minimal().toBuilder().addCodebooks(lut).build();
    assertEquals(
        "t.potpkg: codebook 1 (LUT, 2 bits): entry 3 (value 32768): LUT levels must satisfy"
            + " |v| < 2^15",
        invalid(p).getMessage());
  }

  // ---- shapes ----

  @Test
  void outputGeometryMustChain() {
    AcceleratorPackage p = TestPackages.minimal();
    AcceleratorPackage bad =
        p.toBuilder()
            .setBuffers(YQ, TestPackages.codes("y_q", 8, false, 3, 3, 4, 5))
            .setBuffers(Y, TestPackages.floats("y", 3, 4, 5))
            .build();
    assertEquals(
        "t.potpkg: "
            + CONV1
            + ": buffer 2 ('y_q', [3, 4, 5]) is 4x5 but the geometry gives 4x4"
            + " from 4x4 (kernel 3x3, stride 1x1, dilation 1x1, pads 1,1,1,1)",
        invalid(bad).getMessage());

    assertEquals(
        "t.potpkg: " + CONV1 + ": out_channels is 4 but buffer 2 ('y_q', [3, 4, 4]) has 3 channels",
        invalid(conv(p, c -> c.setOutChannels(4))).getMessage());
    assertEquals(
        "t.potpkg: "
            + CONV1
            + ": buffer 1 ('x_q', [2, 4, 4]) has 2 channels, not divisible by"
            + " groups 3",
        invalid(conv(p, c -> c.setGroups(3))).getMessage());
    assertEquals(
        "t.potpkg: " + CONV1 + ": stride_h is 0; must be 1..2147483647",
        invalid(conv(p, c -> c.setStrideH(0))).getMessage());
  }

  @Test
  void stridedDilatedGeometryFollowsTheFloorFormula() {
    // 4x4 input, 3x3 kernel, dilation 2, stride 2, pads 2/1/1/0: H = floor((4+2+1-5)/2)+1 = 2,
    // W = floor((4+1+0-5)/2)+1 = 1
    AcceleratorPackage p = TestPackages.minimal();
    AcceleratorPackage strided =
        conv(
                p,
                c ->
                    c.setDilationH(2)
                        .setDilationW(2)
                        .setStrideH(2)
                        .setStrideW(2)
                        .setPadTop(2)
                        .setPadLeft(1)
                        .setPadBottom(1)
                        .setPadRight(0))
            .toBuilder()
            .setBuffers(YQ, TestPackages.codes("y_q", 8, false, 3, 3, 2, 1))
            .setBuffers(Y, TestPackages.floats("y", 3, 2, 1))
            .build();
    assertDoesNotThrow(() -> PackageValidator.validate(strided, "t.potpkg"));
  }

  @Test
  void convertJoinsAFloatAndACodeBufferOfEqualShape() {
    AcceleratorPackage p = TestPackages.minimal();
    AcceleratorPackage twoFloats =
        p.toBuilder().setCommands(0, TestPackages.convert("quant", X, Y)).build();
    assertEquals(
        "t.potpkg: command 0 (convert 'quant'): converts between FP32 and codes, but buffer 0 ('x',"
            + " [2, 4, 4]) and buffer 3 ('y', [3, 4, 4]) are both FP32",
        invalid(twoFloats).getMessage());
    AcceleratorPackage reshaped = p.toBuilder().setBuffers(Y, TestPackages.floats("y", 48)).build();
    assertEquals(
        "t.potpkg: command 2 (convert 'dequant'): buffer 2 ('y_q', [3, 4, 4]) and buffer 3 ('y',"
            + " [48]) differ in shape; a convert keeps the shape",
        invalid(reshaped).getMessage());
  }

  @Test
  void addPoolAndReshapeChain() {
    AcceleratorPackage p = TestPackages.minimal();
    // y_q -> maxpool 2x2/2 -> pooled [3,2,2] -> reshape [12]; add y_q + y_q -> sum [3,4,4]
    AcceleratorPackage.Builder b =
        p.toBuilder()
            .setBuffers(Y, TestPackages.floats("y", 12))
            .addBuffers(TestPackages.codes("pooled", 8, false, 3, 3, 2, 2)) // 4
            .addBuffers(TestPackages.codes("flat", 8, false, 3, 12)) // 5
            .addBuffers(TestPackages.codes("sum", 8, false, 2, 3, 4, 4)) // 6
            .addBuffers(TestPackages.codes("avg", 8, false, 3, 3, 1, 1)) // 7
            .removeCommands(2)
            .addCommands(
                Command.newBuilder()
                    .setName("pool")
                    .setPool(
                        PoolCommand.newBuilder()
                            .setInput(YQ)
                            .setOutput(4)
                            .setKind(PoolKind.MAX)
                            .setKernelH(2)
                            .setKernelW(2)
                            .setStrideH(2)
                            .setStrideW(2)))
            .addCommands(
                Command.newBuilder()
                    .setName("flatten")
                    .setReshape(ReshapeCommand.newBuilder().setInput(4).setOutput(5)))
            .addCommands(
                Command.newBuilder()
                    .setName("add")
                    .setAdd(
                        AddCommand.newBuilder()
                            .setInputA(YQ)
                            .setInputB(YQ)
                            .setOutput(6)
                            .setRequantize(Requantize.newBuilder().addShift(1))))
            .addCommands(
                Command.newBuilder()
                    .setName("gap")
                    .setPool(
                        PoolCommand.newBuilder()
                            .setInput(YQ)
                            .setOutput(7)
                            .setKind(PoolKind.GLOBAL_AVERAGE)))
            .addCommands(TestPackages.convert("dequant", 5, Y));
    AcceleratorPackage ok = b.build();
    assertDoesNotThrow(() -> PackageValidator.validate(ok, "t.potpkg"));

    assertEquals(
        "t.potpkg: command 3 (reshape 'flatten'): buffer 4 ('pooled', [3, 2, 2]) has 12 elements"
            + " but buffer 5 ('flat', [13]) has 13; a reshape keeps the element count",
        invalid(
                ok.toBuilder()
                    .setBuffers(5, TestPackages.codes("flat", 8, false, 3, 13))
                    .setBuffers(Y, TestPackages.floats("y", 13))
                    .build())
            .getMessage());
    assertEquals(
        "t.potpkg: command 4 (add 'add'): requantize shift is 0 but max(F_a, F_b) - F_y = 3 - 2 ="
            + " 1",
        invalid(command(ok, 4, c -> c.getAddBuilder().getRequantizeBuilder().setShift(0, 0)))
            .getMessage());
    assertEquals(
        "t.potpkg: command 4 (add 'add'): inputs differ in shape: buffer 2 ('y_q', [3, 4, 4]) and"
            + " buffer 4 ('pooled', [3, 2, 2]) (no broadcasting on the accelerator)",
        invalid(command(ok, 4, c -> c.getAddBuilder().setInputB(4))).getMessage());
    assertEquals(
        "t.potpkg: command 2 (pool 'pool'): buffer 4 ('pooled', [3, 2, 2]) is 2x2 but the geometry"
            + " gives 3x3 from 4x4 (kernel 2x2, stride 1x1, dilation 1x1, pads 0,0,0,0)",
        invalid(command(ok, 2, c -> c.getPoolBuilder().setStrideH(1).setStrideW(1))).getMessage());
    // global average over 4x4 = 16 = 2^4: no reciprocal; over a 3x3 kernel n = 9 needs 7282
    assertEquals(
        "t.potpkg: command 2 (pool 'pool'): reciprocal is 0 but a window of n = 9 needs"
            + " round(2^16 / n) = 7282",
        invalid(
                command(
                    ok,
                    2,
                    c ->
                        c.getPoolBuilder()
                            .setKind(PoolKind.AVERAGE)
                            .setKernelH(3)
                            .setKernelW(3)
                            .setStrideH(2)
                            .setStrideW(2)
                            .setPadBottom(1)
                            .setPadRight(1)))
            .getMessage());
    assertDoesNotThrow(
        () ->
            PackageValidator.validate(
                command(
                    ok,
                    2,
                    c ->
                        c.getPoolBuilder()
                            .setKind(PoolKind.AVERAGE)
                            .setKernelH(3)
                            .setKernelW(3)
                            .setStrideH(2)
                            .setStrideW(2)
                            .setPadBottom(1)
                            .setPadRight(1)
                            .setReciprocal(7282)),
                "t.potpkg"));
    assertEquals(
        "t.potpkg: command 2 (pool 'pool'): pooling keeps signedness and fractional length, but"
            + " buffer 2 ('y_q', [3, 4, 4]) is uint8 F=3 and buffer 4 ('pooled', [3, 2, 2]) is"
            + " uint8 F=2",
        invalid(
                ok.toBuilder()
                    .setBuffers(4, TestPackages.codes("pooled", 8, false, 2, 3, 2, 2))
                    .build())
            .getMessage());
  }

  // ---- data flow ----

  @Test
  void readBeforeWrite() {
    AcceleratorPackage p = TestPackages.minimal();
    AcceleratorPackage swapped =
        p.toBuilder().setCommands(0, p.getCommands(1)).setCommands(1, p.getCommands(0)).build();
    assertEquals(
        "t.potpkg: command 0 (conv 'conv1'): reads buffer 1 ('x_q', [2, 4, 4]) before any command"
            + " writes it (read-before-write: command 1 (convert 'quant') writes it later)",
        invalid(swapped).getMessage());
    AcceleratorPackage orphan = p.toBuilder().removeCommands(0).build();
    assertEquals(
        "t.potpkg: command 0 (conv 'conv1'): reads buffer 1 ('x_q', [2, 4, 4]) before any command"
            + " writes it (no command writes it and it is not a model input)",
        invalid(orphan).getMessage());
  }

  @Test
  void buffersAreWrittenOnceAndOutputsAreWritten() {
    AcceleratorPackage p = TestPackages.minimal();
    assertEquals(
        "t.potpkg: command 3 (convert 'again'): writes buffer 3 ('y', [3, 4, 4]), already written"
            + " by command 2 (convert 'dequant')",
        invalid(p.toBuilder().addCommands(TestPackages.convert("again", YQ, Y)).build())
            .getMessage());
    assertEquals(
        "t.potpkg: output_buffers[0]: buffer 3 ('y', [3, 4, 4]) is never written by any command",
        invalid(p.toBuilder().removeCommands(2).build()).getMessage());
    assertEquals(
        "t.potpkg: input_buffers[0]: buffer 1 ('x_q', [2, 4, 4]) must be FP32 (is_float): model"
            + " inputs arrive as floats and a convert command quantizes them",
        invalid(p.toBuilder().setInputBuffers(0, XQ).build()).getMessage());
    assertEquals(
        "t.potpkg: command 1 (conv 'conv1'): input buffer 9 does not exist (package has 4 buffers)",
        invalid(conv(p, c -> c.setInput(9))).getMessage());
  }

  // ---- requantization ----

  @Test
  void requantizeShiftsMatchTheFractionalLengths() {
    AcceleratorPackage p = TestPackages.minimal();
    assertEquals(
        "t.potpkg: "
            + CONV1
            + ": requantize shift[2] is 3 but output channel 2 needs F_x + F_w - F_y"
            + " = 4 + 3 - 3 = 4",
        invalid(conv(p, c -> c.getRequantizeBuilder().setShift(2, 3))).getMessage());
    assertEquals(
        "t.potpkg: " + CONV1 + ": requantize has 2 shifts; needs 1 or out_channels (3)",
        invalid(conv(p, c -> c.getRequantizeBuilder().clearShift().addShift(3).addShift(3)))
            .getMessage());
    assertEquals(
        "t.potpkg: " + CONV1 + ": has 2 weight_frac_bits; needs one per output channel (3)",
        invalid(conv(p, c -> c.clearWeightFracBits().addWeightFracBits(2).addWeightFracBits(2)))
            .getMessage());
    // one shift for all channels works when every F_w is equal
    assertDoesNotThrow(
        () ->
            PackageValidator.validate(
                conv(
                    p,
                    c -> c.setWeightFracBits(2, 2).getRequantizeBuilder().clearShift().addShift(3)),
                "t.potpkg"));
    assertEquals(
        "t.potpkg: " + CONV1 + ": LeakyReLU slope 2^-0: leaky_shift must be 1..31",
        invalid(conv(p, c -> c.getRequantizeBuilder().setActivation(Activation.LEAKY_RELU)))
            .getMessage());
  }

  // ---- requirements ----

  @Test
  void requirementsMustCoverTheContent() {
    AcceleratorPackage p = TestPackages.minimal();
    assertEquals(
        "t.potpkg: requirements.weight_formats: [INT8] does not list POT, which a conv command"
            + " uses",
        invalid(
                p.toBuilder()
                    .setRequirements(
                        p.getRequirements().toBuilder().setWeightFormats(0, WeightFormat.INT8))
                    .build())
            .getMessage());
    assertEquals(
        "t.potpkg: requirements.max_weight_tile_bytes: 10 is less than the 18 bytes of codes in one"
            + " weight tile of "
            + CONV1,
        invalid(
                p.toBuilder()
                    .setRequirements(p.getRequirements().toBuilder().setMaxWeightTileBytes(10))
                    .build())
            .getMessage());
    assertEquals(
        "t.potpkg: requirements.max_activation_bytes_per_image: 40 is less than the 48 bytes per"
            + " image of buffer 2 ('y_q', [3, 4, 4])",
        invalid(
                p.toBuilder()
                    .setRequirements(
                        p.getRequirements().toBuilder().setMaxActivationBytesPerImage(40))
                    .build())
            .getMessage());
    assertEquals(
        "t.potpkg: requirements: pe_out 0 and burst_bytes 32 must both be between 1 and 2147483647",
        invalid(p.toBuilder().setRequirements(p.getRequirements().toBuilder().setPeOut(0)).build())
            .getMessage());

    // a TERMS layer with k = 2 needs max_terms >= 2 and TERMS listed
    AcceleratorPackage terms = p.toBuilder().addCodebooks(TestPackages.terms2()).build();
    int[] codes = new int[3 * 2 * 9];
    Arrays.fill(codes, 1);
    byte[] w = WeightPacker.pack(codes, 3, 2, 3, 3, 2, TILING);
    AcceleratorPackage termsLayer =
        conv(terms, c -> c.setCodebook(1).setWeights(TestPackages.region(0, w.length))).toBuilder()
            .setWeights(ByteString.copyFrom(w))
            .setRequirements(
                p.getRequirements().toBuilder().addWeightFormats(WeightFormat.TERMS).setMaxTerms(1))
            .build();
    assertEquals(
        "t.potpkg: requirements.max_terms: 1 is less than k = 2 of codebook 1 of " + CONV1,
        invalid(termsLayer).getMessage());
    assertDoesNotThrow(
        () ->
            PackageValidator.checkPackedCodes(
                termsLayer.toBuilder()
                    .setRequirements(termsLayer.getRequirements().toBuilder().setMaxTerms(3))
                    .build(),
                "t"));
  }

  // ---- packed codes ----

  @Test
  void reservedPotCodeInPackedWeights() {
    AcceleratorPackage p = TestPackages.minimal();
    int[] codes = WeightPacker.unpack(p.getWeights().toByteArray(), 0, 3, 2, 3, 3, 4, TILING);
    codes[((2 * 2 + 1) * 3 + 2) * 3 + 0] = 8; // channel 2, c=1, ky=2, kx=0
    AcceleratorPackage bad =
        p.toBuilder()
            .setWeights(ByteString.copyFrom(WeightPacker.pack(codes, 3, 2, 3, 3, 4, TILING)))
            .build();
    assertDoesNotThrow(() -> PackageValidator.validate(bad, "t.potpkg"));
    PackageFormatException e =
        assertThrows(
            PackageFormatException.class, () -> PackageValidator.checkPackedCodes(bad, "t.potpkg"));
    // tile 1 starts at byte 32 and holds channel 2 alone; code index c=1·9 + ky=2·3 + kx=0 = 15,
    // bit 60 → byte 32 + 7
    assertEquals(
        "t.potpkg: "
            + CONV1
            + ": output channel 2 at (c=1, ky=2, kx=0) (weights byte 39) holds the"
            + " reserved POT code 8 (0b1000: sign bit with e_idx 0), which a packer never emits",
        e.getMessage());
    assertTrue(
        assertThrows(
                PackageFormatException.class,
                () -> PackageFile.fromBytes(PackageFile.toBytes(bad), "t.potpkg"))
            .getMessage()
            .contains("reserved POT code 8"));
  }

  @Test
  void gapsMustBeZeroAfterFullAndShortTiles() {
    AcceleratorPackage p = TestPackages.minimal();
    byte[] w = p.getWeights().toByteArray();
    byte[] gap = w.clone();
    gap[20] = 1; // tile 0 holds 18 bytes of codes, bytes 18..31 are the gap
    assertEquals(
        "t.potpkg: "
            + CONV1
            + ": weights byte 20 (after the codes of tile 0) is 0x1; the gap after a"
            + " tile must be zero bits",
        packed(p.toBuilder().setWeights(ByteString.copyFrom(gap)).build()).getMessage());
    // the short last tile (channel 2 only) holds 9 bytes of codes at 32..40; 41..63 are its gap
    byte[] shortGap = w.clone();
    shortGap[41] = (byte) 0x80;
    assertEquals(
        "t.potpkg: "
            + CONV1
            + ": weights byte 41 (after the codes of tile 1) is 0x80; the gap after a"
            + " tile must be zero bits",
        packed(p.toBuilder().setWeights(ByteString.copyFrom(shortGap)).build()).getMessage());
    assertDoesNotThrow(() -> PackageValidator.checkPackedCodes(p, "t.potpkg"));
  }

  @Test
  void accumulatorBoundMustFitInt32() {
    AcceleratorPackage p = TestPackages.minimal();
    byte[] bias = WeightPacker.packBias(new int[] {5, Integer.MAX_VALUE - 10, 0}, TILING);
    AcceleratorPackage bad = p.toBuilder().setBiases(ByteString.copyFrom(bias)).build();
    PackageFormatException e = packed(bad);
    assertTrue(
        e.getMessage()
            .startsWith(
                "t.potpkg: "
                    + CONV1
                    + ": output channel 1: accumulator bound"
                    + " xmax·Σ|v| + |bias| = 128·"),
        e.getMessage());
    assertTrue(
        e.getMessage().endsWith(" + 2147483637 exceeds 2^31 - 1 (docs/accelerator.md §1.4)"));
  }

  // ---- helpers ----

  private static PackageFormatException invalid(AcceleratorPackage p) {
    return assertThrows(
        PackageFormatException.class, () -> PackageValidator.validate(p, "t.potpkg"));
  }

  private static PackageFormatException packed(AcceleratorPackage p) {
    return assertThrows(
        PackageFormatException.class, () -> PackageValidator.checkPackedCodes(p, "t.potpkg"));
  }

  private static AcceleratorPackage conv(AcceleratorPackage p, Consumer<ConvCommand.Builder> edit) {
    return command(p, 1, c -> edit.accept(c.getConvBuilder()));
  }

  private static AcceleratorPackage command(
      AcceleratorPackage p, int index, Consumer<Command.Builder> edit) {
    AcceleratorPackage.Builder b = p.toBuilder();
    edit.accept(b.getCommandsBuilder(index));
    return b.build();
  }

  private static AcceleratorPackage codebook(
      AcceleratorPackage p, UnaryOperator<Codebook.Builder> edit) {
    return codebook(p, 0, edit);
  }

  private static AcceleratorPackage codebook(
      AcceleratorPackage p, int index, UnaryOperator<Codebook.Builder> edit) {
    AcceleratorPackage.Builder b = p.toBuilder();
    edit.apply(b.getCodebooksBuilder(index));
    return b.build();
  }
}
