/*
 * potaccel accelerator kernels, OpenCL C 1.2: every command of docs/accelerator.md (contract
 * version 1, weight layout version 2), bit for bit what the emulator module computes.
 *
 * Written for FPGA OpenCL compilers (Intel aoc, Xilinx v++) and for CPUs (PoCL) alike: no
 * recursion, no dynamic memory, no pointers to private arrays escaping, private arrays sized by
 * compile-time defines and fully unrolled (a work-item's block of pixels x output channels: the
 * PE array), every other loop with a trip count fixed per launch and the same on every
 * work-item, the conv input window staged in local memory (a line buffer). A board build sets the
 * defines below to its manifest's values (bitstreams/README.md); PoCL builds from source with the
 * package's P_out.
 *
 *   PE_OUT     output channels per packed weight tile = manifest pe_array.cols (default 16)
 *   MAX_TERMS  most power-of-two terms a TERMS code has = manifest max_terms (default 3; the
 *              host checks packages against it, the decoded-level kernels take any number)
 *   CONV_PB    output pixels (conv) or images (fc) per work-item (default 4)
 *
 * Integers: int accumulators are exact because the host proves the docs/accelerator.md §1.4
 * bound (every partial sum of products stays in int32); the ADD and shift-add paths that may
 * leave int32 before the final value use uint, whose arithmetic wraps modulo 2^32.
 */

#ifndef PE_OUT
#define PE_OUT 16
#endif
#ifndef MAX_TERMS
#define MAX_TERMS 3
#endif
#ifndef CONV_PB
#define CONV_PB 4
#endif
/* a board build's defines come from its manifest: refuse nonsense before compiling kernels */
#if PE_OUT < 1 || MAX_TERMS < 1 || CONV_PB < 1
#error "PE_OUT, MAX_TERMS and CONV_PB must be positive integers"
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
 * CONV (docs/accelerator.md §3.1; fully connected layers are CONVs with H = W = kh = kw = 1).
 *
 * The weights reach the conv kernels pre-decoded: at load the host runs decode_weights once per
 * layer, which reads the packed DMA tiles (§4), maps each code through the layer's codebook to
 * its integer level v(c) and writes the levels, as int or as float, in the order the conv kernels
 * stream them: [block][k][j], one block per CONV_MB output channels (zero past M), k = (c, ky, kx)
 * of the group. That is the DMA-to-weight-buffer stage of a board, done once instead of per MAC.
 * Why every weight format (INT8, POT, TERMS, LUT) can share one multiply-accumulate: x * v(c)
 * equals the sum of the shifted terms of c modulo 2^32, and the §1.4 bound (checked by the host,
 * as by the emulator) keeps every partial sum of products in int32, so the int result is the same
 * bit for bit, in any order.
 *
 * Two exact arithmetics, chosen per layer by the host as the emulator chooses them (its
 * ConvStep): when the product bound xmax * sum|v| is at most 2^24 on every channel, the layer
 * runs in float (every product and partial sum is an integer of magnitude <= 2^24, which float32
 * holds exactly, so each float operation is exact and the sum is the int32 one); the bias is
 * added as an int after the conversion back. Any other layer runs in int. On a CPU the float
 * multiply-add has about twice the int multiply's throughput.
 *
 * Work decomposition (a CPU-vector and FPGA-friendly output-stationary tile): a work-group takes
 * one image and a band of band_rows output rows; it first stages the band's input window, all
 * channels, zero-padded and widened to T, into local memory (the line buffer of a board), so the
 * MAC loop has no bounds checks and converts nothing. Each work-item then computes CONV_PB
 * consecutive output pixels of the band for one block of CONV_MB output channels, holding
 * CONV_PB x CONV_MB accumulators as CONV_PB x (CONV_MB / 8) 8-wide vectors (register blocking):
 * per (c, ky, kx) it loads CONV_MB / 8 weight vectors (contiguous, the same for every work-item of
 * the block) and CONV_PB activations, and does CONV_PB x CONV_MB / 8 vector multiply-adds.
 * Then bias, §1.3 requantization and one byte per code, NCHW.
 *
 * GROUPED = 0: every channel of a block is in one group (groups = 1, or the group size is a
 * multiple of CONV_MB), so one activation feeds the whole vector. GROUPED = 1 (depthwise and other
 * grouped layers whose blocks span groups): lane j reads its own group's activation (a gather).
 *
 * Arguments: x, y activation codes; wts the decoded weights; bias the package's bias blob as
 * int32 (little-endian device), boff its int offset; shifts the per-channel requantization shifts,
 * soff the layer's offset; tile the local staging buffer (C * tile_rows * tile_cols elements);
 * band_rows output rows per work-group, bands per image; tile_rows / tile_cols the staged window.
 */
