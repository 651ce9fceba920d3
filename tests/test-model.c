/* test-model.c — model descriptions, presets, history/delay semantics and
 * checkpoints: validation messages that name the problem, JSON round trips,
 * DynVision's aliases, residual timesteps, the capacity-0 recurrence quirk,
 * the topographic index maps, checkpoint round trips and bad files. */
#include "dv-checkpoint.h"
#include "dv-eval.h"
#include "dv-model-edit.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static DvJson *
kwargs (const char *const *kv)
{
  int n = 0;
  while (kv[n])
    n++;
  g_autoptr (GError) error = NULL;
  DvJson *j = dv_kwargs_parse (kv, n, &error);
  g_assert_no_error (error);
  return j;
}

static DvModelDesc *
preset (const char *name, const char *const *kv)
{
  g_autoptr (DvJson) k = kwargs (kv);
  g_autoptr (GError) error = NULL;
  DvModelDesc *d = dv_preset_build (name, k, &error);
  g_assert_no_error (error);
  return d;
}

static void
test_presets_roundtrip (void)
{
  const char *kv[] = { "input_dims=[6,3,32,32]", "n_classes=10", NULL };
  for (const char *const *n = dv_preset_names (); *n; n++)
    {
      g_autoptr (DvModelDesc) d = preset (*n, kv);
      g_autoptr (DvJson) j = dv_model_desc_to_json (d);
      g_autofree char *s1 = dv_json_to_string (j, TRUE);
      g_autoptr (GError) error = NULL;
      g_autoptr (DvModelDesc) d2 = dv_model_desc_from_json (j, &error);
      g_assert_no_error (error);
      g_autoptr (DvJson) j2 = dv_model_desc_to_json (d2);
      g_autofree char *s2 = dv_json_to_string (j2, TRUE);
      g_assert_cmpstr (s1, ==, s2);
      g_autoptr (DvModel) m = dv_model_new (d2, &error);
      g_assert_no_error (error);
      g_assert_cmpint (dv_model_n_values (m), >, 1000);
    }
}

static void
test_tutorial_feedback (void)
{
  /* The tutorial's optional V3 -> V1 feedback: ConvTranspose2d(256, 64, 4, 4) + BN. */
  const char *kv[] = { "feedback=true", "input_dims=[4,3,32,32]", "dt=2", "tff=2", "trc=2", "t_skip=0", NULL };
  g_autoptr (DvModelDesc) d = preset ("CustomRCNN", kv);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  g_assert_no_error (error);
  DvParam *w = dv_model_lookup (m, "feedback_V3_V1.0.weight");
  g_assert_nonnull (w);
  g_assert_cmpint (w->shape[0], ==, 256);
  g_assert_cmpint (w->shape[1], ==, 64);
  g_assert_cmpint (w->shape[2], ==, 4);
  g_assert_nonnull (dv_model_lookup (m, "feedback_V3_V1.1.running_var"));
  g_assert_cmpstr (g_ptr_array_index (d->operations, 3), ==, "addfeedback");
  dv_model_init_params (m, 3);
  int B = 2, T = 4;
  gsize xn = (gsize) B * T * 3 * 32 * 32;
  g_autofree float *x = g_new (float, xn), *a = g_new (float, B * T * 10), *b = g_new (float, B * T * 10);
  for (gsize i = 0; i < xn; i++)
    x[i] = cosf (i * 0.11f);
  g_assert_true (dv_eval_forward (m, x, B, T, FALSE, a, NULL, NULL, &error));
  /* the feedback matters once V3 has a state (t >= 1 with one-step delays… V3 appears at t = 2) */
  memset (w->data, 0, sizeof (float) * w->numel);
  dv_model_lookup (m, "feedback_V3_V1.1.bias")->data[0] = 0; /* BN of zeros = bias: keep it zero too */
  for (int c = 0; c < 64; c++)
    dv_model_lookup (m, "feedback_V3_V1.1.bias")->data[c] = 0;
  g_assert_true (dv_eval_forward (m, x, B, T, FALSE, b, NULL, NULL, &error));
  double diff = 0;
  for (int i = 0; i < B * T * 10; i++)
    diff = MAX (diff, fabs (a[i] - b[i]));
  g_assert_cmpfloat (diff, >, 0);
}

