package dev.potaccel.device.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.compile.PackageCompiler;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.data.ModelMetadata;
import dev.potaccel.data.NpyReader;
import dev.potaccel.device.HostGraphExecutor;
import dev.potaccel.emulator.Emulator;
import dev.potaccel.emulator.EmulatorRun;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.WeightFormat;
import dev.potaccel.quantize.Quantizer;
import dev.potaccel.quantize.SchemeSpec;
import dev.potaccel.quantize.levels.WeightScheme;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reference models x quantization schemes, compiled as {@code potaccel compile} compiles them
 * (256 training images, default seed), run on the 256 bundled test images through the emulator
 * and through the OpenCL kernels: every code buffer of every command, and the FP32 outputs, must
 * be identical bit for bit.
 *
 * <p>Which pairs: every model in models/ with every scheme {@code potaccel compile --scheme}
 * accepts: int8, pot4, apot4, ggd, doubleq, doubleqext, upot at 2, 3 and 4 bits, kalali, lut.
 * Between them these packages use every weight format (INT8, POT, TERMS, LUT) at 2
 * to 8 bits, float and int arithmetic (the §1.4 product bound decides per layer), GGD's activation
 * formats and one package mixing formats per layer. doubleqext takes a fixed plan (doubleq on
 * every other weighted layer, int8 on the rest) instead of the compile flow's search, which
 * costs minutes of emulator runs and only chooses which layer gets which of the same two
 * formats. The models are calibrated once each.
 */
class ReferenceModelsBitExactTest {
  private static final Path MODELS = Path.of("../models");
  private static final Path IMAGES = MODELS.resolve("testdata/fmnist-test-first256.npy");
  private static final int BATCH = 64;
  private static final List<String> MODEL_NAMES = List.of("lenet5", "mobilenet-small",
      "vgg-small", "resnet20");
  /** Every {@code --scheme [--bits]} besides the baselines, as compile takes them. */
  private static final List<SchemeSpec> OTHER_SCHEMES = List.of(SchemeSpec.parse("apot4", null),
      SchemeSpec.parse("ggd", null), SchemeSpec.parse("doubleq", null),
      SchemeSpec.parse("doubleqext", null), SchemeSpec.parse("upot", 2),
      SchemeSpec.parse("upot", 3), SchemeSpec.parse("upot", 4), SchemeSpec.parse("kalali", null),
      SchemeSpec.parse("lut", null));

  private record Calibrated(Graph graph, CalibrationStats stats) {}

  private static final Map<String, Calibrated> CALIBRATED = new HashMap<>();
  private static final Set<WeightFormat> FORMATS_SEEN = EnumSet.noneOf(WeightFormat.class);
  private static OpenClDevice device;
  private static Tensor images;

  @BeforeAll
  static void open() {
    device = OpenClTesting.open();
    images = NpyReader.read(IMAGES);
  }

