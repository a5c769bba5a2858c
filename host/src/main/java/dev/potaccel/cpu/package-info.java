/**
 * The FP32 reference engine: {@link dev.potaccel.cpu.CpuEngine} takes a {@link
 * dev.potaccel.graph.Graph} and runs it on named input {@link dev.potaccel.graph.Tensor}s, giving
 * the named graph outputs. It implements every operator of {@link dev.potaccel.graph.OpType} with
 * ONNX semantics per opset, on every element type ONNX allows for it, sizing each result with
 * {@link dev.potaccel.graph.ShapeInference} so run time and import time agree; the numeric inner
 * loops live in {@code cpu.kernels}. Chains of ungrouped Convs, Adds, Relus and a closing
 * GlobalAveragePool run on {@link dev.potaccel.cpu.kernels.LaneTensor}s (images in the vector
 * lanes) where every reader of a value takes that form, with residual Adds absorbed by the Conv
 * before them; values any other reader needs are converted to NCHW. It is what quantized and accelerated results are compared
 * with, and what executes the partitions that stay on the host. It throws {@link
 * dev.potaccel.cpu.InputMismatchException} for inputs that do not fit the graph (missing, unknown,
 * wrong type or shape), {@link dev.potaccel.graph.GraphException} naming the node when a node
 * cannot process what it receives (a runtime shape mismatch, an index out of range, integer
 * division by zero), and {@link IllegalStateException} when used after close.
 */
package dev.potaccel.cpu;
