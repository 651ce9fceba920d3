/* test-identify.c — dv_checkpoint_open and dv_checkpoint_identify: the model
 * of a checkpoint from our metadata, Lightning hyper-parameters (a fake
 * "dynvision.hyper_parameters" key stands for what dv_torch_load gives),
 * DynVision's path convention and data sets, --model, and the state_dict's
 * shapes; the refusal naming the fix; a .pt written by dv_torch_save read
 * back and identified from its DynVision path. */
#include "dv-checkpoint.h"
#include "dv-model-private.h"
#include "dv-torch.h"

#include <glib/gstdio.h>
#include <string.h>

/* `how` has the line "from SOURCE[ (…)]: … KV …" (the values identified from one source share a line). */
static gboolean
how_says (const GString *how, const char *source, const char *kv)
{
  g_autofree char *head = g_strdup_printf ("from %s", source);
  g_auto (GStrv) lines = g_strsplit (how->str, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      const char *at = strstr (*l, head);
      const char *values = at ? g_strrstr (at, ": ") : NULL; /* the source may say more, in brackets */
      if (values == NULL)
        continue;
      g_autofree char *words = g_strdup_printf (" %s ", values + 2);
      g_autofree char *word = g_strdup_printf (" %s ", kv);
      if (strstr (words, word) != NULL)
        return TRUE;
    }
  g_test_message ("no \"%s\" from %s in:\n%s", kv, source, how->str);
  return FALSE;
}

static char *tmp;

static DvModel *
make_model (const char *cls, const char *const *kw, int n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) j = dv_kwargs_parse (kw, n, &error);
  g_assert_no_error (error);
  g_autoptr (DvModelDesc) d = dv_preset_build (cls, j, &error);
  g_assert_no_error (error);
  DvModel *m = dv_model_new (d, &error);
  g_assert_no_error (error);
  dv_model_init_params (m, 7);
  return m;
}

/* The model's state_dict as a bare safetensors file (no dynvision metadata,
 * as PyTorch's safetensors writer leaves it), optionally with
 * "dynvision.hyper_parameters". */
