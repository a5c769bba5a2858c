/**
 * SIMD micro-kernels shared by the FP32 CPU engine ({@code dev.potaccel.cpu.kernels}) and the
 * emulator's exact float path: {@link dev.potaccel.simd.FloatTileKernel} and the switch that says
 * whether it may run ({@link dev.potaccel.simd.VectorKernels}). Needs the JVM flag {@code
 * --add-modules jdk.incubator.vector} (the launcher and the test runner pass it); without it the
 * engines fall back to their own loops.
 */
package dev.potaccel.simd;
