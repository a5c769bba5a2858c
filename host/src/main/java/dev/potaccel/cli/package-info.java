/**
 * The {@code potaccel} command line (picocli): command-line arguments → results on stdout, logs
 * and progress on stderr, and an exit code. {@link dev.potaccel.cli.Main} composes the flow steps
 * for each subcommand: {@code run} (ONNX model, compiled package or the bundled LeNet-5, input
 * file → {@code CpuEngine} or the emulator → top-k classes and an optional {@code .npy} of the
 * FP32 output) and {@code eval} (model, Fashion-MNIST test split from a directory or the bundled
 * sample → batches through the engine → top-1, top-5, images/s and the confusion matrix, as a
 * table or one JSON object), and {@code compile} (ONNX model, training images → calibrate,
 * quantize, compile → a {@code .potpkg} and a table of where each command runs and the packed
 * weight bytes). Commands share their {@code --device}/{@code --threads} options and the choice
 * of engine per device kind ({@code ModelSession}; an ONNX model on {@code --device emulator} is
 * compiled in memory by {@code ModelCompilation}). {@code Main} is the one place that maps what
 * they throw to an exit code: a {@link dev.potaccel.error.PotaccelException} prints {@code error:
 * <message>} and exits with its kind's code (3 for bad models, packages, inputs and missing data
 * files), usage errors exit 2, anything else is a bug and exits 1; stack traces only with {@code
 * -v}.
 */
package dev.potaccel.cli;
