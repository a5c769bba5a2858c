package dev.potaccel.partition;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.potaccel.emulator.cost.CommandCost;
import dev.potaccel.emulator.cost.CostReport;
import dev.potaccel.emulator.cost.HostModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A partition plan with the cost model's estimate of each segment on one device: what {@code
 * potaccel plan} prints.
 *
 * @param device the device the plan is for, as the command line names it
 * @param plan the package's segments
 * @param cost the estimate of the same package, with its host side (speed and its source)
 * @param measuredHostUs the measured time of HOST commands for the batch, by command index, when
 *     the host speed was measured (empty otherwise)
 */
public record PlanReport(String device, PartitionPlan plan, CostReport cost,
    Map<Integer, Double> measuredHostUs) {

  public PlanReport {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(cost, "cost");
    measuredHostUs = Map.copyOf(measuredHostUs);
  }

  /**
   * One segment's share of the estimate.
   *
   * @param cycles accelerator cycles
   * @param acceleratorUs accelerator time
   * @param dmaBytes bytes between the accelerator's DRAM and its buffers
   * @param toDeviceBytes bytes over the host link into the accelerator
   * @param fromDeviceBytes bytes over the host link out of it
   * @param transferUs time of those transfers
   * @param cpuUs host CPU time (CPU engine, quantize, dequantize)
   * @param measuredUs measured CPU engine time of its HOST commands, or NaN when not measured
   */
  public record SegmentCost(Segment segment, long cycles, double acceleratorUs, long dmaBytes,
      long toDeviceBytes, long fromDeviceBytes, double transferUs, double cpuUs,
      double measuredUs) {
    public double totalUs() {
      return acceleratorUs + transferUs + cpuUs;
    }
  }

  public List<SegmentCost> segmentCosts() {
    List<SegmentCost> out = new ArrayList<>();
    for (Segment s : plan.segments()) {
      long cycles = 0;
      double acc = 0;
      long dma = 0;
      long to = 0;
      long from = 0;
      double transfer = 0;
      double cpu = 0;
      double measured = 0;
      boolean anyMeasured = false;
      for (int i : s.commands()) {
        CommandCost c = cost.commands().get(i);
        cycles += c.cycles();
        acc += c.latencyUs();
        dma += c.dma().total();
        to += c.host().toDeviceBytes();
        from += c.host().fromDeviceBytes();
        transfer += c.host().transferUs();
        cpu += c.host().cpuUs();
        Double m = measuredHostUs.get(i);
        if (m != null) {
          measured += m;
          anyMeasured = true;
        }
      }
      out.add(new SegmentCost(s, cycles, acc, dma, to, from, transfer, cpu,
          anyMeasured ? measured : Double.NaN));
    }
    return out;
  }

  /** The plan as text: a header, one row per segment, the crossings, the totals. */
  public String toTable() {
    StringBuilder sb = new StringBuilder();
    sb.append("plan of '").append(plan.model()).append("' on ").append(device)
        .append(", batch ").append(cost.batch()).append('\n');
    sb.append("accelerator: ").append(cost.accelerator().summary()).append('\n');
    sb.append("host link: ").append(String.format(Locale.ROOT, "%.2f", cost.linkBytesPerUs() / 1e3))
        .append(" GB/s (taken to be the accelerator's DMA port); ")
        .append(cost.host().conversion() == HostModel.Conversion.ON_HOST
            ? "the host converts FP32 <-> codes, codes cross the link (docs/accelerator.md §3.4)"
            : "the device converts FP32 <-> codes (kernels-cl), FP32 crosses the link")
        .append('\n');
    sb.append("host CPU: ").append(cost.host().speed().summary()).append('\n');
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"seg", "device", "commands", "ops", "to dev B", "from dev B",
        "DMA B", "cycles", "accel us", "link us", "host us", "total us", "reason"});
    List<SegmentCost> costs = segmentCosts();
    for (SegmentCost c : costs) {
      Segment s = c.segment();
      String host = f3(c.cpuUs());
      if (!Double.isNaN(c.measuredUs())) {
        host += " (measured " + f3(c.measuredUs()) + ")";
      }
      rows.add(new String[] {Integer.toString(s.index()), s.device().label(), s.commandRange(),
          String.join(" ", s.ops()), Long.toString(c.toDeviceBytes()),
          Long.toString(c.fromDeviceBytes()), Long.toString(c.dmaBytes()),
          Long.toString(c.cycles()), f3(c.acceleratorUs()), f3(c.transferUs()), host,
          f3(c.totalUs()), s.reason()});
    }
    boolean[] left = {false, true, true, true, false, false, false, false, false, false, false,
        false, true};
    appendTable(sb, rows, left);
    if (!plan.crossings().isEmpty()) {
      sb.append("crossings (per image):\n");
      for (Crossing x : plan.crossings()) {
        sb.append(String.format(Locale.ROOT, "  command %d: '%s' %s, %d values (%d B as codes,"
                + " %d B as FP32)%n", x.command(), x.value(), x.direction().label(),
            x.valuesPerImage(), x.codeBytesPerImage(), x.floatBytesPerImage()));
      }
    }
    var hc = cost.hostCost();
    sb.append(String.format(Locale.ROOT, "total: %d segment(s): %d on the accelerator, %d on the"
            + " host; %d host round trip(s)%n", plan.segments().size(), plan.accelerator().size(),
        plan.host().size(), plan.hostRoundTrips()));
    sb.append(String.format(Locale.ROOT, "estimate: %s us per batch = accelerator %s + link %s"
            + " (%d B) + host CPU %s; %.0f images/s; the host and the accelerator take turns%n",
        f3(cost.totalUs()), f3(cost.latencyUs()), f3(hc.transferUs()), hc.transferBytes(),
        f3(hc.cpuUs()), cost.endToEndImagesPerSecond()));
    for (String note : cost.notes()) {
      sb.append("note: ").append(note).append('\n');
    }
    return sb.toString();
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("model", plan.model());
    o.addProperty("device", device);
    o.addProperty("batch", cost.batch());
    o.addProperty("accelerator", cost.accelerator().summary());
    o.addProperty("link_bytes_per_us", cost.linkBytesPerUs());
    o.addProperty("conversion", cost.host().conversion().name().toLowerCase(Locale.ROOT));
    JsonObject speed = new JsonObject();
    speed.addProperty("flops_per_second", cost.host().speed().flopsPerSecond());
    speed.addProperty("bytes_per_second", cost.host().speed().bytesPerSecond());
    speed.addProperty("source", cost.host().speed().source());
    o.add("host_speed", speed);
    JsonArray segments = new JsonArray();
    for (SegmentCost c : segmentCosts()) {
      Segment s = c.segment();
      JsonObject j = new JsonObject();
      j.addProperty("index", s.index());
      j.addProperty("device", s.device().label());
      JsonArray commands = new JsonArray();
      s.commands().forEach(commands::add);
      j.add("commands", commands);
      JsonArray ops = new JsonArray();
      s.ops().forEach(ops::add);
      j.add("ops", ops);
      j.add("inputs", crossings(s.inputs()));
      j.add("outputs", crossings(s.outputs()));
      j.addProperty("to_device_bytes", c.toDeviceBytes());
      j.addProperty("from_device_bytes", c.fromDeviceBytes());
      j.addProperty("dma_bytes", c.dmaBytes());
      j.addProperty("cycles", c.cycles());
      j.addProperty("accelerator_us", c.acceleratorUs());
      j.addProperty("link_us", c.transferUs());
      j.addProperty("host_us", c.cpuUs());
      if (!Double.isNaN(c.measuredUs())) {
        j.addProperty("measured_host_us", c.measuredUs());
      }
      j.addProperty("total_us", c.totalUs());
      if (!s.reason().isEmpty()) {
        j.addProperty("reason", s.reason());
      }
      segments.add(j);
    }
    o.add("segments", segments);
    o.addProperty("host_round_trips", plan.hostRoundTrips());
    JsonObject total = new JsonObject();
    total.addProperty("accelerator_us", cost.latencyUs());
    total.addProperty("link_us", cost.hostCost().transferUs());
    total.addProperty("link_bytes", cost.hostCost().transferBytes());
    total.addProperty("host_us", cost.hostCost().cpuUs());
    total.addProperty("total_us", cost.totalUs());
    total.addProperty("images_per_second", cost.endToEndImagesPerSecond());
    o.add("total", total);
    JsonArray notes = new JsonArray();
    cost.notes().forEach(notes::add);
    o.add("notes", notes);
    return o;
  }

  private static JsonArray crossings(List<Crossing> xs) {
    JsonArray a = new JsonArray();
    for (Crossing x : xs) {
      JsonObject j = new JsonObject();
      j.addProperty("command", x.command());
      j.addProperty("value", x.value());
      j.addProperty("direction", x.direction().name().toLowerCase(Locale.ROOT));
      j.addProperty("values_per_image", x.valuesPerImage());
      a.add(j);
    }
    return a;
  }

  static void appendTable(StringBuilder sb, List<String[]> rows, boolean[] left) {
    int[] width = new int[left.length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    for (String[] row : rows) {
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
  }

  static String f3(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }
}