/* Weight levels of one layer, decoded from the packed tiles (see above); one work-item each. */
#define DECODE_KERNEL(NAME, T)                                                                   \
  __kernel void NAME(__global const uchar *restrict weights, const int woff,                    \
      const int tile_stride, const int M, const int K, const int bits,                           \
      __global const int *restrict levels, const int MB, const int total,                        \
      __global T *restrict out) {                                                                \
    const int i = get_global_id(0);                                                              \
    if (i >= total) {                                                                            \
      return;                                                                                    \
    }                                                                                            \
    const int j = i % MB;                                                                        \
    const int k = (i / MB) % K;                                                                  \
    const int m = (i / (MB * K)) * MB + j;                                                       \
    if (m >= M) {                                                                                \
      out[i] = (T)0;                                                                             \
      return;                                                                                    \
    }                                                                                            \
    const int t = m / PE_OUT;                                                                    \
    const int jj = m - t * PE_OUT;                                                               \
    const int w = min(PE_OUT, M - t * PE_OUT);                                                   \
    __global const uchar *tile = weights + woff + (size_t)t * (size_t)tile_stride;               \
    out[i] = (T)levels[code_at(tile, ((uint)k * (uint)w + (uint)jj) * (uint)bits, (uint)bits)];  \
  }

DECODE_KERNEL(decode_weights_f, float)
DECODE_KERNEL(decode_weights_i, int)

/*
 * The conv kernel for element type T (float or int), 8-wide vector T8, CONV_MB = MB output
 * channels per work-item (8 or 16: NV = MB / 8 vectors).
 */
