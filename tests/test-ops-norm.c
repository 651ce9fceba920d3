/* test-ops-norm.c — tests of the normalisations, the readout and the loss of
 * engine/dv-ops.h: global average pooling and Linear, batch norm (batch
 * statistics, running statistics, eval mode), group norm, weight norm,
 * cross-entropy with the ignore index, and the CNHW ↔ sequence layout.  The
 * same harness and PyTorch reference conventions as test-ops.c (see its
 * header comment).  What it is not for: convolutions, pools and elementwise
 * ops (test-ops.c), the temporal model.
 */
#include "ops-harness.h"

static void
test_gap_linear (void)
{
  /* torch: x[2,3,3,4] = pat(0.39, 0.2); x.mean((2,3)) -> [2,3]. */
  TestOp o = { .kind = OP_GAP, .n_in = 1, .N = 2, .C = 3, .H = 3, .W = 4, .h = 1e-2,
               .tol = 1e-3, .shape = { { 2, 3, 12 }, [OUT] = { 1, 1, 6 } } };
  op_alloc (&o);
  op_pattern (&o, 0, 0.39, 0.2, 1.0);
  op_check_pytorch (&o, (double[]) { 0.411875831, -0.944039311 }, 1e-5);
  gradcheck (&o);
  op_free (&o);

  /* torch: F.linear(x[3,4] = pat(0.45,0.2), w[5,4] = pat(0.25,0.6), b = pat(1.1,0,0.5)). */
  o = (TestOp) { .kind = OP_LINEAR, .n_in = 3, .N = 3, .C = 4, .k = 5, .h = 1e-2, .tol = 1e-3,
                 .shape = { { 1, 1, 12 }, { 1, 1, 20 }, { 1, 1, 5 }, [OUT] = { 1, 1, 15 } } };
  op_alloc (&o);
  op_pattern (&o, 0, 0.45, 0.2, 1.0);
  op_pattern (&o, 1, 0.25, 0.6, 1.0);
  op_pattern (&o, 2, 1.1, 0.0, 0.5);
  op_check_pytorch (&o, (double[]) { 0.935303494, 5.08993729, 10.1623518, 9.47292906 }, 1e-5);
  gradcheck (&o);
  o.n_in = 2; /* no bias */
  gradcheck (&o);
  op_free (&o);
}

/* ------------------------------------------------------------------------ */
/* Normalisation                                                             */

static void
test_batchnorm (void)
{
  /* Running stats by hand: one channel, values 1,2,6,3: mean 3, biased var
   * 3.5, unbiased 14/3; momentum 0.1 from (0, 1) gives (0.3, 0.9 + 1.4/3). */
  float x[4] = { 1, 2, 6, 3 }, y[4], mean, invstd, rm = 0.0f, rv = 1.0f;
  dv_batchnorm_forward (y, &mean, &invstd, x, NULL, NULL, &rm, &rv, 1, 2, 2, 0.0f, 0.1f, TRUE);
  g_assert_cmpfloat_with_epsilon (rm, 0.3f, 1e-7);
  g_assert_cmpfloat_with_epsilon (rv, 0.9f + 1.4f / 3.0f, 1e-6);
  g_assert_cmpfloat_with_epsilon (mean, 3.0f, 1e-7);
  g_assert_cmpfloat_with_epsilon (invstd, 1.0 / sqrt (3.5), 1e-6);
  g_assert_cmpfloat_with_epsilon (y[2], 3.0 / sqrt (3.5), 1e-6);

  /* torch: BatchNorm2d(2) on x[3,2,2,3] = pat(0.53, 0.1, 2), γ (1.5,−0.7),
   * β (0.2,0.1), running (0.1,−0.3)/(0.9,1.2), one training call, then the
   * same module in eval(). */
  TestOp o;
  op_norm (&o, OP_BN, 3, 2, 6, 0, TRUE);
  op_pattern (&o, 0, 0.53, 0.1, 2.0);
  o.in[1][0] = 1.5f, o.in[1][1] = -0.7f, o.in[2][0] = 0.2f, o.in[2][1] = 0.1f;
  o.rmean[0] = 0.1f, o.rmean[1] = -0.3f, o.rvar[0] = 0.9f, o.rvar[1] = 1.2f;
  dv_batchnorm_forward (o.out, o.mean, o.invstd, o.in[0], o.in[1], o.in[2], o.rmean, o.rvar,
                        2, 3, 6, 1e-5f, 0.1f, TRUE);
  assert_close (o.out[0], -2.43200898, 1e-5);
  assert_close (o.rmean[0], 0.216694891, 1e-6);
  assert_close (o.rmean[1], -0.396937579, 1e-6);
  assert_close (o.rvar[0], 0.849172175, 1e-6);
  assert_close (o.rvar[1], 1.11850023, 1e-6);
  /* γ gradients -0.407783121, 0.478586882 and β -0.213467434, -5.57504082
   * summarise to the wsums below. */
  const double wg = -0.407783121 + 0.478586882 * cos (0.07);
  const double wb = -0.213467434 - 5.57504082 * cos (0.07);
  op_check_pytorch (&o, (double[]) { 1.32610209, 10.4452425, wg, wb }, 2e-5);
  o.train = FALSE;
  op_check_pytorch (&o, (double[]) { 15.0799411, 7.82255673,
                                     -0.51245147 + 4.87186956 * cos (0.07), NAN }, 2e-5);
  gradcheck (&o); /* eval */
  o.train = TRUE;
  gradcheck (&o);
  op_free (&o);
  op_norm (&o, OP_BN, 4, 3, 5, 0, FALSE); /* affine off */
  gradcheck (&o);
  op_free (&o);
}

