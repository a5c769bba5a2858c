package dev.potaccel.serve;

import dev.potaccel.graph.Tensor;
import java.util.List;

/**
 * The answer to an {@link InferRequest}: the requested outputs, in the order requested (every
 * output in model order when none was named).
 */
record InferResponse(String model, String version, String id, List<Output> outputs) {
  /** One output tensor; {@code binary}: the client asked for it in the binary tail (REST). */
  record Output(String name, Datatype datatype, Tensor tensor, boolean binary) {}
}
