package dev.potaccel.partition;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.potaccel.emulator.cost.HostSpeed;
import dev.potaccel.emulator.cost.HostWork;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Node;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The plan of a model on the {@code cpu} device: one host segment, the FP32 engine running every
 * node, nothing crossing a link.
 *
 * @param model the model's name
 * @param nodes how many nodes the engine runs
 * @param ops the distinct op types, in first-seen order
 * @param work the counted work per image ({@link HostWorkCount})
 * @param speed the host speed and its source
 * @param batch images per run
 * @param measuredUs the measured engine time for the batch, or NaN when not measured
 */
public record CpuPlan(String model, int nodes, List<String> ops, HostWork work, HostSpeed speed,
    int batch, double measuredUs) {

  public CpuPlan {
    ops = List.copyOf(ops);
  }

  /** The plan of {@code g}. */
  public static CpuPlan of(String model, Graph g, HostSpeed speed, int batch, double measuredUs) {
    Set<String> ops = new LinkedHashSet<>();
    for (Node n : g.nodes()) {
      ops.add(n.op().onnxName());
    }
    return new CpuPlan(model, g.nodes().size(), List.copyOf(ops), HostWorkCount.ofGraph(g),
        speed, batch, measuredUs);
  }

  /** {@code max(FLOPs / FLOP/s, bytes / bytes/s)} for the batch. */
  public double estimateUs() {
    return speed.micros(work.times(batch));
  }

  public String toTable() {
    StringBuilder sb = new StringBuilder();
    sb.append("plan of '").append(model).append("' on cpu, batch ").append(batch).append('\n');
    sb.append("host CPU: ").append(speed.summary()).append('\n');
    sb.append(String.format(Locale.ROOT, "segment 0: host, %d nodes (%s): %d FLOPs and %d B per"
            + " image; estimate %s us per batch%s%n", nodes, String.join(" ", ops), work.flops(),
        work.bytes(), PlanReport.f3(estimateUs()), Double.isNaN(measuredUs) ? ""
            : " (measured " + PlanReport.f3(measuredUs) + ")"));
    sb.append("total: 1 segment on the host, no accelerator, nothing crosses a link\n");
    return sb.toString();
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("model", model);
    o.addProperty("device", "cpu");
    o.addProperty("batch", batch);
    JsonObject speedJson = new JsonObject();
    speedJson.addProperty("flops_per_second", speed.flopsPerSecond());
    speedJson.addProperty("bytes_per_second", speed.bytesPerSecond());
    speedJson.addProperty("source", speed.source());
    o.add("host_speed", speedJson);
    JsonObject seg = new JsonObject();
    seg.addProperty("index", 0);
    seg.addProperty("device", "host");
    seg.addProperty("nodes", nodes);
    JsonArray opsJson = new JsonArray();
    ops.forEach(opsJson::add);
    seg.add("ops", opsJson);
    seg.addProperty("flops_per_image", work.flops());
    seg.addProperty("bytes_per_image", work.bytes());
    seg.addProperty("host_us", estimateUs());
    if (!Double.isNaN(measuredUs)) {
      seg.addProperty("measured_host_us", measuredUs);
    }
    JsonArray segments = new JsonArray();
    segments.add(seg);
    o.add("segments", segments);
    o.addProperty("host_round_trips", 0);
    JsonObject total = new JsonObject();
    total.addProperty("total_us", estimateUs());
    o.add("total", total);
    return o;
  }
}
