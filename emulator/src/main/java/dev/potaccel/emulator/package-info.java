/**
 * The accelerator emulator: {@link dev.potaccel.emulator.Emulator} decodes an {@code
 * AcceleratorPackage} (protocol module) and runs it bit-exactly as docs/accelerator.md specifies,
 * FP32 inputs in, FP32 outputs (and optionally every code buffer) out as an {@link
 * dev.potaccel.emulator.EmulatorRun}; HOST commands go to a {@link
 * dev.potaccel.emulator.HostExecutor}. Throws {@code PackageFormatException} for a package that
 * breaks the contract, IllegalArgumentException for run inputs that do not fit it, and
 * IllegalStateException after close. Depends on protocol and slf4j-api only, never on host.
 */
package dev.potaccel.emulator;
