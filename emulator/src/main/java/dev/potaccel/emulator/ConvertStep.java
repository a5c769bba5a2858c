package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.ConvertCommand;
import dev.potaccel.simd.CodeKernels;
import dev.potaccel.simd.VectorKernels;

/**
 * CONVERT between FP32 and codes (docs/accelerator.md §3.4): dequantize {@code value = q ·
 * 2^-F}, or quantize {@code q = sat_a(round_half_up(value · 2^F))}, computed in double (exact:
 * scaling a float by a power of two and adding one half lose nothing there). NaN quantizes to 0;
 * infinities saturate.
 */
final class ConvertStep implements Step {
  private final int input;
  private final int output;
  private final boolean quantize;
  private final int frac;
  private final boolean signed;
  private final int lo;
  private final int hi;

  private ConvertStep(int input, int output, boolean quantize, BufferInfo codes) {
    this.input = input;
    this.output = output;
    this.quantize = quantize;
    this.frac = codes.frac();
    this.signed = codes.signed();
    this.lo = codes.lo();
    this.hi = codes.hi();
  }

  static ConvertStep decode(ConvertCommand cmd, Decoding d) {
    BufferInfo in = d.buffer(cmd.getInput(), "input");
    BufferInfo out = d.buffer(cmd.getOutput(), "output");
    if (in.isFloat() == out.isFloat()) {
      throw d.fail("converts between FP32 and codes, but input " + in.describe() + " and output "
          + out.describe() + " both hold " + (in.isFloat() ? "FP32 values" : "codes"));
    }
    if (in.perImage() != out.perImage()) {
      throw d.fail("input " + in.describe() + " holds " + in.perImage() + " values per image, "
          + "output " + out.describe() + " holds " + out.perImage());
    }
    boolean quantize = in.isFloat();
    return new ConvertStep(cmd.getInput(), cmd.getOutput(), quantize, quantize ? out : in);
  }

  @Override
  public int[] reads() {
    return new int[] {input};
  }

  @Override
  public int[] writes() {
    return new int[] {output};
  }

  @Override
  public void execute(RunState run) {
    if (quantize) {
      run.put(output, quantize(run.floats(input), frac, lo, hi));
    } else {
      run.put(output, dequantize(run.codes(input), frac, signed));
    }
  }

  /** {@code sat(round_half_up(v · 2^frac))} of every value. */
  static byte[] quantize(float[] values, int frac, int lo, int hi) {
    byte[] q = new byte[values.length];
    if (VectorKernels.ENABLED && frac >= -126 && frac <= 127) {
      CodeKernels.quantize(values, Math.scalb(1.0f, frac), lo, hi, q, 0, values.length);
      return q;
    }
    double scale = Math.scalb(1.0, frac);
    for (int i = 0; i < values.length; i++) {
      double v = Math.floor(values[i] * scale + 0.5);
      // NaN fails both tests and becomes 0 through the cast
      q[i] = (byte) (v < lo ? lo : v > hi ? hi : (int) v);
    }
    return q;
  }

  /** {@code q · 2^-frac} of every code. */
  static float[] dequantize(byte[] codes, int frac, boolean signed) {
    float[] v = new float[codes.length];
    if (frac >= -127 && frac <= 126) {
      float scale = Math.scalb(1.0f, -frac);
      int mask = signed ? -1 : 0xFF;
      for (int i = 0; i < codes.length; i++) {
        v[i] = (codes[i] & mask) * scale;
      }
    } else {
      double scale = Math.scalb(1.0, -frac);
      for (int i = 0; i < codes.length; i++) {
        v[i] = (float) ((signed ? codes[i] : codes[i] & 0xFF) * scale);
      }
    }
    return v;
  }
}
