package dev.potaccel.serve.client;

import com.google.protobuf.ByteString;
import dev.potaccel.graph.Tensor;
import dev.potaccel.serve.Datatype;
import dev.potaccel.serve.grpc.GRPCInferenceServiceGrpc;
import dev.potaccel.serve.grpc.InferTensorContents;
import dev.potaccel.serve.grpc.ModelInferRequest;
import dev.potaccel.serve.grpc.ModelInferResponse;
import dev.potaccel.serve.grpc.ModelMetadataRequest;
import dev.potaccel.serve.grpc.ModelMetadataResponse;
import dev.potaccel.serve.grpc.ServerLiveRequest;
import dev.potaccel.serve.grpc.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * A small KServe v2 gRPC client (plaintext, or TLS and a bearer token): health, metadata and inference with
 * typed contents or raw bytes. Errors are grpc-java's {@code StatusRuntimeException}.
 */
public final class GrpcClient implements AutoCloseable {
  private final ManagedChannel channel;
  private final GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

  public GrpcClient(String host, int port) {
    this(host, port, ClientSecurity.NONE);
  }

  /** A client of a server with TLS and/or a bearer token. */
  public GrpcClient(String host, int port, ClientSecurity security) {
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(host, port)
        .maxInboundMessageSize(64 << 20);
    if (security.tls()) {
      try {
        b.sslContext(GrpcSslContexts.forClient()
            .trustManager(security.trustedCertificate().toFile()).build());
      } catch (SSLException | IllegalArgumentException e) {
        throw new IllegalArgumentException(security.trustedCertificate()
            + ": cannot trust this certificate: " + e.getMessage(), e);
      }
    } else {
      b.usePlaintext();
    }
    if (security.authorization() != null) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
          security.authorization());
      b.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    this.channel = b.build();
    this.stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
  }

  /** The generated stub, for requests this class has no method for. */
  public GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub() {
    return stub.withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  /** The channel, for raw calls (tests send malformed messages through it). */
  public ManagedChannel channel() {
    return channel;
  }

  public boolean live() {
    return stub().serverLive(ServerLiveRequest.getDefaultInstance()).getLive();
  }

  public boolean ready() {
    return stub().serverReady(ServerReadyRequest.getDefaultInstance()).getReady();
  }

  public ModelMetadataResponse modelMetadata(String model) {
    return stub().modelMetadata(ModelMetadataRequest.newBuilder().setName(model).build());
  }

  /** An infer request for {@code inputs}, typed contents or raw. */
  public static ModelInferRequest request(String model, List<NamedTensor> inputs, boolean raw) {
    ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(model);
    for (NamedTensor t : inputs) {
      Datatype d = Datatype.of(t.tensor().dtype());
      ModelInferRequest.InferInputTensor.Builder in = ModelInferRequest.InferInputTensor
          .newBuilder().setName(t.name()).setDatatype(d.name());
      for (int s : t.tensor().shape()) {
        in.addShape(s);
      }
      if (raw) {
        b.addRawInputContents(ByteString.copyFrom(RestClient.bytes(t.tensor(), d)));
      } else {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        if (t.tensor().dtype().isFloat()) {
          for (float f : t.tensor().floats()) {
            c.addFp32Contents(f);
          }
        } else {
          for (long v : t.tensor().longs()) {
            c.addInt64Contents(v);
          }
        }
        in.setContents(c);
      }
      b.addInputs(in);
    }
    return b.build();
  }

  /** Runs {@code inputs} on {@code model}; every output in model order. */
  public List<NamedTensor> infer(String model, List<NamedTensor> inputs, boolean raw) {
    return outputs(stub().modelInfer(request(model, inputs, raw)));
  }

  /** The outputs of a response, raw or typed. */
  public static List<NamedTensor> outputs(ModelInferResponse r) {
    List<NamedTensor> out = new ArrayList<>();
    for (int i = 0; i < r.getOutputsCount(); i++) {
      ModelInferResponse.InferOutputTensor t = r.getOutputs(i);
      int[] shape = t.getShapeList().stream().mapToInt(Long::intValue).toArray();
      int n = Math.toIntExact(Tensor.elementCount(shape));
      Datatype d = Datatype.valueOf(t.getDatatype());
      Tensor tensor;
      if (r.getRawOutputContentsCount() > 0) {
        tensor = RestClient.fromBytes(r.getRawOutputContents(i).asReadOnlyByteBuffer()
            .order(ByteOrder.LITTLE_ENDIAN), d, shape, n);
      } else if (d == Datatype.FP32) {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) {
          v[k] = t.getContents().getFp32Contents(k);
        }
        tensor = Tensor.ofFloats(shape, v);
      } else {
        long[] v = new long[n];
        for (int k = 0; k < n; k++) {
          v[k] = t.getContents().getInt64Contents(k);
        }
        tensor = Tensor.ofLongs(d.graphType().orElseThrow(), shape, v);
      }
      out.add(new NamedTensor(t.getName(), tensor));
    }
    return out;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
