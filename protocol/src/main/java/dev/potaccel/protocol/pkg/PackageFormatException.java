package dev.potaccel.protocol.pkg;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.error.PotaccelException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A compiled accelerator package that cannot be used: wrong magic, unknown version, truncated or
 * corrupt protobuf, CRC mismatch, or content that breaks docs/accelerator.md (kind {@link
 * ErrorKind#PACKAGE_FORMAT}); or a package file that cannot be read or written at all (kind {@link
 * ErrorKind#IO}, from {@link #io}). The message starts with the file and names the field path
 * ("command 12 (conv 'layer3.0.conv1'): weights region ...") or the byte offset at fault.
 */
public class PackageFormatException extends PotaccelException {
  private static final long serialVersionUID = 1L;

  /** Bad package content; {@code message} already names the file and the field or byte offset. */
  public PackageFormatException(String message) {
    super(ErrorKind.PACKAGE_FORMAT, message);
  }

  public PackageFormatException(String message, Throwable cause) {
    super(ErrorKind.PACKAGE_FORMAT, message, cause);
  }

  private PackageFormatException(ErrorKind kind, String message, Throwable cause) {
    super(kind, message, cause);
  }

  /** A package file that could not be read or written (kind {@link ErrorKind#IO}). */
  public static PackageFormatException io(Path file, IOException e) {
    String problem;
    if (e instanceof NoSuchFileException) {
      problem = "file not found";
    } else if (e instanceof AccessDeniedException) {
      problem = "permission denied";
    } else {
      problem = "cannot access: " + e.getMessage();
    }
    return new PackageFormatException(ErrorKind.IO, file + ": " + problem, e);
  }
}
