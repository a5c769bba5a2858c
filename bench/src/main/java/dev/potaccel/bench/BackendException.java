package dev.potaccel.bench;

/**
 * A backend that failed to load a model or to run a batch, with the backend's name and its own
 * error as the cause. The bench command reports it as "error: ..." with exit code 4.
 */
public class BackendException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
