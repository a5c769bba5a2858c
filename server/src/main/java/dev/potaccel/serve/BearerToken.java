package dev.potaccel.serve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The shared secret clients must send as {@code Authorization: Bearer <token>} (REST header,
 * gRPC metadata) when the server has one. Compared in constant time, so the time an answer takes
 * says nothing about how much of a guess was right.
 */
public final class BearerToken {
  /** The environment variable read when no {@code --auth-token-file} is given. */
  public static final String ENV = "POTACCEL_AUTH_TOKEN";
  private static final String SCHEME = "Bearer ";

  private final byte[] token;

  private BearerToken(String token) {
    String t = token.strip();
    if (t.isEmpty()) {
      throw new IllegalArgumentException("the auth token is empty");
    }
    if (!t.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException("the auth token must be printable ASCII without spaces"
          + " (it travels in an HTTP header)");
    }
    this.token = t.getBytes(StandardCharsets.US_ASCII);
  }

  public static BearerToken of(String token) {
    return new BearerToken(token);
  }

  /**
   * The token in {@code file} (surrounding whitespace and the final newline dropped).
   *
   * @throws IllegalArgumentException naming the file when it cannot be read or is empty
   */
  public static BearerToken read(Path file) {
    try {
      return new BearerToken(Files.readString(file, StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read the auth token file: "
          + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** Whether an {@code Authorization} header value (null when absent) carries this token. */
  public boolean accepts(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, SCHEME, 0,
        SCHEME.length())) {
      return false;
    }
    byte[] given = authorization.substring(SCHEME.length()).strip()
        .getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(token, given);
  }

  @Override
  public String toString() {
    return "BearerToken[redacted]";
  }
}
