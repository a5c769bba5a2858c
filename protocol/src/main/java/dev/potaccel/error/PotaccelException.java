package dev.potaccel.error;

/**
 * Base of every bad-input error potaccel raises. The message reads "where: what" so a user can find
 * the file, node, tensor or byte offset at fault; the cause is always kept. Programmer errors stay
 * {@link IllegalArgumentException} and {@link IllegalStateException}.
 */
public abstract class PotaccelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorKind kind;

  protected PotaccelException(ErrorKind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  protected PotaccelException(ErrorKind kind, String message) {
    this(kind, message, null);
  }

  public ErrorKind kind() {
    return kind;
  }
}
