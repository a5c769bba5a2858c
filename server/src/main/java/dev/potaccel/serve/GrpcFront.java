package dev.potaccel.serve;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.potaccel.serve.grpc.GRPCInferenceServiceGrpc;
import dev.potaccel.serve.grpc.InferTensorContents;
import dev.potaccel.serve.grpc.ModelInferRequest;
import dev.potaccel.serve.grpc.ModelInferResponse;
import dev.potaccel.serve.grpc.ModelMetadataRequest;
import dev.potaccel.serve.grpc.ModelMetadataResponse;
import dev.potaccel.serve.grpc.ModelReadyRequest;
import dev.potaccel.serve.grpc.ModelReadyResponse;
import dev.potaccel.serve.grpc.ServerLiveRequest;
import dev.potaccel.serve.grpc.ServerLiveResponse;
import dev.potaccel.serve.grpc.ServerMetadataRequest;
import dev.potaccel.serve.grpc.ServerMetadataResponse;
import dev.potaccel.serve.grpc.ServerReadyRequest;
import dev.potaccel.serve.grpc.ServerReadyResponse;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The KServe v2 gRPC service over the {@link InferenceService}, with the same checks and messages
 * as REST; errors are gRPC statuses from {@link ServeError}. {@code ModelInfer} receives its
 * request as bytes and parses it here, so a malformed message is INVALID_ARGUMENT naming what
 * was wrong rather than grpc-java's generic INTERNAL. A client deadline shorter than the model's
 * timeout bounds the time in the queue.
 */
