package dev.potaccel.serve.client;

/**
 * The server refused a REST request: its HTTP status and the {@code error} message of its body.
 */
public final class ClientException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  public ClientException(int status, String message) {
    super(status + ": " + message);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
