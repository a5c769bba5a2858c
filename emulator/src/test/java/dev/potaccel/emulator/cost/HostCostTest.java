package dev.potaccel.emulator.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.emulator.cost.HostModel.Conversion;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.WeightTiling;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The host side of the cost model (docs/partitioning.md): a host node in the middle of a network
 * costs its boundary transfers, the host's quantize and dequantize, and its CPU time, on top of
 * the same network without it. Every expected figure is worked by hand from the description.
 */
class HostCostTest {
  private static final double EPS = 1e-9;
  private static final WeightTiling TILING = new WeightTiling(4, 16);
  /** 4x4 SHIFT array at 100 MHz, 4 B/cycle of DMA: the link moves 400 B/us. */
  private static final AcceleratorDescription D = new AcceleratorDescription("test", 4, 4,
      PeType.SHIFT, 1, 100.0, 1 << 20, 1 << 20, 1024, 4.0, 16);
  /** 1 GFLOP/s, 2 GB/s. */
  private static final HostSpeed SPEED = new HostSpeed(1e9, 2e9, "test figures");
  private static final int BATCH = 2;

  /**
   * input [4, 4, 4] (64 values per image) -> conv 8 -> (host node) -> conv 8 -> output: the host
   * node and the output see [8, 4, 4], 128 values per image.
   */
  private static AcceleratorPackage twoConvs(boolean hostInTheMiddle) {
    Pkg p = new Pkg(hostInTheMiddle ? "gated" : "plain", TILING);
    int x = p.input(4, 4, 4);
    int cb = p.codebook(Pkg.pot(4, 0));
    int a = p.conv("a", x, 8, 3, 1, 1, 1, cb);
    if (hostInTheMiddle) {
      a = p.hostBetween("gate", a);
    }
    int b = p.conv("b", a, 8, 3, 1, 1, 1, cb);
    p.output(b);
    return p.build();
  }

  /** The HOST command's index in {@link #twoConvs}(true): quantize, a, gate_deq, gate. */
  private static final int GATE = 3;

  @Test
  void aHostNodeCostsItsTransfersConversionsAndCpuTime() {
    // 10 FLOPs and 8 bytes per value: 1280 FLOPs, 1024 B per image
    HostModel host = new HostModel(SPEED, Map.of(GATE, new HostWork(1280, 1024)),
        Conversion.ON_HOST);
    CostReport plain = CostModel.estimate(twoConvs(false), D, BATCH, EnergyTable.HOROWITZ_45NM,
        host);
    CostReport gated = CostModel.estimate(twoConvs(true), D, BATCH, EnergyTable.HOROWITZ_45NM,
        host);
    assertEquals(CommandKind.HOST, gated.commands().get(GATE).kind());

    // the accelerator does the same work in both
    assertEquals(plain.cycles(), gated.cycles());
    assertEquals(plain.latencyUs(), gated.latencyUs(), EPS);

    // 2 images · 128 values = 256 codes leave the device and 256 come back: 512 B at 400 B/us
    double transfer = 512 / 400.0;
    // dequantize and quantize each stream 5 B per value (float + code): 1280 B at 2 GB/s
    double convert = 2 * (5 * 256 / 2e9 * 1e6);
    // the node: max(2 · 1280 FLOPs / 1 GFLOP/s, 2 · 1024 B / 2 GB/s) = 2.56 us, compute-bound
    double cpu = 2 * 1280 / 1e9 * 1e6;
    assertEquals(2.56, cpu, EPS);
    assertEquals(transfer + convert + cpu, gated.totalUs() - plain.totalUs(), EPS);
    assertEquals(512, gated.hostCost().transferBytes() - plain.hostCost().transferBytes());
    assertEquals(cpu, gated.commands().get(GATE).host().cpuUs(), EPS);
    assertEquals(0, gated.commands().get(GATE).cycles());

    // the plain model still pays for its input (128 codes) and output (256 codes)
    assertEquals(384, plain.hostCost().transferBytes());
    assertEquals(plain.latencyUs() + 384 / 400.0 + 5 * 384 / 2e9 * 1e6, plain.totalUs(), EPS);
    String table = gated.toTable();
    assertTrue(table.contains("test figures"), table);
    assertTrue(table.contains("end to end: "), table);
  }

  @Test
  void onTheDeviceFp32CrossesTheLinkAroundHostNodes() {
    HostModel host = new HostModel(SPEED, Map.of(GATE, new HostWork(1280, 1024)),
        Conversion.ON_DEVICE);
    CostReport gated = CostModel.estimate(twoConvs(true), D, BATCH, EnergyTable.HOROWITZ_45NM,
        host);
    CommandCost in = gated.commands().get(0);
    // the model input: 2 · 64 floats written to the device, then quantized on 4 lanes: 32
    // compute cycles, 128 · 5 B of DMA at 4 B/cycle = 160 memory cycles
    assertEquals(CommandKind.CONVERT, in.kind());
    assertEquals(512, in.host().toDeviceBytes());
    assertEquals(32, in.computeCycles());
    assertEquals(160, in.memoryCycles());
    assertEquals(0, in.host().cpuUs(), EPS);
    CommandCost deq = gated.commands().get(GATE - 1); // stays on the device: no link bytes
    assertEquals(0, deq.host().transferBytes());
    assertEquals(256 * 5 / 4, deq.cycles()); // 256 values, memory-bound
    CommandCost gate = gated.commands().get(GATE);
    // its 256 inputs come back as floats and its 256 outputs go out again
    assertEquals(1024, gate.host().fromDeviceBytes());
    assertEquals(1024, gate.host().toDeviceBytes());
    assertEquals(2048 / 400.0, gate.host().transferUs(), EPS);
    assertEquals(2.56, gate.host().cpuUs(), EPS);
    // input 512 + gate 2048 + output 1024
    assertEquals(3584, gated.hostCost().transferBytes());
  }

  @Test
  void aHostCommandWithoutCountedWorkIsChargedItsBytes() {
    CostReport r = CostModel.estimate(twoConvs(true), D, BATCH, EnergyTable.HOROWITZ_45NM,
        new HostModel(SPEED, Map.of(), Conversion.ON_HOST));
    CommandCost gate = r.commands().get(GATE);
    // 2 images · (128 in + 128 out) floats · 4 B = 2048 B at 2 GB/s
    assertEquals(2048 / 2e9 * 1e6, gate.host().cpuUs(), EPS);
    assertTrue(gate.note().contains("FLOPs are not counted"), gate.note());
    // the plain estimate uses the documented default speed and says so
    CostReport byDefault = CostModel.estimate(twoConvs(true), D, BATCH);
    assertTrue(byDefault.toTable().contains("default, not measured"), byDefault.toTable());
  }

  @Test
  void badHostFigures() {
    assertThrows(IllegalArgumentException.class, () -> new HostSpeed(0, 1, "x"));
    assertThrows(IllegalArgumentException.class, () -> new HostSpeed(1, Double.NaN, "x"));
    assertThrows(IllegalArgumentException.class, () -> new HostSpeed(1, 1, " "));
    assertThrows(IllegalArgumentException.class, () -> new HostWork(-1, 0));
  }
}
