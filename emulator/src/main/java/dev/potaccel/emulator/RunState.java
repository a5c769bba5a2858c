package dev.potaccel.emulator;

/**
 * The buffers of one run: {@code byte[]} codes (NCHW, batch first, one byte per code) or {@code
 * float[]} values per package buffer, plus what steps need to execute.
 *
 * <p>Codes may also be held in <em>lane layout</em> ({@link LaneCodes}), the form the lane-path
 * convolution reads and writes, so that a chain of such layers (and the residual adds between
 * them) never transposes to NCHW and back. Either form is made from the other on first demand:
 * {@link #codes} always returns NCHW.
 */
final class RunState {
  final int batch;
  final Workers workers;
  final HostExecutor host;
  final BufferInfo[] buffers;
  private final Object[] values;
  private final LaneCodes[] lanes;

  /**
   * Codes laid out {@code [batch / lanes][perImage][lanes]}: code {@code i} of image {@code n}
   * at {@code ((n / lanes) * perImage + i) * lanes + n % lanes}; the lanes past the batch in the
   * last group hold codes of no image (never read back).
   */
  record LaneCodes(byte[] data, int lanes) {}

  RunState(int batch, Workers workers, HostExecutor host, BufferInfo[] buffers) {
    this.batch = batch;
    this.workers = workers;
    this.host = host;
    this.buffers = buffers;
    this.values = new Object[buffers.length];
    this.lanes = new LaneCodes[buffers.length];
  }

  byte[] codes(int buffer) {
    if (values[buffer] == null && lanes[buffer] != null) {
      values[buffer] = toNchw(lanes[buffer], buffers[buffer].perImage());
    }
    return (byte[]) values[buffer];
  }

  /** Codes of {@code buffer} in lane layout of {@code laneCount} lanes. */
  LaneCodes laneCodes(int buffer, int laneCount) {
    LaneCodes l = lanes[buffer];
    if (l == null || l.lanes() != laneCount) {
      l = toLanes(codes(buffer), buffers[buffer].perImage(), laneCount);
      lanes[buffer] = l;
    }
    return l;
  }

  /** Lanes of {@code buffer}'s lane-layout codes, 0 when it holds none. */
  int laneCount(int buffer) {
    return lanes[buffer] == null ? 0 : lanes[buffer].lanes();
  }

  float[] floats(int buffer) {
    return (float[]) values[buffer];
  }

  /** The buffer's value: NCHW codes (made from lane layout if needed) or floats. */
  Object value(int buffer) {
    return lanes[buffer] != null ? codes(buffer) : values[buffer];
  }

  void put(int buffer, Object value) {
    values[buffer] = value;
    lanes[buffer] = null;
  }

  void putLanes(int buffer, LaneCodes value) {
    values[buffer] = null;
    lanes[buffer] = value;
  }

  void drop(int buffer) {
    values[buffer] = null;
    lanes[buffer] = null;
  }

  /** Values of buffer {@code b} for the whole batch. */
  int size(int buffer) {
    return batch * buffers[buffer].perImage();
  }

  // Both transposes go in blocks of BLOCK codes per image: the block's BLOCK x lanes bytes stay
  // in L1 while each image's codes are read or written in a row (measured about 3x faster than
  // a whole image at a time, which strides through the buffer once per image).
  private static final int BLOCK = 256;

  private LaneCodes toLanes(byte[] x, int perImage, int laneCount) {
    int groups = ConvStep.ceilDiv(batch, laneCount);
    byte[] d = new byte[groups * perImage * laneCount];
    workers.parallelFor(groups, g -> {
      int images = Math.min(laneCount, batch - g * laneCount);
      int base = g * perImage * laneCount;
      for (int i0 = 0; i0 < perImage; i0 += BLOCK) {
        int i1 = Math.min(perImage, i0 + BLOCK);
        for (int l = 0; l < images; l++) {
          int src = (g * laneCount + l) * perImage;
          for (int i = i0, o = base + i0 * laneCount + l; i < i1; i++, o += laneCount) {
            d[o] = x[src + i];
          }
        }
      }
    });
    return new LaneCodes(d, laneCount);
  }

  private byte[] toNchw(LaneCodes l, int perImage) {
    int laneCount = l.lanes();
    byte[] x = new byte[batch * perImage];
    byte[] d = l.data();
    int groups = ConvStep.ceilDiv(batch, laneCount);
    workers.parallelFor(groups, g -> {
      int images = Math.min(laneCount, batch - g * laneCount);
      int base = g * perImage * laneCount;
      for (int i0 = 0; i0 < perImage; i0 += BLOCK) {
        int i1 = Math.min(perImage, i0 + BLOCK);
        for (int lane = 0; lane < images; lane++) {
          int dst = (g * laneCount + lane) * perImage;
          for (int i = i0, o = base + i0 * laneCount + lane; i < i1; i++, o += laneCount) {
            x[dst + i] = d[o];
          }
        }
      }
    });
    return x;
  }
}
