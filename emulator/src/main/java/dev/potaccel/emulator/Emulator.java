package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.PackageFormatException;
import dev.potaccel.protocol.pkg.PackageValidator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accelerator as software: executes a compiled package bit-exactly as docs/accelerator.md
 * (contract version 1) specifies, on the CPU.
 *
 * <p>The constructor decodes the package once: it checks it with {@link PackageValidator#validate}
 * (versions, codebooks, regions, shapes that chain, shifts) and adds the checks the emulator's
 * arithmetic relies on (the §1.4 accumulator bound, ADD sums inside int32), unpacks each layer's weights through its codebook into int levels and its biases, and owns a
 * pool of {@code threads} worker threads. {@link #run} then takes FP32 model inputs (the package
 * quantizes them with its first CONVERT commands) and returns FP32 outputs, optionally with every
 * code buffer of the run for bit-for-bit comparisons with other devices.
 *
 * <p>Thread-safe: concurrent runs share the decoded weights and the worker pool. {@link #close}
 * is idempotent, waits for running runs and refuses new ones.
 */
public final class Emulator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Emulator.class);

  private final String model;
  private final BufferInfo[] buffers;
  private final Step[] steps;
  private final int[] inputs;
  private final int[] outputs;
  /** Per step, the buffers no later step reads and that are not outputs: dropped after it. */
  private final int[][] deadAfter;
  /** Per buffer, the first step that writes it; -1 for model inputs. */
  private final int[] firstWrite;
  /** Per buffer, the last step that reads it; {@code MAX_VALUE} for model outputs, -1 if none. */
  private final int[] lastRead;
  private final HostStep firstHost;
  private final HostExecutor host;
  private final Workers workers;
  /** The most values per image any buffer or scratch array of a run holds. */
  private final long maxPerImage;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private volatile boolean closed;

  /**
   * Decodes {@code pkg} for running.
   *
   * @param threads worker threads for runs (1 runs everything in the calling thread)
   * @param host runs the package's HOST commands; may be null if it has none (a run of a package
   *     with host commands then fails with IllegalStateException)
   * @throws PackageFormatException if the package breaks the contract, naming the command and
   *     field at fault (the package's model name stands for the file)
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public Emulator(AcceleratorPackage pkg, int threads, HostExecutor host) {
    this(pkg, threads, host, true);
  }

  /**
   * As the public constructor; {@code floatConv = false} runs every CONV in int32 even where the
   * exact float path applies (ConvStep), so tests can compare the two on the same layers.
   */
  Emulator(AcceleratorPackage pkg, int threads, HostExecutor host, boolean floatConv) {
    Objects.requireNonNull(pkg, "pkg");
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    String name = pkg.getProvenance().getModelName();
    this.model = name.isEmpty() ? "(unnamed)" : name;
    String source = "package '" + model + "'";
    PackageValidator.validate(pkg, source);
    Decoding d = new Decoding(pkg, source, floatConv);
    this.buffers = d.buffers;
    this.inputs = indices(pkg.getInputBuffersList(), "input_buffers", d);
    this.outputs = indices(pkg.getOutputBuffersList(), "output_buffers", d);
    this.steps = new Step[pkg.getCommandsCount()];
    boolean[] written = new boolean[buffers.length];
    for (int b : inputs) {
      written[b] = true;
    }
    HostStep host1 = null;
    int maxChannels = 1;
    long perImage = 1;
    for (BufferInfo b : buffers) {
      perImage = Math.max(perImage, b.perImage());
    }
    for (int i = 0; i < steps.length; i++) {
      Command cmd = pkg.getCommands(i);
      String where = "command " + i + " (" + kind(cmd) + " '" + cmd.getName() + "')";
      d.at(where);
      Step step = switch (cmd.getOpCase()) {
        case CONV -> ConvStep.decode(where, cmd.getConv(), d);
        case POOL -> PoolStep.decode(cmd.getPool(), d);
        case ADD -> AddStep.decode(cmd.getAdd(), d);
        case RESHAPE -> ReshapeStep.decode(cmd.getReshape(), d);
        case CONVERT -> ConvertStep.decode(cmd.getConvert(), d);
        case HOST -> HostStep.decode(where, cmd.getHost(), d);
        case OP_NOT_SET -> throw d.fail("has no operation");
      };
      for (int r : step.reads()) {
        if (!written[r]) {
          throw d.fail("reads " + buffers[r].describe() + " before any command writes it");
        }
      }
      for (int w : step.writes()) {
        written[w] = true;
      }
      if (step instanceof HostStep h && host1 == null) {
        host1 = h;
      }
      if (step instanceof ConvStep c) {
        maxChannels = Math.max(maxChannels, c.outChannels());
        perImage = Math.max(perImage, c.spreadPerImage());
      }
      steps[i] = step;
    }
    d.at("");
    for (int b : outputs) {
      if (!written[b]) {
        throw d.fail("model output " + buffers[b].describe() + " is never written");
      }
    }
    this.maxPerImage = perImage;
    this.firstHost = host1;
    this.host = host;
    this.deadAfter = deadAfter(steps, outputs, buffers.length);
    this.firstWrite = firstWrites(steps, inputs, buffers.length);
    this.lastRead = lastReads(steps, outputs, buffers.length);
    this.workers = new Workers(threads, model, ConvStep.PANEL_ROWS, maxChannels, ConvStep.COLUMNS);
    log.debug("emulator for {}: {} buffers, {} commands, {} threads", source, buffers.length,
        steps.length, threads);
  }

  private static String kind(Command cmd) {
    return cmd.getOpCase() == Command.OpCase.OP_NOT_SET ? "empty"
        : cmd.getOpCase().name().toLowerCase(java.util.Locale.ROOT);
  }

  private static int[] indices(List<Integer> list, String field, Decoding d) {
    int[] idx = new int[list.size()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = list.get(i);
      d.buffer(idx[i], field + "[" + i + "]");
    }
    return idx;
  }

  private static int[][] deadAfter(Step[] steps, int[] outputs, int bufferCount) {
    int[] lastRead = new int[bufferCount];
    Arrays.fill(lastRead, -1);
    for (int i = 0; i < steps.length; i++) {
      for (int r : steps[i].reads()) {
        lastRead[r] = i;
      }
    }
    for (int o : outputs) {
      lastRead[o] = Integer.MAX_VALUE;
    }
    List<List<Integer>> dead = new ArrayList<>();
    for (int i = 0; i < steps.length; i++) {
      dead.add(new ArrayList<>());
    }
    for (int b = 0; b < bufferCount; b++) {
      if (lastRead[b] >= 0 && lastRead[b] < steps.length) {
        dead.get(lastRead[b]).add(b);
      }
    }
    int[][] out = new int[steps.length][];
    for (int i = 0; i < steps.length; i++) {
      out[i] = dead.get(i).stream().mapToInt(Integer::intValue).toArray();
    }
    return out;
  }

  private static int[] firstWrites(Step[] steps, int[] inputs, int bufferCount) {
    int[] first = new int[bufferCount];
    Arrays.fill(first, Integer.MAX_VALUE);
    for (int b : inputs) {
      first[b] = -1;
    }
    for (int i = steps.length - 1; i >= 0; i--) {
      for (int w : steps[i].writes()) {
        first[w] = Math.min(first[w], i);
      }
    }
    return first;
  }

  private static int[] lastReads(Step[] steps, int[] outputs, int bufferCount) {
    int[] last = new int[bufferCount];
    Arrays.fill(last, -1);
    for (int i = 0; i < steps.length; i++) {
      for (int r : steps[i].reads()) {
        last[r] = i;
      }
    }
    for (int o : outputs) {
      last[o] = Integer.MAX_VALUE;
    }
    return last;
  }

  /** Command {@code i} as decoded, for tests. */
  Step step(int i) {
    return steps[i];
  }

  /** The package's model name ({@code provenance.model_name}). */
  public String modelName() {
    return model;
  }

  /** Number of model inputs, the list {@link #run} takes. */
  public int inputCount() {
    return inputs.length;
  }

  /** Model input {@code i}'s shape without the batch dimension. */
  public int[] inputShape(int i) {
    return buffers[inputs[i]].shape();
  }

  /** Runs the package on {@code batch} images; same as {@code run(batch, inputs, false)}. */
  public EmulatorRun run(int batch, List<float[]> inputs) {
    return run(batch, inputs, false);
  }

  /**
   * Runs the package on {@code batch} images.
   *
   * @param inputs one FP32 array per model input (package {@code input_buffers}, in order),
   *     {@code batch} images in NCHW order; not modified
   * @param keepCodes also return every code buffer of the run (more memory: nothing is freed
   *     before the run ends)
   * @throws IllegalArgumentException if the inputs do not fit the package and the batch
   * @throws IllegalStateException if the emulator is closed, or the package has host commands and
   *     no {@link HostExecutor} was given
   */
  public EmulatorRun run(int batch, List<float[]> inputs, boolean keepCodes) {
    Objects.requireNonNull(inputs, "inputs");
    ReentrantReadWriteLock.ReadLock read = lock.readLock();
    read.lock();
    try {
      if (closed) {
        throw new IllegalStateException("Emulator for package '" + model + "' is closed");
      }
      return execute(batch, inputs, keepCodes);
    } finally {
      read.unlock();
    }
  }

  private EmulatorRun execute(int batch, List<float[]> in, boolean keepCodes) {
    checkInputs(batch, in);
    if (firstHost != null && host == null) {
      throw new IllegalStateException("package '" + model + "': " + firstHost.where()
          + " runs on the host, but this Emulator was built without a HostExecutor");
    }
    RunState run = new RunState(batch, workers, host, buffers);
    for (int i = 0; i < inputs.length; i++) {
      run.put(inputs[i], in.get(i));
    }
    for (int i = 0; i < steps.length; i++) {
      steps[i].execute(run);
      if (!keepCodes) {
        for (int b : deadAfter[i]) {
          run.drop(b);
        }
      }
    }
    List<float[]> values = new ArrayList<>(outputs.length);
    List<int[]> shapes = new ArrayList<>(outputs.length);
    for (int b : outputs) {
      values.add(run.floats(b)); // PackageValidator: model outputs are FP32 buffers
      shapes.add(buffers[b].shapeWithBatch(batch));
    }
    List<byte[]> codes = new ArrayList<>();
    if (keepCodes) {
      for (int b = 0; b < buffers.length; b++) {
        codes.add(run.value(b) instanceof byte[] c ? c : null);
      }
    }
    return new EmulatorRun(batch, values, shapes, codes);
  }

  private void checkInputs(int batch, List<float[]> in) {
    if (batch < 1) {
      throw new IllegalArgumentException("model '" + model + "': batch must be >= 1, got "
          + batch);
    }
    if ((long) batch * maxPerImage > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("model '" + model + "': batch " + batch + " is too "
          + "large: a run would hold " + (long) batch * maxPerImage + " values in one array, "
          + "more than Java allows; the largest batch is "
          + (Integer.MAX_VALUE - 8) / maxPerImage);
    }
    if (in.size() != inputs.length) {
      throw new IllegalArgumentException("model '" + model + "' takes " + inputs.length
          + " input" + (inputs.length == 1 ? "" : "s") + ", got " + in.size());
    }
    for (int i = 0; i < inputs.length; i++) {
      BufferInfo b = buffers[inputs[i]];
      float[] v = in.get(i);
      if (v == null) {
        throw new IllegalArgumentException("model '" + model + "': input " + i + " '" + b.name()
            + "' is null");
      }
      long need = (long) batch * b.perImage();
      if (v.length != need) {
        throw new IllegalArgumentException("model '" + model + "': input " + i + " '" + b.name()
            + "' has " + v.length + " values; batch " + batch + " x " + Arrays.toString(b.shape())
            + " needs " + need);
      }
    }
  }

  /** Number of commands; a cut {@code at} of {@link #liveBuffers} lies in {@code 0..commandCount()}. */
  public int commandCount() {
    return steps.length;
  }

  /**
   * The package buffers a run holds at cut {@code at}, that is before command {@code at} ({@code
   * commandCount()}: after the last): each a model input or written by a command before the cut,
   * and read by a command from the cut on or a model output. Ascending. These are what crosses a
   * boundary between two pipeline stages (codes where the buffer holds codes).
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= at <= commandCount()}
   */
  public int[] liveBuffers(int at) {
    Objects.checkIndex(at, steps.length + 1);
    int count = 0;
    int[] live = new int[buffers.length];
    for (int b = 0; b < buffers.length; b++) {
      if (firstWrite[b] < at && lastRead[b] >= at) {
        live[count++] = b;
      }
    }
    return Arrays.copyOf(live, count);
  }

  /** Whether package buffer {@code buffer} holds FP32 values; otherwise it holds codes. */
  public boolean holdsFloats(int buffer) {
    return buffers[buffer].isFloat();
  }

  /**
   * The buffers at cut 0 of a run on {@code batch} images: the model inputs, not yet quantized.
   * {@code finish(runCommands(commandCount(), start(batch, inputs)))} equals {@code run(batch,
   * inputs)}; the steps between can run on different emulators of the same package (pipeline
   * stages).
   *
   * @param inputs as {@link #run(int, List)} takes them; the arrays are shared, not copied
   * @throws IllegalArgumentException if the inputs do not fit the package and the batch
   */
  public LiveBuffers start(int batch, List<float[]> inputs) {
    Objects.requireNonNull(inputs, "inputs");
    checkInputs(batch, inputs);
    Map<Integer, float[]> floats = new HashMap<>();
    for (int i = 0; i < this.inputs.length; i++) {
      floats.put(this.inputs[i], inputs.get(i));
    }
    return new LiveBuffers(0, batch, Map.of(), floats);
  }

  /**
   * Runs commands {@code [in.at(), to)} on the buffers of cut {@code in.at()} and returns those of
   * cut {@code to}. Bit for bit what {@link #run} computes on those commands; arrays not produced
   * by the commands are shared with {@code in}, which is not modified.
   *
   * @throws IllegalArgumentException if {@code to} is before {@code in.at()} or after the last
   *     command, or {@code in} does not hold exactly {@code liveBuffers(in.at())} with the sizes
   *     of its batch
   * @throws IllegalStateException as {@link #run} does
   */
  public LiveBuffers runCommands(int to, LiveBuffers in) {
    Objects.requireNonNull(in, "in");
    if (to < in.at() || to > steps.length) {
      throw new IllegalArgumentException("package '" + model + "': cannot run commands ["
          + in.at() + ", " + to + ") of " + steps.length);
    }
    ReentrantReadWriteLock.ReadLock read = lock.readLock();
    read.lock();
    try {
      if (closed) {
        throw new IllegalStateException("Emulator for package '" + model + "' is closed");
      }
      checkLive(in);
      if (firstHost != null && host == null) {
        throw new IllegalStateException("package '" + model + "': " + firstHost.where()
            + " runs on the host, but this Emulator was built without a HostExecutor");
      }
      RunState run = new RunState(in.batch(), workers, host, buffers);
      in.codes().forEach(run::put);
      in.floats().forEach(run::put);
      for (int i = in.at(); i < to; i++) {
        steps[i].execute(run);
        for (int b : deadAfter[i]) {
          run.drop(b);
        }
      }
      Map<Integer, byte[]> codes = new HashMap<>();
      Map<Integer, float[]> floats = new HashMap<>();
      for (int b : liveBuffers(to)) {
        if (buffers[b].isFloat()) {
          floats.put(b, run.floats(b));
        } else {
          codes.put(b, run.codes(b));
        }
      }
      return new LiveBuffers(to, in.batch(), codes, floats);
    } finally {
      read.unlock();
    }
  }

  /**
   * The model outputs of a run that has reached the last command.
   *
   * @throws IllegalArgumentException if {@code end} is not at cut {@code commandCount()}
   */
  public EmulatorRun finish(LiveBuffers end) {
    Objects.requireNonNull(end, "end");
    if (end.at() != steps.length) {
      throw new IllegalArgumentException("package '" + model + "': a run at command " + end.at()
          + " of " + steps.length + " has no outputs yet");
    }
    checkLive(end);
    List<float[]> values = new ArrayList<>(outputs.length);
    List<int[]> shapes = new ArrayList<>(outputs.length);
    for (int b : outputs) {
      values.add(end.floats().get(b));
      shapes.add(buffers[b].shapeWithBatch(end.batch()));
    }
    return new EmulatorRun(end.batch(), values, shapes, List.of());
  }

  /** {@code in} holds exactly the buffers of its cut, each of its kind and size. */
  private void checkLive(LiveBuffers in) {
    int[] live = liveBuffers(in.at());
    if (live.length != in.codes().size() + in.floats().size()) {
      throw new IllegalArgumentException("package '" + model + "': cut " + in.at() + " holds "
          + "buffers " + Arrays.toString(live) + ", given " + in.codes().keySet() + " (codes) and "
          + in.floats().keySet() + " (FP32)");
    }
    for (int b : live) {
      BufferInfo info = buffers[b];
      Object v = info.isFloat() ? in.floats().get(b) : in.codes().get(b);
      int length = v instanceof float[] f ? f.length : v instanceof byte[] c ? c.length : -1;
      if ((long) length != (long) in.batch() * info.perImage()) {
        throw new IllegalArgumentException("package '" + model + "': cut " + in.at() + ": "
            + info.describe() + (length < 0 ? " is missing" : " has " + length + " values; batch "
            + in.batch() + " needs " + (long) in.batch() * info.perImage()));
      }
    }
  }

  /**
   * Waits for running runs to finish, then stops the worker threads. Idempotent; later runs throw
   * IllegalStateException.
   *
   * @throws IllegalStateException if called from inside a run of this emulator (a {@link
   *     HostExecutor}), which would wait for itself
   */
  @Override
  public void close() {
    if (lock.getReadHoldCount() > 0) {
      throw new IllegalStateException("Emulator for package '" + model + "': close() called "
          + "from inside one of its runs");
    }
    ReentrantReadWriteLock.WriteLock write = lock.writeLock();
    write.lock();
    try {
      if (!closed) {
        closed = true;
        workers.shutdown();
        log.debug("emulator for package '{}' closed", model);
      }
    } finally {
      write.unlock();
    }
  }

  @Override
  public String toString() {
    return "Emulator[" + model + ", " + steps.length + " commands, " + workers.threads()
        + " threads" + (closed ? ", closed]" : "]");
  }
}
