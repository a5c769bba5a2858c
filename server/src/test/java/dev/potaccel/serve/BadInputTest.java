package dev.potaccel.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.serve.client.GrpcClient;
import dev.potaccel.serve.client.RestClient;
import dev.potaccel.serve.grpc.GRPCInferenceServiceGrpc;
import dev.potaccel.serve.grpc.InferTensorContents;
import dev.potaccel.serve.grpc.ModelInferRequest;
import dev.potaccel.serve.grpc.ModelInferResponse;
import dev.potaccel.serve.grpc.ModelMetadataRequest;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad request gets its status and a message saying what was wrong and where, over
 * REST and gRPC. The fake model takes "x" FP32 [-1,4]; the body limit is lowered to 64 KiB.
 */
class BadInputTest {
  static final int LIMIT = 64 << 10;
  static InferenceServer server;
  static RestClient rest;
  static GrpcClient grpc;

  @BeforeAll
  static void start() throws Exception {
    server = TestServers.fake(new FakeModel(), TestServers.config(8, 16, Duration.ZERO,
        Duration.ofSeconds(30)), ServerOptions.ephemeral().withMaxBodyBytes(LIMIT));
    rest = new RestClient("127.0.0.1", server.httpPort());
    grpc = new GrpcClient("127.0.0.1", server.grpcPort());
  }

  @AfterAll
  static void stop() {
    grpc.close();
    server.close();
  }

  static String input(String datatype, String shape, String data) {
    return "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"" + datatype + "\", \"shape\": "
        + shape + ", \"data\": " + data + "}]}";
  }

  static Stream<Arguments> restCases() {
    String ok = input("FP32", "[1, 4]", "[1, 2, 3, 4]");
    return Stream.of(
        Arguments.of("malformed JSON", "/v2/models/fake/infer", "{\"inputs\": [",
            Map.of(), 400, "request body is not valid JSON"),
        Arguments.of("not an object", "/v2/models/fake/infer", "[1, 2]", Map.of(), 400,
            "request body must be a JSON object"),
        Arguments.of("no inputs", "/v2/models/fake/infer", "{}", Map.of(), 400,
            "request has no 'inputs' array"),
        Arguments.of("wrong datatype", "/v2/models/fake/infer",
            input("INT64", "[1, 4]", "[1, 2, 3, 4]"), Map.of(), 400,
            "model 'fake', input 'x': datatype INT64, the model wants FP32"),
        Arguments.of("unknown datatype", "/v2/models/fake/infer",
            input("FLOAT", "[1, 4]", "[1, 2, 3, 4]"), Map.of(), 400,
            "unknown datatype 'FLOAT'"),
        Arguments.of("wrong shape", "/v2/models/fake/infer",
            input("FP32", "[1, 5]", "[1, 2, 3, 4, 5]"), Map.of(), 400,
            "model 'fake', input 'x': shape [1, 5], the model wants [-1, 4]"),
        Arguments.of("shape/data mismatch", "/v2/models/fake/infer",
            input("FP32", "[2, 4]", "[1, 2, 3, 4]"), Map.of(), 400,
            "model 'fake', input 'x': shape [2, 4] holds 8 elements, data has 4"),
        Arguments.of("string element", "/v2/models/fake/infer",
            input("FP32", "[1, 4]", "[1, 2, \"a\", 4]"), Map.of(), 400,
            "data element 2 is \"a\", FP32 needs a number"),
        Arguments.of("unknown input", "/v2/models/fake/infer",
            ok.replace("\"x\"", "\"z\""), Map.of(), 400, "model 'fake': no input 'z'; inputs: [x]"),
        Arguments.of("unknown output", "/v2/models/fake/infer",
            ok.replace("]}", "], \"outputs\": [{\"name\": \"w\"}]}"), Map.of(), 400,
            "model 'fake': no output 'w'; outputs: [y]"),
        Arguments.of("unknown model", "/v2/models/nope/infer", ok, Map.of(), 404,
            "no model 'nope'; models: [fake]"),
        Arguments.of("unknown version", "/v2/models/fake/versions/7/infer", ok, Map.of(), 404,
            "model 'fake' has no version '7'; versions: [1]"),
        Arguments.of("unknown endpoint", "/v2/nothing", ok, Map.of(), 404, "no endpoint POST"),
        Arguments.of("header length not a number", "/v2/models/fake/infer", ok,
            Map.of("Inference-Header-Content-Length", "abc"), 400,
            "Inference-Header-Content-Length: 'abc' is not an integer"),
        Arguments.of("header length beyond the body", "/v2/models/fake/infer", ok,
            Map.of("Inference-Header-Content-Length", "100000"), 400,
            "Inference-Header-Content-Length: 100000 is outside the body"),
        Arguments.of("binary size beyond the body", "/v2/models/fake/infer",
            "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1, 4],"
                + " \"parameters\": {\"binary_data_size\": 16}}]}",
            Map.of(), 400, "binary_data_size 16 but only 0 bytes of binary data are left"),
        Arguments.of("body over the limit", "/v2/models/fake/infer",
            input("FP32", "[1, 4]", "[1, 2, 3, 4]") + " ".repeat(LIMIT), Map.of(), 413,
            "is over the limit of 65536 bytes"));
  }

