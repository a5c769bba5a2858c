/**
 * SIMD micro-kernels of the FP32 CPU engine ({@code dev.potaccel.cpu.kernels}): {@link
 * dev.potaccel.simd.FloatTileKernel}, the stride-2 split {@link dev.potaccel.simd.FloatPairs},
 * and the switch that says whether they may run ({@link dev.potaccel.simd.VectorKernels}). A module of its own so that the emulator can use them too
 * (its exact float path was tried on them and measured no faster, see docs/benchmarks.md). Needs the JVM flag {@code
 * --add-modules jdk.incubator.vector} (the launcher and the test runner pass it); without it the
 * engines fall back to their own loops.
 */
package dev.potaccel.simd;
