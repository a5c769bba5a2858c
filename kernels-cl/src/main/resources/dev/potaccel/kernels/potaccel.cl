/*
 * potaccel accelerator kernels, OpenCL C 1.2: every command of docs/accelerator.md (contract
 * version 1, weight layout version 2), bit for bit what the emulator module computes.
 *
 * Written for FPGA OpenCL compilers (Intel aoc, Xilinx v++) first and CPUs (PoCL) second:
 * no recursion, no dynamic memory, no pointers to private arrays escaping, private arrays sized by
 * compile-time defines, the PE loop over the P_out output channels of a weight tile fully
 * unrolled (it becomes the PE columns), and every other loop with a simple trip count. A board
 * build sets the defines below to its manifest's values (bitstreams/README.md); PoCL builds from
 * source with the package's P_out.
 *
 *   PE_OUT     output channels per weight tile = PE columns = manifest pe_array.cols (default 16)
 *   MAX_TERMS  most power-of-two terms a TERMS code decodes to = manifest max_terms (default 3)
 *
 * Integers: accumulators are uint so that the shift-add PEs may form partial sums of terms that
 * leave the int32 range (only the final sum is bounded by docs/accelerator.md §1.4); uint
 * arithmetic wraps modulo 2^32, so the final value is the exact int32 sum.
 */

#ifndef PE_OUT
#define PE_OUT 16
#endif
#ifndef MAX_TERMS
#define MAX_TERMS 3
#endif

/* One activation code as an int: sign-extended (signed codes) or zero-extended (unsigned). */
inline int load_code(__global const uchar *x, size_t i, int is_signed) {
  uchar u = x[i];
  return is_signed ? (int)(char)u : (int)u;
}

/*
 * Code number `pos / bits` of a tile's bit stream (docs/accelerator.md §4: densely packed,
 * least significant bit first). A code of at most 8 bits spans at most two bytes; the second
 * byte is read only when the code crosses into it, so no read passes the tile's last code.
 */
inline uint code_at(__global const uchar *tile, uint pos, uint bits) {
  uint byte = pos >> 3;
  uint sh = pos & 7u;
  uint v = tile[byte];
  if (sh + bits > 8u) {
    v |= ((uint)tile[byte + 1]) << 8;
  }
  return (v >> sh) & ((1u << bits) - 1u);
}

/*
 * sat(rshift(a, s)) of docs/accelerator.md §1.2: round half toward +infinity for s > 0, written
 * so it cannot overflow; 0 for s >= 32 (never the shift-count masking of C); an exact left shift
 * for s < 0, saturated. The host clamps s to [-64, 64] (beyond, every result is the same).
 */
inline int rshift_sat(int a, int s, int lo, int hi) {
  if (s > 0) {
    int r = s >= 32 ? 0 : (a >> s) + ((a >> (s - 1)) & 1);
    return clamp(r, lo, hi);
  }
  if (s == 0 || a == 0) {
    return clamp(a, lo, hi);
  }
  if (s <= -32) {
    return a > 0 ? hi : lo;
  }
  long r = (long)a * (1L << (-s));
  return (int)clamp(r, (long)lo, (long)hi);
}

/*
 * §1.3 requantization and activation. ReLU and ReLU6 arrive folded into [lo, hi] (the host
 * raises lo to 0 and lowers hi to 6 << F_y); LeakyReLU with slope 2^-leaky shifts negative
 * accumulators by s + leaky (leaky = 0: no LeakyReLU).
 */
inline int requantize(int a, int s, int leaky, int lo, int hi) {
  if (leaky > 0 && a < 0) {
    s += leaky;
  }
  return rshift_sat(a, s, lo, hi);
}

/*
 * The processing elements, one per weight format (docs/accelerator.md §2 and §8.2). `table` is
 * the layer's codebook as the host prepared it:
 *   mul   (INT8, LUT): table[c] = the integer level v(c); a multiplier PE.
 *   pot   (POT): table[c] = one term, bits 0-4 exponent, bit 5 negative, bit 6 present; a
 *         shifter PE: x << e, negated for negative codes, nothing for code 0.
 *   terms (TERMS): table[c] = up to MAX_TERMS terms, term q in bits 8q..8q+7 as for pot; k
 *         shifters and adders.
 */
