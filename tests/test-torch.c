/* test-torch.c — engine/dv-torch.c: torch.save files and Lightning checkpoints.
 *
 * The fixtures in tests/data/torch/ were written by torch 1.13 itself
 * (tests/tools/make-torch-fixtures.py); NAME.expected.json holds the bytes
 * torch gives for each tensor (views made contiguous by torch), so the
 * reader is checked byte for byte against torch, not against itself.
 */
#include "dv-torch.h"
#include "dv-json.h"

#include <glib/gstdio.h>
#include <string.h>

#define PWNED "/tmp/dv-torch-fixture-pwned"

static char *
fixture (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", "torch", name, NULL);
}

static DvSafetensors *
load_fixture (const char *name, GError **error)
{
  g_autofree char *path = fixture (name);
  return dv_torch_load (path, error);
}

static char *
to_hex (const void *data, gsize n)
{
  GString *s = g_string_new (NULL);
  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, "%02x", ((const guint8 *) data)[i]);
  return g_string_free (s, FALSE);
}

/* st has exactly the tensors of NAME.expected.json, in its order, byte for byte. */
static void
check_expected (const DvSafetensors *st, const char *name)
{
  g_autofree char *base = g_strconcat (name, ".expected.json", NULL);
  g_autofree char *path = fixture (base);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) exp = dv_json_parse_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dv_safetensors_n_tensors (st), ==, dv_json_length (exp));
  for (guint i = 0; i < dv_json_length (exp); i++)
    {
      const char *tname = dv_json_object_key (exp, i);
      DvJson *e = dv_json_object_value (exp, i);
      const DvStTensor *t = dv_safetensors_tensor (st, i);
      g_assert_cmpstr (t->name, ==, tname);
      g_assert_cmpstr (dv_dtype_name (t->dtype), ==, dv_json_get_string (e, "dtype", NULL));
      DvJson *shape = dv_json_object_get (e, "shape");
      g_assert_cmpint (t->ndim, ==, dv_json_length (shape));
      for (int d = 0; d < t->ndim; d++)
        g_assert_cmpint (t->shape[d], ==, dv_json_int (dv_json_array_get (shape, d)));
      g_autofree char *hex = to_hex (t->data, t->nbytes);
      g_assert_cmpstr (hex, ==, dv_json_get_string (e, "hex", NULL));
    }
}