static void
test_aliases (void)
{
  const char *kv[] = { "tff=4", "trc=2", "rctype=self", "input_dims=[5,3,32,32]", "n_classes=10", NULL };
  g_autoptr (DvModelDesc) d = preset ("DyRCNNx2", kv);
  g_assert_cmpfloat (d->t_feedforward, ==, 4.0);
  g_assert_cmpfloat (d->t_recurrence, ==, 2.0);
  g_assert_cmpint (d->layers[0].rec_type, ==, DV_REC_SELF);
  g_assert_cmpint (d->n_timesteps, ==, 5);
  /* DyRCNN defaults: dt 2, tau 5, skip on, t_skip 0 -> history max(4, 2, 0+2) = 4 ms -> 2 slots */
  g_assert_cmpfloat (d->dt, ==, 2.0);
  g_assert_cmpfloat (d->tau, ==, 5.0);
  g_assert_cmpint (d->n_hidden_states, ==, 2);
  g_assert_cmpint (d->n_conns, ==, 1);
  g_assert_cmpint (d->conns[0].delay_index, ==, 1);

  const char *bad[] = { "tauu=3", NULL };
  g_autoptr (DvJson) k = kwargs (bad);
  g_autoptr (GError) error = NULL;
  g_assert_null (dv_preset_build ("DyRCNNx2", k, &error));
  g_assert_error (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN);
  g_assert_nonnull (strstr (error->message, "tauu"));
}

static void
test_round_half_even (void)
{
  g_assert_cmpfloat (dv_round_half_even (2.5), ==, 2.0);
  g_assert_cmpfloat (dv_round_half_even (3.5), ==, 4.0);
  g_assert_cmpfloat (dv_round_half_even (1.4), ==, 1.0);
  g_assert_cmpfloat (dv_round_half_even (0.5), ==, 0.0);
  /* feedback delay 5 ms at dt 2: round(2.5) = 2 steps (Python rounds half to even) */
  const char *kv[] = { "feedback=true", "tfb=5", "input_dims=[5,3,32,32]", NULL };
  g_autoptr (DvModelDesc) d = preset ("DyRCNNx4", kv);
  for (int i = 0; i < d->n_conns; i++)
    if (d->conns[i].kind == DV_CONN_FEEDBACK)
      g_assert_cmpint (d->conns[i].delay_index, ==, 2);
}

static void
expect_invalid (DvModelDesc *d, const char *needle1, const char *needle2)
{
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_model_desc_validate (d, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, needle1));
  if (needle2)
    g_assert_nonnull (strstr (error->message, needle2));
}

static void
test_validation_messages (void)
{
  const char *kv[] = { "input_dims=[5,3,32,32]", NULL };
  {
    g_autoptr (DvModelDesc) d = preset ("DyRCNNx4", kv);
    d->layers[2].in_channels = 65;
    expect_invalid (d, "V4", "in_channels to 64");
  }
  {
    g_autoptr (DvModelDesc) d = preset ("DyRCNNx4", kv);
    d->layers[2].rec_type = DV_REC_LOCAL;
    d->layers[2].out_channels = 120;
    d->layers[3].in_channels = 120;
    expect_invalid (d, "V4", "square");
  }
  {
    const char *tiny[] = { "input_dims=[5,3,2,2]", NULL };
    g_autoptr (DvModelDesc) d = preset ("DyRCNNx2", tiny);
    d->layers[0].pool.padding = 0;
    expect_invalid (d, "layer1", "pooling leaves no pixels");
  }
  {
    const char *tiny[] = { "input_dims=[5,3,2,2]", NULL };
    g_autoptr (DvModelDesc) d = preset ("DyRCNNx2", tiny);
    d->layers[1].kernel = 5;
    d->layers[1].padding = 0;
    expect_invalid (d, "layer2", "too small");
  }
  {
    g_autoptr (DvModelDesc) d = preset ("DyRCNNx2", kv);
    g_ptr_array_add (d->operations, g_strdup ("wiggle"));
    expect_invalid (d, "wiggle", NULL);
  }
  {
    g_autoptr (DvModelDesc) d = preset ("DyRCNNx2", kv);
    d->layers[0].tau = 0;
    expect_invalid (d, "layer1", "tau");
  }
  {
    g_autoptr (DvModelDesc) d = preset ("CustomRCNN", kv);
    d->conns[0].stride = 3;
    expect_invalid (d, "skip_V1_V3", "stride 4");
  }
}

