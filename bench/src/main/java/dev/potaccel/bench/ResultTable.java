package dev.potaccel.bench;

import java.util.List;
import java.util.Locale;

/**
 * The bench table as Markdown: one row per backend with images/s, batch latency p50 and p99 and
 * the throughput ratio to the reference backend (ONNX Runtime when it ran).
 */
public final class ResultTable {
  private ResultTable() {}

  /**
   * @param reference the backend the ratio column divides by, or null for no ratio column values
   */
  public static String format(List<BackendResult> results, String reference) {
    BackendResult ref = results.stream().filter(r -> r.backend().equals(reference)).findFirst()
        .orElse(null);
    String ratioHeader = "vs " + (ref == null ? "reference" : ref.backend());
    int nameWidth = Math.max("backend".length(),
        results.stream().mapToInt(r -> r.backend().length()).max().orElse(0));
    StringBuilder sb = new StringBuilder();
    String row = "| %-" + nameWidth + "s | %10s | %12s | %12s | %" + ratioHeader.length()
        + "s |%n";
    sb.append(String.format(Locale.ROOT, row, "backend", "images/s", "p50 ms/batch",
        "p99 ms/batch", ratioHeader));
    sb.append("|").append("-".repeat(nameWidth + 2)).append("|").append("-".repeat(11))
        .append(":|").append("-".repeat(13)).append(":|").append("-".repeat(13)).append(":|")
        .append("-".repeat(ratioHeader.length() + 1)).append(":|").append(System.lineSeparator());
    for (BackendResult r : results) {
      String ratio = ref == null || ref.imagesPerSecond() == 0 ? "-"
          : String.format(Locale.ROOT, "%.2fx", r.imagesPerSecond() / ref.imagesPerSecond());
      sb.append(String.format(Locale.ROOT, row, r.backend(),
          String.format(Locale.ROOT, "%.1f", r.imagesPerSecond()),
          String.format(Locale.ROOT, "%.3f", r.p50Millis()),
          String.format(Locale.ROOT, "%.3f", r.p99Millis()), ratio));
    }
    return sb.toString();
  }
}
