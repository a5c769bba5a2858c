package dev.potaccel.crosscheck;

import static dev.potaccel.testing.OnnxModelBuilder.floatTensor;
import static dev.potaccel.testing.OnnxModelBuilder.intAttr;
import static dev.potaccel.testing.OnnxModelBuilder.ints;
import static dev.potaccel.testing.OnnxModelBuilder.tensorAttr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.protocol.onnx.OnnxProto.AttributeProto;
import dev.potaccel.testing.OnnxModelBuilder;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU engine's lane layout (activations with images in the vector lanes, kept from Conv to
 * Conv) against ONNX Runtime on a small network built to reach every path of it: a Conv -> Relu
 * chain with 12 output channels (a partial block of eight), an identity residual block whose Add
 * the second Conv absorbs, a strided block whose 1 x 1 shortcut absorbs the Add, a 5 x 5 Conv
 * with pads beyond the lane border, a Relu and an Add that run on lane tensors, a
 * GlobalAveragePool reading lanes, a MaxPool reading lanes into a graph output (NCHW), and
 * values that graph outputs need in NCHW; and a MobileNet-style network of depthwise Convs,
 * Clips (ReLU6) and MaxPools, see {@link #depthwiseModel}. Batches: below half a vector (the
 * NCHW path), partial lane groups, full ones.
 */
public class LaneLayoutCrossCheckTest {
  private static final float TOLERANCE = 2e-5f;
  private static final String[] OUTPUTS = {"r1", "pool", "gap"};
  private static final String[] DEPTHWISE_OUTPUTS = {"k1", "k3", "k5", "gap", "gap2", "gap3",
      "gap4"};

  @TempDir
  static Path dir;

  @ParameterizedTest(name = "batch {0}")
  @ValueSource(ints = {5, 37, 64})
  void everyLanePathAgreesWithOnnxRuntime(int batch) throws IOException, OrtException {
    agreesWithOnnxRuntime(model().write(dir.resolve("lanes.onnx")), OUTPUTS, batch);
  }

  @ParameterizedTest(name = "batch {0}")
  @ValueSource(ints = {5, 37, 64})
  void depthwiseAndClipPathsAgreeWithOnnxRuntime(int batch) throws IOException, OrtException {
    agreesWithOnnxRuntime(depthwiseModel().write(dir.resolve("depthwise.onnx")),
        DEPTHWISE_OUTPUTS, batch);
  }

