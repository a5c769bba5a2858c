package dev.potaccel.device.opencl;

import com.google.protobuf.ByteString;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.AddCommand;
import dev.potaccel.protocol.pkg.Buffer;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.ConvCommand;
import dev.potaccel.protocol.pkg.ConvertCommand;
import dev.potaccel.protocol.pkg.HostCommand;
import dev.potaccel.protocol.pkg.HostGraph;
import dev.potaccel.protocol.pkg.PackageFile;
import dev.potaccel.protocol.pkg.PoolCommand;
import dev.potaccel.protocol.pkg.PoolKind;
import dev.potaccel.protocol.pkg.Provenance;
import dev.potaccel.protocol.pkg.Region;
import dev.potaccel.protocol.pkg.Requantize;
import dev.potaccel.protocol.pkg.Requirements;
import dev.potaccel.protocol.pkg.ReshapeCommand;
import dev.potaccel.protocol.pkg.WeightFormat;
import dev.potaccel.protocol.pkg.WeightPacker;
import dev.potaccel.protocol.pkg.WeightTiling;
import java.io.ByteArrayOutputStream;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * A copy of the emulator tests' builder (emulator/src/test/.../TestPackage.java), which
 * another module's tests cannot reach. Builds small, valid packages in tests with the generated protobuf builders: buffers, commands,
 * codebooks, weights packed with {@link WeightPacker} at burst-aligned offsets, requirements
 * that cover what the commands use. Shifts are given; {@code weight_frac_bits} are derived from
 * them ({@code F_w = s - F_x + F_y}) so the package is self-consistent.
 */
