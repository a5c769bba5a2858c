package dev.potaccel.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.compile.PackageCompiler;
import dev.potaccel.cpu.CpuEngine;
import dev.potaccel.device.EmulatorSession;
import dev.potaccel.device.opencl.ClDeviceInfo;
import dev.potaccel.device.opencl.OpenClDevice;
import dev.potaccel.device.opencl.OpenClSession;
import dev.potaccel.emulator.cost.AcceleratorDescription;
import dev.potaccel.emulator.cost.CostModel;
import dev.potaccel.emulator.cost.CostReport;
import dev.potaccel.emulator.cost.EnergyTable;
import dev.potaccel.emulator.cost.HostModel;
import dev.potaccel.emulator.cost.HostSpeed;
import dev.potaccel.emulator.cost.HostWork;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.partition.Crossing.Direction;
import dev.potaccel.partition.Segment.Device;
import dev.potaccel.protocol.onnx.OnnxProto.ModelProto;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.quantize.ActivationFormat;
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.QuantizedGraph;
import dev.potaccel.quantize.QuantizedWeights;
import dev.potaccel.quantize.Quantizer;
import dev.potaccel.testing.RequiredData;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Models whose accelerator part is cut by a host segment (a Sigmoid gate, a Softmax, a reflect Pad
 * between convs) are partitioned into accelerator / host / accelerator, run on the emulator and on
 * OpenCL (bit-identical to each other) and agree with the FP32 CPU engine within a bound derived
 * from the quantization, not a guessed epsilon; LeNet-5 is one accelerator segment.
 *
 * <p>The bound, as the max-norm of the error over a tensor, layer by layer (notation of
 * CompiledOpAccuracyTest; {@code h(f) = 2^-(F+1)} half a step of format {@code f}, {@code X(f) =
 * maxMagnitude · 2^-F} the largest value it holds). Calibration runs on the test input itself, so
 * every true value lies in its format's range and saturation only moves a value toward it.
 *
 * <ul>
 *   <li>model input: {@code E = h(f_x)}.
 *   <li>conv {@code y = b + Σ w x}, input error {@code E_in}, quantized input magnitude at most
 *       {@code X}: {@code E_y = max_m (|b̂-b| + Σ|ŵ-w|·X + Σ|w|·E_in + γ_(K+1)(Σ|w|(X + E_in)
 *       + |b|)) + h(f_y)}, the γ term being the CPU engine's own float rounding; a fused ReLU is
 *       1-Lipschitz.
 *   <li>Sigmoid on the host: 1/4-Lipschitz, {@code E_s = E_g / 4 + 2^-24}; Mul {@code a·s} with
 *       {@code |s| <= 1}: {@code |âŝ - as| <= |â|·E_s + E_a}, plus a float rounding.
 *   <li>Softmax over channels: its Jacobian has max-norm {@code max 2p(1-p) <= 1/2} at every
 *       point, so {@code E_p = E_a / 2 + 2^-20}.
 *   <li>reflect Pad copies values: {@code E_p = E_a}; a MaxPool too: {@code |max x̂ - max x| <=
 *       max |x̂ - x|}, and it keeps its input's format.
 *   <li>every host output is quantized again for the accelerator: {@code + h(f)}.
 * </ul>
 */
class MixedPartitionTest {
  private static final double U = 0x1p-24;
  private static final int N = 4;

  /** The three models with a host segment in the middle, and the bound of each. */
  enum Model {
    SIGMOID_GATE("Sigmoid is not an accelerator operation", "Sigmoid Mul"),
    SOFTMAX("Softmax is not an accelerator operation", "Softmax"),
    REFLECT_PAD("Pad is not an accelerator operation", "Pad");

    final String reason;
    final String hostOps;

    Model(String reason, String hostOps) {
      this.reason = reason;
      this.hostOps = hostOps;
    }

    ModelProto proto() {
      return switch (this) {
        case SIGMOID_GATE -> MixedModels.sigmoidGate(2, 6, 6, 21);
        case SOFTMAX -> MixedModels.softmaxInTheMiddle(2, 6, 6, 22);
        case REFLECT_PAD -> MixedModels.reflectPadBetweenConvs(2, 6, 6, 23);
      };
    }

    /** The max-norm bound on |emulator - cpu| at the output (class comment). */
    double bound(Compiled c) {
      double eA = c.conv("conv1", c.half("x"), c.max("x")) + c.half("a");
      return switch (this) {
        case SIGMOID_GATE -> {
          double eG = c.conv("conv2", eA, c.max("a")) + c.half("g");
          double eS = eG / 4 + U;
          double eM = c.max("a") * eS + eA + U * c.max("a") + c.half("m");
          yield eM; // a max of codes keeps their format: |max x̂ - max x| <= max |x̂ - x|
        }
        case SOFTMAX -> {
          double eP = eA / 2 + 0x1p-20 + c.half("p");
          yield c.conv("conv2", eP, c.max("p")) + c.half("y");
        }
        case REFLECT_PAD -> {
          double eP = eA + c.half("p");
          yield c.conv("conv2", eP, c.max("p")) + c.half("y");
        }
      };
    }
  }