#define CONV_KERNEL(NAME, T, T8, NV, GROUPED)                                                    \
  __kernel void NAME(__global const uchar *restrict x, __global uchar *restrict y,              \
      __global const T *restrict wts, __global const int *restrict bias, const int boff,         \
      __global const int *restrict shifts, const int soff, __local T *restrict tile,            \
      const int C, const int H, const int W, const int M, const int OH, const int OW,            \
      const int KH, const int KW, const int SH, const int SW, const int DH, const int DW,        \
      const int PT, const int PL, const int CG, const int MG, const int x_signed,                 \
      const int leaky, const int lo, const int hi, const int band_rows, const int bands,         \
      const int tile_rows, const int tile_cols) {                                                \
    const int MB = 8 * NV;                                                                       \
    const int wg = get_group_id(0);                                                              \
    const int n = wg / bands;                                                                    \
    const int oy0 = (wg - n * bands) * band_rows;                                                \
    const int rows = min(band_rows, OH - oy0);                                                   \
    const int lid = get_local_id(0);                                                             \
    const int L = get_local_size(0);                                                             \
    const int plane = tile_rows * tile_cols;                                                     \
    const int iy0 = oy0 * SH - PT;                                                               \
    const size_t xbase = (size_t)n * (size_t)C * (size_t)(H * W);                                \
    /* one input row of one channel per step: no division per element, and the copy of the  \
       row's inside part is a plain loop the compiler vectorizes */                             \
    for (int cr = lid; cr < C * tile_rows; cr += L) {                                           \
      const int c = cr / tile_rows;                                                              \
      const int ty = cr - c * tile_rows;                                                         \
      const int iy = iy0 + ty;                                                                   \
      __local T *row = tile + c * plane + ty * tile_cols;                                        \
      const int inside = iy >= 0 && iy < H;                                                      \
      const int a = inside ? min(PL, tile_cols) : tile_cols;                                     \
      const int e = inside ? max(a, min(tile_cols, PL + W)) : tile_cols;                         \
      for (int tx = 0; tx < a; tx++) {                                                           \
        row[tx] = (T)0;                                                                          \
      }                                                                                          \
      if (e > a) {                                                                               \
        __global const uchar *xr = x + xbase + (size_t)(c * H + iy) * (size_t)W;                \
        if (x_signed) {                                                                          \
          for (int tx = a; tx < e; tx++) {                                                       \
            row[tx] = (T)(char)xr[tx - PL];                                                      \
          }                                                                                      \
        } else {                                                                                 \
          for (int tx = a; tx < e; tx++) {                                                       \
            row[tx] = (T)xr[tx - PL];                                                            \
          }                                                                                      \
        }                                                                                        \
      }                                                                                          \
      for (int tx = e; tx < tile_cols; tx++) {                                                   \
        row[tx] = (T)0;                                                                          \
      }                                                                                          \
    }                                                                                            \
    barrier(CLK_LOCAL_MEM_FENCE);                                                                \
    const int blocks = (M + MB - 1) / MB;                                                        \
    const int pg = lid / blocks;                                                                 \
    const int b = lid - pg * blocks;                                                             \
    const int pixels = rows * OW;                                                                \
    const int q0 = pg * CONV_PB;                                                                 \
    if (q0 < pixels) {                                                                           \
      const int m0 = b * MB;                                                                     \
      const int K = CG * KH * KW;                                                                \
      int lbase[CONV_PB];                                                                        \
      _Pragma("unroll")                                                                          \
      for (int q = 0; q < CONV_PB; q++) {                                                        \
        const int qq = min(q0 + q, pixels - 1);                                                  \
        const int oyl = qq / OW;                                                                 \
        lbase[q] = oyl * SH * tile_cols + (qq - oyl * OW) * SW;                                  \
      }                                                                                          \
      int choff[8 * NV];                                                                         \
      _Pragma("unroll")                                                                          \
      for (int j = 0; j < 8 * NV; j++) {                                                         \
        choff[j] = (min(m0 + j, M - 1) / MG) * CG * plane;                                       \
      }                                                                                          \
      T8 acc[CONV_PB][NV];                                                                       \
      _Pragma("unroll")                                                                          \
      for (int q = 0; q < CONV_PB; q++) {                                                        \
        _Pragma("unroll")                                                                        \
        for (int v = 0; v < NV; v++) {                                                           \
          acc[q][v] = (T8)0;                                                                     \
        }                                                                                        \
      }                                                                                          \
      __global const T *wp = wts + (size_t)b * (size_t)K * (size_t)MB;                           \
      for (int c = 0; c < CG; c++) {                                                             \
        __local const T *tc = tile + (GROUPED ? c * plane : choff[0] + c * plane);               \
        for (int ky = 0; ky < KH; ky++) {                                                        \
          for (int kx = 0; kx < KW; kx++) {                                                      \
            const int off = ky * DH * tile_cols + kx * DW;                                       \
            T8 wv[NV];                                                                           \
            _Pragma("unroll")                                                                    \
            for (int v = 0; v < NV; v++) {                                                       \
              wv[v] = vload8(v, wp);                                                             \
            }                                                                                    \
            wp += MB;                                                                            \
            _Pragma("unroll")                                                                    \
            for (int q = 0; q < CONV_PB; q++) {                                                  \
              if (GROUPED) {                                                                     \
                _Pragma("unroll")                                                                \
                for (int v = 0; v < NV; v++) {                                                   \
                  const int a = lbase[q] + off;                                                  \
                  const int j0 = 8 * v;                                                          \
                  T8 xv = (T8)(tc[choff[j0] + a], tc[choff[j0 + 1] + a],                         \
                      tc[choff[j0 + 2] + a], tc[choff[j0 + 3] + a], tc[choff[j0 + 4] + a],       \
                      tc[choff[j0 + 5] + a], tc[choff[j0 + 6] + a], tc[choff[j0 + 7] + a]);      \
                  acc[q][v] += xv * wv[v];                                                       \
                }                                                                                \
              } else {                                                                           \
                const T xs = tc[lbase[q] + off];                                                 \
                _Pragma("unroll")                                                                \
                for (int v = 0; v < NV; v++) {                                                   \
                  acc[q][v] += xs * wv[v];                                                       \
                }                                                                                \
              }                                                                                  \
            }                                                                                    \
          }                                                                                      \
        }                                                                                        \
      }                                                                                          \
      _Pragma("unroll")                                                                          \
      for (int q = 0; q < CONV_PB; q++) {                                                        \
        if (q0 + q < pixels) {                                                                   \
          const int oyl = (q0 + q) / OW;                                                         \
          const int ox = q0 + q - oyl * OW;                                                      \
          const size_t o0 = (size_t)n * (size_t)M * (size_t)(OH * OW)                            \
              + (size_t)((oy0 + oyl) * OW + ox);                                                 \
          _Pragma("unroll")                                                                      \
          for (int v = 0; v < NV; v++) {                                                         \
            T lanes[8];                                                                          \
            vstore8(acc[q][v], 0, lanes);                                                        \
            _Pragma("unroll")                                                                    \
            for (int j = 0; j < 8; j++) {                                                        \
              const int m = m0 + 8 * v + j;                                                      \
              if (m < M) {                                                                       \
                const int a = (int)lanes[j] + bias[boff + m];                                    \
                y[o0 + (size_t)m * (size_t)(OH * OW)] =                                          \
                    (uchar)requantize(a, shifts[soff + m], leaky, lo, hi);                       \
              }                                                                                  \
            }                                                                                    \
          }                                                                                      \
        }                                                                                        \
      }                                                                                          \
    }                                                                                            \
  }