#define PE_MUL(acc, xv, code) (acc) += (uint)((xv) * table[(code)])

#define SHIFT_TERM(acc, xv, d)                                                                   \
  {                                                                                              \
    uint p_ = ((d) & 64) ? ((uint)(xv) << ((d) & 31)) : 0u;                                      \
    (acc) = ((d) & 32) ? (acc) - p_ : (acc) + p_;                                                \
  }

#define PE_POT(acc, xv, code)                                                                    \
  {                                                                                              \
    int d_ = table[(code)];                                                                      \
    SHIFT_TERM(acc, xv, d_)                                                                      \
  }

#define PE_TERMS(acc, xv, code)                                                                  \
  {                                                                                              \
    int e_ = table[(code)];                                                                      \
    _Pragma("unroll")                                                                            \
    for (int q_ = 0; q_ < MAX_TERMS; q_++) {                                                     \
      int d_ = (e_ >> (8 * q_)) & 0xFF;                                                          \
      SHIFT_TERM(acc, xv, d_)                                                                    \
    }                                                                                            \
  }

/*
 * CONV (docs/accelerator.md §3.1; fully connected layers are CONVs with H = W = kh = kw = 1).
 * Output-stationary, as the cost model's array: work-item (p, t) computes output pixel p (over
 * the batch, NCHW order) for the PE_OUT output channels of weight tile t. Each step of the K loop
 * reads one activation and one row of the tile, the w codes of the tile's channels at (c, ky, kx)
 * (the layout stores exactly that row contiguously), and the unrolled PE loop feeds them to the
 * w PE columns. Padding reads activation 0. Then bias, §1.3 requantization, one byte per code.
 *
 * GROUPED = 0: every channel of a tile is in one group (groups = 1, or the group size is a
 * multiple of PE_OUT), so the activation is shared by the PE columns. GROUPED = 1 (depthwise and
 * other grouped layers whose tiles span groups): each column reads its own group's activation.
 *
 * Arguments: x, y activation codes; weights = the package's weight blob (resident), woff the
 * layer's byte offset, tile_stride S of §4; table = the codebook (above); bias = the bias blob as
 * int32 (little-endian device), boff its int offset; shifts = per-channel requantization shifts,
 * soff the layer's offset.
 */
