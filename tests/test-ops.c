/* test-ops.c — tests of the numeric kernels declared in engine/dv-ops.h.
 *
 * What this is for: every op gets (1) a central finite-difference check of
 * its backward (loss = Σ out·R for a random R, accumulated in double, at a
 * random sample of the inputs and weights), which also checks that backward
 * ACCUMULATES and that a NULL gradient pointer only skips work; (2) exact
 * hand-checked values; (3) numbers from PyTorch.  GEMM and conv are also
 * compared across the BLAS and naive backends and against a direct
 * convolution written here.  What it is not for: the temporal model.
 *
 * The PyTorch numbers were produced once by a throwaway script run with
 * /usr/bin/python3 (torch 1.13, float32): inputs are the deterministic
 * patterns amp·sin(a·j + b) over the NCHW flat index j (pat_buf builds the
 * same values in CNHW), the upstream gradient of the output is cos(0.11·j),
 * and each tensor is summarised as wsum(t) = Σ_j t[j]·cos(0.07·j) in NCHW
 * order; a few single elements are checked too.
 */
#include "ops-harness.h"

/* ------------------------------------------------------------------------ */
/* Scratch and GEMM                                                          */

static void
test_scratch (void)
{
  DvScratch s = { 0 };
  float *a = dv_scratch_get (&s, 10);
  g_assert_nonnull (a);
  g_assert_cmpuint (s.capacity, >=, 10);
  g_assert_true (dv_scratch_get (&s, 5) == a); /* never shrinks */
  float *c = dv_scratch_get (&s, 1000);
  g_assert_cmpuint (s.capacity, >=, 1000);
  c[999] = 2.0f;
  g_assert_cmpuint ((guintptr) c % 16, ==, 0);
  dv_scratch_clear (&s);
  g_assert_null (s.data);
  g_assert_cmpuint (s.capacity, ==, 0);
}

static void
test_gemm_backends (void)
{
  const int M = 7, N = 9, K = 5;

  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      {
        const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
        const size_t nc = (size_t) M * ldc;
        float *A = rand_buf ((size_t) (ta ? K : M) * lda, -1, 1);
        float *B = rand_buf ((size_t) (tb ? N : K) * ldb, -1, 1);
        float *C0 = rand_buf (nc, -1, 1);
        float *C1 = g_memdup2 (C0, nc * sizeof (float)), *Cin = g_memdup2 (C0, nc * sizeof (float));

        dv_gemm_set_backend (DV_GEMM_BLAS);
        dv_gemm (ta, tb, M, N, K, 0.7f, A, lda, B, ldb, 0.3f, C0, ldc);
        dv_gemm_set_backend (DV_GEMM_NAIVE);
        g_assert_cmpint (dv_gemm_get_backend (), ==, DV_GEMM_NAIVE);
        dv_gemm (ta, tb, M, N, K, 0.7f, A, lda, B, ldb, 0.3f, C1, ldc);
        dv_gemm_set_backend (DV_GEMM_BLAS);
        assert_bufs_close (C0, C1, nc, 1e-5);

        /* Entry (2,3) by hand; the padding columns of C stay untouched. */
        double want = 0.0;
        for (int k = 0; k < K; k++)
          want += (double) (ta ? A[k * lda + 2] : A[2 * lda + k]) * (tb ? B[3 * ldb + k] : B[k * ldb + 3]);
        assert_close (C1[2 * ldc + 3], 0.7 * want + 0.3 * Cin[2 * ldc + 3], 1e-6);
        for (int i = 0; i < M; i++)
          {
            g_assert_cmpfloat (C0[i * ldc + N], ==, Cin[i * ldc + N]);
            g_assert_cmpfloat (C1[i * ldc + N + 1], ==, Cin[i * ldc + N + 1]);
          }
        g_free (A), g_free (B), g_free (C0), g_free (C1), g_free (Cin);
      }

  /* beta = 0 overwrites (even NaN); K = 0 only scales by beta. */
  float A[6] = { 1, 2, 3, 4, 5, 6 }, B[6] = { 1, 0, 0, 1, 1, 1 }, C[4];
  for (int be = 0; be < 2; be++)
    {
      dv_gemm_set_backend (be ? DV_GEMM_NAIVE : DV_GEMM_BLAS);
      C[0] = C[1] = C[2] = C[3] = NAN;
      dv_gemm (FALSE, FALSE, 2, 2, 3, 1.0f, A, 3, B, 2, 0.0f, C, 2);
      /* [1 2 3]·[1 0 1], [1 2 3]·[0 1 1], … */
      expect_at (C, 4, (int[]) { 0, 1, 2, 3 }, (float[]) { 4, 5, 10, 11 });
      dv_gemm (FALSE, FALSE, 2, 2, 0, 1.0f, A, 3, B, 2, 2.0f, C, 2);
      g_assert_cmpfloat (C[3], ==, 22.0f);
    }
  dv_gemm_set_backend (DV_GEMM_BLAS);
}

