package dev.potaccel.partition;

import com.google.protobuf.ByteString;
import dev.potaccel.protocol.onnx.OnnxProto.AttributeProto;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import dev.potaccel.protocol.onnx.OnnxProto.TensorProto;
import dev.potaccel.testing.OnnxModelBuilder;
import java.util.Random;

/**
 * Small CNNs that force a host segment between accelerator segments, built in code. Every conv is
 * 3x3 with random weights in [-0.4, 0.4) and biases in [-0.2, 0.2); the input is {@code [N, C, H,
 * W]} with the batch symbolic.
 */
public final class MixedModels {
  private MixedModels() {}

  /**
   * A sigmoid gate: {@code a = relu(conv1(x))}, {@code y = maxpool_2x2(a * sigmoid(conv2(a)))}
   * ({@code h} and {@code w} even). Sigmoid and Mul run on the host between the two accelerator
   * segments.
   */
  public static ModelProto sigmoidGate(int c, int h, int w, long seed) {
    Random rnd = new Random(seed);
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", -1, c, h, w)
        .output("y", -1, 4, h / 2, w / 2);
    conv(b, rnd, "conv1", "x", "a0", c, 4, 1);
    b.node("Relu", "relu1", new String[] {"a0"}, new String[] {"a"});
    conv(b, rnd, "conv2", "a", "g", 4, 4, 1);
    b.node("Sigmoid", "sigmoid", new String[] {"g"}, new String[] {"s"});
    b.node("Mul", "gate", new String[] {"a", "s"}, new String[] {"m"});
    b.node("MaxPool", "pool", new String[] {"m"}, new String[] {"y"},
        OnnxModelBuilder.ints("kernel_shape", 2, 2), OnnxModelBuilder.ints("strides", 2, 2));
    return b.build();
  }

  /** {@code y = conv2(softmax(relu(conv1(x)), axis 1))}: Softmax over channels on the host. */
  public static ModelProto softmaxInTheMiddle(int c, int h, int w, long seed) {
    Random rnd = new Random(seed);
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", -1, c, h, w).output("y", -1, 3, h, w);
    conv(b, rnd, "conv1", "x", "a0", c, 4, 1);
    b.node("Relu", "relu1", new String[] {"a0"}, new String[] {"a"});
    b.node("Softmax", "softmax", new String[] {"a"}, new String[] {"p"},
        OnnxModelBuilder.intAttr("axis", 1));
    conv(b, rnd, "conv2", "p", "y", 4, 3, 1);
    return b.build();
  }

  /**
   * {@code y = conv2(pad_reflect(relu(conv1(x)), 1))} with conv2 unpadded: the accelerator pads
   * with zeros only (docs/accelerator.md §3.4), so the reflect Pad runs on the host.
   */
  public static ModelProto reflectPadBetweenConvs(int c, int h, int w, long seed) {
    Random rnd = new Random(seed);
    OnnxModelBuilder b = new OnnxModelBuilder().input("x", -1, c, h, w).output("y", -1, 3, h, w);
    conv(b, rnd, "conv1", "x", "a0", c, 4, 1);
    b.node("Relu", "relu1", new String[] {"a0"}, new String[] {"a"});
    b.initializer(TensorProto.newBuilder().setName("pads").setDataType(7).addDims(8)
        .addInt64Data(0).addInt64Data(0).addInt64Data(1).addInt64Data(1)
        .addInt64Data(0).addInt64Data(0).addInt64Data(1).addInt64Data(1).build());
    b.node("Pad", "pad", new String[] {"a", "pads"}, new String[] {"p"},
        AttributeProto.newBuilder().setName("mode").setType(AttributeProto.AttributeType.STRING)
            .setS(ByteString.copyFromUtf8("reflect")).build());
    conv(b, rnd, "conv2", "p", "y", 4, 3, 0);
    return b.build();
  }

  /** A 3x3 conv {@code in -> out}, stride 1, symmetric pad; weights {@code <name>.w, <name>.b}. */
  static void conv(OnnxModelBuilder b, Random rnd, String name, String in, String out, int c,
      int m, int pad) {
    float[] w = new float[m * c * 9];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) ((rnd.nextDouble() * 2 - 1) * 0.4);
    }
    float[] bias = new float[m];
    for (int i = 0; i < m; i++) {
      bias[i] = (float) ((rnd.nextDouble() * 2 - 1) * 0.2);
    }
    b.initializer(name + ".w", new long[] {m, c, 3, 3}, w)
        .initializer(name + ".b", new long[] {m}, bias)
        .node("Conv", name, new String[] {in, name + ".w", name + ".b"}, new String[] {out},
            OnnxModelBuilder.ints("kernel_shape", 3, 3),
            OnnxModelBuilder.ints("pads", pad, pad, pad, pad));
  }
}
