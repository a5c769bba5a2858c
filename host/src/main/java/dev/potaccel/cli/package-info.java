/**
 * The {@code potaccel} command line (picocli): command-line arguments → results on stdout, logs
 * and progress on stderr, and an exit code. {@link dev.potaccel.cli.Main} composes the flow steps
 * for each subcommand: {@code run} (model file or the bundled LeNet-5, input file →
 * {@code CpuEngine} → top-k classes and an optional {@code .npy} of the raw output) and
 * {@code eval} (model, Fashion-MNIST test split from a directory or the bundled sample → batches
 * through the engine → top-1, top-5, images/s and the confusion matrix, as a table or one JSON
 * object). Commands share their {@code --device}/{@code --threads} options and the choice of
 * engine per device kind. {@code Main} is the one place that maps what they throw to an exit
 * code: a {@link dev.potaccel.error.PotaccelException} prints {@code error: <message>} and exits
 * with its kind's code (3 for bad models, inputs and missing data files), usage errors exit 2,
 * anything else is a bug and exits 1; stack traces only with {@code -v}.
 */
package dev.potaccel.cli;
