/**
 * The accelerator emulator: {@link dev.potaccel.emulator.Emulator} decodes an {@code
 * AcceleratorPackage} (protocol module) and runs it bit-exactly as docs/accelerator.md specifies,
 * FP32 inputs in, FP32 outputs (and optionally every code buffer) out as an {@link
 * dev.potaccel.emulator.EmulatorRun}; HOST commands go to a {@link
 * dev.potaccel.emulator.HostExecutor}. Throws {@code PackageFormatException} for a package that
 * breaks the contract, IllegalArgumentException for run inputs that do not fit it, and
 * IllegalStateException after close. Depends on protocol, simd (the Vector API kernels, used
 * when the JVM has {@code jdk.incubator.vector}; the same results bit for bit without them) and
 * slf4j-api, never on host.
 *
 * <p>Speed: float-exact CONV layers of a batch of 8 or more run with the images in the vector
 * lanes ({@code ConvStep.executeLanes}), and their codes stay in that layout through ADD, max
 * pooling and reshapes until something else needs NCHW ({@code RunState.LaneCodes}).
 */
package dev.potaccel.emulator;
