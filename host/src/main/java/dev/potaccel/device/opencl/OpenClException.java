package dev.potaccel.device.opencl;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.error.PotaccelException;

/**
 * Something on the OpenCL path failed: an OpenCL call (the message names the call and the error
 * code with its meaning), a kernel build (with the build log), a missing or corrupt bitstream
 * binary, or a manifest or device that does not meet a package's requirements (each differing
 * field named). {@link ErrorKind#DEVICE}: the CLI exits with code 4.
 */
public final class OpenClException extends PotaccelException {
  private static final long serialVersionUID = 1L;

  /** The OpenCL error code, or 0 when the failure is not an OpenCL call's. */
  private final int code;

  public OpenClException(String message) {
    this(message, 0, null);
  }

  public OpenClException(String message, Throwable cause) {
    this(message, 0, cause);
  }

  OpenClException(String message, int code, Throwable cause) {
    super(ErrorKind.DEVICE, message, cause);
    this.code = code;
  }

  /** The OpenCL error code of the failed call (negative), or 0. */
  public int code() {
    return code;
  }
}
