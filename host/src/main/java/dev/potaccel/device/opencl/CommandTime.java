package dev.potaccel.device.opencl;

/**
 * Device time of one command of one run, from OpenCL profiling events (CL_PROFILING_COMMAND_START
 * to _END of every enqueue the command made): kernels for accelerator commands, buffer reads
 * and writes for model inputs and outputs and HOST boundaries ({@code kind} "transfer"), host
 * CPU time for HOST commands (wall clock, {@code kind} "host").
 *
 * @param command command index in the package, -1 for the input/output transfers of the run
 * @param name the command's name (its ONNX nodes), or "inputs" / "outputs"
 * @param kind "conv", "pool", "add", "convert", "reshape", "host", "transfer"
 * @param kernel the kernel launched, or "" when none
 * @param nanos device (or host) nanoseconds
 */
public record CommandTime(int command, String name, String kind, String kernel, long nanos) {}
