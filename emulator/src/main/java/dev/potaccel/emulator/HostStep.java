package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.HostCommand;
import java.util.ArrayList;
import java.util.List;

/** HOST: FP32 nodes of {@code host_graph}, run by the {@link HostExecutor}. */
final class HostStep implements Step {
  private final String where;
  private final HostCommand command;
  private final int[] inputs;
  private final int[] outputs;

  private HostStep(String where, HostCommand command) {
    this.where = where;
    this.command = command;
    this.inputs = command.getInputsList().stream().mapToInt(Integer::intValue).toArray();
    this.outputs = command.getOutputsList().stream().mapToInt(Integer::intValue).toArray();
  }

  static HostStep decode(String where, HostCommand cmd, Decoding d) {
    for (int i = 0; i < cmd.getInputsCount(); i++) {
      d.floats(cmd.getInputs(i), "input " + i);
    }
    if (cmd.getOutputsCount() == 0) {
      throw d.fail("a host command must write at least one buffer");
    }
    for (int i = 0; i < cmd.getOutputsCount(); i++) {
      d.floats(cmd.getOutputs(i), "output " + i);
    }
    return new HostStep(where, cmd);
  }

  /** {@code "command 7 (host 'Softmax_12')"}, for messages. */
  String where() {
    return where;
  }

  @Override
  public int[] reads() {
    return inputs.clone();
  }

  @Override
  public int[] writes() {
    return outputs.clone();
  }

  @Override
  public void execute(RunState run) {
    if (run.host == null) {
      throw new IllegalStateException(where + " runs on the host, but the emulator has no "
          + "HostExecutor");
    }
    List<HostTensor> in = new ArrayList<>(inputs.length);
    for (int b : inputs) {
      BufferInfo info = run.buffers[b];
      in.add(new HostTensor(info.name(), info.shapeWithBatch(run.batch), run.floats(b)));
    }
    List<HostTensor> out = new ArrayList<>(outputs.length);
    for (int b : outputs) {
      BufferInfo info = run.buffers[b];
      float[] values = new float[run.size(b)];
      out.add(new HostTensor(info.name(), info.shapeWithBatch(run.batch), values));
    }
    run.host.run(command, List.copyOf(in), List.copyOf(out));
    for (int i = 0; i < outputs.length; i++) {
      run.put(outputs[i], out.get(i).values());
    }
  }
}