final class GrpcFront extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcFront.class);

  private final InferenceService service;

  GrpcFront(InferenceService service) {
    this.service = service;
  }

  /** The service as registered: the generated methods, ModelInfer taking raw bytes. */
  ServerServiceDefinition definition() {
    ServerServiceDefinition generated = bindService();
    MethodDescriptor<ModelInferRequest, ModelInferResponse> infer =
        GRPCInferenceServiceGrpc.getModelInferMethod();
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(
        generated.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> m : generated.getMethods()) {
      if (!m.getMethodDescriptor().getFullMethodName().equals(infer.getFullMethodName())) {
        b.addMethod(m);
      }
    }
    MethodDescriptor<byte[], ModelInferResponse> bytesIn =
        infer.toBuilder(BYTES, infer.getResponseMarshaller()).build();
    b.addMethod(bytesIn, ServerCalls.asyncUnaryCall(this::modelInferBytes));
    return b.build();
  }

  /** Request bytes as they arrived, parsed by the handler. */
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException("reading a gRPC message", e);
      }
    }
  };

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
    reply(out, ServerLiveResponse.newBuilder().setLive(service.live()).build());
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
    reply(out, ServerReadyResponse.newBuilder().setReady(service.ready()).build());
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
    try {
      reply(out, ModelReadyResponse.newBuilder()
          .setReady(service.modelReady(request.getName(), request.getVersion())).build());
    } catch (ServeException e) {
      out.onError(e.toGrpc());
    }
  }

  @Override
  public void serverMetadata(ServerMetadataRequest request,
      StreamObserver<ServerMetadataResponse> out) {
    reply(out, ServerMetadataResponse.newBuilder().setName(InferenceService.SERVER_NAME)
        .setVersion(service.serverVersion()).addAllExtensions(InferenceService.EXTENSIONS)
        .build());
  }

  @Override
  public void modelMetadata(ModelMetadataRequest request,
      StreamObserver<ModelMetadataResponse> out) {
    try {
      InferenceService.ServedModel m = service.model(request.getName(), request.getVersion());
      ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName(m.name())
          .addVersions(InferenceService.VERSION).setPlatform(m.platform());
      m.model().inputs().forEach(t -> b.addInputs(tensor(t)));
      m.model().outputs().forEach(t -> b.addOutputs(tensor(t)));
      reply(out, b.build());
    } catch (ServeException e) {
      out.onError(e.toGrpc());
    }
  }

  private static ModelMetadataResponse.TensorMetadata tensor(TensorSpec t) {
    ModelMetadataResponse.TensorMetadata.Builder b = ModelMetadataResponse.TensorMetadata
        .newBuilder().setName(t.name()).setDatatype(t.datatype().name());
    for (long d : t.shape()) {
      b.addShape(d);
    }
    return b.build();
  }

  private void modelInferBytes(byte[] bytes, StreamObserver<ModelInferResponse> out) {
    ModelInferRequest request;
    try {
      request = parseMessage(bytes);
    } catch (ServeException e) {
      out.onError(e.toGrpc());
      return;
    }
    modelInfer(request, out);
  }

  /**
   * A ModelInfer message as it arrived on the wire.
   *
   * @throws ServeException (400) when the bytes are not a ModelInferRequest
   */
  static ModelInferRequest parseMessage(byte[] bytes) {
    try {
      return ModelInferRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new ServeException(ServeError.BAD_REQUEST, "ModelInfer: the request ("
          + bytes.length + " bytes) is not a valid ModelInferRequest protobuf message: "
          + e.getMessage(), e);
    }
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
    boolean raw = request.getRawInputContentsCount() > 0;
    try {
      InferRequest r = parse(request);
      Deadline deadline = Context.current().getDeadline();
      long deadlineNanos = deadline == null ? Long.MAX_VALUE
          : System.nanoTime() + deadline.timeRemaining(TimeUnit.NANOSECONDS);
      service.infer(r, deadlineNanos).whenComplete((response, failure) -> {
        if (failure != null) {
          Throwable cause = failure instanceof CompletionException c ? c.getCause() : failure;
          out.onError((cause instanceof ServeException s ? s
              : new ServeException(ServeError.INTERNAL, "internal error: "
                  + cause.getMessage(), cause)).toGrpc());
          return;
        }
        reply(out, encode(response, raw));
      });
    } catch (ServeException e) {
      out.onError(e.toGrpc());
    } catch (RuntimeException e) {
      LOG.error("ModelInfer for model '{}': internal error", request.getModelName(), e);
      out.onError(new ServeException(ServeError.INTERNAL, "internal error: " + e.getMessage(), e)
          .toGrpc());
    }
  }

  /** The request in the service's terms; raw contents, if any, belong to inputs by index. */
  static InferRequest parse(ModelInferRequest request) {
    String where = "model '" + request.getModelName() + "'";
    int rawCount = request.getRawInputContentsCount();
    if (rawCount > 0 && rawCount != request.getInputsCount()) {
      throw ServeException.badRequest(where + ": " + rawCount + " raw_input_contents for "
          + request.getInputsCount() + " inputs; give one per input, in order");
    }
    List<InferRequest.Input> inputs = new ArrayList<>();
    for (int i = 0; i < request.getInputsCount(); i++) {
      ModelInferRequest.InferInputTensor t = request.getInputs(i);
      InferRequest.Payload data;
      if (rawCount > 0) {
        if (t.hasContents() && !isEmpty(t.getContents())) {
          throw ServeException.badRequest(where + ", input '" + t.getName() + "': contents set"
              + " while the request uses raw_input_contents; use one or the other");
        }
        ByteString bytes = request.getRawInputContents(i);
        data = new InferRequest.BinaryData(ByteBuffer.wrap(bytes.toByteArray()));
      } else {
        data = new InferRequest.TypedData(t.getContents());
      }
      long[] shape = t.getShapeList().stream().mapToLong(Long::longValue).toArray();
      for (int d = 0; d < shape.length; d++) {
        if (shape[d] < 0) {
          throw ServeException.badRequest(where + ", input '" + t.getName() + "': shape[" + d
              + "] is " + shape[d] + "; dimensions are non-negative");
        }
      }
      inputs.add(new InferRequest.Input(t.getName(), t.getDatatype(), shape, data));
    }
    List<InferRequest.RequestedOutput> outputs = new ArrayList<>();
    for (ModelInferRequest.InferRequestedOutputTensor o : request.getOutputsList()) {
      outputs.add(new InferRequest.RequestedOutput(o.getName(), false));
    }
    return new InferRequest(request.getModelName(), request.getModelVersion(), request.getId(),
        inputs, outputs, false);
  }

  private static boolean isEmpty(InferTensorContents c) {
    return c.getSerializedSize() == 0;
  }

  /** Raw outputs when the request was raw (as Triton's clients expect), typed otherwise. */
  static ModelInferResponse encode(InferResponse r, boolean raw) {
    ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName(r.model())
        .setModelVersion(r.version()).setId(r.id());
    for (InferResponse.Output o : r.outputs()) {
      ModelInferResponse.InferOutputTensor.Builder t = ModelInferResponse.InferOutputTensor
          .newBuilder().setName(o.name()).setDatatype(o.datatype().name());
      for (int d : o.tensor().shape()) {
        t.addShape(d);
      }
      if (raw) {
        b.addRawOutputContents(ByteString.copyFrom(TensorCodec.toBytes(o.tensor(),
            o.datatype())));
      } else {
        t.setContents(TensorCodec.toContents(o.tensor(), o.datatype()));
      }
      b.addOutputs(t);
    }
    return b.build();
  }

  private static <T> void reply(StreamObserver<T> out, T value) {
    out.onNext(value);
    out.onCompleted();
  }
}
