/**
 * Quantization: a {@link dev.potaccel.graph.Graph} and its
 * {@link dev.potaccel.calibrate.CalibrationStats} → {@link dev.potaccel.quantize.QuantizedGraph}
 * for one {@link dev.potaccel.quantize.SchemeSpec} (the baselines {@link
 * dev.potaccel.quantize.QuantizationScheme} {@code int8} and {@code pot4}, and the seed methods of
 * {@link dev.potaccel.quantize.levels}). {@link
 * dev.potaccel.quantize.Quantizer} first folds BatchNormalization into the Conv before it
 * ({@link dev.potaccel.quantize.BatchNormFolding}, docs/accelerator.md §3.1), then gives every
 * FP32 value an 8-bit {@link dev.potaccel.quantize.ActivationFormat} (power-of-two scale from the
 * calibrated range, or for GGD from a generalized gamma fit of the calibration sample; unsigned
 * where the graph guarantees non-negative values) and every Conv and Gemm {@link
 * dev.potaccel.quantize.QuantizedWeights}: codes through a {@link
 * dev.potaccel.quantize.WeightCodebook}, a power-of-two scale per output channel and int32-range
 * biases at the accumulator's scale. It does not decide where ops run, nor prove accumulators
 * cannot overflow: that is the compiler's. Each weighted layer's SQNR is reported in {@link
 * dev.potaccel.quantize.LayerQuality}. Throws {@link IllegalArgumentException} for a scheme
 * name it does not know.
 */
package dev.potaccel.quantize;
