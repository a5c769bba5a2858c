package dev.potaccel.serve;

import dev.potaccel.device.pool.DevicePool;
import dev.potaccel.device.session.InferenceSession;
import dev.potaccel.graph.Tensor;
import dev.potaccel.graph.TensorType;
import dev.potaccel.graph.ValueInfo;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A model file opened with host's {@link InferenceSession}: the server's real model. */
final class SessionModel implements InferenceModel {
  private final InferenceSession session;
  private final List<TensorSpec> inputs;
  private final List<TensorSpec> outputs;

  SessionModel(InferenceSession session) {
    this.session = session;
    this.inputs = session.inputs().stream().map(SessionModel::spec).toList();
    this.outputs = session.outputs().stream().map(SessionModel::spec).toList();
  }

  /** A graph value as v2 metadata: unknown dimensions (the batch) as -1. */
  private static TensorSpec spec(ValueInfo v) {
    TensorType t = v.type();
    long[] shape = new long[t.hasRank() ? t.rank() : 0];
    for (int d = 0; d < shape.length; d++) {
      int dim = t.dim(d);
      shape[d] = dim < 0 ? -1 : dim;
    }
    return new TensorSpec(v.name(), Datatype.of(t.dtype()), shape);
  }

  @Override
  public List<TensorSpec> inputs() {
    return inputs;
  }

  @Override
  public List<TensorSpec> outputs() {
    return outputs;
  }

  @Override
  public String device() {
    return session.deviceLabel();
  }

  /** How the session was opened, for the load log line. */
  String description() {
    return session.description();
  }

  @Override
  public List<Tensor> run(List<Tensor> batch) {
    return session.run(batch);
  }

  @Override
  public CompletableFuture<List<Tensor>> submit(List<Tensor> batch) {
    return session.submit(batch);
  }

  @Override
  public int parallelism() {
    return session.parallelism();
  }

  @Override
  public List<DevicePool.DeviceState> deviceStates() {
    return session.deviceStates();
  }

  @Override
  public void close() {
    session.close();
  }
}
