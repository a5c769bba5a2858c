/**
 * Weight level sets, the seed quantization methods' per-layer quantizers, and the SQNR machinery
 * that checks them against research/quantization.md §4.3–4.4.
 *
 * <p>Level sets and rounding: {@link dev.potaccel.quantize.levels.ScalarQuantizer} (levels and
 * thresholds on the real line), {@link dev.potaccel.quantize.levels.LevelSet} (sign-symmetric
 * integer magnitudes: PoT, APoT, sums of PoT terms, ShiftCNN, uniform) and {@link
 * dev.potaccel.quantize.levels.Rounding}.
 *
 * <p>Error: {@link dev.potaccel.quantize.levels.Sqnr} (exact MSE on a {@link
 * dev.potaccel.quantize.levels.Source} by {@link dev.potaccel.quantize.levels.Quadrature}, scale
 * optimization, empirical SQNR), {@link dev.potaccel.quantize.levels.StepSize} (§4.2 closed form
 * and exact optimum), {@link dev.potaccel.quantize.levels.LloydMax}, {@link
 * dev.potaccel.quantize.levels.EmpiricalDistribution} (fast error of any quantizer on sorted
 * samples), {@link dev.potaccel.quantize.levels.GeneralizedGamma} and {@link
 * dev.potaccel.quantize.levels.GgdStep} (the GGD paper's fit and step).
 *
 * <p>Methods: {@link dev.potaccel.quantize.levels.WeightScheme} turns one layer's FP32 weights
 * into a {@link dev.potaccel.quantize.levels.QuantizedLayer} (codebook, codes, power-of-two scale
 * per output channel); {@link dev.potaccel.quantize.levels.WeightScheme#named} gives the schemes
 * of {@code potaccel compile --scheme}; {@link dev.potaccel.quantize.Quantizer} applies them per
 * layer and {@link dev.potaccel.quantize.SchemeSpec} maps the command line to them.
 */
package dev.potaccel.quantize.levels;
