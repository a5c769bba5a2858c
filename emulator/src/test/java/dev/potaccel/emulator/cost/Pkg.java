package dev.potaccel.emulator.cost;

import com.google.protobuf.ByteString;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.AddCommand;
import dev.potaccel.protocol.pkg.Buffer;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.CodebookEntry;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.ConvCommand;
import dev.potaccel.protocol.pkg.ConvertCommand;
import dev.potaccel.protocol.pkg.HostCommand;
import dev.potaccel.protocol.pkg.HostGraph;
import dev.potaccel.protocol.pkg.PackageFile;
import dev.potaccel.protocol.pkg.PoolCommand;
import dev.potaccel.protocol.pkg.PoolKind;
import dev.potaccel.protocol.pkg.PowerOfTwoTerm;
import dev.potaccel.protocol.pkg.Provenance;
import dev.potaccel.protocol.pkg.Region;
import dev.potaccel.protocol.pkg.Requantize;
import dev.potaccel.protocol.pkg.Requirements;
import dev.potaccel.protocol.pkg.ReshapeCommand;
import dev.potaccel.protocol.pkg.WeightFormat;
import dev.potaccel.protocol.pkg.WeightPacker;
import dev.potaccel.protocol.pkg.WeightTiling;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Small valid packages for the cost model tests, built with the generated protobuf builders and
 * {@link WeightPacker} at burst-aligned offsets. Every code buffer is 8-bit unsigned at F = 4;
 * every conv uses code 1 for all weights, bias 0 and shift 4 (so F_w = 4), ReLU.
 */
final class Pkg {
  private final AcceleratorPackage.Builder pkg = AcceleratorPackage.newBuilder();
  private final WeightTiling tiling;
  private final ByteArrayOutputStream weights = new ByteArrayOutputStream();
  private final ByteArrayOutputStream biases = new ByteArrayOutputStream();
  private final Set<WeightFormat> formats = EnumSet.noneOf(WeightFormat.class);
  private int maxTerms;

  Pkg(String model, WeightTiling tiling) {
    this.tiling = tiling;
    pkg.setFormatVersion(1).setContractVersion(1).setLayoutVersion(PackageFile.LAYOUT_VERSION)
        .setProvenance(Provenance.newBuilder().setModelName(model).setToolVersion("test"));
  }

  /** A float model input of {@code shape} converted to codes; returns the code buffer. */
  int input(int... shape) {
    int f = buffer("x", true, shape);
    pkg.addInputBuffers(f);
    int q = buffer("xq", false, shape);
    command("quantize", Command.newBuilder()
        .setConvert(ConvertCommand.newBuilder().setInput(f).setOutput(q)));
    return q;
  }

  /** Dequantizes code buffer {@code q} into a float model output. */
  void output(int q) {
    int f = buffer("y", true, shape(q));
    pkg.addOutputBuffers(f);
    command("dequantize", Command.newBuilder()
        .setConvert(ConvertCommand.newBuilder().setInput(q).setOutput(f)));
  }

  int buffer(String name, boolean isFloat, int... shape) {
    Buffer.Builder b = Buffer.newBuilder().setName(name + pkg.getBuffersCount())
        .setIsFloat(isFloat).setBits(isFloat ? 32 : 8).setIsSigned(isFloat).setFracBits(
            isFloat ? 0 : 4);
    for (int d : shape) {
      b.addShape(d);
    }
    pkg.addBuffers(b);
    return pkg.getBuffersCount() - 1;
  }

  int[] shape(int buffer) {
    return pkg.getBuffers(buffer).getShapeList().stream().mapToInt(Integer::intValue).toArray();
  }

  int codebook(Codebook cb) {
    pkg.addCodebooks(cb);
    if (cb.getFormat() == WeightFormat.TERMS) {
      maxTerms = Math.max(maxTerms, cb.getMaxTerms());
    }
    return pkg.getCodebooksCount() - 1;
  }

