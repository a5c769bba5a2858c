/**
 * Compilation: a {@link dev.potaccel.quantize.QuantizedGraph} and {@link
 * dev.potaccel.compile.CompileOptions} → a validated {@code AcceleratorPackage}
 * (docs/accelerator.md §5) inside a {@link dev.potaccel.compile.CompiledPackage} that also says, per command, what it
 * does, where it runs and how many bytes its weights take packed against the ideal. {@link
 * dev.potaccel.compile.PackageCompiler} plans every node (accelerator op, fused activation, view,
 * or FP32 host op), lowers the plan to buffers and commands with CONVERTs at every FP32/code
 * boundary, packs weights and biases through the protocol's {@code WeightPacker}, plans each
 * conv's tile schedule for the target's buffers with the protocol's {@code TileScheduler}, and
 * writes the host nodes into {@code host_graph} as ONNX. A layer whose accumulator could overflow,
 * a value without a calibrated range, a dynamic shape other than the batch, or a layer whose one
 * weight tile or one output row cannot fit the buffers raise {@link
 * dev.potaccel.compile.CompileException} ({@code ErrorKind.COMPILE}) naming the model, layer and
 * channel or buffer.
 */
package dev.potaccel.compile;
