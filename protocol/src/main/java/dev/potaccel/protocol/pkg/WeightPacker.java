package dev.potaccel.protocol.pkg;

/**
 * The DMA weight and bias layout of docs/accelerator.md §4 (layout version 2).
 *
 * <p>Weights: output channels are cut into tiles of {@code peOut}, the last tile holding only the
 * channels that remain; inside a tile the codes run input channel, ky, kx, then the tile's
 * channels innermost, packed densely least significant bit first; each tile starts at a multiple
 * of {@code burstBytes} and the gap after it is zero. {@link WeightLayout} gives the offsets and
 * sizes. Biases: int32 little-endian, padded to a multiple of {@code peOut} values, the block padded
 * with zeros to a multiple of the burst.
 *
 * <p>Codes arrive and leave row-major {@code [m][cg][kh][kw]}. Shapes and codes that break these
 * rules are programmer errors ({@link IllegalArgumentException}); a blob too short for the layer it
 * should hold is bad input ({@link PackageFormatException} naming the byte offset).
 */
public final class WeightPacker {
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  private WeightPacker() {}

  /**
   * Packs one layer's weight codes.
   *
   * @param codes row-major {@code [m][cg][kh][kw]}, each in {@code [0, 2^bits)}
   * @param bits code width, 1..8 (the contract uses 2..8)
   */
  public static byte[] pack(
      int[] codes, int m, int cg, int kh, int kw, int bits, WeightTiling tiling) {
    WeightLayout layout = new WeightLayout(m, cg, kh, kw, bits, tiling);
    int perChannel = checkCodes(codes, layout);
    byte[] out = new byte[toArraySize(layout.packedSize(), "the packed layer")];
    for (int t = 0; t < layout.tiles(); t++) {
      int pos = (int) layout.offset(t);
      int first = layout.firstChannel(t);
      int width = layout.width(t);
      long acc = 0;
      int n = 0; // bits pending in acc
      for (int j = 0; j < perChannel; j++) {
        int idx = first * perChannel + j;
        for (int p = 0; p < width; p++, idx += perChannel) {
          int code = codes[idx];
          if (code >>> bits != 0) {
            throw badCode(codes, idx, cg, kh, kw, bits);
          }
          acc |= (long) code << n;
          n += bits;
          if (n >= 64) {
            putLong(out, pos, acc);
            pos += 8;
            n -= 64;
            acc = (long) code >>> (bits - n); // the code's bits that did not fit (none if n == 0)
          }
        }
      }
      for (; n > 0; n -= 8) {
        out[pos++] = (byte) acc;
        acc >>>= 8;
      }
    }
    return out;
  }

  /**
   * Unpacks one layer's weight codes from {@code data} starting at {@code offset}; the inverse of
   * {@link #pack}. Gap bytes are ignored.
   *
   * @return row-major {@code [m][cg][kh][kw]} codes
   * @throws PackageFormatException if {@code data} ends before the layer's {@link #packedSize}
   */
  public static int[] unpack(
      byte[] data, int offset, int m, int cg, int kh, int kw, int bits, WeightTiling tiling) {
    WeightLayout layout = new WeightLayout(m, cg, kh, kw, bits, tiling);
    long size = layout.packedSize();
    if (!fits(data, offset, size)) { // messages built only on failure: string concatenation
      // costs tens of milliseconds to bootstrap on first use, more than the unpacking itself
      throw tooShort(data, offset, size, "packed weights of " + layout);
    }
    int perChannel = (int) layout.perChannel();
    int mask = (1 << bits) - 1;
    int[] out = new int[toArraySize((long) m * perChannel, "the unpacked layer")];
    for (int t = 0; t < layout.tiles(); t++) {
      int pos = offset + (int) layout.offset(t);
      int end = pos + (int) layout.dataBytes(t);
      int width = layout.width(t);
      long acc = 0;
      int avail = 0; // bits left in acc
      int base = layout.firstChannel(t) * perChannel;
      for (int j = 0; j < perChannel; j++) {
        int idx = base + j;
        for (int p = 0; p < width; p++, idx += perChannel) {
          int code;
          if (avail >= bits) {
            code = (int) acc & mask;
            acc >>>= bits;
            avail -= bits;
          } else {
            long word;
            int wordBits;
            if (end - pos >= 8) {
              word = getLong(data, pos);
              pos += 8;
              wordBits = 64;
            } else {
              word = 0;
              wordBits = 0;
              while (pos < end) {
                word |= (data[pos++] & 0xFFL) << wordBits;
                wordBits += 8;
              }
            }
            int need = bits - avail;
            code = (int) (acc | word << avail) & mask;
            acc = word >>> need;
            avail = wordBits - need;
          }
          out[idx] = code;
        }
      }
    }
    return out;
  }

  /**
   * Bytes one layer occupies in the weights blob: {@code (tiles - 1) · ceil(peOut·cg·kh·kw·bits /
   * 8 / burst) · burst + ceil(r·cg·kh·kw·bits / 8 / burst) · burst}, where {@code r} is the last
   * tile's width ({@code m mod peOut}, or {@code peOut} when that is 0).
   */
  public static long packedSize(int m, int cg, int kh, int kw, int bits, WeightTiling tiling) {
    return new WeightLayout(m, cg, kh, kw, bits, tiling).packedSize();
  }

  /** Bytes from one full tile's start to the next: its codes rounded up to a whole burst. */
  public static long tileStride(int cg, int kh, int kw, int bits, WeightTiling tiling) {
    return WeightLayout.roundUp(tileDataBytes(cg, kh, kw, bits, tiling), tiling.burstBytes());
  }

