package dev.potaccel.device.opencl;

import dev.potaccel.emulator.HostExecutor;
import dev.potaccel.emulator.HostTensor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.AddCommand;
import dev.potaccel.protocol.pkg.Buffer;
import dev.potaccel.protocol.pkg.Command;
import dev.potaccel.protocol.pkg.HostCommand;
import dev.potaccel.protocol.pkg.PackageFormatException;
import dev.potaccel.protocol.pkg.PoolCommand;
import dev.potaccel.protocol.pkg.PoolKind;
import dev.potaccel.protocol.pkg.Requantize;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A compiled package resident on an OpenCL device: the weight and bias blobs exactly as packed
 * (docs/accelerator.md §4; the kernels unpack the codes), the codebook tables and shifts uploaded
 * once at load, one kernel object per command with its constant arguments set once.
 *
 * <p>A run writes the FP32 model inputs, enqueues every command in order on the device's in-order
 * queue, and reads the FP32 outputs: activations stay on the device between commands, in a few
 * activation slots reused as soon as a buffer is dead (ping-pong for a chain, a third slot for a
 * residual branch; a reshape is a view of its input's slot). Only a HOST command reads its inputs
 * back to the host CPU engine and writes its outputs again. Every enqueue carries a profiling
 * event, so a run reports per-command device times.
 *
 * <p>Runs are serialized (one queue); {@link #close} releases every buffer and kernel and is
 * idempotent.
 */
public final class OpenClPackage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OpenClPackage.class);
  /** The dim-0 global size is rounded up to this (kernels skip the extra work-items). */
  private static final int ROUND = 16;

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
    /** Argument index of the work-item count (batch-dependent), -1 for none. */
    final int countArg;
    final long itemsPerImage;
    final int dim1;
    final HostCommand host;
    cl_kernel kernel;
    /** Constant int arguments of pool and add, from argument {@code staticFirst} on. */
    int staticFirst;
    int[] staticInts;

    Op(int index, String name, String kind, String kernelName, int[] reads, int[] writes,
        int[] bufferArgs, int countArg, long itemsPerImage, int dim1, HostCommand host) {
      this.index = index;
      this.name = name;
      this.kind = kind;
      this.kernelName = kernelName;
      this.reads = reads;
      this.writes = writes;
      this.bufferArgs = bufferArgs;
      this.countArg = countArg;
      this.itemsPerImage = itemsPerImage;
      this.dim1 = dim1;
      this.host = host;
    }

    String where() {
      return "command " + index + " (" + kind + " '" + name + "')";
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
  private final long[] slotBytesPerImage;
  private final long residentBytes;
  private final long loadNanos;
  private cl_mem[] slots;
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
      cl_mem weights = upload(Pointer.to(weightBytes), weightBytes.length, "weights");
      int[] biasInts = new int[(biasBytes.length + 3) / 4];
      java.nio.ByteBuffer.wrap(Arrays.copyOf(biasBytes, biasInts.length * 4))
          .order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(biasInts);
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
            ops.add(new Op(i, cmd.getName(), kind, layer.kernel(), new int[] {c.getInput()},
                new int[] {c.getOutput()}, new int[] {0, 1}, 10, layer.pixelsPerImage(),
                layer.tiles(peOut), null));
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
                in.perImage(), 1, null);
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
                new int[] {c.getOutput()}, new int[0], -1, 0, 1, null));
          }
          case HOST -> {
            HostCommand h = cmd.getHost();
            ops.add(new Op(i, cmd.getName(), kind, "",
                h.getInputsList().stream().mapToInt(Integer::intValue).toArray(),
                h.getOutputsList().stream().mapToInt(Integer::intValue).toArray(), new int[0], -1,
                0, 1, h));
          }
          default -> throw new PackageFormatException(where + ": has no operation");
        }
      }
      // the per-layer tables and shifts, one buffer each for the whole package
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
      int convIndex = 0;
      for (Op op : ops) {
        if (op.kernelName.isEmpty()) {
          continue;
        }
        op.kernel = createKernel(op);
        if (op.kind.equals("conv")) {
          ConvLayer l = convs.get(convIndex);
          cl_mem table = upload(Pointer.to(l.table()), 4L * l.table().length,
              "codebook table of " + op.where());
          setConvArgs(op, l, weights, table, biases, shifts, shiftOff[convIndex]);
          convIndex++;
        } else {
          setStaticArgs(op, pkg);
        }
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
        new int[] {0, 1}, 2, (long) ochw[0] * ochw[1] * ochw[2], 1, null);
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
        new int[] {c.getOutput()}, new int[] {0, 1, 2}, 3, out.perImage(), 1, null);
    op.staticFirst = 4;
    op.staticInts = args;
    return op;
  }

  private void setStaticArgs(Op op, AcceleratorPackage pkg) {
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

  private void setConvArgs(Op op, ConvLayer l, cl_mem weights, cl_mem table, cl_mem biases,
      cl_mem shifts, int soff) {
    int cg = l.c() / l.groups();
    int mg = l.m() / l.groups();
    Buf in = bufs[op.reads[0]];
    Buf out = bufs[op.writes[0]];
    setMem(op, 2, weights);
    setInts(op, 3, new int[] {l.woff(), l.tileStride()});
    setMem(op, 5, table);
    setMem(op, 6, biases);
    setInts(op, 7, new int[] {l.boff()});
    setMem(op, 8, shifts);
    setInts(op, 9, new int[] {soff});
    int[] act = convActivation(op, out);
    setInts(op, 11, new int[] {l.c(), l.h(), l.w(), l.m(), l.oh(), l.ow(), l.kh(), l.kw(),
        l.sh(), l.sw(), l.dh(), l.dw(), l.pt(), l.pl(), cg, mg, l.bits(), in.signed() ? 1 : 0,
        act[2], act[0], act[1]});
  }

  /** Set by the constructor before kernels are created: each conv's requantize message. */
  private final java.util.Map<Integer, Requantize> convRequant = new java.util.HashMap<>();

  private int[] convActivation(Op op, Buf out) {
    return activation(convRequant.get(op.index), out, source + ": " + op.where());
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
    int[] err = new int[1];
    long size = Math.max(4, bytes);
    cl_mem m = CL.clCreateBuffer(device.context(), CL.CL_MEM_READ_ONLY, size, null, err);
    ClErrors.check(err[0], "clCreateBuffer(" + what + ", " + size + " bytes)");
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

  /** Assigns storages to slots by liveness; returns each slot's bytes per image. */
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
        if (first[s] == step && storage[s] == s) {
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

  /** The slots for {@code batch} images, reallocated when the batch grows. */
  private cl_mem[] slots(int batch) {
    if (slots != null && batch <= slotBatch) {
      return slots;
    }
    releaseSlots();
    cl_mem[] s = new cl_mem[slotBytesPerImage.length];
    try {
      for (int i = 0; i < s.length; i++) {
        s[i] = allocate(slotBytesPerImage[i] * batch, "activation slot " + i);
      }
    } catch (RuntimeException e) {
      for (cl_mem m : s) {
        if (m != null) {
          CL.clReleaseMemObject(m);
        }
      }
      throw e;
    }
    slots = s;
    slotBatch = batch;
    return s;
  }

  private cl_mem allocate(long bytes, String what) {
    int[] err = new int[1];
    long size = Math.max(4, bytes);
    cl_mem m = CL.clCreateBuffer(device.context(), CL.CL_MEM_READ_WRITE, size, null, err);
    ClErrors.check(err[0], "clCreateBuffer(" + what + ", " + size + " bytes)");
    return m;
  }

  private void releaseSlots() {
    if (slots != null) {
      for (cl_mem m : slots) {
        CL.clReleaseMemObject(m);
      }
      slots = null;
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

  /** Bytes uploaded once at load (weights, biases, tables, shifts). */
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
    long start = System.nanoTime();
    cl_mem[] mem = new cl_mem[bufs.length];
    List<cl_mem> temporary = new ArrayList<>();
    List<cl_event> events = new ArrayList<>();
    List<int[]> eventOwner = new ArrayList<>(); // {op position or -1 inputs / -2 outputs}
    List<CommandTime> hostTimes = new ArrayList<>();
    try {
      if (keepCodes) {
        cl_mem[] own = new cl_mem[storages];
        for (int b = 0; b < bufs.length; b++) {
          int s = storage[b];
          if (own[s] == null) {
            own[s] = allocate(bufs[s].bytesPerImage() * batch, "buffer " + s);
            temporary.add(own[s]);
          }
          mem[b] = own[s];
        }
      } else {
        cl_mem[] s = slots(batch);
        for (int b = 0; b < bufs.length; b++) {
          mem[b] = slotOf[storage[b]] >= 0 ? s[slotOf[storage[b]]] : null;
        }
      }
      for (int i = 0; i < inputs.length; i++) {
        cl_event ev = new cl_event();
        float[] v = in.get(i);
        ClErrors.check(CL.clEnqueueWriteBuffer(device.queue(), mem[inputs[i]], CL.CL_TRUE, 0,
            4L * v.length, Pointer.to(v), 0, null, ev), "clEnqueueWriteBuffer(model input "
            + bufs[inputs[i]].describe() + ")");
        events.add(ev);
        eventOwner.add(new int[] {-1});
      }
      for (int pos = 0; pos < ops.size(); pos++) {
        Op op = ops.get(pos);
        if (op.host != null) {
          hostTimes.add(runHost(op, batch, mem, events, eventOwner, pos));
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
        long count = op.itemsPerImage * batch;
        if (count > Integer.MAX_VALUE) {
          throw new IllegalArgumentException(source + ": " + op.where() + ": batch " + batch
              + " needs " + count + " work-items, more than 2^31 - 1");
        }
        setInts(op, op.countArg, new int[] {(int) count});
        long global0 = (count + ROUND - 1) / ROUND * ROUND;
        cl_event ev = new cl_event();
        long[] global = op.dim1 > 1 ? new long[] {global0, op.dim1} : new long[] {global0};
        ClErrors.check(CL.clEnqueueNDRangeKernel(device.queue(), op.kernel, global.length, null,
            global, null, 0, null, ev), "clEnqueueNDRangeKernel(" + op.kernelName + ") for "
            + source + " " + op.where() + " (batch " + batch + ")");
        events.add(ev);
        eventOwner.add(new int[] {pos});
      }
      List<float[]> values = new ArrayList<>();
      List<int[]> shapes = new ArrayList<>();
      for (int o : outputs) {
        float[] v = new float[bufs[o].perImage() * batch];
        cl_event ev = new cl_event();
        ClErrors.check(CL.clEnqueueReadBuffer(device.queue(), mem[o], CL.CL_TRUE, 0,
            4L * v.length, Pointer.to(v), 0, null, ev), "clEnqueueReadBuffer(model output "
            + bufs[o].describe() + ")");
        events.add(ev);
        eventOwner.add(new int[] {-2});
        values.add(v);
        shapes.add(bufs[o].shapeWithBatch(batch));
      }
      ClErrors.check(CL.clFinish(device.queue()), "clFinish");
      List<byte[]> codes = new ArrayList<>();
      if (keepCodes) {
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
      }
      List<CommandTime> times = times(events, eventOwner, hostTimes);
      return new OpenClRun(batch, values, shapes, codes, times, System.nanoTime() - start);
    } finally {
      for (cl_event e : events) {
        CL.clReleaseEvent(e);
      }
      for (cl_mem m : temporary) {
        CL.clReleaseMemObject(m);
      }
    }
  }

  private CommandTime runHost(Op op, int batch, cl_mem[] mem, List<cl_event> events,
      List<int[]> owner, int pos) {
    List<HostTensor> in = new ArrayList<>();
    for (int r : op.reads) {
      Buf b = bufs[r];
      float[] v = new float[b.perImage() * batch];
      cl_event ev = new cl_event();
      ClErrors.check(CL.clEnqueueReadBuffer(device.queue(), mem[r], CL.CL_TRUE, 0,
          4L * v.length, Pointer.to(v), 0, null, ev), "clEnqueueReadBuffer(" + b.describe()
          + " for " + op.where() + ")");
      events.add(ev);
      owner.add(new int[] {-3 - pos});
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
      events.add(ev);
      owner.add(new int[] {-3 - pos});
    }
    return new CommandTime(op.index, op.name, "host", "", t);
  }

  private List<CommandTime> times(List<cl_event> events, List<int[]> owner,
      List<CommandTime> hostTimes) {
    long inputs = 0;
    long outputs = 0;
    long[] perOp = new long[ops.size()];
    long[] transferOp = new long[ops.size()];
    for (int i = 0; i < events.size(); i++) {
      long t = duration(events.get(i));
      int o = owner.get(i)[0];
      if (o == -1) {
        inputs += t;
      } else if (o == -2) {
        outputs += t;
      } else if (o <= -3) {
        transferOp[-3 - o] += t;
      } else {
        perOp[o] += t;
      }
    }
    List<CommandTime> out = new ArrayList<>();
    out.add(new CommandTime(-1, "inputs", "transfer", "", inputs));
    int h = 0;
    for (int p = 0; p < ops.size(); p++) {
      Op op = ops.get(p);
      if (op.host != null) {
        out.add(new CommandTime(op.index, op.name + " (transfers)", "transfer", "",
            transferOp[p]));
        out.add(hostTimes.get(h++));
      } else {
        out.add(new CommandTime(op.index, op.name, op.kind, op.kernelName, perOp[p]));
      }
    }
    out.add(new CommandTime(-1, "outputs", "transfer", "", outputs));
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