static void
test_residual_timesteps (void)
{
  /* SPEC §1.7: DyRCNNx4 with t_ff = 4 ms at dt = 2 has L·d = 4·2 = 8 */
  const char *kv[] = { "tff=4", "skip=false", "input_dims=[12,3,32,32]", "n_classes=10", NULL };
  g_autoptr (DvModelDesc) d = preset ("DyRCNNx4", kv);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  g_assert_no_error (error);
  dv_model_init_params (m, 1);
  g_assert_cmpint (dv_model_residual_timesteps (m), ==, 8);
  g_assert_cmpint (dv_model_lookup (m, "n_residual_timesteps")->idata[0], ==, 8);

  /* and, without skips, presence follows the delays: layer k appears after k·2 steps */
  int B = 1, T = 12;
  g_autofree float *x = g_new0 (float, (gsize) B * T * 3 * 32 * 32);
  for (gsize i = 0; i < (gsize) B * T * 3 * 32 * 32; i++)
    x[i] = (float) ((i % 17) / 17.0);
  g_autofree float *lg = g_new (float, B * T * 10);
  g_autofree gboolean *present = g_new0 (gboolean, 4 * T);
  g_assert_true (dv_eval_forward (m, x, B, T, FALSE, lg, NULL, present, &error));
  for (int l = 0; l < 4; l++)
    for (int t = 0; t < T; t++)
      g_assert_cmpint (present[l * T + t], ==, t >= 2 * l);
  for (int t = 0; t < T; t++)
    {
      gboolean nonzero = FALSE;
      for (int k = 0; k < 10; k++)
        nonzero |= lg[t * 10 + k] != 0.0f;
      g_assert_cmpint (nonzero, ==, t >= 8); /* the classifier's input is absent before t = 8: exact zeros */
    }
}

static const char *
golden_case (const char *name)
{
  static char path[4096];
  const char *root = g_getenv ("DV_GOLDEN_DIR");
  if (root == NULL)
    return NULL;
  g_snprintf (path, sizeof path, "%s/%s", root, name);
  return g_file_test (path, G_FILE_TEST_IS_DIR) ? path : NULL;
}

static void
test_capacity_zero_quirk (void)
{
  const char *dir = golden_case ("custom_full_euler_ff0_rc0_noskip");
  if (dir == NULL)
    {
      g_test_skip ("golden cases not found (DV_GOLDEN_DIR)");
      return;
    }
  g_autofree char *mp = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *ip = g_build_filename (dir, "input.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) m = dv_checkpoint_load (mp, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dv_model_get_desc (m)->n_hidden_states, ==, 0);
  g_autoptr (DvSafetensors) in = dv_safetensors_load (ip, &error);
  g_assert_no_error (error);
  g_autofree float *x = dv_st_tensor_to_f32 (dv_safetensors_lookup (in, "x"));
  int B = 2, T = 8;
  g_autofree float *a = g_new (float, B * T * 10), *b = g_new (float, B * T * 10);
  g_assert_true (dv_eval_forward (m, x, B, T, FALSE, a, NULL, NULL, &error));
  /* zeroing the recurrent weights changes nothing: with no history slot recurrence is off */
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      if (strstr (p->name, ".recurrence."))
        memset (p->data, 0, sizeof (float) * p->numel);
    }
  g_assert_true (dv_eval_forward (m, x, B, T, FALSE, b, NULL, NULL, &error));
  g_assert_cmpmem (a, sizeof (float) * B * T * 10, b, sizeof (float) * B * T * 10);
}

static void
test_local_maps_match_dynvision (void)
{
  const char *dir = golden_case ("dyrcnn2_local_euler_ff1_rc1_skip");
  if (dir == NULL)
    {
      g_test_skip ("golden cases not found (DV_GOLDEN_DIR)");
      return;
    }
  g_autofree char *mp = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_safetensors_load (mp, &error);
  g_assert_no_error (error);
  g_autoptr (DvModelDesc) d = dv_checkpoint_read_desc (st, mp, &error);
  g_assert_no_error (error);
  g_autoptr (DvModel) m = dv_model_new (d, &error); /* maps computed, not loaded */
  const char *names[] = { "layer1.recurrence.flat_plane_mapping", "layer1.recurrence.flat_layer_mapping",
                          "layer2.recurrence.flat_plane_mapping", "layer2.recurrence.flat_layer_mapping" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      DvParam *p = dv_model_lookup (m, names[i]);
      g_autofree gint64 *ref = dv_st_tensor_to_i64 (dv_safetensors_lookup (st, names[i]));
      g_assert_cmpmem (p->idata, p->numel * sizeof (gint64), ref, p->numel * sizeof (gint64));
    }
}

