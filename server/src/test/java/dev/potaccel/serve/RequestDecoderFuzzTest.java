package dev.potaccel.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.potaccel.graph.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz tests of the request decoders (Jazzer): whatever bytes arrive, REST's infer body parser
 * and gRPC's ModelInferRequest parser, followed by the checks and tensor decoding against a
 * model's inputs, give a decoded request or a 400 {@link ServeException} with a message, never
 * another exception. In CI (regression mode, the default) each target runs the seed corpus under
 * {@code src/test/resources/dev/potaccel/serve/RequestDecoderFuzzTestInputs/<method>/} in
 * milliseconds; {@code JAZZER_FUZZ=1 ./mvnw -pl server test -Dtest=RequestDecoderFuzzTest} fuzzes
 * for {@code maxDuration} each and keeps crashing inputs there as new seeds.
 */
class RequestDecoderFuzzTest {
  /** Two inputs of two kinds, so the decoders' multi-input and integer paths are reached. */
  static final List<TensorSpec> INPUTS = List.of(
      new TensorSpec("x", Datatype.FP32, new long[] {-1, 4}),
      new TensorSpec("ids", Datatype.INT64, new long[] {-1, 2}));

  /**
   * The REST infer body. An input starting with 'H' carries the Inference-Header-Content-Length
   * value up to the first newline, and the body after it; any other input is the whole body,
   * without the header.
   */
  @FuzzTest(maxDuration = "60s")
  void restInferRequest(byte[] input) {
    String headerLength = null;
    byte[] body = input;
    if (input.length > 0 && input[0] == 'H') {
      int newline = 1;
      while (newline < input.length && input[newline] != '\n') {
        newline++;
      }
      headerLength = new String(input, 1, newline - 1, StandardCharsets.UTF_8);
      body = Arrays.copyOfRange(input, Math.min(input.length, newline + 1), input.length);
    }
    try {
      InferRequest r = RestCodec.parse("m", "", body, headerLength);
      checkDecoded(InferenceService.inputs("m", INPUTS, r));
    } catch (ServeException e) {
      checkRefusal(e);
    }
  }

  /** The gRPC ModelInfer message as it arrives on the wire (GrpcFront takes it as bytes). */
  @FuzzTest(maxDuration = "60s")
  void grpcInferRequest(byte[] input) {
    try {
      InferRequest r = GrpcFront.parse(GrpcFront.parseMessage(input));
      checkDecoded(InferenceService.inputs("m", INPUTS, r));
    } catch (ServeException e) {
      checkRefusal(e);
    }
  }

  /** A decoded request has one tensor per model input, shaped as the model wants. */
  private static void checkDecoded(List<Tensor> tensors) {
    assertEquals(INPUTS.size(), tensors.size());
    for (int i = 0; i < tensors.size(); i++) {
      long[] want = INPUTS.get(i).shape();
      assertEquals(want.length, tensors.get(i).rank());
      assertEquals(want[1], tensors.get(i).dim(1));
    }
    assertEquals(tensors.get(0).dim(0), tensors.get(1).dim(0));
  }

  /** A refused request is the client's fault and says why. */
  private static void checkRefusal(ServeException e) {
    assertEquals(ServeError.BAD_REQUEST, e.error(), e.getMessage());
    assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "a refusal without a message");
  }
}
