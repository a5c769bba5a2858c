package dev.potaccel.report;

import java.util.List;

/**
 * DoubleQExt's accuracy-vs-memory curve (research §2.4): layers made 5-bit PoT one at a time in
 * the order the compile flow ranks them, each point scored on the tuning split (what chose the
 * order and the plan) and on test images (what the report shows it costs).
 *
 * @param points k = 0 (all int8) to all layers PoT
 * @param chosen the k the default rule picks
 * @param rule the rule ("memory target 23.05% saving against int8")
 * @param tuneImages which images the tuning scores are on
 * @param testImages which images the test scores are on
 */
public record MemoryCurve(List<Point> points, int chosen, String rule, String tuneImages,
    String testImages) {
  /**
   * @param converted layers made PoT
   * @param layer the layer converted last ("" for k = 0)
   * @param weightBytes ideal weight bytes at this point
   * @param saving against all-int8 weights, a fraction
   * @param tuneTop1 top-1 on the tuning split, a fraction
   * @param testTop1 top-1 on the test images, a fraction
   */
  public record Point(int converted, String layer, double weightBytes, double saving,
      double tuneTop1, double testTop1) {}

  public MemoryCurve {
    points = List.copyOf(points);
    if (points.isEmpty() || chosen < 0 || chosen >= points.size()) {
      throw new IllegalArgumentException("a curve of " + points.size() + " points cannot have"
          + " point " + chosen + " chosen");
    }
  }
}
