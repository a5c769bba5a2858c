package dev.potaccel.emulator.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.PoolKind;
import dev.potaccel.protocol.pkg.WeightTiling;
import org.junit.jupiter.api.Test;

/** A Fashion-MNIST-sized CNN on the default accelerator: totals add up and the table renders. */
class CostReportTest {

  /** conv 1→16, conv 16→32 /2, conv 32→64 /2, global average pool, fc 64→10, softmax on host. */
  static AcceleratorPackage smallCnn(int bitsPerWeight) {
    Pkg p = new Pkg("small-cnn", WeightTiling.DEFAULT);
    int x = p.input(1, 28, 28);
    int cb = p.codebook(Pkg.pot(bitsPerWeight, 0));
    int c1 = p.conv("conv1", x, 16, 3, 1, 1, 1, cb);
    int c2 = p.conv("conv2", c1, 32, 3, 2, 1, 1, cb);
    int c3 = p.conv("conv3", c2, 64, 3, 2, 1, 1, cb);
    int g = p.pool("gap", c3, PoolKind.GLOBAL_AVERAGE, 0);
    int f = p.reshape("flatten", g, 64);
    int fc = p.conv("fc", f, 10, 1, 1, 0, 1, cb);
    p.host("softmax", fc);
    return p.build();
  }

  @Test
  void totalsAreSumsAndTheTableHasEveryCommand() {
    CostReport r = CostModel.estimate(smallCnn(4), AcceleratorDescription.DEFAULT, 64);
    long macs = 0;
    long cycles = 0;
    double pj = 0;
    for (CommandCost c : r.commands()) {
      macs += c.macs();
      cycles += c.cycles();
      pj += c.energy().totalPj();
      assertTrue(c.macs() <= c.cycles() * 256L, c.name());
    }
    assertEquals(macs, r.macs());
    assertEquals(cycles, r.cycles());
    assertEquals(pj, r.energy().totalPj(), 1e-6 * pj);
    // conv1: 64 · 16 · 28 · 28 · 9 MACs; 1 channel tile · 64·784/16 pixel tiles · 9 cycles
    CommandCost conv1 = r.command("conv1");
    assertEquals(64L * 16 * 784 * 9, conv1.macs());
    assertEquals(1L * (64 * 784 / 16) * 9, conv1.computeCycles());
    String table = r.toTable();
    for (CommandCost c : r.commands()) {
      assertTrue(table.contains(c.name()), c.name());
    }
    assertTrue(table.contains("resources: 256 PEs, 0 DSP48, 20480 LUTs"), table);

    CostReport mult = CostModel.estimate(smallCnn(4),
        AcceleratorDescription.parse("pe_type = multiplier"), 64);
    assertTrue(mult.energy().totalPj() > r.energy().totalPj());
    assertEquals(256, mult.resources().dsps());
  }
}
