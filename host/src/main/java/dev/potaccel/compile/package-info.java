/**
 * Compilation: a {@link dev.potaccel.quantize.QuantizedGraph} and {@link
 * dev.potaccel.compile.CompileOptions} → a validated {@code AcceleratorPackage}
 * (docs/accelerator.md §5) inside a {@link dev.potaccel.compile.CompiledPackage} that also says, per command, what it
 * does, where it runs and how many bytes its weights take packed against the ideal. {@link
 * dev.potaccel.compile.PackageCompiler} plans every node (accelerator op, fused activation, view,
 * or FP32 host op), lowers the plan to buffers and commands with CONVERTs at every FP32/code
 * boundary, packs weights and biases through the protocol's {@code WeightPacker}, and writes the
 * host nodes into {@code host_graph} as ONNX. A layer whose accumulator could overflow, a value
 * without a calibrated range or a dynamic shape other than the batch raise {@link
 * dev.potaccel.compile.CompileException} naming the model, layer and channel.
 */
package dev.potaccel.compile;