static void
test_checkpoint_roundtrip (void)
{
  const char *kv[] = { "feedback=mul", "rctype=depthpointwise", "input_dims=[4,3,32,32]", "n_classes=7", NULL };
  g_autoptr (DvModelDesc) d = preset ("DyRCNNx4", kv);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  dv_model_init_params (m, 42);
  g_autofree char *dir = g_dir_make_tmp ("dv-ckpt-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  g_assert_true (dv_checkpoint_save (m, path, NULL, &error));
  g_assert_no_error (error);
  DvLoadReport rep = { 0 };
  g_autoptr (DvModel) m2 = dv_checkpoint_load (path, &rep, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rep.missing->len, ==, 0);
  g_assert_cmpuint (rep.unexpected->len, ==, 0);
  dv_load_report_clear (&rep);
  g_assert_cmpuint (dv_model_n_params (m), ==, dv_model_n_params (m2));
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *a = dv_model_param (m, i), *b = dv_model_param (m2, i);
      g_assert_cmpstr (a->name, ==, b->name);
      if (a->data)
        g_assert_cmpmem (a->data, a->numel * 4, b->data, b->numel * 4);
    }
  /* aliases are written too, as PyTorch's state_dict has them */
  g_autoptr (DvSafetensors) st = dv_safetensors_load (path, &error);
  g_assert_nonnull (dv_safetensors_lookup (st, "addskip_V4.source.conv.weight"));
  g_assert_nonnull (dv_safetensors_lookup (st, "tstep_V1.tau"));
  g_assert_nonnull (dv_safetensors_lookup (st, "addfeedback_V1.conv.weight"));
  g_assert_cmpstr (dv_safetensors_metadata (st, "dynvision.model"), ==, "DyRCNNx4");

  int B = 2, T = 4;
  gsize xn = (gsize) B * T * 3 * 32 * 32;
  g_autofree float *x = g_new (float, xn);
  for (gsize i = 0; i < xn; i++)
    x[i] = sinf (i * 0.37f);
  g_autofree float *l1 = g_new (float, B * T * 7), *l2 = g_new (float, B * T * 7);
  g_assert_true (dv_eval_forward (m, x, B, T, FALSE, l1, NULL, NULL, &error));
  g_assert_true (dv_eval_forward (m2, x, B, T, FALSE, l2, NULL, NULL, &error));
  g_assert_cmpmem (l1, B * T * 7 * 4, l2, B * T * 7 * 4);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_checkpoint_bad_files (void)
{
  const char *kv[] = { "input_dims=[4,3,32,32]", "n_classes=5", NULL };
  g_autoptr (DvModelDesc) d = preset ("DyRCNNx2", kv);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  dv_model_init_params (m, 1);
  g_autofree char *dir = g_dir_make_tmp ("dv-bad-XXXXXX", &error);
  g_autofree char *good = g_build_filename (dir, "good.safetensors", NULL);
  g_assert_true (dv_checkpoint_save (m, good, NULL, &error));
  g_autofree char *bytes = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (good, &bytes, &len, NULL));

  /* truncated */
  g_autofree char *trunc = g_build_filename (dir, "trunc.safetensors", NULL);
  g_assert_true (g_file_set_contents (trunc, bytes, len / 2, NULL));
  g_assert_null (dv_checkpoint_load (trunc, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "trunc.safetensors"));
  g_clear_error (&error);

  /* garbage */
  g_autofree char *junk = g_build_filename (dir, "junk.safetensors", NULL);
  g_assert_true (g_file_set_contents (junk, "\xff\xff\xff\xff\xff\xff\xff\x7fnot json at all", 24, NULL));
  g_assert_null (dv_checkpoint_load (junk, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* a tensor of the wrong shape, under the right name */
  g_autofree char *shape = g_build_filename (dir, "shape.safetensors", NULL);
  {
    g_autoptr (DvSafetensorsWriter) w = dv_checkpoint_writer (m, NULL);
    (void) w;
    g_autoptr (DvSafetensorsWriter) w2 = dv_safetensors_writer_new ();
    g_autoptr (DvJson) cfg = dv_json_copy (d->config);
    g_autofree char *cs = dv_json_to_string (cfg, FALSE);
    dv_safetensors_writer_set_metadata (w2, "dynvision.model", "DyRCNNx2");
    dv_safetensors_writer_set_metadata (w2, "dynvision.config", cs);
    float wrong[4 * 3 * 3 * 3] = { 0 };
    gint64 s[4] = { 4, 3, 3, 3 };
    dv_safetensors_writer_add (w2, "layer1.conv.weight", DV_DTYPE_F32, 4, s, wrong);
    g_assert_true (dv_safetensors_writer_save (w2, shape, &error));
  }
  g_assert_null (dv_checkpoint_load (shape, NULL, &error));
  g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CHECKPOINT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "layer1.conv.weight"));
  g_assert_nonnull (strstr (error->message, "[36, 3, 3, 3]"));
  g_clear_error (&error);

  /* no metadata: says what to do */
  g_autofree char *bare = g_build_filename (dir, "bare.safetensors", NULL);
  {
    g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
    float v = 1;
    dv_safetensors_writer_add (w, "x", DV_DTYPE_F32, 0, NULL, &v);
    g_assert_true (dv_safetensors_writer_save (w, bare, &error));
  }
  g_assert_null (dv_checkpoint_load (bare, NULL, &error));
  /* (issue 12) what dv_checkpoint_identify could not find, and the fix */
  g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_UNIDENTIFIED);
  g_assert_nonnull (strstr (error->message, "no dynvision metadata"));
  g_assert_nonnull (strstr (error->message, "--model DyRCNNx4 n_classes=10"));
  g_assert_nonnull (strstr (error->message, "no preset has the file's parameter names"));
  g_clear_error (&error);

  /* the good file is still good */
  g_autoptr (DvModel) ok = dv_checkpoint_load (good, NULL, &error);
  g_assert_no_error (error);
  for (const char *f[] = { good, trunc, junk, shape, bare, NULL }, **p = f; *p; p++)
    g_unlink (*p);
  g_rmdir (dir);
}

