package dev.potaccel.emulator.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.ConvCommand;
import dev.potaccel.protocol.pkg.PoolKind;
import dev.potaccel.protocol.pkg.TileSchedule;
import dev.potaccel.protocol.pkg.WeightPacker;
import dev.potaccel.protocol.pkg.WeightTiling;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-computed cases of the cost model (docs/accelerator.md §8). */
class CostModelTest {
  private static final double EPS = 1e-6;
  private static final WeightTiling TILING = new WeightTiling(4, 16);

  /**
   * One conv: input [4, 4, 4], 3x3 pad 1, M = 8, POT 4-bit, batch 2, on a 4x4 array tiled like the
   * package (P_out 4, 16-byte bursts).
   */
  private static AcceleratorPackage oneConv() {
    Pkg p = new Pkg("one-conv", TILING);
    int x = p.input(4, 4, 4);
    int cb = p.codebook(Pkg.pot(4, 0));
    int y = p.conv("conv", x, 8, 3, 1, 1, 1, cb);
    p.output(y);
    return p.build();
  }

  private static AcceleratorDescription accel(PeType type, int maxTerms, long weightBuf,
      long actBuf, double dma) {
    return new AcceleratorDescription("test", 4, 4, type, maxTerms, 100.0, weightBuf, actBuf,
        1024, dma, 16);
  }

  @Test
  void oneConvByHand() {
    AcceleratorPackage pkg = oneConv();
    ConvCommand conv = pkg.getCommands(1).getConv();
    // packed weights: 2 tiles of ceil(4·36·4 / 8) = 72 bytes, each padded to 80 (16-byte bursts)
    assertEquals(160, conv.getWeights().getLength());
    assertEquals(32, conv.getBias().getLength()); // 8 int32 biases, already a multiple of 16

    CostReport r = CostModel.estimate(pkg, accel(PeType.SHIFT, 1, 1 << 20, 1 << 20, 4.0), 2);
    CommandCost c = r.command("conv");
    assertEquals(CommandKind.CONV, c.kind());
    // MACs = N·M·OH·OW·Cg·kh·kw = 2·8·4·4·4·3·3
    assertEquals(9216, c.macs());
    // ceil(8/4) channel tiles · ceil(2·16/4) pixel tiles · K = 36
    assertEquals(2 * 8 * 36, c.computeCycles());
    // DMA: activations 2·64 + weight region 160 + bias region 32 in, 2·8·16 out
    assertEquals(128, c.dma().activationBytesIn());
    assertEquals(conv.getWeights().getLength(), c.dma().weightBytesIn());
    assertEquals(conv.getBias().getLength(), c.dma().biasBytesIn());
    assertEquals(320, c.dma().bytesIn());
    assertEquals(256, c.dma().bytesOut());
    assertEquals(1, c.dma().weightFetches());
    assertEquals(576 / 4, c.memoryCycles());
    assertEquals(Bound.COMPUTE, c.bound());
    assertEquals(576, c.cycles());
    assertEquals(5.76, c.latencyUs(), EPS); // 576 cycles at 100 MHz
    // buffers: weights 160 written + 8 pixel tiles · 2 channel tiles · 72 bytes read;
    // activations 128 in + 32 pixels · 36 · 2 tiles (one group each) read + 256 out written and
    // read; accumulators 32 bias + 4·8 bias bytes per pixel tile · 8 + 8 bytes per output · 256
    assertEquals(160 + 8 * 2 * 72, c.buffers().weightBytes());
    assertEquals(128 + 32 * 36 * 2 + 2 * 256, c.buffers().activationBytes());
    assertEquals(32 + 4 * 8 * 8 + 8 * 256, c.buffers().accumulatorBytes());
    assertEquals(6592, c.buffers().total());
    // energy: shift PE = shift (~ 32-bit add 0.1) + 32-bit add 0.1 pJ per MAC; SRAM 5/4 pJ per
    // byte; DRAM 640/4 pJ per byte
    assertEquals(9216 * 0.2, c.energy().computePj(), EPS);
    assertEquals(6592 * 1.25, c.energy().sramPj(), EPS);
    assertEquals(576 * 160.0, c.energy().dramPj(), EPS);
    assertEquals(9216 * 0.2 + 6592 * 1.25 + 576 * 160.0, c.energy().totalPj(), EPS);

    // the converts run on the host: zero accelerator cost; totals are this conv's
    assertEquals(CommandKind.CONVERT, r.commands().get(0).kind());
    assertEquals(0, r.commands().get(0).cycles());
    assertEquals(Bound.NONE, r.commands().get(2).bound());
    assertEquals(576, r.cycles());
    assertEquals(9216, r.macs());
    assertEquals(1.0, r.utilization(), EPS); // 9216 MACs / (576 cycles · 16 PEs)
    assertEquals(c.energy().totalPj(), r.energy().totalPj(), EPS);
  }

