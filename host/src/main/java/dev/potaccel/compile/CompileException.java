package dev.potaccel.compile;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.error.PotaccelException;

/**
 * A model the compiler refuses: a layer whose int32 accumulator could overflow (docs/accelerator.md
 * §1.4), a value with no calibrated range, a dynamic shape other than the batch. The message
 * names the model, the layer (and channel) and what to do. Exit code 3, like other models potaccel
 * cannot run.
 */
public class CompileException extends PotaccelException {
  private static final long serialVersionUID = 1L;

  public CompileException(String message) {
    super(ErrorKind.UNSUPPORTED_OPERATOR, message);
  }
}