static char *
write_bare (DvModel *m, const char *rel, const char *hparams)
{
  g_autofree char *path = g_build_filename (tmp, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_autoptr (DvSafetensorsWriter) full = dv_checkpoint_writer (m, NULL);
  g_autoptr (GBytes) b = dv_safetensors_writer_to_bytes (full);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_safetensors_load_from_bytes (b, "full", &error);
  g_assert_no_error (error);
  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  for (guint i = 0; i < dv_safetensors_n_tensors (st); i++)
    {
      const DvStTensor *t = dv_safetensors_tensor (st, i);
      dv_safetensors_writer_add (w, t->name, t->dtype, t->ndim, t->shape, t->data);
    }
  if (hparams)
    dv_safetensors_writer_set_metadata (w, "dynvision.hyper_parameters", hparams);
  dv_safetensors_writer_save (w, path, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static char *
body (const DvModelDesc *d)
{
  g_autoptr (DvModelDesc) v = dv_model_desc_copy (d);
  g_assert_true (dv_model_desc_validate (v, NULL));
  g_autoptr (DvJson) j = dv_model_desc_to_json (v);
  dv_json_object_remove (j, "config");
  return dv_json_to_string (j, FALSE);
}

static void
assert_same_model (const DvModelDesc *a, const DvModelDesc *b)
{
  g_autofree char *x = body (a), *y = body (b);
  g_assert_cmpstr (x, ==, y);
}

static DvModelDesc *
identify (const char *path, const DvModelHint *hint, GString *how, GError **error)
{
  g_autoptr (DvSafetensors) st = dv_checkpoint_open (path, error);
  if (st == NULL)
    return NULL;
  return dv_checkpoint_identify (st, path, hint, how, error);
}

static void
test_own_metadata (void)
{
  g_autoptr (DvModel) m = make_model ("DyRCNNx2", (const char *[]) { "n_classes=5" }, 1);
  g_autofree char *path = g_build_filename (tmp, "own.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_checkpoint_save (m, path, NULL, &error));
  g_autoptr (GString) how = g_string_new (NULL);
  g_autoptr (DvModelDesc) d = identify (path, NULL, how, &error);
  g_assert_no_error (error);
  assert_same_model (d, m->desc);
  g_assert_nonnull (strstr (how->str, "own metadata"));
}

static void
test_path_convention (void)
{
  const char *kw[] = { "n_classes=10", "input_dims=[1,3,32,32]", "tsteps=20", "rctype=full" };
  g_autoptr (DvModel) m = make_model ("DyRCNNx4", kw, 4);
  const char *rels[] = {
    "models/DyRCNNx4/DyRCNNx4:tsteps=20+rctype=full_42/cifar10/trained.safetensors",
    /* Lightning's last checkpoint beside it: the bytes decide the format, not the extension */
    "models/DyRCNNx4/DyRCNNx4:tsteps=20+rctype=full_42/cifar10/trained-last-03-0.1234.ckpt",
    "models/DyRCNNx4/DyRCNNx4:tsteps=20+rctype=full_42/cifar10/checkpoints/trained-best-0.5.ckpt",
  };
  for (guint i = 0; i < G_N_ELEMENTS (rels); i++)
    {
      g_autofree char *path = write_bare (m, rels[i], NULL);
      g_autoptr (GString) how = g_string_new (NULL);
      g_autoptr (GError) error = NULL;
      DvLoadReport rep = { 0 };
      g_autoptr (DvModel) got = dv_checkpoint_load_identified (path, NULL, &rep, how, &error);
      g_assert_no_error (error);
      assert_same_model (got->desc, m->desc);
      g_assert_cmpuint (rep.missing->len, ==, 0);
      g_assert_cmpuint (rep.unexpected->len, ==, 0);
      dv_load_report_clear (&rep);
      for (guint k = 0; k < m->params->len; k++)
        {
          DvParam *p = g_ptr_array_index (m->params, k), *q = g_ptr_array_index (got->params, k);
          if (p->type == DV_PARAM_F32)
            g_assert_cmpmem (p->data, p->numel * 4, q->data, q->numel * 4);
        }
      g_assert_nonnull (strstr (how->str, "model DyRCNNx4: from the path"));
      g_assert_nonnull (strstr (how->str, "seed 42"));
      g_assert_true (how_says (how, "the path's arguments", "n_timesteps=20"));
      g_assert_true (how_says (how, "the path's arguments", "recurrence_type=\"full\""));
      g_assert_true (how_says (how, "the data set cifar10", "n_classes=10"));
      g_assert_true (how_says (how, "the data set cifar10", "input_dims=[1,3,32,32]"));
    }
}

static void
test_dataset_table (void)
{
  /* mnist: 28×28, 1 channel, 10 classes; tinyimagenet 64×64×3, 200 classes */
  const char *kw1[] = { "n_classes=10", "input_dims=[1,1,28,28]" };
  g_autoptr (DvModel) m1 = make_model ("DyRCNNx2", kw1, 2);
  g_autofree char *p1 = write_bare (m1, "models/DyRCNNx2/DyRCNNx2_0/mnist/init.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModelDesc) d1 = identify (p1, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_same_model (d1, m1->desc);
  g_assert_cmpint (d1->in_channels, ==, 1);
  g_assert_cmpint (d1->in_h, ==, 28);
  const char *kw2[] = { "n_classes=200", "input_dims=[1,3,64,64]" };
  g_autoptr (DvModel) m2 = make_model ("DyRCNNx2", kw2, 2);
  g_autofree char *p2 = write_bare (m2, "models/DyRCNNx2/DyRCNNx2_1/tinyimagenet/trained.safetensors", NULL);
  g_autoptr (DvModelDesc) d2 = identify (p2, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_same_model (d2, m2->desc);
  g_assert_cmpint (d2->n_classes, ==, 200);
}

static void
test_hyper_parameters (void)
{
  const char *kw[] = { "n_classes=100", "input_dims=[1,3,32,32]", "dt=2", "tau=5", "rctype=full", "tsteps=12" };
  g_autoptr (DvModel) m = make_model ("DyRCNNx4", kw, 6);
  /* what BaseModel saves: every serialisable attribute, constructor kwargs or not */
  const char *hp = "{\"n_classes\": 100, \"input_dims\": [1, 3, 32, 32], \"dt\": 2.0, \"tau\": 5.0, "
                   "\"recurrence_type\": \"full\", \"n_timesteps\": 12, \"training\": false, "
                   "\"global_step_offset\": 3, \"criterion_name\": \"CrossEntropyLoss\", "
                   "\"loss_fn\": {\"__global__\": \"torch.nn.CrossEntropyLoss\"}}";
  g_autofree char *path = write_bare (m, "plain/hp.safetensors", hp);
  /* no class in the hyper-parameters and no DynVision path: refused, naming the fix */
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModelDesc) none = identify (path, NULL, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_UNIDENTIFIED);
  g_assert_nonnull (strstr (error->message, "--model DyRCNNx4 n_classes=100"));
  g_assert_nonnull (strstr (error->message, "best first: DyRCNNx4"));
  g_clear_error (&error);
  /* the class from --model, the rest from the hyper-parameters */
  g_autoptr (DvModelHint) hint = dv_model_hint_new ("DyRCNNx4", NULL, 0, &error);
  g_assert_no_error (error);
  g_autoptr (GString) how = g_string_new (NULL);
  g_autoptr (DvModelDesc) d = identify (path, hint, how, &error);
  g_assert_no_error (error);
  assert_same_model (d, m->desc);
  g_assert_nonnull (strstr (how->str, "model DyRCNNx4: from --model"));
  g_assert_true (how_says (how, "the Lightning hyper-parameters", "tau=5")
                 || how_says (how, "the Lightning hyper-parameters", "tau=5.0"));
  g_assert_nonnull (strstr (how->str, "Lightning hyper-parameters are not keyword arguments of DyRCNNx4 (ignored): training, global_step_offset, criterion_name, loss_fn"));
  /* a class name among them is used */
  const char *hp2 = "{\"model_name\": \"DyRCNNx4\", \"n_classes\": 100, \"input_dims\": [1, 3, 32, 32], "
                    "\"dt\": 2, \"tau\": 5, \"recurrence_type\": \"full\", \"n_timesteps\": 12}";
  g_autofree char *path2 = write_bare (m, "plain/hp2.safetensors", hp2);
  g_autoptr (DvModelDesc) d2 = identify (path2, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_same_model (d2, m->desc);
}

static void
test_shapes_and_hint (void)
{
  /* nothing but --model DyRCNNx2: the classes and the input channels from the shapes */
  const char *kw[] = { "n_classes=7", "input_dims=[1,1,32,32]" };
  g_autoptr (DvModel) m = make_model ("DyRCNNx2", kw, 2);
  g_autofree char *path = write_bare (m, "plain/shapes.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModelHint) hint = dv_model_hint_new ("DyRCNNx2 input_dims=[1,1,32,32]", NULL, 0, &error);
  g_assert_no_error (error);
  g_autoptr (GString) how = g_string_new (NULL);
  g_autoptr (DvModelDesc) d = identify (path, hint, how, &error);
  g_assert_no_error (error);
  g_assert_cmpint (d->n_classes, ==, 7);
  assert_same_model (d, m->desc);
  g_assert_nonnull (strstr (how->str, "from the shape of"));
  g_assert_nonnull (strstr (strstr (how->str, "from the shape of"), " n_classes=7"));
  g_autoptr (DvModelHint) hint2 = dv_model_hint_new ("DyRCNNx2", NULL, 0, &error);
  g_autoptr (GString) how2 = g_string_new (NULL);
  g_autoptr (DvModelDesc) d2 = identify (path, hint2, how2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (d2->in_channels, ==, 1);
  g_assert_cmpint (d2->n_classes, ==, 7);
  g_assert_nonnull (strstr (how2->str, "(1 input channels)"));
  /* the hint's key=value beat the path's */
  const char *kw3[] = { "tsteps=25" };
  g_autoptr (DvModel) m3 = make_model ("DyRCNNx2", kw3, 1);
  g_autofree char *p3 = write_bare (m3, "models/DyRCNNx2/DyRCNNx2:tsteps=30_0/unknownset/trained.safetensors", NULL);
  const char *extra[] = { "tsteps=25" };
  g_autoptr (DvModelHint) hint3 = dv_model_hint_new ("DyRCNNx2", extra, 1, &error);
  g_autoptr (GString) how3 = g_string_new (NULL);
  g_autoptr (DvModelDesc) d3 = identify (p3, hint3, how3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (d3->n_timesteps, ==, 25);
  assert_same_model (d3, m3->desc);
  g_assert_nonnull (strstr (how3->str, "'unknownset' (from the path): not one of DynVision's"));
  /* a hint that is no preset */
  g_autoptr (DvModelHint) bad = dv_model_hint_new ("NoSuchNet", NULL, 0, &error);
  g_autoptr (DvModelDesc) d4 = identify (path, bad, NULL, &error);
  g_assert_null (d4);
  g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_UNIDENTIFIED);
  g_assert_nonnull (strstr (error->message, "NoSuchNet"));
  g_clear_error (&error);
  g_assert_null (dv_model_hint_new ("n_classes=3", NULL, 0, &error));
  g_assert_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID);
}

static void
test_matching_presets (void)
{
  g_autoptr (DvModel) m = make_model ("CorNetRT", NULL, 0);
  g_autofree char *path = write_bare (m, "plain/cornet.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_checkpoint_open (path, &error);
  g_assert_no_error (error);
  g_autoptr (GArray) scores = NULL;
  g_auto (GStrv) names = dv_checkpoint_matching_presets (st, &scores);
  g_assert_nonnull (names[0]);
  g_assert_cmpstr (names[0], ==, "CorNetRT");
  g_assert_cmpfloat (g_array_index (scores, double, 0), ==, 1.0);
  for (guint i = 1; i < scores->len; i++)
    g_assert_cmpfloat (g_array_index (scores, double, i), <=, g_array_index (scores, double, i - 1));
}

static void
test_not_a_checkpoint (void)
{
  g_autofree char *path = g_build_filename (tmp, "junk.pt", NULL);
  g_assert_true (g_file_set_contents (path, "PK\003\004 not really a zip", -1, NULL));
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_checkpoint_open (path, &error);
  g_assert_null (st);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  g_autofree char *p2 = g_build_filename (tmp, "junk.safetensors", NULL);
  g_assert_true (g_file_set_contents (p2, "xy", -1, NULL));
  g_assert_null (dv_checkpoint_open (p2, &error));
  g_assert_error (error, DV_SAFETENSORS_ERROR, DV_SAFETENSORS_ERROR_TOO_SHORT);
  g_assert_true (dv_checkpoint_path_is_supported ("a/b.PT"));
  g_assert_true (dv_checkpoint_path_is_supported ("a/b.ckpt"));
  g_assert_true (dv_checkpoint_path_is_supported ("a/b.pth"));
  g_assert_false (dv_checkpoint_path_is_supported ("a/b.json"));
}

static void
test_torch_round_trip (void)
{
  const char *kw[] = { "n_classes=10", "input_dims=[1,3,32,32]", "tsteps=20", "rctype=full" };
  g_autoptr (DvModel) m = make_model ("DyRCNNx4", kw, 4);
  g_autofree char *sp = write_bare (m, "plain/for-torch.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_checkpoint_open (sp, &error);
  g_assert_no_error (error);
  g_autofree char *pt = g_build_filename (tmp, "models/DyRCNNx4/DyRCNNx4:tsteps=20+rctype=full_42/cifar10", NULL);
  g_assert_cmpint (g_mkdir_with_parents (pt, 0700), ==, 0);
  g_autofree char *ptf = g_build_filename (pt, "trained.pt", NULL);
  g_assert_true (dv_torch_save (st, ptf, &error));
  g_assert_no_error (error);
  g_autoptr (DvSafetensors) back = dv_checkpoint_open (ptf, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dv_safetensors_n_tensors (back), ==, dv_safetensors_n_tensors (st));
  for (guint i = 0; i < dv_safetensors_n_tensors (st); i++)
    {
      const DvStTensor *a = dv_safetensors_tensor (st, i);
      const DvStTensor *b = dv_safetensors_lookup (back, a->name);
      g_assert_nonnull (b);
      g_assert_cmpint (a->dtype, ==, b->dtype);
      g_assert_cmpmem (a->data, a->nbytes, b->data, b->nbytes);
    }
  g_autoptr (GString) how = g_string_new (NULL);
  g_autoptr (DvModelDesc) d = dv_checkpoint_identify (back, ptf, NULL, how, &error);
  g_assert_no_error (error);
  assert_same_model (d, m->desc);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tmp = g_dir_make_tmp ("dv-identify-XXXXXX", NULL);
  g_assert_nonnull (tmp);
  g_test_add_func ("/identify/own-metadata", test_own_metadata);
  g_test_add_func ("/identify/path-convention", test_path_convention);
  g_test_add_func ("/identify/dataset-table", test_dataset_table);
  g_test_add_func ("/identify/hyper-parameters", test_hyper_parameters);
  g_test_add_func ("/identify/shapes-and-hint", test_shapes_and_hint);
  g_test_add_func ("/identify/matching-presets", test_matching_presets);
  g_test_add_func ("/identify/not-a-checkpoint", test_not_a_checkpoint);
  g_test_add_func ("/identify/torch-round-trip", test_torch_round_trip);
  int rc = g_test_run ();
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  if (system (cmd) != 0)
    g_printerr ("could not remove %s\n", tmp);
  return rc;
}
