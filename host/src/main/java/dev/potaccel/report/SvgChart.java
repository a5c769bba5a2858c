package dev.potaccel.report;

import static dev.potaccel.report.Markup.coord;
import static dev.potaccel.report.Markup.escape;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One inline SVG chart: a title, a plot area with a numeric x axis and either a numeric or a
 * category y axis (horizontal bars), ticks at round values, axis labels and a legend. Marks are
 * given in data units and clipped to the plot area. Every text is escaped.
 */
final class SvgChart {
  /** Colours that stay apart for colour-blind readers (Okabe-Ito). */
  static final String BLUE = "#0072B2";
  static final String ORANGE = "#E69F00";
  static final String GREEN = "#009E73";
  static final String VERMILION = "#D55E00";
  static final String PURPLE = "#CC79A7";
  static final String SKY = "#56B4E9";
  static final String GREY = "#8c8c8c";
  static final String INK = "#222222";

  private static final int LEFT = 70;
  private static final int RIGHT = 18;
  private static final int TOP = 46;
  private static final int BOTTOM = 46;

  private final String id;
  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final int width;
  private final int height;
  private final StringBuilder marks = new StringBuilder();
  private final List<String[]> legend = new ArrayList<>();
  private double x0 = 0;
  private double x1 = 1;
  private double y0 = 0;
  private double y1 = 1;
  private List<String> categories;

  /**
   * @param id unique in the page (clip path id)
   */
  SvgChart(String id, String title, String xLabel, String yLabel, int width, int height) {
    this.id = id;
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.width = width;
    this.height = height;
  }

  SvgChart xRange(double lo, double hi) {
    checkRange("x", lo, hi);
    x0 = lo;
    x1 = hi;
    return this;
  }

  SvgChart yRange(double lo, double hi) {
    checkRange("y", lo, hi);
    y0 = lo;
    y1 = hi;
    return this;
  }

  /** A category y axis: row {@code i} is {@code names.get(i)}, top to bottom. */
  SvgChart yCategories(List<String> names) {
    categories = List.copyOf(names);
    y0 = 0;
    y1 = Math.max(1, names.size());
    return this;
  }

  private static void checkRange(String axis, double lo, double hi) {
    if (!(hi > lo) || Double.isInfinite(lo) || Double.isInfinite(hi)) {
      throw new IllegalArgumentException(axis + " range must be finite with hi > lo, got ["
          + lo + ", " + hi + "]");
    }
  }

  private int left() {
    if (categories == null) {
      return LEFT;
    }
    // room for the longest name at about 6.3 px per character of 11 px sans-serif
    int longest = categories.stream().mapToInt(String::length).max().orElse(0);
    return Math.min(280, Math.max(LEFT, 14 + (int) Math.ceil(6.3 * longest)));
  }

  private double px(double x) {
    return left() + (x - x0) / (x1 - x0) * (width - left() - RIGHT);
  }

  private double py(double y) {
    return height - BOTTOM - (y - y0) / (y1 - y0) * (height - TOP - BOTTOM);
  }

  /** The vertical extent of category row {@code i}, inset a little. */
  private double[] rowPx(int i) {
    double top = py(y1 - i);
    double bottom = py(y1 - i - 1);
    double inset = (bottom - top) * 0.18;
    return new double[] {top + inset, bottom - inset};
  }

  /** A vertical bar from y = 0 (or the axis bottom) up to {@code y}, from x {@code a} to {@code b}. */
  SvgChart bar(double a, double b, double y, String color) {
    double base = py(Math.max(y0, 0));
    double top = py(y);
    marks.append(String.format(Locale.ROOT,
        "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"/>%n", coord(px(a)),
        coord(Math.min(top, base)), coord(Math.max(0.0, px(b) - px(a))),
        coord(Math.abs(base - top)), color));
    return this;
  }

  /** A horizontal bar in category row {@code row}, from x {@code a} to {@code b}. */
  SvgChart rowBar(int row, double a, double b, String color, String tooltip) {
    double[] r = rowPx(row);
    marks.append(String.format(Locale.ROOT,
        "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"><title>%s</title>"
            + "</rect>%n", coord(px(Math.min(a, b))), coord(r[0]),
        coord(Math.abs(px(b) - px(a))), coord(r[1] - r[0]), color, escape(tooltip)));
    return this;
  }

  /** Text just right of {@code x} in category row {@code row}. */
  SvgChart rowText(int row, double x, String text) {
    double[] r = rowPx(row);
    marks.append(String.format(Locale.ROOT,
        "<text x=\"%s\" y=\"%s\" font-size=\"11\" dominant-baseline=\"middle\" fill=\"%s\">%s"
            + "</text>%n", coord(px(x) + 4), coord((r[0] + r[1]) / 2), INK, escape(text)));
    return this;
  }

