/* ops-harness.c — see ops-harness.h. */
#include "ops-harness.h"

GRand *rng;

/* ------------------------------------------------------------------------ */
/* Buffers and comparisons                                                   */

float *
rand_buf (size_t n, double lo, double hi)
{
  float *b = g_new (float, n);
  for (size_t i = 0; i < n; i++)
    b[i] = (float) g_rand_double_range (rng, lo, hi);
  return b;
}

/* CNHW buffer whose element with NCHW index j is amp·sin(a·j + b), or
 * cos(a·j) when amp == 0. */
float *
pat_buf (const int *shape, double a, double b, double amp)
{
  const int N = shape[0], C = shape[1], HW = shape[2];
  float *t = g_new (float, (size_t) N * C * HW);
  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++)
      for (int i = 0; i < HW; i++)
        {
          const double j = ((double) n * C + c) * HW + i;
          t[((size_t) c * N + n) * HW + i] = (float) (amp == 0.0 ? cos (a * j) : amp * sin (a * j + b));
        }
  return t;
}

double
wsum (const float *t, const int *shape)
{
  const int N = shape[0], C = shape[1], HW = shape[2];
  double s = 0.0;
  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++)
      for (int i = 0; i < HW; i++)
        s += t[((size_t) c * N + n) * HW + i] * cos (0.07 * (((double) n * C + c) * HW + i));
  return s;
}

void
assert_close (double got, double want, double rtol)
{
  g_assert_cmpfloat_with_epsilon (got, want, rtol * MAX (1.0, fabs (want)));
}

/* got[idx[i]] == want[i] exactly, for i < n. */
void
expect_at (const float *got, int n, const int *idx, const float *want)
{
  for (int i = 0; i < n; i++)
    g_assert_cmpfloat (got[idx[i]], ==, want[i]);
}

void
assert_bufs_close (const float *a, const float *b, size_t n, double rtol)
{
  for (size_t i = 0; i < n; i++)
    assert_close (a[i], b[i], rtol);
}

/* ------------------------------------------------------------------------ */
/* One harness for every op                                                  */


void
op_forward (TestOp *o)
{
  float **x = o->in;
  switch (o->kind)
    {
    case OP_CONV:
      dv_conv2d_forward (o->out, x[0], x[1], IN (o, 2), o->N, o->H, o->W, &o->cfg, &o->scratch);
      break;
    case OP_RELU: dv_relu_forward (o->out, x[0], LEN (o, OUT)); break;
    case OP_SUPRALIN: dv_supralin_forward (o->out, x[0], LEN (o, OUT), 1.8f, 0.8f); break;
    case OP_MULINT: dv_mulint_forward (o->out, x[0], x[1], LEN (o, OUT)); break;
    case OP_RESIZE:
      dv_resize_nearest_forward (o->out, x[0], o->C, o->H, o->W, o->Ho, o->Wo);
      break;
    case OP_MAXPOOL:
      dv_maxpool_forward (o->out, o->argmax, x[0], o->C, o->H, o->W, o->k, o->stride, o->pad);
      break;
    case OP_AVGPOOL:
      dv_avgpool_forward (o->out, x[0], o->C, o->H, o->W, o->k, o->stride, o->pad);
      break;
    case OP_GAP: dv_gap_forward (o->out, x[0], o->C, o->N, o->H * o->W); break;
    case OP_LINEAR: dv_linear_forward (o->out, x[0], x[1], IN (o, 2), o->N, o->C, o->k); break;
    case OP_BN:
      dv_batchnorm_forward (o->out, o->mean, o->invstd, x[0], IN (o, 1), IN (o, 2),
                            o->train ? NULL : o->rmean, o->train ? NULL : o->rvar,
                            o->C, o->N, o->H * o->W, 1e-5f, 0.1f, o->train);
      break;
    case OP_GN:
      dv_groupnorm_forward (o->out, o->mean, o->invstd, x[0], IN (o, 1), IN (o, 2),
                            o->C, o->N, o->H * o->W, o->G, 1e-5f);
      break;
    case OP_WN: dv_weightnorm_forward (o->out, x[0], x[1], o->C, o->k); break;
    }
}

