/**
 * Benchmarks, not tests. {@link dev.potaccel.bench.BenchCommand} ({@code potaccel bench}) opens
 * each {@link dev.potaccel.bench.Backend} on one model, runs the same
 * {@link dev.potaccel.bench.BenchInputs} through them interleaved
 * ({@link dev.potaccel.bench.Benchmark}) and prints one {@link dev.potaccel.bench.ResultTable}:
 * our FP32 engine beside ONNX Runtime from the same run. Bad models and inputs raise the host's
 * {@code PotaccelException}s; a backend's own failure is a
 * {@link dev.potaccel.bench.BackendException}.
 * The JMH microbenchmarks of the CPU kernels are in {@code dev.potaccel.bench.kernels}.
 */
package dev.potaccel.bench;
