package dev.potaccel.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.potaccel.graph.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * ONNX Runtime, CPU execution provider, one session: {@code threads} intra-op threads, one
 * inter-op thread, sequential execution, all graph optimizations. The input is copied into a
 * direct buffer this backend owns (ONNX Runtime then reads it without another copy) and the first
 * output copied out into a heap tensor, as a Java caller would.
 */
final class OnnxRuntimeBackend implements Backend {
  private final OrtEnvironment env;
  private final SessionOptions options;
  private final OrtSession session;
  private final String input;
  private FloatBuffer staging = FloatBuffer.allocate(0);
  private boolean closed;

  OnnxRuntimeBackend(Path model, int threads) {
    env = OrtEnvironment.getEnvironment();
    SessionOptions opts = new SessionOptions();
    try {
      opts.setIntraOpNumThreads(threads);
      opts.setInterOpNumThreads(1);
      opts.setExecutionMode(ExecutionMode.SEQUENTIAL);
      opts.setOptimizationLevel(OptLevel.ALL_OPT);
      session = env.createSession(model.toString(), opts);
      input = session.getInputNames().iterator().next();
    } catch (OrtException e) {
      opts.close();
      throw new BackendException("onnxruntime: cannot load " + model + ": " + e.getMessage(), e);
    }
    options = opts;
  }

  @Override
  public String name() {
    return BackendKind.ONNXRUNTIME.id();
  }

  @Override
  public Tensor run(Tensor batch) {
    if (closed) {
      throw new IllegalStateException("onnxruntime backend is closed");
    }
    float[] data = batch.floats();
    if (staging.capacity() < data.length) {
      staging = ByteBuffer.allocateDirect(4 * data.length).order(ByteOrder.nativeOrder())
          .asFloatBuffer();
    }
    staging.clear();
    staging.put(data).flip();
    long[] shape = Arrays.stream(batch.shape()).asLongStream().toArray();
    try (OnnxTensor in = OnnxTensor.createTensor(env, staging, shape);
        OrtSession.Result result = session.run(Map.of(input, in))) {
      OnnxTensor out = (OnnxTensor) result.get(0);
      FloatBuffer values = out.getFloatBuffer();
      float[] copy = new float[values.remaining()];
      values.get(copy);
      return Tensor.ofFloats(Arrays.stream(out.getInfo().getShape()).mapToInt(Math::toIntExact)
          .toArray(), copy);
    } catch (OrtException e) {
      throw new BackendException("onnxruntime: run failed on " + batch + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      session.close();
    } catch (OrtException e) {
      throw new BackendException("onnxruntime: closing the session failed: " + e.getMessage(), e);
    } finally {
      options.close(); // options must outlive the session built from them
    }
  }
}
