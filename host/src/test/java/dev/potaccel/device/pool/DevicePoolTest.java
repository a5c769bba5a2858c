package dev.potaccel.device.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.calibrate.CalibrationStats;
import dev.potaccel.calibrate.Calibrator;
import dev.potaccel.calibrate.ProgressListener;
import dev.potaccel.compile.CompileOptions;
import dev.potaccel.compile.PackageCompiler;
import dev.potaccel.data.FashionMnist;
import dev.potaccel.data.ImagePreprocessing;
import dev.potaccel.data.LabelledImages;
import dev.potaccel.data.ModelMetadata;
import dev.potaccel.data.NpyReader;
import dev.potaccel.device.pool.DevicePool.Mode;
import dev.potaccel.device.pool.DevicePool.Options;
import dev.potaccel.emulator.LiveBuffers;
import dev.potaccel.graph.Graph;
import dev.potaccel.graph.Tensor;
import dev.potaccel.onnx.OnnxImporter;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.quantize.QuantizationScheme;
import dev.potaccel.quantize.Quantizer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pool against one device: the same outputs, bit for bit, in both modes, in submission order;
 * and failover with {@link FaultyDevice}: no batch lost or answered twice.
 */
class DevicePoolTest {
  private static final Path MODELS = Path.of("../models");

  private static AcceleratorPackage lenet5;
  private static List<List<Tensor>> lenetBatches;
  private static List<List<Tensor>> lenetExpected;

  @BeforeAll
  static void compile() {
    lenet5 = compile("lenet5");
    // batches of different sizes, so that a mix-up of batches or of their order shows
    lenetBatches = batches(new int[] {16, 5, 16, 9, 16, 1, 16, 12, 16, 7, 16, 3});
    lenetExpected = reference(lenet5, lenetBatches);
  }

  static AcceleratorPackage compile(String model) {
    Path file = MODELS.resolve(model + ".onnx");
    Graph graph = OnnxImporter.read(file);
    ModelMetadata meta = ModelMetadata.readSidecar(file).orElseThrow();
    ImagePreprocessing prep = ImagePreprocessing.forModel(graph.inputs().get(0).type(), meta,
        model);
    LabelledImages train = FashionMnist.installedOrBundled(FashionMnist.DEBIAN_DIR,
        FashionMnist.Split.TRAIN).calibration(Calibrator.DEFAULT_IMAGES, Calibrator.DEFAULT_SEED);
    CalibrationStats stats = Calibrator.collect(graph, train, prep, 2, ProgressListener.NONE);
    return PackageCompiler.compile(Quantizer.quantize(graph, stats, QuantizationScheme.INT8),
        CompileOptions.of(model, "test", "test")).pkg();
  }

  /** Consecutive bundled test images in batches of the given sizes. */
  static List<List<Tensor>> batches(int[] sizes) {
    Tensor images = NpyReader.read(MODELS.resolve("testdata/fmnist-test-first256.npy"));
    int per = images.size() / images.dim(0);
    List<List<Tensor>> out = new ArrayList<>();
    int start = 0;
    for (int n : sizes) {
      float[] v = Arrays.copyOfRange(images.floats(), start * per, (start + n) * per);
      out.add(List.of(Tensor.ofFloats(new int[] {n, 1, 28, 28}, v)));
      start += n;
    }
    return out;
  }

  static List<List<Tensor>> reference(AcceleratorPackage pkg, List<List<Tensor>> batches) {
    try (EmulatorInferenceDevice one = EmulatorInferenceDevice.open("single", pkg, 1)) {
      List<List<Tensor>> out = new ArrayList<>();
      for (List<Tensor> b : batches) {
        out.add(one.run(b));
      }
      return out;
    }
  }

