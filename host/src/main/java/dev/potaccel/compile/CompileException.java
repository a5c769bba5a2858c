package dev.potaccel.compile;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.error.PotaccelException;

/**
 * A model the compiler refuses ({@link ErrorKind#COMPILE}): a layer whose int32 accumulator could
 * overflow (docs/accelerator.md §1.4), a value with no calibrated range, a dynamic shape other
 * than the batch, a layer whose single weight tile or single output row band cannot fit the
 * target's on-chip buffers (§4.1). The message names the model, the layer (and channel or buffer)
 * and what to do. Exit code 3, like other models potaccel cannot run.
 */
public class CompileException extends PotaccelException {
  private static final long serialVersionUID = 1L;

  public CompileException(String message) {
    super(ErrorKind.COMPILE, message);
  }
}