static void
test_groupnorm (void)
{
  /* torch: GroupNorm(2, 4) on x[2,4,3,2] = pat(0.61, 0.4, 1.5),
   * γ (1, 0.5, −1.2, 2), β (0, 0.1, 0.2, −0.3). */
  const float gamma[4] = { 1.0f, 0.5f, -1.2f, 2.0f }, beta[4] = { 0.0f, 0.1f, 0.2f, -0.3f };
  TestOp o;
  op_norm (&o, OP_GN, 2, 4, 6, 2, TRUE);
  op_pattern (&o, 0, 0.61, 0.4, 1.5);
  memcpy (o.in[1], gamma, sizeof gamma);
  memcpy (o.in[2], beta, sizeof beta);
  op_check_pytorch (&o, (double[]) { -9.82110685, 1.30522938, 3.23144394, -7.33566422 }, 2e-5);
  assert_close (o.out[(3 * 2 + 1) * 6 + 5], -2.16422653, 1e-5); /* y[1,3,2,1] */
  gradcheck (&o);
  op_free (&o);

  /* G = C (instance-norm-like), G = 1 (layer-norm-like), affine off. */
  const int groups[3] = { 6, 1, 3 };
  for (int i = 0; i < 3; i++)
    {
      op_norm (&o, OP_GN, 3, 6, 5, groups[i], i < 2);
      gradcheck (&o);
      op_free (&o);
    }
}

static void
test_weightnorm (void)
{
  /* Hand: v row (3,4) has norm 5; g = 10 gives w = (6, 8). */
  float v[2] = { 3, 4 }, g = 10.0f, w[2];
  dv_weightnorm_forward (w, &g, v, 1, 2);
  g_assert_cmpfloat_with_epsilon (w[0], 6.0f, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[1], 8.0f, 1e-6);

  /* torch: torch._weight_norm(v[3,2,2,2] = pat(0.47, 0.3), g = (0.5, 1.5, −2), 0);
   * dg = (1.96773434, −0.899017513, 0.620975912). */
  TestOp o = { .kind = OP_WN, .n_in = 2, .C = 3, .k = 8,
               .shape = { { 1, 1, 3 }, { 1, 1, 24 }, [OUT] = { 1, 1, 24 } } };
  op_alloc (&o);
  o.in[0][0] = 0.5f, o.in[0][1] = 1.5f, o.in[0][2] = -2.0f;
  op_pattern (&o, 1, 0.47, 0.3, 1.0);
  const double wg = 1.96773434 - 0.899017513 * cos (0.07) + 0.620975912 * cos (0.14);
  op_check_pytorch (&o, (double[]) { -1.37878873, wg, 2.22566843 }, 1e-5);
  assert_close (o.out[2 * 8 + 6], 0.870587051, 1e-5);
  gradcheck (&o);
  op_free (&o);
}

/* ------------------------------------------------------------------------ */
/* Cross-entropy                                                             */

