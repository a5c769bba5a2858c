package dev.potaccel.device.opencl;

import dev.potaccel.device.HostGraphExecutor;
import dev.potaccel.emulator.LiveBuffers;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A compiled package opened on an OpenCL device for any number of runs, as {@link
 * dev.potaccel.device.EmulatorSession} is on the emulator: FP32 batches in, FP32 outputs out,
 * HOST commands on the CPU engine. Owns the device, the loaded package and the host engines, and
 * closes all three. The last run's per-command device times are kept for {@code potaccel
 * profile}.
 *
 * <p><b>Faults.</b> Each run goes through a watchdog ({@link #WATCHDOG}, or the system property
 * {@code potaccel.opencl.watchdog.ms}): a device that does not answer in time, or a run that fails
 * with an OpenCL error (CL_OUT_OF_RESOURCES, a lost device), is reported as an {@link
 * OpenClException} saying so, and the session re-creates its context (device, program, package)
 * before it returns, so the next request runs on a fresh one. A hung driver call cannot be
 * interrupted from Java: its thread is abandoned (a daemon) and the run is not retried here;
 * callers that want a retry (the device pool) do it.
 */
public final class OpenClSession implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OpenClSession.class);
  /** How long one batch may take before the device counts as not answering. */
  public static final Duration WATCHDOG =
      Duration.ofMillis(Long.getLong("potaccel.opencl.watchdog.ms", 120_000L));

  private final AcceleratorPackage pkg;
  private final int platformIndex;
  private final int deviceIndex;
  private final int threads;
  private final OpenClDevice.Options options;
  private volatile Duration watchdog = WATCHDOG;
  private volatile Runnable faultHook; // tests: runs on the device thread before each batch
  private OpenClDevice device;
  private HostGraphExecutor host;
  private OpenClPackage loaded;
  private ExecutorService runner;
  private volatile OpenClRun last;

  private OpenClSession(AcceleratorPackage pkg, int platform, int device, int threads,
      OpenClDevice.Options options) {
    this.pkg = pkg;
    this.platformIndex = platform;
    this.deviceIndex = device;
    this.threads = threads;
    this.options = options;
  }

  /**
   * Opens device {@code device} of platform {@code platform} and loads {@code pkg} on it.
   *
   * @param threads threads of each host engine (HOST commands)
   * @throws OpenClException when the device, the manifest check, the program or an OpenCL call
   *     fails
   * @throws dev.potaccel.protocol.pkg.PackageFormatException if the package breaks the contract
   */
  public static OpenClSession open(AcceleratorPackage pkg, int platform, int device, int threads,
      OpenClDevice.Options options) {
    OpenClSession s = new OpenClSession(pkg, platform, device, threads, options);
    s.connect();
    return s;
  }

  /** Opens the device, the host engines and the package: a new context each time. */
  private synchronized void connect() {
    OpenClDevice d = OpenClDevice.open(platformIndex, deviceIndex, options);
    HostGraphExecutor h = null;
    try {
      h = new HostGraphExecutor(pkg, threads);
      OpenClPackage p = d.load(pkg, h);
      device = d;
      host = h;
      loaded = p;
      runner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "opencl-run");
        t.setDaemon(true); // a hung driver call must not keep the JVM alive
        return t;
      });
    } catch (RuntimeException e) {
      if (h != null) {
        h.close();
      }
      d.close();
      throw e;
    }
  }

  /** The watchdog's limit for one batch (tests use a short one). */
  public void setWatchdog(Duration limit) {
    if (limit.isNegative() || limit.isZero()) {
      throw new IllegalArgumentException("watchdog must be positive, got " + limit);
    }
    watchdog = limit;
  }

  /** Fault injection for tests: {@code hook} runs on the device thread before each batch. */
  void injectFault(Runnable hook) {
    faultHook = hook;
  }

  public synchronized OpenClDevice device() {
    return device;
  }

  public synchronized OpenClPackage loaded() {
    return loaded;
  }

  /** The last run, with its per-command times; null before the first. */
  public OpenClRun lastRun() {
    return last;
  }

  /**
   * Runs one batch.
   *
   * @param inputs one FP32 tensor per model input, batch first, equal batch sizes
   * @return one FP32 tensor per model output, batch first
   */
  public List<Tensor> run(List<Tensor> inputs) {
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("no inputs");
    }
    int batch = inputs.get(0).dim(0);
    List<float[]> values = new ArrayList<>();
    for (Tensor t : inputs) {
      if (t.rank() == 0 || t.dim(0) != batch) {
        throw new IllegalArgumentException("inputs differ in batch size: " + t + " and "
            + inputs.get(0));
      }
      values.add(t.floats());
    }
    OpenClRun run = watched("batch of " + batch, p -> p.run(batch, values));
    last = run;
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < run.outputs().size(); i++) {
      out.add(Tensor.ofFloats(run.outputShape(i), run.output(i)));
    }
    return out;
  }

  /**
   * Runs commands {@code [in.at(), to)} of the package on the buffers of cut {@code in.at()} and
   * returns those of cut {@code to}: one pipeline stage, under the same watchdog as {@link #run}.
   *
   * @see OpenClPackage#runCommands
   */
  public LiveBuffers runCommands(int to, LiveBuffers in) {
    return watched("commands [" + in.at() + ", " + to + ")", p -> p.runCommands(to, in));
  }

  /** One call on the package through the watchdog; on a timeout or an OpenCL error, a new context. */
  private synchronized <T> T watched(String what, Function<OpenClPackage, T> call) {
    OpenClPackage p = loaded;
    Runnable hook = faultHook;
    Future<T> f = runner.submit(() -> {
      if (hook != null) {
        hook.run();
      }
      return call.apply(p);
    });
    try {
      return f.get(watchdog.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      String why = device() + ": no answer to " + what + " within " + watchdog.toMillis()
          + " ms (watchdog)";
      reconnect(why, true);
      throw new OpenClException(why + "; the OpenCL context was re-created for the next request",
          e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof OpenClException cl) {
        reconnect(cl.getMessage(), false);
        throw new OpenClException(cl.getMessage() + "; the OpenCL context was re-created for the"
            + " next request", cl);
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r; // bad input and the like: the context is fine
      }
      throw new IllegalStateException("OpenCL run failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(true);
      throw new OpenClException(device() + ": interrupted while waiting for the device", e);
    }
  }

  /**
   * Drops the current context and opens a new one. After a timeout the old run may still hold
   * the device: its objects are left to that thread (a release could block behind it too).
   */
  private void reconnect(String why, boolean hung) {
    log.warn("OpenCL: {}; re-creating the context", why);
    ExecutorService oldRunner = runner;
    OpenClPackage oldPackage = loaded;
    HostGraphExecutor oldHost = host;
    OpenClDevice oldDevice = device;
    oldRunner.shutdownNow();
    if (!hung) {
      closeAll(oldPackage, oldHost, oldDevice);
    }
    connect();
  }

  private static void closeAll(OpenClPackage p, HostGraphExecutor h, OpenClDevice d) {
    try {
      p.close();
    } finally {
      try {
        h.close();
      } finally {
        d.close();
      }
    }
  }

  /** Runs one batch of the package's one input; returns its first output. */
  public Tensor run(Tensor input) {
    return run(List.of(input)).get(0);
  }

  /** Releases the package's device memory and kernels, the host engines, then the device. */
  @Override
  public synchronized void close() {
    runner.shutdownNow();
    closeAll(loaded, host, device);
  }
}