  @AfterAll
  static void close() {
    if (device != null) {
      device.close();
    }
    if (FORMATS_SEEN.size() > 0 && CALIBRATED.containsKey("lenet5")) {
      assertEquals(EnumSet.of(WeightFormat.INT8, WeightFormat.POT, WeightFormat.TERMS,
          WeightFormat.LUT), FORMATS_SEEN, "the schemes cover every weight format");
    }
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String model : MODEL_NAMES) {
      if (!Files.exists(MODELS.resolve(model + ".onnx"))) {
        continue;
      }
      out.add(Arguments.of(model, SchemeSpec.parse("int8", null)));
      out.add(Arguments.of(model, SchemeSpec.parse("pot4", null)));
      OTHER_SCHEMES.forEach(s -> out.add(Arguments.of(model, s)));
    }
    return out.stream();
  }

  private static Calibrated calibrate(String model) {
    return CALIBRATED.computeIfAbsent(model, m -> {
      Path file = MODELS.resolve(m + ".onnx");
      Graph graph = OnnxImporter.read(file);
      ModelMetadata meta = ModelMetadata.readSidecar(file).orElseThrow();
      ImagePreprocessing prep = ImagePreprocessing.forModel(graph.inputs().get(0).type(), meta,
          m);
      LabelledImages train = FashionMnist.installedOrBundled(FashionMnist.DEBIAN_DIR,
          FashionMnist.Split.TRAIN).calibration(Calibrator.DEFAULT_IMAGES,
          Calibrator.DEFAULT_SEED);
      return new Calibrated(graph, Calibrator.collect(graph, train, prep, 2,
          ProgressListener.NONE));
    });
  }

  static AcceleratorPackage compile(String model, SchemeSpec scheme) {
    Calibrated c = calibrate(model);
    Quantizer.Options options = Quantizer.Options.NONE;
    if (scheme.method().equals("doubleqext")) {
      List<String> layers = new ArrayList<>(Quantizer.quantize(c.graph(), c.stats(),
          SchemeSpec.parse("int8", null), options).layers().keySet());
      WeightScheme doubleq = SchemeSpec.parse("doubleq", null).weightScheme();
      WeightScheme int8 = SchemeSpec.parse("int8", null).weightScheme();
      Map<String, WeightScheme> plan = new LinkedHashMap<>();
      for (int i = 0; i < layers.size(); i++) {
        plan.put(layers.get(i), i % 2 == 0 ? doubleq : int8);
      }
      options = options.withLayerSchemes(plan);
    }
    return PackageCompiler.compile(Quantizer.quantize(c.graph(), c.stats(), scheme, options),
        CompileOptions.of(model, "test", "test")).pkg();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void openClEqualsEmulatorOnEveryBuffer(String model, SchemeSpec scheme) {
    AcceleratorPackage pkg = compile(model, scheme);
    pkg.getCodebooksList().stream().map(Codebook::getFormat).forEach(FORMATS_SEEN::add);
    int n = images.dim(0);
    int per = images.size() / n;
    long emuNanos = 0;
    long clNanos = 0;
    long kernelNanos = 0;
    int compared = 0;
    try (HostGraphExecutor host = new HostGraphExecutor(pkg, 2);
        Emulator emu = new Emulator(pkg, 2, host);
        OpenClPackage cl = device.load(pkg, host)) {
      for (int start = 0; start < n; start += BATCH) {
        int count = Math.min(BATCH, n - start);
        float[] batch = Arrays.copyOfRange(images.floats(), start * per, (start + count) * per);
        long t0 = System.nanoTime();
        EmulatorRun expected = emu.run(count, List.of(batch), true);
        long t1 = System.nanoTime();
        OpenClRun actual = cl.run(count, List.of(batch), true);
        long t2 = System.nanoTime();
        emuNanos += t1 - t0;
        clNanos += t2 - t1;
        kernelNanos += actual.kernelNanos();
        for (int b = 0; b < pkg.getBuffersCount(); b++) {
          byte[] want = expected.codes(b);
          if (want != null) {
            byte[] got = actual.codes(b);
            assertNotNull(got, "buffer " + b);
            assertArrayEquals(want, got, model + " " + scheme + " images " + start + "+: codes"
                + " of buffer " + b + " '" + pkg.getBuffers(b).getName() + "'");
            compared++;
          }
        }
        assertEquals(expected.outputs().size(), actual.outputs().size());
        for (int o = 0; o < expected.outputs().size(); o++) {
          assertArrayEquals(expected.output(o), actual.output(o), model + " output " + o);
          assertArrayEquals(expected.outputShape(o), actual.outputShape(o));
        }
      }
      assertTrue(compared >= 4 * 3, "compared " + compared + " code buffers");
      System.out.printf("bit-exact %-16s %-10s %d images: emulator %.0f ms, OpenCL %.0f ms"
              + " (kernels %.0f ms, codes of every buffer read back), %s%n", model, scheme, n,
          emuNanos / 1e6, clNanos / 1e6, kernelNanos / 1e6, cl.programReport());
    }
  }
}
