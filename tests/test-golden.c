/* test-golden.c — every case under $DV_GOLDEN_DIR (../shared/golden/cases),
 * produced by DynVision's own PyTorch code, run through this engine.
 * Forward cases compare logits and every recorded layer response at 1e-4
 * relative to the tensor's max |value|; training cases also compare the loss
 * and every parameter gradient (1e-3 when BatchNorm runs in train mode).
 * A mismatch names the tensor and the first timestep where it is off. */
#include "dv-checkpoint.h"
#include "dv-eval.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static const DvStTensor *
need (const DvSafetensors *st, const char *name)
{
  const DvStTensor *t = dv_safetensors_lookup (st, name);
  if (t == NULL)
    g_error ("golden file lacks tensor %s", name);
  return t;
}

/* Compares cand with ref; for [B,T,...] tensors (bt = TRUE) reports the
 * worst timestep.  Returns TRUE when max|diff|/max|ref| <= tol. */
static gboolean
compare (const char *what, const float *ref, const float *cand, gint64 n, int B, int T, gboolean bt, double tol)
{
  double maxref = 0, maxdiff = 0;
  gint64 worst = 0;
  for (gint64 i = 0; i < n; i++)
    {
      maxref = MAX (maxref, fabs (ref[i]));
      double d = fabs ((double) ref[i] - cand[i]);
      if (!(d <= maxdiff)) /* NaN counts as worst */
        {
          maxdiff = isnan (d) ? INFINITY : d;
          worst = i;
        }
    }
  double rel = maxref > 0 ? maxdiff / maxref : maxdiff;
  if (rel <= tol)
    {
      g_test_message ("%-40s rel %.2e ok", what, rel);
      return TRUE;
    }
  if (bt && B > 0 && T > 0)
    {
      gint64 per_t = n / (B * T);
      int b = (int) (worst / (per_t * T)), t = (int) ((worst / per_t) % T);
      g_test_message ("MISMATCH %s: rel %.3e > %.1e, worst at sample %d timestep %d (ref %g, got %g)", what, rel,
                      tol, b, t, ref[worst], cand[worst]);
    }
  else
    g_test_message ("MISMATCH %s: rel %.3e > %.1e at element %" G_GINT64_FORMAT " (ref %g, got %g)", what, rel,
                    tol, worst, ref[worst], cand[worst]);
  return FALSE;
}

/* The same case through the command-line tool (DV_CLI = path of `dynvision`):
 * `dynvision run` must write the expected tensors, `dynvision grad` the
 * expected loss and gradients, and `dynvision grad --bptt-checkpoint 2`
 * (activation recomputation) the very same file. */
