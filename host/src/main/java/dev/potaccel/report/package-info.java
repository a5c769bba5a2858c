/**
 * The model report of {@code potaccel report}: a {@link dev.potaccel.report.ModelReport} (plain
 * records, measured by the caller) → one self-contained HTML file with inline SVG charts
 * ({@link dev.potaccel.report.HtmlReport}). Per weighted layer: the FP32 weight histogram with
 * the quantization levels over it ({@link dev.potaccel.report.WeightPicture}), the activation
 * histogram with its fitted generalized gamma curve and the clip the scheme chose ({@link
 * dev.potaccel.report.ActivationPicture}), and the layer's weight SQNR under every scheme; for
 * the model, DoubleQExt's accuracy-vs-memory curve ({@link dev.potaccel.report.MemoryCurve})
 * and the cost model's energy split per scheme ({@link dev.potaccel.report.SchemeEnergy}).
 * Charts are drawn by {@link dev.potaccel.report.SvgChart} in plain Java: no script, no style
 * sheet or font from the network, every text escaped. Nothing here runs a model; bad data is an
 * {@link IllegalArgumentException} naming the field.
 */
package dev.potaccel.report;
