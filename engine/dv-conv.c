/* dv-conv.c — 2-D convolution (PyTorch Conv2d semantics), forward and backward.
 *
 * What this is for: cross-correlation of a CNHW batch with zero or reflect
 * padding, stride, groups.  Dense and grouped convs are im2col over the WHOLE
 * batch into cols[Cin/g·kh·kw, N·Ho·Wo] followed by one dv_gemm per group; a
 * 1×1 stride-1 unpadded conv uses the input itself as the column matrix; a
 * depthwise conv (groups == cin == cout) runs a direct kernel on a padded
 * copy of each plane.  Backward: dW += dout·colsᵀ, dcols = Wᵀ·dout, then
 * col2im (the adjoint of im2col) accumulates into dinp.
 * What it is not for: transposed convs, dilation, or owning any memory —
 * temporaries come from the caller's DvScratch.
 */
#include "dv-ops.h"

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

/* ------------------------------------------------------------------------ */
/* im2col / col2im over the whole batch                                      */

/* cols [cg·kh·kw, N·Ho·Wo] from channels c0 … c0+cg−1 of inp [cin,N,H,W]. */
static void
im2col (float *restrict cols, const float *restrict inp, int c0, int cg,
        int N, int H, int W, int Ho, int Wo, const DvConvConfig *cfg)
{
  const size_t ncol = (size_t) N * Ho * Wo;
  const int s = cfg->stride, p = cfg->pad;
  const gboolean reflect = cfg->pad_mode == DV_PAD_REFLECT;

  for (int c = 0; c < cg; c++)
    for (int ky = 0; ky < cfg->kh; ky++)
      for (int kx = 0; kx < cfg->kw; kx++)
        {
          float *row = cols + ((size_t) (c * cfg->kh + ky) * cfg->kw + kx) * ncol;
          int xlo, xhi;

          axis_span (&xlo, &xhi, Wo, W, kx, s, p);
          for (int n = 0; n < N; n++)
            {
              const float *plane = inp + ((size_t) (c0 + c) * N + n) * H * W;

              for (int oy = 0; oy < Ho; oy++)
                {
                  float *restrict dst = row + ((size_t) n * Ho + oy) * Wo;
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
col2im_acc (float *restrict dinp, const float *restrict dcols, int c0, int cg,
            int N, int H, int W, int Ho, int Wo, const DvConvConfig *cfg)
{
  const size_t ncol = (size_t) N * Ho * Wo;
  const int s = cfg->stride, p = cfg->pad;
  const gboolean reflect = cfg->pad_mode == DV_PAD_REFLECT;

  for (int c = 0; c < cg; c++)
    for (int ky = 0; ky < cfg->kh; ky++)
      for (int kx = 0; kx < cfg->kw; kx++)
        {
          const float *row = dcols + ((size_t) (c * cfg->kh + ky) * cfg->kw + kx) * ncol;
          int xlo, xhi;

          axis_span (&xlo, &xhi, Wo, W, kx, s, p);
          for (int n = 0; n < N; n++)
            {
              float *plane = dinp + ((size_t) (c0 + c) * N + n) * H * W;

              for (int oy = 0; oy < Ho; oy++)
                {
                  const float *restrict src = row + ((size_t) n * Ho + oy) * Wo;
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

  const int cin_g = cfg->cin / cfg->groups, cout_g = cfg->cout / cfg->groups;
  const int K = cin_g * cfg->kh * cfg->kw;
  const float beta = (acc || b) ? 1.0f : 0.0f;
  const gboolean pointwise = is_pointwise (cfg);
  float *cols = pointwise ? NULL : dv_scratch_get (scratch, (size_t) K * ncol);

  for (int g = 0; g < cfg->groups; g++)
    {
      const float *B;
      if (pointwise)
        B = inp + (size_t) g * cin_g * ncol;
      else
        {
          im2col (cols, inp, g * cin_g, cin_g, N, H, W, Ho, Wo, cfg);
          B = cols;
        }
      dv_gemm (FALSE, FALSE, cout_g, (int) ncol, K,
               1.0f, w + (size_t) g * cout_g * K, K, B, (int) ncol,
               beta, out + (size_t) g * cout_g * ncol, (int) ncol);
    }
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
    for (int co = 0; co < cfg->cout; co++)
      {
        const float *d = dout + (size_t) co * ncol;
        double sum = 0.0;
        for (size_t i = 0; i < ncol; i++)
          sum += d[i];
        db[co] += (float) sum;
      }
  if (!dinp && !dw)
    return;

  if (is_depthwise (cfg))
    {
      depthwise_backward (dinp, dw, dout, inp, w, N, H, W, Ho, Wo, cfg, scratch);
      return;
    }

  const int cin_g = cfg->cin / cfg->groups, cout_g = cfg->cout / cfg->groups;
  const int K = cin_g * cfg->kh * cfg->kw;
  const gboolean pointwise = is_pointwise (cfg);
  float *cols = pointwise ? NULL : dv_scratch_get (scratch, (size_t) K * ncol);

  for (int g = 0; g < cfg->groups; g++)
    {
      const float *dout_g = dout + (size_t) g * cout_g * ncol;
      const float *w_g = w ? w + (size_t) g * cout_g * K : NULL;

      if (dw)
        {
          const float *B;
          if (pointwise)
            B = inp + (size_t) g * cin_g * ncol;
          else
            {
              im2col (cols, inp, g * cin_g, cin_g, N, H, W, Ho, Wo, cfg);
              B = cols;
            }
          dv_gemm (FALSE, TRUE, cout_g, K, (int) ncol,
                   1.0f, dout_g, (int) ncol, B, (int) ncol,
                   1.0f, dw + (size_t) g * cout_g * K, K);
        }
      if (dinp)
        {
          if (pointwise)
            dv_gemm (TRUE, FALSE, K, (int) ncol, cout_g,
                     1.0f, w_g, K, dout_g, (int) ncol,
                     1.0f, dinp + (size_t) g * cin_g * ncol, (int) ncol);
          else
            {
              dv_gemm (TRUE, FALSE, K, (int) ncol, cout_g,
                       1.0f, w_g, K, dout_g, (int) ncol,
                       0.0f, cols, (int) ncol);
              col2im_acc (dinp, cols, g * cin_g, cin_g, N, H, W, Ho, Wo, cfg);
            }
        }
    }
}
