package dev.potaccel.protocol.pkg;

/**
 * Where one layer's weight tiles lie in the weights blob (docs/accelerator.md §4, layout version
 * 2): output channels in tiles of {@code peOut}, the last tile holding only the {@code m mod peOut}
 * channels that remain (no code-0 padding channels), every tile starting at a multiple of the burst.
 * Full tiles all have the same stride, so tile {@code t} starts at {@code t · stride(0)} and only the
 * last tile can be shorter.
 *
 * <p>One record so that the packer, the validator, the tile schedules and the cost model compute
 * the same offsets and sizes from one place.
 *
 * @param m output channels
 * @param cg input channels per group
 * @param kh kernel rows
 * @param kw kernel columns
 * @param bits code width, 1..8 (the contract uses 2..8)
 * @param tiling P_out and the burst
 * @throws IllegalArgumentException for a non-positive dimension, a bad width, or a layer whose byte
 *     counts overflow a long
 */
public record WeightLayout(int m, int cg, int kh, int kw, int bits, WeightTiling tiling) {
  public WeightLayout {
    if (m <= 0 || cg <= 0 || kh <= 0 || kw <= 0) {
      throw new IllegalArgumentException(
          "weight shape must be positive: m=" + m + " cg=" + cg + " kh=" + kh + " kw=" + kw);
    }
    if (bits < 1 || bits > 8) {
      throw new IllegalArgumentException("code width must be 1..8 bits, got " + bits);
    }
    if (tiling == null) {
      throw new IllegalArgumentException("tiling is null");
    }
    try {
      // the largest product any method computes: every code's bits, and whole bursts per tile
      Math.multiplyExact(Math.multiplyExact((long) m * cg, (long) kh * kw), (long) bits + 8);
      Math.multiplyExact((long) m, (long) tiling.burstBytes());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("layer too large: " + describe(m, cg, kh, kw, bits, tiling));
    }
  }

  /** Codes per output channel, {@code cg · kh · kw}. */
  public long perChannel() {
    return (long) cg * kh * kw;
  }

  /** Number of tiles, {@code ceil(m / peOut)}. */
  public int tiles() {
    return (int) (((long) m + tiling.peOut() - 1) / tiling.peOut());
  }

  /** Output channels in tile {@code t}: {@code peOut}, or what remains for the last tile. */
  public int width(int t) {
    checkTile(t);
    return (int) Math.min(tiling.peOut(), (long) m - (long) t * tiling.peOut());
  }

  /** The first output channel of tile {@code t}. */
  public int firstChannel(int t) {
    checkTile(t);
    return t * tiling.peOut();
  }

  /** Bits of codes in tile {@code t}: {@code width(t) · cg · kh · kw · bits}. */
  public long tileBits(int t) {
    return width(t) * perChannel() * bits;
  }

  /** Bytes of codes in tile {@code t}, {@code ceil(tileBits / 8)}, without the burst gap. */
  public long dataBytes(int t) {
    return (tileBits(t) + 7) / 8;
  }

  /** Bytes from tile {@code t}'s start to the next tile: its codes rounded up to a whole burst. */
  public long stride(int t) {
    return roundUp(dataBytes(t), tiling.burstBytes());
  }

  /** Offset of tile {@code t} from the layer's start: {@code t · stride(0)}. */
  public long offset(int t) {
    checkTile(t);
    return t == 0 ? 0 : t * stride(0);
  }

  /** Bytes the layer occupies in the weights blob: every tile's stride. */
  public long packedSize() {
    int last = tiles() - 1;
    return offset(last) + stride(last);
  }

  /** Bytes of tiles {@code [first, first + count)} with their gaps: what one pass of them loads. */
  public long bytesOfTiles(int first, int count) {
    if (count <= 0 || first < 0 || first + count > tiles()) {
      throw new IllegalArgumentException(
          "tiles [" + first + ", " + (first + count) + ") of " + tiles());
    }
    int last = first + count - 1;
    return offset(last) + stride(last) - offset(first);
  }

  /** {@code m · cg · kh · kw · bits}: the bits of the codes with no tiling or alignment. */
  public long idealBits() {
    return m * perChannel() * bits;
  }

  /**
   * Bits beyond the ideal: per tile, the gap up to the next burst (counting the unused bits of a
   * tile's last byte). {@code 8 · packedSize = idealBits + alignmentBits} exactly.
   */
  public long alignmentBits() {
    return 8 * packedSize() - idealBits();
  }

  @Override
  public String toString() {
    return describe(m, cg, kh, kw, bits, tiling);
  }

  private void checkTile(int t) {
    if (t < 0 || t >= tiles()) {
      throw new IllegalArgumentException("tile " + t + " of " + tiles());
    }
  }

  static long roundUp(long bytes, int burst) {
    return Math.multiplyExact((bytes + burst - 1) / burst, (long) burst);
  }

  static String describe(int m, int cg, int kh, int kw, int bits, WeightTiling tiling) {
    return "["
        + m
        + ", "
        + cg
        + ", "
        + kh
        + ", "
        + kw
        + "] at "
        + bits
        + " bits (peOut "
        + (tiling == null ? "?" : tiling.peOut())
        + ", burst "
        + (tiling == null ? "?" : tiling.burstBytes())
        + ")";
  }
}
