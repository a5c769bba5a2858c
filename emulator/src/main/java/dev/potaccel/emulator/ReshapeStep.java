package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.ReshapeCommand;

/**
 * RESHAPE: the same bytes under another shape (Flatten/Reshape of contiguous NCHW data,
 * docs/accelerator.md §3.4). The output shares the input's array; no data moves.
 */
final class ReshapeStep implements Step {
  private final int input;
  private final int output;

  private ReshapeStep(int input, int output) {
    this.input = input;
    this.output = output;
  }

  static ReshapeStep decode(ReshapeCommand cmd, Decoding d) {
    BufferInfo in = d.buffer(cmd.getInput(), "input");
    BufferInfo out = d.buffer(cmd.getOutput(), "output");
    if (in.perImage() != out.perImage()) {
      throw d.fail("input " + in.describe() + " holds " + in.perImage() + " values per image, "
          + "output " + out.describe() + " holds " + out.perImage());
    }
    if (in.isFloat() != out.isFloat() || in.bits() != out.bits() || in.signed() != out.signed()
        || in.frac() != out.frac()) {
      throw d.fail("a reshape is a view: input " + in.describe() + " and output "
          + out.describe() + " must hold the same kind of values");
    }
    return new ReshapeStep(cmd.getInput(), cmd.getOutput());
  }

  @Override
  public int[] reads() {
    return new int[] {input};
  }

  @Override
  public int[] writes() {
    return new int[] {output};
  }

  @Override
  public void execute(RunState run) {
    int lanes = run.laneCount(input);
    if (lanes > 0) {
      // lane layout is [group][code of the image][lane]: the same bytes under any image shape
      run.putLanes(output, run.laneCodes(input, lanes));
    } else {
      run.put(output, run.value(input));
    }
  }
}