final class TestPackage {
  /** Convolution geometry: kernel, strides, dilations, pads (top, left, bottom, right), groups. */
  record Geometry(int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pl, int pb, int pr,
      int groups) {
    static Geometry of(int k) {
      return new Geometry(k, k, 1, 1, 1, 1, 0, 0, 0, 0, 1);
    }

    static Geometry same3x3() {
      return new Geometry(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    }

    Geometry groups(int g) {
      return new Geometry(kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, g);
    }

    Geometry strides(int s) {
      return new Geometry(kh, kw, s, s, dh, dw, pt, pl, pb, pr, groups);
    }

    int outSize(int in, boolean height) {
      int k = height ? kh : kw;
      int d = height ? dh : dw;
      int s = height ? sh : sw;
      int pads = height ? pt + pb : pl + pr;
      return (in + pads - d * (k - 1) - 1) / s + 1;
    }
  }

  private final AcceleratorPackage.Builder pkg = AcceleratorPackage.newBuilder();
  private final WeightTiling tiling;
  private final ByteArrayOutputStream weights = new ByteArrayOutputStream();
  private final ByteArrayOutputStream biases = new ByteArrayOutputStream();
  private final Set<WeightFormat> formats = EnumSet.noneOf(WeightFormat.class);
  private int maxTerms;
  private long maxTile = 1;

  TestPackage(String model) {
    this(model, new WeightTiling(4, 16));
  }

  TestPackage(String model, WeightTiling tiling) {
    this.tiling = tiling;
    pkg.setFormatVersion(1).setContractVersion(1).setLayoutVersion(PackageFile.LAYOUT_VERSION)
        .setProvenance(Provenance.newBuilder().setModelName(model).setToolVersion("test"));
  }

  int floats(String name, int... shape) {
    Buffer.Builder b = Buffer.newBuilder().setName(name).setBits(32).setIsFloat(true)
        .setIsSigned(true);
    for (int d : shape) {
      b.addShape(d);
    }
    pkg.addBuffers(b);
    return pkg.getBuffersCount() - 1;
  }

  int codes(String name, int bits, boolean signed, int frac, int... shape) {
    Buffer.Builder b = Buffer.newBuilder().setName(name).setBits(bits).setIsSigned(signed)
        .setFracBits(frac);
    for (int d : shape) {
      b.addShape(d);
    }
    pkg.addBuffers(b);
    return pkg.getBuffersCount() - 1;
  }

  Buffer buffer(int index) {
    return pkg.getBuffers(index);
  }

  TestPackage input(int buffer) {
    pkg.addInputBuffers(buffer);
    return this;
  }

  TestPackage output(int buffer) {
    pkg.addOutputBuffers(buffer);
    return this;
  }

  int codebook(Codebook cb) {
    pkg.addCodebooks(cb);
    return pkg.getCodebooksCount() - 1;
  }

  void convert(int in, int out) {
    pkg.addCommands(Command.newBuilder().setName("convert" + pkg.getCommandsCount())
        .setConvert(ConvertCommand.newBuilder().setInput(in).setOutput(out)));
  }

  void reshape(int in, int out) {
    pkg.addCommands(Command.newBuilder().setName("reshape" + pkg.getCommandsCount())
        .setReshape(ReshapeCommand.newBuilder().setInput(in).setOutput(out)));
  }

  static Requantize requantize(int[] shifts, Activation act, int leakyShift) {
    Requantize.Builder r = Requantize.newBuilder().setActivation(act).setLeakyShift(leakyShift);
    for (int s : shifts) {
      r.addShift(s);
    }
    return r.build();
  }

  /**
   * A CONV; {@code codes} row-major {@code [m][C/g][kh][kw]}, {@code shifts} one per output
   * channel (or one for all).
   */
  void conv(String name, int in, int out, Geometry g, int codebook, int[] codes, int[] bias,
      int[] shifts, Activation act, int leakyShift) {
    int m = pkg.getBuffers(out).getShape(0);
    int c = pkg.getBuffers(in).getShape(0);
    int cg = c / g.groups();
    Codebook cb = pkg.getCodebooks(codebook);
    formats.add(cb.getFormat());
    if (cb.getFormat() == WeightFormat.TERMS) {
      maxTerms = Math.max(maxTerms, cb.getMaxTerms());
    }
    byte[] packed = WeightPacker.pack(codes, m, cg, g.kh(), g.kw(), cb.getBits(), tiling);
    maxTile = Math.max(maxTile, WeightPacker.tileStride(cg, g.kh(), g.kw(), cb.getBits(), tiling));
    long wOff = append(weights, packed);
    long bOff = append(biases, WeightPacker.packBias(bias, tiling));
    int fx = pkg.getBuffers(in).getFracBits();
    int fy = pkg.getBuffers(out).getFracBits();
    ConvCommand.Builder cc = ConvCommand.newBuilder().setInput(in).setOutput(out)
        .setOutChannels(m).setKernelH(g.kh()).setKernelW(g.kw()).setStrideH(g.sh())
        .setStrideW(g.sw()).setDilationH(g.dh()).setDilationW(g.dw()).setPadTop(g.pt())
        .setPadLeft(g.pl()).setPadBottom(g.pb()).setPadRight(g.pr()).setGroups(g.groups())
        .setCodebook(codebook)
        .setWeights(Region.newBuilder().setOffset(wOff).setLength(packed.length))
        .setBias(Region.newBuilder().setOffset(bOff)
            .setLength(WeightPacker.packedBiasSize(m, tiling)))
        .setRequantize(requantize(shifts, act, leakyShift));
    for (int i = 0; i < m; i++) {
      int s = shifts.length == 1 ? shifts[0] : shifts[i];
      cc.addWeightFracBits(s - fx + fy);
    }
    pkg.addCommands(Command.newBuilder().setName(name).setConv(cc));
  }

  void pool(String name, int in, int out, PoolKind kind, int kh, int kw, int sh, int sw,
      int[] pads) {
    int[] shape = pkg.getBuffers(in).getShapeList().stream().mapToInt(Integer::intValue)
        .toArray();
    long n = kind == PoolKind.GLOBAL_AVERAGE ? (long) shape[1] * shape[2] : (long) kh * kw;
    PoolCommand.Builder p = PoolCommand.newBuilder().setInput(in).setOutput(out).setKind(kind);
    if (kind != PoolKind.GLOBAL_AVERAGE) {
      p.setKernelH(kh).setKernelW(kw).setStrideH(sh).setStrideW(sw).setPadTop(pads[0])
          .setPadLeft(pads[1]).setPadBottom(pads[2]).setPadRight(pads[3]);
    }
    if (kind != PoolKind.MAX && Long.bitCount(n) != 1) {
      p.setReciprocal((int) Math.round(65536.0 / n)); // no ties for the sizes tests use
    }
    pkg.addCommands(Command.newBuilder().setName(name).setPool(p));
  }

  void add(String name, int a, int b, int out, Activation act, int leakyShift) {
    int f = Math.max(pkg.getBuffers(a).getFracBits(), pkg.getBuffers(b).getFracBits());
    int s = f - pkg.getBuffers(out).getFracBits();
    pkg.addCommands(Command.newBuilder().setName(name).setAdd(AddCommand.newBuilder()
        .setInputA(a).setInputB(b).setOutput(out)
        .setRequantize(requantize(new int[] {s}, act, leakyShift))));
  }

  void host(String name, int[] inputs, int[] outputs) {
    HostCommand.Builder h = HostCommand.newBuilder().addNodes(0).setReason("test");
    for (int i : inputs) {
      h.addInputs(i);
    }
    for (int o : outputs) {
      h.addOutputs(o);
    }
    pkg.addCommands(Command.newBuilder().setName(name).setHost(h));
    pkg.setHostGraph(HostGraph.newBuilder().setOnnxModel(ByteString.copyFromUtf8("not onnx")));
  }

  /** The package builder, for tests that break it on purpose. */
  AcceleratorPackage.Builder raw() {
    return pkg;
  }

  AcceleratorPackage build() {
    ByteString w = ByteString.copyFrom(weights.toByteArray());
    ByteString b = ByteString.copyFrom(biases.toByteArray());
    Requirements.Builder r = Requirements.newBuilder().addAllWeightFormats(formats)
        .setMaxTerms(maxTerms).setPeOut(tiling.peOut()).setBurstBytes(tiling.burstBytes())
        .setMaxWeightTileBytes(maxTile).setMaxActivationBytesPerImage(1L << 30);
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
}
