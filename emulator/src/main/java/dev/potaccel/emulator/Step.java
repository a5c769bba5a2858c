package dev.potaccel.emulator;

/** One decoded package command, ready to execute on a run's buffers. */
sealed interface Step permits ConvStep, PoolStep, AddStep, ReshapeStep, ConvertStep, HostStep {
  /** Reads its inputs from {@code run} and stores its outputs there. */
  void execute(RunState run);

  /** The buffers it reads. */
  int[] reads();

  /** The buffers it writes. */
  int[] writes();
}
