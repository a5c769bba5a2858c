package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.AddCommand;
import dev.potaccel.simd.CodeKernels;
import dev.potaccel.simd.VectorKernels;
import java.util.Arrays;

/**
 * ADD (docs/accelerator.md §3.3): {@code t = (a << (F - F_a)) + (b << (F - F_b))} with {@code F =
 * max(F_a, F_b)}, then {@code act(rshift(t, F - F_y))} with §1.3's activation and saturation.
 * The contract makes {@code t} exact in int32; packages whose codes could make it overflow are
 * refused when the emulator is built.
 */
final class AddStep implements Step {
  private static final int CHUNK = 1 << 16;

  private final int inputA;
  private final int inputB;
  private final int output;
  private final int shiftA;
  private final int shiftB;
  private final boolean signedA;
  private final boolean signedB;
  private final Requantization requant;

  private AddStep(int inputA, int inputB, int output, int shiftA, int shiftB, boolean signedA,
      boolean signedB, Requantization requant) {
    this.inputA = inputA;
    this.inputB = inputB;
    this.output = output;
    this.shiftA = shiftA;
    this.shiftB = shiftB;
    this.signedA = signedA;
    this.signedB = signedB;
    this.requant = requant;
  }

  static AddStep decode(AddCommand cmd, Decoding d) {
    BufferInfo a = d.codes(cmd.getInputA(), "input_a");
    BufferInfo b = d.codes(cmd.getInputB(), "input_b");
    BufferInfo out = d.codes(cmd.getOutput(), "output");
    if (!Arrays.equals(a.shape(), b.shape()) || !Arrays.equals(a.shape(), out.shape())) {
      throw d.fail("shapes must be equal (no broadcasting on the accelerator): input_a "
          + a.describe() + ", input_b " + b.describe() + ", output " + out.describe());
    }
    int f = Math.max(a.frac(), b.frac());
    long shiftA = (long) f - a.frac();
    long shiftB = (long) f - b.frac();
    long bound = shiftA > 31 || shiftB > 31 ? Long.MAX_VALUE
        : (a.maxMagnitude() << shiftA) + (b.maxMagnitude() << shiftB);
    if (bound > Integer.MAX_VALUE) {
      throw d.fail("aligning input_a " + a.describe() + " and input_b " + b.describe()
          + " to F = " + f + " can give sums beyond int32 (shifts " + shiftA + " and " + shiftB
          + "); docs/accelerator.md §3.3 needs t exact in int32");
    }
    int[] shifts = ConvStep.shifts(cmd.getRequantize().getShiftList(), 1, "requantize.shift", d);
    if (shifts[0] != (long) f - out.frac()) {
      throw d.fail("requantize.shift " + shifts[0] + " but F - F_y = " + f + " - " + out.frac()
          + " = " + ((long) f - out.frac()) + " (docs/accelerator.md §3.3)");
    }
    Activation act = cmd.getRequantize().getActivation();
    ConvStep.checkActivation(act, cmd.getRequantize().getLeakyShift(), out, d);
    Requantization rq = Requantization.of(shifts, act, cmd.getRequantize().getLeakyShift(),
        out.lo(), out.hi(), out.frac());
    return new AddStep(cmd.getInputA(), cmd.getInputB(), cmd.getOutput(), (int) shiftA,
        (int) shiftB, a.signed(), b.signed(), rq);
  }

  @Override
  public int[] reads() {
    return new int[] {inputA, inputB};
  }

  @Override
  public int[] writes() {
    return new int[] {output};
  }

  @Override
  public void execute(RunState run) {
    // elementwise, so any layout will do: stay in lanes when an input is in lanes (ConvStep)
    int lanes = Math.max(run.laneCount(inputA), run.laneCount(inputB));
    byte[] a = lanes > 0 ? run.laneCodes(inputA, lanes).data() : run.codes(inputA);
    byte[] b = lanes > 0 ? run.laneCodes(inputB, lanes).data() : run.codes(inputB);
    int n = a.length;
    byte[] y = new byte[n];
    int groups = lanes > 0 ? ConvStep.ceilDiv(run.batch, lanes) : 0;
    if (lanes > 0 && groups % run.workers.threads() == 0) {
      // a lane group on the thread that computed it (ConvStep.executeLanes)
      int len = n / groups;
      run.workers.forEachBySlot(groups, g -> {
        for (int from = g * len; from < (g + 1) * len; from += CHUNK) {
          addRange(a, b, y, from, Math.min((g + 1) * len, from + CHUNK));
        }
      });
    } else {
      run.workers.parallelFor(ConvStep.ceilDiv(n, CHUNK),
          t -> addRange(a, b, y, t * CHUNK, Math.min(n, (t + 1) * CHUNK)));
    }
    if (lanes > 0) {
      run.putLanes(output, new RunState.LaneCodes(y, lanes));
    } else {
      run.put(output, y);
    }
  }

  /** {@code y[from, to)} from {@code a} and {@code b}. */
  private void addRange(byte[] a, byte[] b, byte[] y, int from, int to) {
    int shift = requant.shifts()[0];
    if (VectorKernels.ENABLED && !requant.leaky() && CodeKernels.covers(shift)) {
      CodeKernels.add(a, signedA, shiftA, b, signedB, shiftB, shift, requant.lo(), requant.hi(), y,
          from, to);
      return;
    }
    int[] sums = new int[to - from];
    int maskA = signedA ? -1 : 0xFF;
    int maskB = signedB ? -1 : 0xFF;
    for (int i = 0; i < sums.length; i++) {
      sums[i] = ((a[from + i] & maskA) << shiftA) + ((b[from + i] & maskB) << shiftB);
    }
    requant.row(sums, 0, sums.length, y, from, 0);
  }
}