#define CONV_KERNEL(NAME, GROUPED, PE)                                                           \
  __kernel void NAME(__global const uchar *restrict x, __global uchar *restrict y,              \
      __global const uchar *restrict weights, const int woff, const int tile_stride,             \
      __constant int *restrict table, __global const int *restrict bias, const int boff,         \
      __global const int *restrict shifts, const int soff, const int pixels, const int C,        \
      const int H, const int W, const int M, const int OH, const int OW, const int KH,           \
      const int KW, const int SH, const int SW, const int DH, const int DW, const int PT,        \
      const int PL, const int CG, const int MG, const int bits, const int x_signed,              \
      const int leaky, const int lo, const int hi) {                                             \
    const int p = get_global_id(0);                                                              \
    const int t = get_global_id(1);                                                              \
    if (p >= pixels) {                                                                           \
      return;                                                                                    \
    }                                                                                            \
    const int ohw = OH * OW;                                                                     \
    const int n = p / ohw;                                                                       \
    const int r = p - n * ohw;                                                                   \
    const int oy = r / OW;                                                                       \
    const int ox = r - oy * OW;                                                                  \
    const int m0 = t * PE_OUT;                                                                   \
    const int w = min(PE_OUT, M - m0);                                                           \
    const int khw = KH * KW;                                                                     \
    const int K = CG * khw;                                                                      \
    __global const uchar *tile = weights + woff + (size_t)t * (size_t)tile_stride;               \
    const size_t xbase = (size_t)n * (size_t)C * (size_t)(H * W);                                \
    const int g0 = m0 / MG;                                                                      \
    uint acc[PE_OUT];                                                                            \
    _Pragma("unroll")                                                                            \
    for (int j = 0; j < PE_OUT; j++) {                                                           \
      acc[j] = 0u;                                                                               \
    }                                                                                            \
    for (int k = 0; k < K; k++) {                                                                \
      const int c = k / khw;                                                                     \
      const int rem = k - c * khw;                                                               \
      const int ky = rem / KW;                                                                   \
      const int kx = rem - ky * KW;                                                              \
      const int iy = oy * SH - PT + ky * DH;                                                     \
      const int ix = ox * SW - PL + kx * DW;                                                     \
      const int inside = iy >= 0 && iy < H && ix >= 0 && ix < W;                                \
      const uint row = (uint)k * (uint)w * (uint)bits;                                           \
      const int xv0 = (!GROUPED && inside)                                                       \
          ? load_code(x, xbase + (size_t)((g0 * CG + c) * H + iy) * W + ix, x_signed) : 0;       \
      _Pragma("unroll")                                                                          \
      for (int j = 0; j < PE_OUT; j++) {                                                         \
        if (j < w) {                                                                             \
          const uint code = code_at(tile, row + (uint)j * (uint)bits, (uint)bits);               \
          const int xv = !GROUPED ? xv0 : (inside ? load_code(x,                                 \
              xbase + (size_t)((((m0 + j) / MG) * CG + c) * H + iy) * W + ix, x_signed) : 0);    \
          PE(acc[j], xv, code);                                                                  \
        }                                                                                        \
      }                                                                                          \
    }                                                                                            \
    _Pragma("unroll")                                                                            \
    for (int j = 0; j < PE_OUT; j++) {                                                           \
      if (j < w) {                                                                               \
        const int m = m0 + j;                                                                    \
        const int a = (int)(acc[j] + (uint)bias[boff + m]);                                      \
        const int q = requantize(a, shifts[soff + m], leaky, lo, hi);                            \
        y[((size_t)n * (size_t)M + (size_t)m) * (size_t)ohw + (size_t)r] = (uchar)q;             \
      }                                                                                          \
    }                                                                                            \
  }

CONV_KERNEL(conv_mul, 0, PE_MUL)
CONV_KERNEL(conv_pot, 0, PE_POT)
CONV_KERNEL(conv_terms, 0, PE_TERMS)
CONV_KERNEL(conv_grouped_mul, 1, PE_MUL)
CONV_KERNEL(conv_grouped_pot, 1, PE_POT)
CONV_KERNEL(conv_grouped_terms, 1, PE_TERMS)

/*
 * MAX / AVERAGE / GLOBAL_AVERAGE pooling (docs/accelerator.md §3.2), one output code per
 * work-item over planes * OH * OW outputs. MAX ignores padding positions; AVG sums the window's
 * real positions (padding reads 0) and divides by n = KH * KW as rshift(S, log2n) when n is a
 * power of two (log2n >= 0), else rshift(S * recip, 16). GLOBAL_AVERAGE is AVG with the window
 * = the plane. Results saturate to the output range [lo, hi].
 */
__kernel void pool(__global const uchar *restrict x, __global uchar *restrict y, const int outputs,
    const int H, const int W, const int OH, const int OW, const int KH, const int KW,
    const int SH, const int SW, const int PT, const int PL, const int is_max, const int log2n,
    const int recip, const int x_signed, const int lo, const int hi) {
  const int i = get_global_id(0);
  if (i >= outputs) {
    return;
  }
  const int ohw = OH * OW;
  const int plane = i / ohw;
  const int r = i - plane * ohw;
  const int oy = r / OW;
  const int ox = r - oy * OW;
  const size_t base = (size_t)plane * (size_t)(H * W);
  const int y0 = oy * SH - PT;
  const int x0 = ox * SW - PL;
  const int ya = max(0, y0);
  const int yb = min(H, y0 + KH);
  const int xa = max(0, x0);
  const int xb = min(W, x0 + KW);
  int v;
  if (is_max) {
    int best = INT_MIN;
    for (int iy = ya; iy < yb; iy++) {
      for (int ix = xa; ix < xb; ix++) {
        best = max(best, load_code(x, base + (size_t)(iy * W + ix), x_signed));
      }
    }
    v = best;
  } else {
    long sum = 0;
    for (int iy = ya; iy < yb; iy++) {
      for (int ix = xa; ix < xb; ix++) {
        sum += load_code(x, base + (size_t)(iy * W + ix), x_signed);
      }
    }
    long num = log2n >= 0 ? sum : sum * (long)recip;
    int s = log2n >= 0 ? log2n : 16;
    long q = s == 0 ? num : (num >> s) + ((num >> (s - 1)) & 1L);
    v = (int)clamp(q, (long)INT_MIN, (long)INT_MAX);
  }
  y[i] = (uchar)clamp(v, lo, hi);
}