  @Test
  void lowBandwidthMakesTheSameConvMemoryBound() {
    AcceleratorPackage pkg = oneConv();
    CommandCost c = CostModel.estimate(pkg, accel(PeType.SHIFT, 1, 1 << 20, 1 << 20, 0.5), 2)
        .command("conv");
    assertEquals(576, c.computeCycles());
    assertEquals(1152, c.memoryCycles()); // (320 + 256) bytes / 0.5 bytes per cycle
    assertEquals(Bound.MEMORY, c.bound());
    assertEquals(1152, c.cycles());
    assertEquals(11.52, c.latencyUs(), EPS);
    // exactly at the break-even bandwidth, 576 bytes / 576 cycles = 1 B/cycle: compute (tie)
    CommandCost tie = CostModel.estimate(pkg, accel(PeType.SHIFT, 1, 1 << 20, 1 << 20, 1.0), 2)
        .command("conv");
    assertEquals(576, tie.memoryCycles());
    assertEquals(Bound.COMPUTE, tie.bound());
  }

  @Test
  void shiftPesUseLessEnergyAndNoDspsThanMultipliers() {
    AcceleratorPackage pkg = oneConv();
    CostReport shift = CostModel.estimate(pkg, accel(PeType.SHIFT, 1, 1 << 20, 1 << 20, 4), 2);
    CostReport mult =
        CostModel.estimate(pkg, accel(PeType.MULTIPLIER, 1, 1 << 20, 1 << 20, 4), 2);
    CostReport k2 = CostModel.estimate(pkg, accel(PeType.SHIFT_ADD_K, 2, 1 << 20, 1 << 20, 4), 2);
    // same cycles and traffic; only the PE operation differs
    assertEquals(mult.cycles(), shift.cycles());
    assertEquals(mult.dma(), shift.dma());
    assertEquals(mult.buffers(), shift.buffers());
    assertEquals(9216 * 0.3, mult.energy().computePj(), EPS); // 8-bit mult 0.2 + 32-bit add 0.1
    assertEquals(9216 * 0.2, shift.energy().computePj(), EPS);
    assertTrue(shift.energy().totalPj() < mult.energy().totalPj());
    assertEquals(mult.energy().totalPj() - shift.energy().totalPj(), 9216 * 0.1, EPS);
    // POT has one term: a 2-term PE spends the same energy on it, in the same cycles
    assertEquals(shift.energy().computePj(), k2.energy().computePj(), EPS);
    assertEquals(shift.cycles(), k2.cycles());
    // resources: 16 PEs; DSPs only for multipliers; 80 LUTs per shift term
    assertEquals(16, mult.resources().dsps());
    assertEquals(0, mult.resources().luts());
    assertEquals(0, shift.resources().dsps());
    assertEquals(16 * 80, shift.resources().luts());
    assertEquals(16 * 160, k2.resources().luts());
    assertEquals(0, k2.resources().dsps());
  }

  @Test
  void termsCodebookChargesKShiftsAndKAdds() {
    Pkg p = new Pkg("terms", TILING);
    int x = p.input(4, 4, 4);
    int y = p.conv("conv", x, 8, 3, 1, 1, 1, p.codebook(Pkg.terms(4, 3)));
    p.output(y);
    CostReport r = CostModel.estimate(p.build(), accel(PeType.SHIFT_ADD_K, 3, 1 << 20, 1 << 20,
        4), 2);
    assertEquals(9216 * 3 * 0.2, r.energy().computePj(), EPS); // 3 shifts + 3 adds per MAC
    assertEquals(576, r.cycles()); // terms in parallel: no extra cycles
    CostReport onMult = CostModel.estimate(p.build(), accel(PeType.MULTIPLIER, 1, 1 << 20,
        1 << 20, 4), 2);
    assertEquals(9216 * 0.3, onMult.energy().computePj(), EPS);
  }

