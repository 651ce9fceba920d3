/* dv-elementwise.c — the cheap ops: pointwise nonlinearities, nearest resize,
 * pooling, global average pooling, linear, and the sequence <-> CNHW layout
 * helpers, each forward above its backward.
 *
 * What this is for: PyTorch-exact float32 versions of ReLU, DynVision's
 * Supralinearity, multiplicative integration x·(1+tanh h), nearest
 * interpolation, MaxPool2d (−inf padding), AvgPool2d (count_include_pad),
 * the classifier's Linear.  What it is not for: convolutions (dv-conv.c),
 * normalisation (dv-norm.c), or allocating anything.
 */
#include "dv-ops.h"

#include <math.h>
#include <string.h>

/* 4-lane GCC/Clang vectors for the loops -O2 would leave scalar and
 * branchy (a ReLU over random signs mispredicts half of its branches).
 * The same few lines live in dv-conv.c. */
typedef float DvV4 __attribute__ ((vector_size (16)));
typedef int32_t DvI4 __attribute__ ((vector_size (16)));
typedef float DvV4u __attribute__ ((vector_size (16), aligned (4), may_alias));
#define V4(p) (*(DvV4u *) (p))
#define V4C(p) (*(const DvV4u *) (p))

/* ------------------------------------------------------------------------ */
/* ReLU.  As torch.relu, NaN propagates; the gradient passes where x > 0.    */

void
dv_relu_forward (float *out, const float *inp, size_t n)
{
  const DvV4 zero = { 0 };
  size_t i = 0;

  for (; i + 4 <= n; i += 4)
    {
      const DvV4 v = V4C (inp + i);
      V4 (out + i) = (DvV4) ((DvI4) v & ((v > zero) | (v != v)));
    }
  for (; i < n; i++)
    out[i] = inp[i] <= 0.0f ? 0.0f : inp[i];
}

void
dv_relu_backward (float *dinp, const float *dout, const float *inp, size_t n)
{
  const DvV4 zero = { 0 };
  size_t i = 0;

  for (; i + 4 <= n; i += 4)
    V4 (dinp + i) += (DvV4) ((DvI4) V4C (dout + i) & (V4C (inp + i) > zero));
  for (; i < n; i++)
    dinp[i] += inp[i] > 0.0f ? dout[i] : 0.0f;
}

/* ------------------------------------------------------------------------ */
/* Supralinearity: f(x) = k·sign(x)·max(|x|, 1e-6)^p after clamping x to ±1e6.
 * Autograd of that expression: clamp and clamp_min pass the gradient where
 * 1e-6 ≤ |x| ≤ 1e6 (inclusive), sign contributes nothing, so
 * f'(x) = k·p·|x|^(p−1) there and 0 elsewhere. */

#define SUPRALIN_MAX 1e6f
#define SUPRALIN_MIN 1e-6f

void
dv_supralin_forward (float *out, const float *inp, size_t n, float p, float k)
{
  for (size_t i = 0; i < n; i++)
    {
      float x = inp[i];
      x = x > SUPRALIN_MAX ? SUPRALIN_MAX : (x < -SUPRALIN_MAX ? -SUPRALIN_MAX : x);
      float a = fabsf (x);
      a = a < SUPRALIN_MIN ? SUPRALIN_MIN : a;
      const float sg = (float) ((x > 0.0f) - (x < 0.0f));
      out[i] = k * sg * powf (a, p);
    }
}

void
dv_supralin_backward (float *dinp, const float *dout, const float *inp, size_t n,
                      float p, float k)
{
  const float kp = k * p;

  for (size_t i = 0; i < n; i++)
    {
      const float a = fabsf (inp[i]);
      if (a >= SUPRALIN_MIN && a <= SUPRALIN_MAX)
        dinp[i] += dout[i] * kp * powf (a, p - 1.0f);
    }
}

/* ------------------------------------------------------------------------ */
/* Multiplicative integration: out = x·(1 + tanh h).  Computed as             */
/* 1 + tanh h = 2σ(2h) (one expf instead of glibc's much slower tanhf; the   */
/* difference is rounding), with d/dh (1 + tanh h) = 1 − tanh² h = 4σ(1 − σ). */

static inline float
sigmoid2 (float h)
{
  return 1.0f / (1.0f + expf (-2.0f * h));
}

