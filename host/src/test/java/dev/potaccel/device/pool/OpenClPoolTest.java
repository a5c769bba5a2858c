package dev.potaccel.device.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.device.opencl.ClDeviceInfo;
import dev.potaccel.device.opencl.OpenClDevice;
import dev.potaccel.device.opencl.OpenClSession;
import dev.potaccel.device.pool.DevicePool.Mode;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.testing.RequiredData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A mixed pool, the emulator and an OpenCL device (PoCL): bit-identical to one emulator, and the
 * OpenCL device kept out of pipelines. Gated like every OpenCL test: fails on CI, skips elsewhere
 * without PoCL.
 */
class OpenClPoolTest {
  private static InferenceDevice openCl(AcceleratorPackage pkg, String name) {
    ClDeviceInfo d = RequiredData.openClDevice();
    return new OpenClInferenceDevice(name, OpenClSession.open(pkg, d.platformIndex(),
        d.deviceIndex(), 1, OpenClDevice.Options.defaults().withCacheDir(
            Path.of("target/opencl-cache"))));
  }

  @Test
  void emulatorAndOpenClPoolEqualsOneEmulator() {
    AcceleratorPackage pkg = DevicePoolTest.compile("lenet5");
    List<List<Tensor>> batches = DevicePoolTest.batches(new int[] {16, 5, 16, 9, 16, 1, 16, 12});
    List<List<Tensor>> expected = DevicePoolTest.reference(pkg, batches);
    InferenceDevice cl = openCl(pkg, "opencl#1");
    try (DevicePool pool = DevicePool.open(pkg, List.of(
        EmulatorInferenceDevice.open("emulator#0", pkg, 1), cl),
        DevicePool.Options.of(Mode.DATA_PARALLEL), PoolEventListener.NONE)) {
      DevicePoolTest.assertSameOutputs(expected, pool.runAll(batches));
      assertEquals(batches.size(), pool.answered());
      assertEquals(List.of("emulator#0", "opencl#1"), pool.healthyDevices());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DevicePool.open(pkg, List.of(EmulatorInferenceDevice.open("emulator#0", pkg, 1),
            openCl(pkg, "opencl#1")), DevicePool.Options.of(Mode.PIPELINE),
            PoolEventListener.NONE));
    assertTrue(e.getMessage().startsWith("opencl#1 cannot run part of a package"),
        e.getMessage());
  }
}
