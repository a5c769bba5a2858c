package dev.potaccel.report;

import static dev.potaccel.report.Markup.number;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The report's charts, each from one of its records. */
final class ReportCharts {
  /** Above this many levels, lines would fill the plot: levels become ticks on the axis. */
  static final int MAX_LEVEL_LINES = 40;

  private ReportCharts() {}

  /** FP32 weights on the level scale, the codebook's levels over them. */
  static String weights(String id, String node, WeightPicture w) {
    Histogram h = w.histogram();
    double top = h.maxCount() * 1.08 + 1;
    SvgChart c = new SvgChart(id, "Weights of " + node + " (" + w.codebook() + ")",
        "weight × 2^F_w of its output channel (the codebook's integer scale)", "weights",
        600, 310).xRange(h.lo(), h.hi()).yRange(0, top);
    for (int i = 0; i < h.bins(); i++) {
      if (h.counts()[i] > 0) {
        c.bar(h.edge(i), h.edge(i + 1), h.counts()[i], SvgChart.SKY);
      }
    }
    boolean lines = w.levels().length <= MAX_LEVEL_LINES;
    for (int v : w.levels()) {
      if (lines) {
        c.vline(v, SvgChart.VERMILION, 1.1, false, null);
      } else {
        c.axisMark(v, SvgChart.VERMILION);
      }
    }
    c.legend(SvgChart.SKY, "box", "FP32 weights (BatchNorm folded)");
    c.legend(SvgChart.VERMILION, "line", lines ? "quantization levels"
        : "quantization levels (ticks)");
    return c.toSvg();
  }

  /** The activation sample's nonzero values, the fitted GGD density and the clips. */
  static String activation(String id, ActivationPicture a) {
    Histogram h = a.histogram();
    double top = 0;
    for (int i = 0; i < h.bins(); i++) {
      top = Math.max(top, h.density(i));
    }
    // the fitted density can spike near 0 (d < 1): do not let it flatten the histogram
    top = top > 0 ? top * 1.15 : 1;
    SvgChart c = new SvgChart(id, "Activation " + a.value() + " (" + a.format() + ")",
        "value" + (a.zeros() > 0 ? " (exact zeros not drawn)" : ""), "density", 600, 310)
        .xRange(h.lo(), h.hi()).yRange(0, top);
    for (int i = 0; i < h.bins(); i++) {
      if (h.counts()[i] > 0) {
        c.bar(h.edge(i), h.edge(i + 1), h.density(i), SvgChart.SKY);
      }
    }
    c.legend(SvgChart.SKY, "box", "calibration sample");
    if (a.curveX().length > 0) {
      c.line(a.curveX(), a.curveY(), SvgChart.BLUE, 2, false, false);
      c.legend(SvgChart.BLUE, "line", "GGD fit");
    }
    c.vline(a.clip(), SvgChart.VERMILION, 2, false, "clip " + number(a.clip(), 3));
    if (a.signed()) {
      c.vline(-a.clip(), SvgChart.VERMILION, 2, false, null);
    }
    c.legend(SvgChart.VERMILION, "line", "chosen clip");
    if (!Double.isNaN(a.ggdClip()) && a.ggdClip() != a.clip()) {
      c.vline(a.ggdClip(), SvgChart.GREEN, 1.6, true, "GGD " + number(a.ggdClip(), 3));
      if (a.signed()) {
        c.vline(-a.ggdClip(), SvgChart.GREEN, 1.6, true, null);
      }
      c.legend(SvgChart.GREEN, "dash", "GGD-rule clip");
    }
    return c.toSvg();
  }

  /** The layer's weight SQNR under each scheme, the report's scheme highlighted. */
  static String sqnr(String id, String node, List<LayerSection.SchemeSqnr> rows,
      String highlighted) {
    double max = 1;
    for (LayerSection.SchemeSqnr r : rows) {
      if (Double.isFinite(r.sqnrDb())) {
        max = Math.max(max, r.sqnrDb());
      }
    }
    List<String> names = rows.stream().map(LayerSection.SchemeSqnr::scheme).toList();
    SvgChart c = new SvgChart(id, "Weight SQNR of " + node + " per scheme", "SQNR (dB)", "",
        420, 96 + 18 * rows.size()).xRange(0, Math.ceil(max / 5) * 5 + 5)
        .yCategories(names);
    for (int i = 0; i < rows.size(); i++) {
      LayerSection.SchemeSqnr r = rows.get(i);
      double v = Double.isFinite(r.sqnrDb()) ? Math.max(0, r.sqnrDb()) : max;
      String color = r.scheme().equals(highlighted) ? SvgChart.VERMILION : SvgChart.BLUE;
      c.rowBar(i, 0, v, color, r.scheme() + ": " + number(r.sqnrDb(), 3) + " dB");
      c.rowText(i, v, number(r.sqnrDb(), 3));
    }
    c.legend(SvgChart.VERMILION, "box", highlighted);
    c.legend(SvgChart.BLUE, "box", "other schemes");
    return c.toSvg();
  }

