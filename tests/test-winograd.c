/* test-winograd.c — tests of the fast kernels behind dv-ops.h: the Winograd
 * convolution, the engine's own SGEMM, the transpose, the worker pool
 * (engine/dv-kernels.h), and the fast paths of dv-ops.h that only run on
 * some CPUs or thread counts (strided im2col convolutions split over
 * threads, the 3×3 max pool over 16 planes at once).
 *
 * What this is for: each fast kernel against a naive reference written here
 * (direct convolution and its two gradients summed in double; triple-loop
 * GEMM), over shapes that hit every edge — batches that are not a multiple
 * of the 16 vector lanes, images that are not a multiple of the 4×4 tile,
 * channel counts that are not a multiple of 16, accumulation into non-zero
 * outputs and gradients — and at 1 and 2 threads.  The error bound is
 * relative to the largest reference value, as the golden tests measure it.
 * What it is not for: the im2col path (test-ops.c) or the temporal model.
 */
#include "dv-kernels.h"

#include <math.h>
#include <string.h>

static GRand *rng;

static float *
rand_buf (size_t n, double lo, double hi)
{
  float *b = g_new (float, n);
  for (size_t i = 0; i < n; i++)
    b[i] = (float) g_rand_double_range (rng, lo, hi);
  return b;
}

/* max|got − want| / max|want| */
static double
rel_err (const float *got, const double *want, size_t n)
{
  double md = 0.0, mr = 0.0;
  for (size_t i = 0; i < n; i++)
    {
      md = MAX (md, fabs (got[i] - want[i]));
      mr = MAX (mr, fabs (want[i]));
    }
  return mr > 0 ? md / mr : md;
}

/* ------------------------------------------------------------------------ */
/* Reference 3×3, stride 1, pad 1 convolution on CNHW, in double.            */

static float
at (const float *x, int c, int n, int y, int xx, int N, int H, int W)
{
  if (y < 0 || y >= H || xx < 0 || xx >= W)
    return 0.0f;
  return x[(((size_t) c * N + n) * H + y) * W + xx];
}

static void
ref_forward (double *out, const float *inp, const float *w, const float *b,
             int N, int H, int W, int Cin, int Cout)
{
  for (int co = 0; co < Cout; co++)
    for (int n = 0; n < N; n++)
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            double s = b ? b[co] : 0.0;
            for (int ci = 0; ci < Cin; ci++)
              for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++)
                  s += (double) w[((co * Cin + ci) * 3 + ky) * 3 + kx]
                       * at (inp, ci, n, y + ky - 1, x + kx - 1, N, H, W);
            out[(((size_t) co * N + n) * H + y) * W + x] = s;
          }
}

/* dinp += convᵀ(dout), dw += dout ⋆ inp (both start from what they hold). */
static void
ref_backward (double *dinp, double *dw, const float *dout, const float *inp, const float *w,
              int N, int H, int W, int Cin, int Cout)
{
  for (int co = 0; co < Cout; co++)
    for (int n = 0; n < N; n++)
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            const double g = dout[(((size_t) co * N + n) * H + y) * W + x];
            for (int ci = 0; ci < Cin; ci++)
              for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++)
                  {
                    const int iy = y + ky - 1, ix = x + kx - 1;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                      continue;
                    const size_t ii = (((size_t) ci * N + n) * H + iy) * W + ix;
                    const size_t wi = ((size_t) (co * Cin + ci) * 3 + ky) * 3 + kx;
                    dinp[ii] += g * w[wi];
                    dw[wi] += g * inp[ii];
                  }
          }
}

typedef struct {
  int N, Cin, Cout, H, W;
} Shape;

static const Shape shapes[] = {
  { 1, 4, 5, 3, 3 },     /* one tile, mostly padding */
  { 3, 7, 9, 5, 6 },     /* partial tiles, odd channels, batch < 16 */
  { 17, 16, 8, 8, 8 },   /* batch just past a lane block */
  { 32, 20, 33, 7, 9 },
  { 16, 32, 16, 16, 16 },
  { 4, 12, 40, 4, 13 },  /* wide and flat */
  { 2, 64, 64, 16, 16 }, { 2, 128, 128, 8, 8 }, { 2, 256, 256, 4, 4 },
};

