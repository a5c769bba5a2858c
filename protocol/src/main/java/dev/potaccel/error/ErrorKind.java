package dev.potaccel.error;

/**
 * The kinds of bad input potaccel reports. Each kind maps to one exit code for the CLI (and, later,
 * one HTTP and gRPC status for the server) in a single table.
 */
public enum ErrorKind {
  /** A model file that cannot be read as the ONNX it claims to be. */
  MODEL_FORMAT(3),
  /** A well-formed model using operators or types potaccel does not implement. */
  UNSUPPORTED_OPERATOR(3),
  /** An input tensor or file given to a command that does not fit the model. */
  INPUT(3),
  /** A file that is missing or unreadable. */
  IO(3),
  /** A compiled package that is corrupt, of an unknown version, or breaks the contract. */
  PACKAGE_FORMAT(3),
  /**
   * A well-formed, supported model the compiler cannot put on the target accelerator: a layer whose
   * int32 accumulator could overflow, a value without a calibrated range, a layer whose single
   * weight tile or single output row does not fit the target's on-chip buffers. Its own kind, not
   * {@link #UNSUPPORTED_OPERATOR}: the operators are implemented, this model or target is the
   * problem.
   */
  COMPILE(3),
  /**
   * An accelerator device that cannot run the package: no OpenCL platform or device at the index
   * given, a failed OpenCL call, a kernel that does not build, a bitstream binary that is missing
   * or corrupt, or a bitstream manifest that does not meet the package's requirements.
   */
  DEVICE(4);

  private final int exitCode;

  ErrorKind(int exitCode) {
    this.exitCode = exitCode;
  }

  /** Process exit code the CLI uses for this kind (picocli keeps 2 for usage errors, 1 for bugs). */
  public int exitCode() {
    return exitCode;
  }
}