static gboolean
cli_agrees (const char *dir, const DvSafetensors *est, gboolean train, gboolean bn_train, double tol, double gtol)
{
  const char *cli = g_getenv ("DV_CLI");
  if (cli == NULL)
    return TRUE;
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("dv-golden-cli-XXXXXX", &error);
  g_autofree char *mp = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *ip = g_build_filename (dir, "input.safetensors", NULL);
  g_autofree char *out = g_build_filename (tmp, "out.safetensors", NULL);
  g_autofree char *gout = g_build_filename (tmp, "grads.safetensors", NULL);
  g_autofree char *rout = g_build_filename (tmp, "grads-recomputed.safetensors", NULL);
  gboolean ok = TRUE;
  for (int pass = 0; pass < (train ? 3 : 1); pass++)
    {
      const char *outs[] = { out, gout, rout };
      const char *argv[] = { cli, pass ? "grad" : "run", "--checkpoint", mp, "--input", ip, "--output",
                             outs[pass], pass == 2 ? "--bptt-checkpoint=2" : "--bptt-checkpoint=0",
                             bn_train ? "--train-mode" : NULL, NULL };
      if (pass == 0)
        argv[8] = bn_train ? "--train-mode" : NULL, argv[9] = NULL;
      int status = 0;
      g_autofree char *err = NULL;
      if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, &error)
          || !g_spawn_check_wait_status (status, NULL))
        {
          g_test_message ("MISMATCH cli: dynvision %s failed: %s", argv[1], err ? err : error->message);
          return FALSE;
        }
    }
  g_autoptr (DvSafetensors) got = dv_safetensors_load (out, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < dv_safetensors_n_tensors (est); i++)
    {
      const DvStTensor *e = dv_safetensors_tensor (est, i);
      if (strcmp (e->name, "loss") == 0)
        continue;
      const DvStTensor *c = dv_safetensors_lookup (got, e->name);
      if (c == NULL || c->numel != e->numel)
        {
          g_test_message ("MISMATCH cli %s: missing or of another size in `dynvision run` output", e->name);
          ok = FALSE;
          continue;
        }
      g_autofree float *ref = dv_st_tensor_to_f32 (e), *cand = dv_st_tensor_to_f32 (c);
      g_autofree char *what = g_strdup_printf ("cli run:%s", e->name);
      ok &= compare (what, ref, cand, e->numel, e->shape[0], e->ndim > 1 ? e->shape[1] : 1, e->ndim > 1, tol);
    }
  if (train)
    {
      g_autofree char *gpath = g_build_filename (dir, "grads.safetensors", NULL);
      g_autoptr (DvSafetensors) gref = dv_safetensors_load (gpath, &error);
      g_autoptr (DvSafetensors) gcand = dv_safetensors_load (gout, &error);
      g_assert_no_error (error);
      const DvStTensor *lr = dv_safetensors_lookup (est, "loss"), *lc = dv_safetensors_lookup (gcand, "loss");
      g_autofree float *lref = dv_st_tensor_to_f32 (lr), *lcand = lc ? dv_st_tensor_to_f32 (lc) : g_new0 (float, 1);
      ok &= lc != NULL && compare ("cli grad:loss", lref, lcand, 1, 0, 0, FALSE, tol);
      for (guint i = 0; i < dv_safetensors_n_tensors (gref); i++)
        {
          const DvStTensor *g = dv_safetensors_tensor (gref, i), *c = dv_safetensors_lookup (gcand, g->name);
          if (c == NULL || c->numel != g->numel)
            {
              g_test_message ("MISMATCH cli grad:%s: missing from `dynvision grad` output", g->name);
              ok = FALSE;
              continue;
            }
          g_autofree float *ref = dv_st_tensor_to_f32 (g), *cand = dv_st_tensor_to_f32 (c);
          g_autofree char *what = g_strdup_printf ("cli grad:%s", g->name);
          ok &= compare (what, ref, cand, g->numel, 0, 0, FALSE, gtol);
        }
      g_autofree char *full = NULL, *recomputed = NULL;
      gsize nf = 0, nr = 0;
      g_assert_true (g_file_get_contents (gout, &full, &nf, NULL));
      g_assert_true (g_file_get_contents (rout, &recomputed, &nr, NULL));
      if (nf != nr || memcmp (full, recomputed, nf) != 0)
        {
          g_test_message ("MISMATCH cli grad --bptt-checkpoint 2: not the same bytes as keeping every step");
          ok = FALSE;
        }
    }
  g_unlink (out);
  g_unlink (gout);
  g_unlink (rout);
  g_rmdir (tmp);
  return ok;
}

