package dev.potaccel.serve;

import io.grpc.Status;

/**
 * Why a request failed, and the one table that maps each reason to an HTTP status and a gRPC
 * code (as grpc-java keeps its HTTP↔gRPC table in one place), so REST and gRPC clients hear the
 * same thing. Queue-full is 429 / RESOURCE_EXHAUSTED rather than Triton's 503 / UNAVAILABLE: a
 * client should back off and retry, not take the server out of rotation.
 */
public enum ServeError {
  /** The request is malformed or does not fit the model. */
  BAD_REQUEST(400, Status.Code.INVALID_ARGUMENT, "OTHER"),
  /** The server wants a bearer token and the request has none or a wrong one. */
  UNAUTHENTICATED(401, Status.Code.UNAUTHENTICATED, "OTHER"),
  /** No such model, version or endpoint. */
  NOT_FOUND(404, Status.Code.NOT_FOUND, "OTHER"),
  /** The HTTP method is not one the endpoint takes. */
  METHOD_NOT_ALLOWED(405, Status.Code.UNIMPLEMENTED, "OTHER"),
  /** The body is over the configured size limit. */
  TOO_LARGE(413, Status.Code.RESOURCE_EXHAUSTED, "OTHER"),
  /** The model's queue is full. */
  OVERLOADED(429, Status.Code.RESOURCE_EXHAUSTED, "REJECTED"),
  /** Models still loading, or the server is shutting down. */
  UNAVAILABLE(503, Status.Code.UNAVAILABLE, "REJECTED"),
  /** The request waited in the queue longer than its timeout. */
  TIMEOUT(503, Status.Code.DEADLINE_EXCEEDED, "REJECTED"),
  /** The device failed, or a bug. */
  INTERNAL(500, Status.Code.INTERNAL, "BACKEND");

  private final int httpStatus;
  private final Status.Code grpcCode;
  private final String metricReason;

  ServeError(int httpStatus, Status.Code grpcCode, String metricReason) {
    this.httpStatus = httpStatus;
    this.grpcCode = grpcCode;
    this.metricReason = metricReason;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public Status.Code grpcCode() {
    return grpcCode;
  }

  /** The {@code reason} label of {@code nv_inference_request_failure}. */
  String metricReason() {
    return metricReason;
  }
}
