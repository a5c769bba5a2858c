package dev.potaccel.device.pool;

import dev.potaccel.emulator.LiveBuffers;
import dev.potaccel.graph.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake that fails on purpose: wraps a real device and, from call {@code from} on (call 1 is the
 * pool's opening health probe), for {@code times} calls, throws, hangs until interrupted, or
 * returns an output one value short. {@link #repair} stops the faults.
 */
final class FaultyDevice implements InferenceDevice {
  enum Kind { THROW, HANG, SHORT_OUTPUT }

  private final InferenceDevice inner;
  private final Kind kind;
  private final int from;
  private volatile int times;
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger faults = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();

  FaultyDevice(InferenceDevice inner, Kind kind, int from, int times) {
    this.inner = inner;
    this.kind = kind;
    this.from = from;
    this.times = times;
  }

  /** Always fails after the opening probe. */
  static FaultyDevice broken(InferenceDevice inner, Kind kind) {
    return new FaultyDevice(inner, kind, 2, Integer.MAX_VALUE);
  }

  void repair() {
    times = 0;
  }

  int faults() {
    return faults.get();
  }

  int calls() {
    return calls.get();
  }

  boolean closed() {
    return closed.get();
  }

  /** Whether this call fails; hangs or throws for THROW and HANG. */
  private boolean fault() {
    int call = calls.incrementAndGet();
    if (call < from || faults.get() >= times) {
      return false;
    }
    faults.incrementAndGet();
    switch (kind) {
      case THROW -> throw new IllegalStateException(name() + ": injected fault on call " + call);
      case HANG -> {
        try {
          Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new IllegalStateException(name() + ": hung on call " + call + ", interrupted");
      }
      default -> {
        return true;
      }
    }
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public List<Tensor> run(List<Tensor> batch) {
    boolean shorten = fault();
    List<Tensor> out = inner.run(batch);
    if (!shorten) {
      return out;
    }
    Tensor t = out.get(0);
    float[] v = Arrays.copyOf(t.floats(), t.floats().length - 1);
    return List.of(Tensor.ofFloats(new int[] {v.length}, v));
  }

  @Override
  public boolean runsStages() {
    return inner.runsStages();
  }

  @Override
  public LiveBuffers runStage(LiveBuffers in, int to) {
    boolean shorten = fault();
    LiveBuffers out = inner.runStage(in, to);
    if (!shorten) {
      return out;
    }
    Map<Integer, byte[]> codes = new HashMap<>(out.codes());
    Map<Integer, float[]> floats = new HashMap<>(out.floats());
    if (!codes.isEmpty()) {
      var e = codes.entrySet().iterator().next();
      codes.put(e.getKey(), Arrays.copyOf(e.getValue(), e.getValue().length - 1));
    } else {
      var e = floats.entrySet().iterator().next();
      floats.put(e.getKey(), Arrays.copyOf(e.getValue(), e.getValue().length - 1));
    }
    return new LiveBuffers(out.at(), out.batch(), codes, floats);
  }

  @Override
  public void close() {
    closed.set(true);
    inner.close();
  }
}
