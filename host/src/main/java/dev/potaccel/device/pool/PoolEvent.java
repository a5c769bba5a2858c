package dev.potaccel.device.pool;

import java.time.Instant;
import java.util.Objects;

/**
 * Something that changed a {@link DevicePool}'s membership or plan, or a batch's path through it.
 *
 * @param time when the pool noticed
 * @param kind what happened
 * @param device the device concerned ("" for pool-wide events)
 * @param batch the batch's sequence number (0 for the first submitted), or -1
 * @param detail why, in words: the exception's message, the timeout, the new stage plan
 */
public record PoolEvent(Instant time, Kind kind, String device, long batch, String detail) {
  /** The kinds of event. */
  public enum Kind {
    /** A device failed (exception, timeout, wrong output) and was taken out of the pool. */
    REMOVED,
    /** A batch whose device failed was queued again for another device. */
    RETRIED,
    /** A batch failed for good: no healthy device left, or it failed on too many devices. */
    BATCH_FAILED,
    /** A removed device passed its health probe and is back in the pool. */
    REINSTATED,
    /** A health probe failed; the device stays out. */
    PROBE_FAILED,
    /** Pipeline mode: the stages were cut again or given to other devices. */
    REPLANNED,
    /** The last healthy device was removed: every waiting batch fails. */
    UNAVAILABLE
  }

  public PoolEvent {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(detail, "detail");
  }

  @Override
  public String toString() {
    return kind + (device.isEmpty() ? "" : " " + device) + (batch >= 0 ? " batch " + batch : "")
        + ": " + detail;
  }
}
