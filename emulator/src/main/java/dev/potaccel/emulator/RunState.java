package dev.potaccel.emulator;

/**
 * The buffers of one run: {@code byte[]} codes (NCHW, batch first, one byte per code) or {@code
 * float[]} values per package buffer, plus what steps need to execute.
 */
final class RunState {
  final int batch;
  final Workers workers;
  final HostExecutor host;
  final BufferInfo[] buffers;
  private final Object[] values;

  RunState(int batch, Workers workers, HostExecutor host, BufferInfo[] buffers) {
    this.batch = batch;
    this.workers = workers;
    this.host = host;
    this.buffers = buffers;
    this.values = new Object[buffers.length];
  }

  byte[] codes(int buffer) {
    return (byte[]) values[buffer];
  }

  float[] floats(int buffer) {
    return (float[]) values[buffer];
  }

  Object value(int buffer) {
    return values[buffer];
  }

  void put(int buffer, Object value) {
    values[buffer] = value;
  }

  void drop(int buffer) {
    values[buffer] = null;
  }

  /** Values of buffer {@code b} for the whole batch. */
  int size(int buffer) {
    return batch * buffers[buffer].perImage();
  }
}