/* ------------------------------------------------------------------------ */
/* Convolution                                                               */

/* Straight from the definition, on CNHW buffers. */
static void
ref_conv (float *out, const float *inp, const float *w, const float *b,
          int N, int H, int W, const DvConvConfig *c)
{
  const int Ho = dv_conv_out_size (H, c->kh, c->stride, c->pad);
  const int Wo = dv_conv_out_size (W, c->kw, c->stride, c->pad);
  const int cin_g = c->cin / c->groups, cout_g = c->cout / c->groups;

  for (int co = 0; co < c->cout; co++)
    for (int n = 0; n < N; n++)
      for (int oy = 0; oy < Ho; oy++)
        for (int ox = 0; ox < Wo; ox++)
          {
            double s = b ? b[co] : 0.0;
            for (int ci = 0; ci < cin_g; ci++)
              for (int ky = 0; ky < c->kh; ky++)
                for (int kx = 0; kx < c->kw; kx++)
                  {
                    int iy = oy * c->stride + ky - c->pad, ix = ox * c->stride + kx - c->pad;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                      {
                        if (c->pad_mode == DV_PAD_ZEROS)
                          continue;
                        iy = iy < 0 ? -iy : (iy >= H ? 2 * (H - 1) - iy : iy);
                        ix = ix < 0 ? -ix : (ix >= W ? 2 * (W - 1) - ix : ix);
                      }
                    const int cin = (co / cout_g) * cin_g + ci;
                    s += (double) w[((co * cin_g + ci) * c->kh + ky) * c->kw + kx]
                         * inp[(((size_t) cin * N + n) * H + iy) * W + ix];
                  }
            out[(((size_t) co * N + n) * Ho + oy) * Wo + ox] = (float) s;
          }
}

typedef struct {
  int N, H, W;
  DvConvConfig cfg;
  gboolean bias;
} ConvCase;

