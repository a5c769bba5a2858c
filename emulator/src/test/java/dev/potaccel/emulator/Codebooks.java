package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.Codebook;
import dev.potaccel.protocol.pkg.CodebookEntry;
import dev.potaccel.protocol.pkg.PowerOfTwoTerm;
import dev.potaccel.protocol.pkg.WeightFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Codebooks of docs/accelerator.md §2 for tests, and their level tables. */
public final class Codebooks {
  private Codebooks() {}

  /** INT8 format: code {@code c} is the two's-complement pattern of its level. */
  public static Codebook int8(int bits) {
    Codebook.Builder cb = Codebook.newBuilder().setFormat(WeightFormat.INT8).setBits(bits);
    for (int c = 0; c < 1 << bits; c++) {
      int v = c < 1 << (bits - 1) ? c : c - (1 << bits);
      cb.addEntries(CodebookEntry.newBuilder().setValue(v));
    }
    return cb.build();
  }

  /** POT: {@code c = sign << (b-1) | e_idx}, {@code v = ±2^(e_min + e_idx - 1)}, e_idx 0 is 0. */
  public static Codebook pot(int bits, int eMin) {
    Codebook.Builder cb = Codebook.newBuilder().setFormat(WeightFormat.POT).setBits(bits)
        .setMaxTerms(1);
    int half = 1 << (bits - 1);
    for (int c = 0; c < 1 << bits; c++) {
      boolean negative = c >= half;
      int eIdx = c & (half - 1);
      if (eIdx == 0) {
        cb.addEntries(CodebookEntry.newBuilder().setValue(0));
      } else {
        int e = eMin + eIdx - 1;
        cb.addEntries(CodebookEntry.newBuilder().setValue((negative ? -1 : 1) << e)
            .addTerms(PowerOfTwoTerm.newBuilder().setNegative(negative).setExponent(e)));
      }
    }
    return cb.build();
  }

  /** TERMS: random levels, each a sum of 1..k signed powers of two with exponents 0..maxExp. */
  public static Codebook terms(int bits, int k, int maxExp, Random rnd) {
    Codebook.Builder cb = Codebook.newBuilder().setFormat(WeightFormat.TERMS).setBits(bits)
        .setMaxTerms(k);
    cb.addEntries(CodebookEntry.newBuilder().setValue(0));
    for (int c = 1; c < 1 << bits; c++) {
      CodebookEntry.Builder e = CodebookEntry.newBuilder();
      int n = 1 + rnd.nextInt(k);
      int v = 0;
      for (int t = 0; t < n; t++) {
        boolean neg = rnd.nextBoolean();
        int exp = rnd.nextInt(maxExp + 1);
        v += (neg ? -1 : 1) << exp;
        e.addTerms(PowerOfTwoTerm.newBuilder().setNegative(neg).setExponent(exp));
      }
      cb.addEntries(e.setValue(v));
    }
    return cb.build();
  }

  /** LUT: random integer levels with {@code |v| < maxAbs <= 2^15}. */
  public static Codebook lut(int bits, int maxAbs, Random rnd) {
    Codebook.Builder cb = Codebook.newBuilder().setFormat(WeightFormat.LUT).setBits(bits);
    cb.addEntries(CodebookEntry.newBuilder().setValue(0));
    for (int c = 1; c < 1 << bits; c++) {
      cb.addEntries(CodebookEntry.newBuilder().setValue(rnd.nextInt(2 * maxAbs - 1) - maxAbs + 1));
    }
    return cb.build();
  }

  public static int[] levels(Codebook cb) {
    return cb.getEntriesList().stream().mapToInt(CodebookEntry::getValue).toArray();
  }

  /**
   * Random codes {@code [m][k]} whose levels keep every channel's accumulator bound {@code xmax ·
   * Σ|v| + |bias|} within int32 (docs/accelerator.md §1.4), with about {@code zeros} of them 0.
   */
  public static int[] randomCodes(Codebook cb, int m, int k, long xmax, long maxBias, double zeros,
      Random rnd) {
    int[] levels = levels(cb);
    long limit = Math.max(1, (Integer.MAX_VALUE - maxBias) / (xmax * k));
    List<Integer> allowed = new ArrayList<>();
    for (int c = 0; c < levels.length; c++) {
      if (Math.abs((long) levels[c]) <= limit) {
        allowed.add(c);
      }
    }
    int[] codes = new int[m * k];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = rnd.nextDouble() < zeros ? 0 : allowed.get(rnd.nextInt(allowed.size()));
    }
    return codes;
  }
}
