package dev.potaccel.emulator.cost;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.AddCommand;
import dev.potaccel.protocol.pkg.Buffer;
import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.CodebookEntry;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.ConvCommand;
import dev.potaccel.protocol.pkg.HostCommand;
import dev.potaccel.protocol.pkg.PackageValidator;
import dev.potaccel.protocol.pkg.PoolCommand;
import dev.potaccel.protocol.pkg.PoolKind;
import dev.potaccel.protocol.pkg.TileSchedule;
import dev.potaccel.protocol.pkg.TileScheduler;
import dev.potaccel.protocol.pkg.TileScheduler.BufferSizes;
import dev.potaccel.protocol.pkg.TileScheduler.ConvShape;
import dev.potaccel.protocol.pkg.WeightFormat;
import dev.potaccel.protocol.pkg.WeightLayout;
import dev.potaccel.protocol.pkg.WeightPacker;
import dev.potaccel.protocol.pkg.WeightTiling;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The analytic cost model of docs/accelerator.md §8: cycles, DMA bytes, on-chip buffer traffic,
 * energy and resources of running a package on an {@link AcceleratorDescription}, without running
 * it. Static in the package and the batch: nothing depends on input values (no zero-weight or
 * zero-activation gating).
 *
 * <p>The array is output-stationary, the dataflow the weight layout of §4 is ordered for: column
 * {@code j} holds output channel {@code j} of an output-channel tile of {@code peCols}, row {@code
 * i} output pixel {@code i} of a pixel tile of {@code peRows} (pixels of all images of the batch
 * in a row, NCHW order); each cycle one read of {@code P_out} weight codes is broadcast down the
 * columns and each row's activation across its row, so a tile takes {@code K = C/g · kh · kw}
 * cycles and a CONV {@code ceil(M / peCols) · ceil(N·OH·OW / peRows) · K}. SHIFT_ADD_K PEs apply
 * their terms in parallel (k shifters and adders, one MAC per cycle), so k adds energy and LUTs,
 * not cycles. Pooling and ADD run on {@code peCols} lanes (the requantizer's), one window element
 * or output element per lane per cycle.
 *
 * <p>How often a CONV's weights are fetched and how many halo rows it reloads follow its tile
 * schedule (§4.1): the one recorded in the package when the package is tiled for this array and
 * its buffers fit this accelerator's, otherwise one {@link TileScheduler#plan}s for this
 * accelerator, as if the package were recompiled for it.
 *
 * <p>The host side ({@link HostModel}): CONVERT and HOST commands are charged the bytes they move
 * over the host link, taken to be the accelerator's DMA port, and their host CPU time at a {@link
 * HostSpeed} whose source the report prints (docs/partitioning.md). Cycles, DMA and energy stay
 * the accelerator's own; {@link CostReport#totalUs} adds the host's time.
 */
public final class CostModel {
  private static final int MULTIPLIER_LEVEL_LIMIT = 1 << 15;

  private CostModel() {}

  /** {@link #estimate(AcceleratorPackage, AcceleratorDescription, int, EnergyTable)} at 45 nm. */
  public static CostReport estimate(AcceleratorPackage pkg, AcceleratorDescription d, int batch) {
    return estimate(pkg, d, batch, EnergyTable.HOROWITZ_45NM);
  }

  /**
   * Estimates every command of {@code pkg} for {@code batch} images on {@code d}.
   *
   * @throws dev.potaccel.protocol.pkg.PackageFormatException if the package breaks the contract
   * @throws UnsupportedPackageException if {@code d}'s PEs cannot run one of its codebooks
   * @throws IllegalArgumentException if {@code batch < 1}
   */
  public static CostReport estimate(
      AcceleratorPackage pkg, AcceleratorDescription d, int batch, EnergyTable table) {
    return estimate(pkg, d, batch, table, HostModel.DEFAULT);
  }