static void
run_case (gconstpointer data)
{
  const char *dir = data;
  g_autofree char *mpath = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *ipath = g_build_filename (dir, "input.safetensors", NULL);
  g_autofree char *epath = g_build_filename (dir, "expected.safetensors", NULL);
  g_autoptr (GError) error = NULL;

  DvLoadReport report = { 0 };
  g_autoptr (DvModel) model = dv_checkpoint_load (mpath, &report, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < report.missing->len; i++)
    g_test_message ("missing key: %s", (char *) g_ptr_array_index (report.missing, i));
  for (guint i = 0; i < report.unexpected->len; i++)
    g_test_message ("unexpected key: %s", (char *) g_ptr_array_index (report.unexpected, i));
  g_assert_cmpuint (report.missing->len, ==, 0);
  g_assert_cmpuint (report.unexpected->len, ==, 0);
  dv_load_report_clear (&report);

  g_autoptr (DvSafetensors) mst = dv_safetensors_load (mpath, &error);
  g_autoptr (DvSafetensors) ist = dv_safetensors_load (ipath, &error);
  g_autoptr (DvSafetensors) est = dv_safetensors_load (epath, &error);
  g_assert_no_error (error);
  const DvStTensor *xt = need (ist, "x");
  g_assert_cmpint (xt->ndim, ==, 5);
  int B = xt->shape[0], T = xt->shape[1];
  g_autofree float *x = dv_st_tensor_to_f32 (xt);
  const DvModelDesc *D = dv_model_get_desc (model);
  int K = D->n_classes;
  gboolean train = g_strcmp0 (dv_safetensors_metadata (mst, "golden.kind"), "train") == 0;
  gboolean bn_train = g_strcmp0 (dv_safetensors_metadata (mst, "golden.bn_mode"), "train") == 0;
  double tol = 1e-4, gtol = bn_train ? 1e-3 : 1e-4;
  gboolean ok = TRUE;

  g_autofree float *logits = g_new0 (float, (gsize) B * T * K);
  if (train)
    {
      const DvStTensor *lt = need (ist, "labels");
      g_autofree gint64 *labels = dv_st_tensor_to_i64 (lt);
      double loss = 0;
      g_assert_true (dv_eval_loss_grad (model, x, labels, B, T, bn_train, &loss, logits, &error));
      g_assert_no_error (error);
      g_autofree float *ref_loss = dv_st_tensor_to_f32 (need (est, "loss"));
      float l32 = (float) loss;
      ok &= compare ("loss", ref_loss, &l32, 1, 0, 0, FALSE, tol);
      g_autofree char *gpath = g_build_filename (dir, "grads.safetensors", NULL);
      g_autoptr (DvSafetensors) gst = dv_safetensors_load (gpath, &error);
      g_assert_no_error (error);
      for (guint i = 0; i < dv_safetensors_n_tensors (gst); i++)
        {
          const DvStTensor *g = dv_safetensors_tensor (gst, i);
          DvParam *p = dv_model_lookup (model, g->name);
          if (p == NULL || p->grad == NULL || p->numel != g->numel)
            {
              g_test_message ("MISMATCH grad:%s: the engine has no gradient for it", g->name);
              ok = FALSE;
              continue;
            }
          g_autofree float *ref = dv_st_tensor_to_f32 (g);
          g_autofree char *what = g_strdup_printf ("grad:%s", g->name);
          ok &= compare (what, ref, p->grad, p->numel, 0, 0, FALSE, gtol);
        }
    }

  float **resp = g_new0 (float *, D->n_layers);
  for (int l = 0; l < D->n_layers; l++)
    {
      int C, H, W;
      dv_model_layer_shape (model, l, &C, &H, &W);
      resp[l] = g_new0 (float, (gsize) B * T * C * H * W);
    }
  g_autofree float *logits2 = g_new0 (float, (gsize) B * T * K);
  g_assert_true (dv_eval_forward (model, x, B, T, bn_train, logits2, resp, NULL, &error));
  g_assert_no_error (error);
  if (!train)
    memcpy (logits, logits2, sizeof (float) * B * T * K);

  for (guint i = 0; i < dv_safetensors_n_tensors (est); i++)
    {
      const DvStTensor *e = dv_safetensors_tensor (est, i);
      if (strcmp (e->name, "loss") == 0)
        continue;
      g_autofree float *ref = dv_st_tensor_to_f32 (e);
      if (strcmp (e->name, "logits") == 0)
        {
          g_assert_cmpint (e->numel, ==, (gint64) B * T * K);
          ok &= compare ("logits", ref, logits, e->numel, B, T, TRUE, tol);
          continue;
        }
      int l = dv_model_desc_layer_index (D, e->name);
      if (l < 0)
        {
          g_test_message ("MISMATCH %s: the model has no such layer", e->name);
          ok = FALSE;
          continue;
        }
      int C, H, W;
      dv_model_layer_shape (model, l, &C, &H, &W);
      g_assert_cmpint (e->numel, ==, (gint64) B * T * C * H * W);
      ok &= compare (e->name, ref, resp[l], e->numel, B, T, TRUE, tol);
    }
  for (int l = 0; l < D->n_layers; l++)
    g_free (resp[l]);
  g_free (resp);
  ok &= cli_agrees (dir, est, train, bn_train, tol, gtol);
  if (!ok)
    g_test_fail_printf ("golden case %s differs from DynVision (see the MISMATCH lines)", dir);
}

