package dev.potaccel.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The bench table as Markdown: one row per backend with images/s, batch latency p50 and p99, the
 * throughput ratio to the reference backend (ONNX Runtime when it ran), and the process CPU time
 * per batch with its ratio. Wall-time throughput is what users get; the CPU columns are what to
 * compare on a machine shared with other jobs (with {@code --threads 1}, where no backend spins).
 */
public final class ResultTable {
  private ResultTable() {}

  /**
   * @param reference the backend the ratio columns divide by, or null for no ratio values
   */
  public static String format(List<BackendResult> results, String reference) {
    BackendResult ref = results.stream().filter(r -> r.backend().equals(reference)).findFirst()
        .orElse(null);
    String refName = ref == null ? "reference" : ref.backend();
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"backend", "images/s", "p50 ms/batch", "p99 ms/batch",
        "vs " + refName, "CPU ms/batch", "CPU vs " + refName});
    for (BackendResult r : results) {
      String ratio = ref == null || ref.imagesPerSecond() == 0 ? "-"
          : fmt("%.2fx", r.imagesPerSecond() / ref.imagesPerSecond());
      double cpu = r.cpuMillisPerBatch();
      String cpuRatio = ref == null || !(cpu > 0) || !(ref.cpuMillisPerBatch() > 0) ? "-"
          : fmt("%.2fx", ref.cpuMillisPerBatch() / cpu);
      rows.add(new String[] {r.backend(), fmt("%.1f", r.imagesPerSecond()),
          fmt("%.3f", r.p50Millis()), fmt("%.3f", r.p99Millis()), ratio,
          Double.isNaN(cpu) ? "-" : fmt("%.1f", cpu), cpuRatio});
    }
    int[] width = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int c = 0; c < row.length; c++) {
        width[c] = Math.max(width[c], row[c].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < rows.size(); i++) {
      String[] row = rows.get(i);
      sb.append('|');
      for (int c = 0; c < row.length; c++) {
        String pad = " ".repeat(width[c] - row[c].length());
        sb.append(' ').append(c == 0 ? row[c] + pad : pad + row[c]).append(" |");
      }
      sb.append(System.lineSeparator());
      if (i == 0) {
        sb.append('|');
        for (int c = 0; c < row.length; c++) {
          sb.append('-').append("-".repeat(width[c])).append(c == 0 ? "-|" : ":|");
        }
        sb.append(System.lineSeparator());
      }
    }
    return sb.toString();
  }

  private static String fmt(String format, double value) {
    return String.format(Locale.ROOT, format, value);
  }
}
