/* test-model-edit.c — edits are the model (engine/dv-model-edit.c,
 * dv-checkpoint.c): after an apply, soft or rebuild, everything the
 * description determines follows it; the transfer keeps only learnt values
 * the edit did not redefine and reports every tensor's fate; a checkpoint's
 * metadata names a DynVision class and kwargs only when they build exactly
 * the model; `dynvision run` (DV_CLI) on the export reproduces the model.
 *
 * The headline flow is the issue's: CustomRCNN as the workbench opens it,
 * V1 recurrence → depthpointwise and tau → 20 ms, apply, train, export,
 * reload.  The property test applies seeded random sequences of edits
 * (DV_EDIT_SEED overrides the seed, DV_EDIT_SEQUENCES the count). */
#include "dynvision.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* The workbench's default model (app/workbench/dv-workbench.c). */
static DvModelDesc *
workbench_desc (int T, int size)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dims = g_strdup_printf ("input_dims=[%d,3,%d,%d]", T, size, size);
  const char *kw[] = { dims, "n_classes=10", "dt=2", "tau=10", "t_feedforward=2", "t_recurrence=2",
                       "use_skip_connections=true" };
  g_autoptr (DvJson) kwargs = dv_kwargs_parse (kw, G_N_ELEMENTS (kw), &error);
  g_assert_no_error (error);
  DvModelDesc *d = dv_preset_build ("CustomRCNN", kwargs, &error);
  g_assert_no_error (error);
  return d;
}

static DvModel *
new_model (const DvModelDesc *d, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  DvModel *m = dv_model_new (d, &error);
  g_assert_no_error (error);
  dv_model_init_params (m, seed);
  return m;
}

static float *
stimulus (const DvModelDesc *d, int T, guint32 seed)
{
  gsize n = (gsize) T * d->in_channels * d->in_h * d->in_w;
  float *x = g_new (float, n);
  GRand *r = g_rand_new_with_seed (seed);
  for (gsize i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (r, -1, 1);
  g_rand_free (r);
  return x;
}

static float *
logits_of (DvModel *m, const float *x, int T)
{
  g_autoptr (GError) error = NULL;
  float *lg = g_new (float, (gsize) T * dv_model_get_desc (m)->n_classes);
  g_assert_true (dv_eval_forward (m, x, 1, T, FALSE, lg, NULL, NULL, &error));
  g_assert_no_error (error);
  return lg;
}

static double
max_abs_diff (const float *a, const float *b, gsize n)
{
  double d = 0;
  for (gsize i = 0; i < n; i++)
    d = MAX (d, fabs ((double) a[i] - b[i]));
  return d;
}

/* The description as JSON without where it came from ("model", "config"). */
static char *
body (const DvModelDesc *d)
{
  g_autoptr (DvModelDesc) v = dv_model_desc_copy (d);
  g_assert_true (dv_model_desc_validate (v, NULL));
  g_autoptr (DvJson) j = dv_model_desc_to_json (v);
  dv_json_object_remove (j, "model");
  dv_json_object_remove (j, "config");
  return dv_json_to_string (j, FALSE);
}

static const DvTransferItem *
item (const DvTransferReport *r, const char *name)
{
  const DvTransferItem *it = dv_transfer_report_find (r, name);
  if (it == NULL)
    g_error ("the report has no item for %s", name);
  return it;
}

/* Every tensor of the new model has exactly one fate, every tensor of the old
 * one that is gone is dropped, and every kept learnt tensor holds the old values. */
static void
check_report (const DvTransferReport *r, DvModel *now, DvModel *before_copy)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < r->items->len; i++)
    {
      const DvTransferItem *it = g_ptr_array_index (r->items, i);
      g_assert_false (g_hash_table_contains (seen, it->name));
      g_hash_table_add (seen, it->name);
      DvParam *p = dv_model_lookup (now, it->name);
      if (it->fate == DV_TRANSFER_DROPPED)
        {
          g_assert_null (p);
          g_assert_nonnull (dv_model_lookup (before_copy, it->name));
          continue;
        }
      g_assert_nonnull (p);
      g_assert_cmpint (it->buffer, ==, p->is_buffer);
      DvParam *q = dv_model_lookup (before_copy, it->name);
      if (it->fate == DV_TRANSFER_KEPT && p->type == DV_PARAM_F32 && p != dv_model_lookup (now, "supralin.n"))
        {
          g_assert_nonnull (q);
          g_assert_cmpmem (p->data, sizeof (float) * p->numel, q->data, sizeof (float) * q->numel);
        }
      if (it->fate == DV_TRANSFER_CHANGED)
        g_assert_nonnull (it->why);
    }
  for (guint k = 0; k < dv_model_n_params (now); k++)
    g_assert_true (g_hash_table_contains (seen, dv_model_param (now, k)->name));
}

