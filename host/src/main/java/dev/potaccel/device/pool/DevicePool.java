package dev.potaccel.device.pool;

import dev.potaccel.emulator.LiveBuffers;
import dev.potaccel.graph.Tensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Buffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several devices running one compiled package, fed a stream of batches: {@link #submit} returns
 * a future per batch, {@link #runAll} the outputs in submission order.
 *
 * <p><b>Data parallel</b> ({@link Mode#DATA_PARALLEL}): each device takes the oldest waiting batch
 * whenever it is free and runs it whole. <b>Pipeline</b> ({@link Mode#PIPELINE}): the package's
 * commands are cut into contiguous stages of about equal cost ({@link StagePlan#balance} over the
 * cost model's cycles per command), one per device; a batch runs stage after stage, each stage
 * handing the next the buffers live at the cut ({@link LiveBuffers}: codes between accelerator
 * commands), so while stage 2 works on batch k, stage 1 works on batch k+1.
 *
 * <p><b>Failover.</b> A device that throws, does not answer within {@link Options#runTimeout}, or
 * returns outputs of the wrong number or size, is marked unhealthy and taken out; the batch goes
 * back to the head of the queue for another device (in pipeline mode from the stage it was in:
 * the stage's input is still held). A batch is answered exactly once: a late answer from a device
 * that timed out is dropped. A batch that failed on {@link Options#maxAttempts} devices in turn
 * fails itself (the batch is then the likely culprit, and it must not take down the whole pool);
 * when no healthy device is left, waiting and new batches fail with {@link
 * DeviceUnavailableException}. Every change is logged (SLF4J, WARN for a removal) and reported as
 * a {@link PoolEvent} to the listener and in {@link #events}. {@link #reinstate} puts a removed
 * device back once it passes a health probe: one fixed probe batch whose outputs must equal, bit
 * for bit, those the first device gave when the pool opened (every device is bit-exact with the
 * emulator). In pipeline mode a failed stage's device is replaced by a spare (a healthy device
 * without a stage) when there is one; otherwise the stages are cut again for the devices left,
 * and batches already past some commands continue from where they are on the new stages.
 *
 * <p>Thread-safe. The pool owns its devices and one thread per device (which calls the device, so
 * a device with one thread of its own uses one core), plus a watchdog for timeouts. {@link
 * #close} refuses new batches, waits for those submitted, stops the threads and closes the
 * devices.
 */
public final class DevicePool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DevicePool.class);

  /** How batches use the devices. */
  public enum Mode {
    /** Whole batches to free devices. */
    DATA_PARALLEL("data-parallel"),
    /** The network cut into stages, one device each, batches streaming through. */
    PIPELINE("pipeline");

    private final String id;

    Mode(String id) {
      this.id = id;
    }

    /** "data-parallel", "pipeline". */
    public String id() {
      return id;
    }

    /**
     * The mode named {@code text} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the valid modes
     */
    public static Mode parse(String text) {
      String t = text.strip().toLowerCase(Locale.ROOT);
      return Arrays.stream(values()).filter(m -> m.id.equals(t)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("unknown pool mode '" + text
              + "'; valid modes: " + Arrays.stream(values()).map(Mode::id).toList()));
    }
  }

  /** The faults that take a device out of the pool. */
  public enum Fault {
    /** The device threw. */
    EXCEPTION,
    /** No answer within the run timeout. */
    TIMEOUT,
    /** Outputs of the wrong number, shape or size. */
    BAD_OUTPUT
  }

  /**
   * How a pool runs.
   *
   * @param mode data parallel or pipeline
   * @param stages pipeline only: how many stages; 0 for one per device. Devices beyond the stage
   *     count stand by as spares
   * @param runTimeout the longest one device may take for one batch (or stage) before it is
   *     taken out
   * @param maxAttempts the most devices one batch is tried on before it fails itself
   * @param maxInFlight the most submitted, unanswered batches; {@link #submit} waits beyond it. 0
   *     for 4 per device
   * @param planBatch the batch size the cost model estimates stage costs for
   */
  public record Options(Mode mode, int stages, Duration runTimeout, int maxAttempts,
      int maxInFlight, int planBatch) {
    public Options {
      Objects.requireNonNull(mode, "mode");
      Objects.requireNonNull(runTimeout, "runTimeout");
      if (stages < 0 || maxAttempts < 1 || maxInFlight < 0 || planBatch < 1) {
        throw new IllegalArgumentException("need stages >= 0, maxAttempts >= 1, maxInFlight >= 0"
            + " and planBatch >= 1, got " + stages + ", " + maxAttempts + ", " + maxInFlight
            + ", " + planBatch);
      }
      if (runTimeout.isNegative() || runTimeout.isZero()) {
        throw new IllegalArgumentException("runTimeout must be positive, got " + runTimeout);
      }
    }

    /** {@code mode}, one stage per device, 60 s run timeout, 3 attempts, 4 batches per device. */
    public static Options of(Mode mode) {
      return new Options(mode, 0, Duration.ofSeconds(60), 3, 0, 64);
    }

    public Options withRunTimeout(Duration timeout) {
      return new Options(mode, stages, timeout, maxAttempts, maxInFlight, planBatch);
    }

    public Options withStages(int count) {
      return new Options(mode, count, runTimeout, maxAttempts, maxInFlight, planBatch);
    }

    public Options withMaxInFlight(int count) {
      return new Options(mode, stages, runTimeout, maxAttempts, count, planBatch);
    }

    public Options withMaxAttempts(int count) {
      return new Options(mode, stages, runTimeout, count, maxInFlight, planBatch);
    }
  }

  /** One device and what the pool knows about it; guarded by the pool's lock. */
  private static final class Slot {
    final InferenceDevice device;
    final String name;
    boolean healthy = true;
    Thread thread;
    Job job;
    long token;
    long startNanos;
    /** Time spent in runs (answered, failed or given up on), for utilisation. */
    long busyNanos;
    /** Pipeline: the stage it runs, -1 for a spare. */
    int stage = -1;

    Slot(InferenceDevice device) {
      this.device = device;
      this.name = device.name();
    }
  }

  /** One submitted batch. */
  private static final class Job implements Comparable<Job> {
    final long seq;
    final List<Tensor> inputs;
    final int batch;
    final CompletableFuture<List<Tensor>> future = new CompletableFuture<>();
    /** Pipeline: the buffers before the next command to run. */
    LiveBuffers live;
    /** Which attempt is current: a device that answers with an older one was given up on. */
    long token;
    final List<String> failures = new ArrayList<>();
    boolean done;

    Job(long seq, List<Tensor> inputs, LiveBuffers live) {
      this.seq = seq;
      this.inputs = inputs;
      this.batch = inputs.get(0).dim(0);
      this.live = live;
    }

    @Override
    public int compareTo(Job o) {
      return Long.compare(seq, o.seq);
    }
  }

  private final Options options;
  private final PackageCuts cuts;
  private final List<int[]> inputShapes;
  private final List<int[]> outputShapes;
  private final List<Slot> slots;
  private final int wantedStages;
  private final long[] costs;
  private final int maxInFlight;
  private final PoolEventListener listener;
  private final List<Tensor> probeInput;
  private List<Tensor> probeExpected;

  private final ReentrantLock lock = new ReentrantLock();
  /** Signalled when a batch is queued, a device changes state or the pool closes. */
  private final Condition changed = lock.newCondition();
  /** Signalled when a batch is answered or fails: room for {@link #submit}, progress for close. */
  private final Condition settled = lock.newCondition();
  private final TreeSet<Job> pending = new TreeSet<>();
  private final List<PoolEvent> events = new ArrayList<>();
  private StagePlan plan;
  private long nextSeq;
  private int unsettled;
  private boolean closing;
  private boolean closed;
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong failedBatches = new AtomicLong();

  /** Completions and events to hand out after the lock is released, in order. */
  private final ConcurrentLinkedQueue<Runnable> deferred = new ConcurrentLinkedQueue<>();
  private final Object publishing = new Object();
  private final Thread watchdog;

  private DevicePool(AcceleratorPackage pkg, List<? extends InferenceDevice> devices,
      Options options, PoolEventListener listener) {
    this.options = options;
    this.listener = listener;
    this.cuts = new PackageCuts(pkg);
    this.inputShapes = shapes(pkg, pkg.getInputBuffersList());
    this.outputShapes = shapes(pkg, pkg.getOutputBuffersList());
    this.slots = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (InferenceDevice d : devices) {
      if (!names.add(d.name())) {
        throw new IllegalArgumentException("two devices are named '" + d.name() + "'");
      }
      if (options.mode() == Mode.PIPELINE && !d.runsStages()) {
        throw new IllegalArgumentException(d.name() + " cannot run part of a package, so it"
            + " cannot be a pipeline stage; use it in a data-parallel pool");
      }
      slots.add(new Slot(d));
    }
    this.maxInFlight = options.maxInFlight() > 0 ? options.maxInFlight() : 4 * devices.size();
    this.probeInput = probeBatch(inputShapes);
    if (options.mode() == Mode.PIPELINE) {
      this.wantedStages = options.stages() > 0 ? options.stages() : devices.size();
      this.costs = StagePlan.commandCosts(pkg, options.planBatch());
    } else {
      this.wantedStages = 0;
      this.costs = null;
    }
    this.watchdog = new Thread(this::watch, "device-pool-watchdog");
    this.watchdog.setDaemon(true);
  }

  /**
   * Opens a pool over {@code devices}, which must all have {@code pkg} loaded. The pool owns
   * them from here on, also when this throws: they are closed then.
   *
   * @throws IllegalArgumentException for no devices, two with one name, or a pipeline with a
   *     device that cannot run stages
   * @throws DeviceUnavailableException if a device fails the health probe as the pool opens
   */
  public static DevicePool open(AcceleratorPackage pkg, List<? extends InferenceDevice> devices,
      Options options, PoolEventListener listener) {
    Objects.requireNonNull(pkg, "pkg");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(listener, "listener");
    try {
      if (devices.isEmpty()) {
        throw new IllegalArgumentException("a device pool needs at least one device");
      }
      DevicePool pool = new DevicePool(pkg, devices, options, listener);
      pool.start();
      return pool;
    } catch (RuntimeException e) {
      for (InferenceDevice d : devices) {
        try {
          d.close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  private void start() {
    for (Slot s : slots) {
      String why = probe(s);
      if (why != null) {
        throw new DeviceUnavailableException(s.name + " failed its health probe as the pool"
            + " opened: " + why, null);
      }
    }
    lock.lock();
    try {
      if (options.mode() == Mode.PIPELINE) {
        assignStagesLocked("opened");
      }
      for (Slot s : slots) {
        startWorkerLocked(s);
      }
    } finally {
      lock.unlock();
    }
    watchdog.start();
    publish();
    LOG.info("device pool {}: {}{}", options.mode().id(), names(),
        plan == null ? "" : ", stages " + plan);
  }

  private static List<int[]> shapes(AcceleratorPackage pkg, List<Integer> buffers) {
    List<int[]> out = new ArrayList<>();
    for (int b : buffers) {
      Buffer info = pkg.getBuffers(b);
      out.add(info.getShapeList().stream().mapToInt(Integer::intValue).toArray());
    }
    return out;
  }

  /** One image per input, fixed values in [-1, 1]: the same every time, on every device. */
  private static List<Tensor> probeBatch(List<int[]> shapes) {
    List<Tensor> out = new ArrayList<>();
    for (int[] s : shapes) {
      int[] shape = new int[s.length + 1];
      shape[0] = 1;
      System.arraycopy(s, 0, shape, 1, s.length);
      float[] v = new float[Math.toIntExact(Tensor.elementCount(shape))];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) Math.sin(0.37 * i);
      }
      out.add(Tensor.ofFloats(shape, v));
    }
    return out;
  }

  // ---- submitting ------------------------------------------------------------------------

  /**
   * Queues one batch. Waits while {@code maxInFlight} batches are unanswered.
   *
   * @param batch one FP32 tensor per model input, batch first, equal batch sizes
   * @return completes with one tensor per model output, batch first; or exceptionally with
   *     {@link DeviceUnavailableException}
   * @throws IllegalArgumentException if the batch does not fit the package (never retried)
   * @throws DeviceUnavailableException if no healthy device is left
   * @throws IllegalStateException if the pool is closed or the caller is interrupted
   */
  public CompletableFuture<List<Tensor>> submit(List<Tensor> batch) {
    checkBatch(batch);
    List<Tensor> inputs = List.copyOf(batch);
    lock.lock();
    try {
      while (!closing && unsettled >= maxInFlight && healthyCountLocked() > 0) {
        settled.await();
      }
      if (closing) {
        throw new IllegalStateException("device pool " + names() + " is closed");
      }
      if (healthyCountLocked() == 0) {
        throw unavailableLocked(null);
      }
      Job job = new Job(nextSeq++, inputs, options.mode() == Mode.PIPELINE
          ? cuts.start(inputs.stream().map(Tensor::floats).toList(), inputs.get(0).dim(0))
          : null);
      pending.add(job);
      unsettled++;
      changed.signalAll();
      return job.future;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for room in the device pool",
          e);
    } finally {
      lock.unlock();
    }
  }

  /** Submits one batch and waits for its outputs. */
  public List<Tensor> run(List<Tensor> batch) {
    return join(submit(batch));
  }

  /**
   * Runs a stream of batches, as many in flight as the pool allows, and returns their outputs in
   * the order given.
   *
   * @throws DeviceUnavailableException for the first batch (in order) that failed
   */
  public List<List<Tensor>> runAll(List<List<Tensor>> batches) {
    List<CompletableFuture<List<Tensor>>> futures = new ArrayList<>();
    for (List<Tensor> b : batches) {
      futures.add(submit(b));
    }
    List<List<Tensor>> out = new ArrayList<>();
    for (CompletableFuture<List<Tensor>> f : futures) {
      out.add(join(f));
    }
    return out;
  }

  private static List<Tensor> join(CompletableFuture<List<Tensor>> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  private void checkBatch(List<Tensor> batch) {
    if (batch.size() != inputShapes.size()) {
      throw new IllegalArgumentException("the package takes " + inputShapes.size()
          + " inputs, got " + batch.size());
    }
    int n = batch.get(0).rank() == 0 ? 0 : batch.get(0).dim(0);
    if (n < 1) {
      throw new IllegalArgumentException("input 0 " + batch.get(0) + " has no images");
    }
    for (int i = 0; i < batch.size(); i++) {
      int[] want = withBatch(inputShapes.get(i), n);
      if (!Arrays.equals(batch.get(i).shape(), want)) {
        throw new IllegalArgumentException("input " + i + " is " + batch.get(i) + ", the package"
            + " wants " + Arrays.toString(want));
      }
    }
  }

  private static int[] withBatch(int[] shape, int n) {
    int[] s = new int[shape.length + 1];
    s[0] = n;
    System.arraycopy(shape, 0, s, 1, shape.length);
    return s;
  }

  // ---- the device threads ----------------------------------------------------------------

  private void startWorkerLocked(Slot s) {
    Thread t = new Thread(() -> work(s), "device-pool-" + s.name);
    t.setDaemon(true);
    s.thread = t;
    t.start();
  }

  private void work(Slot s) {
    while (true) {
      Job job;
      long token;
      int to;
      lock.lock();
      try {
        while (!closed && s.healthy && s.thread == Thread.currentThread()
            && (job = pickLocked(s)) == null) {
          changed.await();
        }
        if (closed || !s.healthy || s.thread != Thread.currentThread()) {
          return;
        }
        job = pickLocked(s);
        pending.remove(job);
        s.job = job;
        token = ++job.token;
        s.token = token;
        s.startNanos = System.nanoTime();
        to = options.mode() == Mode.PIPELINE ? plan.stages().get(s.stage).to() : 0;
      } catch (InterruptedException e) {
        return; // only close() and the watchdog interrupt us, after taking us out
      } finally {
        lock.unlock();
      }
      Object result = null;
      RuntimeException failure = null;
      String bad = null;
      try {
        if (options.mode() == Mode.PIPELINE) {
          LiveBuffers out = s.device.runStage(job.live, to);
          bad = cuts.mismatch(out, to, job.batch);
          result = out;
        } else {
          List<Tensor> out = s.device.run(job.inputs);
          bad = outputMismatch(out, job.batch);
          result = out;
        }
      } catch (RuntimeException e) {
        failure = e;
      }
      lock.lock();
      try {
        s.busyNanos += System.nanoTime() - s.startNanos;
        if (s.job != job || job.token != token) {
          return; // given up on (timeout): the batch went elsewhere, this answer is dropped
        }
        s.job = null;
        if (failure != null) {
          removeLocked(s, job, Fault.EXCEPTION, String.valueOf(failure.getMessage()), failure);
        } else if (bad != null) {
          removeLocked(s, job, Fault.BAD_OUTPUT, bad, null);
        } else {
          advanceLocked(job, result);
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      publish();
    }
  }

  /** The oldest waiting batch this device should run next, or null. */
  private Job pickLocked(Slot s) {
    if (options.mode() == Mode.DATA_PARALLEL) {
      return pending.isEmpty() ? null : pending.first();
    }
    if (s.stage < 0) {
      return null;
    }
    StagePlan.Stage stage = plan.stages().get(s.stage);
    for (Job j : pending) {
      if (stage.contains(j.live.at())) {
        return j;
      }
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  private void advanceLocked(Job job, Object result) {
    if (options.mode() == Mode.PIPELINE) {
      job.live = (LiveBuffers) result;
      if (job.live.at() < plan.commands()) {
        pending.add(job);
        return;
      }
      answerLocked(job, cuts.outputs(job.live));
    } else {
      answerLocked(job, (List<Tensor>) result);
    }
  }

  private void answerLocked(Job job, List<Tensor> outputs) {
    if (job.done) {
      throw new IllegalStateException("batch " + job.seq + " answered twice");
    }
    job.done = true;
    job.live = null;
    unsettled--;
    answered.incrementAndGet();
    settled.signalAll();
    deferred.add(() -> job.future.complete(outputs));
  }

  private void failLocked(Job job, RuntimeException e) {
    if (job.done) {
      throw new IllegalStateException("batch " + job.seq + " settled twice");
    }
    job.done = true;
    job.live = null;
    pending.remove(job);
    unsettled--;
    failedBatches.incrementAndGet();
    settled.signalAll();
    deferred.add(() -> job.future.completeExceptionally(e));
  }

  /** Why {@code out} is not the package's outputs for {@code batch} images; null if it is. */
  private String outputMismatch(List<Tensor> out, int batch) {
    if (out == null) {
      return "returned no outputs";
    }
    if (out.size() != outputShapes.size()) {
      return "returned " + out.size() + " outputs, the package has " + outputShapes.size();
    }
    for (int i = 0; i < out.size(); i++) {
      int[] want = withBatch(outputShapes.get(i), batch);
      Tensor t = out.get(i);
      if (t == null || !Arrays.equals(t.shape(), want)
          || t.floats().length != Tensor.elementCount(want)) {
        return "returned output " + i + " as " + (t == null ? "null" : t + " with "
            + t.floats().length + " values") + ", expected " + Arrays.toString(want);
      }
    }
    return null;
  }

  // ---- failover --------------------------------------------------------------------------

  private void removeLocked(Slot s, Job job, Fault fault, String detail, Throwable cause) {
    s.healthy = false;
    s.job = null;
    int stage = s.stage;
    s.stage = -1;
    String what = fault.name().toLowerCase(Locale.ROOT).replace('_', ' ') + ": " + detail;
    LOG.warn("device pool: {} taken out ({}{})", s.name, what,
        job == null ? "" : ", batch " + job.seq);
    eventLocked(PoolEvent.Kind.REMOVED, s.name, job == null ? -1 : job.seq, what);
    if (job != null) {
      job.failures.add(s.name + " (" + what + ")");
      if (job.failures.size() >= options.maxAttempts()) {
        String msg = "batch " + job.seq + " failed on " + job.failures.size() + " devices in"
            + " turn: " + String.join("; ", job.failures);
        eventLocked(PoolEvent.Kind.BATCH_FAILED, "", job.seq, msg);
        LOG.warn("device pool: {}", msg);
        failLocked(job, new DeviceUnavailableException(msg, cause));
      } else {
        pending.add(job);
        eventLocked(PoolEvent.Kind.RETRIED, s.name, job.seq, "queued again for another device");
      }
    }
    if (options.mode() == Mode.PIPELINE && stage >= 0) {
      replaceStageLocked(stage, s);
    }
    if (healthyCountLocked() == 0) {
      String msg = "no healthy device left in the pool";
      LOG.error("device pool {}: {}", names(), msg);
      eventLocked(PoolEvent.Kind.UNAVAILABLE, "", -1, msg);
      for (Job j : new ArrayList<>(pending)) {
        eventLocked(PoolEvent.Kind.BATCH_FAILED, "", j.seq, msg);
        failLocked(j, unavailableLocked(cause));
      }
    }
    changed.signalAll();
    settled.signalAll();
  }

  private DeviceUnavailableException unavailableLocked(Throwable cause) {
    List<String> why = new ArrayList<>();
    for (PoolEvent e : events) {
      if (e.kind() == PoolEvent.Kind.REMOVED) {
        why.add(e.device() + ": " + e.detail());
      }
    }
    return new DeviceUnavailableException("no healthy device left in the pool of "
        + slots.size() + " (" + names() + "); taken out: " + String.join("; ", why)
        + "; reinstate a device once it is repaired", cause);
  }

  /** Pipeline: stage {@code stage} lost its device; a spare takes it, else the stages are re-cut. */
  private void replaceStageLocked(int stage, Slot failed) {
    for (Slot s : slots) {
      if (s.healthy && s.stage < 0) {
        s.stage = stage;
        eventLocked(PoolEvent.Kind.REPLANNED, s.name, -1, "takes stage " + stage + " "
            + describe(plan.stages().get(stage)) + " from " + failed.name + " (spare)");
        return;
      }
    }
    if (healthyCountLocked() > 0) {
      assignStagesLocked("lost " + failed.name);
    }
  }

  /** Cuts the stages for the healthy devices (at most the stage count wanted), in slot order. */
  private void assignStagesLocked(String why) {
    List<Slot> healthy = slots.stream().filter(s -> s.healthy).toList();
    int k = Math.min(wantedStages, healthy.size());
    plan = StagePlan.balance(costs, k);
    for (int i = 0; i < healthy.size(); i++) {
      healthy.get(i).stage = i < k ? i : -1;
    }
    StringBuilder who = new StringBuilder();
    for (int i = 0; i < healthy.size(); i++) {
      Slot s = healthy.get(i);
      who.append(i == 0 ? "" : ", ").append(s.name).append(s.stage < 0 ? " spare"
          : " " + describe(plan.stages().get(s.stage)));
    }
    String detail = why + ": " + k + " stage" + (k == 1 ? "" : "s") + " " + plan + " (" + who
        + ")";
    LOG.info("device pool: {}", detail);
    eventLocked(PoolEvent.Kind.REPLANNED, "", -1, detail);
  }

  private static String describe(StagePlan.Stage s) {
    return "[" + s.from() + "," + s.to() + ")";
  }

  /** The watchdog: takes out a device whose run has gone on longer than the timeout. */
  private void watch() {
    long timeout = options.runTimeout().toNanos();
    long period = Math.max(TimeUnit.MILLISECONDS.toNanos(5), Math.min(timeout / 4,
        TimeUnit.SECONDS.toNanos(1)));
    while (true) {
      lock.lock();
      try {
        if (closed) {
          return;
        }
        long now = System.nanoTime();
        for (Slot s : slots) {
          if (s.job != null && now - s.startNanos > timeout) {
            Thread stuck = s.thread;
            removeLocked(s, s.job, Fault.TIMEOUT, "no answer within "
                + options.runTimeout().toMillis() + " ms", new TimeoutException(s.name
                + ": no answer within " + options.runTimeout().toMillis() + " ms"));
            stuck.interrupt();
          }
        }
        changed.awaitNanos(period);
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
      publish();
    }
  }

  // ---- health probes ---------------------------------------------------------------------

  /**
   * Runs the probe batch on {@code s}'s device in a thread of its own, within the run timeout;
   * returns why it failed, or null. The first probe of the pool records the expected outputs.
   */
  private String probe(Slot s) {
    CompletableFuture<List<Tensor>> f = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        f.complete(s.device.run(probeInput));
      } catch (RuntimeException e) {
        f.completeExceptionally(e);
      }
    }, "device-pool-probe-" + s.name);
    t.setDaemon(true);
    t.start();
    List<Tensor> out;
    try {
      out = f.get(options.runTimeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      t.interrupt();
      return "no answer within " + options.runTimeout().toMillis() + " ms";
    } catch (ExecutionException e) {
      return "threw " + e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      t.interrupt();
      return "interrupted";
    }
    String bad = outputMismatch(out, 1);
    if (bad != null) {
      return bad;
    }
    List<Tensor> expected;
    synchronized (probeInput) {
      if (probeExpected == null) {
        probeExpected = out;
        return null;
      }
      expected = probeExpected;
    }
    for (int i = 0; i < out.size(); i++) {
      if (!Arrays.equals(out.get(i).floats(), expected.get(i).floats())) {
        return "output " + i + " of the probe batch differs from the pool's first device's";
      }
    }
    return null;
  }

  /**
   * Runs the health probe on a device taken out of the pool and, if it passes, puts the device
   * back (pipeline: as a spare, or into a stage if the pool runs fewer stages than it should).
   *
   * @return whether the device is in the pool now (true at once for a healthy device)
   * @throws IllegalArgumentException if no device has that name
   * @throws IllegalStateException if the pool is closed
   */
  public boolean reinstate(String device) {
    Slot s = slots.stream().filter(x -> x.name.equals(device)).findFirst().orElseThrow(
        () -> new IllegalArgumentException("no device '" + device + "' in the pool; devices: "
            + names()));
    lock.lock();
    try {
      if (closing) {
        throw new IllegalStateException("device pool " + names() + " is closed");
      }
      if (s.healthy) {
        return true;
      }
    } finally {
      lock.unlock();
    }
    String why = probe(s);
    lock.lock();
    try {
      if (why != null) {
        LOG.warn("device pool: {} failed its health probe: {}", s.name, why);
        eventLocked(PoolEvent.Kind.PROBE_FAILED, s.name, -1, why);
        return false;
      }
      if (closing || s.healthy) {
        return s.healthy;
      }
      s.healthy = true;
      s.stage = -1;
      LOG.info("device pool: {} passed its health probe and is back", s.name);
      eventLocked(PoolEvent.Kind.REINSTATED, s.name, -1, "passed the health probe");
      if (options.mode() == Mode.PIPELINE && plan.stages().size() < wantedStages) {
        assignStagesLocked("reinstated " + s.name);
      }
      startWorkerLocked(s);
      changed.signalAll();
      return true;
    } finally {
      lock.unlock();
      publish();
    }
  }

  // ---- events ----------------------------------------------------------------------------

  private void eventLocked(PoolEvent.Kind kind, String device, long batch, String detail) {
    PoolEvent e = new PoolEvent(Instant.now(), kind, device, batch, detail);
    events.add(e);
    deferred.add(() -> listener.onEvent(e));
  }

  /**
   * Hands out completions and events queued under the lock, in order, outside it. A listener
   * that throws is logged, not propagated: it must not kill the device thread that told it.
   */
  private void publish() {
    synchronized (publishing) {
      Runnable r;
      while ((r = deferred.poll()) != null) {
        try {
          r.run();
        } catch (RuntimeException e) {
          LOG.error("device pool {}: the event listener threw", names(), e);
        }
      }
    }
  }

  // ---- state -----------------------------------------------------------------------------

  private int healthyCountLocked() {
    int n = 0;
    for (Slot s : slots) {
      n += s.healthy ? 1 : 0;
    }
    return n;
  }

  public Mode mode() {
    return options.mode();
  }

  /** Every device's name, in the order given. */
  public List<String> devices() {
    return slots.stream().map(s -> s.name).toList();
  }

  /** The names of the devices in the pool now. */
  public List<String> healthyDevices() {
    lock.lock();
    try {
      return slots.stream().filter(s -> s.healthy).map(s -> s.name).toList();
    } finally {
      lock.unlock();
    }
  }

  /**
   * One device as the pool sees it now.
   *
   * @param busyNanos time spent running batches or stages so far (the current one included)
   */
  public record DeviceState(String name, boolean healthy, long busyNanos) {}

  /** Every device's state, in the order given: what metrics report per device. */
  public List<DeviceState> states() {
    lock.lock();
    try {
      long now = System.nanoTime();
      return slots.stream().map(s -> new DeviceState(s.name, s.healthy,
          s.busyNanos + (s.job != null ? now - s.startNanos : 0))).toList();
    } finally {
      lock.unlock();
    }
  }

  /** Pipeline: the current stages; data parallel: null. */
  public StagePlan plan() {
    lock.lock();
    try {
      return plan;
    } finally {
      lock.unlock();
    }
  }

  /** Every event so far, oldest first. */
  public List<PoolEvent> events() {
    lock.lock();
    try {
      return List.copyOf(events);
    } finally {
      lock.unlock();
    }
  }

  /** Batches answered with outputs so far (each exactly once). */
  public long answered() {
    return answered.get();
  }

  /** Batches that failed for good so far. */
  public long failed() {
    return failedBatches.get();
  }

  private String names() {
    return slots.stream().map(s -> s.name).toList().toString();
  }

  /**
   * Refuses new batches, waits until every submitted batch is answered or has failed, stops the
   * device threads and the watchdog, then closes the devices (last first). Idempotent.
   */
  @Override
  public void close() {
    List<Thread> threads = new ArrayList<>();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closing = true;
      while (unsettled > 0) {
        settled.awaitUninterruptibly();
      }
      closed = true;
      changed.signalAll();
      for (Slot s : slots) {
        if (s.thread != null) {
          threads.add(s.thread);
        }
      }
    } finally {
      lock.unlock();
    }
    publish();
    threads.add(watchdog);
    boolean interrupted = false;
    for (Thread t : threads) {
      try {
        // a thread still inside a device that timed out may never come back: do not wait forever
        t.join(options.runTimeout().toMillis() + 1000);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    RuntimeException first = null;
    for (int i = slots.size() - 1; i >= 0; i--) {
      try {
        slots.get(i).device.close();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (first != null) {
      throw first;
    }
    LOG.debug("device pool {} closed: {} batches answered, {} failed", names(), answered.get(),
        failedBatches.get());
  }

  @Override
  public String toString() {
    return "DevicePool[" + options.mode().id() + ", " + names() + "]";
  }
}