  /**
   * Estimates every command of {@code pkg} for {@code batch} images on {@code d}, with the host
   * side of {@code host}: CONVERT and HOST commands are charged their bytes on the host link (at
   * {@code d}'s DMA bandwidth) and their host CPU time at {@code host}'s speed (docs/
   * partitioning.md).
   *
   * @throws dev.potaccel.protocol.pkg.PackageFormatException if the package breaks the contract
   * @throws UnsupportedPackageException if {@code d}'s PEs cannot run one of its codebooks
   * @throws IllegalArgumentException if {@code batch < 1}
   */
  public static CostReport estimate(AcceleratorPackage pkg, AcceleratorDescription d, int batch,
      EnergyTable table, HostModel host) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be >= 1, got " + batch);
    }
    String model = modelName(pkg);
    PackageValidator.validate(pkg, model);
    checkSupported(pkg, d);
    WeightTiling tiling = new WeightTiling(d.peCols(), d.burstBytes());
    List<String> notes = new ArrayList<>();
    boolean retiled =
        pkg.getRequirements().getPeOut() != d.peCols()
            || pkg.getRequirements().getBurstBytes() != d.burstBytes();
    if (retiled && pkg.getCommandsList().stream().anyMatch(Command::hasConv)) {
      notes.add(
          "the package's weights are tiled for pe_out "
              + Integer.toUnsignedString(pkg.getRequirements().getPeOut())
              + " and "
              + Integer.toUnsignedString(pkg.getRequirements().getBurstBytes())
              + "-byte bursts; weight and bias bytes are estimated as if recompiled for this"
              + " accelerator's "
              + d.peCols()
              + " columns and "
              + d.burstBytes()
              + "-byte bursts, and its tile schedules as if made for this accelerator's buffers");
    }
    boolean recorded = usesRecordedSchedules(pkg, d);
    BufferSizes made = BufferSizes.of(pkg.getRequirements());
    if (!recorded && !retiled && made != null) {
      notes.add(
          "the package's tile schedules were made for a "
              + made
              + ", more than this accelerator's "
              + new BufferSizes(d.weightBufferBytes(), d.activationBufferBytes())
              + "; they are estimated as if recompiled for these buffers");
    }
    Estimator e = new Estimator(pkg, d, batch, table, tiling, retiled, recorded, host);
    List<CommandCost> costs = new ArrayList<>();
    for (int i = 0; i < pkg.getCommandsCount(); i++) {
      costs.add(e.command(i, pkg.getCommands(i)));
    }
    return new CostReport(model, d, table, batch, costs, Resources.of(d), notes, host);
  }

  /**
   * Throws if {@code d}'s PEs cannot run every conv's codebook of {@code pkg}.
   *
   * @throws UnsupportedPackageException listing each mismatch
   */
  public static void checkSupported(AcceleratorPackage pkg, AcceleratorDescription d) {
    List<String> m = mismatches(pkg, d);
    if (!m.isEmpty()) {
      throw new UnsupportedPackageException(modelName(pkg), d, m);
    }
  }

  /**
   * Every conv command whose codebook {@code d}'s PEs cannot run, one message each: INT8 and LUT
   * need MULTIPLIER PEs; TERMS with {@code k} terms needs SHIFT_ADD_K with {@code max_terms >= k}
   * (or MULTIPLIER; SHIFT runs {@code k = 1}); POT runs on every PE type; a MULTIPLIER PE's weight
   * operand is 16-bit signed, so every level must have {@code |v| < 2^15}. Also every conv that
   * cannot be tiled for {@code d}'s buffers when its schedule is planned for them (§4.1): one weight
   * tile larger than the weight buffer, or one output row and its input rows larger than the
   * activation buffer. Empty if all fit.
   */
  public static List<String> mismatches(AcceleratorPackage pkg, AcceleratorDescription d) {
    List<String> out = new ArrayList<>();
    boolean plan = !usesRecordedSchedules(pkg, d);
    WeightTiling tiling = new WeightTiling(d.peCols(), d.burstBytes());
    BufferSizes buffers = new BufferSizes(d.weightBufferBytes(), d.activationBufferBytes());
    for (int i = 0; i < pkg.getCommandsCount(); i++) {
      Command c = pkg.getCommands(i);
      if (!c.hasConv()) {
        continue;
      }
      int index = c.getConv().getCodebook();
      if (index < 0 || index >= pkg.getCodebooksCount()) {
        continue; // the validator reports it
      }
      Codebook cb = pkg.getCodebooks(index);
      String where = where(i, c) + ": codebook " + index + " (" + cb.getFormat() + ", "
          + cb.getBits() + "-bit";
      WeightFormat f = cb.getFormat();
      int k = terms(cb);
      switch (d.peType()) {
        case MULTIPLIER -> {
          for (int code = 0; code < cb.getEntriesCount(); code++) {
            CodebookEntry entry = cb.getEntries(code);
            if (Math.abs((long) entry.getValue()) >= MULTIPLIER_LEVEL_LIMIT) {
              out.add(where + ") has level " + entry.getValue() + " at code " + code
                  + ", wider than the 16-bit signed weight operand of MULTIPLIER PEs (|v| < "
                  + MULTIPLIER_LEVEL_LIMIT + ")");
              break;
            }
          }
        }
        case SHIFT, SHIFT_ADD_K -> {
          if (f == WeightFormat.INT8 || f == WeightFormat.LUT) {
            out.add(where + ") needs MULTIPLIER PEs; accelerator '" + d.name() + "' has "
                + d.peType() + " PEs");
          } else if (k > d.maxTerms()) {
            out.add(where + ", k = " + k + ") needs SHIFT_ADD_K PEs with max_terms >= " + k
                + " (or MULTIPLIER PEs); accelerator '" + d.name() + "' has " + d.peType()
                + " PEs with " + d.maxTerms() + (d.maxTerms() == 1 ? " term" : " terms"));
          }
        }
        default -> throw new IllegalStateException(d.peType().toString());
      }
      if (plan) {
        try {
          TileScheduler.plan(ConvShape.of(pkg, c.getConv(), tiling), buffers);
        } catch (TileScheduler.DoesNotFit e) {
          out.add(where(i, c) + ": " + e.getMessage() + " of accelerator '" + d.name() + "'");
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
          // a malformed conv: the validator reports it
        }
      }
    }
    return out;
  }

  /**
   * Whether the package's recorded tile schedules hold on {@code d}: the package is tiled for
   * {@code d}'s columns and burst, and names buffers no larger than {@code d}'s. A schedule that
   * fits smaller buffers fits these; one made for larger buffers might not.
   */
  static boolean usesRecordedSchedules(AcceleratorPackage pkg, AcceleratorDescription d) {
    BufferSizes made = BufferSizes.of(pkg.getRequirements());
    return made != null
        && pkg.getRequirements().getPeOut() == d.peCols()
        && pkg.getRequirements().getBurstBytes() == d.burstBytes()
        && made.weightBytes() <= d.weightBufferBytes()
        && made.activationBytes() <= d.activationBufferBytes();
  }

  /** Terms per weight a codebook needs: its max_terms for TERMS, 1 for POT, 0 for the others. */
  static int terms(Codebook cb) {
    return switch (cb.getFormat()) {
      case TERMS -> cb.getMaxTerms();
      case POT -> 1;
      default -> 0;
    };
  }

  static String where(int index, Command c) {
    String op = c.getOpCase().name().toLowerCase(java.util.Locale.ROOT);
    return "command " + index + " (" + op + " '" + c.getName() + "')";
  }

  private static String modelName(AcceleratorPackage pkg) {
    String name = pkg.getProvenance().getModelName();
    return name.isEmpty() ? "<package>" : name;
  }

  /** The per-command arithmetic for one package, description and batch. */
  private static final class Estimator {
    private final AcceleratorPackage pkg;
    private final AcceleratorDescription d;
    private final long n;
    private final EnergyTable table;
    private final WeightTiling tiling;
    private final boolean retiled;
    private final boolean recorded;
    private final BufferSizes buffers;
    private final HostModel host;
    /** Model input buffers already written to the device (ON_DEVICE conversion). */
    private final Set<Integer> sentInputs = new HashSet<>();

    Estimator(AcceleratorPackage pkg, AcceleratorDescription d, int batch, EnergyTable table,
        WeightTiling tiling, boolean retiled, boolean recorded, HostModel host) {
      this.host = host;
      this.pkg = pkg;
      this.d = d;
      this.n = batch;
      this.table = table;
      this.tiling = tiling;
      this.retiled = retiled;
      this.recorded = recorded;
      // the buffers the schedules fit: the package's own, or this accelerator's when planned here
      this.buffers = recorded
          ? BufferSizes.of(pkg.getRequirements())
          : new BufferSizes(d.weightBufferBytes(), d.activationBufferBytes());
    }

    CommandCost command(int index, Command c) {
      return switch (c.getOpCase()) {
        case CONV -> conv(index, c);
        case POOL -> pool(index, c);
        case ADD -> add(index, c);
        case RESHAPE -> free(index, c, CommandKind.RESHAPE, "view: no data moves");
        case CONVERT -> convert(index, c);
        case HOST -> host(index, c);
        default -> throw new IllegalStateException(c.getOpCase().toString());
      };
    }

    private CommandCost free(int index, Command c, CommandKind kind, String note) {
      return onHost(index, c, kind, note, HostCost.NONE);
    }

    private CommandCost onHost(int index, Command c, CommandKind kind, String note,
        HostCost hostCost) {
      return new CommandCost(index, c.getName(), kind, 0, 0, 0, 0, DmaTraffic.NONE,
          BufferTraffic.NONE, Energy.ZERO, note, hostCost);
    }

    /**
     * On the host (§3.4): the codes cross the link, one byte each, and the host reads or writes
     * the FP32 side (5 bytes per value at the host's streaming speed; no FLOPs counted, as the
     * speed's bytes/s is measured on this loop). On the device: the requantizer lanes convert one
     * value per lane per cycle through DRAM, and only a model input or output crosses the link,
     * as FP32.
     */
    private CommandCost convert(int index, Command c) {
      Buffer in = pkg.getBuffers(c.getConvert().getInput());
      Buffer out = pkg.getBuffers(c.getConvert().getOutput());
      boolean quantize = in.getIsFloat();
      long e = mul(n, elements(quantize ? out : in));
      String what = quantize ? "quantize" : "dequantize";
      if (host.conversion() == HostModel.Conversion.ON_HOST) {
        HostCost hc = new HostCost(quantize ? e : 0, quantize ? 0 : e, linkUs(e),
            host.speed().micros(new HostWork(0, mul(5, e))));
        return onHost(index, c, CommandKind.CONVERT, what + " on the host; " + e
            + " B of codes " + (quantize ? "to" : "from") + " the device", hc);
      }
      DmaTraffic dma = quantize ? new DmaTraffic(mul(4, e), 0, 0, e, 0)
          : new DmaTraffic(e, 0, 0, mul(4, e), 0);
      // a scale by 2^F and the rounding add per value
      Energy energy = new Energy(e * (table.shift32Pj() + table.add32Pj()), 0,
          dma.total() * table.dramPjPerByte());
      CommandCost acc = cost(index, c, CommandKind.CONVERT, 0, ceilDiv(e, d.peCols()), dma,
          BufferTraffic.NONE, energy, what + " on the device");
      long[] link = modelIo(c.getConvert().getInput(), c.getConvert().getOutput());
      return withHost(acc, new HostCost(link[0], link[1], linkUs(link[0] + link[1]), 0));
    }

    /**
     * The CPU engine's time on the command's work; on the device side of conversion, also its
     * FP32 inputs read from and outputs written to the device.
     */
    private CommandCost host(int index, Command c) {
      HostCommand h = c.getHost();
      long inValues = 0;
      for (int b : h.getInputsList()) {
        inValues += elements(pkg.getBuffers(b));
      }
      long outValues = 0;
      for (int b : h.getOutputsList()) {
        outValues += elements(pkg.getBuffers(b));
      }
      HostWork work = host.work().get(index);
      String note = "host CPU engine: " + h.getReason();
      if (work == null) {
        work = new HostWork(0, mul(4, inValues + outValues));
        note += "; its FLOPs are not counted (the host graph was not read): charged for its FP32"
            + " bytes only";
      }
      double cpu = host.speed().micros(work.times(n));
      if (host.conversion() == HostModel.Conversion.ON_HOST) {
        return onHost(index, c, CommandKind.HOST, note, new HostCost(0, 0, 0, cpu));
      }
      long to = mul(4, mul(n, outValues));
      long from = mul(4, mul(n, inValues));
      int[] ins = h.getInputsList().stream().mapToInt(Integer::intValue).toArray();
      int[] outs = h.getOutputsList().stream().mapToInt(Integer::intValue).toArray();
      long[] link = modelIo(ins, outs);
      to += link[0];
      from += link[1];
      return onHost(index, c, CommandKind.HOST, note, new HostCost(to, from, linkUs(to + from),
          cpu));
    }

    /**
     * FP32 bytes {to, from} the device for model inputs among {@code reads} not yet sent and model
     * outputs among {@code writes} (ON_DEVICE conversion: the host writes model inputs to the
     * device before the run and reads the outputs after it).
     */
    private long[] modelIo(int read, int write) {
      return modelIo(new int[] {read}, new int[] {write});
    }

    private long[] modelIo(int[] reads, int[] writes) {
      long to = 0;
      long from = 0;
      for (int b : reads) {
        if (pkg.getInputBuffersList().contains(b) && sentInputs.add(b)) {
          to += mul(4, mul(n, elements(pkg.getBuffers(b))));
        }
      }
      for (int b : writes) {
        if (pkg.getOutputBuffersList().contains(b)) {
          from += mul(4, mul(n, elements(pkg.getBuffers(b))));
        }
      }
      return new long[] {to, from};
    }

    /** Microseconds to move {@code bytes} over the host link, taken to be the DMA port. */
    private double linkUs(long bytes) {
      return bytes / (d.dmaBytesPerCycle() * d.clockMhz());
    }

    private static CommandCost withHost(CommandCost c, HostCost h) {
      return new CommandCost(c.index(), c.name(), c.kind(), c.macs(), c.computeCycles(),
          c.memoryCycles(), c.latencyUs(), c.dma(), c.buffers(), c.energy(), c.note(), h);
    }

    private CommandCost conv(int index, Command c) {
      ConvCommand conv = c.getConv();
      Buffer inBuf = pkg.getBuffers(conv.getInput());
      Buffer outBuf = pkg.getBuffers(conv.getOutput());
      long[] in = chw(inBuf);
      long[] out = chw(outBuf);
      CommandKind kind = inBuf.getShapeCount() == 1 && outBuf.getShapeCount() == 1
          ? CommandKind.FC : CommandKind.CONV;
      int m = conv.getOutChannels();
      int groups = conv.getGroups();
      int cg = (int) (in[0] / groups);
      int mg = m / groups;
      int kh = conv.getKernelH();
      int kw = conv.getKernelW();
      Codebook cb = pkg.getCodebooks(conv.getCodebook());
      int bits = cb.getBits();

      long k = (long) cg * kh * kw;
      long pixels = mul(n, out[1] * out[2]);
      long macs = mul(mul(pixels, m), k);
      long mTiles = ceilDiv(m, d.peCols());
      long pixelTiles = ceilDiv(pixels, d.peRows());
      long compute = mul(mul(mTiles, pixelTiles), k);

      long weightBytes = retiled
          ? WeightPacker.packedSize(m, cg, kh, kw, bits, tiling)
          : conv.getWeights().getLength();
      long biasBytes = retiled
          ? WeightPacker.packedBiasSize(m, tiling)
          : conv.getBias().getLength();
      ConvShape shape = ConvShape.of(pkg, conv, tiling);
      WeightLayout layout = shape.weights();
      long codeBytes = 0; // one read of every tile's codes, without the burst gaps
      for (int t = 0; t < layout.tiles(); t++) {
        codeBytes += layout.dataBytes(t);
      }
      // checkSupported has refused a layer whose planned schedule cannot fit
      TileSchedule schedule = recorded ? conv.getSchedule() : TileScheduler.plan(shape, buffers);

      long outPerImage = out[0] * out[1] * out[2];
      long inBytes = TileScheduler.inputBytes(shape, schedule, n);
      long outBytes = mul(n, outPerImage);
      long passes = TileScheduler.passes(shape, schedule);
      long actTiles = TileScheduler.activationTiles(shape, schedule, n);
      // activation tiles are the outer loop: weights stay resident only if one pass holds them
      long fetches = passes == 1 ? 1 : actTiles;
      List<String> notes = new ArrayList<>();
      if (passes > 1) {
        notes.add("weights " + weightBytes + " B > weight buffer " + buffers.weightBytes()
            + " B: " + passes + " passes of " + plural(schedule.getWeightTilesPerPass(), "tile")
            + ", fetched once per activation tile (" + actTiles + ")");
      }
      if (schedule.getRowsPerBand() > 0) {
        notes.add("one image's codes > activation buffer " + buffers.activationBytes()
            + " B: bands of " + plural(schedule.getRowsPerBand(), "output row") + ", "
            + (inBytes - mul(n, in[0] * in[1] * in[2])) + " B of halo rows loaded again");
      }
      String note = String.join("; ", notes);
      DmaTraffic dma = new DmaTraffic(inBytes, mul(weightBytes, fetches), biasBytes, outBytes,
          fetches);

      // Activation operands: each row reads one byte per cycle per distinct group in the tile.
      long groupsRead = 0;
      for (long t = 0; t < mTiles; t++) {
        long first = t * d.peCols();
        long last = Math.min(m, first + d.peCols()) - 1;
        groupsRead += last / mg - first / mg + 1;
      }
      BufferTraffic traffic = new BufferTraffic(
          dma.weightBytesIn() + mul(pixelTiles, codeBytes),
          inBytes + mul(mul(pixels, k), groupsRead) + 2 * outBytes,
          biasBytes + mul(4L * m, pixelTiles) + 8 * outBytes);
      Energy energy = new Energy(
          macs * table.macPj(d.peType(), terms(cb)),
          traffic.total() * table.sramPjPerByte(),
          dma.total() * table.dramPjPerByte());
      return cost(index, c, kind, macs, compute, dma, traffic, energy, note);
    }

    private CommandCost pool(int index, Command c) {
      PoolCommand pool = c.getPool();
      long[] in = chw(pkg.getBuffers(pool.getInput()));
      long[] out = chw(pkg.getBuffers(pool.getOutput()));
      PoolKind pk = pool.getKind();
      long window = pk == PoolKind.GLOBAL_AVERAGE
          ? in[1] * in[2] : (long) pool.getKernelH() * pool.getKernelW();
      long inBytes = mul(n, in[0] * in[1] * in[2]);
      long outputs = mul(n, out[0] * out[1] * out[2]);
      long ops = mul(outputs, window);
      double computePj;
      CommandKind kind;
      if (pk == PoolKind.MAX) {
        kind = CommandKind.MAX_POOL;
        computePj = ops * table.add8Pj(); // an 8-bit compare ~ an 8-bit add (assumption)
      } else {
        kind = pk == PoolKind.GLOBAL_AVERAGE ? CommandKind.GLOBAL_AVG_POOL : CommandKind.AVG_POOL;
        boolean powerOfTwo = Long.bitCount(window) == 1;
        // window sum at 16 bits; then rshift (~ a 32-bit add), after a multiply by R if needed
        computePj = ops * table.add16Pj()
            + outputs * (table.add32Pj() + (powerOfTwo ? 0 : table.mul32Pj()));
      }
      DmaTraffic dma = new DmaTraffic(inBytes, 0, 0, outputs, 0);
      BufferTraffic buffers = new BufferTraffic(0, inBytes + ops + 2 * outputs, 0);
      Energy energy = new Energy(computePj, buffers.total() * table.sramPjPerByte(),
          dma.total() * table.dramPjPerByte());
      return cost(index, c, kind, 0, ceilDiv(ops, d.peCols()), dma, buffers, energy, "");
    }

    private CommandCost add(int index, Command c) {
      AddCommand add = c.getAdd();
      long e = mul(n, elements(pkg.getBuffers(add.getOutput())));
      DmaTraffic dma = new DmaTraffic(2 * e, 0, 0, e, 0);
      BufferTraffic buffers = new BufferTraffic(0, 6 * e, 0);
      // two aligning shifts, the 32-bit add, the rounding shift
      Energy energy = new Energy(e * (3 * table.shift32Pj() + table.add32Pj()),
          buffers.total() * table.sramPjPerByte(), dma.total() * table.dramPjPerByte());
      return cost(index, c, CommandKind.ADD, 0, ceilDiv(e, d.peCols()), dma, buffers, energy, "");
    }

    private CommandCost cost(int index, Command c, CommandKind kind, long macs, long compute,
        DmaTraffic dma, BufferTraffic buffers, Energy energy, String note) {
      long memory = (long) Math.ceil(dma.total() / d.dmaBytesPerCycle());
      double us = Math.max(compute, memory) / d.clockMhz();
      return new CommandCost(index, c.getName(), kind, macs, compute, memory, us, dma, buffers,
          energy, note, HostCost.NONE);
    }
  }

  /** {@code [C, H, W]}; a rank-1 {@code [K]} buffer as {@code [K, 1, 1]}. */
  private static long[] chw(Buffer b) {
    if (b.getShapeCount() == 1) {
      return new long[] {dim(b, 0), 1, 1};
    }
    return new long[] {dim(b, 0), dim(b, 1), dim(b, 2)};
  }

  private static long elements(Buffer b) {
    long e = 1;
    for (int i = 0; i < b.getShapeCount(); i++) {
      e = mul(e, dim(b, i));
    }
    return e;
  }

  private static long dim(Buffer b, int i) {
    return Integer.toUnsignedLong(b.getShape(i));
  }

  private static String plural(long count, String what) {
    return count + " " + what + (count == 1 ? "" : "s");
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  private static long mul(long a, long b) {
    return Math.multiplyExact(a, b);
  }
}