  /** Weight SQNR of every layer under the report's scheme. */
  static String layerSqnr(String id, ModelReport r) {
    List<String> names = new ArrayList<>();
    double max = 1;
    for (LayerSection l : r.layers()) {
      names.add(l.node());
      double v = ownSqnr(l, r.scheme());
      if (Double.isFinite(v)) {
        max = Math.max(max, v);
      }
    }
    SvgChart c = new SvgChart(id, "Weight SQNR per layer, " + r.scheme(), "SQNR (dB)", "", 900,
        96 + 18 * names.size()).xRange(0, Math.ceil(max / 5) * 5 + 5).yCategories(names);
    for (int i = 0; i < r.layers().size(); i++) {
      LayerSection l = r.layers().get(i);
      double v = ownSqnr(l, r.scheme());
      double shown = Double.isFinite(v) ? Math.max(0, v) : max;
      c.rowBar(i, 0, shown, l.scheme().equals("doubleq") ? SvgChart.ORANGE : SvgChart.BLUE,
          l.node() + " (" + l.scheme() + "): " + number(v, 3) + " dB");
      c.rowText(i, shown, number(v, 3) + " dB, " + l.scheme());
    }
    return c.toSvg();
  }

  private static double ownSqnr(LayerSection l, String scheme) {
    return l.sqnr().stream().filter(s -> s.scheme().equals(scheme)).mapToDouble(
        LayerSection.SchemeSqnr::sqnrDb).findFirst().orElse(Double.NaN);
  }

  /** DoubleQExt's top-1 against weight memory, on the tuning split and on test images. */
  static String curve(String id, MemoryCurve m) {
    int n = m.points().size();
    double[] kib = new double[n];
    double[] tune = new double[n];
    double[] test = new double[n];
    double lo = 100;
    double hi = 0;
    for (int i = 0; i < n; i++) {
      MemoryCurve.Point p = m.points().get(i);
      kib[i] = p.weightBytes() / 1024;
      tune[i] = 100 * p.tuneTop1();
      test[i] = 100 * p.testTop1();
      lo = Math.min(lo, Math.min(tune[i], test[i]));
      hi = Math.max(hi, Math.max(tune[i], test[i]));
    }
    double xMin = Math.min(kib[0], kib[n - 1]);
    double xMax = Math.max(kib[0], kib[n - 1]);
    double pad = Math.max(1e-3, (xMax - xMin) * 0.06);
    double yLo = Math.max(0, Math.floor(lo - 1));
    double yHi = Math.min(100, Math.ceil(hi + 1));
    SvgChart c = new SvgChart(id, "DoubleQExt: top-1 against weight memory",
        "weight memory (KiB, ideal bits × weights / 8); leftmost = every layer 5-bit PoT",
        "top-1 (%)", 900, 380).xRange(xMin - pad, xMax + pad).yRange(yLo, yHi + 0.5);
    c.line(kib, tune, SvgChart.GREEN, 2, true, true);
    c.line(kib, test, SvgChart.BLUE, 2.2, false, true);
    MemoryCurve.Point chosen = m.points().get(m.chosen());
    c.annotate(kib[m.chosen()], test[m.chosen()], String.format(Locale.ROOT,
        "chosen: %d PoT, −%.1f%% memory", chosen.converted(), 100 * chosen.saving()),
        SvgChart.VERMILION);
    c.legend(SvgChart.BLUE, "line", "test images");
    c.legend(SvgChart.GREEN, "dash", "tuning split (ranks the layers)");
    return c.toSvg();
  }

  /** Energy per image per scheme, split into compute, on-chip buffers and DRAM. */
  static String energy(String id, List<SchemeEnergy> rows, String highlighted) {
    double max = 0;
    for (SchemeEnergy e : rows) {
      max = Math.max(max, e.totalUj());
    }
    List<String> names = rows.stream()
        .map(e -> e.scheme().equals(highlighted) ? e.scheme() + " ◀" : e.scheme()).toList();
    SvgChart c = new SvgChart(id, "Energy per image by scheme (cost model)",
        "energy per image (µJ)", "", 900, 96 + 24 * rows.size())
        .xRange(0, max > 0 ? max * 1.22 : 1).yCategories(names);
    for (int i = 0; i < rows.size(); i++) {
      SchemeEnergy e = rows.get(i);
      double a = e.computeUj();
      double b = a + e.onChipUj();
      double t = e.totalUj();
      c.rowBar(i, 0, a, SvgChart.BLUE, e.scheme() + " compute " + number(a, 3) + " µJ");
      c.rowBar(i, a, b, SvgChart.ORANGE, e.scheme() + " on-chip " + number(e.onChipUj(), 3)
          + " µJ");
      c.rowBar(i, b, t, SvgChart.PURPLE, e.scheme() + " DRAM " + number(e.dramUj(), 3)
          + " µJ");
      c.rowText(i, t, number(t, 3) + " µJ");
    }
    c.legend(SvgChart.BLUE, "box", "compute");
    c.legend(SvgChart.ORANGE, "box", "on-chip buffers");
    c.legend(SvgChart.PURPLE, "box", "DRAM");
    return c.toSvg();
  }
}
