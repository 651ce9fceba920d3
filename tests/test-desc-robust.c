/* test-desc-robust.c — descriptions, checkpoints, inputs and interrupted saves
 * that used to crash or silently mislead the engine (issue 11, Deliver 5):
 * each is fed as the user would (a description, a checkpoint, `dynvision
 * run`/`init`/`grad` through DV_CLI) and must end in a clear error, or in the
 * model the description says. */
#include "dv-checkpoint.h"
#include "dv-desc.h"
#include "dv-model.h"
#include "dv-safetensors.h"
#include "dv-tempfile.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* The two-area DyRCNNx2 on 3×32×32 inputs, 3 timesteps, 10 classes, as JSON. */
static DvJson *
base_json (void)
{
  g_autoptr (GError) error = NULL;
  const char *kw[] = { "input_dims=[3,3,32,32]", "n_classes=10" };
  g_autoptr (DvJson) kwargs = dv_kwargs_parse (kw, 2, &error);
  g_autoptr (DvModelDesc) d = dv_preset_build ("DyRCNNx2", kwargs, &error);
  g_assert_no_error (error);
  return dv_model_desc_to_json (d);
}

static DvJson *
layer (DvJson *j, guint i)
{
  return dv_json_array_get (dv_json_object_get (j, "layers"), i);
}

/* from_json (and, if that passes, dv_model_new) must refuse j with a message
 * holding every one of the NULL-terminated words */
static void
assert_refused (const DvJson *j, ...)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModelDesc) d = dv_model_desc_from_json (j, &error);
  g_autoptr (DvModel) m = d ? dv_model_new (d, &error) : NULL;
  g_assert_null (m);
  g_assert_nonnull (error);
  g_test_message ("refused: %s", error->message);
  va_list ap;
  va_start (ap, j);
  for (const char *w = va_arg (ap, const char *); w; w = va_arg (ap, const char *))
    if (strstr (error->message, w) == NULL)
      g_error ("'%s' is not in the message: %s", w, error->message);
  va_end (ap);
}

static char *
write_json (const char *dir, const char *name, const DvJson *j)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = dv_json_to_string (j, FALSE);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* Runs DV_CLI with argv; returns its exit status and its stderr in *err. */
static int
cli (char **err, ...)
{
  const char *exe = g_getenv ("DV_CLI");
  g_assert_nonnull (exe);
  GPtrArray *argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) exe);
  va_list ap;
  va_start (ap, err);
  for (const char *a = va_arg (ap, const char *); a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, err, &status,
                               &error));
  g_assert_no_error (error);
  g_ptr_array_unref (argv);
  g_assert_true (WIFEXITED (status)); /* no signal: no crash */
  g_test_message ("exit %d: %s", WEXITSTATUS (status), *err);
  return WEXITSTATUS (status);
}

static char *
tmp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("dv-robust-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, n, NULL);
      g_unlink (p);
    }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

static void write_input (const char *path, gint64 B, gint64 T, float poison, gint64 at, const gint64 *labels);

/* ------------------------------------------------------------------------ */

/* A layer without "tstep" keeps its default tstep (the freed name was read
 * as the default: a use-after-free, and `init` wrote no tau tensor). */
static void
test_missing_tstep (void)
{
  g_autoptr (DvJson) j = base_json ();
  g_assert_true (dv_json_object_remove (layer (j, 0), "tstep"));
  g_assert_true (dv_json_object_remove (layer (j, 1), "tstep"));
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModelDesc) d = dv_model_desc_from_json (j, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (d->layers[0].tstep_name, ==, "tstep_layer1");
  g_assert_cmpstr (d->layers[1].tstep_name, ==, "tstep_layer2");

  /* through `dynvision init`: the checkpoint holds both tau tensors */
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = write_json (dir, "m.json", j);
  g_autofree char *ckpt = g_build_filename (dir, "m.safetensors", NULL);
  g_autofree char *err = NULL;
  g_assert_cmpint (cli (&err, "init", path, "-o", ckpt, NULL), ==, 0);
  g_autoptr (DvSafetensors) st = dv_safetensors_load (ckpt, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 2; i++)
    {
      const DvStTensor *t = dv_safetensors_lookup (st, i ? "tstep_layer2.tau" : "tstep_layer1.tau");
      g_assert_nonnull (t);
      g_autofree float *v = dv_st_tensor_to_f32 (t);
      g_assert_cmpfloat (v[0], ==, (float) d->layers[i].tau);
    }

  /* "tstep": null still means no tstep */
  dv_json_object_set (layer (j, 1), "tstep", dv_json_new_null ());
  g_autoptr (DvModelDesc) d2 = dv_model_desc_from_json (j, &error);
  g_assert_no_error (error);
  g_assert_null (d2->layers[1].tstep_name);
  rm_rf (dir);
}

