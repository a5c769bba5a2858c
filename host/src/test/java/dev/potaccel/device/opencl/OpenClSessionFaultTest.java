package dev.potaccel.device.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.data.NpyReader;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.quantize.SchemeSpec;
import dev.potaccel.testing.RequiredData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Faults injected into a real OpenCL session (PoCL): a device that stops answering and a
 * CL_OUT_OF_RESOURCES failure are each reported clearly, the context is re-created, and the next
 * request gives the same outputs as before the fault.
 */
class OpenClSessionFaultTest {

  @Test
  void aHungDeviceOrOutOfResourcesIsReportedAndTheNextRequestRunsOnANewContext() {
    ClDeviceInfo info = RequiredData.openClDevice();
    AcceleratorPackage pkg = ReferenceModelsBitExactTest.compile("lenet5",
        SchemeSpec.parse("int8", null));
    Tensor all = NpyReader.read(Path.of("../models/testdata/fmnist-test-first256.npy"));
    int per = all.size() / all.dim(0);
    int[] shape = all.shape().clone();
    shape[0] = 4;
    Tensor batch = Tensor.ofFloats(shape, Arrays.copyOf(all.floats(), 4 * per));
    try (OpenClSession s = OpenClSession.open(pkg, info.platformIndex(), info.deviceIndex(), 1,
        OpenClTesting.options())) {
      float[] expected = s.run(batch).floats();

      // a device that stops answering: the watchdog fires, a new context serves the next run
      OpenClDevice before = s.device();
      s.setWatchdog(Duration.ofMillis(300));
      s.injectFault(() -> sleep(3_000));
      OpenClException hung = assertThrows(OpenClException.class, () -> s.run(batch));
      assertTrue(hung.getMessage().contains("no answer within 300 ms (watchdog)")
          && hung.getMessage().contains("context was re-created"), hung.getMessage());
      assertNotSame(before, s.device(), "a new device context after the timeout");
      s.injectFault(null);
      s.setWatchdog(Duration.ofSeconds(60));
      assertArrayEquals(expected, s.run(batch).floats(), "after the watchdog");

      // CL_OUT_OF_RESOURCES from a kernel launch
      s.injectFault(() -> ClErrors.check(-5, "clEnqueueNDRangeKernel(conv, injected)"));
      OpenClException oor = assertThrows(OpenClException.class, () -> s.run(batch));
      assertTrue(oor.getMessage().contains("CL_OUT_OF_RESOURCES")
          && oor.getMessage().contains("clEnqueueNDRangeKernel(conv, injected)")
          && oor.getMessage().contains("context was re-created"), oor.getMessage());
      s.injectFault(null);
      assertArrayEquals(expected, s.run(batch).floats(), "after CL_OUT_OF_RESOURCES");
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the watchdog cancels the run: stop quietly
    }
  }
}