  /**
   * Bytes of codes in one full tile, {@code ceil(peOut·cg·kh·kw·bits / 8)}, without the burst gap:
   * the largest tile of any layer with this kernel.
   */
  public static long tileDataBytes(int cg, int kh, int kw, int bits, WeightTiling tiling) {
    new WeightLayout(1, cg, kh, kw, bits, tiling); // checks the shape
    long tileBits;
    try {
      tileBits =
          Math.multiplyExact(
              Math.multiplyExact((long) tiling.peOut() * cg, (long) kh * kw), (long) bits);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "tile too large: " + WeightLayout.describe(1, cg, kh, kw, bits, tiling));
    }
    return (tileBits + 7) / 8;
  }

  /** Number of tiles: {@code ceil(m / peOut)}. */
  public static int tileCount(int m, int peOut) {
    return (int) (((long) m + peOut - 1) / peOut);
  }

  /**
   * Packs one layer's biases: int32 little-endian, padded with zeros to a multiple of {@code peOut}
   * values and then to a multiple of the burst.
   */
  public static byte[] packBias(int[] bias, WeightTiling tiling) {
    int m = bias.length;
    byte[] out = new byte[toArraySize(packedBiasSize(m, tiling), "the bias block")];
    for (int i = 0; i < m; i++) {
      putInt(out, 4 * i, bias[i]);
    }
    return out;
  }

  /**
   * Reads {@code m} biases packed by {@link #packBias} from {@code data} at {@code offset}.
   *
   * @throws PackageFormatException if {@code data} ends before the block's {@link #packedBiasSize}
   */
  public static int[] unpackBias(byte[] data, int offset, int m, WeightTiling tiling) {
    long size = packedBiasSize(m, tiling);
    if (!fits(data, offset, size)) {
      throw tooShort(data, offset, size, "bias block of " + m + " channels");
    }
    int[] out = new int[m];
    for (int i = 0; i < m; i++) {
      out[i] = getInt(data, offset + 4 * i);
    }
    return out;
  }

  /**
   * Bytes of one layer's bias block: {@code ceil(m / peOut) · peOut · 4} rounded up to the burst.
   */
  public static long packedBiasSize(int m, WeightTiling tiling) {
    if (m <= 0) {
      throw new IllegalArgumentException("bias needs m >= 1, got " + m);
    }
    long values = (long) tileCount(m, tiling.peOut()) * tiling.peOut();
    return WeightLayout.roundUp(values * 4, tiling.burstBytes());
  }

  /** Checks the codes' count against {@code layout}; returns the codes per output channel. */
  private static int checkCodes(int[] codes, WeightLayout layout) {
    long perChannel = layout.perChannel();
    if (perChannel * layout.m() != codes.length) {
      throw new IllegalArgumentException(
          "expected m·cg·kh·kw = "
              + layout.m()
              + "·"
              + layout.cg()
              + "·"
              + layout.kh()
              + "·"
              + layout.kw()
              + " = "
              + perChannel * layout.m()
              + " codes, got "
              + codes.length);
    }
    return toArraySize(perChannel, "one output channel");
  }

  private static IllegalArgumentException badCode(
      int[] codes, int idx, int cg, int kh, int kw, int bits) {
    int perChannel = cg * kh * kw;
    int j = idx % perChannel;
    return new IllegalArgumentException(
        "code "
            + codes[idx]
            + " at [m="
            + idx / perChannel
            + ", c="
            + j / (kh * kw)
            + ", ky="
            + j / kw % kh
            + ", kx="
            + j % kw
            + "] (index "
            + idx
            + ") is outside [0, "
            + (1 << bits)
            + ") for "
            + bits
            + "-bit codes");
  }

  private static boolean fits(byte[] data, int offset, long size) {
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset " + offset);
    }
    return offset + size <= data.length;
  }

  private static PackageFormatException tooShort(byte[] data, int offset, long size, String what) {
    return new PackageFormatException(
        what
            + ": bytes ["
            + offset
            + ", "
            + (offset + size)
            + ") needed, but the data ends at byte "
            + data.length);
  }

  // Little-endian words by hand: a byteArrayViewVarHandle costs tens of milliseconds to link on
  // first use, more than packing a whole ResNet-20 once the loop is compiled.

  private static void putLong(byte[] b, int at, long v) {
    for (int i = 0; i < 8; i++) {
      b[at + i] = (byte) (v >>> (8 * i));
    }
  }

  private static long getLong(byte[] b, int at) {
    return (b[at] & 0xFFL)
        | (b[at + 1] & 0xFFL) << 8
        | (b[at + 2] & 0xFFL) << 16
        | (b[at + 3] & 0xFFL) << 24
        | (b[at + 4] & 0xFFL) << 32
        | (b[at + 5] & 0xFFL) << 40
        | (b[at + 6] & 0xFFL) << 48
        | (b[at + 7] & 0xFFL) << 56;
  }

  private static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) v;
    b[at + 1] = (byte) (v >>> 8);
    b[at + 2] = (byte) (v >>> 16);
    b[at + 3] = (byte) (v >>> 24);
  }

  private static int getInt(byte[] b, int at) {
    return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | b[at + 3] << 24;
  }

  private static int toArraySize(long bytes, String what) {
    if (bytes > MAX_ARRAY) {
      throw new IllegalArgumentException(
          what + " needs " + bytes + " elements, more than an array holds");
    }
    return (int) bytes;
  }
}
