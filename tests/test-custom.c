/* test-custom.c — user operations and solvers take part in the forward
 * pass, BPTT and checkpoints like built-in ones; dv_check_gradients()
 * accepts a correct backward and catches a wrong one (the tutorial's custom
 * RK4, whose backward is the Euler Jacobian). */
#include "dynvision.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* ---- a per-channel gate: y = x · sigmoid(w[c]) -------------------------- */

static void
gate_declare (DvOpDeclare *decl, const DvLayerDesc *layer, gpointer user_data)
{
  gint64 shape[1] = { layer->out_channels };
  dv_op_declare_param (decl, "w", 1, shape, 0.0f, 0.5f);
}

static float
sigm (float v)
{
  return 1.0f / (1.0f + expf (-v));
}

static gboolean
gate_forward (DvOpCall *call, const float *x, float *y)
{
  if (x == NULL)
    return FALSE;
  int C, N, H, W;
  dv_op_call_shape (call, &C, &N, &H, &W);
  const float *w = dv_op_call_param (call, "w");
  gsize plane = (gsize) N * H * W;
  for (int c = 0; c < C; c++)
    for (gsize i = 0; i < plane; i++)
      y[c * plane + i] = x[c * plane + i] * sigm (w[c]);
  return TRUE;
}

static void
gate_backward (DvOpCall *call, const float *dy, const float *x, const float *y, float *dx)
{
  int C, N, H, W;
  dv_op_call_shape (call, &C, &N, &H, &W);
  const float *w = dv_op_call_param (call, "w");
  float *dw = dv_op_call_param_grad (call, "w");
  gsize plane = (gsize) N * H * W;
  for (int c = 0; c < C; c++)
    {
      float s = sigm (w[c]);
      double acc = 0;
      for (gsize i = 0; i < plane; i++)
        {
          if (dx)
            dx[c * plane + i] += dy[c * plane + i] * s;
          acc += (double) dy[c * plane + i] * x[c * plane + i];
        }
      if (dw)
        dw[c] += (float) (acc * s * (1 - s));
    }
}

/* ---- RK4 with the drive held constant, as a custom solver --------------- */

static void
rk4_step (float *y, const float *u, const float *h, gsize n, float dt, float tau, gpointer ud)
{
  for (gsize i = 0; i < n; i++)
    {
      if (h == NULL)
        {
          y[i] = dt / tau * u[i];
          continue;
        }
      float k1 = (u[i] - h[i]) / tau;
      float k2 = (u[i] - (h[i] + dt * k1 / 2)) / tau;
      float k3 = (u[i] - (h[i] + dt * k2 / 2)) / tau;
      float k4 = (u[i] - (h[i] + dt * k3)) / tau;
      y[i] = h[i] + dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6;
    }
}

/* exact: y = u + (h − u)·P(a) */
static double
rk4_backward_exact (float *du, float *dh, const float *dy, const float *u, const float *h, gsize n, float dt,
                    float tau, gpointer ud)
{
  double a = (double) dt / tau, P = 1 - a + a * a / 2 - a * a * a / 6 + a * a * a * a / 24;
  for (gsize i = 0; i < n; i++)
    {
      if (h == NULL)
        {
          if (du)
            du[i] += (float) (a * dy[i]);
          continue;
        }
      if (du)
        du[i] += (float) ((1 - P) * dy[i]);
      if (dh)
        dh[i] += (float) (P * dy[i]);
    }
  return 0; /* tau is not trained here */
}

/* the tutorial's CustomRK4Step.backward: the Euler Jacobian */
static double
rk4_backward_tutorial (float *du, float *dh, const float *dy, const float *u, const float *h, gsize n,
                       float dt, float tau, gpointer ud)
{
  float a = dt / tau;
  for (gsize i = 0; i < n; i++)
    {
      if (du)
        du[i] += a * dy[i];
      if (dh && h)
        dh[i] += (1 - a) * dy[i];
    }
  return 0;
}

