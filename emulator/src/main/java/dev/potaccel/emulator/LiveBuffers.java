package dev.potaccel.emulator;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The buffers of one run at a cut between two commands ({@link Emulator#liveBuffers}): codes
 * (one byte per code, NCHW, batch first) and FP32 values, keyed by package buffer index. This is
 * what one pipeline stage hands the next: codes, not FP32, wherever the buffer holds codes.
 *
 * <p>Arrays are shared, not copied: once handed over, nobody writes them (the emulator's commands
 * always write fresh arrays).
 *
 * @param at the cut: the index of the next command to run ({@code commandCount()} after the last)
 * @param batch images in the run
 */
public record LiveBuffers(int at, int batch, Map<Integer, byte[]> codes,
    Map<Integer, float[]> floats) {
  public LiveBuffers {
    if (at < 0) {
      throw new IllegalArgumentException("cut must be >= 0, got " + at);
    }
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be >= 1, got " + batch);
    }
    codes = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(codes, "codes")));
    floats = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(floats, "floats")));
  }

  /** Bytes the buffers hold: one per code, four per FP32 value (what a transfer would move). */
  public long bytes() {
    long n = 0;
    for (byte[] c : codes.values()) {
      n += c.length;
    }
    for (float[] f : floats.values()) {
      n += 4L * f.length;
    }
    return n;
  }

  @Override
  public String toString() {
    return "LiveBuffers[at=" + at + ", batch=" + batch + ", codes=" + codes.keySet() + ", floats="
        + floats.keySet() + ", " + bytes() + " bytes]";
  }
}
