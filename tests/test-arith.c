/* test-arith.c — the run's vectorised sums and Euler step (dv-ops.h).
 *
 * What this is for: dv_add_forward, dv_add_acc, dv_zero, dv_euler_forward
 * and dv_euler_backward promise the same bits as the plain loops the run
 * used before them, at one thread and at two, for lengths that end inside
 * a vector, inside a block and on block edges (the kernels split work in
 * blocks of 64 Ki floats).  The reference loops are written here the way
 * the run wrote them.  What it is not for: the temporal model (golden and
 * gradcheck cover the run).
 */
#include "dv-ops.h"

#include <math.h>
#include <string.h>

static const size_t lengths[] = { 1, 3, 4, 17, 1000, 65536, 65537, 200003 };

static float *
rand_buf (GRand *r, size_t n)
{
  float *b = g_new (float, n);
  for (size_t i = 0; i < n; i++)
    b[i] = (float) g_rand_double_range (r, -2, 2);
  return b;
}

static void
assert_same_bits (const float *a, const float *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (memcmp (&a[i], &b[i], sizeof (float)) != 0)
      g_error ("element %zu of %zu: %.9g != %.9g", i, n, a[i], b[i]);
}

static void
check_all (int threads)
{
  dv_set_num_threads (threads);
  GRand *r = g_rand_new_with_seed (7);
  for (guint k = 0; k < G_N_ELEMENTS (lengths); k++)
    {
      const size_t n = lengths[k];
      g_autofree float *a = rand_buf (r, n), *b = rand_buf (r, n), *dy = rand_buf (r, n);
      g_autofree float *got = g_new (float, n), *want = g_new (float, n);
      const float alpha = 0.2f;

      dv_add_forward (got, a, b, n);
      for (size_t i = 0; i < n; i++)
        want[i] = a[i] + b[i];
      assert_same_bits (got, want, n);

      memcpy (got, b, n * sizeof (float));
      memcpy (want, b, n * sizeof (float));
      dv_add_acc (got, a, n);
      for (size_t i = 0; i < n; i++)
        want[i] += a[i];
      assert_same_bits (got, want, n);

      dv_zero (got, n);
      for (size_t i = 0; i < n; i++)
        g_assert_cmpfloat (got[i], ==, 0.0f);

      /* y = h + alpha·(u − h), and y = alpha·u without a state */
      dv_euler_forward (got, a, b, alpha, n);
      for (size_t i = 0; i < n; i++)
        want[i] = b[i] + alpha * (a[i] - b[i]);
      assert_same_bits (got, want, n);
      dv_euler_forward (got, a, NULL, alpha, n);
      for (size_t i = 0; i < n; i++)
        want[i] = alpha * a[i];
      assert_same_bits (got, want, n);

      /* backward accumulates into du and dh and returns Σ dy·(u − h) */
      g_autofree float *du = rand_buf (r, n), *dh = rand_buf (r, n);
      g_autofree float *du_w = g_memdup2 (du, n * sizeof (float));
      g_autofree float *dh_w = g_memdup2 (dh, n * sizeof (float));
      double da = dv_euler_backward (du, dh, dy, a, b, alpha, n), da_w = 0;
      for (size_t i = 0; i < n; i++)
        {
          du_w[i] += alpha * dy[i];
          dh_w[i] += (1.0f - alpha) * dy[i];
          da_w += (double) dy[i] * (a[i] - b[i]);
        }
      assert_same_bits (du, du_w, n);
      assert_same_bits (dh, dh_w, n);
      g_assert_cmpfloat_with_epsilon (da, da_w, 1e-9 * MAX (1.0, fabs (da_w)));

      /* without a state: dh untouched, Σ dy·u; NULL du only skips work */
      memcpy (dh_w, dh, n * sizeof (float));
      da = dv_euler_backward (NULL, dh, dy, a, NULL, alpha, n);
      da_w = 0;
      for (size_t i = 0; i < n; i++)
        da_w += (double) dy[i] * a[i];
      assert_same_bits (dh, dh_w, n);
      g_assert_cmpfloat_with_epsilon (da, da_w, 1e-9 * MAX (1.0, fabs (da_w)));
    }
  g_rand_free (r);
  dv_set_num_threads (1);
}

static void
test_one_thread (void)
{
  check_all (1);
}

static void
test_two_threads (void)
{
  check_all (2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/arith/same-bits-1-thread", test_one_thread);
  g_test_add_func ("/engine/arith/same-bits-2-threads", test_two_threads);
  return g_test_run ();
}