void
op_backward (TestOp *o)
{
  float **x = o->in, **g = o->grad, *d = o->dout;
  switch (o->kind)
    {
    case OP_CONV:
      dv_conv2d_backward (g[0], g[1], GRAD (o, 2), d, x[0], x[1], o->N, o->H, o->W, &o->cfg,
                          &o->scratch);
      break;
    case OP_RELU: dv_relu_backward (g[0], d, x[0], LEN (o, OUT)); break;
    case OP_SUPRALIN: dv_supralin_backward (g[0], d, x[0], LEN (o, OUT), 1.8f, 0.8f); break;
    case OP_MULINT: dv_mulint_backward (g[0], g[1], d, x[0], x[1], LEN (o, OUT)); break;
    case OP_RESIZE:
      dv_resize_nearest_backward (g[0], d, o->C, o->H, o->W, o->Ho, o->Wo);
      break;
    case OP_MAXPOOL:
      dv_maxpool_backward (g[0], d, o->argmax, o->C, o->H, o->W, o->k, o->stride, o->pad);
      break;
    case OP_AVGPOOL:
      dv_avgpool_backward (g[0], d, o->C, o->H, o->W, o->k, o->stride, o->pad);
      break;
    case OP_GAP: dv_gap_backward (g[0], d, o->C, o->N, o->H * o->W); break;
    case OP_LINEAR:
      dv_linear_backward (g[0], g[1], GRAD (o, 2), d, x[0], x[1], o->N, o->C, o->k);
      break;
    case OP_BN:
      dv_batchnorm_backward (g[0], GRAD (o, 1), GRAD (o, 2), d, x[0], o->mean, o->invstd,
                             IN (o, 1), o->C, o->N, o->H * o->W, o->train);
      break;
    case OP_GN:
      dv_groupnorm_backward (g[0], GRAD (o, 1), GRAD (o, 2), d, x[0], o->mean, o->invstd,
                             IN (o, 1), o->C, o->N, o->H * o->W, o->G);
      break;
    case OP_WN: dv_weightnorm_backward (g[0], g[1], d, x[0], x[1], o->C, o->k); break;
    }
}

/* Allocates inputs (uniform in [−1, 1]), output and side buffers once the
 * shapes are set. */
void
op_alloc (TestOp *o)
{
  for (int k = 0; k < o->n_in; k++)
    o->in[k] = rand_buf (LEN (o, k), -1.0, 1.0);
  o->out = g_new (float, LEN (o, OUT));
  o->mean = g_new (float, MAX (o->C, o->N * MAX (o->G, 1)));
  o->invstd = g_new (float, MAX (o->C, o->N * MAX (o->G, 1)));
  o->argmax = g_new (int32_t, LEN (o, OUT));
  if (o->h == 0.0)
    o->h = 1e-3, o->tol = 1e-2;
}

void
op_free (TestOp *o)
{
  for (int k = 0; k < MAX_IN; k++)
    g_clear_pointer (&o->in[k], g_free);
  g_clear_pointer (&o->out, g_free);
  g_clear_pointer (&o->mean, g_free);
  g_clear_pointer (&o->invstd, g_free);
  g_clear_pointer (&o->rmean, g_free);
  g_clear_pointer (&o->rvar, g_free);
  g_clear_pointer (&o->argmax, g_free);
  dv_scratch_clear (&o->scratch);
}

void
op_pattern (TestOp *o, int k, double a, double b, double amp)
{
  g_free (o->in[k]);
  o->in[k] = pat_buf (o->shape[k], a, b, amp);
}

/* Forward and backward on the PyTorch patterns; want[0] is wsum(out),
 * want[1 + k] wsum(∂L/∂in[k]) (NAN: not checked). */
void
op_check_pytorch (TestOp *o, const double *want, double rtol)
{
  o->dout = pat_buf (o->shape[OUT], 0.11, 0.0, 0.0);
  for (int k = 0; k < o->n_in; k++)
    o->grad[k] = g_new0 (float, LEN (o, k));
  op_forward (o);
  op_backward (o);
  assert_close (wsum (o->out, o->shape[OUT]), want[0], rtol);
  for (int k = 0; k < o->n_in; k++)
    {
      if (!isnan (want[1 + k]))
        assert_close (wsum (o->grad[k], o->shape[k]), want[1 + k], rtol);
      g_clear_pointer (&o->grad[k], g_free);
    }
  g_clear_pointer (&o->dout, g_free);
}

double
op_loss (TestOp *o)
{
  double s = 0.0;
  op_forward (o);
  for (size_t i = 0; i < LEN (o, OUT); i++)
    s += (double) o->out[i] * o->dout[i];
  return s;
}