/*
 * Residual ADD (docs/accelerator.md §3.3), one element per work-item: t = (a << sa) + (b << sb)
 * aligns both inputs to F = max(F_a, F_b) (exact in int32: the host refuses packages where it is
 * not), then §1.3 with the one shift F - F_y.
 */
__kernel void add(__global const uchar *restrict a, __global const uchar *restrict b,
    __global uchar *restrict y, const int n, const int sa, const int sb, const int a_signed,
    const int b_signed, const int s, const int leaky, const int lo, const int hi) {
  const int i = get_global_id(0);
  if (i >= n) {
    return;
  }
  const uint ta = (uint)load_code(a, (size_t)i, a_signed) << sa;
  const uint tb = (uint)load_code(b, (size_t)i, b_signed) << sb;
  y[i] = (uchar)requantize((int)(ta + tb), s, leaky, lo, hi);
}

/*
 * CONVERT FP32 -> codes (docs/accelerator.md §3.4): sat(round_half_up(v * 2^frac)), NaN -> 0,
 * infinities saturate. Exact in float, without the double the emulator uses: scaling by a power
 * of two is exact (ldexp), and floor(v) + (v - floor(v) >= 0.5) rounds half up without forming
 * v + 0.5, which float would round.
 */
__kernel void quantize(__global const float *restrict in, __global uchar *restrict out,
    const int n, const int frac, const int lo, const int hi) {
  const int i = get_global_id(0);
  if (i >= n) {
    return;
  }
  const float v = ldexp(in[i], frac);
  int q;
  if (isnan(v)) {
    q = 0;
  } else {
    const float f = floor(v);
    const float r = f + ((v - f) >= 0.5f ? 1.0f : 0.0f);
    q = r < (float)lo ? lo : r > (float)hi ? hi : (int)r;
  }
  out[i] = (uchar)q;
}

/* CONVERT codes -> FP32: q * 2^-frac, exact. */
__kernel void dequantize(__global const uchar *restrict in, __global float *restrict out,
    const int n, const int frac, const int in_signed) {
  const int i = get_global_id(0);
  if (i >= n) {
    return;
  }
  out[i] = ldexp((float)load_code(in, (size_t)i, in_signed), -frac);
}

/*
 * Weight-code unpacking from the packed DMA layout (docs/accelerator.md §4) into row-major
 * [M][K] codes, one work-item per code: what the DMA-to-weight-buffer stage of a board does, and
 * how the host checks a device reads the layout as the protocol module packs it.
 */
__kernel void unpack_weights(__global const uchar *restrict weights, const int woff,
    const int tile_stride, const int M, const int K, const int bits,
    __global uchar *restrict codes) {
  const int i = get_global_id(0);
  if (i >= M * K) {
    return;
  }
  const int m = i / K;
  const int k = i - m * K;
  const int t = m / PE_OUT;
  const int j = m - t * PE_OUT;
  const int w = min(PE_OUT, M - t * PE_OUT);
  __global const uchar *tile = weights + woff + (size_t)t * (size_t)tile_stride;
  codes[i] = (uchar)code_at(tile, ((uint)k * (uint)w + (uint)j) * (uint)bits, (uint)bits);
}