static void
test_cross_entropy (void)
{
  /* Hand: rows [0,0]→0 (log 2), [ln 3, 0]→1 (log 4), one ignored row. */
  const float z[6] = { 0, 0, 99, -99, logf (3.0f), 0 };
  const int64_t lab[3] = { 0, -1, 1 }, none[3] = { -1, -1, -1 };
  float dz[6] = { 0 };
  int nv = -1;
  double loss = dv_cross_entropy (dz, z, lab, 3, 2, -1, 2.0f, &nv);
  g_assert_cmpint (nv, ==, 2);
  assert_close (loss, 1.5 * log (2.0), 1e-6);
  /* d/dz = scale·(softmax − onehot)/n_valid, nothing for the ignored row. */
  assert_bufs_close (dz, (float[]) { -0.5f, 0.5f, 0, 0, 0.75f, -0.75f }, 6, 1e-6);

  /* All rows ignored: loss 0, gradient untouched. */
  dz[0] = 7.0f;
  loss = dv_cross_entropy (dz, z, none, 3, 2, -1, 1.0f, &nv);
  g_assert_cmpfloat (loss, ==, 0.0);
  g_assert_cmpint (nv, ==, 0);
  g_assert_cmpfloat (dz[0], ==, 7.0f);

  /* torch: F.cross_entropy(z[5,4] = pat(0.83, 0.2, 3), [2,−1,0,3,−1], ignore_index=−1). */
  const int shape[3] = { 1, 1, 20 };
  float *zz = pat_buf (shape, 0.83, 0.2, 3.0), *g = g_new0 (float, 20);
  const int64_t l5[5] = { 2, -1, 0, 3, -1 };
  loss = dv_cross_entropy (g, zz, l5, 5, 4, -1, 1.0f, NULL);
  assert_close (loss, 0.980622053, 1e-6);
  assert_close (wsum (g, shape), -0.0085825133, 1e-5);

  /* Finite differences of the loss itself, in double. */
  for (int i = 0; i < 20; i++)
    {
      const float z0 = zz[i], up = z0 + 1e-2f, dn = z0 - 1e-2f;
      zz[i] = up;
      const double lp = dv_cross_entropy (NULL, zz, l5, 5, 4, -1, 1.0f, NULL);
      zz[i] = dn;
      const double lm = dv_cross_entropy (NULL, zz, l5, 5, 4, -1, 1.0f, NULL);
      zz[i] = z0;
      g_assert_cmpfloat_with_epsilon ((lp - lm) / ((double) up - dn), g[i], 1e-4);
    }
  g_free (zz), g_free (g);
}

/* ------------------------------------------------------------------------ */
/* Layout                                                                    */

static void
test_layout (void)
{
  enum { B = 2, T = 3, C = 4, HW = 5 };
  float seq[B * T * C * HW], back[B * T * C * HW], frame[C * B * HW];

  for (int i = 0; i < B * T * C * HW; i++)
    seq[i] = (float) i;
  memset (back, 0, sizeof back);
  for (int t = 0; t < T; t++)
    {
      dv_cnhw_from_sequence (frame, seq, B, T, t, C, HW);
      /* frame[c][b][i] = seq[b][t][c][i] */
      g_assert_cmpfloat (frame[(2 * B + 1) * HW + 3], ==, seq[((1 * T + t) * C + 2) * HW + 3]);
      dv_cnhw_to_sequence (back, frame, B, T, t, C, HW);
    }
  g_assert_cmpmem (back, sizeof back, seq, sizeof seq);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rng = g_rand_new_with_seed (20240611);
  dv_set_num_threads (1);

  g_test_add_func ("/engine/gap-linear/pytorch-and-numeric", test_gap_linear);
  g_test_add_func ("/engine/batchnorm/stats-pytorch-numeric", test_batchnorm);
  g_test_add_func ("/engine/groupnorm/pytorch-numeric", test_groupnorm);
  g_test_add_func ("/engine/weightnorm/pytorch-numeric", test_weightnorm);
  g_test_add_func ("/engine/cross-entropy/ignore-index", test_cross_entropy);
  g_test_add_func ("/engine/layout/sequence-roundtrip", test_layout);

  int ret = g_test_run ();
  g_rand_free (rng);
  return ret;
}
