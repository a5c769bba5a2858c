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

  /**
   * The first OpenCL device that a bundled bitstream manifest matches (PoCL's CPU device with
   * {@code pocl-cpu}); otherwise fails (CI) or skips (developer machine) naming what to install.
   */
  public static dev.potaccel.device.opencl.ClDeviceInfo openClDevice() {
    String install = "install PoCL with `apt-get install pocl-opencl-icd ocl-icd-opencl-dev"
        + " clinfo` (bash .ci/run does this)";
    String msg;
    try {
      var manifests = dev.potaccel.device.opencl.BitstreamManifest.bundled();
      for (var d : dev.potaccel.device.opencl.OpenClDevice.devices()) {
        for (var m : manifests) {
          if (dev.potaccel.device.opencl.ManifestCheck.deviceMismatches(d, m).isEmpty()) {
            return d;
          }
        }
      }
      msg = "no OpenCL device matches a bundled bitstream manifest: " + install;
    } catch (RuntimeException | LinkageError e) {
      msg = "no usable OpenCL runtime (" + e.getMessage() + "): " + install;
    }
    if (onCi()) {
      Assertions.fail("CI=true: " + msg);
    }
    Assumptions.abort(msg);
    return null;
  }
}
