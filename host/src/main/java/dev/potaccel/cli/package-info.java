/**
 * The {@code potaccel} command line (picocli): command-line arguments → results on stdout, logs on
 * stderr, and an exit code. {@link dev.potaccel.cli.Main} composes the flow steps for each
 * subcommand ({@code run}: model file or the bundled LeNet-5, input file → {@code CpuEngine} →
 * top-k classes and an optional {@code .npy} of the raw output) and is the one place that maps
 * what they throw to an exit code: a {@link dev.potaccel.error.PotaccelException} prints
 * {@code error: <message>} and exits with its kind's code (3 for bad models and inputs), usage
 * errors exit 2, anything else is a bug and exits 1; stack traces only with {@code -v}.
 */
package dev.potaccel.cli;