void
dv_mulint_forward (float *out, const float *x, const float *h, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = x[i] * (2.0f * sigmoid2 (h[i]));
}

void
dv_mulint_backward (float *dx, float *dh, const float *dout, const float *x,
                    const float *h, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      const float s = sigmoid2 (h[i]);
      if (dx)
        dx[i] += dout[i] * (2.0f * s);
      if (dh)
        dh[i] += dout[i] * x[i] * (4.0f * s * (1.0f - s));
    }
}

/* ------------------------------------------------------------------------ */
/* Nearest resize.  PyTorch (UpSample.h, nearest_idx): identical sizes copy,
 * otherwise src = min(floor(dst · scale), in − 1) with scale = (float) in / out
 * and the product formed in float. */

static inline int
nearest_src (int dst, float scale, int in)
{
  const int s = (int) floorf ((float) dst * scale);
  return s < in - 1 ? s : in - 1;
}

/* Source columns are tabulated per chunk of RESIZE_CHUNK output columns, on
 * the stack; an output row that reads the same source row as the previous
 * one is a copy of it. */
#define RESIZE_CHUNK 256

static void
resize_nearest (float *out, const float *inp, int planes, int H, int W, int Ho, int Wo,
                gboolean acc)
{
  g_return_if_fail (H > 0 && W > 0 && Ho > 0 && Wo > 0 && planes >= 0);

  const float sy = (float) H / (float) Ho, sx = (float) W / (float) Wo;
  int xs[RESIZE_CHUNK];

  for (int c0 = 0; c0 < Wo; c0 += RESIZE_CHUNK)
    {
      const int len = MIN (RESIZE_CHUNK, Wo - c0);
      for (int j = 0; j < len; j++)
        xs[j] = nearest_src (c0 + j, sx, W);

      for (int pl = 0; pl < planes; pl++)
        {
          const float *ip = inp + (size_t) pl * H * W;
          float *op = out + (size_t) pl * Ho * Wo + c0;
          int prev = -1;

          for (int oy = 0; oy < Ho; oy++)
            {
              const int iy = nearest_src (oy, sy, H);
              const float *irow = ip + (size_t) iy * W;
              float *orow = op + (size_t) oy * Wo;

              if (acc)
                for (int j = 0; j < len; j++)
                  orow[j] += irow[xs[j]];
              else if (iy == prev)
                memcpy (orow, orow - Wo, (size_t) len * sizeof (float));
              else
                for (int j = 0; j < len; j++)
                  orow[j] = irow[xs[j]];
              prev = iy;
            }
        }
    }
}

void
dv_resize_nearest_forward (float *out, const float *inp, int planes, int H, int W,
                           int Ho, int Wo)
{
  resize_nearest (out, inp, planes, H, W, Ho, Wo, FALSE);
}

void
dv_resize_nearest_forward_acc (float *out, const float *inp, int planes, int H, int W,
                               int Ho, int Wo)
{
  resize_nearest (out, inp, planes, H, W, Ho, Wo, TRUE);
}

