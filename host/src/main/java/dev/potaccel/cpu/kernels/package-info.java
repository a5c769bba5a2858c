/**
 * Pure-array FP32 numeric kernels for the CPU reference engine, independent of the graph IR:
 * static methods over {@code float[]} with explicit dimensions, NCHW layout and row-major
 * storage. {@link dev.potaccel.cpu.kernels.Gemm} (blocked SGEMM), {@link
 * dev.potaccel.cpu.kernels.Conv2d} (im2col + GEMM, with pointwise and depthwise fast paths),
 * {@link dev.potaccel.cpu.kernels.Pool2d} (max / average / global average pooling with ONNX
 * semantics) and {@link dev.potaccel.cpu.kernels.BatchNorm} (inference batch normalization).
 * The heavy kernels take a {@link java.util.concurrent.ForkJoinPool} and split work over batch,
 * output channels and pixel tiles; a null pool or one of parallelism 1 runs single-threaded.
 * Hot loops are written as stride-1 loops over distinct arrays with matching indices so that
 * HotSpot C2 can auto-vectorize them; scratch buffers come from small per-thread workspaces
 * reused across calls, so steady-state calls allocate almost nothing.
 */
package dev.potaccel.cpu.kernels;
