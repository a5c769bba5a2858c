package dev.potaccel.report;

import java.util.Locale;

/** Escaping and number formatting shared by the SVG and HTML writers. */
final class Markup {
  private Markup() {}

  /** {@code text} safe inside an element or a quoted attribute of HTML or SVG. */
  static String escape(String text) {
    StringBuilder b = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> {
          // control characters are not allowed in XML 1.0 (SVG): drop them
          if (c >= 0x20 || c == '\n' || c == '\t') {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  /** A coordinate: two decimals, no exponent, "-0" as "0". */
  static String coord(double v) {
    String s = String.format(Locale.ROOT, "%.2f", v);
    if (s.endsWith(".00")) {
      s = s.substring(0, s.length() - 3);
    }
    return s.equals("-0") ? "0" : s;
  }

  /** A value for a label: {@code digits} significant figures, plain for usual magnitudes. */
  static String number(double v, int digits) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "∞" : "-∞";
    }
    if (v == 0) {
      return "0";
    }
    double a = Math.abs(v);
    if (a >= 1e6 || a < 1e-3) {
      return String.format(Locale.ROOT, "%." + (digits - 1) + "e", v);
    }
    int decimals = Math.max(0, digits - 1 - (int) Math.floor(Math.log10(a)));
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
