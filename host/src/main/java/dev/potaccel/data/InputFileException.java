package dev.potaccel.data;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.error.PotaccelException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * An input, output or metadata file that cannot be used: missing or unreadable (kind
 * {@link ErrorKind#IO}), or readable but wrong (kind {@link ErrorKind#INPUT}): bad format,
 * unsupported element type, a shape the model does not take. The message starts with the file.
 */
public class InputFileException extends PotaccelException {
  private static final long serialVersionUID = 1L;

  /** A file whose content is wrong; {@code message} already names the file. */
  public InputFileException(String message) {
    super(ErrorKind.INPUT, message);
  }

  public InputFileException(String message, Throwable cause) {
    super(ErrorKind.INPUT, message, cause);
  }

  private InputFileException(ErrorKind kind, String message, Throwable cause) {
    super(kind, message, cause);
  }

  /** A file that could not be read or written, with the I/O failure as the cause. */
  public static InputFileException io(Path file, IOException e) {
    return io(file.toString(), e);
  }

  /**
   * A missing or unreadable file with a hint on how to get it ("install it with ...").
   *
   * @param hint appended after "; "
   */
  public static InputFileException io(Path file, IOException e, String hint) {
    return new InputFileException(ErrorKind.IO, file + ": " + problem(e) + "; " + hint, e);
  }

  /** A directory that is not there, with a hint on how to get it. */
  public static InputFileException missingDirectory(Path dir, String hint) {
    return new InputFileException(ErrorKind.IO, dir + ": no such directory; " + hint,
        new NoSuchFileException(dir.toString()));
  }

  /** A file or stream (named by {@code source}) that could not be read or written. */
  public static InputFileException io(String source, IOException e) {
    return new InputFileException(ErrorKind.IO, source + ": " + problem(e), e);
  }

  private static String problem(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "file not found";
    } else if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    return "cannot access: " + e.getMessage();
  }
}