  static List<InferenceDevice> emulators(AcceleratorPackage pkg, int n) {
    List<InferenceDevice> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(EmulatorInferenceDevice.open("emulator#" + i, pkg, 1));
    }
    return out;
  }

  static void assertSameOutputs(List<List<Tensor>> expected, List<List<Tensor>> actual) {
    assertEquals(expected.size(), actual.size());
    for (int b = 0; b < expected.size(); b++) {
      assertEquals(expected.get(b).size(), actual.get(b).size(), "batch " + b);
      for (int o = 0; o < expected.get(b).size(); o++) {
        assertArrayEquals(expected.get(b).get(o).shape(), actual.get(b).get(o).shape(),
            "batch " + b + " output " + o);
        assertArrayEquals(expected.get(b).get(o).floats(), actual.get(b).get(o).floats(),
            "batch " + b + " output " + o);
      }
    }
  }

  private static Options fast(Mode mode) {
    return Options.of(mode).withRunTimeout(Duration.ofSeconds(20));
  }

  // ---- same results as one device --------------------------------------------------------

  @Test
  void dataParallelEqualsOneDeviceInOrder() {
    try (DevicePool pool = DevicePool.open(lenet5, emulators(lenet5, 2),
        fast(Mode.DATA_PARALLEL), PoolEventListener.NONE)) {
      assertSameOutputs(lenetExpected, pool.runAll(lenetBatches));
      assertEquals(lenetBatches.size(), pool.answered());
      assertEquals(List.of(), pool.events());
      assertEquals(null, pool.plan());
    }
  }

  @Test
  void pipelineEqualsOneDevice() {
    for (int stages : new int[] {2, 3}) {
      try (DevicePool pool = DevicePool.open(lenet5, emulators(lenet5, stages),
          fast(Mode.PIPELINE), PoolEventListener.NONE)) {
        assertEquals(stages, pool.plan().stages().size());
        assertSameOutputs(lenetExpected, pool.runAll(lenetBatches));
        assertEquals(lenetBatches.size(), pool.answered());
      }
    }
  }

  @Test
  void resnet20PipelineAndDataParallelEqualOneDevice() {
    AcceleratorPackage r20 = compile("resnet20");
    List<List<Tensor>> batches = batches(new int[] {8, 3, 8, 5});
    List<List<Tensor>> expected = reference(r20, batches);
    for (Mode mode : Mode.values()) {
      try (DevicePool pool = DevicePool.open(r20, emulators(r20, 2), fast(mode),
          PoolEventListener.NONE)) {
        assertSameOutputs(expected, pool.runAll(batches));
      }
    }
  }

  /** Stage boundaries between accelerator commands carry codes, one byte per value. */
  @Test
  void stagesHandOverCodes() {
    StagePlan plan = StagePlan.balance(StagePlan.commandCosts(lenet5, 64), 2);
    int cut = plan.stages().get(0).to();
    try (EmulatorInferenceDevice d = EmulatorInferenceDevice.open("e", lenet5, 1)) {
      PackageCuts cuts = new PackageCuts(lenet5);
      List<Tensor> batch = lenetBatches.get(0);
      LiveBuffers mid = d.runStage(cuts.start(List.of(batch.get(0).floats()), 16), cut);
      assertEquals(cut, mid.at());
      assertFalse(mid.codes().isEmpty(), "codes cross the cut: " + mid);
      assertTrue(mid.floats().isEmpty(), "no FP32 crosses the cut: " + mid);
      LiveBuffers end = d.runStage(mid, lenet5.getCommandsCount());
      assertArrayEquals(lenetExpected.get(0).get(0).floats(), cuts.outputs(end).get(0).floats());
    }
  }

  /** A slow device and a fast one finish batches out of order; answers still come in order. */
  @Test
  void answersComeInSubmissionOrderFromDevicesOfDifferentSpeed() {
    List<InferenceDevice> devices = emulators(lenet5, 2);
    InferenceDevice slow = devices.get(0);
    devices.set(0, new InferenceDevice() {
      @Override
      public String name() {
        return slow.name();
      }

      @Override
      public List<Tensor> run(List<Tensor> batch) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return slow.run(batch);
      }

      @Override
      public void close() {
        slow.close();
      }
    });
    try (DevicePool pool = DevicePool.open(lenet5, devices, fast(Mode.DATA_PARALLEL),
        PoolEventListener.NONE)) {
      assertSameOutputs(lenetExpected, pool.runAll(lenetBatches));
    }
  }

  // ---- failover --------------------------------------------------------------------------

  private static void assertFailover(Mode mode, FaultyDevice.Kind kind, Duration timeout) {
    List<InferenceDevice> devices = emulators(lenet5, 2);
    // the first batch after the opening probe fails: with a fast emulator the other device can
    // run most of a short stream alone, so the device must fail on whatever it gets first, and
    // the stream is long enough (36 batches) that it does get one
    FaultyDevice faulty = new FaultyDevice(devices.get(0), kind, 2, 1);
    devices.set(0, faulty);
    List<List<Tensor>> stream = new ArrayList<>();
    List<List<Tensor>> expected = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      stream.addAll(lenetBatches);
      expected.addAll(lenetExpected);
    }
    List<PoolEvent> heard = new CopyOnWriteArrayList<>();
    try (DevicePool pool = DevicePool.open(lenet5, devices,
        Options.of(mode).withRunTimeout(timeout), heard::add)) {
      List<CompletableFuture<List<Tensor>>> futures = new ArrayList<>();
      for (List<Tensor> b : stream) {
        futures.add(pool.submit(b));
      }
      List<List<Tensor>> answers = new ArrayList<>();
      for (CompletableFuture<List<Tensor>> f : futures) {
        answers.add(f.join());
      }
      assertSameOutputs(expected, answers);
      assertEquals(stream.size(), pool.answered(), "every batch answered exactly once");
      assertEquals(0, pool.failed());
      assertEquals(1, faulty.faults());
      assertEquals(List.of("emulator#1"), pool.healthyDevices());
      List<PoolEvent> events = pool.events();
      assertEquals(events, heard, "the listener heard every event, in order");
      PoolEvent removed = events.stream().filter(e -> e.kind() == PoolEvent.Kind.REMOVED)
          .findFirst().orElseThrow(() -> new AssertionError(events.toString()));
      assertEquals("emulator#0", removed.device());
      String fault = switch (kind) {
        case THROW -> "exception";
        case HANG -> "timeout";
        case SHORT_OUTPUT -> "bad output";
      };
      assertTrue(removed.detail().startsWith(fault), removed.toString());
      assertTrue(events.stream().anyMatch(e -> e.kind() == PoolEvent.Kind.RETRIED
          && e.batch() == removed.batch()), events.toString());

      // repaired: the probe passes and the device takes batches again
      faulty.repair();
      assertTrue(pool.reinstate("emulator#0"));
      assertEquals(List.of("emulator#0", "emulator#1"), pool.healthyDevices());
      int before = faulty.calls();
      assertSameOutputs(expected, pool.runAll(stream));
      assertTrue(faulty.calls() > before, "the reinstated device ran batches");
      assertTrue(pool.events().stream().anyMatch(e -> e.kind() == PoolEvent.Kind.REINSTATED));
    }
  }

  @Test
  void deviceThatThrowsIsTakenOutAndItsBatchRetried() {
    assertFailover(Mode.DATA_PARALLEL, FaultyDevice.Kind.THROW, Duration.ofSeconds(20));
  }

  @Test
  void deviceThatHangsPastTheTimeoutIsTakenOut() {
    assertFailover(Mode.DATA_PARALLEL, FaultyDevice.Kind.HANG, Duration.ofMillis(500));
  }

  @Test
  void deviceThatReturnsAShortOutputIsTakenOut() {
    assertFailover(Mode.DATA_PARALLEL, FaultyDevice.Kind.SHORT_OUTPUT, Duration.ofSeconds(20));
  }

  @Test
  void pipelineStageThatFailsIsRecutForTheDevicesLeft() {
    for (FaultyDevice.Kind kind : FaultyDevice.Kind.values()) {
      assertFailover(Mode.PIPELINE, kind, Duration.ofMillis(kind == FaultyDevice.Kind.HANG
          ? 500 : 20_000));
    }
  }

  @Test
  void pipelineSpareTakesOverAFailedStage() {
    List<InferenceDevice> devices = emulators(lenet5, 3);
    FaultyDevice faulty = new FaultyDevice(devices.get(1), FaultyDevice.Kind.THROW, 3, 1);
    devices.set(1, faulty);
    try (DevicePool pool = DevicePool.open(lenet5, devices, fast(Mode.PIPELINE).withStages(2),
        PoolEventListener.NONE)) {
      StagePlan before = pool.plan();
      assertSameOutputs(lenetExpected, pool.runAll(lenetBatches));
      assertEquals(before, pool.plan(), "a spare took the stage: no re-cut");
      assertTrue(pool.events().stream().anyMatch(e -> e.kind() == PoolEvent.Kind.REPLANNED
          && e.device().equals("emulator#2") && e.detail().contains("spare")),
          pool.events().toString());
      assertEquals(lenetBatches.size(), pool.answered());
    }
  }

  @Test
  void oneDeviceLeftKeepsWorkingNoneLeftIsAClearError() {
    List<InferenceDevice> devices = emulators(lenet5, 2);
    FaultyDevice a = FaultyDevice.broken(devices.get(0), FaultyDevice.Kind.THROW);
    FaultyDevice b = new FaultyDevice(devices.get(1), FaultyDevice.Kind.THROW, 6, 1000);
    devices.set(0, a);
    devices.set(1, b);
    try (DevicePool pool = DevicePool.open(lenet5, devices,
        fast(Mode.DATA_PARALLEL).withMaxInFlight(1), PoolEventListener.NONE)) {
      // b alone answers batches 0..3 (calls 2..5), then fails too
      for (int i = 0; i < 4; i++) {
        assertArrayEquals(lenetExpected.get(i).get(0).floats(),
            pool.run(lenetBatches.get(i)).get(0).floats());
      }
      CompletionException e = assertThrows(CompletionException.class,
          () -> pool.submit(lenetBatches.get(4)).join());
      DeviceUnavailableException u = assertInstanceOf(DeviceUnavailableException.class,
          e.getCause());
      assertTrue(u.getMessage().contains("no healthy device left") && u.getMessage().contains(
          "emulator#0: exception") && u.getMessage().contains("emulator#1: exception"),
          u.getMessage());
      assertThrows(DeviceUnavailableException.class, () -> pool.submit(lenetBatches.get(5)));
      assertEquals(4, pool.answered());
      assertEquals(1, pool.failed());
      assertTrue(pool.events().stream().anyMatch(x -> x.kind() == PoolEvent.Kind.UNAVAILABLE));
      // still broken: the probe fails and the device stays out
      assertFalse(pool.reinstate("emulator#1"));
      assertTrue(pool.events().stream().anyMatch(x -> x.kind() == PoolEvent.Kind.PROBE_FAILED));
    }
  }

  @Test
  void aBatchThatFailsOnEveryDeviceFailsItself() {
    List<InferenceDevice> devices = emulators(lenet5, 3);
    List<InferenceDevice> broken = new ArrayList<>();
    for (InferenceDevice d : devices) {
      broken.add(FaultyDevice.broken(d, FaultyDevice.Kind.THROW));
    }
    try (DevicePool pool = DevicePool.open(lenet5, broken,
        fast(Mode.DATA_PARALLEL).withMaxAttempts(2), PoolEventListener.NONE)) {
      CompletionException e = assertThrows(CompletionException.class,
          () -> pool.submit(lenetBatches.get(0)).join());
      assertTrue(e.getCause().getMessage().startsWith("batch 0 failed on 2 devices in turn"),
          e.getCause().getMessage());
      assertEquals(1, pool.healthyDevices().size());
    }
  }

  @Test
  void aListenerThatThrowsDoesNotStopThePool() {
    List<InferenceDevice> devices = emulators(lenet5, 2);
    devices.set(0, new FaultyDevice(devices.get(0), FaultyDevice.Kind.THROW, 2, 1));
    try (DevicePool pool = DevicePool.open(lenet5, devices, fast(Mode.DATA_PARALLEL), e -> {
      throw new IllegalStateException("listener bug");
    })) {
      assertSameOutputs(lenetExpected, pool.runAll(lenetBatches));
      assertEquals(lenetBatches.size(), pool.answered());
    }
  }

  // ---- refusals and close ----------------------------------------------------------------

  @Test
  void pipelineRefusesADeviceThatCannotRunStagesAndClosesTheDevices() {
    List<InferenceDevice> devices = emulators(lenet5, 1);
    InferenceDevice whole = devices.get(0);
    FaultyDevice wrapped = new FaultyDevice(new InferenceDevice() {
      @Override
      public String name() {
        return "whole-only";
      }

      @Override
      public List<Tensor> run(List<Tensor> batch) {
        return whole.run(batch);
      }

      @Override
      public void close() {
        whole.close();
      }
    }, FaultyDevice.Kind.THROW, Integer.MAX_VALUE, 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DevicePool.open(lenet5, List.of(wrapped), fast(Mode.PIPELINE),
            PoolEventListener.NONE));
    assertTrue(e.getMessage().contains("whole-only cannot run part of a package"),
        e.getMessage());
    assertTrue(wrapped.closed());
  }

  @Test
  void badBatchIsTheCallersErrorNotADevicesFault() {
    try (DevicePool pool = DevicePool.open(lenet5, emulators(lenet5, 2),
        fast(Mode.DATA_PARALLEL), PoolEventListener.NONE)) {
      Tensor wrong = Tensor.ofFloats(new int[] {2, 1, 27, 28}, new float[2 * 27 * 28]);
      assertThrows(IllegalArgumentException.class, () -> pool.submit(List.of(wrong)));
      assertEquals(2, pool.healthyDevices().size());
    }
  }

  @Test
  void closeWaitsForSubmittedBatchesThenReleasesThreadsAndDevices() {
    List<InferenceDevice> devices = new ArrayList<>();
    List<FaultyDevice> fakes = new ArrayList<>();
    for (InferenceDevice d : emulators(lenet5, 2)) {
      FaultyDevice f = new FaultyDevice(d, FaultyDevice.Kind.THROW, Integer.MAX_VALUE, 0);
      fakes.add(f);
      devices.add(f);
    }
    DevicePool pool = DevicePool.open(lenet5, devices, fast(Mode.PIPELINE),
        PoolEventListener.NONE);
    List<CompletableFuture<List<Tensor>>> futures = new ArrayList<>();
    for (List<Tensor> b : lenetBatches) {
      futures.add(pool.submit(b));
    }
    pool.close();
    for (CompletableFuture<List<Tensor>> f : futures) {
      assertTrue(f.isDone() && !f.isCompletedExceptionally());
    }
    assertEquals(lenetBatches.size(), pool.answered());
    for (FaultyDevice f : fakes) {
      assertTrue(f.closed());
    }
    assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive()
        && t.getName().startsWith("device-pool-")), "pool threads left running");
    assertThrows(IllegalStateException.class, () -> pool.submit(lenetBatches.get(0)));
    pool.close(); // idempotent
    assertNotNull(pool.toString());
  }
}