static void
register_all (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      DvOpClass gate = { .name = "gate", .declare = gate_declare, .forward = gate_forward,
                         .backward = gate_backward };
      DvSolverClass exact = { .name = "rk4exact", .step = rk4_step, .backward = rk4_backward_exact };
      DvSolverClass tut = { .name = "rk4tutorial", .step = rk4_step, .backward = rk4_backward_tutorial };
      g_assert_true (dv_op_register (&gate, NULL));
      g_assert_true (dv_solver_register (&exact, NULL));
      g_assert_true (dv_solver_register (&tut, NULL));
      g_once_init_leave (&once, 1);
    }
}

/* dt/tau = 0.8: large enough that RK4 and Euler differ clearly
 * (∂y/∂h = P(0.8) ≈ 0.45 against 1 − 0.8 = 0.2) */
static DvModelDesc *
tiny (const char *solver, gboolean with_gate)
{
  g_autoptr (GError) error = NULL;
  const char *kv[] = { "input_dims=[5,2,8,8]", "n_classes=3", "tau=2.5", "tff=2", "trc=2", solver, NULL };
  g_autoptr (DvJson) k = dv_kwargs_parse (kv, 6, &error);
  g_assert_no_error (error);
  DvModelDesc *d = dv_preset_build ("DyRCNNx2", k, &error);
  g_assert_no_error (error);
  if (with_gate)
    {
      g_ptr_array_insert (d->operations, 6, g_strdup ("gate")); /* after nonlin */
      g_assert_true (dv_model_desc_validate (d, &error));
    }
  return d;
}

static void
make_data (float **x, gint64 **labels, int B, int T)
{
  *x = g_new (float, (gsize) B * T * 2 * 64);
  *labels = g_new (gint64, B * T);
  for (int i = 0; i < B * T * 2 * 64; i++)
    (*x)[i] = sinf (i * 0.37f) + 0.3f * cosf (i * 1.3f);
  for (int i = 0; i < B * T; i++)
    (*labels)[i] = i % 3;
}

static void
scale_weights (DvModel *m)
{
  /* DyRCNN's recurrence and readout inits are tiny (±0.001, σ 0.004); make
   * every path matter so gradients are well above finite-difference noise */
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      float s = strstr (p->name, "recurrence") ? 100.0f : strstr (p->name, "classifier") ? 10.0f : 1.0f;
      if (p->trainable)
        for (gint64 k = 0; k < p->numel; k++)
          p->data[k] *= s;
    }
}

