package dev.potaccel.emulator.cost;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A cost estimate: one {@link CommandCost} per package command, for a whole batch, plus totals and
 * the accelerator's resources. {@link #toTable} is what {@code potaccel profile} prints.
 *
 * @param model the package's model name
 * @param accelerator the description estimated for
 * @param energyTable the per-operation energies used
 * @param batch images per run
 * @param commands in package order
 * @param resources of {@code accelerator}
 * @param notes caveats of the whole estimate (e.g. weights re-tiled for another array)
 * @param host the host side the estimate assumed: its speed (with the figure's source), the
 *     counted work of HOST commands, and which side converts
 */
public record CostReport(
    String model,
    AcceleratorDescription accelerator,
    EnergyTable energyTable,
    int batch,
    List<CommandCost> commands,
    Resources resources,
    List<String> notes,
    HostModel host) {

  public CostReport {
    commands = List.copyOf(commands);
    notes = List.copyOf(notes);
    java.util.Objects.requireNonNull(host, "host");
  }

  public long macs() {
    return commands.stream().mapToLong(CommandCost::macs).sum();
  }

  /** Accelerator cycles: the commands run one after another, each through DRAM. */
  public long cycles() {
    return commands.stream().mapToLong(CommandCost::cycles).sum();
  }

  public long computeCycles() {
    return commands.stream().mapToLong(CommandCost::computeCycles).sum();
  }

  public long memoryCycles() {
    return commands.stream().mapToLong(CommandCost::memoryCycles).sum();
  }

  /** Accelerator time for the batch; host commands and the host link are not included. */
  public double latencyUs() {
    return cycles() / accelerator.clockMhz();
  }

  /** Bytes on the host link and host CPU time, over the commands. */
  public HostCost hostCost() {
    HostCost t = HostCost.NONE;
    for (CommandCost c : commands) {
      t = t.plus(c.host());
    }
    return t;
  }

  /**
   * The run's time for the batch: accelerator time, plus host link transfers, plus host CPU time
   * (CPU engine, quantize, dequantize). The host and the accelerator take turns: nothing overlaps
   * across a boundary (docs/partitioning.md).
   */
  public double totalUs() {
    return latencyUs() + hostCost().totalUs();
  }

  /** Images per second of the whole run ({@link #totalUs}), or infinity if it takes no time. */
  public double endToEndImagesPerSecond() {
    double us = totalUs();
    return us == 0 ? Double.POSITIVE_INFINITY : batch * 1e6 / us;
  }

  /** The host link's bandwidth: the accelerator's DMA port, in bytes per microsecond. */
  public double linkBytesPerUs() {
    return accelerator.dmaBytesPerCycle() * accelerator.clockMhz();
  }

  /** Images per second the accelerator part sustains at this batch, or infinity if it does none. */
  public double imagesPerSecond() {
    long c = cycles();
    return c == 0 ? Double.POSITIVE_INFINITY : batch * accelerator.clockMhz() * 1e6 / c;
  }

  /** {@code macs / (cycles · PEs)} over the whole run. */
  public double utilization() {
    long c = cycles();
    return c == 0 ? 0 : (double) macs() / ((double) c * accelerator.pes());
  }

  public DmaTraffic dma() {
    long a = 0;
    long w = 0;
    long b = 0;
    long o = 0;
    long f = 0;
    for (CommandCost c : commands) {
      a += c.dma().activationBytesIn();
      w += c.dma().weightBytesIn();
      b += c.dma().biasBytesIn();
      o += c.dma().bytesOut();
      f += c.dma().weightFetches();
    }
    return new DmaTraffic(a, w, b, o, f);
  }

  public BufferTraffic buffers() {
    BufferTraffic t = BufferTraffic.NONE;
    for (CommandCost c : commands) {
      t = t.plus(c.buffers());
    }
    return t;
  }

  public Energy energy() {
    Energy e = Energy.ZERO;
    for (CommandCost c : commands) {
      e = e.plus(c.energy());
    }
    return e;
  }

  /** The command named {@code name}; the first if several share it. */
  public CommandCost command(String name) {
    return commands.stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no command named '" + name + "'"));
  }

  /**
   * The report as text: a header, one row per command (MACs, utilization, cycles and which bound
   * dominates, latency, DMA bytes in and out, on-chip buffer bytes, energy), a totals row, then the
   * energy split, time, resources, the energy table's source and the notes.
   */
  public String toTable() {
    int pes = accelerator.pes();
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {
      "#", "command", "kind", "MACs", "util%", "cycles", "bound", "us", "DMA in B", "DMA out B",
      "SRAM B", "energy uJ", "link B", "host us"
    });
    for (CommandCost c : commands) {
      rows.add(new String[] {
        Integer.toString(c.index()),
        c.name(),
        c.kind().label(),
        Long.toString(c.macs()),
        c.macs() == 0 ? "-" : pct((double) c.macs() / ((double) c.cycles() * pes)),
        Long.toString(c.cycles()),
        c.bound().label(),
        f3(c.latencyUs()),
        Long.toString(c.dma().bytesIn()),
        Long.toString(c.dma().bytesOut()),
        Long.toString(c.buffers().total()),
        f3(c.energy().totalUj()),
        Long.toString(c.host().transferBytes()),
        f3(c.host().totalUs())
      });
    }
    DmaTraffic dma = dma();
    Energy energy = energy();
    rows.add(new String[] {
      "",
      "total",
      "",
      Long.toString(macs()),
      macs() == 0 ? "-" : pct(utilization()),
      Long.toString(cycles()),
      "",
      f3(latencyUs()),
      Long.toString(dma.bytesIn()),
      Long.toString(dma.bytesOut()),
      Long.toString(buffers().total()),
      f3(energy.totalUj()),
      Long.toString(hostCost().transferBytes()),
      f3(hostCost().totalUs())
    });
    boolean[] left = {false, true, true, false, false, false, true, false, false, false, false,
        false, false, false};
    int[] width = new int[left.length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append("cost estimate of '").append(model).append("', batch ").append(batch)
        .append(", on ").append(accelerator.summary()).append('\n');
    for (int r = 0; r < rows.size(); r++) {
      String[] row = rows.get(r);
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        if (i > 0) {
          line.append("  ");
        }
        String pad = " ".repeat(width[i] - row[i].length());
        line.append(left[i] ? row[i] + pad : pad + row[i]);
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    double total = energy.totalPj();
    sb.append("energy: ").append(f3(energy.totalUj())).append(" uJ = compute ")
        .append(f3(energy.computePj() * 1e-6)).append(share(energy.computePj(), total))
        .append(" + on-chip buffers ").append(f3(energy.sramPj() * 1e-6))
        .append(share(energy.sramPj(), total))
        .append(" + DRAM ").append(f3(energy.dramPj() * 1e-6)).append(share(energy.dramPj(), total))
        .append("; ").append(f3(energy.totalUj() / batch)).append(" uJ per image\n");
    sb.append("time: ").append(cycles()).append(" cycles = ").append(f3(latencyUs()))
        .append(" us at ").append(AcceleratorDescription.fmt(accelerator.clockMhz()))
        .append(" MHz (compute-bound ")
        .append(commands.stream().filter(c -> c.bound() == Bound.COMPUTE).count())
        .append(", memory-bound ")
        .append(commands.stream().filter(c -> c.bound() == Bound.MEMORY).count())
        .append(" commands); ")
        .append(String.format(Locale.ROOT, "%.0f", imagesPerSecond()))
        .append(" images/s on the accelerator alone\n");
    HostCost hc = hostCost();
    sb.append("host: link ").append(hc.transferBytes()).append(" B in ")
        .append(f3(hc.transferUs())).append(" us at ")
        .append(String.format(Locale.ROOT, "%.2f", linkBytesPerUs() / 1e3))
        .append(" GB/s (the DMA port), CPU ").append(f3(hc.cpuUs())).append(" us at ")
        .append(host.speed().summary()).append(host.conversion() == HostModel.Conversion.ON_HOST
            ? "; the host converts FP32 <-> codes" : "; the device converts FP32 <-> codes")
        .append('\n');
    sb.append("end to end: ").append(f3(totalUs())).append(" us = accelerator ")
        .append(f3(latencyUs())).append(" + link ").append(f3(hc.transferUs()))
        .append(" + host CPU ").append(f3(hc.cpuUs())).append(" (taking turns, no overlap); ")
        .append(String.format(Locale.ROOT, "%.0f", endToEndImagesPerSecond()))
        .append(" images/s\n");
    sb.append("DMA: activations ").append(dma.activationBytesIn()).append(" B + weights ")
        .append(dma.weightBytesIn()).append(" B + biases ").append(dma.biasBytesIn())
        .append(" B in, ").append(dma.bytesOut()).append(" B out\n");
    Resources res = resources;
    sb.append("resources: ").append(res.pes()).append(" PEs, ").append(res.dsps())
        .append(" DSP48, ").append(res.luts()).append(" LUTs (PE arithmetic), ")
        .append(res.bram36()).append(" BRAM36 (weights ").append(res.bramWeights())
        .append(", activations ").append(res.bramActivations()).append(", accumulators ")
        .append(res.bramAccumulators()).append(")\n");
    sb.append("energy per operation: ").append(energyTable.describe()).append('\n');
    List<String> all = new ArrayList<>(notes);
    for (CommandCost c : commands) {
      if (!c.note().isEmpty()
          && c.kind() != CommandKind.CONVERT && c.kind() != CommandKind.RESHAPE) {
        all.add("command " + c.index() + " '" + c.name() + "': " + c.note());
      }
    }
    for (String note : all) {
      sb.append("note: ").append(note).append('\n');
    }
    return sb.toString();
  }

  private static String f3(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }

  private static String pct(double fraction) {
    return String.format(Locale.ROOT, "%.1f", 100 * fraction);
  }

  private static String share(double part, double total) {
    return total == 0 ? "" : String.format(Locale.ROOT, " (%.1f%%)", 100 * part / total);
  }
}
