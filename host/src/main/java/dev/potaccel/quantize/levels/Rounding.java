package dev.potaccel.quantize.levels;

/**
 * How a magnitude between two adjacent levels is rounded (research/quantization.md §1.2). Made
 * explicit because the two rules give different SQNR (§4.4 lists both for PoT) and the host's
 * projection must be bit-exact with what the method's paper or reference code does.
 */
public enum Rounding {
  /**
   * Nearest level in the linear domain: the threshold between levels {@code l < u} is their
   * midpoint ({@code 1.5·2^e} between {@code 2^e} and {@code 2^(e+1)}). MSE-optimal for a fixed
   * level set; ShiftCNN, INQ and PoTAcc use it.
   */
  LINEAR,
  /**
   * Nearest level in the log domain, {@code e = round(log2|x|)}: the threshold between two
   * nonzero levels is their geometric mean ({@code √2·2^e}); between zero and the smallest
   * nonzero level it stays the midpoint. QKeras "rnd", DeepShift-Q and LogQuant round this way.
   * This zero rule is the one that reproduces the §4.4 "log" column (a geometric threshold to
   * zero at {@code 2^(e_min - 1/2)} loses another 0.3–0.5 dB at b=3 and matches nothing there).
   */
  LOG
}