static int
cmp_str (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

/* The shipped trained default (train/models/customrcnn-embedded.safetensors) is a state dict
 * DynVision's CustomRCNN loads strictly: the same tensor names and shapes as the golden
 * CustomRCNN, which DynVision's own code wrote (floats may be stored as F16; integer buffers
 * keep their type). */
static void
test_trained_default_names (gconstpointer data)
{
  const char *golden = data;
  const char *trained = g_getenv ("DV_TRAINED_DEFAULT");
  g_autoptr (GError) error = NULL;
  DvSafetensors *g = dv_safetensors_load (golden, &error);
  g_assert_no_error (error);
  DvSafetensors *t = dv_safetensors_load (trained, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dv_safetensors_n_tensors (t), ==, dv_safetensors_n_tensors (g));
  for (guint i = 0; i < dv_safetensors_n_tensors (g); i++)
    {
      const DvStTensor *a = dv_safetensors_tensor (g, i);
      const DvStTensor *b = dv_safetensors_lookup (t, a->name);
      if (b == NULL)
        g_error ("the trained default has no tensor %s", a->name);
      g_assert_cmpint (b->ndim, ==, a->ndim);
      for (int k = 0; k < a->ndim; k++)
        g_assert_cmpint (b->shape[k], ==, a->shape[k]);
      if (a->dtype == DV_DTYPE_F32)
        g_assert_true (b->dtype == DV_DTYPE_F32 || b->dtype == DV_DTYPE_F16);
      else
        g_assert_cmpint (b->dtype, ==, a->dtype);
    }
  g_assert_cmpstr (dv_safetensors_metadata (t, "dynvision.model"), ==, "CustomRCNN");
  dv_safetensors_free (g);
  dv_safetensors_free (t);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  const char *root = g_getenv ("DV_GOLDEN_DIR");
  GPtrArray *cases = g_ptr_array_new_with_free_func (g_free);
  if (root && g_file_test (root, G_FILE_TEST_IS_DIR))
    {
      GDir *d = g_dir_open (root, 0, NULL);
      const char *name;
      while (d && (name = g_dir_read_name (d)))
        {
          char *path = g_build_filename (root, name, NULL);
          char *m = g_build_filename (path, "model.safetensors", NULL);
          if (g_file_test (m, G_FILE_TEST_EXISTS))
            g_ptr_array_add (cases, path);
          else
            g_free (path);
          g_free (m);
        }
      if (d)
        g_dir_close (d);
    }
  g_ptr_array_sort (cases, cmp_str);
  for (guint i = 0; i < cases->len; i++)
    {
      const char *path = g_ptr_array_index (cases, i);
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *tname = g_strdup_printf ("/golden/%s", base);
      g_test_add_data_func (tname, path, run_case);
    }
  static char *custom_model;
  const char *trained = g_getenv ("DV_TRAINED_DEFAULT");
  custom_model = root ? g_build_filename (root, "custom_full_euler_ff1_rc1_skip", "model.safetensors", NULL) : NULL;
  if (trained && custom_model && g_file_test (custom_model, G_FILE_TEST_EXISTS))
    g_test_add_data_func ("/golden/trained-default-is-dynvisions-state-dict", custom_model,
                          test_trained_default_names);
  if (cases->len == 0)
    g_test_message ("no golden cases found under DV_GOLDEN_DIR=%s", root ? root : "(unset)");
  int rc = g_test_run ();
  g_ptr_array_unref (cases);
  g_free (custom_model);
  return rc;
}