CONV_KERNEL(conv_f8, float, float8, 1, 0)
CONV_KERNEL(conv_f16, float, float8, 2, 0)
CONV_KERNEL(conv_i8, int, int8, 1, 0)
CONV_KERNEL(conv_i16, int, int8, 2, 0)
CONV_KERNEL(conv_grouped_f8, float, float8, 1, 1)
CONV_KERNEL(conv_grouped_i8, int, int8, 1, 1)

/*
 * Fully connected (a CONV with H = W = kh = kw = 1): no window to stage. A work-item computes
 * CONV_PB images x NV * 8 output channels; x is [N][K], y [N][M]. Global size: dim 0 the image
 * groups, dim 1 the channel blocks.
 */
#define FC_KERNEL(NAME, T, T8, NV)                                                               \
  __kernel void NAME(__global const uchar *restrict x, __global uchar *restrict y,              \
      __global const T *restrict wts, __global const int *restrict bias, const int boff,         \
      __global const int *restrict shifts, const int soff, const int N, const int K,             \
      const int M, const int x_signed, const int leaky, const int lo, const int hi) {            \
    const int MB = 8 * NV;                                                                       \
    const int n0 = get_global_id(0) * CONV_PB;                                                   \
    const int b = get_global_id(1);                                                              \
    if (n0 >= N) {                                                                               \
      return;                                                                                    \
    }                                                                                            \
    size_t xrow[CONV_PB];                                                                        \
    T8 acc[CONV_PB][NV];                                                                         \
    _Pragma("unroll")                                                                            \
    for (int q = 0; q < CONV_PB; q++) {                                                          \
      xrow[q] = (size_t)min(n0 + q, N - 1) * (size_t)K;                                          \
      _Pragma("unroll")                                                                          \
      for (int v = 0; v < NV; v++) {                                                             \
        acc[q][v] = (T8)0;                                                                       \
      }                                                                                          \
    }                                                                                            \
    __global const T *wp = wts + (size_t)b * (size_t)K * (size_t)MB;                             \
    for (int k = 0; k < K; k++) {                                                                \
      T8 wv[NV];                                                                                 \
      _Pragma("unroll")                                                                          \
      for (int v = 0; v < NV; v++) {                                                             \
        wv[v] = vload8(v, wp);                                                                   \
      }                                                                                          \
      wp += MB;                                                                                  \
      _Pragma("unroll")                                                                          \
      for (int q = 0; q < CONV_PB; q++) {                                                        \
        const T xs = (T)load_code(x, xrow[q] + (size_t)k, x_signed);                             \
        _Pragma("unroll")                                                                        \
        for (int v = 0; v < NV; v++) {                                                           \
          acc[q][v] += xs * wv[v];                                                               \
        }                                                                                        \
      }                                                                                          \
    }                                                                                            \
    _Pragma("unroll")                                                                            \
    for (int q = 0; q < CONV_PB; q++) {                                                          \
      if (n0 + q < N) {                                                                          \
        _Pragma("unroll")                                                                        \
        for (int v = 0; v < NV; v++) {                                                           \
          T lanes[8];                                                                            \
          vstore8(acc[q][v], 0, lanes);                                                          \
          _Pragma("unroll")                                                                      \
          for (int j = 0; j < 8; j++) {                                                          \
            const int m = b * MB + 8 * v + j;                                                    \
            if (m < M) {                                                                         \
              const int a = (int)lanes[j] + bias[boff + m];                                      \
              y[(size_t)(n0 + q) * (size_t)M + (size_t)m] =                                      \
                  (uchar)requantize(a, shifts[soff + m], leaky, lo, hi);                         \
            }                                                                                    \
          }                                                                                      \
        }                                                                                        \
      }                                                                                          \
    }                                                                                            \
  }