  @Test
  void weightsLargerThanTheBufferAreRefetchedPerActivationTile() {
    AcceleratorPackage pkg = oneConv();
    // 160 B of weights > 100 B buffer; one image needs 64 + 128 = 192 B of activations, the
    // 200 B buffer holds one: 2 activation tiles, weights read twice
    CommandCost c = CostModel.estimate(pkg, accel(PeType.SHIFT, 1, 100, 200, 4), 2)
        .command("conv");
    assertEquals(2, c.dma().weightFetches());
    assertEquals(320, c.dma().weightBytesIn());
    assertEquals(160, c.dma().weightRereadBytes());
    assertEquals(128 + 320 + 32, c.dma().bytesIn());
    assertEquals(320 + 8 * 2 * 72, c.buffers().weightBytes());
    assertTrue(c.note().contains("fetched once per activation tile (2)"), c.note());
    assertEquals((128.0 + 320 + 32 + 256) * 160, c.energy().dramPj(), EPS);

    // the activations of both images fit: weights stream through once, no re-read
    assertEquals(1, CostModel.estimate(pkg, accel(PeType.SHIFT, 1, 100, 384, 4), 2)
        .command("conv").dma().weightFetches());
    // one image (192 B) does not fit 100 B: a band of 1 output row with its 3 input rows takes
    // 4·3·4 + 8·4 = 80 B, of 2 rows 4·3·4 + 8·2·4 = 112 B; 4 bands per image, 8 activation tiles
    CommandCost banded = CostModel.estimate(pkg, accel(PeType.SHIFT, 1, 100, 100, 4), 2)
        .command("conv");
    assertEquals(8, banded.dma().weightFetches());
    // the bands read input rows 0..1, 0..2, 1..3, 2..3: 10 rows of 4 x 4 codes per image
    assertEquals(2 * 10 * 16, banded.dma().activationBytesIn());
    assertTrue(banded.note().contains("bands of 1 output row, 192 B of halo rows loaded again"),
        banded.note());
    // a buffer of exactly the weights' size holds them
    assertEquals(1, CostModel.estimate(pkg, accel(PeType.SHIFT, 1, 160, 200, 4), 2)
        .command("conv").dma().weightFetches());
    // not even one 80-byte weight tile fits: the layer cannot be tiled for this accelerator
    UnsupportedPackageException tiny = assertThrows(UnsupportedPackageException.class,
        () -> CostModel.estimate(pkg, accel(PeType.SHIFT, 1, 64, 1 << 20, 4), 2));
    assertEquals(List.of("command 1 (conv 'conv'): one weight tile of 4 output channels [8, 4, 3,"
        + " 3] at 4 bits (peOut 4, burst 16) takes 80 bytes (72 of codes, aligned to the burst),"
        + " more than the 64-byte weight buffer of accelerator 'test'"), tiny.mismatches());
  }

  @Test
  void theScheduleRecordedInThePackageIsCosted() {
    // compiled for a 100 B weight buffer and 200 B activations: 1 tile per pass, 1 image per tile
    AcceleratorPackage.Builder b = oneConv().toBuilder();
    b.getRequirementsBuilder().setWeightBufferBytes(100).setActivationBufferBytes(200);
    b.getCommandsBuilder(1).getConvBuilder().setSchedule(TileSchedule.newBuilder()
        .setWeightTilesPerPass(1).setImagesPerTile(1));
    AcceleratorPackage pkg = b.build();
    // on larger buffers the package still runs its own schedule: weights fetched per image
    CostReport big = CostModel.estimate(pkg, accel(PeType.SHIFT, 1, 1 << 20, 1 << 20, 4), 2);
    assertEquals(2, big.command("conv").dma().weightFetches());
    assertTrue(big.command("conv").note().contains("weight buffer 100 B: 2 passes of 1 tile,"),
        big.command("conv").note());
    assertTrue(big.notes().isEmpty(), big.notes().toString());
    // defaultFor takes the buffers from the requirements, so profile costs the same schedule
    AcceleratorDescription own = AcceleratorDescription.defaultFor(pkg);
    assertEquals(100, own.weightBufferBytes());
    assertEquals(200, own.activationBufferBytes());
    // smaller buffers than it was made for: re-planned for them, with a note saying so
    CostReport small = CostModel.estimate(pkg, accel(PeType.SHIFT, 1, 100, 100, 4), 2);
    assertEquals(8, small.command("conv").dma().weightFetches());
    assertEquals(1, small.notes().size());
    assertTrue(small.notes().get(0).contains("made for a weight buffer 100 B, activation buffer"
        + " 200 B, more than this accelerator's"), small.notes().get(0));
  }

