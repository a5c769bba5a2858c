package dev.potaccel.graph;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.error.PotaccelException;

/**
 * A graph that is well-formed protobuf but wrong as a network: shape mismatch, missing value,
 * cycle, bad attribute. The importer adds the file name in front of the message.
 */
public class GraphException extends PotaccelException {
  private static final long serialVersionUID = 1L;

  public GraphException(String message) {
    super(ErrorKind.MODEL_FORMAT, message);
  }

  public GraphException(String message, Throwable cause) {
    super(ErrorKind.MODEL_FORMAT, message, cause);
  }
}
