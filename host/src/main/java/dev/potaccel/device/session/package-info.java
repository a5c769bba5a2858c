/**
 * A model file opened on a device for any number of runs, for callers outside the CLI (the
 * server): {@link dev.potaccel.device.session.InferenceSession} takes an ONNX model or a compiled
 * {@code .potpkg} and a {@link dev.potaccel.device.session.InferenceSession.Options} (device,
 * scheme, threads, calibration data), compiles an ONNX model in memory when the device is the
 * emulator (calibrate → quantize → compile, the same steps and defaults as {@code potaccel
 * compile}), and runs batches: one FP32 tensor per model input in, one tensor per model output
 * out. Raises the importer's, the package reader's and the compiler's exceptions unchanged, and
 * {@code InputFileException} for a package given to the CPU device or a missing training split.
 */
package dev.potaccel.device.session;
