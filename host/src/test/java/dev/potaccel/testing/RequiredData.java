package dev.potaccel.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Gates for tests that need files from Debian packages (ONNX test data, Fashion-MNIST) or an
 * OpenCL platform. On CI (CI=true) a missing requirement fails the test, because .ci/run installs
 * it and a silent skip would hide a broken install; on a developer machine the test is skipped with
 * a message saying what to install.
 */
public final class RequiredData {
  private RequiredData() {}

  public static boolean onCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** Returns {@code dir} if it exists; otherwise fails (CI) or skips (developer machine). */
  public static Path debianDir(Path dir, String debianPackage) {
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
