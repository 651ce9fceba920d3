/* dv-conv.c — 2-D convolution (PyTorch Conv2d semantics), forward and backward.
 *
 * What this is for: cross-correlation of a CNHW batch with zero or reflect
 * padding, stride, groups.  Dense 3×3 stride-1 zero-padded convs of a
 * batch of 8 or more go to Winograd F(2×2,3×3) (dv-winograd.c) unless the
 * naive reference GEMM is selected.  Other dense and grouped convs are im2col
 * over the batch into cols[Cin/g·kh·kw, N·Ho·Wo] followed by one dv_gemm per group; a
 * 1×1 stride-1 unpadded conv uses the input itself as the column matrix; a
 * depthwise conv (groups == cin == cout) runs a direct kernel on a padded
 * copy of each plane.  Backward: dW += dout·colsᵀ, dcols = Wᵀ·dout, then
 * col2im (the adjoint of im2col) accumulates into dinp.
 * What it is not for: transposed convs, dilation, or owning any memory —
 * temporaries come from the caller's DvScratch.
 */
#include "dv-kernels.h"

#include <string.h>

G_DEFINE_QUARK (dv-ops-error-quark, dv_ops_error)

/* Depthwise kernels with more taps than this use the im2col path. */
#define DV_DEPTHWISE_MAX_TAPS 256

int
dv_conv_out_size (int in, int k, int stride, int pad)
{
  g_return_val_if_fail (stride > 0, 0);

  int span = in + 2 * pad - k;
  return span < 0 ? 0 : span / stride + 1;
}