  @Test
  void formatMismatchesAreListed() {
    Pkg p = new Pkg("mixed", TILING);
    int x = p.input(4, 4, 4);
    int a = p.conv("first", x, 8, 3, 1, 1, 1, p.codebook(Pkg.int8(8)));
    int b = p.conv("second", a, 8, 1, 1, 0, 1, p.codebook(Pkg.terms(4, 2)));
    int c = p.conv("third", b, 8, 1, 1, 0, 1, p.codebook(Pkg.pot(4, 0)));
    p.output(c);
    AcceleratorPackage pkg = p.build();

    UnsupportedPackageException e = assertThrows(UnsupportedPackageException.class,
        () -> CostModel.estimate(pkg, accel(PeType.SHIFT, 1, 1 << 20, 1 << 20, 4), 1));
    assertEquals(2, e.mismatches().size());
    assertEquals("package 'mixed' cannot run on accelerator 'test' (SHIFT PEs): 2 mismatches\n"
        + "  command 1 (conv 'first'): codebook 0 (INT8, 8-bit) needs MULTIPLIER PEs; accelerator"
        + " 'test' has SHIFT PEs\n"
        + "  command 2 (conv 'second'): codebook 1 (TERMS, 4-bit, k = 2) needs SHIFT_ADD_K PEs"
        + " with max_terms >= 2 (or MULTIPLIER PEs); accelerator 'test' has SHIFT PEs with 1"
        + " term", e.getMessage());
    assertTrue(e instanceof IllegalArgumentException);

    // 2-term PEs still cannot run INT8
    assertEquals(1, CostModel.mismatches(pkg, accel(PeType.SHIFT_ADD_K, 2, 1 << 20, 1 << 20, 1)).size());
    // multipliers run every format whose levels fit 16 bits
    assertTrue(CostModel.mismatches(pkg, accel(PeType.MULTIPLIER, 1, 1 << 20, 1 << 20, 1)).isEmpty());
    CostModel.estimate(pkg, accel(PeType.MULTIPLIER, 1, 1 << 20, 1 << 20, 4), 1);

    Pkg q = new Pkg("k3", TILING);
    int qx = q.input(4, 4, 4);
    int k3 = q.conv("k3conv", qx, 8, 1, 1, 0, 1, q.codebook(Pkg.terms(4, 3)));
    int wide = q.conv("wide", k3, 8, 1, 1, 0, 1, q.codebook(Pkg.pot(4, 10))); // up to 2^16
    q.output(wide);
    AcceleratorPackage pkg3 = q.build();
    assertEquals(
        "[command 1 (conv 'k3conv'): codebook 0 (TERMS, 4-bit, k = 3) needs SHIFT_ADD_K PEs with"
            + " max_terms >= 3 (or MULTIPLIER PEs); accelerator 'test' has SHIFT_ADD_K PEs with 2"
            + " terms]",
        CostModel.mismatches(pkg3, accel(PeType.SHIFT_ADD_K, 2, 1 << 20, 1 << 20, 1)).toString());
    assertEquals(
        "[command 2 (conv 'wide'): codebook 1 (POT, 4-bit) has level 32768 at code 6, wider than"
            + " the 16-bit signed weight operand of MULTIPLIER PEs (|v| < 32768)]",
        CostModel.mismatches(pkg3, accel(PeType.MULTIPLIER, 1, 1 << 20, 1 << 20, 1)).toString());
    assertTrue(
        CostModel.mismatches(pkg3, accel(PeType.SHIFT_ADD_K, 3, 1 << 20, 1 << 20, 1)).isEmpty());
  }

