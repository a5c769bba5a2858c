package dev.potaccel.device.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.InputBatch;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.data.ModelMetadata;
import dev.potaccel.device.DeviceSpec;
import dev.potaccel.device.pool.DevicePool;
import dev.potaccel.graph.Tensor;
import dev.potaccel.quantize.SchemeSpec;
import dev.potaccel.testing.RequiredData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A session compiles an ONNX model with any scheme {@code potaccel compile} takes (not only the
 * int8/pot4 baselines), and the scheme changes what the emulator computes.
 */
class InferenceSessionTest {
  private static final Path LENET = Path.of("../models/lenet5.onnx");

  /** The bundled test images the model is scored on: the first 64. */
  private static Tensor firstImages(InferenceSession s) {
    LabelledImages test = FashionMnist.bundledSample().test(64);
    ImagePreprocessing prep = ImagePreprocessing.forModel(s.inputs().get(0).type(),
        ModelMetadata.readSidecar(LENET).orElseThrow(), "lenet5.onnx");
    InputBatch b = test.batches(64, prep).next();
    return b.tensor();
  }

  private static float[] logits(SchemeSpec scheme) {
    // a directory without Fashion-MNIST: calibration falls back to the bundled set, as offline
    InferenceSession.Options o = new InferenceSession.Options(DeviceSpec.EMULATOR,
        scheme, 1, Path.of("no-such-dir"));
    try (InferenceSession s = InferenceSession.open(LENET, o)) {
      assertTrue(s.description().startsWith(scheme.id() + " package compiled in memory"),
          s.description());
      List<Tensor> out = s.run(List.of(firstImages(s)));
      return out.get(0).floats();
    }
  }

  @Test
  void schemesBeyondTheBaselinesCompileAndDiffer() {
    float[] int8 = logits(SchemeSpec.parse("int8", null));
    float[] upot3 = logits(SchemeSpec.parse("upot", 3));
    float[] kalali = logits(SchemeSpec.parse("kalali", null));
    assertEquals(64 * 10, upot3.length);
    // coarser weights must change some logit (the same logits would mean int8 was used)
    assertNotEquals(java.util.Arrays.toString(int8), java.util.Arrays.toString(upot3));
    assertNotEquals(java.util.Arrays.toString(int8), java.util.Arrays.toString(kalali));
    // and still classify: int8 and upot3 agree on most of the 64 images
    int agree = 0;
    for (int i = 0; i < 64; i++) {
      agree += argmax(int8, i) == argmax(upot3, i) ? 1 : 0;
    }
    assertTrue(agree >= 48, "int8 and upot3 agree on " + agree + " of 64 images");
  }

  /** Several devices: a pool that answers exactly as one emulator, batches in flight together. */
  @ParameterizedTest
  @CsvSource({"emulator,emulator,data-parallel", "emulator,emulator,pipeline",
      "emulator,opencl,pipeline", "opencl,emulator,data-parallel"})
  void severalDevicesAnswerAsOneEmulator(String first, String second, String mode) {
    if (first.equals("opencl") || second.equals("opencl")) {
      RequiredData.openClDevice();
    }
    Path data = Path.of("no-such-dir");
    InferenceSession.Options one = new InferenceSession.Options(DeviceSpec.EMULATOR,
        SchemeSpec.parse("int8", null), 1, data);
    InferenceSession.Options pooled = new InferenceSession.Options(
        List.of(DeviceSpec.parse(first), DeviceSpec.parse(second)),
        mode.equals("pipeline") ? DevicePool.Mode.PIPELINE : DevicePool.Mode.DATA_PARALLEL,
        SchemeSpec.parse("int8", null), 1, data);
    try (InferenceSession single = InferenceSession.open(LENET, one);
        InferenceSession pool = InferenceSession.open(LENET, pooled)) {
      Tensor images = firstImages(single);
      float[] expected = single.run(List.of(images)).get(0).floats();
      List<CompletableFuture<List<Tensor>>> inFlight = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        inFlight.add(pool.submit(List.of(images)));
      }
      for (CompletableFuture<List<Tensor>> f : inFlight) {
        assertArrayEquals(expected, f.join().get(0).floats());
      }
      assertEquals(mode.equals("pipeline") ? 4 : 2, pool.parallelism());
      assertEquals(first + "+" + second, pool.deviceLabel().replace(":0:0", ""));
      List<DevicePool.DeviceState> states = pool.deviceStates();
      assertEquals(List.of(first + "#0", second + "#1"),
          states.stream().map(DevicePool.DeviceState::name).map(n -> n.replace(":0:0", ""))
              .toList());
      assertTrue(states.stream().allMatch(st -> st.healthy() && st.busyNanos() > 0),
          states.toString());
      assertTrue(pool.description().contains(mode + " pool of"), pool.description());
    }
  }

  @Test
  void theCpuEngineIsNotAPoolDevice() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new InferenceSession.Options(List.of(DeviceSpec.CPU, DeviceSpec.EMULATOR),
            DevicePool.Mode.DATA_PARALLEL, SchemeSpec.parse("int8", null), 1, Path.of(".")));
    assertTrue(e.getMessage().contains("cpu runs the FP32 model on its own"), e.getMessage());
  }

  @Test
  void doubleQExtIsRefusedWithWhatToDo() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new InferenceSession.Options(DeviceSpec.EMULATOR,
            SchemeSpec.parse("doubleqext", null), 1, Path.of(".")));
    assertTrue(e.getMessage().contains("potaccel compile --scheme doubleqext"), e.getMessage());
  }

  private static int argmax(float[] logits, int image) {
    int best = 0;
    for (int c = 1; c < 10; c++) {
      if (logits[image * 10 + c] > logits[image * 10 + best]) {
        best = c;
      }
    }
    return best;
  }
}