/* Two modules of one name registered their tensors twice: a CRITICAL, then
 * op_conv dereferenced the NULL parameter. */
static void
test_duplicate_names (void)
{
  struct {
    guint layer;
    const char *key, *value;
  } cases[] = {
    { 1, "module", "layer1" },
    { 1, "tstep", "tstep_layer1" },
    { 0, "module", "classifier.2" },
    { 1, "tstep", "classifier.2" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (DvJson) j = base_json ();
      dv_json_object_set (layer (j, cases[i].layer), cases[i].key, dv_json_new_string (cases[i].value));
      assert_refused (j, "two modules are named", cases[i].value, NULL);
    }
  /* a norm named like the other layer's tstep */
  g_autoptr (DvJson) j = base_json ();
  DvJson *norm = dv_json_new_object ();
  dv_json_object_set (norm, "kind", dv_json_new_string ("batch"));
  dv_json_object_set (norm, "name", dv_json_new_string ("tstep_layer1"));
  dv_json_object_set (layer (j, 1), "norm", norm);
  assert_refused (j, "two modules are named", "tstep_layer1", "norm", NULL);
  /* a norm named like a submodule of a layer: caught when the model is built */
  dv_json_object_set (norm, "name", dv_json_new_string ("layer1.conv"));
  assert_refused (j, "layer1.conv.weight", NULL);
  /* two connections of one name */
  g_autoptr (DvJson) k = base_json ();
  DvJson *conns = dv_json_object_get (k, "connections");
  g_assert_cmpuint (dv_json_length (conns), ==, 1);
  dv_json_array_append (conns, dv_json_copy (dv_json_array_get (conns, 0)));
  assert_refused (k, "two modules are named", "addskip_layer2", NULL);
}

/* stride2 = 0 and a connection's stride 0 divided by zero in validation;
 * kernel_size2 = 0 passed validation. */
static void
test_zero_stride_kernel (void)
{
  const char *keys[] = { "stride2", "kernel_size2" };
  for (int i = 0; i < 2; i++)
    {
      g_autoptr (DvJson) j = base_json ();
      dv_json_object_set (layer (j, 0), "mid_channels", dv_json_new_int (8));
      dv_json_object_set (layer (j, 0), keys[i], dv_json_new_int (0));
      assert_refused (j, "layer layer1", "kernel_size2 ≥ 1 and stride2 ≥ 1", NULL);
    }
  const char *forms[] = { "conv_bn", "conv" };
  for (int i = 0; i < 2; i++)
    {
      g_autoptr (DvJson) j = base_json ();
      DvJson *c = dv_json_array_get (dv_json_object_get (j, "connections"), 0);
      dv_json_object_set (c, "form", dv_json_new_string (forms[i]));
      dv_json_object_set (c, "stride", dv_json_new_int (0));
      dv_json_object_set (c, "kernel_size", dv_json_new_int (1));
      assert_refused (j, "connection addskip_layer2", "stride must be ≥ 1 (have 0)", NULL);
    }
}

/* Sizes that aborted in g_malloc, or wrapped int. */
static void
test_size_bounds (void)
{
  struct {
    guint layer;
    const char *key;
    gint64 value;
    const char *word;
  } cases[] = {
    { 0, "out_channels", 100000, "GB" },
    { 0, "out_channels", 1000000000, "GB" },
    { 0, "out_channels", G_GINT64_CONSTANT (4294967312), "integer in" }, /* was read as 16 */
    { 0, "padding", G_MAXINT - 1, "GB" },
    { 0, "kernel_size", 20001, "GB" },
    { 1, "recurrence_kernel_size", 30001, "GB" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (DvJson) j = base_json ();
      dv_json_object_set (layer (j, cases[i].layer), cases[i].key, dv_json_new_int (cases[i].value));
      if (strcmp (cases[i].key, "out_channels") == 0)
        dv_json_object_set (layer (j, 1), "in_channels", dv_json_new_int (cases[i].value));
      if (strcmp (cases[i].key, "kernel_size") == 0) /* "same" padding, so the map fits */
        dv_json_object_set (layer (j, cases[i].layer), "padding", dv_json_new_int (-1));
      assert_refused (j, cases[i].word, NULL);
    }
  g_autoptr (DvJson) j = base_json ();
  dv_json_object_set (j, "n_classes", dv_json_new_int (2000000000));
  assert_refused (j, "the model asks for", "GB", NULL);
  DvJson *dims = dv_json_new_array ();
  gint64 big[4] = { 3, 3, 1000000, 1000000 };
  for (int k = 0; k < 4; k++)
    dv_json_array_append (dims, dv_json_new_int (big[k]));
  g_autoptr (DvJson) k = base_json ();
  dv_json_object_set (k, "input_dims", dims);
  assert_refused (k, "GB", NULL);
  /* through `dynvision init`: exit 1 with the message, no abort */
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = write_json (dir, "big.json", j);
  g_autofree char *ckpt = g_build_filename (dir, "big.safetensors", NULL);
  g_autofree char *err = NULL;
  g_assert_cmpint (cli (&err, "init", path, "-o", ckpt, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "asks for"));
  g_assert_false (g_file_test (ckpt, G_FILE_TEST_EXISTS));
  rm_rf (dir);

  /* the same bound for a batch (dv_trainer_new, dynvision run/grad) */
  g_autoptr (DvJson) base = base_json ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModelDesc) d = dv_model_desc_from_json (base, &error);
  g_assert_no_error (error);
  g_assert_true (dv_model_desc_check_size (d, 16, &error));
  g_assert_false (dv_model_desc_check_size (d, 2000000000, &error));
  g_assert_nonnull (strstr (error->message, "for 2000000000 samples"));
  g_assert_nonnull (strstr (error->message, "the batch size"));
}

/* A bad description in a checkpoint's dynvision.description metadata reaches
 * `dynvision run` as a refusal (it crashed the CLI before). */
static void
test_bad_description_in_checkpoint (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autoptr (DvJson) j = base_json ();
  dv_json_object_set (layer (j, 1), "module", dv_json_new_string ("layer1"));
  g_autofree char *text = dv_json_to_string (j, FALSE);
  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  float v = 0;
  dv_safetensors_writer_add (w, "layer1.conv.bias", DV_DTYPE_F32, 0, NULL, &v);
  dv_safetensors_writer_set_metadata (w, "dynvision.description", text);
  g_autofree char *ckpt = g_build_filename (dir, "dup.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_safetensors_writer_save (w, ckpt, &error));
  g_autofree char *in = g_build_filename (dir, "x.safetensors", NULL);
  g_autofree char *out = g_build_filename (dir, "y.safetensors", NULL);
  g_autofree char *err = NULL;
  write_input (in, 1, 3, 0, -1, NULL);
  g_assert_cmpint (cli (&err, "run", "-c", ckpt, "-i", in, "-o", out, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "two modules are named 'layer1'"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  rm_rf (dir);
}

/* (int)(history/dt) overflowed; NaN delays were accepted; 2³¹−1 idle steps hung. */
static void
test_delays_and_steps (void)
{
  struct {
    const char *key;
    double value;
    const char *word;
  } top[] = {
    { "dt", 1e-300, "steps" },
    { "t_recurrence", NAN, "finite" },
    { "t_feedback", INFINITY, "finite" },
    { "dt", NAN, "dt must be" },
    { "idle_timesteps", 2147483647.0, "idle_timesteps must be in [0, 100000]" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (top); i++)
    {
      g_autoptr (DvJson) j = base_json ();
      dv_json_object_set (j, top[i].key, dv_json_new_number (top[i].value));
      /* a layer's own delays default to the model's, which the JSON lists: drop them */
      for (int l = 0; l < 2; l++)
        dv_json_object_remove (layer (j, l), top[i].key);
      assert_refused (j, top[i].word, NULL);
    }
  const char *lkeys[] = { "t_recurrence", "t_feedforward" };
  double lvals[] = { 1e300, NAN };
  for (int i = 0; i < 2; i++)
    {
      g_autoptr (DvJson) j = base_json ();
      dv_json_object_set (layer (j, 1), lkeys[i], dv_json_new_number (lvals[i]));
      assert_refused (j, i == 0 ? "delays reach back at most 100000 steps" : "finite", NULL);
    }
  g_autoptr (DvJson) j = base_json ();
  DvJson *c = dv_json_array_get (dv_json_object_get (j, "connections"), 0);
  dv_json_object_set (c, "t_ms", dv_json_new_number (NAN));
  assert_refused (j, "connection addskip_layer2", "t_ms", NULL);
  dv_json_object_set (c, "t_ms", dv_json_new_number (1e12));
  assert_refused (j, "connection addskip_layer2", "100000 steps", NULL);

  /* the preset path: t_recurrence=nan as a keyword argument */
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) kwargs = dv_json_new_object ();
  dv_json_object_set (kwargs, "t_recurrence", dv_json_new_number (NAN));
  g_autoptr (DvModelDesc) d = dv_preset_build ("DyRCNNx2", kwargs, &error);
  g_assert_null (d);
  g_assert_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID);
}

/* ------------------------------------------------------------------------ */

static void
write_input (const char *path, gint64 B, gint64 T, float poison, gint64 at, const gint64 *labels)
{
  gint64 n = MAX (B, 1) * T * 3 * 32 * 32;
  g_autofree float *x = g_new0 (float, n);
  for (gint64 i = 0; i < n; i++)
    x[i] = (float) ((i * 7919) % 101) / 101.0f;
  if (at >= 0)
    x[at] = poison;
  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  gint64 shape[5] = { B, T, 3, 32, 32 };
  dv_safetensors_writer_add (w, "x", DV_DTYPE_F32, 5, shape, x);
  if (labels)
    dv_safetensors_writer_add (w, "labels", DV_DTYPE_I64, 2, shape, labels);
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_safetensors_writer_save (w, path, &error));
  g_assert_no_error (error);
}

/* B = 0 asserted then dereferenced NULL; NaN/Inf in the input or the weights
 * gave NaN logits and exit 0. */
static void
test_cli_inputs_and_weights (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autoptr (DvJson) j = base_json ();
  g_autofree char *desc = write_json (dir, "m.json", j);
  g_autofree char *ckpt = g_build_filename (dir, "m.safetensors", NULL);
  g_autofree char *in = g_build_filename (dir, "x.safetensors", NULL);
  g_autofree char *out = g_build_filename (dir, "y.safetensors", NULL);
  g_autofree char *err = NULL;
  g_assert_cmpint (cli (&err, "init", desc, "-o", ckpt, NULL), ==, 0);
  g_clear_pointer (&err, g_free);

  write_input (in, 2, 3, 0, -1, NULL);
  g_assert_cmpint (cli (&err, "run", "-c", ckpt, "-i", in, "-o", out, NULL), ==, 0);
  g_clear_pointer (&err, g_free);

  write_input (in, 0, 3, 0, -1, NULL);
  g_assert_cmpint (cli (&err, "run", "-c", ckpt, "-i", in, "-o", out, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "B = 0 samples"));
  g_clear_pointer (&err, g_free);

  /* element [1, 2, 0, 5, 7] of a [2,3,3,32,32] tensor */
  gint64 at = (((1 * 3 + 2) * 3 + 0) * 32 + 5) * 32 + 7;
  write_input (in, 2, 3, NAN, at, NULL);
  g_assert_cmpint (cli (&err, "run", "-c", ckpt, "-i", in, "-o", out, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "tensor 'x' holds NaN at index [1, 2, 0, 5, 7]"));
  g_clear_pointer (&err, g_free);
  gint64 labels[6] = { 1, 1, -1, 2, 2, 2 };
  write_input (in, 2, 3, -INFINITY, at, labels);
  g_assert_cmpint (cli (&err, "grad", "-c", ckpt, "-i", in, "-o", out, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "-Inf at index [1, 2, 0, 5, 7]"));
  g_clear_pointer (&err, g_free);
  /* a label that is no class */
  labels[4] = 10;
  write_input (in, 2, 3, 0, -1, labels);
  g_assert_cmpint (cli (&err, "grad", "-c", ckpt, "-i", in, "-o", out, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "labels[1, 1] is 10"));
  g_clear_pointer (&err, g_free);
  labels[4] = 2;
  write_input (in, 2, 3, 0, -1, labels);
  g_assert_cmpint (cli (&err, "grad", "-c", ckpt, "-i", in, "-o", out, NULL), ==, 0);
  g_clear_pointer (&err, g_free);

  /* a checkpoint with one NaN weight: refused by every loader, named */
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) m = dv_checkpoint_load (ckpt, NULL, &error);
  g_assert_no_error (error);
  DvParam *p = dv_model_lookup (m, "layer2.conv.weight");
  g_assert_nonnull (p);
  g_assert_cmpint (p->ndim, ==, 4);
  gint64 idx = ((3 * p->shape[1] + 4) * p->shape[2] + 1) * p->shape[3] + 2;
  p->data[idx] = NAN;
  g_autofree char *bad = g_build_filename (dir, "nan.safetensors", NULL);
  g_assert_true (dv_checkpoint_save (m, bad, NULL, &error));
  g_autoptr (DvModel) m2 = dv_checkpoint_load (bad, NULL, &error);
  g_assert_null (m2);
  g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CHECKPOINT);
  g_assert_nonnull (strstr (error->message, "tensor 'layer2.conv.weight' holds NaN at index [3, 4, 1, 2]"));
  g_assert_cmpint (cli (&err, "run", "-c", bad, "-i", in, "-o", out, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "layer2.conv.weight' holds NaN at index [3, 4, 1, 2]"));
  g_clear_pointer (&err, g_free);
  rm_rf (dir);
}