/* Every tau tensor is its layer's tau (tau is not trained here). */
static void
check_tau_tensors (DvModel *m)
{
  const DvModelDesc *d = dv_model_get_desc (m);
  g_assert_false (d->train_tau);
  for (int i = 0; i < d->n_layers; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s.tau", d->layers[i].tstep_name);
      DvParam *p = dv_model_lookup (m, name);
      g_assert_nonnull (p);
      if (p->data[0] != (float) d->layers[i].tau)
        g_error ("%s is %g but the description says %g", name, p->data[0], d->layers[i].tau);
    }
}

/* The model computes what its description says: a model built afresh from
 * the description, given the same tensors, gives bit-identical logits, and
 * has the same state_dict names and shapes. */
static void
check_is_description (DvModel *m, const float *x, int T)
{
  const DvModelDesc *d = dv_model_get_desc (m);
  g_autoptr (DvModel) ref = new_model (d, 99);
  g_assert_cmpuint (dv_model_n_params (ref), ==, dv_model_n_params (m));
  for (guint k = 0; k < dv_model_n_params (ref); k++)
    {
      DvParam *p = dv_model_param (ref, k), *q = dv_model_lookup (m, p->name);
      g_assert_nonnull (q);
      g_assert_cmpint (p->numel, ==, q->numel);
      g_assert_cmpint (p->ndim, ==, q->ndim);
      if (p->type == DV_PARAM_F32)
        memcpy (p->data, q->data, sizeof (float) * p->numel);
      else
        memcpy (p->idata, q->idata, sizeof (gint64) * p->numel);
    }
  g_autofree float *a = logits_of (m, x, T), *b = logits_of (ref, x, T);
  g_assert_cmpmem (a, sizeof (float) * T * d->n_classes, b, sizeof (float) * T * d->n_classes);
}

/* A copy of a model's tensors (to compare against after it is changed in place). */
static DvModel *
snapshot (DvModel *m)
{
  DvModel *c = new_model (dv_model_get_desc (m), 0);
  for (guint k = 0; k < dv_model_n_params (c); k++)
    {
      DvParam *p = dv_model_param (c, k), *q = dv_model_param (m, k);
      if (p->type == DV_PARAM_F32)
        memcpy (p->data, q->data, sizeof (float) * p->numel);
      else
        memcpy (p->idata, q->idata, sizeof (gint64) * p->numel);
    }
  return c;
}

/* Applies the edit's description to *model (soft or rebuild), checks the
 * report, and makes the edit's applied description follow. */
static gboolean
apply (DvModel **model, DvArchEdit *e, DvTransferReport *rep)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) before = snapshot (*model);
  gboolean rebuilt = FALSE;
  DvModel *now = dv_model_apply_desc (*model, dv_arch_edit_get_desc (e), 3, &rebuilt, rep, &error);
  g_assert_no_error (error);
  g_assert_nonnull (now);
  g_assert_true (rebuilt == (now != *model));
  check_report (rep, now, before);
  if (rebuilt)
    dv_model_free (*model);
  *model = now;
  g_autofree char *want = body (dv_arch_edit_get_desc (e)), *got = body (dv_model_get_desc (now));
  g_assert_cmpstr (got, ==, want);
  dv_arch_edit_set_applied (e, dv_model_get_desc (now), FALSE);
  return rebuilt;
}

/* One plain SGD step on a labelled sequence (what an epoch does, in small). */
static void
train_step (DvModel *m, const float *x, int T)
{
  g_autoptr (GError) error = NULL;
  g_autofree gint64 *labels = g_new (gint64, T);
  for (int t = 0; t < T; t++)
    labels[t] = 3;
  double loss;
  g_assert_true (dv_eval_loss_grad (m, x, labels, 1, T, FALSE, &loss, NULL, &error));
  g_assert_no_error (error);
  for (guint k = 0; k < dv_model_n_params (m); k++)
    {
      DvParam *p = dv_model_param (m, k);
      for (gint64 i = 0; p->grad && i < p->numel; i++)
        p->data[i] -= 0.05f * p->grad[i];
    }
}

static void
write_input (const char *path, const DvModelDesc *d, const float *x, int T)
{
  gint64 shape[] = { 1, T, d->in_channels, d->in_h, d->in_w };
  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  dv_safetensors_writer_add (w, "x", DV_DTYPE_F32, 5, shape, x);
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_safetensors_writer_save (w, path, &error));
  g_assert_no_error (error);
}

