/* dv-elementwise.c — the cheap ops: pointwise nonlinearities, nearest resize,
 * pooling, global average pooling, linear, and the sequence <-> CNHW layout
 * helpers, each forward above its backward.
 *
 * What this is for: PyTorch-exact float32 versions of ReLU, DynVision's
 * Supralinearity, multiplicative integration x·(1+tanh h), nearest
 * interpolation, MaxPool2d (−inf padding), AvgPool2d (count_include_pad),
 * the classifier's Linear, and the run's sums and Euler step.  Long ReLU,
 * sum and Euler runs and the max pool are split over the kernel threads; the
 * common 3×3 max pool works on 16 planes at once with AVX-512.
 * What it is not for: convolutions (dv-conv.c), normalisation (dv-norm.c),
 * or allocating anything.
 */
#include "dv-kernels.h"

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

static void
relu_forward_range (float *out, const float *inp, size_t n)
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

static void
relu_backward_range (float *dinp, const float *dout, const float *inp, size_t n)
{
  const DvV4 zero = { 0 };
  size_t i = 0;

  for (; i + 4 <= n; i += 4)
    V4 (dinp + i) += (DvV4) ((DvI4) V4C (dout + i) & (V4C (inp + i) > zero));
  for (; i < n; i++)
    dinp[i] += inp[i] > 0.0f ? dout[i] : 0.0f;
}

/* Long runs are split over the kernel threads in blocks of EW_BLOCK. */
#define EW_BLOCK ((size_t) 64 << 10)

typedef struct {
  float *out;
  const float *a, *b;
  size_t n;
} EwJob;

static void
relu_forward_task (int t, int worker, gpointer data)
{
  const EwJob *j = data;
  const size_t i0 = (size_t) t * EW_BLOCK;
  relu_forward_range (j->out + i0, j->a + i0, MIN (EW_BLOCK, j->n - i0));
}

static void
relu_backward_task (int t, int worker, gpointer data)
{
  const EwJob *j = data;
  const size_t i0 = (size_t) t * EW_BLOCK;
  relu_backward_range (j->out + i0, j->a + i0, j->b + i0, MIN (EW_BLOCK, j->n - i0));
}

void
dv_relu_forward (float *out, const float *inp, size_t n)
{
  const EwJob j = { out, inp, NULL, n };
  dv_parallel_for ((int) ((n + EW_BLOCK - 1) / EW_BLOCK), relu_forward_task, (gpointer) &j);
}

void
dv_relu_backward (float *dinp, const float *dout, const float *inp, size_t n)
{
  const EwJob j = { dinp, dout, inp, n };
  dv_parallel_for ((int) ((n + EW_BLOCK - 1) / EW_BLOCK), relu_backward_task, (gpointer) &j);
}

/* ------------------------------------------------------------------------ */
/* Sums and the Euler step.  The float operations are exactly the run's own  */
/* loops' (no contraction into FMAs: plain x86-64 code), so the results are  */
/* bit for bit those; the double sum of dv_euler_backward is formed per      */
/* block and then added, a different order in the last bits of a double.     */

typedef struct {
  float *out, *out2;
  const float *a, *b, *c;
  float alpha;
  size_t n;
  double *partial; /* per block (dv_euler_backward) */
} ArithJob;

#define ARITH_RANGE(j, t, i0, i1)                          \
  const size_t i0 = (size_t) (t) * EW_BLOCK;               \
  const size_t i1 = MIN ((j)->n, i0 + EW_BLOCK)

static int
ew_blocks (size_t n)
{
  return (int) ((n + EW_BLOCK - 1) / EW_BLOCK);
}

static void
add_task (int t, int worker, gpointer data)
{
  const ArithJob *j = data;
  ARITH_RANGE (j, t, i0, i1);
  size_t i = i0;
  for (; i + 4 <= i1; i += 4)
    V4 (j->out + i) = V4C (j->a + i) + V4C (j->b + i);
  for (; i < i1; i++)
    j->out[i] = j->a[i] + j->b[i];
}

void
dv_add_forward (float *out, const float *a, const float *b, size_t n)
{
  const ArithJob j = { .out = out, .a = a, .b = b, .n = n };
  dv_parallel_for (ew_blocks (n), add_task, (gpointer) &j);
}

