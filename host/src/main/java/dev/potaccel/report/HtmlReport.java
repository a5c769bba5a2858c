package dev.potaccel.report;

import static dev.potaccel.report.Markup.escape;
import static dev.potaccel.report.Markup.number;

import java.util.Locale;

/**
 * Writes a {@link ModelReport} as one self-contained HTML5 page: inline style, inline SVG, no
 * script and no reference to any other file or URL, so it opens the same offline, attached to
 * an issue or in a headless browser. A summary and a table of contents first, then the model's
 * charts (layer SQNR, DoubleQExt curve, energy per scheme), then one section per layer.
 */
public final class HtmlReport {
  private static final String STYLE = """
      body{font-family:sans-serif;color:#222;background:#fff;margin:16px auto;max-width:1260px;\
      padding:0 10px;line-height:1.4}
      h1{font-size:22px;margin:4px 0 10px}h2{font-size:18px;margin:26px 0 8px;\
      border-bottom:1px solid #ccc}h3{font-size:15px;margin:18px 0 6px}
      table{border-collapse:collapse;font-size:13px;margin:6px 0}
      td,th{border:1px solid #d4d4d4;padding:2px 8px;text-align:left;vertical-align:top}
      td.n{text-align:right;font-variant-numeric:tabular-nums}
      .row{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start}
      .note{color:#555;font-size:13px}nav ol{columns:3;font-size:13px;margin:4px 0}
      tr.chosen td{background:#fdebd3}
      """;

  private HtmlReport() {}

  /** The page. */
  public static String render(ModelReport r) {
    StringBuilder h = new StringBuilder(1 << 16);
    String title = "potaccel report: " + r.model() + ", " + r.scheme();
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
        .append("<title>").append(escape(title)).append("</title>\n<style>\n").append(STYLE)
        .append("</style>\n</head>\n<body>\n");
    h.append("<h1>").append(escape(title)).append("</h1>\n");
    h.append("<table>\n");
    for (ModelReport.Fact f : r.facts()) {
      h.append("<tr><th>").append(escape(f.label())).append("</th><td>")
          .append(escape(f.value())).append("</td></tr>\n");
    }
    h.append("</table>\n");
    for (String n : r.notes()) {
      h.append("<p class=\"note\">").append(escape(n)).append("</p>\n");
    }
    toc(h, r);
    h.append("<h2 id=\"model\">Model</h2>\n");
    h.append("<div class=\"row\">").append(ReportCharts.layerSqnr("layer-sqnr", r))
        .append("</div>\n");
    if (r.curve() != null) {
      curve(h, r.curve());
    }
    if (!r.energy().isEmpty()) {
      energy(h, r);
    }
    for (int i = 0; i < r.layers().size(); i++) {
      layer(h, r, i);
    }
    h.append("</body>\n</html>\n");
    return h.toString();
  }

  private static void toc(StringBuilder h, ModelReport r) {
    h.append("<nav><h2>Contents</h2><ol>\n<li><a href=\"#model\">Model: weight SQNR per"
        + " layer</a></li>\n");
    if (r.curve() != null) {
      h.append("<li><a href=\"#doubleqext\">DoubleQExt accuracy vs memory</a></li>\n");
    }
    if (!r.energy().isEmpty()) {
      h.append("<li><a href=\"#energy\">Energy per scheme</a></li>\n");
    }
    for (int i = 0; i < r.layers().size(); i++) {
      LayerSection l = r.layers().get(i);
      h.append("<li><a href=\"#").append(anchor(i)).append("\">").append(escape(l.node()))
          .append("</a> <span class=\"note\">").append(escape(l.op())).append(' ')
          .append(escape(l.shape())).append(", ").append(escape(l.scheme()))
          .append("</span></li>\n");
    }
    h.append("</ol></nav>\n");
  }

  /** Fragment ids are made from the index, so any node name is safe. */
  private static String anchor(int layer) {
    return "layer-" + layer;
  }