/* `dynvision run` on the checkpoint: its logits (NULL when DV_CLI is not set). */
static float *
cli_logits (const char *dir, const char *ckpt, const DvModelDesc *d, const float *x, int T)
{
  const char *cli = g_getenv ("DV_CLI");
  if (cli == NULL)
    return NULL;
  g_autofree char *in = g_build_filename (dir, "x.safetensors", NULL);
  g_autofree char *out = g_build_filename (dir, "y.safetensors", NULL);
  write_input (in, d, x, T);
  const char *argv[] = { cli, "run", "-c", ckpt, "-i", in, "-o", out, NULL };
  g_autofree char *err = NULL;
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status,
                               &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("dynvision run failed: %s", err);
  /* a description-built model loads without missing or ignored tensors */
  g_assert_null (strstr (err, "warning"));
  g_autoptr (DvSafetensors) st = dv_safetensors_load (out, &error);
  g_assert_no_error (error);
  const DvStTensor *t = dv_safetensors_lookup (st, "logits");
  g_assert_nonnull (t);
  g_assert_cmpint (t->numel, ==, (gint64) T * d->n_classes);
  g_unlink (in);
  g_unlink (out);
  return dv_st_tensor_to_f32 (t);
}

/* The checkpoint says what the model is: the description is the model's; the
 * tau tensors are the description's; dynvision.model/config build exactly it,
 * or say it is custom (and then their preset really differs).  Returns the
 * metadata's model name. */
static char *
check_checkpoint (const char *path, DvModel *m)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_autoptr (DvModelDesc) d = dv_checkpoint_read_desc (st, path, &error);
  g_assert_no_error (error);
  g_autofree char *want = body (dv_model_get_desc (m)), *got = body (d);
  g_assert_cmpstr (got, ==, want);
  for (int i = 0; i < d->n_layers; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s.tau", d->layers[i].tstep_name);
      const DvStTensor *t = dv_safetensors_lookup (st, name);
      g_assert_nonnull (t);
      g_autofree float *v = dv_st_tensor_to_f32 (t);
      g_assert_cmpfloat (v[0], ==, (float) d->layers[i].tau);
    }
  const char *cls = dv_safetensors_metadata (st, "dynvision.model");
  g_autoptr (DvJson) cfg = dv_json_parse (dv_safetensors_metadata (st, "dynvision.config"), -1, &error);
  g_assert_no_error (error);
  if (g_strcmp0 (cls, DV_CHECKPOINT_CUSTOM_MODEL) == 0)
    {
      g_assert_true (dv_json_get_bool (cfg, "custom_description", FALSE));
      const char *from = dv_json_get_string (cfg, "derived_from", NULL);
      g_assert_cmpstr (from, ==, dv_safetensors_metadata (st, "dynvision.derived_from"));
      g_assert_cmpstr (from, ==, "CustomRCNN");
      g_autoptr (DvModelDesc) base = dv_preset_build (from, dv_json_object_get (cfg, "derived_from_config"),
                                                      &error);
      g_assert_no_error (error);
      g_autofree char *sb = body (base);
      g_assert_cmpstr (sb, !=, want);
      g_assert_cmpuint (dv_json_length (dv_json_object_get (cfg, "differs_in")), >, 0);
    }
  else
    {
      g_assert_cmpstr (cls, ==, "CustomRCNN");
      g_autoptr (DvModelDesc) built = dv_preset_build (cls, cfg, &error);
      g_assert_no_error (error);
      g_autofree char *sb = body (built);
      g_assert_cmpstr (sb, ==, want);
    }
  return g_strdup (cls);
}

static gboolean
json_strv_has (const DvJson *arr, const char *s)
{
  for (guint i = 0; i < dv_json_length (arr); i++)
    if (g_strcmp0 (dv_json_string (dv_json_array_get (arr, i)), s) == 0)
      return TRUE;
  return FALSE;
}

/* ---- the headline flow ---------------------------------------------------------------- */