static void
add_acc_task (int t, int worker, gpointer data)
{
  const ArithJob *j = data;
  ARITH_RANGE (j, t, i0, i1);
  size_t i = i0;
  for (; i + 4 <= i1; i += 4)
    V4 (j->out + i) += V4C (j->a + i);
  for (; i < i1; i++)
    j->out[i] += j->a[i];
}

void
dv_add_acc (float *out, const float *a, size_t n)
{
  const ArithJob j = { .out = out, .a = a, .n = n };
  dv_parallel_for (ew_blocks (n), add_acc_task, (gpointer) &j);
}

static void
zero_task (int t, int worker, gpointer data)
{
  const ArithJob *j = data;
  ARITH_RANGE (j, t, i0, i1);
  memset (j->out + i0, 0, (i1 - i0) * sizeof (float));
}

void
dv_zero (float *out, size_t n)
{
  const ArithJob j = { .out = out, .n = n };
  dv_parallel_for (ew_blocks (n), zero_task, (gpointer) &j);
}

static void
euler_task (int t, int worker, gpointer data)
{
  const ArithJob *j = data;
  ARITH_RANGE (j, t, i0, i1);
  const float *u = j->a, *h = j->b;
  float *y = j->out;
  const float alpha = j->alpha;
  const DvV4 va = (DvV4) { 0 } + alpha;
  size_t i = i0;

  if (h == NULL)
    {
      for (; i + 4 <= i1; i += 4)
        V4 (y + i) = va * V4C (u + i);
      for (; i < i1; i++)
        y[i] = alpha * u[i];
    }
  else
    {
      for (; i + 4 <= i1; i += 4)
        V4 (y + i) = V4C (h + i) + va * (V4C (u + i) - V4C (h + i));
      for (; i < i1; i++)
        y[i] = h[i] + alpha * (u[i] - h[i]);
    }
}

void
dv_euler_forward (float *y, const float *u, const float *h, float alpha, size_t n)
{
  const ArithJob j = { .out = y, .a = u, .b = h, .alpha = alpha, .n = n };
  dv_parallel_for (ew_blocks (n), euler_task, (gpointer) &j);
}

static void
euler_backward_task (int t, int worker, gpointer data)
{
  const ArithJob *j = data;
  ARITH_RANGE (j, t, i0, i1);
  float *du = j->out, *dh = j->out2;
  const float *dy = j->a, *u = j->b, *h = j->c;
  const float a = j->alpha, b = 1.0f - a;
  double s0 = 0.0, s1 = 0.0; /* two chains */
  size_t i = i0;

  if (h == NULL)
    {
      for (; i + 2 <= i1; i += 2)
        {
          if (du)
            du[i] += a * dy[i], du[i + 1] += a * dy[i + 1];
          s0 += (double) dy[i] * u[i];
          s1 += (double) dy[i + 1] * u[i + 1];
        }
      for (; i < i1; i++)
        {
          if (du)
            du[i] += a * dy[i];
          s0 += (double) dy[i] * u[i];
        }
    }
  else
    {
      for (; i + 2 <= i1; i += 2)
        {
          if (du)
            du[i] += a * dy[i], du[i + 1] += a * dy[i + 1];
          if (dh)
            dh[i] += b * dy[i], dh[i + 1] += b * dy[i + 1];
          s0 += (double) dy[i] * (u[i] - h[i]);
          s1 += (double) dy[i + 1] * (u[i + 1] - h[i + 1]);
        }
      for (; i < i1; i++)
        {
          if (du)
            du[i] += a * dy[i];
          if (dh)
            dh[i] += b * dy[i];
          s0 += (double) dy[i] * (u[i] - h[i]);
        }
    }
  j->partial[t] = s0 + s1;
}