/* ------------------------------------------------------------------------ */

static void
touch (const char *dir, const char *name, gboolean old)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (p, "partial", -1, NULL));
  if (old)
    {
      struct timeval tv[2] = { { time (NULL) - 60, 0 }, { time (NULL) - 60, 0 } };
      g_assert_cmpint (utimes (p, tv), ==, 0);
    }
}

static gboolean
exists (const char *dir, const char *name)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  return g_file_test (p, G_FILE_TEST_EXISTS);
}

/* A crash mid-save left temporaries nothing removed: the next save removes
 * the orphans of its own patterns, and nothing else. */
static void
test_stale_temporaries (void)
{
  g_autofree char *dir = tmp_dir ();
  touch (dir, "epoch-3.safetensors.tmp-Ab12Cd", TRUE); /* orphan of another checkpoint */
  touch (dir, "last.safetensors.tmp-Zz99yy", TRUE);
  touch (dir, "metrics.csv.Qw3Er5", TRUE);
  touch (dir, "run.dvproj.json.Xy7Zz1", TRUE);
  touch (dir, "fresh.safetensors.tmp-Fr3sh1", FALSE);  /* touched just now: maybe a writer's */
  touch (dir, "notes.txt.tmp-123456", TRUE);           /* not ours */
  touch (dir, "last.safetensors.tmp-toolong1", TRUE);  /* not mkstemp's six characters */
  /* a live writer's temporary: locked, old */
  g_autofree char *held = g_build_filename (dir, "best.safetensors.tmp-XXXXXX", NULL);
  int fd = dv_temp_create (held);
  g_assert_cmpint (fd, >=, 0);
  struct timeval tv[2] = { { time (NULL) - 60, 0 }, { time (NULL) - 60, 0 } };
  g_assert_cmpint (utimes (held, tv), ==, 0);
  g_autofree char *held_name = g_path_get_basename (held);

  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  float v = 1;
  dv_safetensors_writer_add (w, "v", DV_DTYPE_F32, 0, NULL, &v);
  g_autofree char *last = g_build_filename (dir, "last.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_safetensors_writer_save (w, last, &error));
  g_assert_false (exists (dir, "epoch-3.safetensors.tmp-Ab12Cd"));
  g_assert_false (exists (dir, "last.safetensors.tmp-Zz99yy"));
  g_assert_true (exists (dir, "fresh.safetensors.tmp-Fr3sh1"));
  g_assert_true (exists (dir, held_name));
  g_assert_true (exists (dir, "notes.txt.tmp-123456"));
  g_assert_true (exists (dir, "last.safetensors.tmp-toolong1"));
  g_assert_true (exists (dir, "metrics.csv.Qw3Er5")); /* another pattern: its own writer's job */
  g_assert_true (exists (dir, "last.safetensors"));

  g_autofree char *csv = g_build_filename (dir, "metrics.csv", NULL);
  g_assert_true (dv_file_replace_contents (csv, "epoch,loss\n", -1, &error));
  g_assert_no_error (error);
  g_assert_false (exists (dir, "metrics.csv.Qw3Er5"));
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "epoch,loss\n");
  g_assert_true (exists (dir, "run.dvproj.json.Xy7Zz1"));
  g_assert_cmpuint (dv_temp_remove_stale (dir, DV_TEMP_INFIX_PROJECT), ==, 1);
  g_assert_false (exists (dir, "run.dvproj.json.Xy7Zz1"));

  /* the writer that held its file is done: now it is an orphan */
  close (fd);
  g_assert_cmpuint (dv_temp_remove_stale (dir, DV_TEMP_INFIX_SAFETENSORS), ==, 1);
  g_assert_false (exists (dir, held_name));
  rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/desc-robust/missing-tstep", test_missing_tstep);
  g_test_add_func ("/desc-robust/duplicate-names", test_duplicate_names);
  g_test_add_func ("/desc-robust/zero-stride-kernel", test_zero_stride_kernel);
  g_test_add_func ("/desc-robust/size-bounds", test_size_bounds);
  g_test_add_func ("/desc-robust/delays-and-steps", test_delays_and_steps);
  g_test_add_func ("/desc-robust/bad-description-in-checkpoint", test_bad_description_in_checkpoint);
  g_test_add_func ("/desc-robust/cli-inputs-and-weights", test_cli_inputs_and_weights);
  g_test_add_func ("/desc-robust/stale-temporaries", test_stale_temporaries);
  return g_test_run ();
}