static void
check_shape (const Shape *s, int threads)
{
  const DvConvConfig cfg = { .cin = s->Cin, .cout = s->Cout, .kh = 3, .kw = 3, .stride = 1,
                             .pad = 1, .groups = 1 };
  const int N = s->N, H = s->H, W = s->W;
  const size_t ni = (size_t) s->Cin * N * H * W, no = (size_t) s->Cout * N * H * W;
  const size_t nw = (size_t) s->Cout * s->Cin * 9;
  float *inp = rand_buf (ni, -1, 1), *w = rand_buf (nw, -0.5, 0.5), *b = rand_buf (s->Cout, -1, 1);
  float *dout = rand_buf (no, -1, 1);
  float *out = rand_buf (no, -1, 1), *out0 = g_memdup2 (out, no * sizeof (float));
  float *dinp = rand_buf (ni, -1, 1), *dw = rand_buf (nw, -1, 1);
  double *ref = g_new (double, no), *rdinp = g_new (double, ni), *rdw = g_new (double, nw);
  DvScratch scratch = { 0 };

  g_assert_true (dv_winograd_applies (&cfg));
  dv_set_num_threads (threads);
  ref_forward (ref, inp, w, b, N, H, W, s->Cin, s->Cout);

  /* forward, overwrite (with bias) */
  dv_winograd_forward (out, inp, w, b, N, H, W, &cfg, FALSE, &scratch);
  double e = rel_err (out, ref, no);
  g_test_message ("N %d Cin %d Cout %d %dx%d threads %d: forward rel %.2e", N, s->Cin, s->Cout, H, W,
                  threads, e);
  g_assert_cmpfloat (e, <, 1e-5);

  /* forward, accumulate (no bias) */
  ref_forward (ref, inp, w, NULL, N, H, W, s->Cin, s->Cout);
  for (size_t i = 0; i < no; i++)
    ref[i] += out0[i];
  dv_winograd_forward (out0, inp, w, NULL, N, H, W, &cfg, TRUE, &scratch);
  g_assert_cmpfloat (rel_err (out0, ref, no), <, 1e-5);

  /* backward accumulates into both gradients */
  for (size_t i = 0; i < ni; i++)
    rdinp[i] = dinp[i];
  for (size_t i = 0; i < nw; i++)
    rdw[i] = dw[i];
  ref_backward (rdinp, rdw, dout, inp, w, N, H, W, s->Cin, s->Cout);
  dv_winograd_backward (dinp, dw, dout, inp, w, N, H, W, &cfg, &scratch);
  double ei = rel_err (dinp, rdinp, ni), ew = rel_err (dw, rdw, nw);
  g_test_message ("  backward rel: dinp %.2e, dw %.2e", ei, ew);
  g_assert_cmpfloat (ei, <, 1e-5);
  g_assert_cmpfloat (ew, <, 1e-5);

  /* each gradient alone (NULL skips the other) */
  float *dinp2 = g_new0 (float, ni), *dw2 = g_new0 (float, nw);
  memset (rdinp, 0, ni * sizeof (double));
  memset (rdw, 0, nw * sizeof (double));
  ref_backward (rdinp, rdw, dout, inp, w, N, H, W, s->Cin, s->Cout);
  dv_winograd_backward (dinp2, NULL, dout, inp, w, N, H, W, &cfg, &scratch);
  dv_winograd_backward (NULL, dw2, dout, inp, w, N, H, W, &cfg, &scratch);
  g_assert_cmpfloat (rel_err (dinp2, rdinp, ni), <, 1e-5);
  g_assert_cmpfloat (rel_err (dw2, rdw, nw), <, 1e-5);

  dv_set_num_threads (1);
  dv_scratch_clear (&scratch);
  g_free (inp), g_free (w), g_free (b), g_free (dout), g_free (out), g_free (out0);
  g_free (dinp), g_free (dw), g_free (dinp2), g_free (dw2), g_free (ref), g_free (rdinp), g_free (rdw);
}

