package dev.potaccel.crosscheck;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.data.NpyReader;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our FP32 CPU engine against two references it shares no code with: ONNX Runtime (CPU execution
 * provider) on the same ONNX file, and the logits PyTorch saved when the model was trained. Every
 * reference model in {@code models/} that has its metadata and saved logits is checked on the 256
 * bundled Fashion-MNIST test images: the same top-1 class on every image and logits within
 * {@value #TOLERANCE} of each reference. The measured differences are printed.
 */
class OnnxRuntimeCrossCheckTest {
  /** The repository's models folder; surefire runs with the module folder as working directory. */
  static final Path MODELS = Path.of("../models");
  static final Path IMAGES = MODELS.resolve("testdata/fmnist-test-first256.npy");
  static final Path LABELS = MODELS.resolve("testdata/fmnist-test-first256.labels.npy");
  static final float TOLERANCE = 1e-3f;
  static final int BATCH = 64;
  static final int THREADS = 2;

  private static Tensor images;
  private static float[] labels;

  /** Models with {@code <name>.onnx}, {@code <name>.json} and {@code <name>.logits256.npy}. */
  static List<String> referenceModels() throws IOException {
    List<String> names = new ArrayList<>();
    try (Stream<Path> files = Files.list(MODELS)) {
      for (Path f : files.sorted().toList()) {
        String file = f.getFileName().toString();
        if (!file.endsWith(".onnx")) {
          continue;
        }
        String name = file.substring(0, file.length() - ".onnx".length());
        if (Files.isRegularFile(MODELS.resolve(name + ".json"))
            && Files.isRegularFile(MODELS.resolve(name + ".logits256.npy"))) {
          names.add(name);
        }
      }
    }
    if (names.isEmpty()) {
      fail("no reference model in " + MODELS.toAbsolutePath().normalize()
          + ": need <name>.onnx with <name>.json and <name>.logits256.npy (models/README.md)");
    }
    return names;
  }

  @BeforeAll
  static void readImages() {
    images = NpyReader.read(IMAGES);
    labels = NpyReader.read(LABELS).floats();
    assertEquals(4, images.rank(), IMAGES + ": " + images);
    assertEquals(labels.length, images.dim(0), "one label per image");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("referenceModels")
  void engineAgreesWithOnnxRuntimeAndPyTorch(String name) throws OrtException {
    Path model = MODELS.resolve(name + ".onnx");
    Graph graph = OnnxImporter.read(model);
    String input = graph.inputs().get(0).name();
    Tensor torch = NpyReader.read(MODELS.resolve(name + ".logits256.npy"));
    assertEquals(images.dim(0), torch.dim(0), name + ".logits256.npy: one row per image");
    int classes = torch.dim(1);

    float[] ours = runOurs(graph, input, classes);
    float[] ort = runOnnxRuntime(model, input, classes);

    Comparison vsOrt = Comparison.of(ours, ort, classes);
    Comparison vsTorch = Comparison.of(ours, torch.floats(), classes);
    Comparison ortVsTorch = Comparison.of(ort, torch.floats(), classes);
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      correct += Comparison.argmax(ours, i, classes) == (int) labels[i] ? 1 : 0;
    }
    System.out.printf("cross-check %-16s %d images: max |cpu - onnxruntime| = %.3g,"
            + " max |cpu - pytorch| = %.3g (onnxruntime vs pytorch %.3g);"
            + " top-1 differs from onnxruntime on %d, from pytorch on %d; %d / %d correct%n",
        name, labels.length, vsOrt.maxAbsDiff(), vsTorch.maxAbsDiff(), ortVsTorch.maxAbsDiff(),
        vsOrt.argmaxMismatches().size(), vsTorch.argmaxMismatches().size(), correct,
        labels.length);

    assertAll(name,
        () -> assertEquals(List.of(), vsOrt.argmaxMismatches(),
            "images whose top-1 class differs between our engine and ONNX Runtime"),
        () -> assertTrue(vsOrt.maxAbsDiff() <= TOLERANCE, "max |cpu - onnxruntime| = "
            + vsOrt.maxAbsDiff() + " at " + vsOrt.worst() + ", tolerance " + TOLERANCE),
        () -> assertEquals(List.of(), vsTorch.argmaxMismatches(),
            "images whose top-1 class differs between our engine and PyTorch"),
        () -> assertTrue(vsTorch.maxAbsDiff() <= TOLERANCE, "max |cpu - pytorch| = "
            + vsTorch.maxAbsDiff() + " at " + vsTorch.worst() + ", tolerance " + TOLERANCE));
  }

  /** Our engine over the images in batches; the first output, [images, classes] row-major. */
  private static float[] runOurs(Graph graph, String input, int classes) {
    int n = images.dim(0);
    float[] logits = new float[n * classes];
    try (CpuEngine engine = new CpuEngine(graph, THREADS)) {
      for (int start = 0; start < n; start += BATCH) {
        int count = Math.min(BATCH, n - start);
        Tensor out = engine.run(Map.of(input, batch(start, count))).values().iterator().next();
        assertArrayEquals(new int[] {count, classes}, out.shape(), "our output shape");
        System.arraycopy(out.floats(), 0, logits, start * classes, count * classes);
      }
    }
    return logits;
  }

  /** ONNX Runtime, CPU execution provider, same batches; the first output. */
  private static float[] runOnnxRuntime(Path model, String input, int classes)
      throws OrtException {
    int n = images.dim(0);
    float[] logits = new float[n * classes];
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(THREADS);
      options.setInterOpNumThreads(1);
      try (OrtSession session = env.createSession(model.toString(), options)) {
        for (int start = 0; start < n; start += BATCH) {
          int count = Math.min(BATCH, n - start);
          Tensor in = batch(start, count);
          long[] shape = Arrays.stream(in.shape()).asLongStream().toArray();
          try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(in.floats()), shape);
              OrtSession.Result result = session.run(Map.of(input, t))) {
            OnnxTensor out = (OnnxTensor) result.get(0);
            assertArrayEquals(new long[] {count, classes}, out.getInfo().getShape(),
                "onnxruntime output shape");
            out.getFloatBuffer().get(logits, start * classes, count * classes);
          }
        }
      }
    }
    return logits;
  }

  /** Images [start, start + count) as one tensor of their own. */
  private static Tensor batch(int start, int count) {
    int[] shape = images.shape().clone();
    int per = images.size() / shape[0];
    shape[0] = count;
    return Tensor.ofFloats(shape,
        Arrays.copyOfRange(images.floats(), start * per, (start + count) * per));
  }

  /** How two [images, classes] logit arrays differ. */
  record Comparison(double maxAbsDiff, String worst, List<String> argmaxMismatches) {
    static Comparison of(float[] a, float[] b, int classes) {
      assertEquals(a.length, b.length, "logit counts");
      double max = 0;
      int at = 0;
      for (int i = 0; i < a.length; i++) {
        double d = Math.abs((double) a[i] - b[i]);
        if (d > max || Double.isNaN(d)) {
          max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
          at = i;
        }
      }
      List<String> mismatches = new ArrayList<>();
      for (int img = 0; img < a.length / classes; img++) {
        int ca = argmax(a, img, classes);
        int cb = argmax(b, img, classes);
        if (ca != cb) {
          mismatches.add("image " + img + ": class " + ca + " vs " + cb);
        }
      }
      String worst = "image " + at / classes + " class " + at % classes + " (" + a[at] + " vs "
          + b[at] + ")";
      return new Comparison(max, worst, mismatches);
    }

    static int argmax(float[] logits, int image, int classes) {
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (logits[image * classes + c] > logits[image * classes + best]) {
          best = c;
        }
      }
      return best;
    }
  }
}