static void
test_delay_semantics (void)
{
  /* One layer, no recurrence, identity-like: with t_ff = 4 ms (2 steps) the
   * classifier sees the layer's state from 2 steps earlier. */
  g_autoptr (DvModelDesc) d = dv_model_desc_new ();
  d->n_classes = 1;
  d->in_channels = 1;
  d->in_h = d->in_w = 1;
  d->dt = 2;
  d->tau = 2; /* alpha = 1: the state equals the drive */
  d->t_feedforward = 4;
  d->t_recurrence = 0;
  const char *ops[] = { "layer", "tstep", "nonlin", "record", "delay", "pool", NULL };
  dv_model_desc_set_operations (d, ops);
  DvLayerDesc *l = dv_model_desc_add_layer (d, "L");
  l->out_channels = 1;
  l->kernel = 1;
  l->padding = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_model_desc_validate (d, &error));
  g_assert_cmpint (d->n_hidden_states, ==, 2);
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  dv_model_lookup (m, "L.conv.weight")->data[0] = 1;
  dv_model_lookup (m, "L.conv.bias")->data[0] = 0;
  dv_model_lookup (m, "classifier.2.weight")->data[0] = 1;
  dv_model_lookup (m, "classifier.2.bias")->data[0] = 0;
  float x[6] = { 1, 2, 3, 4, 5, 6 }, lg[6];
  g_assert_true (dv_eval_forward (m, x, 1, 6, FALSE, lg, NULL, NULL, &error));
  /* t=0: alpha·x with no history = 1·1; delayed output absent for 2 steps */
  float want[6] = { 0, 0, 1, 2, 3, 4 };
  for (int t = 0; t < 6; t++)
    g_assert_cmpfloat_with_epsilon (lg[t], want[t], 1e-6);
}