static void
test_winograd_reference (void)
{
  for (int be = 0; be < 2; be++) /* the engine's GEMM, then OpenBLAS one product at a time */
    {
      dv_gemm_set_backend (be ? DV_GEMM_OPENBLAS : DV_GEMM_BLAS);
      for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
        for (int threads = 1; threads <= 2; threads++)
          check_shape (&shapes[i], threads);
    }
  dv_gemm_set_backend (DV_GEMM_BLAS);
}

/* dv_conv2d_* route 3×3/1/1 convolutions here except under the naive GEMM;
 * both routes agree. */
static void
test_winograd_conv_route (void)
{
  const Shape s = { 5, 24, 10, 9, 7 };
  const DvConvConfig cfg = { .cin = s.Cin, .cout = s.Cout, .kh = 3, .kw = 3, .stride = 1,
                             .pad = 1, .groups = 1 };
  const size_t ni = (size_t) s.Cin * s.N * s.H * s.W, no = (size_t) s.Cout * s.N * s.H * s.W;
  const size_t nw = (size_t) s.Cout * s.Cin * 9;
  float *inp = rand_buf (ni, -1, 1), *w = rand_buf (nw, -0.5, 0.5), *b = rand_buf (s.Cout, -1, 1);
  float *dout = rand_buf (no, -1, 1);
  float *out[2], *dinp[2], *dw[2], *db[2];
  DvScratch scratch = { 0 };

  for (int be = 0; be < 2; be++)
    {
      dv_gemm_set_backend (be ? DV_GEMM_NAIVE : DV_GEMM_BLAS);
      out[be] = g_new (float, no);
      dinp[be] = g_new0 (float, ni);
      dw[be] = g_new0 (float, nw);
      db[be] = g_new0 (float, s.Cout);
      dv_conv2d_forward (out[be], inp, w, b, s.N, s.H, s.W, &cfg, &scratch);
      dv_conv2d_backward (dinp[be], dw[be], db[be], dout, inp, w, s.N, s.H, s.W, &cfg, &scratch);
    }
  dv_gemm_set_backend (DV_GEMM_BLAS);
  for (size_t i = 0; i < no; i++)
    g_assert_cmpfloat_with_epsilon (out[0][i], out[1][i], 1e-4);
  for (size_t i = 0; i < ni; i++)
    g_assert_cmpfloat_with_epsilon (dinp[0][i], dinp[1][i], 1e-4);
  for (size_t i = 0; i < nw; i++)
    g_assert_cmpfloat_with_epsilon (dw[0][i], dw[1][i], 1e-3);
  for (int c = 0; c < s.Cout; c++)
    g_assert_cmpfloat_with_epsilon (db[0][c], db[1][c], 1e-3);
  for (int be = 0; be < 2; be++)
    g_free (out[be]), g_free (dinp[be]), g_free (dw[be]), g_free (db[be]);
  dv_scratch_clear (&scratch);
  g_free (inp), g_free (w), g_free (b), g_free (dout);
}

/* ------------------------------------------------------------------------ */
/* SGEMM and transpose                                                       */

