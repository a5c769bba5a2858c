package dev.potaccel.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.device.EmulatorSession;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import dev.potaccel.protocol.onnx.OnnxProto.TensorProto;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.PackageFile;
import dev.potaccel.protocol.pkg.PackageValidator;
import dev.potaccel.protocol.pkg.WeightFormat;
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.QuantizedGraph;
import dev.potaccel.quantize.Quantizer;
import dev.potaccel.testing.OnnxModelBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The compiler on LeNet-5 and on small graphs built in code: packages validate and round-trip
 * through the file format, weights pack to the size the DMA layout justifies, ops land where the
 * contract says, and a layer whose accumulator could overflow is refused with a message naming it.
 * Calibration here uses random tensors: these tests check structure, not accuracy (the accuracy
 * tests calibrate on training images).
 */
class PackageCompilerTest {
  private static final Path LENET5 = Path.of("../models/lenet5.onnx");

  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(QuantizationScheme.class)
  void lenet5CompilesValidatesAndRoundTrips(QuantizationScheme scheme) {
    Graph g = OnnxImporter.read(LENET5);
    Random rnd = new Random(1);
    Tensor images = tensor(rnd, 16, 1, 28, 28);
    for (int i = 0; i < images.size(); i++) {
      images.floats()[i] = images.floats()[i] * 1.4f + 0.6f; // about the normalised pixel range
    }
    CompiledPackage c = compile(g, List.of(images), scheme);
    AcceleratorPackage pkg = c.pkg();
    PackageValidator.checkPackedCodes(pkg, "lenet5");

    AcceleratorPackage back = PackageFile.fromBytes(PackageFile.toBytes(pkg), "lenet5.potpkg");
    assertEquals(pkg, back);
    Path file = dir.resolve("lenet5.potpkg");
    PackageFile.write(pkg, file);
    assertEquals(pkg, PackageFile.read(file));

    assertEquals(scheme.id(), pkg.getProvenance().getScheme());
    assertEquals(16, pkg.getProvenance().getCalibrationImages());
    assertEquals(64, pkg.getProvenance().getCalibrationSha256().length());
    assertEquals(List.of(scheme == QuantizationScheme.INT8 ? WeightFormat.INT8 : WeightFormat.POT),
        pkg.getRequirements().getWeightFormatsList());
    List<String> ops = pkg.getCommandsList().stream()
        .map(cmd -> cmd.getOpCase().name().toLowerCase(Locale.ROOT)).toList();
    assertEquals(List.of("convert", "conv", "pool", "conv", "pool", "reshape", "conv", "conv",
        "conv", "convert"), ops);
    assertTrue(pkg.getHostGraph().getOnnxModel().isEmpty(),
        "LeNet-5 runs wholly on the accelerator");

    // docs/accelerator.md §4: a layer takes tiles · ceil(P_out·Cg·kh·kw·b / 8 / burst) · burst
    // bytes; beyond the ideal b·weights/8 that is the last tile's padding channels and at most
    // burst - 1 bytes per tile
    int peOut = pkg.getRequirements().getPeOut();
    int burst = pkg.getRequirements().getBurstBytes();
    long allowance = 0;
    for (LayerReport l : c.layers()) {
      if (l.weights() == 0) {
        continue;
      }
      Command cmd = pkg.getCommands(l.command());
      int m = cmd.getConv().getOutChannels();
      long perChannel = l.weights() / m;
      long tiles = (m + peOut - 1) / peOut;
      long tileBytes = (peOut * perChannel * l.weightBits() + 7) / 8;
      assertEquals(tiles * ((tileBytes + burst - 1) / burst) * burst, l.packedBytes(), l.name());
      allowance += (tiles * peOut - m) * perChannel * l.weightBits() / 8 + tiles * burst;
    }
    double excess = c.packedWeightBytes() - c.idealWeightBytes();
    System.out.printf(Locale.ROOT, "lenet5 %s: weights %d bytes packed, %.0f ideal, +%.0f bytes"
        + " (+%.2f%%) of tile padding and burst alignment, allowance %d%n", scheme,
        c.packedWeightBytes(), c.idealWeightBytes(), excess, 100 * c.packingOverhead(),
        allowance);
    assertTrue(excess >= 0 && excess <= allowance, excess + " > " + allowance);
    assertEquals(c.packedWeightBytes(), pkg.getWeights().size());
  }