void
gradcheck (TestOp *o)
{
  float *ana[MAX_IN];

  o->dout = rand_buf (LEN (o, OUT), -1.0, 1.0);
  op_forward (o);

  /* Accumulation: gradients start at 0.25 and must end at 0.25 + ∂L. */
  for (int k = 0; k < o->n_in; k++)
    {
      o->grad[k] = g_new (float, LEN (o, k));
      for (size_t i = 0; i < LEN (o, k); i++)
        o->grad[k][i] = 0.25f;
    }
  op_backward (o);
  for (int k = 0; k < o->n_in; k++)
    {
      ana[k] = o->grad[k];
      for (size_t i = 0; i < LEN (o, k); i++)
        ana[k][i] -= 0.25f;
    }

  /* A NULL gradient skips work and does not change the others. */
  for (int k = 0; k < o->n_in; k++)
    {
      float *alone = g_new0 (float, LEN (o, k));
      for (int j = 0; j < o->n_in; j++)
        o->grad[j] = j == k ? alone : NULL;
      op_backward (o);
      assert_bufs_close (alone, ana[k], LEN (o, k), 1e-4);
      g_free (alone);
    }

  /* Central differences at up to 24 positions of every input. */
  for (int k = 0; k < o->n_in; k++)
    {
      const size_t n = LEN (o, k);
      for (size_t s = 0; s < MIN (n, 24); s++)
        {
          const size_t i = n <= 24 ? s : (size_t) g_rand_int_range (rng, 0, (gint32) n);
          float *x = &o->in[k][i];
          const float x0 = *x, up = (float) (x0 + o->h), dn = (float) (x0 - o->h);

          *x = up;
          const double lp = op_loss (o);
          *x = dn;
          const double lm = op_loss (o);
          *x = x0;
          const double num = (lp - lm) / ((double) up - (double) dn);
          if (fabs (num - ana[k][i]) > o->tol * (fabs (num) + fabs (ana[k][i]) + 0.2))
            g_test_message ("op %d input %d at %zu: analytic %.7g, numeric %.7g",
                            o->kind, k, i, ana[k][i], num);
          g_assert_cmpfloat_with_epsilon (ana[k][i], num,
                                          o->tol * (fabs (num) + fabs (ana[k][i]) + 0.2));
        }
    }

  for (int k = 0; k < o->n_in; k++)
    {
      g_free (ana[k]);
      o->grad[k] = NULL;
    }
  g_clear_pointer (&o->dout, g_free);
}

/* Shapes of the common families. */
void
op_planes (TestOp *o, OpKind kind, int planes, int H, int W, int Ho, int Wo)
{
  *o = (TestOp) { .kind = kind, .n_in = 1, .C = planes, .N = 1, .H = H, .W = W, .Ho = Ho,
                  .Wo = Wo, .shape = { { 1, planes, H * W }, [OUT] = { 1, planes, Ho * Wo } },
                  .h = 1e-2, .tol = 1e-3 };
  op_alloc (o);
}

void
op_pool (TestOp *o, OpKind kind, int planes, int H, int W, int k, int s, int p)
{
  op_planes (o, kind, planes, H, W, dv_conv_out_size (H, k, s, p), dv_conv_out_size (W, k, s, p));
  o->k = k, o->stride = s, o->pad = p, o->h = 1e-3;
  /* Distinct values 0.01 apart (a shuffled ramp): no ties within ±h. */
  const size_t n = LEN (o, 0);
  for (size_t i = 0; i < n; i++)
    o->in[0][i] = 0.01f * (float) i - 1.0f;
  for (size_t i = n - 1; i > 0; i--)
    {
      const size_t j = (size_t) g_rand_int_range (rng, 0, (gint32) i + 1);
      const float t = o->in[0][i];
      o->in[0][i] = o->in[0][j], o->in[0][j] = t;
    }
}

/* Batch/group norm on [C,N,H,W] with γ, β when affine. */
void
op_norm (TestOp *o, OpKind kind, int N, int C, int HW, int G, gboolean affine)
{
  *o = (TestOp) { .kind = kind, .n_in = affine ? 3 : 1, .N = N, .C = C, .H = HW, .W = 1,
                  .G = G, .train = TRUE,
                  .shape = { { N, C, HW }, { 1, 1, C }, { 1, 1, C }, [OUT] = { N, C, HW } } };
  op_alloc (o);
  o->rmean = rand_buf (C, -0.5, 0.5);
  o->rvar = rand_buf (C, 0.5, 1.5);
}