  /**
   * A conv from {@code in} to a new buffer of {@code m} channels: square kernel {@code k}, stride
   * {@code s}, symmetric pad {@code p}, {@code groups}. Rank-1 input and {@code k = 1} make an FC
   * with a rank-1 output.
   */
  int conv(String name, int in, int m, int k, int s, int p, int groups, int codebook) {
    int[] x = shape(in);
    int c = x[0];
    int out;
    if (x.length == 1) {
      out = buffer(name, false, m);
    } else {
      int oh = (x[1] + 2 * p - k) / s + 1;
      int ow = (x[2] + 2 * p - k) / s + 1;
      out = buffer(name, false, m, oh, ow);
    }
    int cg = c / groups;
    Codebook cb = pkg.getCodebooks(codebook);
    formats.add(cb.getFormat());
    int[] codes = new int[m * cg * k * k];
    Arrays.fill(codes, 1);
    byte[] packed = WeightPacker.pack(codes, m, cg, k, k, cb.getBits(), tiling);
    long wOff = append(weights, packed);
    long bOff = append(biases, WeightPacker.packBias(new int[m], tiling));
    ConvCommand.Builder cc = ConvCommand.newBuilder().setInput(in).setOutput(out)
        .setOutChannels(m).setKernelH(k).setKernelW(k).setStrideH(s).setStrideW(s)
        .setDilationH(1).setDilationW(1).setPadTop(p).setPadLeft(p).setPadBottom(p)
        .setPadRight(p).setGroups(groups).setCodebook(codebook)
        .setWeights(Region.newBuilder().setOffset(wOff).setLength(packed.length))
        .setBias(Region.newBuilder().setOffset(bOff)
            .setLength(WeightPacker.packedBiasSize(m, tiling)))
        .setRequantize(Requantize.newBuilder().addShift(4).setActivation(Activation.RELU));
    for (int i = 0; i < m; i++) {
      cc.addWeightFracBits(4);
    }
    command(name, Command.newBuilder().setConv(cc));
    return out;
  }

  int pool(String name, int in, PoolKind kind, int k) {
    int[] x = shape(in);
    int out = kind == PoolKind.GLOBAL_AVERAGE
        ? buffer(name, false, x[0], 1, 1) : buffer(name, false, x[0], x[1] / k, x[2] / k);
    PoolCommand.Builder p = PoolCommand.newBuilder().setInput(in).setOutput(out).setKind(kind);
    long n = kind == PoolKind.GLOBAL_AVERAGE ? (long) x[1] * x[2] : (long) k * k;
    if (kind != PoolKind.GLOBAL_AVERAGE) {
      p.setKernelH(k).setKernelW(k).setStrideH(k).setStrideW(k);
    }
    if (kind != PoolKind.MAX && Long.bitCount(n) != 1) {
      p.setReciprocal((int) ((2 * 65536L + n) / (2 * n)));
    }
    command(name, Command.newBuilder().setPool(p));
    return out;
  }

  int add(String name, int a, int b) {
    int out = buffer(name, false, shape(a));
    command(name, Command.newBuilder().setAdd(AddCommand.newBuilder().setInputA(a).setInputB(b)
        .setOutput(out).setRequantize(Requantize.newBuilder().addShift(0))));
    return out;
  }

  int reshape(String name, int in, int... shape) {
    int out = buffer(name, false, shape);
    command(name, Command.newBuilder()
        .setReshape(ReshapeCommand.newBuilder().setInput(in).setOutput(out)));
    return out;
  }

  /** Dequantizes {@code in}, runs a host node on it, returns the float output. */
  int host(String name, int in) {
    int f = buffer(name + "_f", true, shape(in));
    command(name + "_deq", Command.newBuilder()
        .setConvert(ConvertCommand.newBuilder().setInput(in).setOutput(f)));
    int out = buffer(name, true, shape(in));
    command(name, Command.newBuilder().setHost(HostCommand.newBuilder().addInputs(f)
        .addOutputs(out).addNodes(0).setReason("Softmax is not an accelerator op")));
    pkg.setHostGraph(HostGraph.newBuilder().setOnnxModel(ByteString.copyFromUtf8("not onnx")));
    pkg.addOutputBuffers(out);
    return out;
  }

