package dev.potaccel.device.opencl;

import java.util.List;

/**
 * What one {@link OpenClPackage#run} returns: the FP32 outputs (batch first), the per-command
 * device times, when its upload, commands and download ran, and, when asked for, every code
 * buffer of the run (NCHW, one byte per code; null for FP32 buffers) for bit-for-bit comparisons
 * with the emulator.
 *
 * @param wallNanos host wall time from the batch's upload being enqueued to its outputs being
 *     in host memory (in a pipelined run, batches overlap: these times do not add up)
 */
public record OpenClRun(int batch, List<float[]> outputs, List<int[]> outputShapes,
    List<byte[]> codes, List<CommandTime> times, BatchTimeline timeline, long wallNanos) {

  public float[] output(int i) {
    return outputs.get(i);
  }

  public int[] outputShape(int i) {
    return outputShapes.get(i).clone();
  }

  /** Code buffer {@code index} of the run, or null (FP32 buffer, or codes not kept). */
  public byte[] codes(int index) {
    return codes.isEmpty() ? null : codes.get(index);
  }

  /** Sum of the device times of the commands' kernels (without transfers and host commands). */
  public long kernelNanos() {
    return times.stream().filter(t -> !t.kernel().isEmpty()).mapToLong(CommandTime::nanos).sum();
  }
}