static void
test_sgemm_reference (void)
{
  if (!dv_sgemm_available ())
    {
      g_test_skip ("no AVX-512 on this CPU: dv_gemm uses OpenBLAS");
      return;
    }
  static const int sizes[][3] = { { 1, 1, 1 }, { 7, 9, 5 }, { 8, 32, 16 }, { 13, 47, 300 },
                                  { 64, 100, 600 }, { 33, 70, 17 } };
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++)
        for (int bi = 0; bi < 3; bi++)
          {
            const int M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
            const float beta = (float[]) { 0.0f, 1.0f, -0.5f }[bi], alpha = bi == 2 ? 0.75f : 1.0f;
            const int lda = (ta ? M : K) + 2, ldb = (tb ? K : N) + 3, ldc = N + 1;
            float *A = rand_buf ((size_t) (ta ? K : M) * lda, -1, 1);
            float *B = rand_buf ((size_t) (tb ? N : K) * ldb, -1, 1);
            float *C = rand_buf ((size_t) M * ldc, -1, 1), *C0 = g_memdup2 (C, sizeof (float) * M * ldc);
            if (beta == 0.0f)
              C[0] = NAN; /* beta 0 overwrites */

            dv_sgemm (ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
            for (int i = 0; i < M; i++)
              {
                for (int j = 0; j < N; j++)
                  {
                    double acc = 0.0;
                    for (int k = 0; k < K; k++)
                      acc += (double) (ta ? A[k * lda + i] : A[i * lda + k])
                             * (tb ? B[j * ldb + k] : B[k * ldb + j]);
                    double want = alpha * acc + (beta == 0.0f ? 0.0 : beta * C0[i * ldc + j]);
                    g_assert_cmpfloat_with_epsilon (C[i * ldc + j], want, 1e-5 * MAX (1.0, sqrt (K)));
                  }
                g_assert_cmpfloat (C[i * ldc + N], ==, C0[i * ldc + N]); /* padding untouched */
              }
            g_free (A), g_free (B), g_free (C), g_free (C0);
          }
}

static void
test_transpose (void)
{
  static const int sizes[][2] = { { 1, 1 }, { 16, 16 }, { 17, 33 }, { 48, 5 }, { 3, 64 } };
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      const int R = sizes[s][0], C = sizes[s][1];
      const size_t lds = C + 2, ldd = R + 5;
      float *src = rand_buf (R * lds, -1, 1), *dst = rand_buf (C * ldd, -1, 1);
      float *dst0 = g_memdup2 (dst, sizeof (float) * C * ldd);
      dv_transpose (dst, ldd, src, lds, R, C);
      for (int j = 0; j < C; j++)
        {
          for (int i = 0; i < R; i++)
            g_assert_cmpfloat (dst[j * ldd + i], ==, src[i * lds + j]);
          for (size_t i = R; i < ldd; i++)
            g_assert_cmpfloat (dst[j * ldd + i], ==, dst0[j * ldd + i]);
        }
      g_free (src), g_free (dst), g_free (dst0);
    }
}

/* ------------------------------------------------------------------------ */
/* The im2col path split over threads, and the 3×3 max pool                  */

/* A 7×7 stride-2 and a 1×1 stride-2 convolution (both through im2col),
 * forward and backward, at 2 threads against 1 thread and the naive GEMM. */