static void
test_headline (void)
{
  const int T = 8;
  g_autoptr (DvModelDesc) base = workbench_desc (20, 32);
  g_autoptr (DvModel) unedited = new_model (base, 0);
  DvModel *model = new_model (base, 0);
  g_autofree float *x = stimulus (base, T, 1);
  g_autofree float *l0 = logits_of (unedited, x, T);

  g_autoptr (DvArchEdit) e = dv_arch_edit_new (dv_model_get_desc (model));
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_arch_edit_set (e, "V1.recurrence_type", "depthpointwise", &error));
  g_assert_true (dv_arch_edit_set (e, "V1.tau", "20", &error));
  g_assert_no_error (error);
  DvTransferReport rep = { 0 };
  g_assert_true (apply (&model, e, &rep));

  /* the tensor the engine computes with is the edited one */
  g_assert_cmpfloat (dv_model_lookup (model, "V1_tstep.tau")->data[0], ==, 20.0f);
  g_assert_cmpfloat (dv_model_lookup (model, "V2_tstep.tau")->data[0], ==, 10.0f);
  const DvTransferItem *tau = item (&rep, "V1_tstep.tau");
  g_assert_cmpint (tau->fate, ==, DV_TRANSFER_CHANGED);
  g_assert_cmpstr (tau->why, ==, "10 → 20");
  g_assert_cmpint (item (&rep, "V2_tstep.tau")->fate, ==, DV_TRANSFER_KEPT);
  g_assert_cmpint (item (&rep, "V1_recurrent.recurrence.conv.weight")->fate, ==, DV_TRANSFER_DROPPED);
  g_assert_cmpint (item (&rep, "V1_recurrent.recurrence.depthwise_conv.weight")->fate, ==, DV_TRANSFER_REINITIALISED);
  g_assert_cmpint (item (&rep, "V2_recurrent.conv.weight")->fate, ==, DV_TRANSFER_KEPT);
  g_assert_cmpint (item (&rep, "V1_norm.running_var")->fate, ==, DV_TRANSFER_KEPT);
  g_assert_true (item (&rep, "V1_norm.running_var")->buffer);
  g_assert_cmpuint (dv_transfer_report_count (&rep, DV_TRANSFER_KEPT, TRUE), >, 0);
  g_autofree char *text = dv_transfer_report_to_text (&rep, 5);
  if (g_test_verbose ())
    g_printerr ("%s\n", text);
  g_assert_nonnull (strstr (text, "Parameters changed by the edit: V1_tstep.tau (10 → 20)"));
  g_assert_nonnull (strstr (text, "Parameters dropped: V1_recurrent.recurrence.conv.weight"));
  g_assert_nonnull (strstr (text, "Buffers kept:"));
  dv_transfer_report_clear (&rep);
  check_tau_tensors (model);
  check_is_description (model, x, T);

  /* responses differ from the unedited model's, and the tau edit itself changes them */
  gsize nl = (gsize) T * base->n_classes;
  g_autofree float *l1 = logits_of (model, x, T);
  g_assert_cmpfloat (max_abs_diff (l0, l1, nl), >, 1e-6);
  dv_model_lookup (model, "V1_tstep.tau")->data[0] = 10.0f;
  g_autofree float *l10 = logits_of (model, x, T);
  dv_model_lookup (model, "V1_tstep.tau")->data[0] = 20.0f;
  g_assert_cmpfloat (max_abs_diff (l10, l1, nl), >, 1e-6);

  /* train (tau is not trained: it stays 20), export, reload as `dynvision run` does */
  train_step (model, x, T);
  train_step (model, x, T);
  g_assert_cmpfloat (dv_model_lookup (model, "V1_tstep.tau")->data[0], ==, 20.0f);
  g_autofree float *trained = logits_of (model, x, T);
  g_autofree char *dir = g_dir_make_tmp ("dv-test-model-edit-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *ckpt = g_build_filename (dir, "edited.safetensors", NULL);
  g_assert_true (dv_checkpoint_save (model, ckpt, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *cls = check_checkpoint (ckpt, model);
  g_assert_cmpstr (cls, ==, DV_CHECKPOINT_CUSTOM_MODEL);
  {
    g_autoptr (DvSafetensors) st = dv_safetensors_load (ckpt, &error);
    g_autoptr (DvJson) cfg = dv_json_parse (dv_safetensors_metadata (st, "dynvision.config"), -1, &error);
    g_assert_no_error (error);
    const DvJson *diff = dv_json_object_get (cfg, "differs_in");
    g_assert_true (json_strv_has (diff, "layers[0].tau"));
    g_assert_true (json_strv_has (diff, "layers[0].recurrence_type"));
    g_assert_false (json_strv_has (diff, "layers[1].tau"));
  }
  DvLoadReport lrep = { 0 };
  g_autoptr (DvModel) back = dv_checkpoint_load (ckpt, &lrep, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lrep.missing->len, ==, 0);
  dv_load_report_clear (&lrep);
  g_assert_cmpfloat (dv_model_get_desc (back)->layers[0].tau, ==, 20);
  g_assert_cmpint (dv_model_get_desc (back)->layers[0].rec_type, ==, DV_REC_DEPTHPOINTWISE);
  g_assert_cmpfloat (dv_model_lookup (back, "V1_tstep.tau")->data[0], ==, 20.0f);
  g_autofree float *reloaded = logits_of (back, x, T);
  g_assert_cmpmem (reloaded, sizeof (float) * nl, trained, sizeof (float) * nl);
  g_autofree float *cli = cli_logits (dir, ckpt, base, x, T);
  if (cli)
    g_assert_cmpfloat (max_abs_diff (cli, trained, nl), <, 1e-5);
  else
    g_test_message ("DV_CLI is not set: `dynvision run` not checked");
  g_unlink (ckpt);
  g_rmdir (dir);
  dv_model_free (model);
}

/* Same names and shapes, another meaning: depthpointwise → pointdepthwise in
 * an area whose recurrence keeps its channels re-initialises, not keeps. */
static void
test_redefined_not_kept (void)
{
  g_autoptr (DvModelDesc) base = workbench_desc (20, 32);
  DvModel *model = new_model (base, 0);
  g_autoptr (DvArchEdit) e = dv_arch_edit_new (base);
  g_autoptr (GError) error = NULL;
  DvTransferReport rep = { 0 };
  g_assert_true (dv_arch_edit_set (e, "V2.recurrence_type", "depthpointwise", &error));
  g_assert_no_error (error);
  apply (&model, e, &rep);
  dv_model_lookup (model, "V2_recurrent.recurrence.pointwise_conv.weight")->data[0] = 0.125f;
  g_assert_true (dv_arch_edit_set (e, "V2.recurrence_type", "pointdepthwise", &error));
  g_assert_no_error (error);
  g_assert_true (apply (&model, e, &rep));
  const DvTransferItem *it = item (&rep, "V2_recurrent.recurrence.pointwise_conv.weight");
  g_assert_cmpint (it->fate, ==, DV_TRANSFER_REINITIALISED);
  g_assert_nonnull (strstr (it->why, "depthpointwise"));
  g_assert_nonnull (strstr (it->why, "pointdepthwise"));
  g_assert_cmpfloat (dv_model_lookup (model, "V2_recurrent.recurrence.pointwise_conv.weight")->data[0], !=, 0.125f);
  g_assert_cmpint (item (&rep, "V1_recurrent.recurrence.conv.weight")->fate, ==, DV_TRANSFER_KEPT);
  dv_transfer_report_clear (&rep);
  dv_model_free (model);
}

/* A trained tau is learnt: a soft edit of another area's tau keeps it, an edit of its own replaces it. */
static void
test_trained_tau (void)
{
  const char *kw[] = { "input_dims=[4,3,32,32]", "n_classes=10", "train_tau=true", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) kwargs = dv_kwargs_parse (kw, 3, &error);
  /* DyRCNNx2 keeps its tau frozen whatever train_tau says (as DynVision's
   * float-tau EulerSteps); x4 trains its tau_* parameters */
  g_autoptr (DvModelDesc) d2 = dv_preset_build ("DyRCNNx2", kwargs, &error);
  g_assert_no_error (error);
  g_assert_false (d2->train_tau);
  g_autoptr (DvModelDesc) d = dv_preset_build ("DyRCNNx4", kwargs, &error);
  g_assert_no_error (error);
  DvModel *model = new_model (d, 1);
  g_assert_true (dv_model_get_desc (model)->train_tau);
  const DvModelDesc *md = dv_model_get_desc (model);
  g_autofree char *t0 = g_strdup_printf ("%s.tau", md->layers[0].tstep_name);
  g_autofree char *t1 = g_strdup_printf ("%s.tau", md->layers[1].tstep_name);
  float learnt = dv_model_lookup (model, t0)->data[0] + 0.75f;
  dv_model_lookup (model, t0)->data[0] = learnt;
  g_autoptr (DvArchEdit) e = dv_arch_edit_new (md);
  g_autofree char *path = g_strdup_printf ("%s.tau", md->layers[1].name);
  g_assert_true (dv_arch_edit_set (e, path, "17", &error));
  g_assert_no_error (error);
  DvTransferReport rep = { 0 };
  g_assert_false (apply (&model, e, &rep)); /* soft */
  g_assert_cmpfloat (dv_model_lookup (model, t0)->data[0], ==, learnt);
  g_assert_cmpfloat (dv_model_lookup (model, t1)->data[0], ==, 17.0f);
  g_assert_cmpint (item (&rep, dv_model_lookup (model, t1)->name)->fate, ==, DV_TRANSFER_CHANGED);
  /* a rebuild (another recurrence) keeps the trained tau it did not touch */
  g_autofree char *rp = g_strdup_printf ("%s.recurrence_type", md->layers[1].name);
  g_assert_true (dv_arch_edit_set (e, rp, "depthpointwise", &error));
  g_assert_no_error (error);
  g_assert_true (apply (&model, e, &rep));
  g_assert_cmpfloat (dv_model_lookup (model, t0)->data[0], ==, learnt);
  g_assert_cmpfloat (dv_model_lookup (model, t1)->data[0], ==, 17.0f);
  dv_transfer_report_clear (&rep);
  dv_model_free (model);
}

/* Metadata: an unedited preset, and one whose model-wide tau and dt were
 * edited, are exactly their class with kwargs (regenerated: tau 20, dt 1);
 * one area's tau makes it custom. */
static void
test_metadata (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dv-test-model-edit-XXXXXX", &error);
  g_autofree char *ckpt = g_build_filename (dir, "m.safetensors", NULL);
  g_autoptr (DvModelDesc) base = workbench_desc (6, 32);
  DvModel *model = new_model (base, 0);
  g_assert_true (dv_checkpoint_save (model, ckpt, NULL, &error));
  g_autofree char *c0 = check_checkpoint (ckpt, model);
  g_assert_cmpstr (c0, ==, "CustomRCNN");

  g_autoptr (DvArchEdit) e = dv_arch_edit_new (base);
  g_assert_true (dv_arch_edit_set (e, "tau", "20", &error));
  g_assert_true (dv_arch_edit_set (e, "dt", "1", &error));
  g_assert_no_error (error);
  DvTransferReport rep = { 0 };
  apply (&model, e, &rep);
  check_tau_tensors (model);
  g_assert_true (dv_checkpoint_save (model, ckpt, NULL, &error));
  g_autofree char *c1 = check_checkpoint (ckpt, model);
  g_assert_cmpstr (c1, ==, "CustomRCNN");
  {
    g_autoptr (DvSafetensors) st = dv_safetensors_load (ckpt, &error);
    g_autoptr (DvJson) cfg = dv_json_parse (dv_safetensors_metadata (st, "dynvision.config"), -1, &error);
    g_assert_cmpfloat (dv_json_get_number (cfg, "tau", 0), ==, 20);
    g_assert_cmpfloat (dv_json_get_number (cfg, "dt", 0), ==, 1);
    g_assert_null (dv_safetensors_metadata (st, "dynvision.derived_from"));
  }

  g_assert_true (dv_arch_edit_set (e, "V3.tau", "12", &error));
  g_assert_no_error (error);
  apply (&model, e, &rep);
  g_assert_true (dv_checkpoint_save (model, ckpt, NULL, &error));
  g_autofree char *c2 = check_checkpoint (ckpt, model);
  g_assert_cmpstr (c2, ==, DV_CHECKPOINT_CUSTOM_MODEL);

  /* without its description, a custom checkpoint is refused, not built as the preset */
  {
    g_autoptr (DvSafetensors) st = dv_safetensors_load (ckpt, &error);
    g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
    dv_safetensors_writer_set_metadata (w, "dynvision.model", dv_safetensors_metadata (st, "dynvision.model"));
    dv_safetensors_writer_set_metadata (w, "dynvision.config", dv_safetensors_metadata (st, "dynvision.config"));
    dv_safetensors_writer_set_metadata (w, "dynvision.derived_from", "CustomRCNN");
    g_autofree char *bare = g_build_filename (dir, "bare.safetensors", NULL);
    g_assert_true (dv_safetensors_writer_save (w, bare, &error));
    g_autoptr (DvSafetensors) sb = dv_safetensors_load (bare, &error);
    g_assert_no_error (error);
    g_assert_null (dv_checkpoint_read_desc (sb, bare, &error));
    g_assert_nonnull (strstr (error->message, "custom model (derived from CustomRCNN)"));
    g_clear_error (&error);
    g_unlink (bare);
  }
  dv_transfer_report_clear (&rep);
  dv_model_free (model);
  g_unlink (ckpt);
  g_rmdir (dir);
}

/* ---- the property test ------------------------------------------------------------------- */

/* What the edits said, kept apart from the editor: the oracle. */
typedef struct {
  double dt;
  double tau[3], tff[3], trc[3];
  DvRecType rec[3];
  gboolean fb[3][3];       /* feedback source -> target */
  gboolean skip[3][3];     /* skip source -> target */
  double skip_t[3][3];
} Oracle;

static const char *const areas[] = { "V1", "V2", "V3" };

static void
oracle_from (Oracle *o, const DvModelDesc *d)
{
  memset (o, 0, sizeof *o);
  o->dt = d->dt;
  for (int i = 0; i < 3; i++)
    {
      o->tau[i] = d->layers[i].tau;
      o->tff[i] = d->layers[i].t_feedforward;
      o->trc[i] = d->layers[i].t_recurrence;
      o->rec[i] = d->layers[i].rec_type;
    }
  for (int k = 0; k < d->n_conns; k++)
    {
      const DvConnDesc *c = &d->conns[k];
      int s = dv_model_desc_layer_index (d, c->source), t = dv_model_desc_layer_index (d, c->target);
      if (c->kind == DV_CONN_SKIP)
        o->skip[s][t] = TRUE, o->skip_t[s][t] = c->t_ms;
      else
        o->fb[s][t] = TRUE;
    }
}

static void
check_oracle (const Oracle *o, const DvModelDesc *d)
{
  Oracle got;
  oracle_from (&got, d);
  g_assert_cmpfloat (got.dt, ==, o->dt);
  for (int i = 0; i < 3; i++)
    {
      g_assert_cmpfloat (got.tau[i], ==, o->tau[i]);
      g_assert_cmpfloat (got.tff[i], ==, o->tff[i]);
      g_assert_cmpfloat (got.trc[i], ==, o->trc[i]);
      g_assert_cmpint (got.rec[i], ==, o->rec[i]);
      for (int j = 0; j < 3; j++)
        {
          g_assert_cmpint (got.fb[i][j], ==, o->fb[i][j]);
          g_assert_cmpint (got.skip[i][j], ==, o->skip[i][j]);
          if (o->skip[i][j])
            g_assert_cmpfloat (got.skip_t[i][j], ==, o->skip_t[i][j]);
        }
    }
}

/* One random edit through the editor; the oracle follows when it is accepted.
 * Refused edits must change nothing. */
static void
random_edit (GRand *r, DvArchEdit *e, Oracle *o, GString *log)
{
  static const double taus[] = { 4, 5, 8, 10, 15, 20, 30 };
  static const double delays[] = { 0, 1, 2, 3, 4, 6 };
  static const char *const recs[] = { "full", "self", "depthpointwise", "pointdepthwise", "none" };
  int a = g_rand_int_range (r, 0, 3), b = g_rand_int_range (r, 0, 3);
  int kind = g_rand_int_range (r, 0, 11);
  Oracle next = *o;
  g_autofree char *path = NULL, *value = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ok = FALSE;
  g_autofree char *before = body (dv_arch_edit_get_desc (e));
  switch (kind)
    {
    case 0: /* model-wide tau */
      value = g_strdup_printf ("%g", taus[g_rand_int_range (r, 0, G_N_ELEMENTS (taus))]);
      path = g_strdup ("tau");
      for (int i = 0; i < 3; i++)
        next.tau[i] = g_ascii_strtod (value, NULL);
      break;
    case 1:
      value = g_strdup_printf ("%g", taus[g_rand_int_range (r, 0, G_N_ELEMENTS (taus))]);
      path = g_strdup_printf ("%s.tau", areas[a]);
      next.tau[a] = g_ascii_strtod (value, NULL);
      break;
    case 2:
      value = g_strdup (g_rand_boolean (r) ? "1" : "2");
      path = g_strdup ("dt");
      next.dt = g_ascii_strtod (value, NULL);
      break;
    case 3:
      value = g_strdup_printf ("%g", delays[g_rand_int_range (r, 0, G_N_ELEMENTS (delays))]);
      path = g_strdup_printf ("%s.t_feedforward", areas[a]);
      next.tff[a] = g_ascii_strtod (value, NULL);
      break;
    case 4:
      value = g_strdup_printf ("%g", delays[g_rand_int_range (r, 0, G_N_ELEMENTS (delays))]);
      path = g_strdup_printf ("%s.t_recurrence", areas[a]);
      next.trc[a] = g_ascii_strtod (value, NULL);
      break;
    case 5:
      {
        int s = -1, t = -1;
        for (int i = 0; i < 3 && s < 0; i++)
          for (int j = 0; j < 3 && s < 0; j++)
            if (o->skip[(i + a) % 3][(j + b) % 3])
              s = (i + a) % 3, t = (j + b) % 3;
        if (s < 0)
          return;
        value = g_strdup_printf ("%g", delays[g_rand_int_range (r, 0, G_N_ELEMENTS (delays))]);
        path = g_strdup_printf ("skip.%s->%s.delay", areas[s], areas[t]);
        next.skip_t[s][t] = g_ascii_strtod (value, NULL);
      }
      break;
    case 6:
      {
        int k = g_rand_int_range (r, 0, G_N_ELEMENTS (recs));
        value = g_strdup (recs[k]);
        path = g_strdup_printf ("%s.recurrence_type", areas[a]);
        dv_rec_type_from_name (recs[k], &next.rec[a]);
      }
      break;
    case 9: /* model-wide delays: every area's */
    case 10:
      value = g_strdup_printf ("%g", delays[g_rand_int_range (r, 0, G_N_ELEMENTS (delays))]);
      path = g_strdup (kind == 9 ? "t_feedforward" : "t_recurrence");
      for (int i = 0; i < 3; i++)
        *(kind == 9 ? &next.tff[i] : &next.trc[i]) = g_ascii_strtod (value, NULL);
      break;
    case 7: /* feedback a -> b (b before a), added or removed */
    case 8: /* skip a -> b (a before b), added or removed */
      {
        if (a == b)
          return;
        int s = kind == 7 ? MAX (a, b) : MIN (a, b), t = kind == 7 ? MIN (a, b) : MAX (a, b);
        DvConnKind ck = kind == 7 ? DV_CONN_FEEDBACK : DV_CONN_SKIP;
        gboolean *has = kind == 7 ? &next.fb[s][t] : &next.skip[s][t];
        if (*has)
          ok = dv_arch_edit_remove_conn (e, ck, areas[s], areas[t], &error);
        else
          ok = dv_arch_edit_add_conn (e, ck, areas[s], areas[t], &error);
        g_string_append_printf (log, " %s %s %s->%s%s;", *has ? "remove" : "add", kind == 7 ? "feedback" : "skip",
                                areas[s], areas[t], ok ? "" : " (refused)");
        *has = !*has;
        if (ok && kind == 8 && *has)
          next.skip_t[s][t] = dv_arch_edit_get_desc (e)->t_skip;
        goto done;
      }
    }
  ok = dv_arch_edit_set (e, path, value, &error);
  g_string_append_printf (log, " %s=%s%s;", path, value, ok ? "" : " (refused)");
done:
  if (ok)
    {
      g_assert_no_error (error);
      *o = next;
    }
  else
    {
      g_assert_nonnull (error);
      g_autofree char *after = body (dv_arch_edit_get_desc (e));
      g_assert_cmpstr (after, ==, before);
    }
  check_oracle (o, dv_arch_edit_get_desc (e));
}

static void
test_property (void)
{
  const char *seed_env = g_getenv ("DV_EDIT_SEED"), *n_env = g_getenv ("DV_EDIT_SEQUENCES");
  guint32 seed = seed_env ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : 20261207u;
  int n_seq = n_env ? (int) g_ascii_strtoll (n_env, NULL, 10) : 8;
  g_test_message ("seed %u (DV_EDIT_SEED), %d sequences (DV_EDIT_SEQUENCES)", seed, n_seq);
  GRand *r = g_rand_new_with_seed (seed);
  const int T = 6;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dv-test-model-edit-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *ckpt = g_build_filename (dir, "edited.safetensors", NULL);
  guint n_custom = 0, n_exact = 0, n_soft = 0, n_rebuild = 0;
  for (int s = 0; s < n_seq; s++)
    {
      g_autoptr (DvModelDesc) base = workbench_desc (T, 16);
      DvModel *model = new_model (base, (guint64) s);
      g_autofree float *x = stimulus (base, T, (guint32) s + 100);
      train_step (model, x, T); /* learnt values, not just an initialisation */
      g_autoptr (DvArchEdit) e = dv_arch_edit_new (dv_model_get_desc (model));
      Oracle o;
      oracle_from (&o, dv_model_get_desc (model));
      GString *log = g_string_new (NULL);
      int rounds = g_rand_int_range (r, 1, 5);
      for (int k = 0; k < rounds; k++)
        {
          int n_edits = g_rand_int_range (r, 1, 4);
          for (int j = 0; j < n_edits; j++)
            random_edit (r, e, &o, log);
          g_string_append (log, " apply;");
          DvTransferReport rep = { 0 };
          if (apply (&model, e, &rep))
            n_rebuild++;
          else
            n_soft++;
          /* no edit here touches the feedforward path: its learnt values are all kept */
          const char *ff[] = { "V1_conv.weight", "V2_recurrent.conv.weight", "V3_recurrent.conv.bias",
                               "V2_norm.running_var", "classifier.2.weight" };
          for (guint f = 0; f < G_N_ELEMENTS (ff); f++)
            g_assert_cmpint (item (&rep, ff[f])->fate, ==, DV_TRANSFER_KEPT);
          dv_transfer_report_clear (&rep);
          check_oracle (&o, dv_model_get_desc (model));
          check_tau_tensors (model);
          check_is_description (model, x, T);
        }
      g_test_message ("sequence %d:%s", s, log->str);
      g_string_free (log, TRUE);
      g_assert_true (dv_checkpoint_save (model, ckpt, NULL, &error));
      g_assert_no_error (error);
      g_autofree char *cls = check_checkpoint (ckpt, model);
      if (g_strcmp0 (cls, DV_CHECKPOINT_CUSTOM_MODEL) == 0)
        n_custom++;
      else
        n_exact++;
      gsize nl = (gsize) T * base->n_classes;
      g_autofree float *want = logits_of (model, x, T);
      g_autoptr (DvModel) back = dv_checkpoint_load (ckpt, NULL, &error);
      g_assert_no_error (error);
      check_oracle (&o, dv_model_get_desc (back));
      g_autofree float *got = logits_of (back, x, T);
      g_assert_cmpmem (got, sizeof (float) * nl, want, sizeof (float) * nl);
      g_autofree float *cli = cli_logits (dir, ckpt, base, x, T);
      if (cli)
        g_assert_cmpfloat (max_abs_diff (cli, want, nl), <, 1e-5);
      dv_model_free (model);
    }
  g_test_message ("%u soft applies, %u rebuilds; %u exports custom, %u a preset with kwargs", n_soft, n_rebuild,
                  n_custom, n_exact);
  if (g_getenv ("DV_CLI") == NULL)
    g_test_message ("DV_CLI is not set: `dynvision run` not checked");
  g_rand_free (r);
  g_unlink (ckpt);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model-edit/headline-depthpointwise-tau20", test_headline);
  g_test_add_func ("/model-edit/redefined-module-not-kept", test_redefined_not_kept);
  g_test_add_func ("/model-edit/trained-tau-kept-unless-edited", test_trained_tau);
  g_test_add_func ("/model-edit/checkpoint-metadata", test_metadata);
  g_test_add_func ("/model-edit/property-random-edits", test_property);
  return g_test_run ();
}