  @ParameterizedTest(name = "REST {0}")
  @MethodSource("restCases")
  void restRefusesWithStatusAndMessage(String name, String path, String body,
      Map<String, String> headers, int status, String message) {
    RestClient.Response r = rest.post(path, body.getBytes(StandardCharsets.UTF_8), headers);
    assertEquals(status, r.status(), r.text());
    assertTrue(r.error().contains(message), "'" + r.error() + "' should contain '" + message + "'");
  }

  @Test
  void restWrongMethodAndMissingModelMetadata() {
    RestClient.Response r = rest.get("/v2/models/fake/infer");
    assertEquals(405, r.status());
    assertTrue(r.error().contains("method not allowed; use POST"), r.error());
    r = rest.get("/v2/models/nope");
    assertEquals(404, r.status());
    assertEquals("no model 'nope'; models: [fake]", r.error());
  }

  static ModelInferRequest.Builder grpcRequest() {
    return ModelInferRequest.newBuilder().setModelName("fake").addInputs(
        ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("FP32")
            .addShape(1).addShape(4).setContents(InferTensorContents.newBuilder()
                .addFp32Contents(1).addFp32Contents(2).addFp32Contents(3).addFp32Contents(4)));
  }

  static Stream<Arguments> grpcCases() {
    return Stream.of(
        Arguments.of("wrong datatype", (Supplier<ModelInferRequest>) () -> grpcRequest()
            .setInputs(0, grpcRequest().getInputs(0).toBuilder().setDatatype("INT32")).build(),
            Status.Code.INVALID_ARGUMENT, "datatype INT32, the model wants FP32"),
        Arguments.of("wrong shape", (Supplier<ModelInferRequest>) () -> grpcRequest()
            .setInputs(0, grpcRequest().getInputs(0).toBuilder().clearShape().addShape(4)).build(),
            Status.Code.INVALID_ARGUMENT, "shape [4], the model wants [-1, 4]"),
        Arguments.of("shape/data mismatch", (Supplier<ModelInferRequest>) () -> grpcRequest()
            .setInputs(0, grpcRequest().getInputs(0).toBuilder().setShape(0, 2)).build(),
            Status.Code.INVALID_ARGUMENT,
            "shape [2, 4] holds 8 elements, contents.fp32_contents has 4"),
        Arguments.of("wrong contents field", (Supplier<ModelInferRequest>) () -> grpcRequest()
            .setInputs(0, grpcRequest().getInputs(0).toBuilder().setContents(
                InferTensorContents.newBuilder().addInt64Contents(1))).build(),
            Status.Code.INVALID_ARGUMENT,
            "contents.int64_contents set for datatype FP32, which goes in contents.fp32_contents"),
        Arguments.of("raw size mismatch", (Supplier<ModelInferRequest>) () -> grpcRequest()
            .setInputs(0, grpcRequest().getInputs(0).toBuilder().clearContents())
            .addRawInputContents(com.google.protobuf.ByteString.copyFrom(new byte[15])).build(),
            Status.Code.INVALID_ARGUMENT, "binary data has 15 bytes, shape [1, 4] of FP32 needs 16"),
        Arguments.of("unknown model", (Supplier<ModelInferRequest>) () -> grpcRequest()
            .setModelName("nope").build(), Status.Code.NOT_FOUND, "no model 'nope'"),
        Arguments.of("unknown version", (Supplier<ModelInferRequest>) () -> grpcRequest()
            .setModelVersion("2").build(), Status.Code.NOT_FOUND,
            "model 'fake' has no version '2'"),
        Arguments.of("message over the limit", (Supplier<ModelInferRequest>) () -> grpcRequest()
            .setId("x".repeat(LIMIT + 1)).build(), Status.Code.RESOURCE_EXHAUSTED, "65536"));
  }

  @ParameterizedTest(name = "gRPC {0}")
  @MethodSource("grpcCases")
  void grpcRefusesWithCodeAndMessage(String name, Supplier<ModelInferRequest> request,
      Status.Code code, String message) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> grpc.stub().modelInfer(request.get()));
    assertEquals(code, e.getStatus().getCode(), String.valueOf(e.getStatus()));
    assertTrue(e.getStatus().getDescription().contains(message),
        "'" + e.getStatus().getDescription() + "' should contain '" + message + "'");
  }

  @Test
  void grpcMalformedProtobufIsInvalidArgument() {
    MethodDescriptor<ModelInferRequest, ModelInferResponse> infer =
        GRPCInferenceServiceGrpc.getModelInferMethod();
    MethodDescriptor<byte[], ModelInferResponse> raw =
        infer.toBuilder(GrpcFront.BYTES, infer.getResponseMarshaller()).build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(grpc.channel(), raw, CallOptions.DEFAULT,
            new byte[] {0x0a, (byte) 0xff, 0x01, 0x02}));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("is not a valid ModelInferRequest"),
        e.getStatus().getDescription());
  }

  @Test
  void grpcUnknownModelMetadataIsNotFound() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> grpc.stub().modelMetadata(ModelMetadataRequest.newBuilder().setName("nope")
            .build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertEquals("no model 'nope'; models: [fake]", e.getStatus().getDescription());
  }
}
