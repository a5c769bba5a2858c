package dev.potaccel.quantize;

/**
 * What quantization did to one weighted layer, for the per-layer report of {@code potaccel
 * compile} and the study: which weight scheme it got (they differ per layer under DoubleQExt),
 * what that scheme chose, and the layer's weight SQNR against its FP32 weights (BatchNorm
 * folded).
 *
 * @param node the Conv or Gemm node
 * @param scheme the weight scheme's id ("int8", "doubleq", "upot3", ...)
 * @param description what the scheme chose (fractional length rule, UPoT subsets, LUT levels)
 * @param weights the layer's weight count
 * @param bits the code width
 * @param sqnrDb {@code 10·log10(Σw² / Σ(w - ŵ)²)}; +∞ when exact
 */
public record LayerQuality(String node, String scheme, String description, long weights,
    int bits, double sqnrDb) {}