static void
test_im2col_threads (void)
{
  static const DvConvConfig cfgs[] = {
    { .cin = 3, .cout = 20, .kh = 7, .kw = 7, .stride = 2, .pad = 3, .groups = 1 },
    { .cin = 24, .cout = 40, .kh = 1, .kw = 1, .stride = 2, .pad = 0, .groups = 1 },
    { .cin = 8, .cout = 12, .kh = 3, .kw = 3, .stride = 2, .pad = 1, .groups = 2 },
  };
  const int N = 37, H = 21, W = 19;
  DvScratch scratch = { 0 };

  for (guint c = 0; c < G_N_ELEMENTS (cfgs); c++)
    {
      const DvConvConfig *cfg = &cfgs[c];
      const int Ho = dv_conv_out_size (H, cfg->kh, cfg->stride, cfg->pad);
      const int Wo = dv_conv_out_size (W, cfg->kw, cfg->stride, cfg->pad);
      const size_t ni = (size_t) cfg->cin * N * H * W, no = (size_t) cfg->cout * N * Ho * Wo;
      const size_t nw = (size_t) cfg->cout * cfg->cin / cfg->groups * cfg->kh * cfg->kw;
      float *inp = rand_buf (ni, -1, 1), *w = rand_buf (nw, -0.5, 0.5), *b = rand_buf (cfg->cout, -1, 1);
      float *dout = rand_buf (no, -1, 1);
      float *out[3], *dinp[3], *dw[3], *db[3];

      for (int r = 0; r < 3; r++) /* 1 thread, 2 threads, naive GEMM */
        {
          dv_set_num_threads (r == 1 ? 2 : 1);
          dv_gemm_set_backend (r == 2 ? DV_GEMM_NAIVE : DV_GEMM_BLAS);
          out[r] = g_new (float, no);
          dinp[r] = g_new0 (float, ni);
          dw[r] = g_new0 (float, nw);
          db[r] = g_new0 (float, cfg->cout);
          dv_conv2d_forward (out[r], inp, w, b, N, H, W, cfg, &scratch);
          dv_conv2d_backward (dinp[r], dw[r], db[r], dout, inp, w, N, H, W, cfg, &scratch);
        }
      dv_set_num_threads (1);
      dv_gemm_set_backend (DV_GEMM_BLAS);
      for (int r = 1; r < 3; r++)
        {
          for (size_t i = 0; i < no; i++)
            g_assert_cmpfloat_with_epsilon (out[r][i], out[0][i], 1e-4);
          for (size_t i = 0; i < ni; i++)
            g_assert_cmpfloat_with_epsilon (dinp[r][i], dinp[0][i], 1e-4);
          for (size_t i = 0; i < nw; i++)
            g_assert_cmpfloat_with_epsilon (dw[r][i], dw[0][i], 1e-3);
          for (int k = 0; k < cfg->cout; k++)
            g_assert_cmpfloat_with_epsilon (db[r][k], db[0][k], 1e-3);
        }
      for (int r = 0; r < 3; r++)
        g_free (out[r]), g_free (dinp[r]), g_free (dw[r]), g_free (db[r]);
      g_free (inp), g_free (w), g_free (b), g_free (dout);
    }
  dv_scratch_clear (&scratch);
}

/* PyTorch's CPU kernel, straight: start at the window's first plane element
 * with −inf, take a value when it is greater or NaN (so: the first strict
 * maximum in scan order, or the last NaN). */
static void
ref_maxpool (float *out, int32_t *am, const float *inp, int planes, int H, int W, int k, int s, int p)
{
  const int Ho = dv_conv_out_size (H, k, s, p), Wo = dv_conv_out_size (W, k, s, p);
  for (int pl = 0; pl < planes; pl++)
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++)
        {
          const int y0 = MAX (0, oy * s - p), y1 = MIN (H, oy * s - p + k);
          const int x0 = MAX (0, ox * s - p), x1 = MIN (W, ox * s - p + k);
          float best = -INFINITY;
          int32_t bi = y0 * W + x0;
          for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
              {
                const float v = inp[((size_t) pl * H + y) * W + x];
                if (v > best || isnan (v))
                  best = v, bi = y * W + x;
              }
          out[((size_t) pl * Ho + oy) * Wo + ox] = best;
          am[((size_t) pl * Ho + oy) * Wo + ox] = bi;
        }
}