static void
test_plain (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = load_fixture ("plain.pt", &error);
  g_assert_no_error (error);
  check_expected (st, "plain.pt");
  g_assert_cmpstr (dv_safetensors_metadata (st, "dynvision.source_format"), ==, "torch");
  g_assert_null (dv_safetensors_metadata (st, "dynvision.hyper_parameters"));
  /* the shared storage's two views, the transposed one */
  const DvStTensor *b = dv_safetensors_lookup (st, "shared_b");
  g_autofree float *bv = dv_st_tensor_to_f32 (b);
  g_assert_cmpfloat (bv[0], ==, 1.0f);
  g_assert_cmpfloat (bv[3], ==, 1.75f);
  g_assert_cmpint (dv_safetensors_lookup (st, "tau")->ndim, ==, 0);
  g_assert_cmpint (dv_safetensors_lookup (st, "empty")->numel, ==, 0);
  g_assert_cmpint (dv_safetensors_lookup (st, "view")->shape[0], ==, 2);

  g_autofree char *path = fixture ("plain.pt");
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_autoptr (GBytes) bytes = g_bytes_new (contents, len);
  g_assert_true (dv_torch_bytes_look_like_torch (bytes));
  g_autoptr (GBytes) st_bytes = g_bytes_new ("\x10\0\0\0\0\0\0\0{}", 10);
  g_assert_false (dv_torch_bytes_look_like_torch (st_bytes));

  g_autoptr (DvSafetensors) missing = dv_torch_load ("/nonexistent/x.pt", &error);
  g_assert_null (missing);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void
test_expand (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = load_fixture ("expand.pt", &error);
  g_assert_no_error (error);
  check_expected (st, "expand.pt");
}

static void
test_lightning (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = load_fixture ("lightning.ckpt", &error);
  g_assert_no_error (error);
  check_expected (st, "lightning.ckpt"); /* "model." stripped; optimizer moments not among them */
  g_assert_cmpstr (dv_safetensors_metadata (st, "dynvision.source_format"), ==, "lightning");
  const char *hp_text = dv_safetensors_metadata (st, "dynvision.hyper_parameters");
  g_assert_nonnull (hp_text);
  g_autoptr (DvJson) hp = dv_json_parse (hp_text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (dv_json_get_number (hp, "lr", 0), ==, 0.001);
  g_assert_true (dv_json_is_int (dv_json_object_get (hp, "n_timesteps")));
  g_assert_cmpint (dv_json_get_int (hp, "n_timesteps", 0), ==, 20);
  g_assert_cmpstr (dv_json_get_string (hp, "model_name", NULL), ==, "DyRCNNx2");
  g_assert_cmpint (dv_json_type (dv_json_object_get (hp, "dropout")), ==, DV_JSON_NULL);
  g_assert_true (dv_json_get_bool (hp, "use_bias", FALSE));
  DvJson *dims = dv_json_object_get (hp, "dims");
  g_assert_cmpuint (dv_json_length (dims), ==, 3);
  g_assert_cmpint (dv_json_int (dv_json_array_get (dims, 2)), ==, 32);
  DvJson *nested = dv_json_object_get (hp, "nested");
  g_assert_cmpfloat (dv_json_get_number (nested, "a", 0), ==, 1.5);
  g_assert_cmpstr (dv_json_string (dv_json_array_get (dv_json_object_get (nested, "b"), 1)), ==, "two");
  g_assert_cmpstr (dv_json_get_string (dv_json_object_get (hp, "thing"), "__global__", NULL), ==,
                   "__main__.Foreign");
}

static void
test_malicious (void)
{
  g_unlink (PWNED);
  g_autoptr (GError) error = NULL;
  DvSafetensors *st = load_fixture ("malicious-top.pt", &error);
  g_assert_null (st);
  g_assert_error (error, DV_TORCH_ERROR, DV_TORCH_ERROR_UNSAFE);
  g_assert_nonnull (strstr (error->message, "posix.system"));
  g_assert_nonnull (strstr (error->message, "malicious-top.pt"));
  g_clear_error (&error);

  st = load_fixture ("malicious-value.pt", &error);
  g_assert_null (st);
  g_assert_error (error, DV_TORCH_ERROR, DV_TORCH_ERROR_UNSAFE);
  g_clear_error (&error);

  /* in the hyper_parameters it is inert data: the weights load */
  g_autoptr (DvSafetensors) ok = load_fixture ("malicious-hparams.ckpt", &error);
  g_assert_no_error (error);
  g_assert_nonnull (dv_safetensors_lookup (ok, "w"));
  g_autoptr (DvJson) hp = dv_json_parse (dv_safetensors_metadata (ok, "dynvision.hyper_parameters"),
                                         -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dv_json_get_string (dv_json_object_get (hp, "evil"), "__global__", NULL), ==,
                   "posix.system");
  g_assert_cmpfloat (dv_json_get_number (hp, "lr", 0), ==, 0.5);

  g_assert_false (g_file_test (PWNED, G_FILE_TEST_EXISTS));
}

/* A self-referencing list in the hyper_parameters: bounded JSON, quickly. */
static void
test_cyclic_hparams (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = load_fixture ("cyclic-hparams.ckpt", &error);
  g_assert_no_error (error);
  const char *text = dv_safetensors_metadata (st, "dynvision.hyper_parameters");
  g_assert_cmpuint (strlen (text), <, 10 * 1000 * 1000);
  g_autoptr (DvJson) hp = dv_json_parse (text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (dv_json_get_number (hp, "lr", 0), ==, 0.5);
  g_assert_cmpint (dv_json_type (dv_json_object_get (hp, "loop")), ==, DV_JSON_ARRAY);
}

static void
test_bad_fixtures (void)
{
  static const char *codes[] = { "ZIP", "PICKLE", "UNSAFE", "STORAGE", "TOO_LARGE", "CONTENT" };
  g_autofree char *path = fixture ("errors.json");
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) errors = dv_json_parse_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dv_json_length (errors), >=, 15);
  for (guint i = 0; i < dv_json_length (errors); i++)
    {
      const char *name = dv_json_object_key (errors, i);
      const char *want = dv_json_string (dv_json_object_value (errors, i));
      g_autoptr (DvSafetensors) st = load_fixture (name, &error);
      if (g_test_verbose ())
        g_printerr ("%s: %s\n", name, error ? error->message : "(loaded)");
      g_assert_null (st);
      g_assert_nonnull (error);
      g_assert_true (error->domain == DV_TORCH_ERROR);
      g_assert_cmpstr (codes[error->code], ==, want);
      g_assert_nonnull (strstr (error->message, name));
      g_clear_error (&error);
    }
}

static void assert_same_tensors (const DvSafetensors *a, const DvSafetensors *b);

/* Every truncation of a real file is refused.  A flipped byte is refused or
 * changes nothing: the stored entries are CRC-checked, so what loads despite
 * a flip (in a date, a version field, the 'Z' padding) has the same tensors. */
static void
test_truncated_and_flipped (void)
{
  g_autofree char *path = fixture ("plain.pt");
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) orig = dv_torch_load (path, &error);
  g_assert_no_error (error);
  for (gsize n = 0; n < len; n++)
    {
      g_autoptr (GBytes) b = g_bytes_new (contents, n);
      g_autoptr (DvSafetensors) st = dv_torch_load_from_bytes (b, "cut.pt", &error);
      g_assert_null (st);
      g_assert_true (error->domain == DV_TORCH_ERROR);
      g_assert_true (g_str_has_prefix (error->message, "cut.pt: "));
      g_clear_error (&error);
    }
  guint refused = 0;
  for (gsize at = 0; at < len; at++)
    {
      g_autofree guint8 *copy = g_memdup2 (contents, len);
      copy[at] ^= 0x55;
      g_autoptr (GBytes) b = g_bytes_new (copy, len);
      g_autoptr (DvSafetensors) st = dv_torch_load_from_bytes (b, "flipped.pt", &error);
      if (st == NULL)
        {
          g_assert_true (error->domain == DV_TORCH_ERROR);
          g_clear_error (&error);
          refused++;
        }
      else
        assert_same_tensors (orig, st);
    }
  g_assert_cmpuint (refused, >, len / 2);
}

