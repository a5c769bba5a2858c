package dev.potaccel.bench;

/**
 * What one backend did in the timed part of a run.
 *
 * @param backend the backend's name
 * @param batchSize images per batch
 * @param batches batches run
 * @param busySeconds time spent inside {@link Backend#run}, summed
 * @param p50Millis median latency of one batch
 * @param p99Millis 99th-percentile latency of one batch (nearest rank)
 * @param cpuSeconds process CPU time during this backend's turns (NaN when unknown)
 */
public record BackendResult(String backend, int batchSize, long batches, double busySeconds,
    double p50Millis, double p99Millis, double cpuSeconds) {

  /** Images per second of busy time: one batch in flight at a time, so batch / mean latency. */
  public double imagesPerSecond() {
    return busySeconds > 0 ? batches * (double) batchSize / busySeconds : 0;
  }

  /** Process CPU milliseconds per batch: robust to other jobs on the machine. */
  public double cpuMillisPerBatch() {
    return batches > 0 ? cpuSeconds * 1e3 / batches : Double.NaN;
  }
}
