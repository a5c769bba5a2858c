/**
 * SIMD micro-kernels of the FP32 CPU engine ({@code dev.potaccel.cpu.kernels}): {@link
 * dev.potaccel.simd.FloatTileKernel} and the switch that says whether it may run ({@link
 * dev.potaccel.simd.VectorKernels}). A module of its own so that the emulator can use them too
 * (its exact float path was tried on them and measured no faster, see docs/benchmarks.md). Needs the JVM flag {@code
 * --add-modules jdk.incubator.vector} (the launcher and the test runner pass it); without it the
 * engines fall back to their own loops.
 */
package dev.potaccel.simd;