/* A set of every dtype, a scalar, an empty tensor and metadata. */
static DvSafetensors *
make_set (void)
{
  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  guint8 bytes[64];
  for (guint i = 0; i < sizeof bytes; i++)
    bytes[i] = (guint8) (i * 37 + 11);
  gint64 s23[] = { 2, 3 }, s4[] = { 4 }, s0[] = { 0, 5 }, s2[] = { 2 }, s1111[] = { 1, 2, 1, 2, 1 };
  dv_safetensors_writer_add (w, "layer1.conv.weight", DV_DTYPE_F32, 2, s23, bytes);
  dv_safetensors_writer_add (w, "f64", DV_DTYPE_F64, 1, s4, bytes);
  dv_safetensors_writer_add (w, "f16", DV_DTYPE_F16, 2, s23, bytes);
  dv_safetensors_writer_add (w, "bf16", DV_DTYPE_BF16, 1, s4, bytes + 3);
  dv_safetensors_writer_add (w, "i64", DV_DTYPE_I64, 1, s2, bytes);
  dv_safetensors_writer_add (w, "i32", DV_DTYPE_I32, 1, s4, bytes);
  dv_safetensors_writer_add (w, "i16", DV_DTYPE_I16, 1, s4, bytes);
  dv_safetensors_writer_add (w, "i8", DV_DTYPE_I8, 5, s1111, bytes);
  dv_safetensors_writer_add (w, "u8", DV_DTYPE_U8, 1, s4, bytes + 1);
  guint8 mask[] = { 1, 0, 0, 1 };
  dv_safetensors_writer_add (w, "mask", DV_DTYPE_BOOL, 1, s4, mask);
  dv_safetensors_writer_add (w, "tau_layer1", DV_DTYPE_F32, 0, NULL, bytes);
  dv_safetensors_writer_add (w, "empty", DV_DTYPE_F32, 2, s0, bytes);
  dv_safetensors_writer_set_metadata (w, "dynvision.model", "DyRCNNx2");
  dv_safetensors_writer_set_metadata (w, "dynvision.desc", "{\"a\": [1, 2.0], \"é\": \"\\n\"}");
  dv_safetensors_writer_set_metadata (w, "format", "pt"); /* not dynvision.*: not carried */
  g_autoptr (GBytes) b = dv_safetensors_writer_to_bytes (w);
  g_autoptr (GError) error = NULL;
  DvSafetensors *st = dv_safetensors_load_from_bytes (b, "made", &error);
  g_assert_no_error (error);
  return st;
}

