package dev.potaccel.device.opencl;

/**
 * When one batch's three phases ran on the device, from its profiling events (device clock,
 * nanoseconds; one clock for both queues of a device): the upload of the model inputs on the
 * transfer queue, the commands on the compute queue (first kernel start to last kernel end, HOST
 * commands included), the download of the outputs on the transfer queue. A phase without events
 * has start = end = 0.
 */
public record BatchTimeline(long uploadStart, long uploadEnd, long computeStart, long computeEnd,
    long downloadStart, long downloadEnd) {

  /** Nanoseconds of this batch's upload that ran during {@code previous}'s compute. */
  public long uploadOverlapWith(BatchTimeline previous) {
    long a = Math.max(uploadStart, previous.computeStart);
    long b = Math.min(uploadEnd, previous.computeEnd);
    return Math.max(0, b - a);
  }

  /**
   * Nanoseconds of this batch's upload that ended before {@code previous}'s commands did: hidden
   * behind them, so this batch's commands did not wait for it (it may have run earlier still,
   * when both queues were free).
   */
  public long uploadHiddenBehind(BatchTimeline previous) {
    return Math.max(0, Math.min(uploadEnd, previous.computeEnd) - uploadStart);
  }

  public long uploadNanos() {
    return uploadEnd - uploadStart;
  }
}
