package dev.potaccel.serve;

import com.google.gson.JsonArray;
import dev.potaccel.serve.grpc.InferTensorContents;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One inference request as a front end (REST or gRPC) parsed it, before it is checked against
 * the model: the service validates names, datatypes and shapes and decodes the data in one place
 * for both protocols, so both say the same thing about the same mistake.
 *
 * @param version empty for the server's choice
 * @param id echoed in the response; may be empty
 * @param outputs requested outputs; empty for every output of the model
 * @param allBinary with no outputs named: return every output binary (REST {@code
 *     parameters.binary_data_output})
 */
record InferRequest(String model, String version, String id, List<Input> inputs,
    List<RequestedOutput> outputs, boolean allBinary) {

  InferRequest {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /** One input tensor: its declared name, datatype and shape, and its data in wire form. */
  record Input(String name, String datatype, long[] shape, Payload data) {}

  /** An output the client asked for; {@code binary}: returned in the binary tail (REST). */
  record RequestedOutput(String name, boolean binary) {}

  /** Tensor data as it came over the wire. */
  sealed interface Payload {}

  /** A JSON array, flat or nested, row-major. */
  record JsonData(JsonArray array) implements Payload {}

  /** Little-endian bytes: the REST binary extension or gRPC raw_input_contents. */
  record BinaryData(ByteBuffer bytes) implements Payload {}

  /** gRPC typed contents. */
  record TypedData(InferTensorContents contents) implements Payload {}
}
