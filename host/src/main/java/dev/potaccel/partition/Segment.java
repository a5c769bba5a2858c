package dev.potaccel.partition;

import java.util.List;
import java.util.Objects;

/**
 * A maximal run of a package's commands on one side of the host link. An accelerator segment also
 * holds the CONVERT commands at its edges (the quantize before it and the dequantize after it).
 *
 * @param index position in the plan, from 0
 * @param device where its commands run
 * @param commands the package command indices it holds, ascending
 * @param ops what the commands do, in order: "Conv+relu", "MaxPool", "quantize" on the accelerator
 *     side, the ONNX op types of the host nodes on the host side
 * @param inputs values that cross the link into it (for a host segment, the dequantized values it
 *     reads; model inputs it reads directly are not crossings)
 * @param outputs values that cross the link out of it
 * @param reason for a host segment, why the accelerator cannot run its nodes; empty otherwise
 */
public record Segment(int index, Device device, List<Integer> commands, List<String> ops,
    List<Crossing> inputs, List<Crossing> outputs, String reason) {

  /** The two sides of the host link. */
  public enum Device {
    ACCELERATOR,
    HOST;

    /** "accelerator", "host". */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public Segment {
    Objects.requireNonNull(device, "device");
    commands = List.copyOf(commands);
    ops = List.copyOf(ops);
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    Objects.requireNonNull(reason, "reason");
    if (commands.isEmpty()) {
      throw new IllegalArgumentException("segment " + index + " has no commands");
    }
  }

  /** "3" or "3-7": the first and last command (a segment may skip commands in between). */
  public String commandRange() {
    int first = commands.get(0);
    int last = commands.get(commands.size() - 1);
    return first == last ? Integer.toString(first) : first + "-" + last;
  }
}
