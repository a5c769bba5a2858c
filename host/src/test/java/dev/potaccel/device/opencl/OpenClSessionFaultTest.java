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
      assertTrue(hung.getMessage().contains("within 300 ms (watchdog)")
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

  /**
   * A 1000-run loop leaks no device or host memory: the resident set grows by less than 24 MiB,
   * where leaking one batch's buffers per run would take 50 MiB (PoCL's buffers live in host
   * memory) and leaking its events about as much.
   */
  @Test
  void aThousandRunsLeakNothing() throws Exception {
    ClDeviceInfo info = RequiredData.openClDevice();
    AcceleratorPackage pkg = ReferenceModelsBitExactTest.compile("lenet5",
        SchemeSpec.parse("int8", null));
    Tensor all = NpyReader.read(Path.of("../models/testdata/fmnist-test-first256.npy"));
    int per = all.size() / all.dim(0);
    int[] shape = all.shape().clone();
    shape[0] = 16;
    Tensor batch = Tensor.ofFloats(shape, Arrays.copyOf(all.floats(), 16 * per));
    try (OpenClSession s = OpenClSession.open(pkg, info.platformIndex(), info.deviceIndex(), 1,
        OpenClTesting.options())) {
      // the first thousand settle the heap (a GC then shrinks what compiling the model left)
      for (int i = 0; i < 1000; i++) {
        s.run(batch);
      }
      long before = nativeBytes();
      for (int i = 0; i < 1000; i++) {
        s.run(batch);
      }
      long grown = nativeBytes() - before;
      System.out.printf("opencl leak check: resident set %+d KiB over 1000 runs%n", grown >> 10);
      assertTrue(grown < 24L << 20, "resident set grew by " + (grown >> 10) + " KiB");
    }
  }

  /**
   * Resident set size after a GC. Not minus the committed heap: committed but untouched heap is
   * not resident, and G1 changes its commitment by hundreds of MiB; after the warm-up the heap's
   * touched pages stay the same, so a steady RSS means no native growth.
   */
  private static long nativeBytes() throws Exception {
    for (int i = 0; i < 3; i++) { // G1 gives heap back over more than one full collection
      System.gc();
      Thread.sleep(100);
    }
    long rss = 0;
    for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        rss = Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
      }
    }
    return rss;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the watchdog cancels the run: stop quietly
    }
  }
}