  private static void curve(StringBuilder h, MemoryCurve m) {
    h.append("<h2 id=\"doubleqext\">DoubleQExt: accuracy against memory</h2>\n");
    h.append("<p class=\"note\">Layers are made 5-bit PoT one at a time, in the order the"
        + " compile flow ranks them (least top-1 lost on the tuning split when made PoT alone)."
        + " Tuning split: ").append(escape(m.tuneImages())).append(". Test: ")
        .append(escape(m.testImages())).append(". Chosen by the ").append(escape(m.rule()))
        .append(".</p>\n");
    h.append("<div class=\"row\">").append(ReportCharts.curve("dqx-curve", m))
        .append("</div>\n");
    h.append("<table>\n<tr><th>k</th><th>layer made PoT</th><th>weight bytes</th><th>saving"
        + "</th><th>top-1 tuning</th><th>top-1 test</th></tr>\n");
    for (MemoryCurve.Point p : m.points()) {
      h.append(p.converted() == m.chosen() ? "<tr class=\"chosen\">" : "<tr>")
          .append("<td class=\"n\">").append(p.converted()).append("</td><td>")
          .append(escape(p.converted() == 0 ? "(all int8)" : p.layer()))
          .append("</td><td class=\"n\">").append(String.format(Locale.ROOT, "%.0f",
              p.weightBytes()))
          .append("</td><td class=\"n\">").append(pct(p.saving()))
          .append("</td><td class=\"n\">").append(pct(p.tuneTop1()))
          .append("</td><td class=\"n\">").append(pct(p.testTop1())).append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  private static void energy(StringBuilder h, ModelReport r) {
    h.append("<h2 id=\"energy\">Energy per scheme</h2>\n<p class=\"note\">")
        .append(escape(r.energyNote())).append("</p>\n");
    h.append("<div class=\"row\">").append(ReportCharts.energy("energy", r.energy(),
        r.scheme())).append("</div>\n");
    h.append("<table>\n<tr><th>scheme</th><th>weight bytes</th><th>compute µJ</th><th>on-chip"
        + " µJ</th><th>DRAM µJ</th><th>total µJ</th></tr>\n");
    for (SchemeEnergy e : r.energy()) {
      h.append(e.scheme().equals(r.scheme()) ? "<tr class=\"chosen\">" : "<tr>")
          .append("<td>").append(escape(e.scheme())).append("</td><td class=\"n\">")
          .append(String.format(Locale.ROOT, "%.0f", e.weightBytes()))
          .append("</td><td class=\"n\">").append(number(e.computeUj(), 4))
          .append("</td><td class=\"n\">").append(number(e.onChipUj(), 4))
          .append("</td><td class=\"n\">").append(number(e.dramUj(), 4))
          .append("</td><td class=\"n\">").append(number(e.totalUj(), 4)).append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  private static void layer(StringBuilder h, ModelReport r, int i) {
    LayerSection l = r.layers().get(i);
    String a = anchor(i);
    h.append("<h2 id=\"").append(a).append("\">").append(escape(l.node())).append("</h2>\n");
    h.append("<p class=\"note\">").append(escape(l.op())).append(", weights ")
        .append(escape(l.shape())).append(", scheme ").append(escape(l.scheme())).append(": ")
        .append(escape(l.description())).append(". ")
        .append(escape(levelsLine(l.weights()))).append("</p>\n");
    h.append("<div class=\"row\">").append(ReportCharts.weights(a + "-w", l.node(), l.weights()));
    ActivationPicture act = l.activation();
    if (act != null) {
      h.append(ReportCharts.activation(a + "-a", act));
    }
    h.append("</div>\n<div class=\"row\">")
        .append(ReportCharts.sqnr(a + "-s", l.node(), l.sqnr(), r.scheme()));
    if (act != null) {
      h.append("<table>\n");
      row(h, "activation", act.value());
      row(h, "format", act.format() + " (clip " + number(act.clip(), 4) + ")");
      row(h, "GGD rule clip", number(act.ggdClip(), 4));
      row(h, "max |x| in sample", number(act.maxAbs(), 4));
      row(h, "GGD fit", act.fit());
      row(h, "samples", act.samples() + String.format(Locale.ROOT, " (%.1f%% exact zeros)",
          act.samples() == 0 ? 0.0 : 100.0 * act.zeros() / act.samples()));
      row(h, "activation SQNR", number(act.sqnrDb(), 3) + " dB");
      h.append("</table>\n");
    }
    h.append("</div>\n");
  }

  private static String levelsLine(WeightPicture w) {
    String s = w.levels().length + " levels drawn, " + w.levelsUsed() + " used";
    return w.levelsBeyond() > 0 ? s + "; " + w.levelsBeyond() + " codebook levels lie beyond"
        + " every weight and are not drawn." : s + ".";
  }

  private static void row(StringBuilder h, String label, String value) {
    h.append("<tr><th>").append(escape(label)).append("</th><td>").append(escape(value))
        .append("</td></tr>\n");
  }

  private static String pct(double fraction) {
    return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
  }
}