static void
assert_same_tensors (const DvSafetensors *a, const DvSafetensors *b)
{
  g_assert_cmpuint (dv_safetensors_n_tensors (a), ==, dv_safetensors_n_tensors (b));
  for (guint i = 0; i < dv_safetensors_n_tensors (a); i++)
    {
      const DvStTensor *x = dv_safetensors_tensor (a, i), *y = dv_safetensors_tensor (b, i);
      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpint (x->dtype, ==, y->dtype);
      g_assert_cmpint (x->ndim, ==, y->ndim);
      for (int d = 0; d < x->ndim; d++)
        g_assert_cmpint (x->shape[d], ==, y->shape[d]);
      g_assert_cmpmem (x->data, x->nbytes, y->data, y->nbytes);
    }
}

static char *
save_tmp (const DvSafetensors *st, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dv-torch-XXXXXX", &error);
  g_assert_no_error (error);
  char *path = g_build_filename (dir, name, NULL);
  g_assert_true (dv_torch_save (st, path, &error));
  g_assert_no_error (error);
  return path;
}

static void
remove_tmp (const char *path)
{
  g_unlink (path);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_rmdir (dir), ==, 0); /* no temporary file left beside it */
}

static void
test_round_trip (void)
{
  g_autoptr (DvSafetensors) st = make_set ();
  g_autofree char *path = save_tmp (st, "model.pt");
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) back = dv_torch_load (path, &error);
  g_assert_no_error (error);
  assert_same_tensors (st, back);
  g_assert_cmpstr (dv_safetensors_metadata (back, "dynvision.model"), ==, "DyRCNNx2");
  g_assert_cmpstr (dv_safetensors_metadata (back, "dynvision.desc"), ==,
                   dv_safetensors_metadata (st, "dynvision.desc"));
  g_assert_cmpstr (dv_safetensors_metadata (back, "dynvision.source_format"), ==, "torch");
  g_assert_null (dv_safetensors_metadata (back, "format"));
  g_assert_cmpuint (g_strv_length ((char **) dv_safetensors_metadata_keys (back)), ==, 3);

  /* what was read, saved and read again saves to the same bytes (the writer is
   * deterministic and carries dynvision.source_format like the rest) */
  g_autofree char *first = NULL, *second = NULL;
  gsize n1, n2;
  g_assert_true (dv_torch_save (back, path, &error));
  g_assert_true (g_file_get_contents (path, &first, &n1, NULL));
  g_autoptr (DvSafetensors) back2 = dv_torch_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (dv_torch_save (back2, path, &error));
  g_assert_true (g_file_get_contents (path, &second, &n2, NULL));
  g_assert_cmpmem (first, n1, second, n2);
  remove_tmp (path);

  /* torch's own file through our writer */
  g_autoptr (DvSafetensors) plain = load_fixture ("plain.pt", &error);
  g_assert_no_error (error);
  g_autofree char *p2 = save_tmp (plain, "plain.pt");
  g_autoptr (DvSafetensors) plain2 = dv_torch_load (p2, &error);
  g_assert_no_error (error);
  assert_same_tensors (plain, plain2);
  remove_tmp (p2);
}

static gboolean
python_has_torch (void)
{
  const char *argv[] = { "/usr/bin/python3", "-c", "import torch", NULL };
  int status = 1;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, NULL))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
}

/* torch.load (path, weights_only=True) reads what dv_torch_save wrote: the
 * same tensors bit for bit, the metadata in _metadata, entries 64-byte aligned. */
