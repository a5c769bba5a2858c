package dev.potaccel.onnx;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.error.PotaccelException;

/**
 * A model or tensor file that cannot be read as valid ONNX: corrupt or truncated protobuf, missing
 * values, inconsistent shapes, declared sizes that the data does not back. The message starts with
 * the file name and names the node or tensor at fault.
 */
public class ModelFormatException extends PotaccelException {
  private static final long serialVersionUID = 1L;

  public ModelFormatException(String message) {
    super(ErrorKind.MODEL_FORMAT, message);
  }

  public ModelFormatException(String message, Throwable cause) {
    super(ErrorKind.MODEL_FORMAT, message, cause);
  }
}