static void
test_edit_rebuild_and_soft (void)
{
  const char *kv[] = { "input_dims=[4,3,32,32]", "n_classes=10", "tau=10", NULL };
  g_autoptr (DvModelDesc) d = preset ("DyRCNNx4", kv);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  dv_model_init_params (m, 5);

  /* rebuild with another recurrence type: convs kept, recurrence re-initialised */
  g_autoptr (DvModelDesc) d2 = dv_model_desc_copy (d);
  for (int i = 0; i < d2->n_layers; i++)
    d2->layers[i].rec_type = DV_REC_DEPTHPOINTWISE;
  g_assert_true (dv_model_desc_needs_rebuild (d, d2));
  g_autoptr (DvModel) m2 = dv_model_new (d2, &error);
  g_assert_no_error (error);
  dv_model_init_params (m2, 6);
  DvTransferReport rep = { 0 };
  dv_model_transfer_weights (m2, m, &rep);
  g_assert_cmpint (dv_transfer_report_find (&rep, "V1.conv.weight")->fate, ==, DV_TRANSFER_KEPT);
  g_assert_cmpint (dv_transfer_report_find (&rep, "V1.recurrence.depthwise_conv.weight")->fate, ==,
                   DV_TRANSFER_REINITIALISED);
  g_assert_cmpint (dv_transfer_report_find (&rep, "V1.recurrence.conv.weight")->fate, ==, DV_TRANSFER_DROPPED);
  g_assert_cmpmem (dv_model_lookup (m2, "V1.conv.weight")->data, 36 * 27 * 4,
                   dv_model_lookup (m, "V1.conv.weight")->data, 36 * 27 * 4);
  dv_transfer_report_clear (&rep);

  /* soft change of tau: same as a model built with that tau and the same weights */
  g_autoptr (DvModelDesc) d3 = dv_model_desc_copy (d);
  for (int i = 0; i < d3->n_layers; i++)
    d3->layers[i].tau = 20;
  g_assert_false (dv_model_desc_needs_rebuild (d, d3));
  g_assert_true (dv_model_soft_update (m, d3, &error));
  g_autoptr (DvModel) m3 = dv_model_new (d3, &error);
  dv_model_transfer_weights (m3, m, NULL);
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *n = g_strdup_printf ("tau_%s", d->layers[i].name);
      g_assert_cmpfloat (dv_model_lookup (m, n)->data[0], ==, 20.0f);
    }
  int B = 1, T = 4;
  gsize xn = (gsize) B * T * 3 * 32 * 32;
  g_autofree float *x = g_new (float, xn), *a = g_new (float, B * T * 10), *b = g_new (float, B * T * 10);
  for (gsize i = 0; i < xn; i++)
    x[i] = sinf (i * 0.05f);
  g_assert_true (dv_eval_forward (m, x, B, T, FALSE, a, NULL, NULL, &error));
  g_assert_true (dv_eval_forward (m3, x, B, T, FALSE, b, NULL, NULL, &error));
  g_assert_cmpmem (a, B * T * 10 * 4, b, B * T * 10 * 4);

  /* a channel change is not soft */
  g_autoptr (DvModelDesc) d4 = dv_model_desc_copy (d);
  d4->layers[3].out_channels = 100;
  g_assert_true (dv_model_desc_needs_rebuild (d, d4));
  g_assert_false (dv_model_soft_update (m, d4, &error));
  g_assert_nonnull (error);
}

static void
test_edit_warnings (void)
{
  const char *kv[] = { "input_dims=[4,3,32,32]", "tau=2", "dt=2", NULL };
  g_autoptr (DvModelDesc) d = preset ("DyRCNNx2", kv);
  g_autoptr (GPtrArray) w = dv_model_desc_warnings (d);
  g_assert_cmpuint (w->len, >=, 2);
  g_assert_nonnull (strstr (g_ptr_array_index (w, 0), "tau"));
  const char *ok[] = { "input_dims=[4,3,32,32]", "tau=10", "dt=2", NULL };
  g_autoptr (DvModelDesc) d2 = preset ("DyRCNNx2", ok);
  g_autoptr (GPtrArray) w2 = dv_model_desc_warnings (d2);
  g_assert_cmpuint (w2->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model/presets/json-roundtrip", test_presets_roundtrip);
  g_test_add_func ("/model/presets/aliases", test_aliases);
  g_test_add_func ("/model/presets/tutorial-feedback", test_tutorial_feedback);
  g_test_add_func ("/model/desc/round-half-even", test_round_half_even);
  g_test_add_func ("/model/desc/validation-messages", test_validation_messages);
  g_test_add_func ("/model/run/residual-timesteps", test_residual_timesteps);
  g_test_add_func ("/model/run/delay-semantics", test_delay_semantics);
  g_test_add_func ("/model/run/capacity-zero-disables-recurrence", test_capacity_zero_quirk);
  g_test_add_func ("/model/local/maps-match-dynvision", test_local_maps_match_dynvision);
  g_test_add_func ("/model/checkpoint/roundtrip", test_checkpoint_roundtrip);
  g_test_add_func ("/model/checkpoint/bad-files", test_checkpoint_bad_files);
  g_test_add_func ("/model/edit/rebuild-and-soft-change", test_edit_rebuild_and_soft);
  g_test_add_func ("/model/edit/warnings", test_edit_warnings);
  return g_test_run ();
}