  @Test
  void poolAddReshapeFcAndHostByHand() {
    Pkg p = new Pkg("small", TILING);
    int x = p.input(4, 4, 4);
    int cb = p.codebook(Pkg.pot(4, 0));
    int a = p.conv("conv", x, 8, 3, 1, 1, 1, cb);
    int b = p.conv("pw", a, 8, 1, 1, 0, 1, cb);
    int s = p.add("add", a, b);
    int m = p.pool("maxpool", s, PoolKind.MAX, 2); // [8, 2, 2]
    int g = p.pool("gap", m, PoolKind.GLOBAL_AVERAGE, 0); // [8, 1, 1], n = 4: a shift
    int v = p.pool("avg3", a, PoolKind.AVERAGE, 3); // [8, 1, 1], n = 9: times R
    int f = p.reshape("flatten", g, 8);
    int logits = p.conv("fc", f, 10, 1, 1, 0, 1, cb);
    p.host("softmax", logits);
    p.output(v);
    AcceleratorPackage pkg = p.build();
    AcceleratorDescription d = accel(PeType.SHIFT, 1, 1 << 20, 1 << 20, 2);
    CostReport r = CostModel.estimate(pkg, d, 3);

    CommandCost add = r.command("add"); // 3 images · 128 elements
    assertEquals(CommandKind.ADD, add.kind());
    assertEquals(384 / 4, add.computeCycles()); // 4 lanes (pe_cols)
    assertEquals(768, add.dma().bytesIn());
    assertEquals(384, add.dma().bytesOut());
    assertEquals((768 + 384) / 2, add.memoryCycles());
    assertEquals(Bound.MEMORY, add.bound());
    assertEquals(384 * 0.4, add.energy().computePj(), EPS); // 3 shifts + 1 add, 0.1 pJ each
    assertEquals(6 * 384 * 1.25, add.energy().sramPj(), EPS);

    CommandCost max = r.command("maxpool"); // 3 · 8 · 2 · 2 = 96 outputs, 4 elements each
    assertEquals(CommandKind.MAX_POOL, max.kind());
    assertEquals(96 * 4 / 4, max.computeCycles());
    assertEquals(384, max.dma().bytesIn());
    assertEquals(96, max.dma().bytesOut());
    assertEquals(384 * 0.03, max.energy().computePj(), EPS); // compare ~ 8-bit add
    assertEquals((384 + 384 + 2 * 96) * 1.25, max.energy().sramPj(), EPS);

    CommandCost gap = r.command("gap"); // 24 outputs of 4 elements: 16-bit adds + a rshift
    assertEquals(CommandKind.GLOBAL_AVG_POOL, gap.kind());
    assertEquals(96 * 0.05 + 24 * 0.1, gap.energy().computePj(), EPS);
    CommandCost avg = r.command("avg3"); // 24 outputs of 9 elements: adds, times R, rshift
    assertEquals(24 * 9 * 0.05 + 24 * (3.1 + 0.1), avg.energy().computePj(), EPS);

    CommandCost flatten = r.command("flatten");
    assertEquals(CommandKind.RESHAPE, flatten.kind());
    assertEquals(0, flatten.cycles());
    assertEquals(0, flatten.energy().totalPj());

    CommandCost fc = r.command("fc"); // [8] -> [10]: K = 8, 3 pixels (the batch)
    assertEquals(CommandKind.FC, fc.kind());
    assertEquals(3 * 10 * 8, fc.macs());
    assertEquals(3 * 1 * 8, fc.computeCycles()); // ceil(10/4) tiles · ceil(3/4) · 8
    assertEquals(24, fc.dma().activationBytesIn());
    assertEquals(30, fc.dma().bytesOut());

    CommandCost host = r.command("softmax");
    assertEquals(CommandKind.HOST, host.kind());
    assertEquals(0, host.cycles());
    assertEquals(0, host.dma().total());
    assertEquals(Bound.NONE, host.bound());
    assertTrue(host.note().contains("Softmax is not an accelerator op"), host.note());

    long sum = r.commands().stream().mapToLong(CommandCost::cycles).sum();
    assertEquals(sum, r.cycles());
    assertEquals(r.latencyUs(), sum / 100.0, EPS);
    String table = r.toTable();
    assertTrue(table.contains("softmax"), table);
    assertTrue(table.contains(" host "), table);
    assertTrue(table.lines().anyMatch(l -> l.trim().startsWith("total")), table);
    assertTrue(table.contains("45 nm"), table);
    assertTrue(table.contains("Horowitz"), table);
  }

