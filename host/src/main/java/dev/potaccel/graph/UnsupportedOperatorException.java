package dev.potaccel.graph;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.error.PotaccelException;

/** A model that uses operators, attributes or element types potaccel does not implement. */
public class UnsupportedOperatorException extends PotaccelException {
  private static final long serialVersionUID = 1L;

  public UnsupportedOperatorException(String message) {
    super(ErrorKind.UNSUPPORTED_OPERATOR, message);
  }
}