  @Test
  void pytorchFlattenChainBecomesAViewAndItsShapeNodesVanish() {
    Random rnd = new Random(3);
    int k = 2 * 3 * 3;
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", -1, 2, 3, 3).output("y", -1, 4)
        .initializer(int64("zero", new long[0], 0)).initializer(int64("minus1", new long[] {1}, -1))
        .initializer(int64("axes", new long[] {1}, 0))
        .initializer("w", new long[] {4, k}, random(rnd, 4 * k))
        .node("Shape", "shape", new String[] {"x"}, new String[] {"s"})
        .node("Gather", "gather", new String[] {"s", "zero"}, new String[] {"n"},
            OnnxModelBuilder.intAttr("axis", 0))
        .node("Unsqueeze", "unsqueeze", new String[] {"n", "axes"}, new String[] {"n1"})
        .node("Concat", "concat", new String[] {"n1", "minus1"}, new String[] {"shp"},
            OnnxModelBuilder.intAttr("axis", 0))
        .node("Reshape", "reshape", new String[] {"x", "shp"}, new String[] {"f"})
        .node("Gemm", "fc", new String[] {"f", "w"}, new String[] {"y"},
            OnnxModelBuilder.intAttr("transB", 1));
    Graph g = OnnxImporter.fromProto(b.build(), "chain.onnx", null);
    CompiledPackage c = compile(g, List.of(tensor(rnd, 4, 2, 3, 3)), QuantizationScheme.INT8);
    assertEquals(List.of("x quantize to int8", "reshape view [2,3,3] -> [18]",
        "fc fc 18->4 (1x1 conv)", "y dequantize from int8"), c.layers().stream()
            .map(l -> l.name() + " " + l.operation().replaceAll(" F=-?\\d+$", "")).toList());
  }

  @Test
  void batchNormFoldsAndReluFusesIntoTheConv() {
    Random rnd = new Random(4);
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", -1, 2, 5, 5).output("y", -1, 3, 5, 5)
        .initializer("w", new long[] {3, 2, 3, 3}, random(rnd, 54))
        .initializer("scale", new long[] {3}, 1.5f, 0.5f, 2f)
        .initializer("shift", new long[] {3}, 0.1f, -0.2f, 0.3f)
        .initializer("mean", new long[] {3}, 0.05f, 0f, -0.1f)
        .initializer("var", new long[] {3}, 0.9f, 1.2f, 0.4f)
        .node("Conv", "conv", new String[] {"x", "w"}, new String[] {"c"},
            OnnxModelBuilder.ints("pads", 1, 1, 1, 1))
        .node("BatchNormalization", "bn", new String[] {"c", "scale", "shift", "mean", "var"},
            new String[] {"n"})
        .node("Relu", "relu", new String[] {"n"}, new String[] {"y"});
    Graph g = OnnxImporter.fromProto(b.build(), "bn.onnx", null);
    CompiledPackage c = compile(g, List.of(tensor(rnd, 4, 2, 5, 5)), QuantizationScheme.INT8);
    List<Command> convs = c.pkg().getCommandsList().stream().filter(Command::hasConv).toList();
    assertEquals(1, convs.size(), c.layers().toString());
    assertEquals("conv+relu", convs.get(0).getName());
    assertEquals(Activation.RELU,
        convs.get(0).getConv().getRequantize().getActivation());
    assertTrue(c.pkg().getCommandsList().stream().noneMatch(Command::hasHost));
  }