  /**
   * A host node between accelerator commands: dequantizes {@code in}, runs host node 0 on it and
   * quantizes its output back; returns the new code buffer.
   */
  int hostBetween(String name, int in) {
    int f = buffer(name + "_f", true, shape(in));
    command(name + "_deq", Command.newBuilder()
        .setConvert(ConvertCommand.newBuilder().setInput(in).setOutput(f)));
    int out = buffer(name, true, shape(in));
    command(name, Command.newBuilder().setHost(HostCommand.newBuilder().addInputs(f)
        .addOutputs(out).addNodes(0).setReason("Sigmoid is not an accelerator op")));
    pkg.setHostGraph(HostGraph.newBuilder().setOnnxModel(ByteString.copyFromUtf8("not onnx")));
    int q = buffer(name + "_q", false, shape(in));
    command(name + "_q", Command.newBuilder()
        .setConvert(ConvertCommand.newBuilder().setInput(out).setOutput(q)));
    return q;
  }

  private void command(String name, Command.Builder c) {
    pkg.addCommands(c.setName(name));
  }

  AcceleratorPackage build() {
    ByteString w = ByteString.copyFrom(weights.toByteArray());
    ByteString b = ByteString.copyFrom(biases.toByteArray());
    Requirements.Builder r = Requirements.newBuilder().addAllWeightFormats(formats)
        .setMaxTerms(maxTerms).setPeOut(tiling.peOut()).setBurstBytes(tiling.burstBytes())
        .setMaxWeightTileBytes(1L << 40).setMaxActivationBytesPerImage(1L << 40);
    return pkg.clone().setRequirements(r).setWeights(w).setWeightsCrc32(crc(w)).setBiases(b)
        .setBiasesCrc32(crc(b)).build();
  }

  private long append(ByteArrayOutputStream out, byte[] data) {
    while (out.size() % tiling.burstBytes() != 0) {
      out.write(0);
    }
    long offset = out.size();
    out.writeBytes(data);
    return offset;
  }

  private static int crc(ByteString bytes) {
    CRC32 crc = new CRC32();
    crc.update(bytes.toByteArray());
    return (int) crc.getValue();
  }

  // ---- codebooks (docs/accelerator.md §2) ----

  static Codebook int8(int bits) {
    Codebook.Builder cb = Codebook.newBuilder().setFormat(WeightFormat.INT8).setBits(bits);
    for (int c = 0; c < 1 << bits; c++) {
      cb.addEntries(CodebookEntry.newBuilder().setValue(c < 1 << (bits - 1) ? c : c - (1 << bits)));
    }
    return cb.build();
  }

  static Codebook pot(int bits, int eMin) {
    Codebook.Builder cb = Codebook.newBuilder().setFormat(WeightFormat.POT).setBits(bits)
        .setMaxTerms(1);
    int half = 1 << (bits - 1);
    for (int c = 0; c < 1 << bits; c++) {
      boolean negative = c >= half;
      int eIdx = c & (half - 1);
      if (eIdx == 0) {
        cb.addEntries(CodebookEntry.newBuilder().setValue(0));
      } else {
        int e = eMin + eIdx - 1;
        cb.addEntries(CodebookEntry.newBuilder().setValue((negative ? -1 : 1) << e)
            .addTerms(PowerOfTwoTerm.newBuilder().setNegative(negative).setExponent(e)));
      }
    }
    return cb.build();
  }

  /** TERMS with {@code k} terms: code c > 0 is the sum of {@code k} copies of 2^(c mod 4). */
  static Codebook terms(int bits, int k) {
    Codebook.Builder cb = Codebook.newBuilder().setFormat(WeightFormat.TERMS).setBits(bits)
        .setMaxTerms(k);
    cb.addEntries(CodebookEntry.newBuilder().setValue(0));
    for (int c = 1; c < 1 << bits; c++) {
      CodebookEntry.Builder e = CodebookEntry.newBuilder();
      int exp = c % 4;
      for (int t = 0; t < k; t++) {
        e.addTerms(PowerOfTwoTerm.newBuilder().setExponent(exp));
      }
      cb.addEntries(e.setValue(k << exp));
    }
    return cb.build();
  }
}
