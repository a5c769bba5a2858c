package dev.potaccel.protocol.pkg;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Checks that an {@link AcceleratorPackage} is one the contract (docs/accelerator.md §2, §4, §5)
 * allows, so a device can run it without further checks. Every failure is a {@link
 * PackageFormatException} whose message reads {@code source: field path: what is wrong}, e.g.
 * {@code r20.potpkg: command 12 (conv 'layer3.0.conv1'): weights region [90112, 98304) ends beyond
 * the weights blob (81920 bytes)}. The first problem found is reported.
 *
 * <p>{@link #validate} checks structure: versions, codebooks, buffers, regions, shapes, shifts,
 * data flow and requirements, without decoding the weights. {@link #checkPackedCodes} additionally
 * decodes every layer's weights (a few milliseconds for a ResNet-20) to refuse reserved codes,
 * non-zero gap bits and accumulators that could overflow (§1.4). Tile schedules (§4.1) must fit
 * the buffer sizes the requirements name.
 */
public final class PackageValidator {
  /** The largest level magnitude a LUT codebook may hold (exclusive), §2. */
  static final int LUT_LIMIT = 1 << 15;

  private PackageValidator() {}

  /**
   * Checks everything docs/accelerator.md §2 and §5 require of a package's structure.
   *
   * @param source the file (or other origin) named at the start of every message
   * @throws PackageFormatException naming the field path of the first problem
   */
  public static void validate(AcceleratorPackage p, String source) {
    new Structure(p, source == null ? "<package>" : source).check();
  }

  /**
   * {@link #validate}s the package, then decodes every conv's weights and refuses: the reserved POT
   * code (sign bit with {@code e_idx = 0}, which the packer never emits), non-zero bits in the gap
   * after a tile, and output channels whose accumulator bound {@code xmax · Σ|v| + |bias|} exceeds
   * {@code 2^31 - 1} (§1.4).
   *
   * @throws PackageFormatException naming the command, output channel and kernel position
   */
  public static void checkPackedCodes(AcceleratorPackage p, String source) {
    validate(p, source);
    checkPackedCodesOfValid(p, source == null ? "<package>" : source);
  }

  /** {@link #checkPackedCodes} for a package {@link #validate} has already accepted. */
  static void checkPackedCodesOfValid(AcceleratorPackage p, String source) {
    boolean anyConv = p.getCommandsList().stream().anyMatch(Command::hasConv);
    if (!anyConv) {
      return;
    }
    WeightTiling tiling = WeightTiling.of(p.getRequirements(), source);
    byte[] weights = p.getWeights().toByteArray();
    byte[] biases = p.getBiases().toByteArray();
    for (int i = 0; i < p.getCommandsCount(); i++) {
      Command command = p.getCommands(i);
      if (command.hasConv()) {
        checkConvCodes(p, source, i, command, tiling, weights, biases);
      }
    }
  }

  private static void checkConvCodes(
      AcceleratorPackage p,
      String source,
      int index,
      Command command,
      WeightTiling tiling,
      byte[] weights,
      byte[] biases) {
    ConvCommand conv = command.getConv();
    String where = source + ": " + commandWhere(index, command) + ": ";
    Buffer input = p.getBuffers(conv.getInput());
    int channels = input.getShape(0);
    int m = conv.getOutChannels();
    int cg = channels / conv.getGroups();
    int kh = conv.getKernelH();
    int kw = conv.getKernelW();
    Codebook cb = p.getCodebooks(conv.getCodebook());
    int bits = cb.getBits();
    int weightsOffset = (int) conv.getWeights().getOffset();
    WeightLayout layout = new WeightLayout(m, cg, kh, kw, bits, tiling);
    int[] codes = WeightPacker.unpack(weights, weightsOffset, m, cg, kh, kw, bits, tiling);
    int perChannel = cg * kh * kw;
    int reserved = cb.getFormat() == WeightFormat.POT ? 1 << (bits - 1) : -1;
    int[] bias = WeightPacker.unpackBias(biases, (int) conv.getBias().getOffset(), m, tiling);
    long xmax = input.getIsSigned() ? 1L << (input.getBits() - 1) : (1L << input.getBits()) - 1;
    long[] magnitude = new long[1 << bits];
    for (int c = 0; c < magnitude.length; c++) {
      magnitude[c] = Math.abs((long) cb.getEntries(c).getValue());
    }
    for (int ch = 0; ch < m; ch++) {
      long sum = 0;
      for (int j = 0; j < perChannel; j++) {
        int code = codes[ch * perChannel + j];
        if (code == reserved) {
          throw new PackageFormatException(
              where
                  + "output channel "
                  + ch
                  + " at "
                  + position(j, kh, kw)
                  + codeByte(weightsOffset, ch, j, layout)
                  + " holds the reserved POT code "
                  + code
                  + " (0b"
                  + Integer.toBinaryString(code)
                  + ": sign bit with e_idx 0), which a packer never emits");
        } else if (sum <= 1L << 32) {
          sum += magnitude[code];
        }
      }
      long bound = xmax * sum + Math.abs((long) bias[ch]);
      if (bound > Integer.MAX_VALUE) {
        throw new PackageFormatException(
            where
                + "output channel "
                + ch
                + ": accumulator bound xmax·Σ|v| + |bias| = "
                + xmax
                + "·"
                + (sum > 1L << 32 ? ">2^32" : Long.toString(sum))
                + " + "
                + Math.abs((long) bias[ch])
                + " exceeds 2^31 - 1 (docs/accelerator.md §1.4)");
      }
    }
    for (int t = 0; t < layout.tiles(); t++) {
      int start = weightsOffset + (int) layout.offset(t);
      int dataBytes = (int) layout.dataBytes(t);
      int usedInLast = (int) (layout.tileBits(t) % 8);
      if (usedInLast != 0 && (weights[start + dataBytes - 1] & 0xFF) >>> usedInLast != 0) {
        throw gap(where, t, start + dataBytes - 1, weights);
      }
      for (int b = start + dataBytes; b < start + layout.stride(t); b++) {
        if (weights[b] != 0) {
          throw gap(where, t, b, weights);
        }
      }
    }
  }

  private static PackageFormatException gap(String where, int tile, int offset, byte[] weights) {
    return new PackageFormatException(
        where
            + "weights byte "
            + offset
            + " (after the codes of tile "
            + tile
            + ") is 0x"
            + Integer.toHexString(weights[offset] & 0xFF)
            + "; the gap after a tile must be zero bits");
  }

  private static String position(int j, int kh, int kw) {
    return "(c=" + j / (kh * kw) + ", ky=" + j / kw % kh + ", kx=" + j % kw + ")";
  }

  private static String codeByte(int offset, int ch, int j, WeightLayout layout) {
    int tile = ch / layout.tiling().peOut();
    long bit = ((long) j * layout.width(tile) + ch % layout.tiling().peOut()) * layout.bits();
    return " (weights byte " + (offset + layout.offset(tile) + bit / 8) + ")";
  }

  static String commandWhere(int index, Command c) {
    return "command " + index + " (" + opName(c) + " '" + c.getName() + "')";
  }

  private static String opName(Command c) {
    return switch (c.getOpCase()) {
      case CONV -> "conv";
      case POOL -> "pool";
      case ADD -> "add";
      case RESHAPE -> "reshape";
      case CONVERT -> "convert";
      case HOST -> "host";
      case OP_NOT_SET -> "no op";
    };
  }

  /** Unknown versions, for {@link PackageFile} to report before anything else. */
  static void checkVersions(AcceleratorPackage p, String source) {
    String writtenBy =
        p.getProvenance().getToolVersion().isEmpty()
            ? ""
            : " (written by potaccel " + p.getProvenance().getToolVersion() + ")";
    checkVersion(
        source, "format_version", p.getFormatVersion(), PackageFile.FORMAT_VERSION, writtenBy);
    checkVersion(
        source,
        "contract_version",
        p.getContractVersion(),
        PackageFile.CONTRACT_VERSION,
        writtenBy);
    checkVersion(
        source, "layout_version", p.getLayoutVersion(), PackageFile.LAYOUT_VERSION, writtenBy);
  }

  static void checkVersion(
      String source, String field, int found, int supported, String writtenBy) {
    if (found != supported) {
      throw new PackageFormatException(
          source
              + ": "
              + field
              + " "
              + Integer.toUnsignedString(found)
              + " is not supported"
              + writtenBy
              + "; this potaccel reads "
              + field.replace('_', ' ')
              + " "
              + supported
              + " only: compile the model again with this version");
    }
  }

  /** The structural checks of {@link #validate}, one package at a time. */
  private static final class Structure {
    private static final int UNWRITTEN = -1;
    private static final int MODEL_INPUT = -2;

    private final AcceleratorPackage p;
    private final String source;
    private final int bufferCount;
    private final int[] writer;
    private final Set<WeightFormat> usedFormats = EnumSet.noneOf(WeightFormat.class);
    private WeightTiling tiling;
    private int maxTermsUsed;
    private String maxTermsUser = "";
    private long maxTileBytes;
    private String maxTileUser = "";
    /** The buffers every conv's schedule must fit; null in a package without schedules. */
    private TileScheduler.BufferSizes bufferSizes;

    Structure(AcceleratorPackage p, String source) {
      this.p = p;
      this.source = source;
      this.bufferCount = p.getBuffersCount();
      this.writer = new int[bufferCount];
      Arrays.fill(writer, UNWRITTEN);
    }

    private PackageFormatException fail(String where, String what) {
      return new PackageFormatException(source + ": " + where + ": " + what);
    }

    void check() {
      checkVersions(p, source);
      if (p.getCommandsList().stream().anyMatch(Command::hasConv)) {
        tiling = WeightTiling.of(p.getRequirements(), source);
      }
      checkBufferSizes();
      for (int i = 0; i < p.getCodebooksCount(); i++) {
        checkCodebook(i, p.getCodebooks(i));
      }
      for (int i = 0; i < bufferCount; i++) {
        checkBuffer(i, p.getBuffers(i));
      }
      checkModelInputs();
      for (int i = 0; i < p.getCommandsCount(); i++) {
        checkCommand(i, p.getCommands(i));
      }
      checkModelOutputs();
      checkRequirements();
    }

    // ---- codebooks (§2) ----

    private void checkCodebook(int index, Codebook cb) {
      String where = "codebook " + index + " (" + cb.getFormat() + ", " + cb.getBits() + " bits)";
      WeightFormat format = cb.getFormat();
      if (format == WeightFormat.WEIGHT_FORMAT_UNSPECIFIED || format == WeightFormat.UNRECOGNIZED) {
        throw fail(
            where,
            "format is not one of INT8, POT, TERMS, LUT (value " + cb.getFormatValue() + ")");
      }
      int bits = cb.getBits();
      if (bits < 2 || bits > 8) {
        throw fail(where, "bits must be 2..8, got " + Integer.toUnsignedString(bits));
      }
      int size = 1 << bits;
      if (cb.getEntriesCount() != size) {
        throw fail(
            where,
            "has "
                + cb.getEntriesCount()
                + " entries; "
                + bits
                + "-bit codes need exactly 2^"
                + bits
                + " = "
                + size);
      }
      if (cb.getEntries(0).getValue() != 0) {
        throw fail(
            where,
            "entry 0 is "
                + cb.getEntries(0).getValue()
                + "; code 0 must decode to 0 (zero padding relies on it)");
      }
      int k = cb.getMaxTerms();
      if (format == WeightFormat.TERMS && (k < 1 || k > 3)) {
        throw fail(where, "max_terms must be 1..3, got " + Integer.toUnsignedString(k));
      }
      for (int c = 0; c < size; c++) {
        CodebookEntry e = cb.getEntries(c);
        String entry = "entry " + c + " (value " + e.getValue() + ")";
        switch (format) {
          case INT8 -> {
            int expected = c < size / 2 ? c : c - size;
            if (e.getValue() != expected) {
              throw fail(
                  where,
                  entry + " must be " + expected + ", the two's-complement value of code " + c);
            }
            noTerms(where, entry, e);
          }
          case POT -> checkPotEntry(where, entry, c, bits, e);
          case TERMS -> checkTermsEntry(where, entry, k, e);
          case LUT -> {
            if (Math.abs((long) e.getValue()) >= LUT_LIMIT) {
              throw fail(where, entry + ": LUT levels must satisfy |v| < 2^15");
            }
            noTerms(where, entry, e);
          }
          default -> throw new IllegalStateException(format.toString());
        }
      }
    }

    private void noTerms(String where, String entry, CodebookEntry e) {
      if (e.getTermsCount() != 0) {
        throw fail(
            where,
            entry
                + " carries "
                + e.getTermsCount()
                + " terms; only POT and TERMS entries have terms");
      }
    }

    private void checkPotEntry(String where, String entry, int code, int bits, CodebookEntry e) {
      int v = e.getValue();
      if (code == 1 << (bits - 1) && v != 0) {
        throw fail(where, entry + " is the reserved code (sign bit with e_idx 0) and must be 0");
      }
      if (v == 0) {
        noTerms(where, entry, e);
        return;
      }
      long magnitude = Math.abs((long) v);
      if (Long.bitCount(magnitude) != 1 || magnitude > 1 << 30) {
        throw fail(where, entry + " is not 0 or ±2^e (0 <= e <= 30)");
      }
      int exponent = Long.numberOfTrailingZeros(magnitude);
      if (e.getTermsCount() != 1
          || e.getTerms(0).getNegative() != (v < 0)
          || e.getTerms(0).getExponent() != exponent) {
        throw fail(
            where,
            entry
                + " must carry exactly one term, "
                + (v < 0 ? "-" : "+")
                + "2^"
                + exponent
                + ", found "
                + terms(e));
      }
    }

    private void checkTermsEntry(String where, String entry, int k, CodebookEntry e) {
      if (e.getTermsCount() > k) {
        throw fail(
            where,
            entry
                + " has "
                + e.getTermsCount()
                + " terms, more than max_terms "
                + k
                + ": "
                + terms(e));
      }
      long sum = 0;
      for (PowerOfTwoTerm t : e.getTermsList()) {
        if (t.getExponent() < 0 || t.getExponent() > 30) {
          throw fail(
              where,
              entry
                  + " has a term with exponent "
                  + t.getExponent()
                  + "; exponents are 0..30 (integer levels)");
        }
        sum += (t.getNegative() ? -1L : 1L) << t.getExponent();
      }
      if (sum != e.getValue()) {
        throw fail(
            where, entry + ": its terms " + terms(e) + " sum to " + sum + ", not " + e.getValue());
      }
    }

    private static String terms(CodebookEntry e) {
      List<String> out = new ArrayList<>();
      for (PowerOfTwoTerm t : e.getTermsList()) {
        out.add((t.getNegative() ? "-" : "+") + "2^" + t.getExponent());
      }
      return out.isEmpty() ? "no terms" : String.join(" ", out);
    }

    // ---- buffers and model inputs/outputs ----

    private void checkBuffer(int index, Buffer b) {
      String where = "buffer " + index + " ('" + b.getName() + "')";
      if (b.getShapeCount() == 0) {
        throw fail(where, "has no shape");
      }
      for (int d = 0; d < b.getShapeCount(); d++) {
        if (b.getShape(d) <= 0) {
          throw fail(
              where,
              "shape "
                  + shape(b)
                  + " has dimension "
                  + d
                  + " = "
                  + Integer.toUnsignedString(b.getShape(d))
                  + " (must be 1.."
                  + Integer.MAX_VALUE
                  + ")");
        }
      }
      if (elements(b) > Integer.MAX_VALUE) {
        throw fail(where, "shape " + shape(b) + " has more than 2^31 - 1 elements per image");
      }
      if (b.getIsFloat()) {
        if (b.getBits() != 32) {
          throw fail(
              where,
              "is FP32 (is_float) but bits is "
                  + Integer.toUnsignedString(b.getBits())
                  + ", must be 32");
        }
      } else if (b.getBits() < 2 || b.getBits() > 8) {
        throw fail(
            where,
            "holds accelerator codes, bits must be 2..8, got "
                + Integer.toUnsignedString(b.getBits()));
      }
    }

    private void checkModelInputs() {
      if (p.getInputBuffersCount() == 0) {
        throw fail("input_buffers", "is empty; a package needs at least one model input");
      }
      for (int i = 0; i < p.getInputBuffersCount(); i++) {
        String where = "input_buffers[" + i + "]";
        int b = bufferIndex(where, "buffer", p.getInputBuffers(i));
        if (!p.getBuffers(b).getIsFloat()) {
          throw fail(
              where,
              describe(b)
                  + " must be FP32 (is_float): model inputs arrive as"
                  + " floats and a convert command quantizes them");
        }
        if (writer[b] == MODEL_INPUT) {
          throw fail(where, describe(b) + " is listed twice");
        }
        writer[b] = MODEL_INPUT;
      }
    }

    private void checkModelOutputs() {
      if (p.getOutputBuffersCount() == 0) {
        throw fail("output_buffers", "is empty; a package needs at least one model output");
      }
      for (int i = 0; i < p.getOutputBuffersCount(); i++) {
        String where = "output_buffers[" + i + "]";
        int b = bufferIndex(where, "buffer", p.getOutputBuffers(i));
        if (!p.getBuffers(b).getIsFloat()) {
          throw fail(
              where,
              describe(b)
                  + " must be FP32 (is_float): model outputs leave as"
                  + " floats after a convert command");
        }
        if (writer[b] == UNWRITTEN) {
          throw fail(where, describe(b) + " is never written by any command");
        }
      }
    }

    // ---- commands ----

    private void checkCommand(int index, Command c) {
      String where = commandWhere(index, c);
      int[] reads;
      int[] writes;
      switch (c.getOpCase()) {
        case CONV -> {
          ConvCommand conv = c.getConv();
          int in = bufferIndex(where, "input", conv.getInput());
          int out = bufferIndex(where, "output", conv.getOutput());
          checkConv(where, conv, in, out);
          reads = new int[] {in};
          writes = new int[] {out};
        }
        case POOL -> {
          PoolCommand pool = c.getPool();
          int in = bufferIndex(where, "input", pool.getInput());
          int out = bufferIndex(where, "output", pool.getOutput());
          checkPool(where, pool, in, out);
          reads = new int[] {in};
          writes = new int[] {out};
        }
        case ADD -> {
          AddCommand add = c.getAdd();
          int a = bufferIndex(where, "input_a", add.getInputA());
          int b = bufferIndex(where, "input_b", add.getInputB());
          int out = bufferIndex(where, "output", add.getOutput());
          checkAdd(where, add, a, b, out);
          reads = new int[] {a, b};
          writes = new int[] {out};
        }
        case RESHAPE -> {
          int in = bufferIndex(where, "input", c.getReshape().getInput());
          int out = bufferIndex(where, "output", c.getReshape().getOutput());
          checkReshape(where, in, out);
          reads = new int[] {in};
          writes = new int[] {out};
        }
        case CONVERT -> {
          int in = bufferIndex(where, "input", c.getConvert().getInput());
          int out = bufferIndex(where, "output", c.getConvert().getOutput());
          checkConvert(where, in, out);
          reads = new int[] {in};
          writes = new int[] {out};
        }
        case HOST -> {
          HostCommand host = c.getHost();
          reads = hostBuffers(where, "inputs", host.getInputsList());
          writes = hostBuffers(where, "outputs", host.getOutputsList());
          if (writes.length == 0) {
            throw fail(where, "has no outputs");
          }
          if (host.getNodesCount() == 0) {
            throw fail(where, "runs no host_graph nodes");
          }
          if (p.getHostGraph().getOnnxModel().isEmpty()) {
            throw fail(where, "runs host nodes but host_graph.onnx_model is empty");
          }
        }
        case OP_NOT_SET -> throw fail(where, "has no operation (oneof op is not set)");
        default -> throw new IllegalStateException(c.getOpCase().toString());
      }
      for (int b : reads) {
        if (writer[b] == UNWRITTEN) {
          int later = laterWriter(index, b);
          throw fail(
              where,
              "reads "
                  + describe(b)
                  + " before any command writes it"
                  + (later >= 0
                      ? " (read-before-write: "
                          + commandWhere(later, p.getCommands(later))
                          + " writes it later)"
                      : " (no command writes it and it is not a model input)"));
        }
      }
      for (int b : writes) {
        if (writer[b] == MODEL_INPUT) {
          throw fail(where, "writes " + describe(b) + ", which is a model input");
        }
        if (writer[b] != UNWRITTEN) {
          throw fail(
              where,
              "writes "
                  + describe(b)
                  + ", already written by "
                  + commandWhere(writer[b], p.getCommands(writer[b])));
        }
        writer[b] = index;
      }
    }

    private int laterWriter(int index, int buffer) {
      for (int i = index; i < p.getCommandsCount(); i++) {
        Command c = p.getCommands(i);
        List<Integer> outs =
            switch (c.getOpCase()) {
              case CONV -> List.of(c.getConv().getOutput());
              case POOL -> List.of(c.getPool().getOutput());
              case ADD -> List.of(c.getAdd().getOutput());
              case RESHAPE -> List.of(c.getReshape().getOutput());
              case CONVERT -> List.of(c.getConvert().getOutput());
              case HOST -> c.getHost().getOutputsList();
              default -> List.of();
            };
        if (outs.contains(buffer)) {
          return i;
        }
      }
      return -1;
    }

    private void checkConv(String where, ConvCommand conv, int in, int out) {
      codes(where, "input", in);
      codes(where, "output", out);
      long[] x = chw(where, "input", in, "a [C, H, W] or [K]");
      long[] y = chw(where, "output", out, "a [M, H, W] or [M]");
      positive(where, "kernel_h", conv.getKernelH());
      positive(where, "kernel_w", conv.getKernelW());
      positive(where, "stride_h", conv.getStrideH());
      positive(where, "stride_w", conv.getStrideW());
      positive(where, "dilation_h", conv.getDilationH());
      positive(where, "dilation_w", conv.getDilationW());
      positive(where, "groups", conv.getGroups());
      positive(where, "out_channels", conv.getOutChannels());
      long g = conv.getGroups();
      long m = conv.getOutChannels();
      if (x[0] % g != 0) {
        throw fail(
            where, describe(in) + " has " + x[0] + " channels, not divisible by groups " + g);
      }
      if (m % g != 0) {
        throw fail(where, "out_channels " + m + " is not divisible by groups " + g);
      }
      if (y[0] != m) {
        throw fail(
            where, "out_channels is " + m + " but " + describe(out) + " has " + y[0] + " channels");
      }
      checkGeometry(
          where,
          in,
          out,
          x,
          y,
          conv.getKernelH(),
          conv.getKernelW(),
          conv.getDilationH(),
          conv.getDilationW(),
          conv.getStrideH(),
          conv.getStrideW(),
          conv.getPadTop(),
          conv.getPadLeft(),
          conv.getPadBottom(),
          conv.getPadRight());

      long cb = Integer.toUnsignedLong(conv.getCodebook());
      if (cb >= p.getCodebooksCount()) {
        throw fail(
            where,
            "codebook "
                + cb
                + " does not exist (package has "
                + p.getCodebooksCount()
                + " codebooks)");
      }
      Codebook codebook = p.getCodebooks((int) cb);
      int bits = codebook.getBits();
      usedFormats.add(codebook.getFormat());
      if (codebook.getFormat() == WeightFormat.TERMS && codebook.getMaxTerms() > maxTermsUsed) {
        maxTermsUsed = codebook.getMaxTerms();
        maxTermsUser = "codebook " + cb + " of " + where;
      }
      int cg = (int) (x[0] / g);
      long expected;
      long tileBytes;
      try {
        expected =
            WeightPacker.packedSize(
                (int) m, cg, conv.getKernelH(), conv.getKernelW(), bits, tiling);
        tileBytes =
            WeightPacker.tileDataBytes(cg, conv.getKernelH(), conv.getKernelW(), bits, tiling);
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw fail(
            where,
            "weights of ["
                + m
                + ", "
                + cg
                + ", "
                + conv.getKernelH()
                + ", "
                + conv.getKernelW()
                + "] are too large to pack");
      }
      if (tileBytes > maxTileBytes) {
        maxTileBytes = tileBytes;
        maxTileUser = where;
      }
      String shape =
          "["
              + m
              + ", "
              + cg
              + ", "
              + conv.getKernelH()
              + ", "
              + conv.getKernelW()
              + "] at "
              + bits
              + " bits";
      checkRegion(
          where,
          "weights",
          conv.hasWeights() ? conv.getWeights() : null,
          p.getWeights().size(),
          "weights blob",
          expected,
          shape + " packed for pe_out " + tiling.peOut() + ", burst " + tiling.burstBytes());
      checkRegion(
          where,
          "bias",
          conv.hasBias() ? conv.getBias() : null,
          p.getBiases().size(),
          "biases blob",
          WeightPacker.packedBiasSize((int) m, tiling),
          m
              + " int32 biases padded to pe_out "
              + tiling.peOut()
              + " and burst "
              + tiling.burstBytes());

      checkSchedule(where, conv, in, out, bits);

      if (conv.getWeightFracBitsCount() != m) {
        throw fail(
            where,
            "has "
                + conv.getWeightFracBitsCount()
                + " weight_frac_bits; needs one per output channel ("
                + m
                + ")");
      }
      Requantize rq = conv.getRequantize();
      int shifts = rq.getShiftCount();
      if (shifts != 1 && shifts != m) {
        throw fail(
            where, "requantize has " + shifts + " shifts; needs 1 or out_channels (" + m + ")");
      }
      Buffer bx = p.getBuffers(in);
      Buffer by = p.getBuffers(out);
      checkActivation(where, rq, out);
      for (int ch = 0; ch < m; ch++) {
        long s = (long) bx.getFracBits() + conv.getWeightFracBits(ch) - by.getFracBits();
        int given = rq.getShift(shifts == 1 ? 0 : ch);
        if (given != s) {
          throw fail(
              where,
              "requantize shift"
                  + (shifts == 1 ? "" : "[" + ch + "]")
                  + " is "
                  + given
                  + " but output channel "
                  + ch
                  + " needs F_x + F_w - F_y = "
                  + bx.getFracBits()
                  + " + "
                  + conv.getWeightFracBits(ch)
                  + " - "
                  + by.getFracBits()
                  + " = "
                  + s);
        }
      }
    }

    /**
     * A conv carries a schedule exactly when the requirements name buffer sizes, and the schedule
     * must fit them (§4.1).
     */
    private void checkSchedule(String where, ConvCommand conv, int in, int out, int bits) {
      if (bufferSizes == null) {
        if (conv.hasSchedule()) {
          throw fail(
              where,
              "has a schedule, but requirements names no weight_buffer_bytes and"
                  + " activation_buffer_bytes for it to fit");
        }
        return;
      }
      if (!conv.hasSchedule()) {
        throw fail(
            where,
            "has no schedule; requirements names the buffers ("
                + bufferSizes
                + "), so every conv needs a schedule that fits them");
      }
      TileScheduler.ConvShape shape =
          TileScheduler.ConvShape.of(p.getBuffers(in), p.getBuffers(out), conv, bits, tiling);
      String problem = TileScheduler.problem(shape, conv.getSchedule(), bufferSizes);
      if (problem != null) {
        throw fail(where, problem);
      }
    }

    private void checkActivation(String where, Requantize rq, int out) {
      switch (rq.getActivation()) {
        case ACTIVATION_NONE, RELU -> {}
        case RELU6 -> {
          if (p.getBuffers(out).getFracBits() < 0) {
            throw fail(
                where,
                "ReLU6 needs F_y >= 0 so 6 is representable, "
                    + describe(out)
                    + " has F "
                    + p.getBuffers(out).getFracBits());
          }
        }
        case LEAKY_RELU -> {
          if (rq.getLeakyShift() < 1 || rq.getLeakyShift() > 31) {
            throw fail(
                where,
                "LeakyReLU slope 2^-"
                    + Integer.toUnsignedString(rq.getLeakyShift())
                    + ": leaky_shift must be 1..31");
          }
        }
        default ->
            throw fail(
                where,
                "requantize activation "
                    + rq.getActivationValue()
                    + " is not one of NONE, RELU, RELU6, LEAKY_RELU");
      }
    }

    private void checkRegion(
        String where,
        String field,
        Region r,
        long blobSize,
        String blob,
        long expected,
        String what) {
      if (r == null) {
        throw fail(where, field + " region is missing; needs " + expected + " bytes for " + what);
      }
      long offset = r.getOffset();
      long length = r.getLength();
      String range =
          "["
              + Long.toUnsignedString(offset)
              + ", "
              + (offset < 0 || length < 0 || offset + length < 0
                  ? "beyond 2^63"
                  : Long.toString(offset + length))
              + ")";
      if (length != expected) {
        throw fail(
            where,
            field
                + " region "
                + range
                + " is "
                + Long.toUnsignedString(length)
                + " bytes; "
                + what
                + " take "
                + expected);
      }
      if (offset < 0 || offset + length < 0 || offset + length > blobSize) {
        throw fail(
            where,
            field + " region " + range + " ends beyond the " + blob + " (" + blobSize + " bytes)");
      }
      if (offset % tiling.burstBytes() != 0) {
        throw fail(
            where,
            field
                + " region "
                + range
                + " does not start at a multiple of"
                + " burst_bytes "
                + tiling.burstBytes());
      }
    }

    private void checkPool(String where, PoolCommand pool, int in, int out) {
      codes(where, "input", in);
      codes(where, "output", out);
      Buffer bx = p.getBuffers(in);
      Buffer by = p.getBuffers(out);
      if (bx.getShapeCount() != 3) {
        throw fail(where, "pooling needs a [C, H, W] input, " + describe(in) + " is not");
      }
      long[] x = chw(where, "input", in, "a [C, H, W]");
      long[] y = chw(where, "output", out, "a [C, H, W] or [C]");
      if (x[0] != y[0]) {
        throw fail(
            where,
            describe(in) + " has " + x[0] + " channels but " + describe(out) + " has " + y[0]);
      }
      if (bx.getIsSigned() != by.getIsSigned() || bx.getFracBits() != by.getFracBits()) {
        throw fail(
            where,
            "pooling keeps signedness and fractional length, but "
                + describe(in)
                + " is "
                + codeType(bx)
                + " and "
                + describe(out)
                + " is "
                + codeType(by));
      }
      long n;
      switch (pool.getKind()) {
        case MAX, AVERAGE -> {
          positive(where, "kernel_h", pool.getKernelH());
          positive(where, "kernel_w", pool.getKernelW());
          positive(where, "stride_h", pool.getStrideH());
          positive(where, "stride_w", pool.getStrideW());
          checkGeometry(
              where,
              in,
              out,
              x,
              y,
              pool.getKernelH(),
              pool.getKernelW(),
              1,
              1,
              pool.getStrideH(),
              pool.getStrideW(),
              pool.getPadTop(),
              pool.getPadLeft(),
              pool.getPadBottom(),
              pool.getPadRight());
          n = (long) pool.getKernelH() * pool.getKernelW();
        }
        case GLOBAL_AVERAGE -> {
          if (y[1] != 1 || y[2] != 1) {
            throw fail(
                where, "global average pooling outputs [C, 1, 1], " + describe(out) + " is not");
          }
          n = x[1] * x[2];
        }
        default ->
            throw fail(
                where,
                "pool kind " + pool.getKindValue() + " is not one of MAX, AVERAGE, GLOBAL_AVERAGE");
      }
      if (pool.getKind() != PoolKind.MAX && Long.bitCount(n) != 1) {
        long r = (2 * 65536L + n) / (2 * n); // round(2^16 / n), ties up
        if (Integer.toUnsignedLong(pool.getReciprocal()) != r) {
          throw fail(
              where,
              "reciprocal is "
                  + Integer.toUnsignedString(pool.getReciprocal())
                  + " but a window of n = "
                  + n
                  + " needs round(2^16 / n) = "
                  + r);
        }
      }
    }

    private void checkAdd(String where, AddCommand add, int a, int b, int out) {
      codes(where, "input_a", a);
      codes(where, "input_b", b);
      codes(where, "output", out);
      Buffer ba = p.getBuffers(a);
      Buffer bb = p.getBuffers(b);
      Buffer by = p.getBuffers(out);
      if (!ba.getShapeList().equals(bb.getShapeList())) {
        throw fail(
            where,
            "inputs differ in shape: "
                + describe(a)
                + " and "
                + describe(b)
                + " (no broadcasting on the accelerator)");
      }
      if (!ba.getShapeList().equals(by.getShapeList())) {
        throw fail(where, describe(out) + " differs in shape from the inputs " + shape(ba));
      }
      Requantize rq = add.getRequantize();
      if (rq.getShiftCount() != 1) {
        throw fail(where, "requantize has " + rq.getShiftCount() + " shifts; add needs exactly 1");
      }
      checkActivation(where, rq, out);
      long f = Math.max(ba.getFracBits(), bb.getFracBits());
      long s = f - by.getFracBits();
      if (rq.getShift(0) != s) {
        throw fail(
            where,
            "requantize shift is "
                + rq.getShift(0)
                + " but max(F_a, F_b) - F_y = "
                + f
                + " - "
                + by.getFracBits()
                + " = "
                + s);
      }
    }

    private void checkReshape(String where, int in, int out) {
      Buffer bx = p.getBuffers(in);
      Buffer by = p.getBuffers(out);
      if (elements(bx) != elements(by)) {
        throw fail(
            where,
            describe(in)
                + " has "
                + elements(bx)
                + " elements but "
                + describe(out)
                + " has "
                + elements(by)
                + "; a reshape keeps the element count");
      }
      if (bx.getIsFloat() != by.getIsFloat()
          || bx.getBits() != by.getBits()
          || bx.getIsSigned() != by.getIsSigned()
          || bx.getFracBits() != by.getFracBits()) {
        throw fail(
            where,
            "a reshape is a view of the same bytes, but "
                + describe(in)
                + " is "
                + codeType(bx)
                + " and "
                + describe(out)
                + " is "
                + codeType(by));
      }
    }

    private void checkConvert(String where, int in, int out) {
      Buffer bx = p.getBuffers(in);
      Buffer by = p.getBuffers(out);
      if (bx.getIsFloat() == by.getIsFloat()) {
        throw fail(
            where,
            "converts between FP32 and codes, but "
                + describe(in)
                + " and "
                + describe(out)
                + " are both "
                + (bx.getIsFloat() ? "FP32" : "codes"));
      }
      if (!bx.getShapeList().equals(by.getShapeList())) {
        throw fail(
            where,
            describe(in) + " and " + describe(out) + " differ in shape; a convert keeps the shape");
      }
    }

    private int[] hostBuffers(String where, String field, List<Integer> indices) {
      int[] out = new int[indices.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = bufferIndex(where, field + "[" + i + "]", indices.get(i));
        if (!p.getBuffers(out[i]).getIsFloat()) {
          throw fail(
              where,
              field
                  + "["
                  + i
                  + "]: "
                  + describe(out[i])
                  + " holds codes; host commands read and write FP32 buffers");
        }
      }
      return out;
    }

    private void checkGeometry(
        String where,
        int in,
        int out,
        long[] x,
        long[] y,
        int kh,
        int kw,
        int dh,
        int dw,
        int sh,
        int sw,
        int pt,
        int pl,
        int pb,
        int pr) {
      long oh = outSize(x[1], pt, pb, kh, dh, sh);
      long ow = outSize(x[2], pl, pr, kw, dw, sw);
      if (oh < 1 || ow < 1) {
        throw fail(
            where,
            "the "
                + kh
                + "x"
                + kw
                + " kernel (dilation "
                + dh
                + "x"
                + dw
                + ") does not fit "
                + describe(in)
                + " with pads (top "
                + Integer.toUnsignedString(pt)
                + ", left "
                + Integer.toUnsignedString(pl)
                + ", bottom "
                + Integer.toUnsignedString(pb)
                + ", right "
                + Integer.toUnsignedString(pr)
                + ")");
      }
      if (y[1] != oh || y[2] != ow) {
        throw fail(
            where,
            describe(out)
                + " is "
                + y[1]
                + "x"
                + y[2]
                + " but the geometry gives "
                + oh
                + "x"
                + ow
                + " from "
                + x[1]
                + "x"
                + x[2]
                + " (kernel "
                + kh
                + "x"
                + kw
                + ", stride "
                + sh
                + "x"
                + sw
                + ", dilation "
                + dh
                + "x"
                + dw
                + ", pads "
                + Integer.toUnsignedString(pt)
                + ","
                + Integer.toUnsignedString(pl)
                + ","
                + Integer.toUnsignedString(pb)
                + ","
                + Integer.toUnsignedString(pr)
                + ")");
      }
    }

    /** {@code floor((in + pads - d·(k-1) - 1) / s) + 1}, or 0 when the kernel does not fit. */
    private static long outSize(long in, int padA, int padB, int k, int d, int s) {
      long span = in + Integer.toUnsignedLong(padA) + Integer.toUnsignedLong(padB);
      long reach = (long) d * (k - 1) + 1;
      return span < reach ? 0 : (span - reach) / s + 1;
    }

    // ---- requirements (§5) ----

    private void checkBufferSizes() {
      Requirements r = p.getRequirements();
      long weight = r.getWeightBufferBytes();
      long activation = r.getActivationBufferBytes();
      if (weight == 0 && activation == 0) {
        return;
      }
      if (weight == 0 || activation == 0) {
        throw fail(
            "requirements",
            "weight_buffer_bytes "
                + Long.toUnsignedString(weight)
                + " and activation_buffer_bytes "
                + Long.toUnsignedString(activation)
                + " must both be set (the buffers the schedules fit) or both be 0");
      }
      // uint64 beyond a long: no schedule can need that much, so it is as good as unbounded
      bufferSizes =
          new TileScheduler.BufferSizes(
              weight < 0 ? Long.MAX_VALUE : weight, activation < 0 ? Long.MAX_VALUE : activation);
    }

    private void checkRequirements() {
      Requirements r = p.getRequirements();
      for (WeightFormat f : usedFormats) {
        if (!r.getWeightFormatsList().contains(f)) {
          throw fail(
              "requirements.weight_formats",
              r.getWeightFormatsList() + " does not list " + f + ", which a conv command uses");
        }
      }
      if (Integer.toUnsignedLong(r.getMaxTerms()) < maxTermsUsed) {
        throw fail(
            "requirements.max_terms",
            Integer.toUnsignedString(r.getMaxTerms())
                + " is less than k = "
                + maxTermsUsed
                + " of "
                + maxTermsUser);
      }
      long tile = r.getMaxWeightTileBytes();
      if (tile >= 0 && tile < maxTileBytes) {
        throw fail(
            "requirements.max_weight_tile_bytes",
            tile
                + " is less than the "
                + maxTileBytes
                + " bytes of codes in one weight tile of "
                + maxTileUser);
      }
      long largest = 0;
      int largestBuffer = -1;
      for (int i = 0; i < bufferCount; i++) {
        Buffer b = p.getBuffers(i);
        if (!b.getIsFloat() && elements(b) > largest) {
          largest = elements(b);
          largestBuffer = i;
        }
      }
      long act = r.getMaxActivationBytesPerImage();
      if (act >= 0 && act < largest) {
        throw fail(
            "requirements.max_activation_bytes_per_image",
            act
                + " is less than the "
                + largest
                + " bytes per image of "
                + describe(largestBuffer));
      }
    }

    // ---- helpers ----

    private int bufferIndex(String where, String field, int raw) {
      long index = Integer.toUnsignedLong(raw);
      if (index >= bufferCount) {
        throw fail(
            where,
            field
                + " buffer "
                + index
                + " does not exist (package has "
                + bufferCount
                + " buffers)");
      }
      return (int) index;
    }

    private void codes(String where, String role, int b) {
      if (p.getBuffers(b).getIsFloat()) {
        throw fail(
            where,
            role
                + " "
                + describe(b)
                + " is FP32; accelerator commands work on codes (a convert command quantizes)");
      }
    }

    /** The buffer's shape as [C, H, W]; a rank-1 [K] is [K, 1, 1]. */
    private long[] chw(String where, String role, int b, String wanted) {
      Buffer buffer = p.getBuffers(b);
      if (buffer.getShapeCount() == 1) {
        return new long[] {buffer.getShape(0), 1, 1};
      }
      if (buffer.getShapeCount() == 3) {
        return new long[] {buffer.getShape(0), buffer.getShape(1), buffer.getShape(2)};
      }
      throw fail(where, role + " must be " + wanted + " buffer, " + describe(b) + " is not");
    }

    private void positive(String where, String field, int value) {
      if (value <= 0) {
        throw fail(
            where,
            field + " is " + Integer.toUnsignedString(value) + "; must be 1.." + Integer.MAX_VALUE);
      }
    }

    private String describe(int b) {
      Buffer buffer = p.getBuffers(b);
      return "buffer " + b + " ('" + buffer.getName() + "', " + shape(buffer) + ")";
    }

    private static String codeType(Buffer b) {
      if (b.getIsFloat()) {
        return "FP32";
      }
      return (b.getIsSigned() ? "int" : "uint") + b.getBits() + " F=" + b.getFracBits();
    }

    private static String shape(Buffer b) {
      StringBuilder s = new StringBuilder("[");
      for (int d = 0; d < b.getShapeCount(); d++) {
        s.append(d == 0 ? "" : ", ").append(Integer.toUnsignedString(b.getShape(d)));
      }
      return s.append(']').toString();
    }

    private static long elements(Buffer b) {
      long n = 1;
      for (int d : b.getShapeList()) {
        n *= Integer.toUnsignedLong(d);
        if (n > 1L << 40) {
          return n; // already far beyond any buffer; avoid overflow
        }
      }
      return n;
    }
  }
}