  /** A model compiled for the accelerator with calibration on its test input. */
  record Compiled(Graph g, Tensor x, QuantizedGraph q, AcceleratorPackage pkg) {
    static Compiled of(ModelProto proto, String name, Tensor x) {
      Graph g = OnnxImporter.fromProto(proto, name + ".onnx", null);
      CalibrationStats stats = Calibrator.collect(g, List.of(x), 1, ProgressListener.NONE);
      QuantizedGraph q = Quantizer.quantize(g, stats, QuantizationScheme.INT8);
      AcceleratorPackage pkg = PackageCompiler.compile(q,
          CompileOptions.of(name, "0".repeat(64), "test")).pkg();
      return new Compiled(g, x, q, pkg);
    }

    float[] cpu() {
      try (CpuEngine e = new CpuEngine(g, 2)) {
        return e.run(Map.of("x", x)).get(g.outputs().get(0).name()).floats();
      }
    }

    float[] emulator() {
      try (EmulatorSession s = EmulatorSession.open(pkg, 2)) {
        return s.run(x).floats();
      }
    }

    ActivationFormat format(String value) {
      ActivationFormat f = q.activation(value);
      assertTrue(f != null, "no format for '" + value + "'");
      return f;
    }

    double half(String value) {
      return format(value).step() / 2;
    }

    double max(String value) {
      return format(value).maxMagnitude() * format(value).step();
    }

    /** The conv term of the class comment, without the output rounding. */
    double conv(String node, double eIn, double xMax) {
      QuantizedWeights qw = q.weightsOf(node);
      float[] w = g.initializers().get(node + ".w").floats();
      float[] b = g.initializers().get(node + ".b").floats();
      int m = qw.outChannels();
      int k = w.length / m;
      double worst = 0;
      for (int o = 0; o < m; o++) {
        double e = Math.abs(qw.biasValue(o) - b[o]);
        double sumW = 0;
        for (int j = 0; j < k; j++) {
          double wr = w[o * k + j];
          e += Math.abs(qw.value(o, j) - wr) * xMax + Math.abs(wr) * eIn;
          sumW += Math.abs(wr);
        }
        double gamma = (k + 1) * U / (1 - (k + 1) * U);
        e += gamma * (sumW * (xMax + eIn) + Math.abs(b[o]));
        worst = Math.max(worst, e);
      }
      return worst;
    }
  }