FC_KERNEL(fc_f8, float, float8, 1)
FC_KERNEL(fc_f16, float, float8, 2)
FC_KERNEL(fc_i8, int, int8, 1)
FC_KERNEL(fc_i16, int, int8, 2)

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
  /* the window loops have the same trip counts on every work-item (KH x KW, positions outside
     the input skipped), which the work-item loops of a CPU compiler vectorize far better than
     per-item clipped bounds */
  int best = INT_MIN;
  long sum = 0;
  for (int ky = 0; ky < KH; ky++) {
    const int iy = y0 + ky;
    for (int kx = 0; kx < KW; kx++) {
      const int ix = x0 + kx;
      if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
        const int c = load_code(x, base + (size_t)(iy * W + ix), x_signed);
        best = max(best, c);
        sum += c;
      }
    }
  }
  int v;
  if (is_max) {
    v = best;
  } else {
    long num = log2n >= 0 ? sum : sum * (long)recip;
    int s = log2n >= 0 ? log2n : 16;
    long q = s == 0 ? num : (num >> s) + ((num >> (s - 1)) & 1L);
    v = (int)clamp(q, (long)INT_MIN, (long)INT_MAX);
  }
  y[i] = (uchar)clamp(v, lo, hi);
}

/*
 * rshift_sat and requantize on 16 lanes at once, for the element-wise kernels: the shift s is
 * the same for every lane (a kernel argument), so the branches on it are uniform and the lanes
 * stay in vector registers; only the LeakyReLU shift depends on the lane (a select).
 */
inline int16 rshift_sat16(int16 a, int s, int lo, int hi) {
  if (s > 0) {
    const int16 r = s >= 32 ? (int16)0 : (a >> s) + ((a >> (s - 1)) & 1);
    return clamp(r, lo, hi);
  }
  if (s == 0) {
    return clamp(a, lo, hi);
  }
  if (s <= -32) {
    return select(select((int16)clamp(0, lo, hi), (int16)lo, a < 0), (int16)hi, a > 0);
  }
  const long16 r = convert_long16(a) * (long)(1L << (-s));
  return convert_int16(clamp(r, (long)lo, (long)hi));
}

inline int16 requantize16(int16 a, int s, int leaky, int lo, int hi) {
  const int16 r = rshift_sat16(a, s, lo, hi);
  return leaky > 0 ? select(r, rshift_sat16(a, s + leaky, lo, hi), a < 0) : r;
}

/* 16 activation codes as ints, sign- or zero-extended. */
inline int16 load_codes16(__global const uchar *x, size_t i, int is_signed) {
  const uchar16 u = vload16(0, x + i);
  return is_signed ? convert_int16(as_char16(u)) : convert_int16(u);
}

/*
 * Residual ADD (docs/accelerator.md §3.3), 16 elements per work-item (the last one takes the
 * tail one by one): t = (a << sa) + (b << sb) aligns both inputs to F = max(F_a, F_b) (exact in
 * int32: the host refuses packages where it is not), then §1.3 with the one shift F - F_y.
 */
__kernel void add(__global const uchar *restrict a, __global const uchar *restrict b,
    __global uchar *restrict y, const int n, const int sa, const int sb, const int a_signed,
    const int b_signed, const int s, const int leaky, const int lo, const int hi) {
  const int i0 = get_global_id(0) * 16;
  if (i0 >= n) {
    return;
  }
  if (i0 + 16 <= n) {
    const uint16 ta = as_uint16(load_codes16(a, (size_t)i0, a_signed)) << sa;
    const uint16 tb = as_uint16(load_codes16(b, (size_t)i0, b_signed)) << sb;
    vstore16(convert_uchar16(requantize16(as_int16(ta + tb), s, leaky, lo, hi)), 0, y + i0);
    return;
  }
  for (int i = i0; i < n; i++) {
    const uint ta = (uint)load_code(a, (size_t)i, a_signed) << sa;
    const uint tb = (uint)load_code(b, (size_t)i, b_signed) << sb;
    y[i] = (uchar)requantize((int)(ta + tb), s, leaky, lo, hi);
  }
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