static const char torch_check_py[] =
  "import sys, json, zipfile, torch\n"
  "path = sys.argv[1]\n"
  "sd = torch.load(path, weights_only=True)\n"
  "out = {'tensors': {}, 'meta': dict(sd._metadata['__dynvision__'])}\n"
  "names = {torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16', torch.bfloat16: 'BF16',\n"
  "         torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8',\n"
  "         torch.uint8: 'U8', torch.bool: 'BOOL'}\n"
  "for k, t in sd.items():\n"
  "    assert t.is_contiguous() and not t.requires_grad\n"
  "    raw = t.reshape(-1).view(torch.uint8).numpy().tobytes()\n"
  "    out['tensors'][k] = [names[t.dtype], list(t.shape), raw.hex()]\n"
  "with zipfile.ZipFile(path) as z, open(path, 'rb') as f:\n"
  "    assert z.testzip() is None\n"
  "    for i in z.infolist():\n"
  "        f.seek(i.header_offset + 26)\n"
  "        n, e = int.from_bytes(f.read(2), 'little'), int.from_bytes(f.read(2), 'little')\n"
  "        assert (i.header_offset + 30 + n + e) % 64 == 0, i.filename\n"
  "print(json.dumps(out))\n";

static void
test_torch_load (void)
{
  if (!python_has_torch ())
    {
      g_test_skip ("/usr/bin/python3 cannot import torch");
      return;
    }
  g_autoptr (DvSafetensors) st = make_set ();
  g_autofree char *path = save_tmp (st, "for-torch.pt");
  const char *argv[] = { "/usr/bin/python3", "-c", torch_check_py, path, NULL };
  g_autofree char *out = NULL, *err = NULL;
  int status;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("torch.load refused what dv_torch_save wrote:\n%s", err);
  g_autoptr (DvJson) j = dv_json_parse (out, -1, &error);
  g_assert_no_error (error);
  DvJson *tensors = dv_json_object_get (j, "tensors");
  g_assert_cmpuint (dv_json_length (tensors), ==, dv_safetensors_n_tensors (st));
  for (guint i = 0; i < dv_safetensors_n_tensors (st); i++)
    {
      const DvStTensor *t = dv_safetensors_tensor (st, i);
      g_assert_cmpstr (dv_json_object_key (tensors, i), ==, t->name);
      DvJson *e = dv_json_object_value (tensors, i);
      g_assert_cmpstr (dv_json_string (dv_json_array_get (e, 0)), ==, dv_dtype_name (t->dtype));
      DvJson *shape = dv_json_array_get (e, 1);
      g_assert_cmpint (dv_json_length (shape), ==, t->ndim);
      for (int d = 0; d < t->ndim; d++)
        g_assert_cmpint (dv_json_int (dv_json_array_get (shape, d)), ==, t->shape[d]);
      g_autofree char *hex = to_hex (t->data, t->nbytes);
      g_assert_cmpstr (dv_json_string (dv_json_array_get (e, 2)), ==, hex);
    }
  DvJson *meta = dv_json_object_get (j, "meta");
  g_assert_cmpuint (dv_json_length (meta), ==, 2);
  g_assert_cmpstr (dv_json_get_string (meta, "dynvision.model", NULL), ==, "DyRCNNx2");
  g_assert_cmpstr (dv_json_get_string (meta, "dynvision.desc", NULL), ==,
                   dv_safetensors_metadata (st, "dynvision.desc"));
  remove_tmp (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/torch/plain", test_plain);
  g_test_add_func ("/torch/expand", test_expand);
  g_test_add_func ("/torch/lightning", test_lightning);
  g_test_add_func ("/torch/malicious", test_malicious);
  g_test_add_func ("/torch/cyclic-hparams", test_cyclic_hparams);
  g_test_add_func ("/torch/bad-fixtures", test_bad_fixtures);
  g_test_add_func ("/torch/truncated-and-flipped", test_truncated_and_flipped);
  g_test_add_func ("/torch/round-trip", test_round_trip);
  g_test_add_func ("/torch/torch-load", test_torch_load);
  return g_test_run ();
}