  private static Tensor input(long seed) {
    Random rnd = new Random(seed);
    float[] v = new float[N * 2 * 6 * 6];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextDouble() * 2.5 - 1);
    }
    return Tensor.ofFloats(new int[] {N, 2, 6, 6}, v);
  }

  @ParameterizedTest
  @EnumSource(Model.class)
  void aHostOpInTheMiddleMakesThreeSegments(Model model) {
    Compiled c = Compiled.of(model.proto(), model.name().toLowerCase(Locale.ROOT), input(31));
    PartitionPlan plan = PartitionPlan.of(c.pkg());
    assertEquals(List.of(Device.ACCELERATOR, Device.HOST, Device.ACCELERATOR),
        plan.segments().stream().map(Segment::device).toList(), plan.toString());
    assertEquals(1, plan.hostRoundTrips());
    Segment host = plan.segments().get(1);
    assertEquals(List.of(model.hostOps), host.ops());
    assertTrue(host.reason().contains(model.reason), host.reason());
    // every value the host reads came off the accelerator, and what it gives back goes on again
    assertTrue(host.inputs().stream().allMatch(x -> x.direction() == Direction.TO_HOST));
    assertEquals(1, host.outputs().size());
    assertEquals(Direction.TO_ACCELERATOR, host.outputs().get(0).direction());
    assertEquals(host.outputs(), plan.segments().get(2).inputs());
    // all commands are in exactly one segment
    assertEquals(c.pkg().getCommandsCount(),
        plan.segments().stream().mapToInt(s -> s.commands().size()).sum());
    for (Segment s : plan.accelerator()) {
      for (int i : s.commands()) {
        assertTrue(!c.pkg().getCommands(i).hasHost(), s.toString());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Model.class)
  void theEmulatorAgreesWithTheCpuEngineWithinTheQuantizationBound(Model model) {
    Compiled c = Compiled.of(model.proto(), model.name().toLowerCase(Locale.ROOT), input(32));
    check(model + " on the emulator", c.emulator(), c.cpu(), model.bound(c));
  }

  @ParameterizedTest
  @EnumSource(Model.class)
  void openClRunsTheSamePartitionBitForBit(Model model) {
    ClDeviceInfo d = RequiredData.openClDevice();
    Compiled c = Compiled.of(model.proto(), model.name().toLowerCase(Locale.ROOT), input(33));
    float[] cl;
    try (OpenClSession s = OpenClSession.open(c.pkg(), d.platformIndex(), d.deviceIndex(), 2,
        OpenClDevice.Options.defaults().withCacheDir(Path.of("target/opencl-cache")))) {
      cl = s.run(c.x()).floats();
    }
    float[] emulated = c.emulator();
    // the integer parts are bit-exact and the host segment is the same CPU engine code
    assertArrayEquals(emulated, cl, model + ": OpenCL differs from the emulator");
    check(model + " on OpenCL", cl, c.cpu(), model.bound(c));
  }

  private static void check(String what, float[] device, float[] cpu, double bound) {
    assertEquals(cpu.length, device.length);
    double maxErr = 0;
    double maxRef = 0;
    for (int i = 0; i < cpu.length; i++) {
      double err = Math.abs((double) device[i] - cpu[i]);
      assertTrue(err <= bound, String.format(Locale.ROOT, "%s: element %d: device %s, CPU %s,"
          + " error %.4g exceeds the derived bound %.4g", what, i, device[i], cpu[i], err, bound));
      maxErr = Math.max(maxErr, err);
      maxRef = Math.max(maxRef, Math.abs(cpu[i]));
    }
    assertTrue(maxErr > 0, what + ": no quantization error at all: is it really quantized?");
    System.out.printf(Locale.ROOT, "%-28s max |device - cpu| %.4f, bound %.4f, max |y| %.3f%n",
        what, maxErr, bound, maxRef);
  }

  @Test
  void lenet5IsOneAcceleratorSegmentWithoutARoundTrip() {
    Graph g = OnnxImporter.read(Path.of("../models/lenet5.onnx"));
    Random rnd = new Random(34);
    float[] v = new float[2 * 28 * 28];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rnd.nextDouble();
    }
    Tensor x = Tensor.ofFloats(new int[] {2, 1, 28, 28}, v);
    QuantizedGraph q = Quantizer.quantize(g,
        Calibrator.collect(g, List.of(x), 1, ProgressListener.NONE), QuantizationScheme.INT8);
    AcceleratorPackage pkg = PackageCompiler.compile(q,
        CompileOptions.of("lenet5", "0".repeat(64), "test")).pkg();
    assertTrue(pkg.getCommandsList().stream().noneMatch(Command::hasHost));

    PartitionPlan plan = PartitionPlan.of(pkg);
    assertEquals(1, plan.segments().size(), plan.toString());
    Segment only = plan.segments().get(0);
    assertEquals(Device.ACCELERATOR, only.device());
    assertEquals(0, plan.hostRoundTrips());
    assertTrue(plan.host().isEmpty());
    // only the model's input (784 values) goes on and its output (10 logits) comes off
    assertEquals(List.of(784L), only.inputs().stream().map(Crossing::valuesPerImage).toList());
    assertEquals(List.of(10L), only.outputs().stream().map(Crossing::valuesPerImage).toList());
    assertEquals(2, plan.crossings().size());

    // its host time is the two conversions and their transfers, nothing else: at 1 GB/s on the
    // host, 5 B per converted value; over the default 3.2 GB/s DMA port, one byte per code
    HostSpeed speed = new HostSpeed(1e9, 1e9, "test");
    CostReport r = CostModel.estimate(pkg, AcceleratorDescription.defaultFor(pkg), 8,
        EnergyTable.HOROWITZ_45NM, new HostModel(speed, Map.of(), HostModel.Conversion.ON_HOST));
    double values = 8 * (784 + 10);
    assertEquals(values, r.hostCost().transferBytes());
    assertEquals(values / 3200.0, r.hostCost().transferUs(), 1e-9);
    assertEquals(5 * values / 1e9 * 1e6, r.hostCost().cpuUs(), 1e-9);
  }

  @Test
  void hostWorkIsCountedByTheConvention() {
    Compiled c = Compiled.of(Model.SIGMOID_GATE.proto(), "gate", input(35));
    Map<Integer, HostWork> work = HostWorkCount.ofPackage(c.pkg());
    assertEquals(1, work.size());
    // Sigmoid 4 FLOPs and Mul 1 per value, 4 · 6 · 6 = 144 values; bytes: Sigmoid reads and
    // writes 144 floats, Mul reads 2 · 144 and writes 144
    assertEquals(new HostWork(5 * 144, 4 * 5 * 144), work.values().iterator().next());
  }
}
