package dev.potaccel.device.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

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
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.Quantizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every reference model in models/ with INT8 and POT-4, compiled as {@code --device emulator}
 * compiles it (256 training images, default seed), run on the 256 bundled test images through the
 * emulator and through the OpenCL kernels: every code buffer of every command, and the FP32
 * outputs, must be identical bit for bit.
 */
class ReferenceModelsBitExactTest {
  private static final Path MODELS = Path.of("../models");
  private static final Path IMAGES = MODELS.resolve("testdata/fmnist-test-first256.npy");
  private static final int BATCH = 64;

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
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String model : List.of("lenet5", "mobilenet-small", "vgg-small", "resnet20")) {
      if (Files.exists(MODELS.resolve(model + ".onnx"))) {
        for (QuantizationScheme s : List.of(QuantizationScheme.INT8, QuantizationScheme.POT4)) {
          out.add(Arguments.of(model, s));
        }
      }
    }
    return out.stream();
  }

  static AcceleratorPackage compile(String model, QuantizationScheme scheme) {
    Path file = MODELS.resolve(model + ".onnx");
    Graph graph = OnnxImporter.read(file);
    ModelMetadata meta = ModelMetadata.readSidecar(file).orElseThrow();
    ImagePreprocessing prep = ImagePreprocessing.forModel(graph.inputs().get(0).type(), meta,
        model);
    LabelledImages train = FashionMnist.installedOrBundled(FashionMnist.DEBIAN_DIR,
        FashionMnist.Split.TRAIN).calibration(Calibrator.DEFAULT_IMAGES, Calibrator.DEFAULT_SEED);
    CalibrationStats stats = Calibrator.collect(graph, train, prep, 2, ProgressListener.NONE);
    return PackageCompiler.compile(Quantizer.quantize(graph, stats, scheme),
        CompileOptions.of(model, "test", "test")).pkg();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void openClEqualsEmulatorOnEveryBuffer(String model, QuantizationScheme scheme) {
    AcceleratorPackage pkg = compile(model, scheme);
    int n = images.dim(0);
    int per = images.size() / n;
    long emuNanos = 0;
    long clNanos = 0;
    long kernelNanos = 0;
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
          }
        }
        assertEquals(expected.outputs().size(), actual.outputs().size());
        for (int o = 0; o < expected.outputs().size(); o++) {
          assertArrayEquals(expected.output(o), actual.output(o), model + " output " + o);
          assertArrayEquals(expected.outputShape(o), actual.outputShape(o));
        }
      }
      System.out.printf("bit-exact %-16s %-5s %d images: emulator %.0f ms, OpenCL %.0f ms"
              + " (kernels %.0f ms, codes of every buffer read back), %s%n", model, scheme, n,
          emuNanos / 1e6, clNanos / 1e6, kernelNanos / 1e6, cl.programReport());
    }
  }
}
