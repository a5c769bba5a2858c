package dev.potaccel.serve;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;

/**
 * Refuses gRPC calls without the server's bearer token in the {@code authorization} metadata
 * with UNAUTHENTICATED; ServerLive and ServerReady stay open, as REST's health endpoints do, so
 * probes need no secret.
 */
final class GrpcAuth implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Set<String> OPEN = Set.of("inference.GRPCInferenceService/ServerLive",
      "inference.GRPCInferenceService/ServerReady");

  private final BearerToken token;

  GrpcAuth(BearerToken token) {
    this.token = token;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    if (OPEN.contains(method) || token.accepts(headers.get(AUTHORIZATION))) {
      return next.startCall(call, headers);
    }
    call.close(Status.UNAUTHENTICATED.withDescription(method + ": " + (headers.containsKey(
        AUTHORIZATION) ? "the bearer token is wrong" : "no 'authorization: Bearer <token>'"
        + " metadata") + "; this server requires its auth token (ServerLive and ServerReady"
        + " excepted)"), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
