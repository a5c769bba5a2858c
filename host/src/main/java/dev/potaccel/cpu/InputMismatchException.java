package dev.potaccel.cpu;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.error.PotaccelException;

/**
 * Inputs given to {@link CpuEngine#run} that do not fit the graph: a missing or unknown input
 * name, the wrong element type, or a shape that differs from the declared one on a known
 * dimension. The message names the input and says what the model wants.
 */
public class InputMismatchException extends PotaccelException {
  private static final long serialVersionUID = 1L;

  public InputMismatchException(String message) {
    super(ErrorKind.INPUT, message);
  }
}