  /** A line through the points, optionally dashed, with round markers when {@code dots}. */
  SvgChart line(double[] xs, double[] ys, String color, double strokeWidth, boolean dashed,
      boolean dots) {
    if (xs.length != ys.length) {
      throw new IllegalArgumentException(xs.length + " x and " + ys.length + " y");
    }
    StringBuilder pts = new StringBuilder();
    for (int i = 0; i < xs.length; i++) {
      if (Double.isFinite(ys[i])) {
        pts.append(coord(px(xs[i]))).append(',').append(coord(py(ys[i]))).append(' ');
      }
    }
    marks.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\""
        + " stroke=\"%s\" stroke-width=\"%s\"%s/>%n", pts.toString().strip(), color,
        coord(strokeWidth), dashed ? " stroke-dasharray=\"6 4\"" : ""));
    if (dots) {
      for (int i = 0; i < xs.length; i++) {
        if (Double.isFinite(ys[i])) {
          marks.append(String.format(Locale.ROOT, "<circle cx=\"%s\" cy=\"%s\" r=\"3.2\""
              + " fill=\"%s\"/>%n", coord(px(xs[i])), coord(py(ys[i])), color));
        }
      }
    }
    return this;
  }

  /** A vertical line across the plot at {@code x}, with an optional label at its top. */
  SvgChart vline(double x, String color, double strokeWidth, boolean dashed, String label) {
    marks.append(String.format(Locale.ROOT, "<line x1=\"%1$s\" x2=\"%1$s\" y1=\"%2$s\""
        + " y2=\"%3$s\" stroke=\"%4$s\" stroke-width=\"%5$s\"%6$s/>%n", coord(px(x)),
        coord(py(y1)), coord(py(y0)), color, coord(strokeWidth),
        dashed ? " stroke-dasharray=\"5 3\"" : ""));
    if (label != null && !label.isEmpty()) {
      marks.append(String.format(Locale.ROOT, "<text x=\"%s\" y=\"%s\" font-size=\"10\""
          + " text-anchor=\"end\" fill=\"%s\">%s</text>%n", coord(px(x) - 3),
          coord(py(y1) + 11), color, escape(label)));
    }
    return this;
  }

  /** A short tick below the x axis at {@code x} (level markers too dense for full lines). */
  SvgChart axisMark(double x, String color) {
    double base = py(y0);
    marks.append(String.format(Locale.ROOT, "<line x1=\"%1$s\" x2=\"%1$s\" y1=\"%2$s\""
        + " y2=\"%3$s\" stroke=\"%4$s\" stroke-width=\"1.4\"/>%n", coord(px(x)),
        coord(base - 7), coord(base), color));
    return this;
  }

  /** A marker with a label beside it, at a data point. */
  SvgChart annotate(double x, double y, String text, String color) {
    marks.append(String.format(Locale.ROOT, "<circle cx=\"%s\" cy=\"%s\" r=\"6\" fill=\"none\""
        + " stroke=\"%s\" stroke-width=\"2\"/>%n<text x=\"%s\" y=\"%s\" font-size=\"11\""
        + " fill=\"%s\">%s</text>%n", coord(px(x)), coord(py(y)), color, coord(px(x) + 8),
        coord(py(y) - 8), color, escape(text)));
    return this;
  }

  /** A legend entry: a filled square ("box"), a line ("line") or a dashed line ("dash"). */
  SvgChart legend(String color, String style, String label) {
    legend.add(new String[] {color, style, label});
    return this;
  }

  String toSvg() {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\""
        + " font-family=\"sans-serif\">%n<title>%s</title>%n", width, height, width, height,
        escape(title), escape(title)));
    s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n",
        width, height));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"13\""
        + " font-weight=\"bold\" fill=\"%s\">%s</text>%n", left(), INK, escape(title)));
    int plotW = width - left() - RIGHT;
    int plotH = height - TOP - BOTTOM;
    s.append(String.format(Locale.ROOT, "<clipPath id=\"%s-plot\"><rect x=\"%d\" y=\"%d\""
        + " width=\"%d\" height=\"%d\"/></clipPath>%n", escape(id), left(), TOP, plotW, plotH));
    axes(s);
    s.append(String.format(Locale.ROOT, "<g clip-path=\"url(#%s-plot)\">%n", escape(id)));
    s.append(marks);
    s.append("</g>\n");
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\""
        + " fill=\"none\" stroke=\"%s\" stroke-width=\"1\"/>%n", left(), TOP, plotW, plotH, INK));
    legend(s);
    s.append("</svg>");
    return s.toString();
  }

  private void axes(StringBuilder s) {
    double base = py(y0);
    for (double t : ticks(x0, x1, width > 500 ? 8 : 5)) {
      s.append(String.format(Locale.ROOT, "<line x1=\"%1$s\" x2=\"%1$s\" y1=\"%2$s\""
          + " y2=\"%3$s\" stroke=\"#e4e4e4\"/>%n<text x=\"%1$s\" y=\"%4$s\" font-size=\"11\""
          + " text-anchor=\"middle\" fill=\"%5$s\">%6$s</text>%n", coord(px(t)), coord(py(y1)),
          coord(base + 5), coord(base + 17), INK,
          escape(tickLabel(t, x0, x1, width > 500 ? 8 : 5))));
    }
    if (categories != null) {
      for (int i = 0; i < categories.size(); i++) {
        double[] r = rowPx(i);
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%s\" font-size=\"11\""
            + " text-anchor=\"end\" dominant-baseline=\"middle\" fill=\"%s\">%s</text>%n",
            left() - 6, coord((r[0] + r[1]) / 2), INK, escape(categories.get(i))));
      }
    } else {
      for (double t : ticks(y0, y1, 5)) {
        s.append(String.format(Locale.ROOT, "<line x1=\"%1$d\" x2=\"%2$d\" y1=\"%3$s\""
            + " y2=\"%3$s\" stroke=\"#e4e4e4\"/>%n<text x=\"%4$d\" y=\"%5$s\" font-size=\"11\""
            + " text-anchor=\"end\" fill=\"%6$s\">%7$s</text>%n", left() - 5, width - RIGHT,
            coord(py(t)), left() - 8, coord(py(t) + 4), INK,
            escape(tickLabel(t, y0, y1, 5))));
      }
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%s\" y=\"%d\" font-size=\"12\""
        + " text-anchor=\"middle\" fill=\"%s\">%s</text>%n",
        coord(left() + (width - left() - RIGHT) / 2.0), height - 8, INK, escape(xLabel)));
    if (!yLabel.isEmpty()) {
      double cy = TOP + (height - TOP - BOTTOM) / 2.0;
      s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%1$s\" font-size=\"12\""
          + " text-anchor=\"middle\" transform=\"rotate(-90 14 %1$s)\" fill=\"%2$s\">%3$s"
          + "</text>%n", coord(cy), INK, escape(yLabel)));
    }
  }

  private void legend(StringBuilder s) {
    // a row between the title and the plot, so it never covers marks or the title
    double x = left();
    for (String[] e : legend) {
      switch (e[1]) {
        case "box" -> s.append(String.format(Locale.ROOT, "<rect x=\"%s\" y=\"27\""
            + " width=\"14\" height=\"10\" fill=\"%s\"/>%n", coord(x), e[0]));
        default -> s.append(String.format(Locale.ROOT, "<line x1=\"%s\" x2=\"%s\" y1=\"32\""
            + " y2=\"32\" stroke=\"%s\" stroke-width=\"2.2\"%s/>%n", coord(x),
            coord(x + 15), e[0], e[1].equals("dash") ? " stroke-dasharray=\"4 2\"" : ""));
      }
      s.append(String.format(Locale.ROOT, "<text x=\"%s\" y=\"36\" font-size=\"11\""
          + " fill=\"%s\">%s</text>%n", coord(x + 19), INK, escape(e[2])));
      x += 19 + 6.3 * e[2].length() + 16;
    }
  }

  /** Round tick values in {@code [lo, hi]}, about {@code target} of them (1, 2, 5 × 10^k). */
  static List<Double> ticks(double lo, double hi, int target) {
    double raw = (hi - lo) / target;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = mag;
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * mag >= raw) {
        step = m * mag;
        break;
      }
    }
    List<Double> out = new ArrayList<>();
    double first = Math.ceil(lo / step - 1e-9) * step;
    for (double t = first; t <= hi + step * 1e-9; t += step) {
      out.add(Math.abs(t) < step * 1e-9 ? 0.0 : t);
    }
    return out;
  }

  /** A tick's label with as many decimals as the step needs. */
  static String tickLabel(double t, double lo, double hi, int target) {
    List<Double> ts = ticks(lo, hi, target);
    double step = ts.size() > 1 ? ts.get(1) - ts.get(0) : Math.abs(hi - lo);
    double a = Math.max(Math.abs(lo), Math.abs(hi));
    if (a >= 1e6 || (a < 1e-3 && a > 0)) {
      return String.format(Locale.ROOT, "%.1e", t);
    }
    int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
    return String.format(Locale.ROOT, "%." + decimals + "f", t);
  }
}
