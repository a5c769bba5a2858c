package dev.potaccel.serve;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A request the server refuses, with the reason that picks its HTTP status and gRPC code and a
 * message for the client that says what was wrong and where ("model 'lenet5', input 'input':
 * shape [1,3,28,28], model wants [-1,1,28,28]"). The message crosses the wire; the cause never
 * does.
 */
public final class ServeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ServeError error;

  public ServeException(ServeError error, String message) {
    super(message);
    this.error = error;
  }

  public ServeException(ServeError error, String message, Throwable cause) {
    super(message, cause);
    this.error = error;
  }

  public ServeError error() {
    return error;
  }

  public static ServeException badRequest(String message) {
    return new ServeException(ServeError.BAD_REQUEST, message);
  }

  /** This error as a gRPC status, the message as its description. */
  public StatusRuntimeException toGrpc() {
    return Status.fromCode(error.grpcCode()).withDescription(getMessage()).asRuntimeException();
  }
}
