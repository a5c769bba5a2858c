package dev.potaccel.compile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import dev.potaccel.emulator.Emulator;
import dev.potaccel.emulator.EmulatorRun;
import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.emulator.cost.CostModel;
import dev.potaccel.emulator.cost.CostReport;
import dev.potaccel.error.ErrorKind;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import dev.potaccel.protocol.onnx.OnnxProto.TensorProto;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.ConvCommand;
import dev.potaccel.protocol.pkg.PackageFile;
import dev.potaccel.protocol.pkg.PackageFormatException;
import dev.potaccel.protocol.pkg.PackageValidator;
import dev.potaccel.protocol.pkg.TileSchedule;
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

    // docs/accelerator.md §4: a layer's full tiles take ceil(P_out·Cg·kh·kw·b / 8 / burst) ·
    // burst bytes each, its last tile ceil(r·Cg·kh·kw·b / 8 / burst) · burst for the r channels
    // that remain; beyond the ideal b·weights/8 that is less than one burst per tile, nothing else
    int peOut = pkg.getRequirements().getPeOut();
    int burst = pkg.getRequirements().getBurstBytes();
    long tilesSeen = 0;
    for (LayerReport l : c.layers()) {
      if (l.weights() == 0) {
        continue;
      }
      Command cmd = pkg.getCommands(l.command());
      int m = cmd.getConv().getOutChannels();
      long perChannel = l.weights() / m;
      int tiles = (m + peOut - 1) / peOut;
      int last = m - (tiles - 1) * peOut;
      long full = ((peOut * perChannel * l.weightBits() + 7) / 8 + burst - 1) / burst * burst;
      long lastBytes = ((last * perChannel * l.weightBits() + 7) / 8 + burst - 1) / burst * burst;
      assertEquals((tiles - 1) * full + lastBytes, l.packedBytes(), l.name());
      assertEquals(tiles, l.tiles(), l.name());
      assertTrue(l.alignmentBytes() >= 0 && l.alignmentBytes() < (double) tiles * burst,
          l.name() + ": " + l.alignmentBytes());
      tilesSeen += tiles;
    }
    assertEquals(tilesSeen, c.weightTiles());
    assertEquals(c.packedWeightBytes(), c.idealWeightBytes() + c.alignmentBytes(), 0.0);
    System.out.printf(Locale.ROOT, "lenet5 %s: weights %d bytes packed = %.1f ideal + %.1f burst"
        + " alignment over %d tiles (+%.2f%%)%n", scheme, c.packedWeightBytes(),
        c.idealWeightBytes(), c.alignmentBytes(), c.weightTiles(), 100 * c.packingOverhead());
    assertTrue(c.packingOverhead() < 0.01, "over 1% of the ideal: " + c.packingOverhead());
    assertEquals(c.packedWeightBytes(), pkg.getWeights().size());
    // the default buffers hold every LeNet-5 layer whole: one pass of weights, whole images
    assertEquals(List.of(), c.splitLayers());
    assertEquals(256 * 1024, pkg.getRequirements().getWeightBufferBytes());
    for (Command cmd : pkg.getCommandsList()) {
      if (cmd.hasConv()) {
        TileSchedule t = cmd.getConv().getSchedule();
        assertTrue(t.getImagesPerTile() > 0 && t.getRowsPerBand() == 0, cmd.getName());
      }
    }
  }

  /**
   * docs/accelerator.md §4.1: for an accelerator with an 8 KiB weight buffer and a 2 KiB
   * activation buffer, LeNet-5's convs are cut into bands of output rows (one image's input and
   * output codes take 4240 and 1464 bytes) and its first two FC layers into weight passes (48000
   * and 10112 bytes); nothing is refused. The package validates, its weights are the same bytes,
   * and the emulator computes every code buffer bit for bit as with the default buffers.
   */
  @Test
  void lenet5ForTinyBuffersIsSplitNotRefusedAndRunsBitIdentically() {
    Graph g = OnnxImporter.read(LENET5);
    Random rnd = new Random(11);
    Tensor images = tensor(rnd, 16, 1, 28, 28);
    QuantizedGraph q = quantize(g, List.of(images), QuantizationScheme.INT8);
    CompileOptions opts = CompileOptions.of("lenet5", "0".repeat(64), "test");
    AcceleratorDescription tiny = AcceleratorDescription.parse(
        "name = tiny, weight_buffer = 8KiB, activation_buffer = 2KiB");
    CompiledPackage whole = PackageCompiler.compile(q, opts);
    CompiledPackage split = PackageCompiler.compile(q, opts.withTarget(tiny));
    AcceleratorPackage pkg = split.pkg();
    PackageValidator.checkPackedCodes(pkg, "tiny");
    assertEquals(pkg, PackageFile.fromBytes(PackageFile.toBytes(pkg), "tiny.potpkg"));
    assertEquals(8192, pkg.getRequirements().getWeightBufferBytes());
    assertEquals(2048, pkg.getRequirements().getActivationBufferBytes());
    assertEquals(whole.pkg().getWeights(), pkg.getWeights());

    assertEquals(List.of("/conv1/Conv+/Relu: bands of 9 of 28 output rows",
        "/conv2/Conv+/Relu_1: bands of 7 of 10 output rows",
        "/fc1/Gemm+/Relu_2: 8 weight passes of 1 of 8 tiles",
        "/fc2/Gemm+/Relu_3: 2 weight passes of 4 of 6 tiles"),
        split.splitLayers().stream().map(l -> l.name() + ": " + l.split()).toList());
    TileSchedule fc1 = conv(pkg, "/fc1/Gemm+/Relu_2").getSchedule();
    assertEquals(1, fc1.getWeightTilesPerPass());
    assertEquals(3, fc1.getImagesPerTile()); // 3 x (400 + 120) bytes of codes fit 2048
    assertEquals(9, conv(pkg, "/conv1/Conv+/Relu").getSchedule().getRowsPerBand());
    // a schedule that breaks the buffers is refused by the validator
    AcceleratorPackage.Builder broken = pkg.toBuilder();
    broken.getCommandsBuilder(6).getConvBuilder().getScheduleBuilder().setWeightTilesPerPass(2);
    assertTrue(assertThrows(PackageFormatException.class,
        () -> PackageValidator.validate(broken.build(), "tiny.potpkg")).getMessage()
        .startsWith("tiny.potpkg: command 6 (conv '/fc1/Gemm+/Relu_2'):"
            + " schedule.weight_tiles_per_pass 2 loads 12800 bytes of weights"),
        "fc1 at 2 tiles per pass");

    // the cost model counts the recorded schedule: fc1's weights once per tile of 3 images
    CostReport cost = CostModel.estimate(pkg, AcceleratorDescription.defaultFor(pkg), 8);
    assertEquals(3, cost.command("/fc1/Gemm+/Relu_2").dma().weightFetches());
    assertEquals(1, CostModel.estimate(whole.pkg(), AcceleratorDescription.defaultFor(
        whole.pkg()), 8).command("/fc1/Gemm+/Relu_2").dma().weightFetches());

    Tensor x = tensor(rnd, 5, 1, 28, 28);
    try (Emulator a = new Emulator(whole.pkg(), 2, null);
        Emulator b = new Emulator(pkg, 2, null)) {
      EmulatorRun ra = a.run(5, List.of(x.floats()), true);
      EmulatorRun rb = b.run(5, List.of(x.floats()), true);
      int compared = 0;
      for (int i = 0; i < pkg.getBuffersCount(); i++) {
        if (!pkg.getBuffers(i).getIsFloat()) {
          assertArrayEquals(ra.codes(i), rb.codes(i), pkg.getBuffers(i).getName());
          compared++;
        }
      }
      assertEquals(9, compared);
      assertArrayEquals(ra.output(0), rb.output(0));
    }
  }

  @Test
  void onlyALayerWhoseOneWeightTileCannotFitIsRefused() {
    Graph g = OnnxImporter.read(LENET5);
    QuantizedGraph q = quantize(g, List.of(tensor(new Random(12), 4, 1, 28, 28)),
        QuantizationScheme.INT8);
    AcceleratorDescription tinier = AcceleratorDescription.parse(
        "name = tinier, weight_buffer = 4KiB, activation_buffer = 2KiB");
    CompileException e = assertThrows(CompileException.class, () -> PackageCompiler.compile(q,
        CompileOptions.of("lenet5", "0".repeat(64), "test").withTarget(tinier)));
    assertEquals(ErrorKind.COMPILE, e.kind());
    assertTrue(e.getMessage().startsWith("lenet5: layer '/fc1/Gemm' (Gemm, fc 400->120 (1x1"
        + " conv)): one weight tile of 16 output channels [120, 400, 1, 1] at 8 bits (peOut 16,"
        + " burst 64) takes 6400 bytes (6400 of codes, aligned to the burst), more than the"
        + " 4096-byte weight buffer of accelerator 'tinier'."), e.getMessage());
  }

  private static ConvCommand conv(AcceleratorPackage pkg, String name) {
    return pkg.getCommandsList().stream().filter(c -> c.getName().equals(name)).findFirst()
        .orElseThrow().getConv();
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
    assertEquals(ErrorKind.COMPILE, e.kind());
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
    return PackageCompiler.compile(quantize(g, calibration, s),
        CompileOptions.of("test", "0".repeat(64), "test"));
  }

  static QuantizedGraph quantize(Graph g, List<Tensor> calibration, QuantizationScheme s) {
    CalibrationStats stats = Calibrator.collect(g, calibration, 1, ProgressListener.NONE);
    return Quantizer.quantize(g, stats, s);
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