  private static void agreesWithOnnxRuntime(Path model, String[] outputs, int batch)
      throws IOException, OrtException {
    Graph graph = OnnxImporter.read(model);
    Random rnd = new Random(batch);
    float[] x = new float[batch * 3 * 12 * 10];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextFloat() * 2 - 1;
    }
    int[] shape = {batch, 3, 12, 10};
    Map<String, Tensor> ours;
    try (CpuEngine engine = new CpuEngine(graph, 2)) {
      engine.run(Map.of("x", Tensor.ofFloats(shape, x))); // a second run reuses the arrays
      ours = engine.run(Map.of("x", Tensor.ofFloats(shape, x)));
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(model.toString());
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x),
            Arrays.stream(shape).asLongStream().toArray());
        OrtSession.Result result = session.run(Map.of("x", in))) {
      for (String name : outputs) {
        OnnxTensor want = (OnnxTensor) result.get(name).orElseThrow();
        Tensor got = ours.get(name);
        assertArrayEquals(want.getInfo().getShape(),
            Arrays.stream(got.shape()).asLongStream().toArray(), name + " shape");
        float[] expected = new float[got.size()];
        want.getFloatBuffer().get(expected);
        double worst = 0;
        int at = 0;
        for (int i = 0; i < expected.length; i++) {
          double d = Math.abs(expected[i] - got.floats()[i]) / Math.max(1, Math.abs(expected[i]));
          if (d > worst) {
            worst = d;
            at = i;
          }
        }
        assertTrue(worst <= TOLERANCE, name + ": relative difference " + worst + " at " + at
            + " (onnxruntime " + expected[at] + ", ours " + got.floats()[at] + ")");
      }
    }
  }

  /**
   * x [N,3,12,10] -> c0 (3x3, 12 ch, bias) -> Relu r0; identity block: c1 -> Add(c1, r0) ->
   * Relu r1 (a graph output); strided block: c2 (stride 2) -> Relu -> c3, shortcut s (1x1,
   * stride 2) from r1, Add(c3, s) -> Relu r3; pool = MaxPool 2x2 of r3; c4 (5x5, pads 2) of r3,
   * read by Relu r4 and Add(r4, c4) = a5; gap = GlobalAveragePool(a5).
   */
  public static OnnxModelBuilder model() {
    Random rnd = new Random(7);
    OnnxModelBuilder b = new OnnxModelBuilder().opset(13).input("x", -1, 3, 12, 10);
    weights(b, rnd, "w0", 12, 3, 3);
    b.initializer(floatTensor("b0", new long[] {12}, random(rnd, 12, 0.5f)));
    weights(b, rnd, "w1", 12, 12, 3);
    weights(b, rnd, "w2", 16, 12, 3);
    weights(b, rnd, "w3", 16, 16, 3);
    weights(b, rnd, "ws", 16, 12, 1);
    weights(b, rnd, "w4", 16, 16, 5);
    b.node("Conv", "c0", new String[] {"x", "w0", "b0"}, new String[] {"c0"}, pads(1))
        .node("Relu", "r0", new String[] {"c0"}, new String[] {"r0"})
        .node("Conv", "c1", new String[] {"r0", "w1"}, new String[] {"c1"}, pads(1))
        .node("Add", "a1", new String[] {"c1", "r0"}, new String[] {"a1"})
        .node("Relu", "r1", new String[] {"a1"}, new String[] {"r1"})
        .node("Conv", "c2", new String[] {"r1", "w2"}, new String[] {"c2"}, pads(1),
            ints("strides", 2, 2))
        .node("Relu", "r2", new String[] {"c2"}, new String[] {"r2"})
        .node("Conv", "c3", new String[] {"r2", "w3"}, new String[] {"c3"}, pads(1))
        .node("Conv", "s", new String[] {"r1", "ws"}, new String[] {"s"},
            ints("strides", 2, 2))
        .node("Add", "a3", new String[] {"c3", "s"}, new String[] {"a3"})
        .node("Relu", "r3", new String[] {"a3"}, new String[] {"r3"})
        .node("MaxPool", "pool", new String[] {"r3"}, new String[] {"pool"},
            ints("kernel_shape", 2, 2), ints("strides", 2, 2))
        .node("Conv", "c4", new String[] {"r3", "w4"}, new String[] {"c4"}, pads(2),
            intAttr("group", 1))
        .node("Relu", "r4", new String[] {"c4"}, new String[] {"r4"})
        .node("Add", "a5", new String[] {"r4", "c4"}, new String[] {"a5"})
        .node("GlobalAveragePool", "gap", new String[] {"a5"}, new String[] {"gap"});
    return b.output("r1", -1, 12, 12, 10).output("pool", -1, 16, 3, 2)
        .output("gap", -1, 16, 1, 1);
  }

  /**
   * x [N,3,12,10] -> c0 (3x3, 16 ch) -> Clip(0, 6) k0 (absorbed by a Conv with NCHW input); d1
   * (depthwise 3x3, bias) -> Clip(0, 6) k1 (bounds from Constant nodes, as PyTorch exports
   * ReLU6; absorbed by the depthwise Conv; a graph output); p1
   * (1x1, 24 ch) -> Clip(0.1, 6) k2 (absorbed; a clamp that does not keep zero); d2 (depthwise,
   * stride 2) -> Relu r2 (fused); d3 (depthwise 5x5, pads 2: beyond the border, NCHW kernel) and
   * Add(d3, r2) -> Clip(-1, 0.5) k3 on NCHW; d4 (depthwise of r2) and Add(r2, d4) = a4 on lanes,
   * read by Clip(0, 6) k4 (the lane Clip) and Clip(0.1, 6) k5 (does not keep zero: NCHW); g (3x3,
   * group 2, not depthwise: its lane input converted to NCHW) of k4; gap = GlobalAveragePool(g).
   * MaxPools of k4: m1 (2x2, stride 2, on lanes) -> m2 (3x3, pads 1: NCHW); m3 (3x2, strides 1
   * and 2, ceil mode: a window past the edge, NCHW); m4 (3x3, stride 2, on lanes); each read by a
   * 1x1 Conv and a GlobalAveragePool (gap2, gap3, gap4).
   */
  public static OnnxModelBuilder depthwiseModel() {
    Random rnd = new Random(11);
    OnnxModelBuilder b = new OnnxModelBuilder().opset(13).input("x", -1, 3, 12, 10);
    weights(b, rnd, "w0", 16, 3, 3);
    weights(b, rnd, "wd1", 16, 1, 3);
    b.initializer(floatTensor("bd1", new long[] {16}, random(rnd, 16, 0.5f)));
    weights(b, rnd, "wp1", 24, 16, 1);
    weights(b, rnd, "wd2", 24, 1, 3);
    weights(b, rnd, "wd3", 24, 1, 5);
    weights(b, rnd, "wd4", 24, 1, 3);
    weights(b, rnd, "wg", 24, 12, 3);
    weights(b, rnd, "wq", 8, 24, 1);
    b.initializer(floatTensor("zero", new long[] {}, 0f))
        .initializer(floatTensor("six", new long[] {}, 6f))
        .initializer(floatTensor("lo01", new long[] {}, 0.1f))
        .initializer(floatTensor("neg1", new long[] {}, -1f))
        .initializer(floatTensor("half", new long[] {}, 0.5f));
    b.node("Conv", "c0", new String[] {"x", "w0"}, new String[] {"c0"}, pads(1))
        .node("Clip", "k0", new String[] {"c0", "zero", "six"}, new String[] {"k0"})
        .node("Conv", "d1", new String[] {"k0", "wd1", "bd1"}, new String[] {"d1"}, pads(1),
            intAttr("group", 16))
        .node("Constant", "z", new String[] {}, new String[] {"z"},
            tensorAttr("value", floatTensor("z", new long[] {}, 0f)))
        .node("Constant", "s6", new String[] {}, new String[] {"s6"},
            tensorAttr("value", floatTensor("s6", new long[] {}, 6f)))
        .node("Clip", "k1", new String[] {"d1", "z", "s6"}, new String[] {"k1"})
        .node("Conv", "p1", new String[] {"k1", "wp1"}, new String[] {"p1"})
        .node("Clip", "k2", new String[] {"p1", "lo01", "six"}, new String[] {"k2"})
        .node("Conv", "d2", new String[] {"k2", "wd2"}, new String[] {"d2"}, pads(1),
            intAttr("group", 24), ints("strides", 2, 2))
        .node("Relu", "r2", new String[] {"d2"}, new String[] {"r2"})
        .node("Conv", "d3", new String[] {"r2", "wd3"}, new String[] {"d3"}, pads(2),
            intAttr("group", 24))
        .node("Add", "a3", new String[] {"d3", "r2"}, new String[] {"a3"})
        .node("Clip", "k3", new String[] {"a3", "neg1", "half"}, new String[] {"k3"})
        .node("Conv", "d4", new String[] {"r2", "wd4"}, new String[] {"d4"}, pads(1),
            intAttr("group", 24))
        .node("Add", "a4", new String[] {"r2", "d4"}, new String[] {"a4"})
        .node("Clip", "k4", new String[] {"a4", "zero", "six"}, new String[] {"k4"})
        .node("Clip", "k5", new String[] {"a4", "lo01", "six"}, new String[] {"k5"})
        .node("Conv", "g", new String[] {"k4", "wg"}, new String[] {"g"}, pads(1),
            intAttr("group", 2))
        .node("GlobalAveragePool", "gap", new String[] {"g"}, new String[] {"gap"})
        .node("MaxPool", "m1", new String[] {"k4"}, new String[] {"m1"},
            ints("kernel_shape", 2, 2), ints("strides", 2, 2))
        .node("MaxPool", "m2", new String[] {"m1"}, new String[] {"m2"},
            ints("kernel_shape", 3, 3), pads(1))
        .node("MaxPool", "m3", new String[] {"k4"}, new String[] {"m3"},
            ints("kernel_shape", 3, 2), ints("strides", 1, 2), intAttr("ceil_mode", 1))
        .node("MaxPool", "m4", new String[] {"k4"}, new String[] {"m4"},
            ints("kernel_shape", 3, 3), ints("strides", 2, 2));
    for (int i = 2; i <= 4; i++) {
      b.node("Conv", "q" + i, new String[] {"m" + i, "wq"}, new String[] {"q" + i})
          .node("GlobalAveragePool", "gap" + i, new String[] {"q" + i}, new String[] {"gap" + i});
    }
    return b.output("k1", -1, 16, 12, 10).output("k3", -1, 24, 6, 5)
        .output("k5", -1, 24, 6, 5).output("gap", -1, 24, 1, 1).output("gap2", -1, 8, 1, 1)
        .output("gap3", -1, 8, 1, 1).output("gap4", -1, 8, 1, 1);
  }

  private static void weights(OnnxModelBuilder b, Random rnd, String name, int m, int c, int k) {
    float scale = (float) (1.5 / Math.sqrt(c * k * k));
    b.initializer(floatTensor(name, new long[] {m, c, k, k}, random(rnd, m * c * k * k, scale)));
  }

  private static float[] random(Random rnd, int n, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rnd.nextGaussian() * scale;
    }
    return v;
  }

  private static AttributeProto pads(int p) {
    return ints("pads", p, p, p, p);
  }
}