  @Test
  void reluOfAValueReadTwiceRunsOnTheHostWithTheReason() {
    Random rnd = new Random(5);
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", -1, 2, 4, 4).output("y", -1, 2, 4, 4)
        .initializer("w", new long[] {2, 2, 1, 1}, random(rnd, 4))
        .node("Conv", "conv", new String[] {"x", "w"}, new String[] {"c"})
        .node("Relu", "relu", new String[] {"c"}, new String[] {"r"})
        .node("Add", "add", new String[] {"c", "r"}, new String[] {"y"});
    Graph g = OnnxImporter.fromProto(b.build(), "twice.onnx", null);
    Tensor x = tensor(rnd, 3, 2, 4, 4);
    CompiledPackage c = compile(g, List.of(x), QuantizationScheme.INT8);
    List<Command> host = c.pkg().getCommandsList().stream().filter(Command::hasHost).toList();
    assertEquals(1, host.size(), c.layers().toString());
    assertEquals("relu", host.get(0).getName());
    assertTrue(host.get(0).getHost().getReason().contains("Relu is fused only right after"),
        host.get(0).getHost().getReason());
    assertEquals(1, c.pkg().getCommandsList().stream().filter(Command::hasAdd).count());
    // the host graph is a self-contained ONNX model the importer reads back
    Graph hostGraph = OnnxImporter.fromProto(parse(c.pkg()), "host", null);
    assertEquals(List.of("relu"), hostGraph.nodes().stream().map(n -> n.name()).toList());
    try (EmulatorSession s = EmulatorSession.open(c.pkg(), 1);
        CpuEngine e = new CpuEngine(g, 1)) {
      float[] emu = s.run(x).floats();
      float[] ref = e.run(Map.of("x", x)).get("y").floats();
      for (int i = 0; i < ref.length; i++) {
        assertEquals(ref[i], emu[i], 0.1, "element " + i); // bounds: CompiledOpAccuracyTest
      }
    }
  }

  @Test
  void aLayerWhoseAccumulatorCouldOverflowIsRefusedByNameAndChannel() {
    int k = 140_000; // 128 · 127 · 140000 > 2^31 - 1 for signed 8-bit inputs
    float[] w = new float[k];
    Arrays.fill(w, 0.99f); // 0.99·2^7 rounds to the code 127
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", -1, k).output("y", -1, 1)
        .initializer("w", new long[] {1, k}, w)
        .node("Gemm", "wide_fc", new String[] {"x", "w"}, new String[] {"y"},
            OnnxModelBuilder.intAttr("transB", 1));
    Graph g = OnnxImporter.fromProto(b.build(), "wide.onnx", null);
    CompileException e = assertThrows(CompileException.class,
        () -> compile(g, List.of(tensor(new Random(6), 2, k)), QuantizationScheme.INT8));
    assertTrue(e.getMessage().startsWith("test: layer 'wide_fc' (Gemm), output channel 0: the"
        + " int32 accumulator could overflow: xmax·Σ|v| + |bias| = 128·17780000 + 0 = 2275840000"
        + " > 2^31 - 1 (docs/accelerator.md §1.4)"), e.getMessage());
  }

  private static ModelProto parse(AcceleratorPackage p) {
    try {
      return ModelProto.parseFrom(p.getHostGraph().getOnnxModel());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static CompiledPackage compile(Graph g, List<Tensor> calibration, QuantizationScheme s) {
    CalibrationStats stats = Calibrator.collect(g, calibration, 1, ProgressListener.NONE);
    QuantizedGraph q = Quantizer.quantize(g, stats, s);
    return PackageCompiler.compile(q, CompileOptions.of("test", "0".repeat(64), "test"));
  }

  static TensorProto int64(String name, long[] dims, long... values) {
    ByteBuffer buf = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      buf.putLong(v);
    }
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(7)
        .setRawData(ByteString.copyFrom(buf.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  static float[] random(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return v;
  }

  static Tensor tensor(Random rnd, int... shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return Tensor.ofFloats(shape, random(rnd, n));
  }
}