void
dv_resize_nearest_backward (float *dinp, const float *dout, int planes, int H, int W,
                            int Ho, int Wo)
{
  g_return_if_fail (H > 0 && W > 0 && Ho > 0 && Wo > 0 && planes >= 0);

  const float sy = (float) H / (float) Ho, sx = (float) W / (float) Wo;
  int xs[RESIZE_CHUNK];

  for (int c0 = 0; c0 < Wo; c0 += RESIZE_CHUNK)
    {
      const int len = MIN (RESIZE_CHUNK, Wo - c0);
      for (int j = 0; j < len; j++)
        xs[j] = nearest_src (c0 + j, sx, W);

      for (int pl = 0; pl < planes; pl++)
        {
          float *ip = dinp + (size_t) pl * H * W;
          const float *op = dout + (size_t) pl * Ho * Wo + c0;

          for (int oy = 0; oy < Ho; oy++)
            {
              float *irow = ip + (size_t) nearest_src (oy, sy, H) * W;
              const float *orow = op + (size_t) oy * Wo;
              for (int j = 0; j < len; j++)
                irow[xs[j]] += orow[j];
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Pooling.  Windows are clipped to the plane once per output row/column, so
 * the inner loops carry no bounds checks; padding never wins a max (−inf)
 * and adds nothing to an average. */

static inline void
pool_window (int *lo, int *hi, int o, int k, int stride, int pad, int n)
{
  const int start = o * stride - pad;
  *lo = start < 0 ? 0 : start;
  *hi = start + k < n ? start + k : n;
}

void
dv_maxpool_forward (float *out, int32_t *argmax, const float *inp,
                    int planes, int H, int W, int k, int stride, int pad)
{
  g_return_if_fail (k > 0 && stride > 0 && pad >= 0 && 2 * pad <= k);

  const int Ho = dv_conv_out_size (H, k, stride, pad);
  const int Wo = dv_conv_out_size (W, k, stride, pad);

  for (int pl = 0; pl < planes; pl++)
    {
      const float *ip = inp + (size_t) pl * H * W;
      const size_t obase = (size_t) pl * Ho * Wo;

      for (int oy = 0; oy < Ho; oy++)
        {
          int y0, y1;
          pool_window (&y0, &y1, oy, k, stride, pad, H);
          for (int ox = 0; ox < Wo; ox++)
            {
              int x0, x1;
              pool_window (&x0, &x1, ox, k, stride, pad, W);

              /* PyTorch's scan keeps the first strict maximum, or the last
               * NaN.  Branch-free: the maximum first, then (scanning
               * backwards) the first index holding it. */
              float best = -INFINITY;
              int32_t best_i = y0 * W + x0;
              int nan_seen = 0;
              for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                  {
                    const float v = ip[y * W + x];
                    best = v > best ? v : best;
                    nan_seen |= v != v;
                  }
              if (G_LIKELY (!nan_seen))
                for (int y = y1 - 1; y >= y0; y--)
                  for (int x = x1 - 1; x >= x0; x--)
                    best_i = ip[y * W + x] == best ? y * W + x : best_i;
              else
                for (int y = y0; y < y1; y++)
                  for (int x = x0; x < x1; x++)
                    if (isnan (ip[y * W + x]))
                      best = NAN, best_i = y * W + x;
              out[obase + (size_t) oy * Wo + ox] = best;
              if (argmax)
                argmax[obase + (size_t) oy * Wo + ox] = best_i;
            }
        }
    }
}

void
dv_maxpool_backward (float *dinp, const float *dout, const int32_t *argmax,
                     int planes, int H, int W, int k, int stride, int pad)
{
  g_return_if_fail (argmax != NULL && k > 0 && stride > 0);

  const int Ho = dv_conv_out_size (H, k, stride, pad);
  const int Wo = dv_conv_out_size (W, k, stride, pad);
  const size_t per_out = (size_t) Ho * Wo;

  for (int pl = 0; pl < planes; pl++)
    {
      float *ip = dinp + (size_t) pl * H * W;
      const float *op = dout + (size_t) pl * per_out;
      const int32_t *am = argmax + (size_t) pl * per_out;

      for (size_t i = 0; i < per_out; i++)
        ip[am[i]] += op[i];
    }
}

/* count_include_pad = True and ceil_mode = False: PyTorch divides every
 * window by k·k (the window never reaches past the padding). */
void
dv_avgpool_forward (float *out, const float *inp, int planes, int H, int W,
                    int k, int stride, int pad)
{
  g_return_if_fail (k > 0 && stride > 0 && pad >= 0 && 2 * pad <= k);

  const int Ho = dv_conv_out_size (H, k, stride, pad);
  const int Wo = dv_conv_out_size (W, k, stride, pad);
  const float divisor = (float) (k * k);

  for (int pl = 0; pl < planes; pl++)
    {
      const float *ip = inp + (size_t) pl * H * W;
      float *op = out + (size_t) pl * Ho * Wo;

      for (int oy = 0; oy < Ho; oy++)
        {
          int y0, y1;
          pool_window (&y0, &y1, oy, k, stride, pad, H);
          for (int ox = 0; ox < Wo; ox++)
            {
              int x0, x1;
              pool_window (&x0, &x1, ox, k, stride, pad, W);
              float sum = 0.0f;
              for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                  sum += ip[y * W + x];
              op[(size_t) oy * Wo + ox] = sum / divisor;
            }
        }
    }
}

void
dv_avgpool_backward (float *dinp, const float *dout, int planes, int H, int W,
                     int k, int stride, int pad)
{
  g_return_if_fail (k > 0 && stride > 0 && pad >= 0);

  const int Ho = dv_conv_out_size (H, k, stride, pad);
  const int Wo = dv_conv_out_size (W, k, stride, pad);
  const float divisor = (float) (k * k);

  for (int pl = 0; pl < planes; pl++)
    {
      float *ip = dinp + (size_t) pl * H * W;
      const float *op = dout + (size_t) pl * Ho * Wo;

      for (int oy = 0; oy < Ho; oy++)
        {
          int y0, y1;
          pool_window (&y0, &y1, oy, k, stride, pad, H);
          for (int ox = 0; ox < Wo; ox++)
            {
              int x0, x1;
              pool_window (&x0, &x1, ox, k, stride, pad, W);
              const float g = op[(size_t) oy * Wo + ox] / divisor;
              for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                  ip[y * W + x] += g;
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Global average pool: inp [C,N,HW] -> out [N,C].                           */

void
dv_gap_forward (float *out, const float *inp, int C, int N, int HW)
{
  g_return_if_fail (HW > 0);

  for (int c = 0; c < C; c++)
    for (int n = 0; n < N; n++)
      {
        const float *p = inp + ((size_t) c * N + n) * HW;
        double s[4] = { 0 }; /* four chains: one is latency bound */
        int i = 0;
        for (; i + 4 <= HW; i += 4)
          for (int l = 0; l < 4; l++)
            s[l] += p[i + l];
        for (; i < HW; i++)
          s[0] += p[i];
        out[(size_t) n * C + c] = (float) (((s[0] + s[1]) + (s[2] + s[3])) / HW);
      }
}

void
dv_gap_backward (float *dinp, const float *dout, int C, int N, int HW)
{
  g_return_if_fail (HW > 0);

  for (int c = 0; c < C; c++)
    for (int n = 0; n < N; n++)
      {
        float *p = dinp + ((size_t) c * N + n) * HW;
        const float g = dout[(size_t) n * C + c] / (float) HW;
        for (int i = 0; i < HW; i++)
          p[i] += g;
      }
}

/* ------------------------------------------------------------------------ */
/* Linear: out [N,K] = inp [N,Cin] · w[K,Cin]ᵀ + b[K].                       */

void
dv_linear_forward (float *out, const float *inp, const float *w, const float *b,
                   int N, int Cin, int K)
{
  g_return_if_fail (N >= 0 && Cin > 0 && K > 0);

  if (b)
    for (int n = 0; n < N; n++)
      memcpy (out + (size_t) n * K, b, (size_t) K * sizeof (float));
  dv_gemm (FALSE, TRUE, N, K, Cin, 1.0f, inp, Cin, w, Cin, b ? 1.0f : 0.0f, out, K);
}

void
dv_linear_backward (float *dinp, float *dw, float *db, const float *dout,
                    const float *inp, const float *w, int N, int Cin, int K)
{
  g_return_if_fail (N >= 0 && Cin > 0 && K > 0);

  if (dinp)
    dv_gemm (FALSE, FALSE, N, Cin, K, 1.0f, dout, K, w, Cin, 1.0f, dinp, Cin);
  if (dw)
    dv_gemm (TRUE, FALSE, K, Cin, N, 1.0f, dout, K, inp, Cin, 1.0f, dw, Cin);
  if (db)
    for (int k = 0; k < K; k++)
      {
        double sum = 0.0;
        for (int n = 0; n < N; n++)
          sum += dout[(size_t) n * K + k];
        db[k] += (float) sum;
      }
}

/* ------------------------------------------------------------------------ */
/* Layout at the boundary: [B,T,C,H,W] frame t <-> [C,B,H,W].                */

void
dv_cnhw_from_sequence (float *out, const float *x, int B, int T, int t, int C, int HW)
{
  g_return_if_fail (t >= 0 && t < T);

  for (int c = 0; c < C; c++)
    for (int b = 0; b < B; b++)
      memcpy (out + ((size_t) c * B + b) * HW,
              x + (((size_t) b * T + t) * C + c) * HW,
              (size_t) HW * sizeof (float));
}

void
dv_cnhw_to_sequence (float *y, const float *inp, int B, int T, int t, int C, int HW)
{
  g_return_if_fail (t >= 0 && t < T);

  for (int c = 0; c < C; c++)
    for (int b = 0; b < B; b++)
      memcpy (y + (((size_t) b * T + t) * C + c) * HW,
              inp + ((size_t) c * B + b) * HW,
              (size_t) HW * sizeof (float));
}
