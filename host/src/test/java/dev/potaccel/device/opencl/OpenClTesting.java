package dev.potaccel.device.opencl;

import dev.potaccel.testing.RequiredData;
import java.nio.file.Path;

/** The device the OpenCL tests run on, with a program cache under target/ shared by them all. */
final class OpenClTesting {
  static final Path CACHE = Path.of("target/opencl-cache");

  private OpenClTesting() {}

  /** Gated: fails on CI, skips elsewhere, when there is no PoCL (or other matching) device. */
  static OpenClDevice open() {
    ClDeviceInfo d = RequiredData.openClDevice();
    return OpenClDevice.open(d.platformIndex(), d.deviceIndex(), options());
  }

  static OpenClDevice.Options options() {
    return OpenClDevice.Options.defaults().withCacheDir(CACHE);
  }
}