#define CONV(n, h, w, ci, co, kh_, kw_, s, p, g, mode, bias_) \
  { n, h, w, { .cin = ci, .cout = co, .kh = kh_, .kw = kw_, .stride = s, .pad = p, \
               .groups = g, .pad_mode = DV_PAD_##mode }, bias_ }

static const ConvCase conv_cases[] = {
  CONV (2, 5, 6, 4, 6, 3, 3, 2, 1, 2, REFLECT, TRUE),  /* groups, reflect, s2 (torch A) */
  CONV (2, 4, 5, 3, 3, 3, 3, 1, 1, 3, ZEROS, TRUE),    /* depthwise (torch B) */
  CONV (2, 6, 7, 1, 1, 5, 5, 1, 2, 1, REFLECT, TRUE),  /* 1→1 reflect, local rec. (C) */
  CONV (2, 3, 4, 3, 2, 1, 1, 1, 0, 1, ZEROS, TRUE),    /* pointwise (torch D) */
  CONV (2, 7, 6, 2, 3, 2, 3, 2, 1, 1, ZEROS, FALSE),   /* s2, 2×3 kernel (torch E) */
  CONV (2, 5, 6, 3, 4, 3, 3, 1, 1, 1, ZEROS, TRUE),    /* dense */
  CONV (2, 6, 7, 2, 2, 5, 5, 2, 2, 2, REFLECT, FALSE), /* depthwise, reflect, s2 */
  CONV (1, 3, 4, 4, 6, 1, 1, 1, 0, 2, ZEROS, FALSE),   /* pointwise, groups */
  CONV (2, 5, 5, 3, 2, 1, 1, 2, 0, 1, ZEROS, TRUE),    /* 1×1 stride 2 */
  CONV (1, 9, 9, 2, 2, 17, 17, 1, 8, 2, ZEROS, TRUE),  /* depthwise, too many taps */
  CONV (3, 2, 5, 2, 2, 3, 3, 1, 1, 1, REFLECT, FALSE), /* reflect on a 2-row plane */
  CONV (1, 8, 3, 3, 2, 3, 2, 3, 1, 1, REFLECT, TRUE),  /* stride 3, non-square */
};

static void
op_conv (TestOp *o, const ConvCase *cc)
{
  const DvConvConfig *c = &cc->cfg;
  const int Ho = dv_conv_out_size (cc->H, c->kh, c->stride, c->pad);
  const int Wo = dv_conv_out_size (cc->W, c->kw, c->stride, c->pad);
  *o = (TestOp) { .kind = OP_CONV, .n_in = cc->bias ? 3 : 2, .cfg = *c, .N = cc->N,
                  .H = cc->H, .W = cc->W, .Ho = Ho, .Wo = Wo, .h = 1e-2, .tol = 2e-3,
                  .shape = { { cc->N, c->cin, cc->H * cc->W },
                             { 1, 1, c->cout * (c->cin / c->groups) * c->kh * c->kw },
                             { 1, 1, c->cout }, [OUT] = { cc->N, c->cout, Ho * Wo } } };
  op_alloc (o);
}

static void
test_conv_validate (void)
{
  DvConvConfig ok = { .cin = 4, .cout = 6, .kh = 3, .kw = 3, .stride = 1, .pad = 1, .groups = 2 };
  DvConvConfig bad = ok;
  GError *error = NULL;

  g_assert_true (dv_conv_config_validate (&ok, &error));
  g_assert_no_error (error);
  bad.groups = 3;
  g_assert_false (dv_conv_config_validate (&bad, &error));
  g_assert_error (error, DV_OPS_ERROR, DV_OPS_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "groups"));
  g_clear_error (&error);
  bad = ok, bad.stride = 0;
  g_assert_false (dv_conv_config_validate (&bad, NULL));

  g_assert_cmpint (dv_conv_out_size (224, 7, 4, 3), ==, 56);
  g_assert_cmpint (dv_conv_out_size (5, 3, 2, 1), ==, 3);
  g_assert_cmpint (dv_conv_out_size (2, 5, 1, 0), ==, 0);
}

/* A 3×3 conv on the 4×4 input 1…16 (row-major), worked out by hand. */
static void
test_conv_hand (void)
{
  float x[16], out[16], ones[9], diag[9] = { 1, 0, 0, 0, 0, 0, 0, 0, -1 }, bias = 0.5f;
  DvScratch s = { 0 };
  DvConvConfig c = { .cin = 1, .cout = 1, .kh = 3, .kw = 3, .stride = 1, .pad = 0, .groups = 1 };

  for (int i = 0; i < 16; i++)
    x[i] = (float) (i + 1);
  for (int i = 0; i < 9; i++)
    ones[i] = 1.0f;

  /* Box sums without padding: 1+2+3+5+6+7+9+10+11 = 54, then +9, +36, +45.
   * Direct kernel (1 channel = depthwise) and im2col (2 identical outputs). */
  dv_conv2d_forward (out, x, ones, NULL, 1, 4, 4, &c, &s);
  expect_at (out, 4, (int[]) { 0, 1, 2, 3 }, (float[]) { 54, 63, 90, 99 });
  float ones2[18];
  for (int i = 0; i < 18; i++)
    ones2[i] = 1.0f;
  c.cout = 2;
  dv_conv2d_forward (out, x, ones2, NULL, 1, 4, 4, &c, &s);
  expect_at (out, 4, (int[]) { 0, 3, 4, 7 }, (float[]) { 54, 99, 54, 99 });
  c.cout = 1;

  /* out[y,x] = in[y−1,x−1] − in[y+1,x+1] + 0.5 with zero padding. */
  c.pad = 1;
  dv_conv2d_forward (out, x, diag, &bias, 1, 4, 4, &c, &s);
  /* corner 0 − in[1,1]; interior −10; both taps outside; in[2,2] − 0 */
  expect_at (out, 4, (int[]) { 0, 5, 3, 15 }, (float[]) { -5.5f, -9.5f, 0.5f, 11.5f });

  /* Reflect: in[−1,−1] mirrors to in[1,1], so the corners cancel. */
  c.pad_mode = DV_PAD_REFLECT;
  dv_conv2d_forward (out, x, diag, NULL, 1, 4, 4, &c, &s);
  /* (0,3): in[1,2] − in[1,2]; (3,0): in[2,1] − in[2,1] */
  expect_at (out, 4, (int[]) { 0, 3, 12, 6 }, (float[]) { 0, 0, 0, -10 });
  dv_scratch_clear (&s);
}

/* Against ref_conv, BLAS vs naive for forward and backward, and _acc. */
static void
test_conv_reference (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    {
      TestOp o;
      op_conv (&o, &conv_cases[i]);
      const size_t n_out = LEN (&o, OUT);
      float *ref = g_new (float, n_out), *acc = rand_buf (n_out, -1, 1);
      float *acc0 = g_memdup2 (acc, n_out * sizeof (float));
      float *g[2][MAX_IN] = { { NULL } };

      ref_conv (ref, o.in[0], o.in[1], IN (&o, 2), o.N, o.H, o.W, &o.cfg);
      o.dout = rand_buf (n_out, -1, 1);
      for (int be = 0; be < 2; be++)
        {
          dv_gemm_set_backend (be ? DV_GEMM_NAIVE : DV_GEMM_BLAS);
          op_forward (&o);
          assert_bufs_close (o.out, ref, n_out, 2e-5);
          for (int k = 0; k < o.n_in; k++)
            o.grad[k] = g[be][k] = g_new0 (float, LEN (&o, k));
          op_backward (&o);
        }
      dv_gemm_set_backend (DV_GEMM_BLAS);
      for (int k = 0; k < o.n_in; k++)
        {
          assert_bufs_close (g[0][k], g[1][k], LEN (&o, k), 2e-5);
          g_free (g[0][k]), g_free (g[1][k]);
          o.grad[k] = NULL;
        }

      dv_conv2d_forward_acc (acc, o.in[0], o.in[1], IN (&o, 2), o.N, o.H, o.W, &o.cfg,
                             &o.scratch);
      for (size_t j = 0; j < n_out; j++)
        assert_close (acc[j], acc0[j] + ref[j], 2e-5);
      g_free (ref), g_free (acc), g_free (acc0), g_free (o.dout);
      op_free (&o);
    }
}

static void
test_conv_numeric (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    {
      TestOp o;
      op_conv (&o, &conv_cases[i]);
      gradcheck (&o);
      op_free (&o);
    }
}

static void
test_conv_pytorch (void)
{
  /* Patterns (a, b, amp) of x and w, the bias, and the expected
   * wsum(y), wsum(dx), wsum(dw), wsum(db) for conv_cases[0 … 4]. */
  static const struct {
    double x[3], w[3];
    float b[6];
    double want[4];
  } cases[] = {
    /* F.conv2d(F.pad(x,(1,1,1,1),'reflect'), w, b, stride=2, groups=2) */
    { { 0.37, 0.1, 1 }, { 0.23, 0.4, 0.3 }, { -0.2f, -0.1f, 0.0f, 0.1f, 0.2f, 0.3f },
      { -5.98089013, -15.7202229, 66.1164208, -5.37001693 } },
    /* F.conv2d(x, w, b, padding=1, groups=3) */
    { { 0.29, -0.3, 1 }, { 0.41, 0.2, 0.5 }, { 0.1f, -0.2f, 0.3f },
      { 17.2721255, 13.5984316, 2.75699874, 5.30622717 } },
    /* F.conv2d(F.pad(x,(2,2,2,2),'reflect'), w[1,1,5,5], b) */
    { { 0.17, 0.5, 1 }, { 0.31, -0.1, 0.4 }, { 0.05f },
      { -4.01672347, -37.7101853, 126.702052, 2.66006184 } },
    /* F.conv2d(x, w[2,3,1,1], b) */
    { { 0.13, 0.7, 1 }, { 0.9, 0.3, 1 }, { 0.25f, -0.5f },
      { 8.36437077, 10.1903659, -7.49998229, -7.4129376 } },
    /* F.conv2d(x, w[3,2,2,3], stride=2, padding=1) -> [2,3,4,3] */
    { { 0.21, 0.2, 1 }, { 0.33, 0.0, 0.5 }, { 0 },
      { -4.02118267, -13.0029272, -1.58142847, NAN } },
  };
  /* Single elements y[n,c,y,x] of cases 0, 1 and 2. */
  static const struct { int c, at[4]; double y; } elems[] = {
    { 0, { 0, 0, 0, 0 }, 0.693219066 }, { 0, { 1, 5, 2, 1 }, 1.04423761 },
    { 0, { 0, 3, 1, 2 }, -0.194828704 }, { 1, { 0, 0, 0, 0 }, -0.178257585 },
    { 1, { 1, 2, 3, 4 }, 1.40748811 }, { 2, { 0, 0, 0, 0 }, -0.399697393 },
    { 2, { 1, 0, 5, 6 }, -1.60325253 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      TestOp o;
      op_conv (&o, &conv_cases[i]);
      op_pattern (&o, 0, cases[i].x[0], cases[i].x[1], cases[i].x[2]);
      op_pattern (&o, 1, cases[i].w[0], cases[i].w[1], cases[i].w[2]);
      if (o.n_in > 2)
        memcpy (o.in[2], cases[i].b, LEN (&o, 2) * sizeof (float));
      op_check_pytorch (&o, cases[i].want, 1e-5);
      for (guint e = 0; e < G_N_ELEMENTS (elems); e++)
        if (elems[e].c == (int) i)
          {
            const int *at = elems[e].at;
            assert_close (o.out[(((size_t) at[1] * o.N + at[0]) * o.Ho + at[2]) * o.Wo + at[3]],
                          elems[e].y, 1e-5);
          }
      op_free (&o);
    }
}

/* ------------------------------------------------------------------------ */
/* Pointwise ops                                                             */

static void
test_elementwise (void)
{
  const OpKind kinds[3] = { OP_RELU, OP_SUPRALIN, OP_MULINT };
  TestOp o;

  /* Inputs at least 0.1 away from 0, so ±h never crosses a kink. */
  for (int i = 0; i < 3; i++)
    {
      o = (TestOp) { .kind = kinds[i], .n_in = i == 2 ? 2 : 1, .h = 1e-3, .tol = 5e-3,
                     .shape = { { 1, 1, 60 }, { 1, 1, 60 }, [OUT] = { 1, 1, 60 } } };
      op_alloc (&o);
      for (int k = 0; k < o.n_in; k++)
        for (int j = 0; j < 60; j++)
          o.in[k][j] = (o.in[k][j] < 0 ? -0.1f : 0.1f) + 1.9f * o.in[k][j];
      gradcheck (&o);
      op_free (&o);
    }

  /* Supralinearity n = 1.8, k = 0.8 from torch: k·sign(xc)·|xc|.clamp(min=1e-6)^n,
   * xc = clamp(x, ±1e6), and the gradient of the sum. */
  const float xs[8] = { -2.5f, -1e-7f, 0.0f, 3e-7f, 0.3f, 1.0f, 2.0f, 1e7f };
  const double ys[8] = { -4.16276598, -1.26791537e-11, 0, 1.26791537e-11, 0.0916027054,
                         0.800000012, 2.78576159, 5.04765563e+10 };
  const double gs[8] = { 2.99719143, 0, 0, 0, 0.549616218, 1.43999994, 2.50718546, 0 };
  float y[8], g[8] = { 0 }, ones[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
  dv_supralin_forward (y, xs, 8, 1.8f, 0.8f);
  dv_supralin_backward (g, ones, xs, 8, 1.8f, 0.8f);
  for (int i = 0; i < 8; i++)
    {
      g_assert_cmpfloat_with_epsilon (y[i], ys[i], 2e-6 * MAX (1e-11, fabs (ys[i])));
      assert_close (g[i], gs[i], 2e-6);
    }

  /* ReLU by hand; the gradient accumulates onto 1. */
  const float rx[3] = { -1.0f, 0.0f, 2.0f };
  float ry[3], rg[3] = { 1, 1, 1 };
  dv_relu_forward (ry, rx, 3);
  dv_relu_backward (rg, ones, rx, 3);
  expect_at (ry, 3, (int[]) { 0, 1, 2 }, (float[]) { 0, 0, 2 });
  expect_at (rg, 3, (int[]) { 0, 1, 2 }, (float[]) { 1, 1, 2 });
  /* torch.relu passes NaN, in the vector body and in the tail. */
  float nx[9] = { NAN, -1, 2, NAN, -1, 2, NAN, -1, 2 }, ny[9];
  dv_relu_forward (ny, nx, 9);
  for (int i = 0; i < 9; i++)
    g_assert_true (i % 3 == 0 ? isnan (ny[i]) : ny[i] == (i % 3 == 2 ? 2.0f : 0.0f));

  /* torch: x·(1 + tanh h), x = pat(0.3, 0.1), h = pat(0.7, 0.5, 2) on [2,3,2,2]. */
  o = (TestOp) { .kind = OP_MULINT, .n_in = 2,
                 .shape = { { 1, 1, 24 }, { 1, 1, 24 }, [OUT] = { 1, 1, 24 } } };
  op_alloc (&o);
  op_pattern (&o, 0, 0.3, 0.1, 1.0);
  op_pattern (&o, 1, 0.7, 0.5, 2.0);
  op_check_pytorch (&o, (double[]) { 3.08294517, 9.76905727, 1.86261261 }, 1e-5);
  op_free (&o);
}

/* ------------------------------------------------------------------------ */
/* Resize                                                                    */

static void
test_resize (void)
{
  /* Index patterns: 5→3 reads 0,1,3; 3→7 reads 0,0,0,1,1,2,2 (as torch). */
  const float a5[5] = { 0, 1, 2, 3, 4 }, a3[3] = { 0, 1, 2 }, want7[7] = { 0, 0, 0, 1, 1, 2, 2 };
  float out[49], p9[9], d9[9] = { 0 }, ones[49];
  dv_resize_nearest_forward (out, a5, 1, 1, 5, 1, 3);
  expect_at (out, 3, (int[]) { 0, 1, 2 }, (float[]) { 0, 1, 3 });
  dv_resize_nearest_forward (out, a3, 1, 3, 1, 7, 1);
  expect_at (out, 7, (int[]) { 0, 1, 2, 3, 4, 5, 6 }, want7);

  /* 3×3 → 7×7: out[y,x] = in[src(y), src(x)]; backward counts the copies. */
  for (int i = 0; i < 9; i++)
    p9[i] = (float) (10 * (i / 3) + i % 3);
  for (int i = 0; i < 49; i++)
    ones[i] = 1.0f;
  dv_resize_nearest_forward (out, p9, 1, 3, 3, 7, 7);
  expect_at (out, 2, (int[]) { 4 * 7 + 6, 2 * 7 + 3 }, (float[]) { 12, 1 });
  dv_resize_nearest_backward (d9, ones, 1, 3, 3, 7, 7);
  expect_at (d9, 3, (int[]) { 0, 4, 5 }, (float[]) { 9, 4, 4 });

  /* _acc adds; identical sizes copy; 2→4 doubles each pixel. */
  for (int i = 0; i < 16; i++)
    out[i] = 1.0f;
  dv_resize_nearest_forward_acc (out, p9, 1, 3, 3, 3, 3);
  for (int i = 0; i < 9; i++)
    g_assert_cmpfloat (out[i], ==, 1.0f + p9[i]);
  dv_resize_nearest_forward_acc (out, p9, 1, 2, 2, 4, 4);
  g_assert_cmpfloat (out[15], ==, 1.0f + p9[3]);         /* (3,3) reads (1,1) */
  g_assert_cmpfloat (out[3], ==, 1.0f + p9[3] + p9[1]); /* (0,3) reads (0,1) */

  /* torch: F.interpolate(x[1,2,5,7] = pat(0.19, 0.3), size=(3,8), mode='nearest'). */
  TestOp o;
  op_planes (&o, OP_RESIZE, 2, 5, 7, 3, 8);
  op_pattern (&o, 0, 0.19, 0.3, 1.0);
  op_check_pytorch (&o, (double[]) { 8.71853421, 21.691881 }, 1e-5);
  gradcheck (&o);
  op_free (&o);
  op_planes (&o, OP_RESIZE, 3, 5, 7, 11, 4);
  gradcheck (&o);
  op_free (&o);

  /* Wider than one tabulated chunk of columns: the rule, element by element. */
  op_planes (&o, OP_RESIZE, 2, 3, 300, 4, 517);
  op_forward (&o);
  for (int i = 0; i < 2 * 4 * 517; i++)
    {
      const int oy = (i / 517) % 4, ox = i % 517;
      const int sy = MIN ((int) floorf (oy * (3.0f / 4.0f)), 2);
      const int sx = MIN ((int) floorf (ox * (300.0f / 517.0f)), 299);
      g_assert_cmpfloat (o.out[i], ==, o.in[0][(i / (4 * 517)) * 900 + sy * 300 + sx]);
    }
  gradcheck (&o);
  op_free (&o);
}

/* ------------------------------------------------------------------------ */
/* Pooling, GAP, linear                                                      */

static void
test_pool (void)
{
  /* −inf padding: all-negative 4×4 plane (−1…−16), MaxPool(3,2,1); the
   * corner window sees {−1,−2,−5,−6} and must not return a padded 0. */
  float x[16], out[9], g[16] = { 0 }, dout[4] = { 1, 2, 3, 4 }, zero[9] = { 0 };
  int32_t am[9];
  for (int i = 0; i < 16; i++)
    x[i] = -(float) (i + 1);
  dv_maxpool_forward (out, am, x, 1, 4, 4, 3, 2, 1);
  expect_at (out, 4, (int[]) { 0, 1, 2, 3 }, (float[]) { -1, -2, -5, -6 });
  for (int i = 0; i < 4; i++)
    g_assert_cmpint (am[i], ==, ((int[]) { 0, 1, 4, 5 })[i]);
  dv_maxpool_backward (g, dout, am, 1, 4, 4, 3, 2, 1);
  expect_at (g, 4, (int[]) { 0, 1, 5, 15 }, (float[]) { 1, 2, 4, 0 });
  /* Ties: the first maximum in scan order wins (as PyTorch). */
  dv_maxpool_forward (out, am, zero, 1, 3, 3, 2, 1, 0);
  g_assert_cmpint (am[0], ==, 0);
  g_assert_cmpint (am[3], ==, 4);
  /* NaN propagates and the last NaN is the argmax (torch: nan, index 3). */
  dv_maxpool_forward (out, am, (float[]) { 1, NAN, 2, NAN }, 1, 2, 2, 2, 2, 0);
  g_assert_true (isnan (out[0]));
  g_assert_cmpint (am[0], ==, 3);
  /* AvgPool counts the padding: (−1−2−5−6)/9. */
  dv_avgpool_forward (out, x, 1, 4, 4, 3, 2, 1);
  g_assert_cmpfloat (out[0], ==, -14.0f / 9.0f);

  /* torch: F.max_pool2d / F.avg_pool2d(x[2,3,5,6] = pat(0.77, 0.3), 3, 2, 1). */
  TestOp o;
  op_pool (&o, OP_MAXPOOL, 6, 5, 6, 3, 2, 1);
  op_pattern (&o, 0, 0.77, 0.3, 1.0);
  op_check_pytorch (&o, (double[]) { -5.44143318, 1.63853325 }, 1e-5);
  o.kind = OP_AVGPOOL;
  op_check_pytorch (&o, (double[]) { 0.526736148, 0.686018024 }, 1e-5);
  assert_close (o.out[0], -0.0405344963, 1e-5);
  op_free (&o);

  /* MaxPool(3,2,1), (2,2,0), (1,1,0) = identity, AvgPool(3,2,1), (2,1,1). */
  const int cfgs[5][4] = { { 1, 3, 2, 1 }, { 1, 2, 2, 0 }, { 1, 1, 1, 0 }, { 0, 3, 2, 1 },
                           { 0, 2, 1, 1 } };
  for (int i = 0; i < 5; i++)
    {
      op_pool (&o, cfgs[i][0] ? OP_MAXPOOL : OP_AVGPOOL, 3, 7, 6, cfgs[i][1], cfgs[i][2],
               cfgs[i][3]);
      gradcheck (&o);
      op_free (&o);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rng = g_rand_new_with_seed (20240611);
  dv_set_num_threads (1);

  g_test_add_func ("/engine/scratch/grows", test_scratch);
  g_test_add_func ("/engine/gemm/blas-matches-naive", test_gemm_backends);
  g_test_add_func ("/engine/conv2d/config-validate", test_conv_validate);
  g_test_add_func ("/engine/conv2d/hand-3x3", test_conv_hand);
  g_test_add_func ("/engine/conv2d/matches-direct-and-naive-gemm", test_conv_reference);
  g_test_add_func ("/engine/conv2d/matches-pytorch", test_conv_pytorch);
  g_test_add_func ("/engine/conv2d/backward-matches-numeric", test_conv_numeric);
  g_test_add_func ("/engine/elementwise/relu-supralin-mulint", test_elementwise);
  g_test_add_func ("/engine/resize/nearest", test_resize);
  g_test_add_func ("/engine/pool/max-avg", test_pool);

  int ret = g_test_run ();
  g_rand_free (rng);
  return ret;
}