static void
test_custom_op (void)
{
  register_all ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModelDesc) d = tiny ("solver=euler", TRUE);
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  g_assert_no_error (error);
  dv_model_init_params (m, 3);
  scale_weights (m);
  DvParam *w = dv_model_lookup (m, "gate_layer1.w");
  g_assert_nonnull (w);
  g_assert_true (w->trainable);
  g_assert_nonnull (dv_model_lookup (m, "gate_layer2.w"));

  g_autofree float *x = NULL;
  g_autofree gint64 *labels = NULL;
  make_data (&x, &labels, 2, 5);
  DvGradCheckReport r = { 0 };
  gboolean ok = dv_check_gradients (m, x, labels, 2, 5, 3, 3e-2, &r);
  g_test_message ("gate: %d checked, %d failed, worst %.2e at %s", r.checked, r.failed, r.worst_rel,
                  r.worst_param);
  g_free (r.worst_param);
  g_assert_true (ok);

  /* the gate changes the output, and checkpoints carry its parameters */
  g_autofree float *a = g_new (float, 2 * 5 * 3), *b = g_new (float, 2 * 5 * 3);
  g_assert_true (dv_eval_forward (m, x, 2, 5, FALSE, a, NULL, NULL, &error));
  g_autofree char *dir = g_dir_make_tmp ("dv-custom-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  g_assert_true (dv_checkpoint_save (m, path, NULL, &error));
  g_autoptr (DvModel) m2 = dv_checkpoint_load (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (dv_eval_forward (m2, x, 2, 5, FALSE, b, NULL, NULL, &error));
  g_assert_cmpmem (a, sizeof (float) * 30, b, sizeof (float) * 30);
  for (int c = 0; c < w->numel; c++)
    w->data[c] += 2.0f;
  g_assert_true (dv_eval_forward (m, x, 2, 5, FALSE, b, NULL, NULL, &error));
  g_assert_true (memcmp (a, b, sizeof (float) * 30) != 0);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_custom_solver (void)
{
  register_all ();
  g_autoptr (GError) error = NULL;
  g_autofree float *x = NULL;
  g_autofree gint64 *labels = NULL;
  make_data (&x, &labels, 2, 5);

  /* the custom RK4 computes what the built-in one does */
  g_autoptr (DvModelDesc) db = tiny ("solver=rk4", FALSE);
  g_autoptr (DvModelDesc) dc = tiny ("solver=rk4exact", FALSE);
  g_autoptr (DvModel) mb = dv_model_new (db, &error);
  g_autoptr (DvModel) mc = dv_model_new (dc, &error);
  g_assert_no_error (error);
  dv_model_init_params (mb, 4);
  scale_weights (mb);
  dv_model_transfer_weights (mc, mb, NULL);
  g_autofree float *a = g_new (float, 30), *b = g_new (float, 30);
  g_assert_true (dv_eval_forward (mb, x, 2, 5, FALSE, a, NULL, NULL, &error));
  g_assert_true (dv_eval_forward (mc, x, 2, 5, FALSE, b, NULL, NULL, &error));
  for (int i = 0; i < 30; i++)
    g_assert_cmpfloat_with_epsilon (a[i], b[i], 1e-5);

  /* its exact backward passes the check … */
  DvGradCheckReport r = { 0 };
  g_assert_true (dv_check_gradients (mc, x, labels, 2, 5, 4, 3e-2, &r));
  g_free (r.worst_param);

  /* … and the tutorial's Euler-Jacobian backward does not */
  g_autoptr (DvModelDesc) dt = tiny ("solver=rk4tutorial", FALSE);
  g_autoptr (DvModel) mt = dv_model_new (dt, &error);
  dv_model_transfer_weights (mt, mb, NULL);
  DvGradCheckReport rt = { 0 };
  gboolean ok = dv_check_gradients (mt, x, labels, 2, 5, 4, 3e-2, &rt);
  g_test_message ("tutorial RK4 backward: %d of %d off, worst %.2e at %s", rt.failed, rt.checked, rt.worst_rel,
                  rt.worst_param);
  g_free (rt.worst_param);
  g_assert_false (ok);
  g_assert_cmpint (rt.failed, >, 0);
}

static void
test_registry_errors (void)
{
  register_all ();
  g_autoptr (GError) error = NULL;
  DvOpClass again = { .name = "gate", .forward = gate_forward };
  g_assert_false (dv_op_register (&again, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  DvOpClass builtin = { .name = "nonlin", .forward = gate_forward };
  g_assert_false (dv_op_register (&builtin, &error));
  g_clear_error (&error);
  g_autoptr (DvModelDesc) d = tiny ("solver=euler", FALSE);
  g_ptr_array_add (d->operations, g_strdup ("nosuchop"));
  g_assert_false (dv_model_desc_validate (d, &error));
  g_assert_nonnull (strstr (error->message, "dv_op_register"));
  g_clear_error (&error);
  const char *kv[] = { "solver=warp9", NULL };
  g_autoptr (DvJson) k = dv_kwargs_parse (kv, 1, NULL);
  g_assert_null (dv_preset_build ("DyRCNNx2", k, &error));
  g_assert_nonnull (strstr (error->message, "warp9"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/custom/op/gate-bptt-and-checkpoint", test_custom_op);
  g_test_add_func ("/custom/solver/rk4-exact-vs-tutorial", test_custom_solver);
  g_test_add_func ("/custom/registry/errors", test_registry_errors);
  return g_test_run ();
}