double
dv_euler_backward (float *du, float *dh, const float *dy, const float *u, const float *h,
                   float alpha, size_t n)
{
  const int blocks = ew_blocks (n);
  double *partial = g_new0 (double, MAX (blocks, 1)), sum = 0.0;
  const ArithJob j = { .out = du, .out2 = h ? dh : NULL, .a = dy, .b = u, .c = h, .alpha = alpha,
                       .n = n, .partial = partial };

  dv_parallel_for (blocks, euler_backward_task, (gpointer) &j);
  for (int t = 0; t < blocks; t++)
    sum += partial[t];
  g_free (partial);
  return sum;
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

/* One output of a max pool over the clipped window [y0,y1)×[x0,x1) of plane
 * ip.  PyTorch's scan keeps the first strict maximum, or the last NaN.
 * Branch-free: the maximum first, then (scanning backwards) the first index
 * holding it. */
static inline void
maxpool_window (float *out, int32_t *argmax, const float *ip, int W, int y0, int y1, int x0, int x1)
{
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
  *out = best;
  if (argmax)
    *argmax = best_i;
}

/* A 3×3 pool (stride s, padding p ≤ 1) over one plane that fits the stack:
 * the plane is first copied into a buffer with a −inf border, so every
 * window is a full, unrolled 3×3.  Padding never holds the maximum unless
 * the whole window is −inf or a NaN is in it; those windows go to the
 * general scan.  Returns FALSE (nothing done) when the plane is too big. */
#define POOL3_MAX_PLANE 4096

static gboolean
maxpool3_plane (float *out, int32_t *argmax, const float *ip, int H, int W, int Ho, int Wo,
                int s, int p)
{
  const int Hp = H + 2 * p, Wp = W + 2 * p;
  float buf[POOL3_MAX_PLANE];

  if ((size_t) Hp * Wp > POOL3_MAX_PLANE || (Ho - 1) * s + 3 > Hp || (Wo - 1) * s + 3 > Wp)
    return FALSE;
  for (int i = 0; i < p * Wp; i++)
    buf[i] = buf[(size_t) (Hp - 1) * Wp + i] = -INFINITY;
  for (int y = 0; y < H; y++)
    {
      float *b = buf + (size_t) (y + p) * Wp;
      if (p)
        b[0] = b[Wp - 1] = -INFINITY;
      memcpy (b + p, ip + (size_t) y * W, (size_t) W * sizeof (float));
    }

  for (int oy = 0; oy < Ho; oy++)
    for (int ox = 0; ox < Wo; ox++)
      {
        const float *r0 = buf + (size_t) (oy * s) * Wp + ox * s, *r1 = r0 + Wp, *r2 = r1 + Wp;
        const float v[9] = { r0[0], r0[1], r0[2], r1[0], r1[1], r1[2], r2[0], r2[1], r2[2] };
        uint32_t bits[9], nan_seen = 0;
        float best = v[0];
        const size_t o = (size_t) oy * Wo + ox;

        memcpy (bits, v, sizeof bits);
        for (int i = 0; i < 9; i++)
          {
            nan_seen |= (bits[i] & 0x7fffffffu) > 0x7f800000u;
            best = v[i] > best ? v[i] : best;
          }
        if (G_UNLIKELY (nan_seen || best == -INFINITY))
          {
            int y0, y1, x0, x1;
            pool_window (&y0, &y1, oy, 3, s, p, H);
            pool_window (&x0, &x1, ox, 3, s, p, W);
            maxpool_window (out + o, argmax ? argmax + o : NULL, ip, W, y0, y1, x0, x1);
            continue;
          }
        /* The first element equal to the maximum carries its very bits (an
         * earlier equal one would have been kept), so integers find it
         * without branches. */
        uint32_t bb;
        memcpy (&bb, &best, sizeof bb);
        int k = 8;
        for (int i = 7; i >= 0; i--)
          k = bits[i] == bb ? i : k;
        out[o] = best;
        if (argmax)
          argmax[o] = (oy * s - p + k / 3) * W + ox * s - p + k % 3;
      }
  return TRUE;
}

/* Sixteen planes at once (AVX-512), the planes in the vector lanes: the
 * block is transposed to [pixel][16] inside a −inf border, every window is
 * nine vector loads, and a strict "greater than" scan keeps the first
 * maximum in scan order, as PyTorch.  Windows holding a NaN, or only −inf,
 * are redone by the general scan.  3×3 windows, padding ≤ 1. */
#define POOL16_MAX_PIXELS 400 /* padded plane, so the buffers fit the stack */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DV_POOL16 1

__attribute__ ((target ("avx512f"))) static void
maxpool3_16 (float *out, int32_t *argmax, const float *inp, int H, int W, int Ho, int Wo, int s,
             int p)
{
  const int Hp = H + 2 * p, Wp = W + 2 * p, HW = H * W, HoWo = Ho * Wo;
  float grid[16 * POOL16_MAX_PIXELS] __attribute__ ((aligned (64)));
  float vout[16 * POOL16_MAX_PIXELS] __attribute__ ((aligned (64)));
  int32_t vam[16 * POOL16_MAX_PIXELS] __attribute__ ((aligned (64)));
  int32_t redo[POOL16_MAX_PIXELS];
  int n_redo = 0;
  const __m512 ninf = _mm512_set1_ps (-INFINITY);

  for (int y = 0; y < Hp; y++)
    for (int x = 0; x < Wp; x++)
      if (y < p || y >= H + p || x < p || x >= W + p)
        _mm512_store_ps (grid + (size_t) (y * Wp + x) * 16, ninf);
  if (W % 16 == 0)
    for (int y = 0; y < H; y++) /* rows of the block: [16][W] → [W][16] */
      dv_transpose (grid + (size_t) ((y + p) * Wp + p) * 16, 16, inp + (size_t) y * W, (size_t) HW, 16, W);
  else
    {
      dv_transpose (vout, 16, inp, (size_t) HW, 16, HW); /* [HW][16], then into the border */
      for (int y = 0; y < H; y++)
        memcpy (grid + (size_t) ((y + p) * Wp + p) * 16, vout + (size_t) y * W * 16,
                (size_t) W * 16 * sizeof (float));
    }

  for (int oy = 0; oy < Ho; oy++)
    for (int ox = 0; ox < Wo; ox++)
      {
        const float *r = grid + (size_t) (oy * s * Wp + ox * s) * 16;
        __m512 best = _mm512_load_ps (r);
        __m512i k = _mm512_setzero_si512 ();
        __mmask16 bad = _mm512_cmp_ps_mask (best, best, _CMP_UNORD_Q);
        for (int i = 1; i < 9; i++)
          {
            const __m512 v = _mm512_load_ps (r + (size_t) ((i / 3) * Wp + i % 3) * 16);
            const __mmask16 gt = _mm512_cmp_ps_mask (v, best, _CMP_GT_OQ);
            best = _mm512_mask_mov_ps (best, gt, v);
            k = _mm512_mask_mov_epi32 (k, gt, _mm512_set1_epi32 (i));
            bad |= _mm512_cmp_ps_mask (v, v, _CMP_UNORD_Q);
          }
        bad |= _mm512_cmp_ps_mask (best, ninf, _CMP_EQ_OQ);
        const int o = oy * Wo + ox;
        _mm512_store_ps (vout + (size_t) o * 16, best);
        /* flat input index of tap k: (oy·s − p + k/3)·W + ox·s − p + k%3;
         * k/3 = (11·k) >> 5 for 0 ≤ k ≤ 8 */
        const __m512i ky = _mm512_srli_epi32 (_mm512_mullo_epi32 (k, _mm512_set1_epi32 (11)), 5);
        const __m512i kx = _mm512_sub_epi32 (k, _mm512_mullo_epi32 (ky, _mm512_set1_epi32 (3)));
        __m512i idx = _mm512_mullo_epi32 (_mm512_add_epi32 (ky, _mm512_set1_epi32 (oy * s - p)),
                                          _mm512_set1_epi32 (W));
        idx = _mm512_add_epi32 (idx, _mm512_add_epi32 (kx, _mm512_set1_epi32 (ox * s - p)));
        _mm512_store_si512 (vam + (size_t) o * 16, idx);
        if (bad)
          redo[n_redo++] = o;
      }
  dv_transpose (out, (size_t) HoWo, vout, 16, HoWo, 16);
  if (argmax)
    dv_transpose ((float *) argmax, (size_t) HoWo, (const float *) vam, 16, HoWo, 16);
  for (int r = 0; r < n_redo; r++)
    {
      const int o = redo[r], oy = o / Wo, ox = o % Wo;
      int y0, y1, x0, x1;
      pool_window (&y0, &y1, oy, 3, s, p, H);
      pool_window (&x0, &x1, ox, 3, s, p, W);
      for (int l = 0; l < 16; l++)
        maxpool_window (out + (size_t) l * HoWo + o, argmax ? argmax + (size_t) l * HoWo + o : NULL,
                        inp + (size_t) l * HW, W, y0, y1, x0, x1);
    }
}
#endif

typedef struct {
  float *out;
  int32_t *argmax;
  const float *inp;
  int planes, H, W, Ho, Wo, k, stride, pad;
  gboolean fast16;
} PoolJob;

#define POOL_PLANES_PER_TASK 64

static void
maxpool_task (int task, int worker, gpointer data)
{
  const PoolJob *j = data;
  const int H = j->H, W = j->W, Ho = j->Ho, Wo = j->Wo, k = j->k, stride = j->stride, pad = j->pad;
  const int p0 = task * POOL_PLANES_PER_TASK, p1 = MIN (j->planes, p0 + POOL_PLANES_PER_TASK);
  int pl = p0;

#ifdef DV_POOL16
  if (j->fast16)
    for (; pl + 16 <= p1; pl += 16)
      maxpool3_16 (j->out + (size_t) pl * Ho * Wo, j->argmax ? j->argmax + (size_t) pl * Ho * Wo : NULL,
                   j->inp + (size_t) pl * H * W, H, W, Ho, Wo, stride, pad);
#endif
  for (; pl < p1; pl++)
    {
      const float *ip = j->inp + (size_t) pl * H * W;
      const size_t obase = (size_t) pl * Ho * Wo;

      if (k == 3 && pad <= 1
          && maxpool3_plane (j->out + obase, j->argmax ? j->argmax + obase : NULL, ip, H, W, Ho, Wo,
                             stride, pad))
        continue;
      for (int oy = 0; oy < Ho; oy++)
        {
          int y0, y1;
          pool_window (&y0, &y1, oy, k, stride, pad, H);
          for (int ox = 0; ox < Wo; ox++)
            {
              int x0, x1;
              pool_window (&x0, &x1, ox, k, stride, pad, W);
              const size_t o = obase + (size_t) oy * Wo + ox;
              maxpool_window (j->out + o, j->argmax ? j->argmax + o : NULL, ip, W, y0, y1, x0, x1);
            }
        }
    }
}

void
dv_maxpool_forward (float *out, int32_t *argmax, const float *inp,
                    int planes, int H, int W, int k, int stride, int pad)
{
  g_return_if_fail (k > 0 && stride > 0 && pad >= 0 && 2 * pad <= k);

  const int Ho = dv_conv_out_size (H, k, stride, pad);
  const int Wo = dv_conv_out_size (W, k, stride, pad);
  const PoolJob j = { out, argmax, inp, planes, H, W, Ho, Wo, k, stride, pad,
                      k == 3 && pad <= 1 && dv_sgemm_available ()
                        && (H + 2 * pad) * (W + 2 * pad) <= POOL16_MAX_PIXELS
                        && (Ho - 1) * stride + 3 <= H + 2 * pad && (Wo - 1) * stride + 3 <= W + 2 * pad };

  dv_parallel_for ((planes + POOL_PLANES_PER_TASK - 1) / POOL_PLANES_PER_TASK, maxpool_task, (gpointer) &j);
}

typedef struct {
  float *dinp;
  const float *dout;
  const int32_t *argmax;
  int planes, HW;
  size_t per_out;
} PoolBackJob;

static void
maxpool_backward_task (int task, int worker, gpointer data)
{
  const PoolBackJob *j = data;
  const int p1 = MIN (j->planes, (task + 1) * POOL_PLANES_PER_TASK);

  for (int pl = task * POOL_PLANES_PER_TASK; pl < p1; pl++)
    {
      float *ip = j->dinp + (size_t) pl * j->HW;
      const float *op = j->dout + (size_t) pl * j->per_out;
      const int32_t *am = j->argmax + (size_t) pl * j->per_out;

      for (size_t i = 0; i < j->per_out; i++)
        ip[am[i]] += op[i];
    }
}

void
dv_maxpool_backward (float *dinp, const float *dout, const int32_t *argmax,
                     int planes, int H, int W, int k, int stride, int pad)
{
  g_return_if_fail (argmax != NULL && k > 0 && stride > 0);

  const int Ho = dv_conv_out_size (H, k, stride, pad);
  const int Wo = dv_conv_out_size (W, k, stride, pad);
  const PoolBackJob j = { dinp, dout, argmax, planes, H * W, (size_t) Ho * Wo };

  dv_parallel_for ((planes + POOL_PLANES_PER_TASK - 1) / POOL_PLANES_PER_TASK, maxpool_backward_task,
                   (gpointer) &j);
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