static void
test_maxpool3 (void)
{
  static const int sizes[][2] = { { 16, 16 }, { 8, 8 }, { 4, 4 }, { 7, 9 }, { 3, 3 }, { 40, 33 } };
  for (guint si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (int p = 0; p <= 1; p++)
      for (int s = 1; s <= 2; s++)
        for (int threads = 1; threads <= 2; threads++)
          {
            const int H = sizes[si][0], W = sizes[si][1], planes = 53;
            const int Ho = dv_conv_out_size (H, 3, s, p), Wo = dv_conv_out_size (W, 3, s, p);
            const size_t n = (size_t) planes * H * W, no = (size_t) planes * Ho * Wo;
            float *x = g_new (float, n), *out = g_new (float, no), *ref = g_new (float, no);
            int32_t *am = g_new (int32_t, no), *ram = g_new (int32_t, no);

            /* few distinct values, so windows tie often; some −inf, some NaN */
            for (size_t i = 0; i < n; i++)
              {
                const int r = g_rand_int_range (rng, 0, 100);
                x[i] = r < 2 ? NAN : r < 10 ? -INFINITY : (float) g_rand_int_range (rng, -2, 3);
              }
            for (int pl = 0; pl < 5; pl++) /* whole planes of −inf */
              for (int i = 0; i < H * W; i++)
                x[(size_t) (7 * pl) * H * W + i] = -INFINITY;
            dv_set_num_threads (threads);
            dv_maxpool_forward (out, am, x, planes, H, W, 3, s, p);
            dv_set_num_threads (1);
            ref_maxpool (ref, ram, x, planes, H, W, 3, s, p);
            for (size_t i = 0; i < no; i++)
              {
                if (isnan (ref[i]))
                  g_assert_true (isnan (out[i]));
                else
                  g_assert_cmpfloat (out[i], ==, ref[i]);
                g_assert_cmpint (am[i], ==, ram[i]);
              }
            g_free (x), g_free (out), g_free (ref), g_free (am), g_free (ram);
          }
}

/* ------------------------------------------------------------------------ */
/* Worker pool                                                               */

typedef struct {
  int hits[1000];
  int nested;
} PoolData;

static void
pool_task (int task, int worker, gpointer data)
{
  PoolData *d = data;
  g_assert_cmpint (worker, >=, 0);
  g_assert_cmpint (worker, <, dv_parallel_threads ());
  g_atomic_int_inc (&d->hits[task]);
}

static void
nested_task (int task, int worker, gpointer data)
{
  PoolData *d = data;
  dv_parallel_for (3, pool_task, d); /* runs serially inside a task */
  g_atomic_int_inc (&d->nested);
}

static void
test_pool (void)
{
  for (int threads = 1; threads <= 3; threads++)
    {
      PoolData *d = g_new0 (PoolData, 1);
      dv_set_num_threads (threads);
      for (int round = 0; round < 50; round++)
        dv_parallel_for (1000, pool_task, d);
      for (int t = 0; t < 1000; t++)
        g_assert_cmpint (d->hits[t], ==, 50);
      memset (d, 0, sizeof *d);
      dv_parallel_for (10, nested_task, d);
      g_assert_cmpint (d->nested, ==, 10);
      g_assert_cmpint (d->hits[0], ==, 10);
      g_assert_cmpint (d->hits[2], ==, 10);
      g_free (d);
    }
  dv_set_num_threads (1);
}

/* The paths of a CPU without AVX-512 (plain x86-64 clones, OpenBLAS, the
 * scalar max pool and im2col), in a child process started with
 * DV_KERNELS_GENERIC=1. */
static void test_maxpool3 (void);
static void test_im2col_threads (void);

static void
test_generic_paths (void)
{
  if (g_test_subprocess ())
    {
      g_assert_false (dv_sgemm_available ());
      for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
        check_shape (&shapes[i], 2);
      test_maxpool3 ();
      test_im2col_threads ();
      return;
    }
  g_setenv ("DV_KERNELS_GENERIC", "1", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("DV_KERNELS_GENERIC");
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rng = g_rand_new_with_seed (20240607);
  g_test_add_func ("/engine/winograd/matches-direct-forward-backward", test_winograd_reference);
  g_test_add_func ("/engine/winograd/conv2d-route-matches-im2col", test_winograd_conv_route);
  g_test_add_func ("/engine/sgemm/matches-naive", test_sgemm_reference);
  g_test_add_func ("/engine/sgemm/transpose", test_transpose);
  g_test_add_func ("/engine/parallel/pool-runs-every-task-once", test_pool);
  g_test_add_func ("/engine/conv2d/im2col-threads-match", test_im2col_threads);
  g_test_add_func ("/engine/pool/max3-fast-paths-match-pytorch-rule", test_maxpool3);
  g_test_add_func ("/engine/winograd/generic-x86-64-paths", test_generic_paths);
  int r = g_test_run ();
  g_rand_free (rng);
  return r;
}