gboolean
dv_conv_config_validate (const DvConvConfig *cfg, GError **error)
{
  g_return_val_if_fail (cfg != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  const char *msg = NULL;

  if (cfg->cin <= 0)
    msg = "cin must be positive";
  else if (cfg->cout <= 0)
    msg = "cout must be positive";
  else if (cfg->kh <= 0 || cfg->kw <= 0)
    msg = "kernel size (kh, kw) must be positive";
  else if (cfg->stride <= 0)
    msg = "stride must be positive";
  else if (cfg->pad < 0)
    msg = "pad must not be negative";
  else if (cfg->groups <= 0)
    msg = "groups must be positive";
  else if (cfg->cin % cfg->groups != 0)
    msg = "cin must be divisible by groups";
  else if (cfg->cout % cfg->groups != 0)
    msg = "cout must be divisible by groups";
  else if (cfg->pad_mode != DV_PAD_ZEROS && cfg->pad_mode != DV_PAD_REFLECT)
    msg = "pad_mode must be zeros or reflect";

  if (msg == NULL)
    return TRUE;
  g_set_error (error, DV_OPS_ERROR, DV_OPS_ERROR_INVALID_CONFIG,
               "Invalid convolution (cin %d, cout %d, kernel %d×%d, stride %d, "
               "pad %d, groups %d): %s",
               cfg->cin, cfg->cout, cfg->kh, cfg->kw, cfg->stride, cfg->pad,
               cfg->groups, msg);
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Geometry helpers                                                          */

/* PyTorch 'reflect': mirror about the edge without repeating it.  Valid for
 * −(n−1) ≤ i ≤ 2(n−1), which pad < n guarantees. */
static inline int
reflect_index (int i, int n)
{
  if (i < 0)
    return -i;
  if (i >= n)
    return 2 * (n - 1) - i;
  return i;
}

/* Outputs o in [*lo, *hi) read input i = o·stride + koff − pad inside [0, n_in).
 * The loops run at most pad/stride steps. */
static inline void
axis_span (int *lo, int *hi, int n_out, int n_in, int koff, int stride, int pad)
{
  int l = 0, h = n_out;

  while (l < n_out && l * stride + koff - pad < 0)
    l++;
  while (h > l && (h - 1) * stride + koff - pad >= n_in)
    h--;
  *lo = l;
  *hi = h;
}

static gboolean
conv_args_ok (const DvConvConfig *cfg, int N, int H, int W)
{
  g_return_val_if_fail (cfg != NULL, FALSE);
  g_return_val_if_fail (dv_conv_config_validate (cfg, NULL), FALSE);
  g_return_val_if_fail (N > 0 && H > 0 && W > 0, FALSE);
  g_return_val_if_fail (dv_conv_out_size (H, cfg->kh, cfg->stride, cfg->pad) > 0, FALSE);
  g_return_val_if_fail (dv_conv_out_size (W, cfg->kw, cfg->stride, cfg->pad) > 0, FALSE);
  g_return_val_if_fail (cfg->pad_mode != DV_PAD_REFLECT || (cfg->pad < H && cfg->pad < W),
                        FALSE);
  return TRUE;
}

static inline gboolean
is_depthwise (const DvConvConfig *cfg)
{
  return cfg->groups == cfg->cin && cfg->groups == cfg->cout
         && cfg->kh * cfg->kw <= DV_DEPTHWISE_MAX_TAPS;
}

/* Winograd's vector lanes are 16 samples of the batch, so a batch of N
 * computes ceil(N/16)·16 lanes: below 8 samples more than half the work is
 * padding and im2col is faster (batch 1, the workbench's case: 3.4× faster;
 * batch 4 about even; batch 16 Winograd 2.7× faster — dynvision bench). */
#define WINOGRAD_MIN_BATCH 8

/* The fast paths (Winograd, the engine's own GEMM) are on unless the tests
 * asked for the naive reference GEMM, which then checks plain im2col. */
static inline gboolean
use_winograd (const DvConvConfig *cfg, int N, int H, int W)
{
  return dv_gemm_get_backend () != DV_GEMM_NAIVE && dv_winograd_applies (cfg)
         && N >= WINOGRAD_MIN_BATCH && H >= 3 && W >= 3 && cfg->cin >= 4;
}

static inline gboolean
is_pointwise (const DvConvConfig *cfg)
{
  return cfg->kh == 1 && cfg->kw == 1 && cfg->stride == 1 && cfg->pad == 0;
}

/* ------------------------------------------------------------------------ */
/* Row kernels.  Written with GCC/Clang vector extensions so they are SIMD at */
/* any optimisation level (-O2 does not vectorise loops of unknown length):  */
/* 4 lanes, one SSE register.  The same few lines live in dv-elementwise.c. */

typedef float DvV4 __attribute__ ((vector_size (16)));
/* The same, for unaligned access through a pointer into a float array. */
typedef float DvV4u __attribute__ ((vector_size (16), aligned (4), may_alias));

#define V4(p) (*(DvV4u *) (p))
#define V4C(p) (*(const DvV4u *) (p))

/* y += a·x */
static inline void
row_axpy (float *restrict y, const float *restrict x, float a, int n)
{
  const DvV4 va = (DvV4) { 0 } + a;
  int i = 0;
  for (; i + 4 <= n; i += 4)
    V4 (y + i) += va * V4C (x + i);
  for (; i < n; i++)
    y[i] += a * x[i];
}

/* y += x */
static inline void
row_add (float *restrict y, const float *restrict x, int n)
{
  int i = 0;
  for (; i + 4 <= n; i += 4)
    V4 (y + i) += V4C (x + i);
  for (; i < n; i++)
    y[i] += x[i];
}

/* Σ x·y */
static inline float
row_dot (const float *restrict x, const float *restrict y, int n)
{
  DvV4 acc = { 0 };
  float sum = 0.0f;
  int i = 0;
  for (; i + 4 <= n; i += 4)
    acc += V4C (x + i) * V4C (y + i);
  for (; i < n; i++)
    sum += x[i] * y[i];
  for (int l = 0; l < 4; l++)
    sum += acc[l];
  return sum;
}

/* Σ x in double, four chains of two (a single one is bound by the add
 * latency); SSE2-sized vectors, which plain x86-64 has. */
static double
row_sum_f64 (const float *restrict x, size_t n)
{
  typedef double DvV2d __attribute__ ((vector_size (16)));
  typedef float DvV2f __attribute__ ((vector_size (8), aligned (4), may_alias));
  DvV2d a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    {
      a0 += __builtin_convertvector (*(const DvV2f *) (x + i), DvV2d);
      a1 += __builtin_convertvector (*(const DvV2f *) (x + i + 2), DvV2d);
      a2 += __builtin_convertvector (*(const DvV2f *) (x + i + 4), DvV2d);
      a3 += __builtin_convertvector (*(const DvV2f *) (x + i + 6), DvV2d);
    }
  double sum = 0.0;
  for (; i < n; i++)
    sum += x[i];
  a0 += a1;
  a2 += a3;
  a0 += a2;
  return sum + (a0[0] + a0[1]);
}

/* ------------------------------------------------------------------------ */
/* im2col / col2im, a few samples at a time                                  */

/* Samples per im2col block: with the engine's own GEMM, blocks of columns
 * that stay in L2 (the GEMM then reads them from there); with OpenBLAS,
 * the whole batch in one product. */
#define IM2COL_BLOCK_FLOATS (64 << 10)

static int
chunk_samples (int K, int HoWo, int N)
{
  if (!dv_sgemm_available () || dv_gemm_get_backend () != DV_GEMM_BLAS)
    return N;
  return CLAMP (IM2COL_BLOCK_FLOATS / MAX (1, K * HoWo), 1, N);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DV_IM2COL_S2 1
#define IM2COL_S2_MAX_WO 256

/* One im2col row block for stride 2, zero padding (AVX-512): dst [Ho][Wo]
 * = plane[oy·2 + ky − p][ox·2 + kx − p], zero outside the plane.  Masked
 * loads never touch memory outside [0, W) of a row. */
__attribute__ ((target ("avx512f"))) static void
im2col_plane_s2 (float *restrict dst, const float *restrict plane, int H, int W, int Ho, int Wo,
                 int ky, int kx, int p)
{
  const __m512i even = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  __mmask16 lo[IM2COL_S2_MAX_WO / 16], hi[IM2COL_S2_MAX_WO / 16], om[IM2COL_S2_MAX_WO / 16];

  /* lanes j of the two loads of block b read source x = x0 + j, x0 + 16 + j */
  for (int b = 0; b * 16 < Wo; b++)
    {
      const int x0 = b * 32 + kx - p, m = MIN (16, Wo - b * 16);
      uint32_t l = 0, h = 0;
      for (int j = 0; j < 16; j++)
        {
          l |= (uint32_t) (x0 + j >= 0 && x0 + j < W) << j;
          h |= (uint32_t) (x0 + 16 + j >= 0 && x0 + 16 + j < W) << j;
        }
      lo[b] = (__mmask16) l, hi[b] = (__mmask16) h;
      om[b] = m == 16 ? 0xffff : (__mmask16) ((1u << m) - 1);
    }
  for (int oy = 0; oy < Ho; oy++)
    {
      float *d = dst + (size_t) oy * Wo;
      const int iy = oy * 2 + ky - p;
      const float *srow = plane + (size_t) iy * W + kx - p;
      for (int b = 0; b * 16 < Wo; b++)
        {
          if (iy < 0 || iy >= H)
            {
              _mm512_mask_storeu_ps (d + b * 16, om[b], _mm512_setzero_ps ());
              continue;
            }
          const __m512 va = _mm512_maskz_loadu_ps (lo[b], srow + b * 32);
          const __m512 vb = _mm512_maskz_loadu_ps (hi[b], srow + b * 32 + 16);
          _mm512_mask_storeu_ps (d + b * 16, om[b], _mm512_permutex2var_ps (va, even, vb));
        }
    }
}
#endif

/* cols [cg·kh·kw, N·Ho·Wo] from channels c0 … c0+cg−1 of inp [cin,N,H,W]. */
static void
im2col (float *restrict cols, const float *restrict inp, int c0, int cg, int n0, int n1,
        int N, int H, int W, int Ho, int Wo, const DvConvConfig *cfg)
{
  const size_t ncol = (size_t) (n1 - n0) * Ho * Wo;
  const int s = cfg->stride, p = cfg->pad;
  const gboolean reflect = cfg->pad_mode == DV_PAD_REFLECT;
  const gboolean s2 = s == 2 && !reflect && Wo <= 256 && dv_sgemm_available ();

  for (int c = 0; c < cg; c++)
    for (int ky = 0; ky < cfg->kh; ky++)
      for (int kx = 0; kx < cfg->kw; kx++)
        {
          float *row = cols + ((size_t) (c * cfg->kh + ky) * cfg->kw + kx) * ncol;
          int xlo, xhi;

          axis_span (&xlo, &xhi, Wo, W, kx, s, p);
          for (int n = n0; n < n1; n++)
            {
              const float *plane = inp + ((size_t) (c0 + c) * N + n) * H * W;
#ifdef DV_IM2COL_S2
              if (s2)
                {
                  im2col_plane_s2 (row + (size_t) (n - n0) * Ho * Wo, plane, H, W, Ho, Wo, ky, kx, p);
                  continue;
                }
#endif

              for (int oy = 0; oy < Ho; oy++)
                {
                  float *restrict dst = row + ((size_t) (n - n0) * Ho + oy) * Wo;
                  int iy = oy * s + ky - p;

                  if (iy < 0 || iy >= H)
                    {
                      if (!reflect)
                        {
                          memset (dst, 0, (size_t) Wo * sizeof (float));
                          continue;
                        }
                      iy = reflect_index (iy, H);
                    }

                  const float *srow = plane + (size_t) iy * W;
                  for (int ox = 0; ox < xlo; ox++)
                    dst[ox] = reflect ? srow[reflect_index (ox * s + kx - p, W)] : 0.0f;
                  if (xhi > xlo)
                    {
                      const float *restrict sp = srow + (xlo * s + kx - p);
                      if (s == 1)
                        memcpy (dst + xlo, sp, (size_t) (xhi - xlo) * sizeof (float));
                      else
                        for (int j = 0; j < xhi - xlo; j++)
                          dst[xlo + j] = sp[j * s];
                    }
                  for (int ox = xhi; ox < Wo; ox++)
                    dst[ox] = reflect ? srow[reflect_index (ox * s + kx - p, W)] : 0.0f;
                }
            }
        }
}

/* dinp[c0 … c0+cg−1] += col2im (dcols); the adjoint of im2col. */
static void
col2im_acc (float *restrict dinp, const float *restrict dcols, int c0, int cg, int n0, int n1,
            int N, int H, int W, int Ho, int Wo, const DvConvConfig *cfg)
{
  const size_t ncol = (size_t) (n1 - n0) * Ho * Wo;
  const int s = cfg->stride, p = cfg->pad;
  const gboolean reflect = cfg->pad_mode == DV_PAD_REFLECT;

  for (int c = 0; c < cg; c++)
    for (int ky = 0; ky < cfg->kh; ky++)
      for (int kx = 0; kx < cfg->kw; kx++)
        {
          const float *row = dcols + ((size_t) (c * cfg->kh + ky) * cfg->kw + kx) * ncol;
          int xlo, xhi;

          axis_span (&xlo, &xhi, Wo, W, kx, s, p);
          for (int n = n0; n < n1; n++)
            {
              float *plane = dinp + ((size_t) (c0 + c) * N + n) * H * W;

              for (int oy = 0; oy < Ho; oy++)
                {
                  const float *restrict src = row + ((size_t) (n - n0) * Ho + oy) * Wo;
                  int iy = oy * s + ky - p;

                  if (iy < 0 || iy >= H)
                    {
                      if (!reflect)
                        continue;
                      iy = reflect_index (iy, H);
                    }

                  float *drow = plane + (size_t) iy * W;
                  if (reflect)
                    {
                      for (int ox = 0; ox < xlo; ox++)
                        drow[reflect_index (ox * s + kx - p, W)] += src[ox];
                      for (int ox = xhi; ox < Wo; ox++)
                        drow[reflect_index (ox * s + kx - p, W)] += src[ox];
                    }
                  if (xhi > xlo)
                    {
                      float *restrict dp = drow + (xlo * s + kx - p);
                      if (s == 1)
                        row_add (dp, src + xlo, xhi - xlo);
                      else
                        for (int j = 0; j < xhi - xlo; j++)
                          dp[j * s] += src[xlo + j];
                    }
                }
            }
        }
}

/* ------------------------------------------------------------------------ */
/* Depthwise direct kernel                                                   */

/* buf [(H+2p)·(W+2p)] = plane [H·W] padded with zeros or reflection. */
static void
pad_plane (float *restrict buf, const float *restrict plane, int H, int W, int p,
           gboolean reflect)
{
  const int Wp = W + 2 * p;

  for (int y = 0; y < H; y++)
    {
      float *b = buf + (size_t) (y + p) * Wp;
      const float *src = plane + (size_t) y * W;

      memcpy (b + p, src, (size_t) W * sizeof (float));
      for (int j = 0; j < p; j++)
        {
          b[p - 1 - j] = reflect ? src[j + 1] : 0.0f;
          b[p + W + j] = reflect ? src[W - 2 - j] : 0.0f;
        }
    }
  for (int j = 0; j < p; j++)
    {
      float *top = buf + (size_t) (p - 1 - j) * Wp;
      float *bottom = buf + (size_t) (p + H + j) * Wp;
      if (reflect)
        {
          memcpy (top, buf + (size_t) (p + 1 + j) * Wp, (size_t) Wp * sizeof (float));
          memcpy (bottom, buf + (size_t) (p + H - 2 - j) * Wp, (size_t) Wp * sizeof (float));
        }
      else
        {
          memset (top, 0, (size_t) Wp * sizeof (float));
          memset (bottom, 0, (size_t) Wp * sizeof (float));
        }
    }
}

/* plane += the adjoint of pad_plane applied to dbuf. */
static void
unpad_plane_acc (float *restrict plane, const float *restrict dbuf, int H, int W, int p,
                 gboolean reflect)
{
  const int Hp = H + 2 * p, Wp = W + 2 * p;

  for (int y = 0; y < H; y++)
    row_add (plane + (size_t) y * W, dbuf + (size_t) (y + p) * Wp + p, W);
  if (!reflect || p == 0)
    return;
  for (int py = 0; py < Hp; py++)
    {
      float *d = plane + (size_t) reflect_index (py - p, H) * W;
      const float *b = dbuf + (size_t) py * Wp;

      if (py < p || py >= p + H)
        for (int px = 0; px < Wp; px++)
          d[reflect_index (px - p, W)] += b[px];
      else
        for (int j = 0; j < p; j++)
          {
            d[reflect_index (j - p, W)] += b[j];
            d[reflect_index (W + j, W)] += b[p + W + j];
          }
    }
}

static void
depthwise_forward (float *out, const float *inp, const float *w, const float *b,
                   int N, int H, int W, int Ho, int Wo, const DvConvConfig *cfg,
                   gboolean acc, DvScratch *scratch)
{
  const int kh = cfg->kh, kw = cfg->kw, s = cfg->stride, p = cfg->pad;
  const int Wp = W + 2 * p;
  float *buf = dv_scratch_get (scratch, (size_t) (H + 2 * p) * Wp);

  for (int c = 0; c < cfg->cin; c++)
    {
      const float *wc = w + (size_t) c * kh * kw;
      const float bc = b ? b[c] : 0.0f;

      for (int n = 0; n < N; n++)
        {
          const size_t plane = (size_t) c * N + n;
          pad_plane (buf, inp + plane * H * W, H, W, p, cfg->pad_mode == DV_PAD_REFLECT);

          for (int oy = 0; oy < Ho; oy++)
            {
              float *restrict orow = out + plane * Ho * Wo + (size_t) oy * Wo;

              if (!acc)
                for (int ox = 0; ox < Wo; ox++)
                  orow[ox] = bc;
              else if (b)
                for (int ox = 0; ox < Wo; ox++)
                  orow[ox] += bc;

              for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++)
                  {
                    const float wv = wc[ky * kw + kx];
                    const float *restrict pp = buf + (size_t) (oy * s + ky) * Wp + kx;
                    if (s == 1)
                      row_axpy (orow, pp, wv, Wo);
                    else
                      for (int ox = 0; ox < Wo; ox++)
                        orow[ox] += wv * pp[ox * s];
                  }
            }
        }
    }
}

static void
depthwise_backward (float *dinp, float *dw, const float *dout, const float *inp,
                    const float *w, int N, int H, int W, int Ho, int Wo,
                    const DvConvConfig *cfg, DvScratch *scratch)
{
  const int kh = cfg->kh, kw = cfg->kw, s = cfg->stride, p = cfg->pad;
  const int Wp = W + 2 * p;
  const size_t np = (size_t) (H + 2 * p) * Wp;
  const gboolean reflect = cfg->pad_mode == DV_PAD_REFLECT;
  float *buf = dv_scratch_get (scratch, 2 * np);
  float *dbuf = buf + np;
  double tap_acc[DV_DEPTHWISE_MAX_TAPS];

  for (int c = 0; c < cfg->cin; c++)
    {
      const float *wc = w + (size_t) c * kh * kw;

      memset (tap_acc, 0, sizeof tap_acc);
      for (int n = 0; n < N; n++)
        {
          const size_t plane = (size_t) c * N + n;
          const float *dplane = dout + plane * Ho * Wo;

          if (dw)
            pad_plane (buf, inp + plane * H * W, H, W, p, reflect);
          if (dinp)
            memset (dbuf, 0, np * sizeof (float));

          for (int oy = 0; oy < Ho; oy++)
            {
              const float *restrict drow = dplane + (size_t) oy * Wo;

              for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++)
                  {
                    const size_t off = (size_t) (oy * s + ky) * Wp + kx;
                    if (dw)
                      {
                        const float *restrict pp = buf + off;
                        float sum = 0.0f;
                        if (s == 1)
                          sum = row_dot (drow, pp, Wo);
                        else
                          for (int ox = 0; ox < Wo; ox++)
                            sum += drow[ox] * pp[ox * s];
                        tap_acc[ky * kw + kx] += sum;
                      }
                    if (dinp)
                      {
                        const float wv = wc[ky * kw + kx];
                        float *restrict dp = dbuf + off;
                        if (s == 1)
                          row_axpy (dp, drow, wv, Wo);
                        else
                          for (int ox = 0; ox < Wo; ox++)
                            dp[ox * s] += wv * drow[ox];
                      }
                  }
            }
          if (dinp)
            unpad_plane_acc (dinp + plane * H * W, dbuf, H, W, p, reflect);
        }
      if (dw)
        for (int t = 0; t < kh * kw; t++)
          dw[(size_t) c * kh * kw + t] += (float) tap_acc[t];
    }
}

/* ------------------------------------------------------------------------ */
/* The im2col path as tasks: one per group and block of samples.  Blocks     */
/* write disjoint columns of out (and disjoint samples of dinp), so they run */
/* on the kernel threads.  Backward runs in fixed parts (part p takes blocks */
/* p, p + threads, … in order) and each part sums its own weight-gradient     */
/* share, added in part order: the sums never depend on which thread ran     */
/* which block.  With OpenBLAS there is one block and one task, run here.    */

typedef struct {
  const DvConvConfig *cfg;
  int N, H, W, Ho, Wo, HoWo, K, cin_g, cout_g, spc, n_chunks, threads;
  size_t ncol;
  gboolean pointwise, parallel;
  float beta;
  float *out, *dinp, *dw;
  const float *inp, *w, *dout;
  float *cols;         /* per worker: K × spc·HoWo */
  size_t cols_stride;
  float *dw_part;      /* per part: cout × K (NULL: straight into dw) */
  size_t dw_stride;
} ColJob;

static void
col_job_init (ColJob *j, const DvConvConfig *cfg, int N, int H, int W, int Ho, int Wo,
              DvScratch *scratch, gboolean want_dw)
{
  memset (j, 0, sizeof *j);
  j->cfg = cfg;
  j->N = N, j->H = H, j->W = W, j->Ho = Ho, j->Wo = Wo, j->HoWo = Ho * Wo;
  j->ncol = (size_t) N * Ho * Wo;
  j->cin_g = cfg->cin / cfg->groups, j->cout_g = cfg->cout / cfg->groups;
  j->K = j->cin_g * cfg->kh * cfg->kw;
  j->pointwise = is_pointwise (cfg);
  j->spc = chunk_samples (j->K, j->HoWo, N);
  j->n_chunks = (N + j->spc - 1) / j->spc;
  j->parallel = dv_sgemm_available () && dv_gemm_get_backend () == DV_GEMM_BLAS
                && cfg->groups * j->n_chunks > 1;
  j->threads = j->parallel ? dv_parallel_threads () : 1;
  j->cols_stride = j->pointwise ? 0 : ((size_t) j->K * j->spc * j->HoWo + 15) & ~(size_t) 15;
  j->dw_stride = ((size_t) cfg->cout * j->K + 15) & ~(size_t) 15;
  const gboolean parts = want_dw && j->threads > 1;
  float *p = dv_scratch_get (scratch, j->threads * j->cols_stride + (parts ? j->threads * j->dw_stride : 0));
  j->cols = p;
  if (parts)
    {
      j->dw_part = p + j->threads * j->cols_stride;
      memset (j->dw_part, 0, j->threads * j->dw_stride * sizeof (float));
    }
}

static void
col_job_run (ColJob *j, DvParallelFunc func)
{
  const int n = j->cfg->groups * j->n_chunks;
  if (j->parallel)
    dv_parallel_for (n, func, j);
  else
    for (int t = 0; t < n; t++)
      func (t, 0, j);
}

static void
col_task_forward (int task, int worker, gpointer data)
{
  const ColJob *j = data;
  const int g = task / j->n_chunks, n0 = (task % j->n_chunks) * j->spc;
  const int n1 = MIN (j->N, n0 + j->spc), cc = (n1 - n0) * j->HoWo;
  const float *B;
  int ldb;

  if (j->pointwise)
    B = j->inp + (size_t) g * j->cin_g * j->ncol + (size_t) n0 * j->HoWo, ldb = (int) j->ncol;
  else
    {
      float *cols = j->cols + worker * j->cols_stride;
      im2col (cols, j->inp, g * j->cin_g, j->cin_g, n0, n1, j->N, j->H, j->W, j->Ho, j->Wo, j->cfg);
      B = cols, ldb = cc;
    }
  dv_gemm (FALSE, FALSE, j->cout_g, cc, j->K, 1.0f, j->w + (size_t) g * j->cout_g * j->K, j->K, B, ldb,
           j->beta, j->out + (size_t) g * j->cout_g * j->ncol + (size_t) n0 * j->HoWo, (int) j->ncol);
}

/* Block `task` of backward, with worker's im2col buffer, into part's dw share. */
static void
col_backward_block (const ColJob *j, int task, int worker, int part)
{
  const int g = task / j->n_chunks, n0 = (task % j->n_chunks) * j->spc;
  const int n1 = MIN (j->N, n0 + j->spc), cc = (n1 - n0) * j->HoWo, K = j->K;
  const size_t off = (size_t) n0 * j->HoWo, ncol = j->ncol;
  const float *dout_g = j->dout + (size_t) g * j->cout_g * ncol + off;
  const float *w_g = j->w ? j->w + (size_t) g * j->cout_g * K : NULL;
  float *cols = j->cols + worker * j->cols_stride;

  if (j->dw)
    {
      const float *B;
      int ldb;
      float *dw_g = (j->dw_part ? j->dw_part + part * j->dw_stride : j->dw) + (size_t) g * j->cout_g * K;
      if (j->pointwise)
        B = j->inp + (size_t) g * j->cin_g * ncol + off, ldb = (int) ncol;
      else
        {
          im2col (cols, j->inp, g * j->cin_g, j->cin_g, n0, n1, j->N, j->H, j->W, j->Ho, j->Wo, j->cfg);
          B = cols, ldb = cc;
        }
      dv_gemm (FALSE, TRUE, j->cout_g, K, cc, 1.0f, dout_g, (int) ncol, B, ldb, 1.0f, dw_g, K);
    }
  if (j->dinp)
    {
      if (j->pointwise)
        dv_gemm (TRUE, FALSE, K, cc, j->cout_g, 1.0f, w_g, K, dout_g, (int) ncol, 1.0f,
                 j->dinp + (size_t) g * j->cin_g * ncol + off, (int) ncol);
      else
        {
          dv_gemm (TRUE, FALSE, K, cc, j->cout_g, 1.0f, w_g, K, dout_g, (int) ncol, 0.0f, cols, cc);
          col2im_acc (j->dinp, cols, g * j->cin_g, j->cin_g, n0, n1, j->N, j->H, j->W, j->Ho, j->Wo,
                      j->cfg);
        }
    }
}

static void
col_task_backward_part (int part, int worker, gpointer data)
{
  const ColJob *j = data;
  const int n = j->cfg->groups * j->n_chunks;
  for (int t = part; t < n; t += j->threads)
    col_backward_block (j, t, worker, part);
}

typedef struct {
  float *db;
  const float *dout;
  size_t ncol;
} BiasJob;

static void
bias_task (int co, int worker, gpointer data)
{
  BiasJob *j = data;
  j->db[co] += (float) row_sum_f64 (j->dout + (size_t) co * j->ncol, j->ncol);
}

/* ------------------------------------------------------------------------ */
/* Forward                                                                   */

static void
conv_forward (float *out, const float *inp, const float *w, const float *b,
              int N, int H, int W, const DvConvConfig *cfg, gboolean acc,
              DvScratch *scratch)
{
  const int Ho = dv_conv_out_size (H, cfg->kh, cfg->stride, cfg->pad);
  const int Wo = dv_conv_out_size (W, cfg->kw, cfg->stride, cfg->pad);
  const size_t ncol = (size_t) N * Ho * Wo;

  if (is_depthwise (cfg))
    {
      depthwise_forward (out, inp, w, b, N, H, W, Ho, Wo, cfg, acc, scratch);
      return;
    }
  if (use_winograd (cfg, N, H, W))
    {
      dv_winograd_forward (out, inp, w, b, N, H, W, cfg, acc, scratch);
      return;
    }

  /* The bias goes in first so the GEMM can accumulate on top of it. */
  if (b)
    for (int co = 0; co < cfg->cout; co++)
      {
        float *o = out + (size_t) co * ncol;
        const float bc = b[co];
        if (acc)
          for (size_t i = 0; i < ncol; i++)
            o[i] += bc;
        else
          for (size_t i = 0; i < ncol; i++)
            o[i] = bc;
      }

  ColJob j;
  col_job_init (&j, cfg, N, H, W, Ho, Wo, scratch, FALSE);
  j.out = out, j.inp = inp, j.w = w;
  j.beta = (acc || b) ? 1.0f : 0.0f;
  col_job_run (&j, col_task_forward);
}

void
dv_conv2d_forward (float *out, const float *inp, const float *w, const float *b,
                   int N, int H, int W, const DvConvConfig *cfg, DvScratch *scratch)
{
  g_return_if_fail (out != NULL && inp != NULL && w != NULL && scratch != NULL);
  if (!conv_args_ok (cfg, N, H, W))
    return;
  conv_forward (out, inp, w, b, N, H, W, cfg, FALSE, scratch);
}

void
dv_conv2d_forward_acc (float *out, const float *inp, const float *w, const float *b,
                       int N, int H, int W, const DvConvConfig *cfg, DvScratch *scratch)
{
  g_return_if_fail (out != NULL && inp != NULL && w != NULL && scratch != NULL);
  if (!conv_args_ok (cfg, N, H, W))
    return;
  conv_forward (out, inp, w, b, N, H, W, cfg, TRUE, scratch);
}

/* ------------------------------------------------------------------------ */
/* Backward                                                                  */

void
dv_conv2d_backward (float *dinp, float *dw, float *db,
                    const float *dout, const float *inp, const float *w,
                    int N, int H, int W, const DvConvConfig *cfg, DvScratch *scratch)
{
  g_return_if_fail (dout != NULL && scratch != NULL);
  g_return_if_fail (dw == NULL || inp != NULL);
  g_return_if_fail (dinp == NULL || w != NULL);
  if (!conv_args_ok (cfg, N, H, W))
    return;

  const int Ho = dv_conv_out_size (H, cfg->kh, cfg->stride, cfg->pad);
  const int Wo = dv_conv_out_size (W, cfg->kw, cfg->stride, cfg->pad);
  const size_t ncol = (size_t) N * Ho * Wo;

  if (db)
    {
      BiasJob bj = { db, dout, ncol };
      dv_parallel_for (cfg->cout, bias_task, &bj);
    }
  if (!dinp && !dw)
    return;

  if (is_depthwise (cfg))
    {
      depthwise_backward (dinp, dw, dout, inp, w, N, H, W, Ho, Wo, cfg, scratch);
      return;
    }
  if (use_winograd (cfg, N, H, W))
    {
      dv_winograd_backward (dinp, dw, dout, inp, w, N, H, W, cfg, scratch);
      return;
    }

  ColJob j;
  col_job_init (&j, cfg, N, H, W, Ho, Wo, scratch, dw != NULL);
  j.inp = inp, j.w = w, j.dout = dout, j.dinp = dinp, j.dw = dw;
  if (j.parallel)
    dv_parallel_for (j.threads, col_task_backward_part, &j);
  else
    col_task_backward_part (0, 0, &j);
  if (dw && j.dw_part)
    {
      const size_t n = (size_t) cfg->cout * j.K;
      for (int k = 0; k < j.threads; k++)
        for (size_t i = 0; i < n; i++)
          dw[i] += j.dw_part[k * j.dw_stride + i];
    }
}
