package dev.potaccel.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The gate of {@code dev.potaccel.testing.RequiredData} (host's test sources, not visible here):
 * on CI (CI=true) missing Debian data fails the test, because .ci/run installs it and a silent
 * skip would hide a broken install; on a developer machine the test is skipped with a message
 * saying what to install.
 */
final class RequiredData {
  private RequiredData() {}

  static boolean onCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** Returns {@code dir} if it exists; otherwise fails (CI) or skips (developer machine). */
  static Path debianDir(Path dir, String debianPackage) {
    if (!Files.isDirectory(dir)) {
      String msg = dir + " is missing: install it with `apt-get install " + debianPackage
          + "` (bash .ci/run does this)";
      if (onCi()) {
        Assertions.fail("CI=true: " + msg);
      }
      Assumptions.abort(msg);
    }
    return dir;
  }
}
