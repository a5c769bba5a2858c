package dev.potaccel.bench;

import dev.potaccel.device.DeviceSpec;
import dev.potaccel.device.pool.DevicePool;
import dev.potaccel.device.pool.InferenceDevice;
import dev.potaccel.device.pool.PoolEventListener;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * Several devices as one row: a {@link DevicePool} (data parallel or pipeline) over emulator and
 * OpenCL devices, each opened with the backend's thread budget, on the package the emulator
 * backend compiles. Unlike the other backends it is fed a stream ({@link #submit}): the benchmark
 * keeps {@link #window} batches in flight, and its figure is images over wall time.
 */
final class PoolBackend implements Backend {
  private final DevicePool pool;
  private final String name;
  private final String description;

  private PoolBackend(DevicePool pool, String name, String description) {
    this.pool = pool;
    this.name = name;
    this.description = description;
  }

  /**
   * Opens one device per entry of {@code kinds} (emulator or opencl) and a pool over them.
   *
   * @throws IllegalArgumentException for a kind that is not a device
   */
  static PoolBackend open(AcceleratorPackage pkg, List<BackendKind> kinds, DevicePool.Mode mode,
      int threads) {
    List<InferenceDevice> devices = new ArrayList<>();
    try {
      for (int i = 0; i < kinds.size(); i++) {
        String name = kinds.get(i).id() + "#" + i;
        devices.add(InferenceDevice.open(DeviceSpec.parse(kinds.get(i).id()), name, pkg,
            threads));
      }
    } catch (RuntimeException e) {
      for (InferenceDevice d : devices) {
        d.close();
      }
      throw e;
    }
    DevicePool pool = DevicePool.open(pkg, devices, DevicePool.Options.of(mode),
        PoolEventListener.NONE);
    String name = "pool " + label(kinds) + " " + mode.id();
    String description = name + ": " + pool.devices() + ", " + threads + " thread"
        + (threads == 1 ? "" : "s") + " each" + (pool.plan() == null ? ""
        : "; stages by the cost model's cycles " + pool.plan());
    return new PoolBackend(pool, name, description);
  }

  /** "2x emulator", "emulator+opencl". */
  static String label(List<BackendKind> kinds) {
    if (kinds.stream().distinct().count() == 1) {
      return kinds.size() + "x " + kinds.get(0).id();
    }
    return kinds.stream().map(BackendKind::id).collect(Collectors.joining("+"));
  }

  @Override
  public String name() {
    return name;
  }

  /** One line for the table header: devices, threads, stages. */
  String description() {
    return description;
  }

  DevicePool.Mode mode() {
    return pool.mode();
  }

  /** Batches kept in flight: enough for every device (and stage) to have the next one ready. */
  int window() {
    return 2 * pool.devices().size();
  }

  /** Queues one batch; the future completes with the model's first output. */
  CompletableFuture<Tensor> submit(Tensor batch) {
    return pool.submit(List.of(batch)).thenApply(out -> out.get(0));
  }

  @Override
  public Tensor run(Tensor batch) {
    return pool.run(List.of(batch)).get(0);
  }

  @Override
  public void close() {
    pool.close();
  }
}