  @Test
  void groupedConvTilesAcrossGroups() {
    Pkg p = new Pkg("dw", TILING);
    int x = p.input(8, 4, 4);
    int y = p.conv("dw", x, 8, 3, 1, 1, 8, p.codebook(Pkg.pot(4, 0)));
    p.output(y);
    CommandCost c = CostModel.estimate(p.build(), accel(PeType.SHIFT, 1, 1 << 20, 1 << 20, 64), 1)
        .command("dw");
    assertEquals(8 * 16 * 9, c.macs());
    assertEquals(2 * 4 * 9, c.computeCycles()); // 2 channel tiles · 4 pixel tiles · K = 9
    // each tile spans 4 groups: every row reads 4 activation bytes per cycle
    assertEquals(128 + 16 * 9 * 8 + 2 * 128, c.buffers().activationBytes());
  }

  @Test
  void anotherTilingIsEstimatedAsIfRecompiled() {
    AcceleratorPackage pkg = oneConv();
    AcceleratorDescription wide = new AcceleratorDescription("wide", 4, 8, PeType.SHIFT, 1,
        100.0, 1 << 20, 1 << 20, 1024, 4, 64);
    CostReport r = CostModel.estimate(pkg, wide, 1);
    WeightTiling t = new WeightTiling(8, 64);
    CommandCost c = r.command("conv");
    assertEquals(WeightPacker.packedSize(8, 4, 3, 3, 4, t), c.dma().weightBytesIn());
    assertEquals(WeightPacker.packedBiasSize(8, t), c.dma().biasBytesIn());
    assertEquals(1, r.notes().size());
    assertTrue(r.notes().get(0).contains("recompiled"), r.notes().get(0));
    assertTrue(r.toTable().contains("recompiled"));
  }

  @Test
  void badArguments() {
    AcceleratorPackage pkg = oneConv();
    AcceleratorDescription d = accel(PeType.SHIFT, 1, 1 << 20, 1 << 20, 4);
    assertThrows(IllegalArgumentException.class, () -> CostModel.estimate(pkg, d, 0));
    AcceleratorPackage broken = pkg.toBuilder().setContractVersion(99).build();
    assertThrows(dev.potaccel.protocol.pkg.PackageFormatException.class,
        () -> CostModel.estimate(broken, d, 1));
  }

  @Test
  void defaultForPicksThePeTypeAndTilingOfAPackage() {
    AcceleratorDescription pot = AcceleratorDescription.defaultFor(oneConv());
    assertEquals(PeType.SHIFT, pot.peType());
    assertEquals(4, pot.peCols());
    assertEquals(16, pot.burstBytes());
    assertTrue(CostModel.mismatches(oneConv(), pot).isEmpty());

    Pkg p = new Pkg("i8", TILING);
    int x = p.input(4, 4, 4);
    p.output(p.conv("c", x, 8, 1, 1, 0, 1, p.codebook(Pkg.int8(8))));
    assertEquals(PeType.MULTIPLIER, AcceleratorDescription.defaultFor(p.build()).peType());

    Pkg q = new Pkg("t2", TILING);
    int qx = q.input(4, 4, 4);
    q.output(q.conv("c", qx, 8, 1, 1, 0, 1, q.codebook(Pkg.terms(4, 2))));
    AcceleratorDescription t2 = AcceleratorDescription.defaultFor(q.build());
    assertEquals(PeType.SHIFT_ADD_K, t2.peType());
    assertEquals(2, t2.maxTerms());
  }
}
