package dev.potaccel.emulator;

import dev.potaccel.protocol.pkg.Activation;
import dev.potaccel.protocol.pkg.PoolKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * A naive reading of docs/accelerator.md, written for the tests and sharing no code with the
 * emulator: BigInteger for every shift and rounding, long accumulators, loops straight from the
 * formulas. Codes are plain ints (the value, not the stored byte).
 */
final class Reference {
  private Reference() {}

  /** §1.2: {@code (A + 2^(s-1)) >> s}, {@code A}, or {@code A << -s}, exactly. */
  static BigInteger rshift(BigInteger a, int s) {
    if (s > 0) {
      return a.add(BigInteger.ONE.shiftLeft(s - 1)).shiftRight(s); // shiftRight floors
    }
    return s == 0 ? a : a.shiftLeft(-s);
  }

  static int sat(BigInteger v, int lo, int hi) {
    if (v.compareTo(BigInteger.valueOf(lo)) < 0) {
      return lo;
    }
    if (v.compareTo(BigInteger.valueOf(hi)) > 0) {
      return hi;
    }
    return v.intValueExact();
  }

  static int lo(int bits, boolean signed) {
    return signed ? -(1 << (bits - 1)) : 0;
  }

  static int hi(int bits, boolean signed) {
    return signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  }

  /** §1.3, the table row by row. */
  static int activate(long acc, int s, Activation act, int leakyShift, int outFrac, int lo,
      int hi) {
    BigInteger a = BigInteger.valueOf(acc);
    return switch (act) {
      case ACTIVATION_NONE -> sat(rshift(a, s), lo, hi);
      case RELU -> sat(rshift(a, s).max(BigInteger.ZERO), lo, hi);
      case RELU6 -> {
        BigInteger six = BigInteger.valueOf(6).shiftLeft(outFrac);
        yield sat(rshift(a, s).max(BigInteger.ZERO).min(six), lo, hi);
      }
      case LEAKY_RELU -> acc >= 0 ? sat(rshift(a, s), lo, hi)
          : sat(rshift(a, s + leakyShift), lo, hi);
      default -> throw new IllegalArgumentException(act.toString());
    };
  }

  /** §3.4 quantization, {@code sat(round_half_up(value · 2^F))}, in exact decimal; NaN is 0. */
  static int quantize(float value, int frac, int lo, int hi) {
    if (Float.isNaN(value)) {
      return 0;
    }
    if (Float.isInfinite(value)) {
      return value > 0 ? hi : lo;
    }
    BigDecimal v = new BigDecimal(value);
    BigDecimal scale = frac >= 0 ? new BigDecimal(BigInteger.ONE.shiftLeft(frac))
        : BigDecimal.ONE.divide(new BigDecimal(BigInteger.ONE.shiftLeft(-frac)));
    BigInteger q = v.multiply(scale).add(new BigDecimal("0.5"))
        .setScale(0, RoundingMode.FLOOR).toBigIntegerExact();
    return sat(q, lo, hi);
  }

  static float dequantize(int code, int frac) {
    return (float) (code * Math.pow(2, -frac));
  }

  /**
   * §3.1 then §1.3: {@code x} is {@code [n][c][h][w]}, {@code levels} {@code [m][c/g][kh][kw]};
   * returns {@code [n][m][oh][ow]}.
   */
  static int[] conv(int[] x, int n, int c, int h, int w, int[] levels, int[] bias, int m,
      TestPackage.Geometry g, int[] shifts, Activation act, int leakyShift, int outFrac, int lo,
      int hi) {
    int oh = g.outSize(h, true);
    int ow = g.outSize(w, false);
    int cg = c / g.groups();
    int mg = m / g.groups();
    int[] y = new int[n * m * oh * ow];
    for (int img = 0; img < n; img++) {
      for (int oc = 0; oc < m; oc++) {
        int group = oc / mg;
        for (int oy = 0; oy < oh; oy++) {
          for (int ox = 0; ox < ow; ox++) {
            long acc = bias[oc];
            for (int ic = 0; ic < cg; ic++) {
              int channel = group * cg + ic;
              for (int ky = 0; ky < g.kh(); ky++) {
                for (int kx = 0; kx < g.kw(); kx++) {
                  int iy = oy * g.sh() - g.pt() + ky * g.dh();
                  int ix = ox * g.sw() - g.pl() + kx * g.dw();
                  long xv = iy < 0 || iy >= h || ix < 0 || ix >= w ? 0
                      : x[((img * c + channel) * h + iy) * w + ix];
                  acc += xv * levels[((oc * cg + ic) * g.kh() + ky) * g.kw() + kx];
                }
              }
            }
            int s = shifts.length == 1 ? shifts[0] : shifts[oc];
            y[((img * m + oc) * oh + oy) * ow + ox] =
                activate(acc, s, act, leakyShift, outFrac, lo, hi);
          }
        }
      }
    }
    return y;
  }

  /** §3.2 on {@code [n][c][h][w]} codes; pads (top, left, bottom, right). */
  static int[] pool(int[] x, int n, int c, int h, int w, PoolKind kind, int kh, int kw, int sh,
      int sw, int[] pads, int lo, int hi) {
    if (kind == PoolKind.GLOBAL_AVERAGE) {
      return pool(x, n, c, h, w, PoolKind.AVERAGE, h, w, 1, 1, new int[4], lo, hi);
    }
    int oh = (h + pads[0] + pads[2] - kh) / sh + 1;
    int ow = (w + pads[1] + pads[3] - kw) / sw + 1;
    int[] y = new int[n * c * oh * ow];
    int count = kh * kw;
    for (int plane = 0; plane < n * c; plane++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          long best = Long.MIN_VALUE;
          long sum = 0;
          for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
              int iy = oy * sh - pads[0] + ky;
              int ix = ox * sw - pads[1] + kx;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                int v = x[(plane * h + iy) * w + ix];
                best = Math.max(best, v);
                sum += v;
              } // padding: never the max, adds 0 to the sum
            }
          }
          BigInteger r;
          if (kind == PoolKind.MAX) {
            r = BigInteger.valueOf(best);
          } else if (Integer.bitCount(count) == 1) {
            r = rshift(BigInteger.valueOf(sum), Integer.numberOfTrailingZeros(count));
          } else {
            long recip = (long) Math.floor(65536.0 / count + 0.5);
            r = rshift(BigInteger.valueOf(sum * recip), 16);
          }
          y[(plane * oh + oy) * ow + ox] = sat(r, lo, hi);
        }
      }
    }
    return y;
  }

  /** §3.3. */
  static int[] add(int[] a, int fa, int[] b, int fb, int fy, Activation act, int leakyShift,
      int lo, int hi) {
    int f = Math.max(fa, fb);
    int[] y = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      long t = ((long) a[i] << (f - fa)) + ((long) b[i] << (f - fb));
      y[i] = activate(t, f - fy, act, leakyShift, fy, lo, hi);
    }
    return y;
  }

  /** Stored bytes back to code values. */
  static int[] decode(byte[] codes, boolean signed) {
    int[] v = new int[codes.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = signed ? codes[i] : codes[i] & 0xFF;
    }
    return v;
  }
}
