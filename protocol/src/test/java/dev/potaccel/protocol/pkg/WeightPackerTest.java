package dev.potaccel.protocol.pkg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.error.ErrorKind;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WeightPackerTest {
  private static final long SEED = 20_261_123L;
  private static final int[] PE_OUT = {1, 4, 16, 32};
  private static final int[] BURST = {1, 32, 64};

  /**
   * docs/accelerator.md §4 by hand: m=3, cg=1, 1x2 kernel, 3-bit codes, peOut=2, burst=4.
   *
   * <p>Tile 0 holds channels 0 and 1. Order c, ky, kx, then the tile's channels innermost:
   * w[0][0][0][0]=5, w[1][0][0][0]=3, w[0][0][0][1]=6, w[1][0][0][1]=1. Code i occupies bits [3i,
   * 3i+3), LSB first: 5 | 3<<3 | 6<<6 | 1<<9 = 0b011_1001_1101 = 0x39D, so bytes 0x9D 0x03; 12 bits
   * fit in 2 bytes, the tile is padded with zeros to the 4-byte burst.
   *
   * <p>Tile 1 is the short last tile: it holds channel 2 only (layout version 2; version 1 padded
   * it with a code-0 channel): w[2][0][0][0]=7, w[2][0][0][1]=2: 7 | 2<<3 = 0x17, one byte, then 3
   * gap bytes up to the burst.
   */
  @Test
  void packsTheHandWorkedExampleByteForByte() {
    int[] codes = {
      5, 6, // channel 0: kx=0, kx=1
      3, 1, // channel 1
      7, 2 // channel 2
    };
    WeightTiling tiling = new WeightTiling(2, 4);
    byte[] expected = {(byte) 0x9D, 0x03, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00};
    assertArrayEquals(expected, WeightPacker.pack(codes, 3, 1, 1, 2, 3, tiling));
    assertEquals(8, WeightPacker.packedSize(3, 1, 1, 2, 3, tiling));
    assertArrayEquals(codes, WeightPacker.unpack(expected, 0, 3, 1, 1, 2, 3, tiling));
    WeightLayout layout = new WeightLayout(3, 1, 1, 2, 3, tiling);
    assertEquals(1, layout.width(1));
    assertEquals(1, layout.dataBytes(1));
    assertEquals(4, layout.offset(1));
    // ideal 18 bits; tile 0 has 12 bits of codes in 4 bytes, tile 1 6 bits in 4
    assertEquals(18, layout.idealBits());
    assertEquals(64 - 18, layout.alignmentBits());
  }

  /**
   * The short last tile takes only its own channels' bytes: the depthwise case §4 justifies.
   * mobilenet-small's 3x3 depthwise layer with 40 channels at 8 bits: tiles of 16·9 = 144 bytes
   * round to 192; the last tile has 8 channels, 72 bytes, rounded to 128 (version 1: 192).
   */
  @Test
  void theLastTileHoldsOnlyTheRemainingChannels() {
    WeightLayout dw = new WeightLayout(40, 1, 3, 3, 8, WeightTiling.DEFAULT);
    assertEquals(3, dw.tiles());
    assertEquals(8, dw.width(2));
    assertEquals(144, dw.dataBytes(0));
    assertEquals(192, dw.stride(0));
    assertEquals(72, dw.dataBytes(2));
    assertEquals(128, dw.stride(2));
    assertEquals(384, dw.offset(2));
    assertEquals(192 + 192 + 128, dw.packedSize());
    assertEquals(dw.packedSize(), WeightPacker.packedSize(40, 1, 3, 3, 8, WeightTiling.DEFAULT));
    assertEquals(8 * 360, dw.idealBits());
    assertEquals(8 * (48 + 48 + 56), dw.alignmentBits()); // the three gaps
    assertEquals(192 + 128, dw.bytesOfTiles(1, 2));
    // an FC 256 -> 10 at 8 bits: one short tile of 2560 bytes, already whole bursts
    assertEquals(2560, WeightPacker.packedSize(10, 256, 1, 1, 8, WeightTiling.DEFAULT));
  }

  /**
   * A code straddling a 64-bit word: m=1, cg=10, 1x1, 7-bit codes, peOut=1, burst=1: code 9 of the
   * stream occupies bits [63, 70), across the first 64-bit word's end.
   */
  @Test
  void packsCodesThatCrossA64BitWord() {
    int[] codes = {0x7F, 0x01, 0x55, 0x2A, 0x00, 0x7F, 0x33, 0x4C, 0x5A, 0x3C};
    WeightTiling tiling = new WeightTiling(1, 1);
    byte[] expected = referencePack(codes, 1, 10, 1, 1, 7, tiling);
    assertEquals(9, expected.length); // 70 bits
    assertArrayEquals(expected, WeightPacker.pack(codes, 1, 10, 1, 1, 7, tiling));
    assertArrayEquals(codes, WeightPacker.unpack(expected, 0, 1, 10, 1, 1, 7, tiling));
  }

  /** Bias: int32 little-endian, m=3 padded to peOut=2 (4 values, 16 bytes), burst 4 adds none. */
  @Test
  void packsBiasLittleEndianPaddedToPeOutAndBurst() {
    WeightTiling tiling = new WeightTiling(2, 4);
    byte[] expected = {
      0x01,
      0x00,
      0x00,
      0x00, //
      (byte) 0xFE,
      (byte) 0xFF,
      (byte) 0xFF,
      (byte) 0xFF, //
      0x2C,
      0x01,
      0x00,
      0x00, //
      0x00,
      0x00,
      0x00,
      0x00
    };
    int[] bias = {1, -2, 300};
    assertArrayEquals(expected, WeightPacker.packBias(bias, tiling));
    assertEquals(16, WeightPacker.packedBiasSize(3, tiling));
    assertArrayEquals(bias, WeightPacker.unpackBias(expected, 0, 3, tiling));
    // 3 channels with peOut 1 are 12 bytes; a 64-byte burst rounds the block up to 64
    assertEquals(64, WeightPacker.packedBiasSize(3, new WeightTiling(1, 64)));
  }

  @Test
  void roundTripsRandomShapesAgainstTheReferencePacker() {
    Random shapes = new Random(SEED);
    int shortLastTiles = 0;
    for (int iteration = 0; iteration < 400; iteration++) {
      long caseSeed = shapes.nextLong();
      Random r = new Random(caseSeed);
      int m = 1 + r.nextInt(70);
      int cg = 1 + r.nextInt(40);
      boolean pointwise = r.nextInt(4) == 0;
      int kh = pointwise ? 1 : 1 + r.nextInt(5);
      int kw = pointwise ? 1 : 1 + r.nextInt(5);
      int bits = 2 + r.nextInt(7);
      WeightTiling tiling = new WeightTiling(PE_OUT[r.nextInt(4)], BURST[r.nextInt(3)]);
      int[] codes = new int[m * cg * kh * kw];
      for (int i = 0; i < codes.length; i++) {
        codes[i] = r.nextInt(1 << bits);
      }
      String what =
          String.format(
              "seed %d (case %d): m=%d cg=%d %dx%d bits=%d %s",
              caseSeed, iteration, m, cg, kh, kw, bits, tiling);

      byte[] packed = WeightPacker.pack(codes, m, cg, kh, kw, bits, tiling);
      assertArrayEquals(referencePack(codes, m, cg, kh, kw, bits, tiling), packed, what);
      assertEquals(WeightPacker.packedSize(m, cg, kh, kw, bits, tiling), packed.length, what);

      int tiles = (m + tiling.peOut() - 1) / tiling.peOut();
      int last = m - (tiles - 1) * tiling.peOut();
      if (last < tiling.peOut()) {
        shortLastTiles++;
      }
      long stride = WeightPacker.tileStride(cg, kh, kw, bits, tiling);
      long lastStride =
          ((long) last * cg * kh * kw * bits + 8L * tiling.burstBytes() - 1)
              / (8L * tiling.burstBytes())
              * tiling.burstBytes();
      assertEquals(0, stride % tiling.burstBytes(), what);
      assertEquals((tiles - 1) * stride + lastStride, packed.length, what);

      // the excess over the ideal b·weights/8 is less than one burst per tile and nothing else
      // (docs/accelerator.md §4); measured in bits to stay exact
      long idealBits = (long) bits * codes.length;
      long excessBits = 8L * packed.length - idealBits;
      WeightLayout layout = new WeightLayout(m, cg, kh, kw, bits, tiling);
      assertEquals(idealBits, layout.idealBits(), what);
      assertEquals(excessBits, layout.alignmentBits(), what);
      assertTrue(excessBits >= 0, what);
      assertTrue(
          excessBits <= tiles * (8L * tiling.burstBytes() - 1),
          what + ": excess " + excessBits + " bits");
      // the short last tile's gap bytes are zero too
      for (long b = (tiles - 1) * stride + layout.dataBytes(tiles - 1); b < packed.length; b++) {
        assertEquals(0, packed[(int) b], what + ": gap byte " + b);
      }

      assertArrayEquals(codes, WeightPacker.unpack(packed, 0, m, cg, kh, kw, bits, tiling), what);

      // inside a larger blob, at an offset
      int offset = r.nextInt(100);
      byte[] blob = new byte[offset + packed.length + r.nextInt(10)];
      r.nextBytes(blob);
      System.arraycopy(packed, 0, blob, offset, packed.length);
      assertArrayEquals(
          codes, WeightPacker.unpack(blob, offset, m, cg, kh, kw, bits, tiling), what);

      int[] bias = r.ints(m).toArray();
      byte[] packedBias = WeightPacker.packBias(bias, tiling);
      assertEquals(WeightPacker.packedBiasSize(m, tiling), packedBias.length, what);
      assertEquals(0, packedBias.length % tiling.burstBytes(), what);
      assertTrue(packedBias.length >= 4L * tiles * tiling.peOut(), what);
      assertArrayEquals(bias, WeightPacker.unpackBias(packedBias, 0, m, tiling), what);
    }
    assertTrue(shortLastTiles > 100, "cases with a short last tile: " + shortLastTiles);
  }

  @Test
  void unpackOfTooShortDataNamesTheByteOffset() {
    WeightTiling tiling = new WeightTiling(4, 32);
    byte[] packed = WeightPacker.pack(new int[8 * 3 * 3 * 3], 8, 3, 3, 3, 4, tiling);
    assertEquals(128, packed.length); // 2 tiles of ceil(4·27·4/8) = 54 → 64 bytes
    PackageFormatException e =
        assertThrows(
            PackageFormatException.class,
            () -> WeightPacker.unpack(packed, 16, 8, 3, 3, 3, 4, tiling));
    assertEquals(ErrorKind.PACKAGE_FORMAT, e.kind());
    assertTrue(e.getMessage().contains("bytes [16, 144) needed"), e.getMessage());
    assertTrue(e.getMessage().contains("data ends at byte 128"), e.getMessage());

    PackageFormatException bias =
        assertThrows(
            PackageFormatException.class,
            () -> WeightPacker.unpackBias(new byte[39], 8, 8, tiling));
    assertTrue(
        bias.getMessage().contains("bias block of 8 channels: bytes [8, 40) needed"),
        bias.getMessage());
    assertTrue(bias.getMessage().contains("data ends at byte 39"), bias.getMessage());
  }

  @Test
  void refusesCodesOutsideTheirWidth() {
    int[] codes = {1, 2, 8, 3};
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> WeightPacker.pack(codes, 2, 1, 1, 2, 3, WeightTiling.DEFAULT));
    assertTrue(e.getMessage().contains("code 8 at [m=1, c=0, ky=0, kx=0]"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> WeightPacker.pack(new int[] {-1}, 1, 1, 1, 1, 4, WeightTiling.DEFAULT));
    assertThrows(
        IllegalArgumentException.class,
        () -> WeightPacker.pack(new int[3], 2, 1, 1, 2, 3, WeightTiling.DEFAULT));
    assertThrows(IllegalArgumentException.class, () -> new WeightTiling(0, 64));
    assertThrows(IllegalArgumentException.class, () -> new WeightTiling(16, -1));
  }

  @Test
  void defaultTilingIsSixteenChannelsAndSixtyFourByteBursts() {
    assertEquals(new WeightTiling(16, 64), WeightTiling.DEFAULT);
    // resnet20 layer3 conv: 64 x 64 x 3x3 at 4 bits = 4 tiles of 16·576·4/8 = 4608 bytes
    assertEquals(4 * 4608, WeightPacker.packedSize(64, 64, 3, 3, 4, WeightTiling.DEFAULT));
    // the fc layer: 10 x 64, one short tile of 10·64·4/8 = 320 bytes (5 bursts)
    assertEquals(320, WeightPacker.packedSize(10, 64, 1, 1, 4, WeightTiling.DEFAULT));
  }

  /**
   * A direct transcription of docs/accelerator.md §4, one bit at a time: tile t holds channels [t·p,
   * min(m, (t+1)·p)), starts at t times the full tile's stride, and code i of the tile sits at bits
   * [i·b, (i+1)·b) of its stream, bit j being bit j mod 8 of byte j div 8.
   */
  static byte[] referencePack(
      int[] codes, int m, int cg, int kh, int kw, int bits, WeightTiling tiling) {
    int p = tiling.peOut();
    int burst = tiling.burstBytes();
    int tiles = (m + p - 1) / p;
    int stride = ((p * cg * kh * kw * bits + 7) / 8 + burst - 1) / burst * burst;
    int last = m - (tiles - 1) * p;
    int lastStride = ((last * cg * kh * kw * bits + 7) / 8 + burst - 1) / burst * burst;
    byte[] out = new byte[(tiles - 1) * stride + lastStride];
    for (int t = 0; t < tiles; t++) {
      int width = Math.min(p, m - t * p);
      int i = 0;
      for (int c = 0; c < cg; c++) {
        for (int ky = 0; ky < kh; ky++) {
          for (int kx = 0; kx < kw; kx++) {
            for (int q = 0; q < width; q++, i++) {
              int ch = t * p + q;
              int code = codes[((ch * cg + c) * kh + ky) * kw + kx];
              for (int b = 0; b < bits; b++) {
                if ((code >> b & 1) != 0) {
                  int j = i * bits + b;
                  out[t * stride + j / 8] |= (byte) (1 << (j % 8));
                }
              }
            }
          }
        }
      }
    }
    return out;
  }

  @Test
  void referencePackAgreesWithTheHandWorkedExample() {
    byte[] expected = {(byte) 0x9D, 0x03, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00};
    assertTrue(
        Arrays.equals(
            expected,
            referencePack(new int[] {5, 6, 3, 1, 7, 2}, 3, 1, 1, 2, 3, new WeightTiling(2, 4))));
  }
}
