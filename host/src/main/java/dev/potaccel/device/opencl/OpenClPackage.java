package dev.potaccel.device.opencl;

import dev.potaccel.emulator.HostExecutor;
import dev.potaccel.emulator.HostTensor;
import dev.potaccel.emulator.LiveBuffers;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.AddCommand;
import dev.potaccel.protocol.pkg.Buffer;
import dev.potaccel.protocol.pkg.BufferLifetimes;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.HostCommand;
import dev.potaccel.protocol.pkg.PackageFormatException;
import dev.potaccel.protocol.pkg.PoolCommand;
import dev.potaccel.protocol.pkg.PoolKind;
import dev.potaccel.protocol.pkg.Requantize;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A compiled package resident on an OpenCL device. At load: every conv's packed weight tiles
 * (docs/accelerator.md §4) are uploaded once and decoded on the device by decode_weights into the
 * levels its conv kernel streams (float when exact, else int; kernels-cl potaccel.cl, "CONV"), the
 * biases and shifts uploaded, one kernel object per command with its constant arguments set once.
 *
 * <p>A run writes the FP32 model inputs, enqueues every command in order on the device's compute
 * queue, and reads the FP32 outputs: activations stay on the device between commands, in a few
 * activation slots reused as soon as a buffer is dead (ping-pong for a chain, a third slot for a
 * residual branch; a reshape is a view of its input's slot). Model inputs and outputs have their
 * own device buffers, two of each, so that {@link #runPipelined} can upload batch i+1 on the
 * device's transfer queue while the kernels of batch i run, and download batch i while batch i+1
 * computes; event dependencies order the two queues. Only a HOST command reads its inputs back to
 * the host CPU engine and writes its outputs again. Every enqueue carries a profiling event, so a
 * run reports per-command device times and its upload / compute / download timeline.
 *
 * <p>Runs are serialized; {@link #close} releases every buffer and kernel and is idempotent.
 */
public final class OpenClPackage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OpenClPackage.class);
  /** Work-group size of the element-wise kernels (pool, add, CONVERT, decode). */
  private static final int ELEMENT_GROUP = 64;
  /**
   * Most work-items per conv work-group: 4 to 8 output rows of a 28-wide layer, measured fastest
   * on PoCL (whole 28-row planes were up to 1.5x slower, single rows lose to the halo staging).
   */
  private static final int CONV_GROUP_ITEMS = 64;
  /** Conv bands per image at least (when it has the rows), so a batch of 1 uses several cores. */
  private static final int MIN_BANDS = 2;
  /** Local staging memory a conv work-group may use at most (half a Zen 3 L2 on PoCL). */
  private static final long LOCAL_BUDGET = 256 * 1024;

  /** A package buffer as the device needs it. */
  private record Buf(int index, String name, int[] shape, int perImage, boolean isFloat, int bits,
      boolean signed, int frac, int lo, int hi) {
    long bytesPerImage() {
      return isFloat ? 4L * perImage : perImage;
    }

    int[] chw() {
      return shape.length == 3 ? shape.clone()
          : shape.length == 1 ? new int[] {shape[0], 1, 1} : null;
    }

    int[] shapeWithBatch(int batch) {
      int[] s = new int[shape.length + 1];
      s[0] = batch;
      System.arraycopy(shape, 0, s, 1, shape.length);
      return s;
    }

    String describe() {
      return "buffer " + index + " '" + name + "' " + Arrays.toString(shape)
          + (isFloat ? " FP32" : " " + bits + "-bit " + (signed ? "signed" : "unsigned") + " F="
          + frac);
    }
  }

  /** How a command's NDRange is shaped. */
  private enum Launch {
    /** One work-item per element, work-groups of {@link #ELEMENT_GROUP}. */
    ELEMENTS,
    /** One work-group per image and band of output rows, {@code local} work-items each. */
    CONV_BANDS,
    /** dim 0: groups of CONV_PB images, dim 1: channel blocks. */
    FC
  }

  /** One command: its kernel (null for RESHAPE and HOST) and how a run sets its arguments. */
  private static final class Op {
    final int index;
    final String name;
    final String kind;
    final String kernelName;
    final int[] reads;
    final int[] writes;
    /** Kernel argument index of each read buffer, then each written buffer. */
    final int[] bufferArgs;
    /** Argument index of the work-item (or image) count (batch-dependent), -1 for none. */
    final int countArg;
    final long itemsPerImage;
    final HostCommand host;
    Launch launch = Launch.ELEMENTS;
    /** CONV_BANDS: work-items per work-group; FC: channel blocks. */
    int local;
    /** CONV_BANDS: work-groups per image. */
    int bands = 1;
    /** ELEMENTS: elements each work-item takes (the add kernel: 16 vector lanes). */
    int elementsPerItem = 1;
    cl_kernel kernel;
    /** Constant int arguments of pool and add, from argument {@code staticFirst} on. */
    int staticFirst;
    int[] staticInts;

    Op(int index, String name, String kind, String kernelName, int[] reads, int[] writes,
        int[] bufferArgs, int countArg, long itemsPerImage, HostCommand host) {
      this.index = index;
      this.name = name;
      this.kind = kind;
      this.kernelName = kernelName;
      this.reads = reads;
      this.writes = writes;
      this.bufferArgs = bufferArgs;
      this.countArg = countArg;
      this.itemsPerImage = itemsPerImage;
      this.host = host;
    }

    String where() {
      return "command " + index + " (" + kind + " '" + name + "')";
    }
  }

  /** The device buffers and host staging one batch of a run uses. */
  private record BatchBuffers(cl_mem[] mem, ByteBuffer[] inStaging, ByteBuffer[] outStaging) {}

  /** The events of one batch in flight, grouped by phase. */
  private static final class InFlight {
    final int position;
    final int batch;
    final BatchBuffers buffers;
    final long startNanos;
    final List<cl_event> upload = new ArrayList<>();
    final List<cl_event> compute = new ArrayList<>();
    final List<int[]> computeOwner = new ArrayList<>(); // op position, or -3 - pos for HOST I/O
    final List<CommandTime> hostTimes = new ArrayList<>();
    final List<cl_event> download = new ArrayList<>();
    /** The batch's last compute event (a kernel or a HOST transfer): its download waits on it. */
    cl_event lastCompute;

    InFlight(int position, int batch, BatchBuffers buffers) {
      this.position = position;
      this.batch = batch;
      this.buffers = buffers;
      this.startNanos = System.nanoTime();
    }

    void release() {
      for (List<cl_event> l : List.of(upload, compute, download)) {
        for (cl_event e : l) {
          CL.clReleaseEvent(e);
        }
        l.clear();
      }
    }
  }

  private final OpenClDevice device;
  private final String source;
  private final String model;
  private final Buf[] bufs;
  private final List<Op> ops = new ArrayList<>();
  private final int[] inputs;
  private final int[] outputs;
  private final HostExecutor host;
  private final int peOut;
  private final ClProgram program;
  private final List<cl_mem> resident = new ArrayList<>();
  private final int[] storage;
  private final int storages;
  private final int[] slotOf;
  /** Which buffers a pipeline stage hands over at each cut. */
  private final BufferLifetimes lifetimes;
  private final long[] slotBytesPerImage;
  private final long residentBytes;
  private final long loadNanos;
  /** Set by the constructor before kernels are created: each conv's requantize message. */
  private final Map<Integer, Requantize> convRequant = new HashMap<>();
  private cl_mem[] slots;
  /** Two sets of model input, then output, device buffers (by storage), for pipelining. */
  private cl_mem[][] io;
  private ByteBuffer[][] inStaging;
  private ByteBuffer[][] outStaging;
  private int slotBatch;
  private boolean closed;

  OpenClPackage(OpenClDevice device, AcceleratorPackage pkg, String source, HostExecutor host) {
    long start = System.nanoTime();
    this.device = device;
    this.source = source;
    this.model = pkg.getProvenance().getModelName();
    this.host = host;
    this.peOut = pkg.getRequirements().getPeOut();
    this.bufs = new Buf[pkg.getBuffersCount()];
    for (int i = 0; i < bufs.length; i++) {
      bufs[i] = buf(i, pkg.getBuffers(i));
    }
    this.inputs = pkg.getInputBuffersList().stream().mapToInt(Integer::intValue).toArray();
    this.outputs = pkg.getOutputBuffersList().stream().mapToInt(Integer::intValue).toArray();
    boolean ok = false;
    try {
      this.program = device.program(peOut);
      byte[] weightBytes = pkg.getWeights().toByteArray();
      byte[] biasBytes = pkg.getBiases().toByteArray();
      int[] biasInts = new int[(biasBytes.length + 3) / 4];
      ByteBuffer.wrap(Arrays.copyOf(biasBytes, biasInts.length * 4))
          .order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(biasInts);
      cl_mem biases = upload(Pointer.to(biasInts), 4L * biasInts.length, "biases");
      List<ConvLayer> convs = new ArrayList<>();
      for (int i = 0; i < pkg.getCommandsCount(); i++) {
        Command cmd = pkg.getCommands(i);
        String kind = cmd.getOpCase().name().toLowerCase(Locale.ROOT);
        String where = source + ": command " + i + " (" + kind + " '" + cmd.getName() + "')";
        switch (cmd.getOpCase()) {
          case CONV -> {
            var c = cmd.getConv();
            Buf in = codes(c.getInput(), where);
            Buf out = codes(c.getOutput(), where);
            ConvLayer layer = ConvLayer.decode(where, pkg, c, in.chw(), out.chw(), in.signed(),
                in.bits(), weightBytes, biasBytes);
            convs.add(layer);
            convRequant.put(i, c.getRequantize());
            ops.add(convOp(i, cmd.getName(), kind, layer, c.getInput(), c.getOutput(), where));
          }
          case POOL -> ops.add(poolOp(i, cmd.getName(), cmd.getPool(), where));
          case ADD -> ops.add(addOp(i, cmd.getName(), cmd.getAdd(), where));
          case CONVERT -> {
            var c = cmd.getConvert();
            Buf in = buffer(c.getInput(), where);
            Buf out = buffer(c.getOutput(), where);
            if (in.isFloat() == out.isFloat() || in.perImage() != out.perImage()) {
              throw new PackageFormatException(where + ": converts " + in.describe() + " to "
                  + out.describe() + "; a CONVERT goes between FP32 and codes of one size");
            }
            Op op = new Op(i, cmd.getName(), kind, in.isFloat() ? "quantize" : "dequantize",
                new int[] {c.getInput()}, new int[] {c.getOutput()}, new int[] {0, 1}, 2,
                in.perImage(), null);
            ops.add(op);
          }
          case RESHAPE -> {
            var c = cmd.getReshape();
            Buf in = buffer(c.getInput(), where);
            Buf out = buffer(c.getOutput(), where);
            if (in.bytesPerImage() != out.bytesPerImage()) {
              throw new PackageFormatException(where + ": reshape of " + in.describe() + " to "
                  + out.describe() + " changes the size");
            }
            ops.add(new Op(i, cmd.getName(), kind, "", new int[] {c.getInput()},
                new int[] {c.getOutput()}, new int[0], -1, 0, null));
          }
          case HOST -> {
            HostCommand h = cmd.getHost();
            ops.add(new Op(i, cmd.getName(), kind, "",
                h.getInputsList().stream().mapToInt(Integer::intValue).toArray(),
                h.getOutputsList().stream().mapToInt(Integer::intValue).toArray(), new int[0], -1,
                0, h));
          }
          default -> throw new PackageFormatException(where + ": has no operation");
        }
      }
      // the per-layer shifts, one buffer for the whole package
      int[] shiftOff = new int[convs.size()];
      int total = 0;
      for (int j = 0; j < convs.size(); j++) {
        shiftOff[j] = total;
        total += convs.get(j).m();
      }
      int[] allShifts = new int[Math.max(1, total)];
      for (int j = 0; j < convs.size(); j++) {
        System.arraycopy(convs.get(j).shifts(), 0, allShifts, shiftOff[j], convs.get(j).m());
      }
      cl_mem shifts = upload(Pointer.to(allShifts), 4L * allShifts.length, "shifts");
      // the packed tiles are only read by decode_weights: released once every layer is decoded
      cl_mem packed = upload(Pointer.to(weightBytes), weightBytes.length, "packed weights");
      List<cl_mem> decodeInputs = new ArrayList<>();
      int convIndex = 0;
      for (Op op : ops) {
        if (op.kernelName.isEmpty()) {
          continue;
        }
        op.kernel = createKernel(op);
        if (op.kind.equals("conv")) {
          ConvLayer l = convs.get(convIndex);
          cl_mem levels = upload(Pointer.to(l.levels()), 4L * l.levels().length,
              "codebook levels of " + op.where());
          decodeInputs.add(levels);
          cl_mem decoded = decodeWeights(op, l, packed, levels);
          setConvArgs(op, l, decoded, biases, shifts, shiftOff[convIndex]);
          convIndex++;
        } else {
          setStaticArgs(op);
        }
      }
      ClErrors.check(CL.clFinish(device.queue()), "clFinish(decode_weights) for " + source);
      decodeInputs.add(packed);
      for (cl_mem m : decodeInputs) {
        resident.remove(m);
        CL.clReleaseMemObject(m);
      }
      // activation slots: reshapes share their input's storage; greedy reuse by liveness
      this.storage = new int[bufs.length];
      for (int b = 0; b < bufs.length; b++) {
        storage[b] = b;
      }
      for (Op op : ops) {
        if (op.kind.equals("reshape")) {
          storage[op.writes[0]] = storage[op.reads[0]];
        }
      }
      this.storages = bufs.length;
      this.slotOf = new int[storages];
      this.lifetimes = BufferLifetimes.of(pkg);
      this.slotBytesPerImage = planSlots();
      long bytes = 0;
      for (cl_mem m : resident) {
        bytes += memSize(m);
      }
      this.residentBytes = bytes;
      ok = true;
    } finally {
      if (!ok) {
        close();
      }
    }
    this.loadNanos = System.nanoTime() - start;
    LOG.info("{} loaded on {}: {} commands, {} resident bytes, {} activation slots, {} ms",
        source, device.info().spec(), ops.size(), residentBytes, slotBytesPerImage.length,
        loadNanos / 1_000_000);
  }

  /** A conv's command: its kernel, its launch shape (bands of output rows per work-group). */
  private Op convOp(int i, String name, String kind, ConvLayer l, int input, int output,
      String where) {
    if (l.fullyConnected()) {
      Op op = new Op(i, name, kind, l.kernel(), new int[] {input}, new int[] {output},
          new int[] {0, 1}, 7, 1, null);
      op.launch = Launch.FC;
      op.local = l.blocks();
      return op;
    }
    int maxItems = (int) Math.min(Integer.MAX_VALUE, device.maxWorkGroupSize());
    int rows = l.bandRows(Math.min(CONV_GROUP_ITEMS, maxItems),
        Math.min(LOCAL_BUDGET, device.localMemBytes()), MIN_BANDS, maxItems, where);
    // one local size for (almost) every layer: PoCL compiles a kernel once per local size, a
    // second or more each, so per-layer sizes would cost seconds at the first run; the spare
    // work-items only help stage the window
    int items = l.itemsPerBand(rows);
    int local = (items + CONV_GROUP_ITEMS - 1) / CONV_GROUP_ITEMS * CONV_GROUP_ITEMS;
    if (local > maxItems) {
      local = items;
    }
    Op op = new Op(i, name, kind, l.kernel(), new int[] {input}, new int[] {output},
        new int[] {0, 1}, -1, 0, null);
    op.launch = Launch.CONV_BANDS;
    op.local = local;
    op.bands = (l.oh() + rows - 1) / rows;
    return op;
  }

  /**
   * Runs decode_weights for one conv: the packed tiles to the [block][k][j] levels its kernel
   * streams, into a new resident buffer (enqueued; the constructor waits for all of them).
   */
  private cl_mem decodeWeights(Op op, ConvLayer l, cl_mem packed, cl_mem levels) {
    long elements = l.decodedElements();
    if (elements > Integer.MAX_VALUE) {
      throw new PackageFormatException(source + ": " + op.where() + ": " + elements
          + " decoded weights, more than 2^31 - 1");
    }
    cl_mem decoded = allocate(4L * elements, "decoded weights of " + op.where(),
        CL.CL_MEM_READ_ONLY);
    resident.add(decoded);
    int[] err = new int[1];
    String name = l.decodeKernel();
    cl_kernel k = CL.clCreateKernel(program.program(), name, err);
    ClErrors.check(err[0], "clCreateKernel(\"" + name + "\") for " + source + " " + op.where());
    try {
      String what = name + " for " + op.where();
      arg(k, 0, packed, what);
      int[] ints = {l.woff(), l.tileStride(), l.m(), l.k(), l.bits()};
      for (int j = 0; j < ints.length; j++) {
        arg(k, 1 + j, ints[j], what);
      }
      arg(k, 6, levels, what);
      arg(k, 7, l.mb(), what);
      arg(k, 8, (int) elements, what);
      arg(k, 9, decoded, what);
      long global = (elements + ELEMENT_GROUP - 1) / ELEMENT_GROUP * ELEMENT_GROUP;
      ClErrors.check(CL.clEnqueueNDRangeKernel(device.queue(), k, 1, null,
          new long[] {global}, new long[] {ELEMENT_GROUP}, 0, null, null),
          "clEnqueueNDRangeKernel(" + name + ", " + elements + " weights) for " + source + " "
          + op.where());
    } finally {
      CL.clReleaseKernel(k); // OpenCL keeps it alive until the enqueued launch has run
    }
    return decoded;
  }

  private static void arg(cl_kernel k, int index, int value, String what) {
    ClErrors.check(CL.clSetKernelArg(k, index, Sizeof.cl_int, Pointer.to(new int[] {value})),
        "clSetKernelArg(" + what + ", arg " + index + ")");
  }

  private static void arg(cl_kernel k, int index, cl_mem value, String what) {
    ClErrors.check(CL.clSetKernelArg(k, index, Sizeof.cl_mem, Pointer.to(value)),
        "clSetKernelArg(" + what + ", arg " + index + ")");
  }

  private Buf buf(int i, Buffer b) {
    int[] shape = b.getShapeList().stream().mapToInt(Integer::intValue).toArray();
    long per = 1;
    for (int d : shape) {
      per *= d;
    }
    if (b.getIsFloat()) {
      return new Buf(i, b.getName(), shape, (int) per, true, 32, true, 0, 0, 0);
    }
    int bits = b.getBits();
    int lo = b.getIsSigned() ? -(1 << (bits - 1)) : 0;
    int hi = b.getIsSigned() ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    return new Buf(i, b.getName(), shape, (int) per, false, bits, b.getIsSigned(),
        b.getFracBits(), lo, hi);
  }

  private Buf buffer(int index, String where) {
    if (index < 0 || index >= bufs.length) {
      throw new PackageFormatException(where + ": buffer " + Integer.toUnsignedString(index)
          + " does not exist");
    }
    return bufs[index];
  }

  private Buf codes(int index, String where) {
    Buf b = buffer(index, where);
    if (b.isFloat() || b.chw() == null) {
      throw new PackageFormatException(where + ": " + b.describe() + " must hold codes of shape"
          + " [C, H, W] or [K]");
    }
    return b;
  }

  /** {lo, hi, leaky} of §1.3 for an activation writing {@code out}. */
  private static int[] activation(Requantize rq, Buf out, String where) {
    Activation act = rq.getActivation();
    return switch (act) {
      case ACTIVATION_NONE -> new int[] {out.lo(), out.hi(), 0};
      case RELU -> new int[] {Math.max(0, out.lo()), out.hi(), 0};
      case RELU6 -> {
        if (out.frac() < 0) {
          throw new PackageFormatException(where + ": ReLU6 needs F_y >= 0, output "
              + out.describe() + " (docs/accelerator.md §1.3)");
        }
        long six = out.frac() >= 40 ? Long.MAX_VALUE : 6L << out.frac();
        yield new int[] {Math.max(0, out.lo()), (int) Math.min(out.hi(), six), 0};
      }
      case LEAKY_RELU -> {
        if (rq.getLeakyShift() < 1) {
          throw new PackageFormatException(where + ": LeakyReLU leaky_shift must be >= 1");
        }
        yield new int[] {out.lo(), out.hi(), Math.min(64, rq.getLeakyShift())};
      }
      default -> throw new PackageFormatException(where + ": unknown activation " + act);
    };
  }

  private Op poolOp(int i, String name, PoolCommand c, String where) {
    Buf in = codes(c.getInput(), where);
    Buf out = codes(c.getOutput(), where);
    int[] chw = in.chw();
    int[] ochw = out.chw();
    boolean global = c.getKind() == PoolKind.GLOBAL_AVERAGE;
    boolean max = c.getKind() == PoolKind.MAX;
    if (!global && !max && c.getKind() != PoolKind.AVERAGE) {
      throw new PackageFormatException(where + ": unknown pooling kind " + c.getKind());
    }
    int kh = global ? chw[1] : c.getKernelH();
    int kw = global ? chw[2] : c.getKernelW();
    int[] pads = global ? new int[4]
        : new int[] {c.getPadTop(), c.getPadLeft(), c.getPadBottom(), c.getPadRight()};
    if (max && (pads[0] >= kh || pads[2] >= kh || pads[1] >= kw || pads[3] >= kw)) {
      throw new PackageFormatException(where + ": MAX pooling pads " + Arrays.toString(pads)
          + " must be smaller than the kernel " + kh + "x" + kw);
    }
    long n = (long) kh * kw;
    int log2n = Long.bitCount(n) == 1 ? Long.numberOfTrailingZeros(n) : -1;
    int recip = 0;
    if (!max && log2n < 0) {
      if (n > 1 << 16) {
        throw new PackageFormatException(where + ": average window of " + n + " codes is more"
            + " than 2^16");
      }
      recip = (int) ((2 * 65536L + n) / (2 * n));
      if (c.getReciprocal() != recip) {
        throw new PackageFormatException(where + ": reciprocal is "
            + Integer.toUnsignedString(c.getReciprocal()) + "; a window of n = " + n
            + " needs R = round(2^16 / n) = " + recip + " (docs/accelerator.md §3.2)");
      }
    }
    int[] args = {chw[1], chw[2], ochw[1], ochw[2], kh, kw, global ? 1 : c.getStrideH(),
        global ? 1 : c.getStrideW(), pads[0], pads[1], max ? 1 : 0, log2n, recip,
        in.signed() ? 1 : 0, out.lo(), out.hi()};
    Op op = new Op(i, name, "pool", "pool", new int[] {c.getInput()}, new int[] {c.getOutput()},
        new int[] {0, 1}, 2, (long) ochw[0] * ochw[1] * ochw[2], null);
    op.staticFirst = 3;
    op.staticInts = args;
    return op;
  }

  private Op addOp(int i, String name, AddCommand c, String where) {
    Buf a = codes(c.getInputA(), where);
    Buf b = codes(c.getInputB(), where);
    Buf out = codes(c.getOutput(), where);
    if (a.perImage() != b.perImage() || a.perImage() != out.perImage()) {
      throw new PackageFormatException(where + ": shapes must be equal: " + a.describe() + ", "
          + b.describe() + ", " + out.describe());
    }
    int f = Math.max(a.frac(), b.frac());
    long sa = (long) f - a.frac();
    long sb = (long) f - b.frac();
    long amax = a.signed() ? 1L << (a.bits() - 1) : (1L << a.bits()) - 1;
    long bmax = b.signed() ? 1L << (b.bits() - 1) : (1L << b.bits()) - 1;
    if (sa > 31 || sb > 31 || (amax << sa) + (bmax << sb) > Integer.MAX_VALUE) {
      throw new PackageFormatException(where + ": aligning " + a.describe() + " and "
          + b.describe() + " to F = " + f + " can give sums beyond int32 (docs/accelerator.md"
          + " §3.3)");
    }
    Requantize rq = c.getRequantize();
    if (rq.getShiftCount() != 1 || rq.getShift(0) != (long) f - out.frac()) {
      throw new PackageFormatException(where + ": requantize.shift " + rq.getShiftList()
          + " but F - F_y = " + ((long) f - out.frac()) + " (docs/accelerator.md §3.3)");
    }
    int[] act = activation(rq, out, where);
    int s = Math.max(-64, Math.min(64, rq.getShift(0)));
    int[] args = {(int) sa, (int) sb, a.signed() ? 1 : 0, b.signed() ? 1 : 0, s, act[2], act[0],
        act[1]};
    Op op = new Op(i, name, "add", "add", new int[] {c.getInputA(), c.getInputB()},
        new int[] {c.getOutput()}, new int[] {0, 1, 2}, 3, out.perImage(), null);
    op.staticFirst = 4;
    op.staticInts = args;
    op.elementsPerItem = 16;
    return op;
  }

  private void setStaticArgs(Op op) {
    switch (op.kernelName) {
      case "quantize" -> {
        Buf out = bufs[op.writes[0]];
        setInts(op, 3, new int[] {out.frac(), out.lo(), out.hi()});
      }
      case "dequantize" -> {
        Buf in = bufs[op.reads[0]];
        setInts(op, 3, new int[] {in.frac(), in.signed() ? 1 : 0});
      }
      default -> setInts(op, op.staticFirst, op.staticInts); // pool, add
    }
  }

  private void setConvArgs(Op op, ConvLayer l, cl_mem weights, cl_mem biases, cl_mem shifts,
      int soff) {
    int cg = l.c() / l.groups();
    int mg = l.m() / l.groups();
    Buf in = bufs[op.reads[0]];
    Buf out = bufs[op.writes[0]];
    int[] act = activation(convRequant.get(op.index), out, source + ": " + op.where());
    setMem(op, 2, weights);
    setMem(op, 3, biases);
    setInts(op, 4, new int[] {l.boff()});
    setMem(op, 5, shifts);
    setInts(op, 6, new int[] {soff});
    if (op.launch == Launch.FC) {
      // 7: the batch, set per run
      setInts(op, 8, new int[] {l.k(), l.m(), in.signed() ? 1 : 0, act[2], act[0], act[1]});
      return;
    }
    int rows = (l.oh() + op.bands - 1) / op.bands;
    long local = l.localBytes(rows);
    ClErrors.check(CL.clSetKernelArg(op.kernel, 7, local, null), "clSetKernelArg("
        + op.kernelName + ", arg 7: " + local + " bytes of local memory) for " + op.where());
    setInts(op, 8, new int[] {l.c(), l.h(), l.w(), l.m(), l.oh(), l.ow(), l.kh(), l.kw(),
        l.sh(), l.sw(), l.dh(), l.dw(), l.pt(), l.pl(), cg, mg, in.signed() ? 1 : 0, act[2],
        act[0], act[1], rows, op.bands, l.tileRows(rows), l.tileCols()});
  }

  private cl_kernel createKernel(Op op) {
    int[] err = new int[1];
    cl_kernel k = CL.clCreateKernel(program.program(), op.kernelName, err);
    ClErrors.check(err[0], "clCreateKernel(\"" + op.kernelName + "\") for " + source + " "
        + op.where());
    return k;
  }

  private void setInts(Op op, int first, int[] values) {
    for (int j = 0; j < values.length; j++) {
      ClErrors.check(CL.clSetKernelArg(op.kernel, first + j, Sizeof.cl_int,
          Pointer.to(new int[] {values[j]})), "clSetKernelArg(" + op.kernelName + ", arg "
          + (first + j) + ") for " + op.where());
    }
  }

  private void setMem(Op op, int index, cl_mem mem) {
    ClErrors.check(CL.clSetKernelArg(op.kernel, index, Sizeof.cl_mem, Pointer.to(mem)),
        "clSetKernelArg(" + op.kernelName + ", arg " + index + ") for " + op.where());
  }

  private cl_mem upload(Pointer data, long bytes, String what) {
    cl_mem m = allocate(bytes, what, CL.CL_MEM_READ_ONLY);
    resident.add(m);
    if (bytes > 0) {
      ClErrors.check(CL.clEnqueueWriteBuffer(device.queue(), m, CL.CL_TRUE, 0, bytes, data, 0,
          null, null), "clEnqueueWriteBuffer(" + what + ", " + bytes + " bytes)");
    }
    return m;
  }

  private static long memSize(cl_mem m) {
    long[] v = new long[1];
    CL.clGetMemObjectInfo(m, CL.CL_MEM_SIZE, Sizeof.size_t, Pointer.to(v), null);
    return v[0];
  }

  /** True for the storages of model inputs and outputs: own buffers, not slots. */
  private boolean[] ioStorages() {
    boolean[] io = new boolean[storages];
    for (int b : inputs) {
      io[storage[b]] = true;
    }
    for (int b : outputs) {
      io[storage[b]] = true;
    }
    return io;
  }

  /**
   * Assigns the storages other than model inputs and outputs to slots by liveness; returns each
   * slot's bytes per image.
   */
  private long[] planSlots() {
    int[] first = new int[storages];
    int[] last = new int[storages];
    Arrays.fill(first, Integer.MAX_VALUE);
    Arrays.fill(last, -1);
    for (int b : inputs) {
      first[storage[b]] = -1;
    }
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      for (int r : op.reads) {
        if (first[storage[r]] == Integer.MAX_VALUE) {
          throw new PackageFormatException(source + ": " + op.where() + " reads "
              + bufs[r].describe() + " before any command writes it");
        }
        last[storage[r]] = Math.max(last[storage[r]], i);
      }
      for (int w : op.writes) {
        first[storage[w]] = Math.min(first[storage[w]], i);
        last[storage[w]] = Math.max(last[storage[w]], i);
      }
    }
    for (int b : outputs) {
      if (first[storage[b]] == Integer.MAX_VALUE) {
        throw new PackageFormatException(source + ": model output " + bufs[b].describe()
            + " is never written");
      }
      last[storage[b]] = Integer.MAX_VALUE;
    }
    boolean[] io = ioStorages();
    long[] storageBytes = new long[storages];
    for (Buf b : bufs) {
      storageBytes[storage[b.index()]] = Math.max(storageBytes[storage[b.index()]],
          b.bytesPerImage());
    }
    List<Long> slotBytes = new ArrayList<>();
    List<Integer> free = new ArrayList<>();
    Arrays.fill(slotOf, -1);
    for (int step = -1; step < ops.size(); step++) {
      for (int s = 0; s < storages; s++) {
        if (first[s] == step && storage[s] == s && !io[s]) {
          int slot;
          if (free.isEmpty()) {
            slot = slotBytes.size();
            slotBytes.add(0L);
          } else {
            // the free slot closest in size, to keep the largest slots for the largest buffers
            int best = 0;
            for (int f = 1; f < free.size(); f++) {
              long d = Math.abs(slotBytes.get(free.get(f)) - storageBytes[s]);
              if (d < Math.abs(slotBytes.get(free.get(best)) - storageBytes[s])) {
                best = f;
              }
            }
            slot = free.remove(best);
          }
          slotOf[s] = slot;
          slotBytes.set(slot, Math.max(slotBytes.get(slot), storageBytes[s]));
        }
      }
      for (int s = 0; s < storages; s++) {
        if (storage[s] == s && slotOf[s] >= 0 && last[s] == step && step >= 0) {
          free.add(slotOf[s]);
        }
      }
    }
    return slotBytes.stream().mapToLong(Long::longValue).toArray();
  }

  /**
   * The slots, the two sets of model input and output buffers and their host staging for
   * {@code batch} images, reallocated when the batch grows.
   */
  private void ensureBuffers(int batch) {
    if (slots != null && batch <= slotBatch) {
      return;
    }
    releaseSlots();
    List<cl_mem> made = new ArrayList<>();
    try {
      cl_mem[] s = new cl_mem[slotBytesPerImage.length];
      for (int i = 0; i < s.length; i++) {
        s[i] = allocate(slotBytesPerImage[i] * batch, "activation slot " + i,
            CL.CL_MEM_READ_WRITE);
        made.add(s[i]);
      }
      boolean[] isIo = ioStorages();
      cl_mem[][] own = new cl_mem[2][storages];
      for (int set = 0; set < 2; set++) {
        for (int st = 0; st < storages; st++) {
          if (isIo[st] && storage[st] == st) {
            long bytes = 0;
            for (Buf b : bufs) {
              if (storage[b.index()] == st) {
                bytes = Math.max(bytes, b.bytesPerImage());
              }
            }
            own[set][st] = allocate(bytes * batch, "model input/output " + bufs[st].describe()
                + ", set " + set, CL.CL_MEM_READ_WRITE);
            made.add(own[set][st]);
          }
        }
      }
      ByteBuffer[][] in = new ByteBuffer[2][inputs.length];
      ByteBuffer[][] out = new ByteBuffer[2][outputs.length];
      for (int set = 0; set < 2; set++) {
        for (int i = 0; i < inputs.length; i++) {
          in[set][i] = direct(bufs[inputs[i]].bytesPerImage() * batch);
        }
        for (int o = 0; o < outputs.length; o++) {
          out[set][o] = direct(bufs[outputs[o]].bytesPerImage() * batch);
        }
      }
      slots = s;
      io = own;
      inStaging = in;
      outStaging = out;
      slotBatch = batch;
    } catch (RuntimeException e) {
      for (cl_mem m : made) {
        CL.clReleaseMemObject(m);
      }
      throw e;
    }
  }

  private static ByteBuffer direct(long bytes) {
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a model input or output of " + bytes + " bytes per"
          + " batch is more than 2^31 - 1");
    }
    return ByteBuffer.allocateDirect((int) Math.max(4, bytes)).order(ByteOrder.nativeOrder());
  }

  private cl_mem allocate(long bytes, String what, long flags) {
    int[] err = new int[1];
    long size = Math.max(4, bytes);
    cl_mem m = CL.clCreateBuffer(device.context(), flags, size, null, err);
    ClErrors.check(err[0], "clCreateBuffer(" + what + ", " + size + " bytes)");
    return m;
  }

  private void releaseSlots() {
    if (slots != null) {
      for (cl_mem m : slots) {
        CL.clReleaseMemObject(m);
      }
      for (cl_mem[] set : io) {
        for (cl_mem m : set) {
          if (m != null) {
            CL.clReleaseMemObject(m);
          }
        }
      }
      slots = null;
      io = null;
      inStaging = null;
      outStaging = null;
      slotBatch = 0;
    }
  }

  /** Number of model inputs. */
  public int inputCount() {
    return inputs.length;
  }

  /** Model input {@code i}'s shape without the batch. */
  public int[] inputShape(int i) {
    return bufs[inputs[i]].shape().clone();
  }

  /** Bytes resident from load on (decoded weights, biases, shifts). */
  public long residentBytes() {
    return residentBytes;
  }

  /** Activation slots and their bytes per image. */
  public long[] slotBytesPerImage() {
    return slotBytesPerImage.clone();
  }

  /** How the kernels were obtained (source build, cache, bitstream) and in how long. */
  public String programReport() {
    return String.format(Locale.ROOT, "kernels %s in %.1f ms%s", program.origin().text,
        program.loadNanos() / 1e6, program.file() != null ? " (" + program.file() + ")" : "");
  }

  /** Wall time of the program build or load that this package's kernels came from. */
  public long programLoadNanos() {
    return program.loadNanos();
  }

  /** True if the kernels came from the program cache or a bitstream binary. */
  public boolean programFromBinary() {
    return program.origin() != ClProgram.Origin.SOURCE;
  }

  /** Wall time of {@link OpenClDevice#load}, the program build included. */
  public long loadNanos() {
    return loadNanos;
  }

  public OpenClDevice device() {
    return device;
  }

  /** Same as {@code run(batch, inputs, false)}. */
  public OpenClRun run(int batch, List<float[]> in) {
    return run(batch, in, false);
  }

  /**
   * Runs {@code batch} images.
   *
   * @param in one FP32 array per model input, NCHW, batch first
   * @param keepCodes also return every code buffer (each buffer then gets its own device memory
   *     for this run)
   * @throws IllegalArgumentException if the inputs do not fit the package
   * @throws IllegalStateException if closed, or the package has HOST commands and no executor
   * @throws OpenClException when an OpenCL call fails
   */
  public synchronized OpenClRun run(int batch, List<float[]> in, boolean keepCodes) {
    checkRunnable(batch, in);
    if (!keepCodes) {
      return runPipelined(batch, List.of(in)).get(0);
    }
    List<cl_mem> temporary = new ArrayList<>();
    InFlight f = null;
    try {
      ensureBuffers(batch);
      cl_mem[] own = new cl_mem[storages];
      cl_mem[] mem = new cl_mem[bufs.length];
      for (int b = 0; b < bufs.length; b++) {
        int s = storage[b];
        if (own[s] == null) {
          long bytes = 0;
          for (Buf x : bufs) {
            if (storage[x.index()] == s) {
              bytes = Math.max(bytes, x.bytesPerImage());
            }
          }
          own[s] = allocate(bytes * batch, "buffer " + s, CL.CL_MEM_READ_WRITE);
          temporary.add(own[s]);
        }
        mem[b] = own[s];
      }
      f = new InFlight(0, batch, new BatchBuffers(mem, inStaging[0], outStaging[0]));
      enqueueUpload(f, in, null);
      enqueueCompute(f, null);
      enqueueDownload(f);
      List<byte[]> codes = new ArrayList<>();
      for (Buf b : bufs) {
        if (b.isFloat()) {
          codes.add(null);
          continue;
        }
        byte[] c = new byte[b.perImage() * batch];
        ClErrors.check(CL.clEnqueueReadBuffer(device.queue(), mem[b.index()], CL.CL_TRUE, 0,
            c.length, Pointer.to(c), 0, null, null), "clEnqueueReadBuffer(" + b.describe()
            + ")");
        codes.add(c);
      }
      return finish(f, codes);
    } finally {
      if (f != null) {
        f.release();
      }
      CL.clFinish(device.queue()); // before the buffers go; a failure here is already reported
      for (cl_mem m : temporary) {
        CL.clReleaseMemObject(m);
      }
    }
  }

  /**
   * Runs several batches of {@code batch} images each, the upload of batch i+1 (transfer queue)
   * overlapping the kernels of batch i (compute queue), and the download of batch i overlapping
   * the kernels of batch i+1. Each result's {@link OpenClRun#timeline} shows when its phases ran.
   *
   * @param batches per batch, one FP32 array per model input, NCHW, batch first
   * @throws IllegalArgumentException if the inputs do not fit the package
   * @throws IllegalStateException if closed, or the package has HOST commands and no executor
   * @throws OpenClException when an OpenCL call fails
   */
  public synchronized List<OpenClRun> runPipelined(int batch, List<List<float[]>> batches) {
    for (List<float[]> in : batches) {
      checkRunnable(batch, in);
    }
    ensureBuffers(batch);
    List<OpenClRun> results = new ArrayList<>();
    InFlight[] flights = new InFlight[batches.size()];
    try {
      if (!batches.isEmpty()) {
        flights[0] = start(0, batch, batches.get(0), null);
      }
      for (int i = 0; i < batches.size(); i++) {
        if (i + 1 < batches.size()) {
          // input set (i + 1) % 2 was last used by batch i - 1, whose kernels may still run
          flights[i + 1] = start(i + 1, batch, batches.get(i + 1),
              i >= 1 ? flights[i - 1] : null);
        }
        // output set i % 2 was last used by batch i - 2, finished (downloaded) already
        enqueueCompute(flights[i], null);
        enqueueDownload(flights[i]);
        if (i >= 1) {
          results.add(finish(flights[i - 1], List.of()));
          flights[i - 1].release();
          flights[i - 1] = null;
        }
      }
      int lastIndex = batches.size() - 1;
      if (lastIndex >= 0) {
        results.add(finish(flights[lastIndex], List.of()));
        flights[lastIndex].release();
        flights[lastIndex] = null;
      }
      return results;
    } finally {
      CL.clFinish(device.transferQueue());
      CL.clFinish(device.queue());
      for (InFlight f : flights) {
        if (f != null) {
          f.release();
        }
      }
    }
  }

  /**
   * Runs commands {@code [in.at(), to)} on the buffers of cut {@code in.at()} and returns those of
   * cut {@code to} ({@link BufferLifetimes#liveAt}): one pipeline stage. The buffers in {@code in}
   * are written to the device storage the package gives them, the commands run as in {@link #run},
   * and the buffers live at {@code to} are read back (codes as codes: one byte each). Bit for bit
   * what the emulator's {@code runCommands} computes, so stages may alternate between the two.
   *
   * @throws IllegalArgumentException if {@code to} is outside {@code [in.at(), commandCount]} or
   *     {@code in} does not hold exactly the buffers live at its cut, with the sizes of its batch
   * @throws IllegalStateException if closed, or a HOST command is in range and there is no executor
   * @throws OpenClException when an OpenCL call fails
   */
  public synchronized LiveBuffers runCommands(int to, LiveBuffers in) {
    if (closed) {
      throw new IllegalStateException("OpenCL package " + source + " is closed");
    }
    if (to < in.at() || to > ops.size()) {
      throw new IllegalArgumentException(source + ": cannot run commands [" + in.at() + ", " + to
          + ") of " + ops.size());
    }
    int batch = in.batch();
    checkLive(in);
    for (int pos = in.at(); pos < to; pos++) {
      if (ops.get(pos).host != null && host == null) {
        throw new IllegalStateException(source + ": " + ops.get(pos).where() + " runs on the"
            + " host, but the package was loaded without a HostExecutor");
      }
    }
    ensureBuffers(batch);
    InFlight f = inFlight(0, batch);
    try {
      cl_mem[] mem = f.buffers.mem();
      in.codes().forEach((b, c) -> write(mem[b], Pointer.to(c), c.length, bufs[b]));
      in.floats().forEach((b, v) -> write(mem[b], Pointer.to(v), 4L * v.length, bufs[b]));
      enqueueCompute(f, null, in.at(), to);
      Map<Integer, byte[]> codes = new HashMap<>();
      Map<Integer, float[]> floats = new HashMap<>();
      for (int b : lifetimes.liveAt(to)) {
        Buf buf = bufs[b];
        if (buf.isFloat()) {
          float[] v = new float[buf.perImage() * batch];
          read(mem[b], Pointer.to(v), 4L * v.length, buf);
          floats.put(b, v);
        } else {
          byte[] c = new byte[buf.perImage() * batch];
          read(mem[b], Pointer.to(c), c.length, buf);
          codes.put(b, c);
        }
      }
      return new LiveBuffers(to, batch, codes, floats);
    } finally {
      f.release();
      CL.clFinish(device.queue()); // a failure here is already reported by the read
    }
  }

  /** {@code in} holds exactly the buffers live at its cut, each the size of its batch. */
  private void checkLive(LiveBuffers in) {
    int[] live = lifetimes.liveAt(in.at());
    Set<Integer> given = new TreeSet<>(in.codes().keySet());
    given.addAll(in.floats().keySet());
    Set<Integer> want = new TreeSet<>();
    for (int b : live) {
      want.add(b);
    }
    if (!given.equals(want)) {
      throw new IllegalArgumentException(source + ": the buffers at cut " + in.at() + " are "
          + want + ", got " + given);
    }
    for (int b : live) {
      Buf buf = bufs[b];
      int length = buf.isFloat() ? lengthOf(in.floats().get(b)) : lengthOf(in.codes().get(b));
      if (length != (long) buf.perImage() * in.batch()) {
        throw new IllegalArgumentException(source + ": " + buf.describe() + " at cut " + in.at()
            + " must hold " + (buf.isFloat() ? "FP32 values" : "codes") + " for batch "
            + in.batch() + " (" + (long) buf.perImage() * in.batch() + "), got " + (length < 0
            ? "the other kind" : Integer.toString(length)));
      }
    }
  }

  private static int lengthOf(Object array) {
    return array instanceof byte[] c ? c.length : array instanceof float[] v ? v.length : -1;
  }

  private void write(cl_mem mem, Pointer from, long bytes, Buf b) {
    ClErrors.check(CL.clEnqueueWriteBuffer(device.queue(), mem, CL.CL_TRUE, 0, bytes, from, 0,
        null, null), "clEnqueueWriteBuffer(" + b.describe() + ")");
  }

  private void read(cl_mem mem, Pointer to, long bytes, Buf b) {
    ClErrors.check(CL.clEnqueueReadBuffer(device.queue(), mem, CL.CL_TRUE, 0, bytes, to, 0,
        null, null), "clEnqueueReadBuffer(" + b.describe() + ")");
  }

  /**
   * Batch {@code position}'s buffers (set position % 2 of the model inputs and outputs, the
   * shared slots) and its upload, which waits for {@code previousUser}'s kernels (the last batch
   * that read this input set) when there is one.
   */
  private InFlight start(int position, int batch, List<float[]> in, InFlight previousUser) {
    InFlight f = inFlight(position, batch);
    enqueueUpload(f, in, previousUser);
    return f;
  }

  /** Batch {@code position}'s buffers: set position % 2 of the model inputs and outputs, the slots. */
  private InFlight inFlight(int position, int batch) {
    int set = position % 2;
    cl_mem[] mem = new cl_mem[bufs.length];
    for (int b = 0; b < bufs.length; b++) {
      int s = storage[b];
      mem[b] = io[set][s] != null ? io[set][s] : slotOf[s] >= 0 ? slots[slotOf[s]] : null;
    }
    return new InFlight(position, batch, new BatchBuffers(mem, inStaging[set], outStaging[set]));
  }

  /**
   * Copies the inputs into the staging buffers and enqueues their non-blocking upload, after
   * {@code previousUser}'s kernels (which read the same device buffers).
   */
  private void enqueueUpload(InFlight f, List<float[]> in, InFlight previousUser) {
    cl_event[] wait = previousUser != null && previousUser.lastCompute != null
        ? new cl_event[] {previousUser.lastCompute} : null;
    if (previousUser != null && !previousUser.upload.isEmpty()) {
      // the staging buffers are the ones previousUser's upload copies from
      ClErrors.check(CL.clWaitForEvents(previousUser.upload.size(),
          previousUser.upload.toArray(new cl_event[0])), "clWaitForEvents(upload of batch "
          + previousUser.position + ")");
    }
    for (int i = 0; i < inputs.length; i++) {
      float[] v = in.get(i);
      ByteBuffer staging = f.buffers.inStaging()[i];
      staging.clear();
      staging.asFloatBuffer().put(v);
      cl_event ev = new cl_event();
      ClErrors.check(CL.clEnqueueWriteBuffer(device.transferQueue(), f.buffers.mem()[inputs[i]],
          CL.CL_FALSE, 0, 4L * v.length, Pointer.to(staging), wait == null ? 0 : wait.length,
          wait, ev), "clEnqueueWriteBuffer(model input " + bufs[inputs[i]].describe() + ")");
      f.upload.add(ev);
    }
    // the transfer queue must start now, not at the next blocking call: PoCL and others defer
    CL.clFlush(device.transferQueue());
  }

  /**
   * Enqueues every command of batch {@code f} on the compute queue; the first waits for the
   * batch's upload and for {@code outputUser}'s download (the batch that last used this output
   * set).
   */
  private void enqueueCompute(InFlight f, InFlight outputUser) {
    enqueueCompute(f, outputUser, 0, ops.size());
  }

  /** As {@link #enqueueCompute(InFlight, InFlight)} for commands {@code [from, to)} only. */
  private void enqueueCompute(InFlight f, InFlight outputUser, int from, int to) {
    List<cl_event> first = new ArrayList<>(f.upload);
    if (outputUser != null) {
      first.addAll(outputUser.download);
    }
    cl_event[] wait = first.isEmpty() ? null : first.toArray(new cl_event[0]);
    cl_mem[] mem = f.buffers.mem();
    int batch = f.batch;
    for (int pos = from; pos < to; pos++) {
      Op op = ops.get(pos);
      if (op.host != null) {
        if (wait != null) {
          ClErrors.check(CL.clWaitForEvents(wait.length, wait), "clWaitForEvents(upload)");
          wait = null;
        }
        f.hostTimes.add(runHost(op, batch, mem, f, pos));
        continue;
      }
      if (op.kernel == null) {
        continue; // reshape: a view
      }
      for (int r = 0; r < op.reads.length; r++) {
        setMem(op, op.bufferArgs[r], mem[op.reads[r]]);
      }
      for (int w = 0; w < op.writes.length; w++) {
        setMem(op, op.bufferArgs[op.reads.length + w], mem[op.writes[w]]);
      }
      long[] global;
      long[] local;
      switch (op.launch) {
        case CONV_BANDS -> {
          global = new long[] {(long) batch * op.bands * op.local};
          local = new long[] {op.local};
        }
        case FC -> {
          setInts(op, op.countArg, new int[] {batch});
          long groups = (batch + ConvLayer.PIXELS_PER_ITEM - 1) / ConvLayer.PIXELS_PER_ITEM;
          global = new long[] {groups, op.local};
          local = new long[] {1, 1}; // one local size whatever the batch (see convOp)
        }
        default -> {
          long count = op.itemsPerImage * batch;
          if (count > Integer.MAX_VALUE - ELEMENT_GROUP) {
            throw new IllegalArgumentException(source + ": " + op.where() + ": batch " + batch
                + " needs " + count + " work-items, more than 2^31 - 65");
          }
          setInts(op, op.countArg, new int[] {(int) count});
          long items = (count + op.elementsPerItem - 1) / op.elementsPerItem;
          global = new long[] {(items + ELEMENT_GROUP - 1) / ELEMENT_GROUP * ELEMENT_GROUP};
          local = new long[] {ELEMENT_GROUP};
        }
      }
      cl_event ev = new cl_event();
      ClErrors.check(CL.clEnqueueNDRangeKernel(device.queue(), op.kernel, global.length, null,
          global, local, wait == null ? 0 : wait.length, wait, ev), "clEnqueueNDRangeKernel("
          + op.kernelName + ", global " + Arrays.toString(global) + ", local "
          + Arrays.toString(local) + ") for " + source + " " + op.where() + " (batch " + batch
          + ")");
      wait = null;
      f.compute.add(ev);
      f.computeOwner.add(new int[] {pos});
      f.lastCompute = ev;
    }
    if (wait != null) { // no kernel at all: the outputs are the inputs
      f.lastCompute = wait[wait.length - 1];
    }
    CL.clFlush(device.queue());
  }

  /** Enqueues the non-blocking download of the outputs after the batch's last command. */
  private void enqueueDownload(InFlight f) {
    cl_event[] wait = f.lastCompute != null ? new cl_event[] {f.lastCompute} : null;
    for (int o = 0; o < outputs.length; o++) {
      Buf b = bufs[outputs[o]];
      ByteBuffer staging = f.buffers.outStaging()[o];
      cl_event ev = new cl_event();
      ClErrors.check(CL.clEnqueueReadBuffer(device.transferQueue(), f.buffers.mem()[outputs[o]],
          CL.CL_FALSE, 0, b.bytesPerImage() * f.batch, Pointer.to(staging),
          wait == null ? 0 : wait.length, wait, ev), "clEnqueueReadBuffer(model output "
          + b.describe() + ")");
      f.download.add(ev);
    }
    CL.clFlush(device.transferQueue());
  }

  /** Waits for the batch's download and builds its result. */
  private OpenClRun finish(InFlight f, List<byte[]> codes) {
    if (!f.download.isEmpty()) {
      ClErrors.check(CL.clWaitForEvents(f.download.size(), f.download.toArray(new cl_event[0])),
          "clWaitForEvents(download of batch " + f.position + ")");
    }
    List<float[]> values = new ArrayList<>();
    List<int[]> shapes = new ArrayList<>();
    for (int o = 0; o < outputs.length; o++) {
      Buf b = bufs[outputs[o]];
      float[] v = new float[b.perImage() * f.batch];
      ByteBuffer staging = f.buffers.outStaging()[o];
      staging.clear();
      staging.asFloatBuffer().get(v);
      values.add(v);
      shapes.add(b.shapeWithBatch(f.batch));
    }
    BatchTimeline timeline = new BatchTimeline(start(f.upload), end(f.upload),
        start(f.compute), end(f.compute), start(f.download), end(f.download));
    return new OpenClRun(f.batch, values, shapes, codes, times(f), timeline,
        System.nanoTime() - f.startNanos);
  }

  private static long start(List<cl_event> events) {
    long min = Long.MAX_VALUE;
    for (cl_event e : events) {
      min = Math.min(min, profile(e, CL.CL_PROFILING_COMMAND_START));
    }
    return events.isEmpty() ? 0 : min;
  }

  private static long end(List<cl_event> events) {
    long max = 0;
    for (cl_event e : events) {
      max = Math.max(max, profile(e, CL.CL_PROFILING_COMMAND_END));
    }
    return max;
  }

  private static long profile(cl_event e, int what) {
    long[] v = new long[1];
    int err = CL.clGetEventProfilingInfo(e, what, Sizeof.cl_ulong, Pointer.to(v), null);
    return err == 0 ? v[0] : 0;
  }

  private CommandTime runHost(Op op, int batch, cl_mem[] mem, InFlight f, int pos) {
    List<HostTensor> in = new ArrayList<>();
    for (int r : op.reads) {
      Buf b = bufs[r];
      float[] v = new float[b.perImage() * batch];
      cl_event ev = new cl_event();
      ClErrors.check(CL.clEnqueueReadBuffer(device.queue(), mem[r], CL.CL_TRUE, 0,
          4L * v.length, Pointer.to(v), 0, null, ev), "clEnqueueReadBuffer(" + b.describe()
          + " for " + op.where() + ")");
      f.compute.add(ev);
      f.computeOwner.add(new int[] {-3 - pos});
      f.lastCompute = ev;
      in.add(new HostTensor(b.name(), b.shapeWithBatch(batch), v));
    }
    List<HostTensor> out = new ArrayList<>();
    for (int w : op.writes) {
      Buf b = bufs[w];
      out.add(new HostTensor(b.name(), b.shapeWithBatch(batch), new float[b.perImage() * batch]));
    }
    long t0 = System.nanoTime();
    host.run(op.host, List.copyOf(in), List.copyOf(out));
    long t = System.nanoTime() - t0;
    for (int j = 0; j < op.writes.length; j++) {
      float[] v = out.get(j).values();
      cl_event ev = new cl_event();
      ClErrors.check(CL.clEnqueueWriteBuffer(device.queue(), mem[op.writes[j]], CL.CL_TRUE, 0,
          4L * v.length, Pointer.to(v), 0, null, ev), "clEnqueueWriteBuffer("
          + bufs[op.writes[j]].describe() + " from " + op.where() + ")");
      f.compute.add(ev);
      f.computeOwner.add(new int[] {-3 - pos});
      f.lastCompute = ev;
    }
    return new CommandTime(op.index, op.name, "host", "", t);
  }

  private List<CommandTime> times(InFlight f) {
    long[] perOp = new long[ops.size()];
    long[] transferOp = new long[ops.size()];
    for (int i = 0; i < f.compute.size(); i++) {
      long t = duration(f.compute.get(i));
      int o = f.computeOwner.get(i)[0];
      if (o <= -3) {
        transferOp[-3 - o] += t;
      } else {
        perOp[o] += t;
      }
    }
    long up = 0;
    for (cl_event e : f.upload) {
      up += duration(e);
    }
    long down = 0;
    for (cl_event e : f.download) {
      down += duration(e);
    }
    List<CommandTime> out = new ArrayList<>();
    out.add(new CommandTime(-1, "inputs", "transfer", "", up));
    int h = 0;
    for (int p = 0; p < ops.size(); p++) {
      Op op = ops.get(p);
      if (op.host != null) {
        out.add(new CommandTime(op.index, op.name + " (transfers)", "transfer", "",
            transferOp[p]));
        out.add(f.hostTimes.get(h++));
      } else {
        out.add(new CommandTime(op.index, op.name, op.kind, op.kernelName, perOp[p]));
      }
    }
    out.add(new CommandTime(-1, "outputs", "transfer", "", down));
    return out;
  }

  private static long duration(cl_event e) {
    long[] a = new long[1];
    long[] b = new long[1];
    int e1 = CL.clGetEventProfilingInfo(e, CL.CL_PROFILING_COMMAND_START, Sizeof.cl_ulong,
        Pointer.to(a), null);
    int e2 = CL.clGetEventProfilingInfo(e, CL.CL_PROFILING_COMMAND_END, Sizeof.cl_ulong,
        Pointer.to(b), null);
    return e1 == 0 && e2 == 0 ? Math.max(0, b[0] - a[0]) : 0;
  }

  private void checkRunnable(int batch, List<float[]> in) {
    if (closed) {
      throw new IllegalStateException("OpenCL package " + source + " is closed");
    }
    checkInputs(batch, in);
    for (Op op : ops) {
      if (op.host != null && host == null) {
        throw new IllegalStateException(source + ": " + op.where() + " runs on the host, but"
            + " the package was loaded without a HostExecutor");
      }
    }
  }

  private void checkInputs(int batch, List<float[]> in) {
    if (batch < 1) {
      throw new IllegalArgumentException(source + ": batch must be >= 1, got " + batch);
    }
    if (in.size() != inputs.length) {
      throw new IllegalArgumentException(source + " takes " + inputs.length + " inputs, got "
          + in.size());
    }
    for (int i = 0; i < inputs.length; i++) {
      Buf b = bufs[inputs[i]];
      float[] v = in.get(i);
      if (v == null || v.length != (long) batch * b.perImage()) {
        throw new IllegalArgumentException(source + ": input " + i + " '" + b.name() + "' has "
            + (v == null ? "no" : Integer.toString(v.length)) + " values; batch " + batch
            + " x " + Arrays.toString(b.shape()) + " needs " + (long) batch * b.perImage());
      }
    }
  }

  /** Releases the activation slots, resident buffers and kernels; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    releaseSlots();
    for (Op op : ops) {
      if (op.kernel != null) {
        CL.clReleaseKernel(op.kernel);
        op.kernel = null;
      }
    }
    for (cl_mem m : resident) {
      CL.clReleaseMemObject(m);
    }
    resident.clear();
    LOG.debug("released {} on {}", source, device.info().spec());
  }

  @Override
  public String toString() {
    return "OpenClPackage[" + (model.isEmpty() ? "(unnamed)" : model) + " on "
        + device.info().spec() + (closed ? ", closed]" : "]");
  }
}
