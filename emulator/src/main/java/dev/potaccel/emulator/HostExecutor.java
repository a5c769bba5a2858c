package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.HostCommand;
import java.util.List;

/**
 * Runs the FP32 host ops of a package ({@link HostCommand}: nodes of {@code host_graph}) for the
 * emulator; the host module implements it with its CPU engine. Host commands only see float
 * buffers: the package dequantizes before them and quantizes after them with CONVERT commands.
 *
 * <p>An {@link Emulator} calls this from the thread that called {@link Emulator#run}, so
 * concurrent runs of one emulator call it concurrently: implementations must be thread-safe.
 */
@FunctionalInterface
public interface HostExecutor {
  /**
   * Runs {@code command}'s nodes.
   *
   * @param command the command, as stored in the package (nodes index {@code
   *     host_graph.onnx_model}'s graph nodes)
   * @param inputs one tensor per {@code command.inputs} entry, in that order, shapes batch first;
   *     the executor must not modify them
   * @param outputs one tensor per {@code command.outputs} entry, in that order, shapes batch first,
   *     values preallocated (zeros): the executor fills every value
   */
  void run(HostCommand command, List<HostTensor> inputs, List<HostTensor> outputs);
}
