/* test-safetensors.c — tests of engine/dv-safetensors.c.
 *
 * Round trips of every dtype the engine writes, dtype conversion, the golden
 * files produced by PyTorch (DV_GOLDEN_DIR), one malformed file per kind of
 * damage the loader must reject, and atomic saving.  Not covered: what the
 * tensors mean (test-model.c, test-golden.c).
 */
#include "dv-json.h"
#include "dv-safetensors.h"

#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static char *
make_tmp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("dv-st-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

/* Removes dir and the plain files in it. */
static void
remove_tmp_dir (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        g_rmdir (p);
      else
        g_unlink (p);
    }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (dir);
}

static guint
count_entries (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  guint n = 0;
  while (g_dir_read_name (d) != NULL)
    n++;
  g_dir_close (d);
  return n;
}

/* ------------------------------------------------------------------------ */
/* Round trips                                                               */

static const float f32_data[6] = { 1.5f, -2.25f, 0.0f, 3.0e-8f, -0.0f, 1e30f };
static const gint64 i64_data[4] = { G_MININT64, -1, 0, G_MAXINT64 };
static const gint32 i32_data[4] = { -7, 0, 7, G_MAXINT32 };
static const double f64_data[3] = { 0.1, -1e300, 5e-324 };
static const guint8 u8_data[5] = { 0, 1, 127, 128, 255 };
static const float scalar = 42.5f;

static DvSafetensorsWriter *
make_writer (void)
{
  DvSafetensorsWriter *w = dv_safetensors_writer_new ();
  /* Tensors are added in a non-alphabetical order to check order is kept. */
  dv_safetensors_writer_add (w, "w.f32", DV_DTYPE_F32, 2, (gint64[]){ 2, 3 }, f32_data);
  dv_safetensors_writer_add (w, "u8 odd size", DV_DTYPE_U8, 1, (gint64[]){ 5 }, u8_data);
  dv_safetensors_writer_add (w, "b.i64", DV_DTYPE_I64, 1, (gint64[]){ 4 }, i64_data);
  dv_safetensors_writer_add (w, "a.i32", DV_DTYPE_I32, 2, (gint64[]){ 2, 2 }, i32_data);
  dv_safetensors_writer_add (w, "f64", DV_DTYPE_F64, 1, (gint64[]){ 3 }, f64_data);
  dv_safetensors_writer_add (w, "scalar", DV_DTYPE_F32, 0, NULL, &scalar);
  dv_safetensors_writer_add (w, "empty", DV_DTYPE_F32, 2, (gint64[]){ 0, 3 }, NULL);
  dv_safetensors_writer_add (w, "empty.i64", DV_DTYPE_I64, 1, (gint64[]){ 0 }, NULL);
  dv_safetensors_writer_set_metadata (w, "zeta", "first key set");
  dv_safetensors_writer_set_metadata (w, "名前", "Grüße \"quoted\"\n\ttab 😀");
  dv_safetensors_writer_set_metadata (w, "dynvision.config", "{\"dt\": 2.0, \"n\": 3}");
  dv_safetensors_writer_set_metadata (w, "zeta", "replaced in place");
  return w;
}

static void
check_tensor (const DvSafetensors *st, guint index, const char *name, DvDtype dtype, int ndim,
              const gint64 *shape, const void *data, gsize nbytes)
{
  const DvStTensor *t = dv_safetensors_tensor (st, index);
  g_assert_cmpstr (t->name, ==, name);
  g_assert_true (dv_safetensors_lookup (st, name) == t);
  g_assert_cmpint (t->dtype, ==, dtype);
  g_assert_cmpint (t->ndim, ==, ndim);
  gint64 numel = 1;
  for (int d = 0; d < ndim; d++)
    {
      g_assert_cmpint (t->shape[d], ==, shape[d]);
      numel *= shape[d];
    }
  g_assert_cmpint (t->numel, ==, numel);
  g_assert_cmpuint (t->nbytes, ==, nbytes);
  g_assert_cmpmem (t->data, t->nbytes, data, nbytes);
}

static void
check_round_trip (const DvSafetensors *st)
{
  g_assert_cmpuint (dv_safetensors_n_tensors (st), ==, 8);
  check_tensor (st, 0, "w.f32", DV_DTYPE_F32, 2, (gint64[]){ 2, 3 }, f32_data, 24);
  check_tensor (st, 1, "u8 odd size", DV_DTYPE_U8, 1, (gint64[]){ 5 }, u8_data, 5);
  check_tensor (st, 2, "b.i64", DV_DTYPE_I64, 1, (gint64[]){ 4 }, i64_data, 32);
  check_tensor (st, 3, "a.i32", DV_DTYPE_I32, 2, (gint64[]){ 2, 2 }, i32_data, 16);
  check_tensor (st, 4, "f64", DV_DTYPE_F64, 1, (gint64[]){ 3 }, f64_data, 24);
  check_tensor (st, 5, "scalar", DV_DTYPE_F32, 0, NULL, &scalar, 4);
  check_tensor (st, 6, "empty", DV_DTYPE_F32, 2, (gint64[]){ 0, 3 }, NULL, 0);
  check_tensor (st, 7, "empty.i64", DV_DTYPE_I64, 1, (gint64[]){ 0 }, NULL, 0);
  g_assert_null (dv_safetensors_lookup (st, "missing"));

  const char *const *keys = dv_safetensors_metadata_keys (st);
  g_assert_cmpuint (g_strv_length ((char **) keys), ==, 3);
  g_assert_cmpstr (keys[0], ==, "zeta");
  g_assert_cmpstr (keys[1], ==, "名前");
  g_assert_cmpstr (keys[2], ==, "dynvision.config");
  g_assert_cmpstr (dv_safetensors_metadata (st, "zeta"), ==, "replaced in place");
  g_assert_cmpstr (dv_safetensors_metadata (st, "名前"), ==, "Grüße \"quoted\"\n\ttab 😀");
  g_assert_null (dv_safetensors_metadata (st, "missing"));
}

static void
test_round_trip (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "rt.safetensors", NULL);
  g_autoptr (DvSafetensorsWriter) w = make_writer ();
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_safetensors_writer_save (w, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 1); /* no temporary left behind */

  g_autoptr (DvSafetensors) st = dv_safetensors_load (path, &error);
  g_assert_no_error (error);
  check_round_trip (st);

  /* The file is exactly to_bytes; layout: aligned data, metadata first. */
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_autoptr (GBytes) bytes = dv_safetensors_writer_to_bytes (w);
  g_assert_cmpmem (contents, len, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  guint64 n;
  memcpy (&n, contents, 8);
  g_assert_cmpuint ((8 + n) % 8, ==, 0);
  g_assert_true (g_str_has_prefix (contents + 8, "{\"__metadata__\":{\"zeta\":"));
  g_assert_cmpuint (len, ==, 8 + n + 24 + 5 + 32 + 16 + 24 + 4);

  g_autoptr (DvSafetensors) st2 = dv_safetensors_load_from_bytes (bytes, "mem", &error);
  g_assert_no_error (error);
  check_round_trip (st2);

  /* Saving again replaces the file, still without leftovers. */
  g_autoptr (DvSafetensorsWriter) w2 = dv_safetensors_writer_new ();
  dv_safetensors_writer_add (w2, "only", DV_DTYPE_I32, 1, (gint64[]){ 4 }, i32_data);
  g_assert_true (dv_safetensors_writer_save (w2, path, &error));
  g_autoptr (DvSafetensors) st3 = dv_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dv_safetensors_n_tensors (st3), ==, 1);
  g_assert_null (dv_safetensors_metadata_keys (st3)[0]);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  remove_tmp_dir (dir);
}

static void
test_empty_file (void)
{
  /* No tensors and no metadata is a valid file: "{}" padded to 8 bytes. */
  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  g_autoptr (GBytes) bytes = dv_safetensors_writer_to_bytes (w);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 16);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_safetensors_load_from_bytes (bytes, "empty", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dv_safetensors_n_tensors (st), ==, 0);
  g_assert_null (dv_safetensors_metadata_keys (st)[0]);
}

/* ------------------------------------------------------------------------ */
/* Dtypes and conversion                                                     */

static void
test_dtype_names (void)
{
  static const struct { DvDtype d; const char *name; gsize size; } table[] = {
    { DV_DTYPE_F32, "F32", 4 }, { DV_DTYPE_F64, "F64", 8 }, { DV_DTYPE_F16, "F16", 2 },
    { DV_DTYPE_BF16, "BF16", 2 }, { DV_DTYPE_I64, "I64", 8 }, { DV_DTYPE_I32, "I32", 4 },
    { DV_DTYPE_I16, "I16", 2 }, { DV_DTYPE_I8, "I8", 1 }, { DV_DTYPE_U8, "U8", 1 },
    { DV_DTYPE_BOOL, "BOOL", 1 },
  };
  for (guint k = 0; k < G_N_ELEMENTS (table); k++)
    {
      DvDtype d;
      g_assert_cmpstr (dv_dtype_name (table[k].d), ==, table[k].name);
      g_assert_cmpuint (dv_dtype_size (table[k].d), ==, table[k].size);
      g_assert_true (dv_dtype_from_name (table[k].name, &d));
      g_assert_cmpint (d, ==, table[k].d);
    }
  g_assert_false (dv_dtype_from_name ("f32", NULL));
  g_assert_false (dv_dtype_from_name ("U16", NULL));
}

static DvStTensor
view (DvDtype dtype, gint64 n, const void *data)
{
  DvStTensor t = { "t", dtype, 1, { n }, n, data, (gsize) n * dv_dtype_size (dtype) };
  return t;
}

static void
check_f32 (DvStTensor t, const float *want)
{
  g_autofree float *got = dv_st_tensor_to_f32 (&t);
  for (gint64 i = 0; i < t.numel; i++)
    if (isnan (want[i]))
      g_assert_true (isnan (got[i]));
    else
      g_assert_cmpfloat (got[i], ==, want[i]);
}

static void
check_i64 (DvStTensor t, const gint64 *want)
{
  g_autofree gint64 *got = dv_st_tensor_to_i64 (&t);
  for (gint64 i = 0; i < t.numel; i++)
    g_assert_cmpint (got[i], ==, want[i]);
}

static void
test_convert (void)
{
  static const guint16 f16[] = { 0x3C00, 0xC000, 0x7BFF, 0x0001, 0x83FF, 0x7C00, 0xFC00, 0x3555, 0x8000, 0x7E00 };
  check_f32 (view (DV_DTYPE_F16, 10, f16),
             (float[]){ 1.0f, -2.0f, 65504.0f, 5.9604645e-8f, -6.0975552e-5f, INFINITY, -INFINITY,
                        0.33325195f, -0.0f, NAN });
  static const guint16 bf16[] = { 0x3F80, 0xC0A0, 0x0000, 0x7F80, 0x3EAB };
  check_f32 (view (DV_DTYPE_BF16, 5, bf16),
             (float[]){ 1.0f, -5.0f, 0.0f, INFINITY, 0.333984375f });
  check_f32 (view (DV_DTYPE_F64, 3, f64_data), (float[]){ 0.1f, -INFINITY, 0.0f });
  check_f32 (view (DV_DTYPE_F32, 6, f32_data), f32_data);
  check_f32 (view (DV_DTYPE_I64, 4, i64_data),
             (float[]){ -9223372036854775808.0f, -1.0f, 0.0f, 9223372036854775807.0f });
  check_f32 (view (DV_DTYPE_I32, 4, i32_data), (float[]){ -7.0f, 0.0f, 7.0f, 2147483648.0f });
  static const gint16 i16[] = { -32768, 5, 32767 };
  check_f32 (view (DV_DTYPE_I16, 3, i16), (float[]){ -32768.0f, 5.0f, 32767.0f });
  static const gint8 i8[] = { -128, -1, 127 };
  check_f32 (view (DV_DTYPE_I8, 3, i8), (float[]){ -128.0f, -1.0f, 127.0f });
  check_f32 (view (DV_DTYPE_U8, 5, u8_data), (float[]){ 0.0f, 1.0f, 127.0f, 128.0f, 255.0f });
  static const guint8 bools[] = { 0, 1, 2 };
  check_f32 (view (DV_DTYPE_BOOL, 3, bools), (float[]){ 0.0f, 1.0f, 1.0f });

  static const float fl[] = { 2.7f, -2.7f, NAN, 1e30f, -1e30f, 16777216.0f };
  check_i64 (view (DV_DTYPE_F32, 6, fl),
             (gint64[]){ 2, -2, 0, G_MAXINT64, G_MININT64, 16777216 });
  check_i64 (view (DV_DTYPE_I64, 4, i64_data), i64_data);
  check_i64 (view (DV_DTYPE_I32, 4, i32_data), (gint64[]){ -7, 0, 7, G_MAXINT32 });
  check_i64 (view (DV_DTYPE_I8, 3, i8), (gint64[]){ -128, -1, 127 });
  check_i64 (view (DV_DTYPE_BOOL, 3, bools), (gint64[]){ 0, 1, 1 });
  check_i64 (view (DV_DTYPE_F16, 2, f16), (gint64[]){ 1, -2 });

  /* float32 -> F16: the table above back (NaN aside), ties to even, overflow, subnormals */
  const float back[] = { 1.0f, -2.0f, 65504.0f, 5.9604645e-8f, -6.0975552e-5f, INFINITY, -INFINITY,
                         0.33325195f, -0.0f };
  for (guint i = 0; i < G_N_ELEMENTS (back); i++)
    g_assert_cmphex (dv_f32_to_f16 (back[i]), ==, f16[i]);
  g_assert_cmphex (dv_f32_to_f16 (NAN) & 0x7E00, ==, 0x7E00);
  g_assert_cmphex (dv_f32_to_f16 (1.0f + 1.0f / 2048), ==, 0x3C00);   /* tie: to even */
  g_assert_cmphex (dv_f32_to_f16 (1.0f + 3.0f / 2048), ==, 0x3C02);   /* tie: to even, up */
  g_assert_cmphex (dv_f32_to_f16 (1.0f + 1.1f / 2048), ==, 0x3C01);
  g_assert_cmphex (dv_f32_to_f16 (65519.0f), ==, 0x7BFF);
  g_assert_cmphex (dv_f32_to_f16 (65520.0f), ==, 0x7C00);             /* rounds to Inf */
  g_assert_cmphex (dv_f32_to_f16 (-1e9f), ==, 0xFC00);
  g_assert_cmphex (dv_f32_to_f16 (2.9802322e-8f), ==, 0x0000);        /* half the least: to even */
  g_assert_cmphex (dv_f32_to_f16 (6.1035156e-5f), ==, 0x0400);        /* the least normal */
  guint16 h[3];
  g_assert_true (dv_f32_array_to_f16 (h, (const float[]){ 0.5f, INFINITY, -3.0f }, 3));
  g_assert_false (dv_f32_array_to_f16 (h, (const float[]){ 0.5f, 7e4f }, 2));
  /* every half survives F16 -> F32 -> F16 */
  for (guint32 u = 0; u < 0x10000u; u++)
    if ((u & 0x7C00u) != 0x7C00u || (u & 0x3FFu) == 0)
      {
        guint16 hu = (guint16) u;
        DvStTensor vt = view (DV_DTYPE_F16, 1, &hu);
        g_autofree float *f = dv_st_tensor_to_f32 (&vt);
        g_assert_cmphex (dv_f32_to_f16 (f[0]), ==, u);
      }

  /* Unaligned data (after an odd-sized U8 tensor) converts correctly. */
  guint8 raw[1 + sizeof f32_data];
  memcpy (raw + 1, f32_data, sizeof f32_data);
  check_f32 (view (DV_DTYPE_F32, 6, raw + 1), f32_data);
  guint8 raw64[1 + sizeof i64_data];
  memcpy (raw64 + 1, i64_data, sizeof i64_data);
  check_i64 (view (DV_DTYPE_I64, 4, raw64 + 1), i64_data);

  /* Empty tensors give a non-NULL buffer. */
  DvStTensor empty = view (DV_DTYPE_F32, 0, NULL);
  g_autofree float *ef = dv_st_tensor_to_f32 (&empty);
  g_autofree gint64 *ei = dv_st_tensor_to_i64 (&empty);
  g_assert_nonnull (ef);
  g_assert_nonnull (ei);
}

/* ------------------------------------------------------------------------ */
/* Golden files written by PyTorch                                           */

static void
check_shape (const DvStTensor *t, DvDtype dtype, const DvJson *shape)
{
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, dtype);
  g_assert_cmpint (t->ndim, ==, dv_json_length (shape));
  for (int d = 0; d < t->ndim; d++)
    g_assert_cmpint (t->shape[d], ==, dv_json_int (dv_json_array_get (shape, d)));
}

static void
test_golden (void)
{
  const char *golden = g_getenv ("DV_GOLDEN_DIR");
  g_autofree char *index_path = golden ? g_build_filename (golden, "INDEX.json", NULL) : NULL;
  if (index_path == NULL || !g_file_test (index_path, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("DV_GOLDEN_DIR unset or without INDEX.json");
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) index = dv_json_parse_file (index_path, &error);
  g_assert_no_error (error);
  const DvJson *cases = dv_json_object_get (index, "cases");
  g_assert_cmpuint (dv_json_length (cases), >, 0);
  guint n_files = 0;
  for (guint c = 0; c < dv_json_length (cases); c++)
    {
      const DvJson *info = dv_json_array_get (cases, c);
      const char *name = dv_json_get_string (info, "name", NULL);
      g_autofree char *dir = g_build_filename (golden, name, NULL);
      g_test_message ("case %s", name);

      /* Every file of the case loads. */
      GDir *d = g_dir_open (dir, 0, &error);
      g_assert_no_error (error);
      const char *file;
      while ((file = g_dir_read_name (d)) != NULL)
        if (g_str_has_suffix (file, ".safetensors"))
          {
            g_autofree char *p = g_build_filename (dir, file, NULL);
            g_autoptr (DvSafetensors) st = dv_safetensors_load (p, &error);
            g_assert_no_error (error);
            g_assert_cmpuint (dv_safetensors_n_tensors (st), >, 0);
            n_files++;
          }
      g_dir_close (d);

      /* model: the state_dict, integer buffers kept integer, config as JSON. */
      g_autofree char *model_path = g_build_filename (dir, "model.safetensors", NULL);
      g_autoptr (DvSafetensors) model = dv_safetensors_load (model_path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (dv_safetensors_n_tensors (model), ==,
                       dv_json_get_int (info, "n_state_dict", -1));
      guint n_f32 = 0, n_int = 0;
      for (guint i = 0; i < dv_safetensors_n_tensors (model); i++)
        {
          DvDtype dt = dv_safetensors_tensor (model, i)->dtype;
          n_f32 += dt == DV_DTYPE_F32;
          n_int += dt == DV_DTYPE_I32 || dt == DV_DTYPE_I64;
        }
      g_assert_cmpuint (n_f32 + n_int, ==, dv_safetensors_n_tensors (model));
      g_assert_cmpuint (n_int, >=, 1); /* n_residual_timesteps is I32 */
      g_assert_cmpstr (dv_safetensors_metadata (model, "dynvision.model"), ==,
                       dv_json_get_string (info, "model", NULL));
      g_autoptr (DvJson) config = dv_json_parse (dv_safetensors_metadata (model,
                                                                          "dynvision.config"),
                                                 -1, &error);
      g_assert_no_error (error);
      g_assert_true (dv_json_equal (config, dv_json_object_get (info, "config")));
      g_assert_false (dv_json_is_int (dv_json_object_get (config, "dt")));
      g_assert_true (dv_json_is_int (dv_json_object_get (config, "n_classes")));

      /* input: x [B,T,C,H,W] (+ labels [B,T] I64 for training cases). */
      g_autofree char *input_path = g_build_filename (dir, "input.safetensors", NULL);
      g_autoptr (DvSafetensors) input = dv_safetensors_load (input_path, &error);
      g_assert_no_error (error);
      const DvStTensor *x = dv_safetensors_lookup (input, "x");
      g_assert_nonnull (x);
      g_assert_cmpint (x->dtype, ==, DV_DTYPE_F32);
      g_assert_cmpint (x->ndim, ==, 5);
      g_assert_cmpint (x->numel, ==, 2 * 8 * 3 * 32 * 32);
      if (g_strcmp0 (dv_json_get_string (info, "kind", NULL), "train") == 0)
        {
          const DvStTensor *labels = dv_safetensors_lookup (input, "labels");
          g_assert_nonnull (labels);
          g_assert_cmpint (labels->dtype, ==, DV_DTYPE_I64);
          g_assert_cmpint (labels->ndim, ==, 2);
        }

      /* expected: one tensor per entry of "shapes", in F32. */
      g_autofree char *exp_path = g_build_filename (dir, "expected.safetensors", NULL);
      g_autoptr (DvSafetensors) expected = dv_safetensors_load (exp_path, &error);
      g_assert_no_error (error);
      const DvJson *shapes = dv_json_object_get (info, "shapes");
      g_assert_cmpuint (dv_safetensors_n_tensors (expected), ==, dv_json_length (shapes));
      for (guint s = 0; s < dv_json_length (shapes); s++)
        check_shape (dv_safetensors_lookup (expected, dv_json_object_key (shapes, s)),
                     DV_DTYPE_F32, dv_json_object_value (shapes, s));
      g_assert_nonnull (dv_safetensors_metadata (expected, "dynvision.none_timesteps"));
    }
  g_assert_cmpuint (n_files, >=, 3 * dv_json_length (cases));
}

/* ------------------------------------------------------------------------ */
/* Malformed files                                                           */

/* 8-byte length, the header as given (unpadded), data_len zero bytes. */
static GBytes *
raw_file (guint64 declared_len, const char *header, gsize data_len)
{
  GByteArray *a = g_byte_array_new ();
  g_byte_array_append (a, (const guint8 *) &declared_len, 8);
  g_byte_array_append (a, (const guint8 *) header, strlen (header));
  g_byte_array_set_size (a, a->len + data_len);
  memset (a->data + 8 + strlen (header), 0, data_len);
  return g_byte_array_free_to_bytes (a);
}

static GBytes *
file_with_header (const char *header, gsize data_len)
{
  return raw_file (strlen (header), header, data_len);
}

/* Writes bytes to a file, loads it, checks the error code and that the
 * message names the file. */
static void
expect_load_error (GBytes *bytes, DvSafetensorsError code, const char *fragment)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "bad.safetensors", NULL);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      g_bytes_get_size (bytes), NULL));
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_safetensors_load (path, &error);
  g_assert_null (st);
  g_assert_error (error, DV_SAFETENSORS_ERROR, (gint) code);
  if (strstr (error->message, path) == NULL || strstr (error->message, fragment) == NULL)
    g_error ("message \"%s\" should name %s and say \"%s\"", error->message, path, fragment);
  g_test_message ("%s", error->message);
  g_bytes_unref (bytes);
  remove_tmp_dir (dir);
}

#define ENTRY(name, body) "\"" name "\":{" body "}"
#define F32_2 "\"dtype\":\"F32\",\"shape\":[2]"

static void
test_bad_too_short (void)
{
  expect_load_error (g_bytes_new ("\x10\0\0\0\0", 5), DV_SAFETENSORS_ERROR_TOO_SHORT, "too short");
  expect_load_error (g_bytes_new ("", 0), DV_SAFETENSORS_ERROR_TOO_SHORT, "0 bytes");
}

static void
test_bad_header_size (void)
{
  expect_load_error (raw_file (1000, "{}", 8), DV_SAFETENSORS_ERROR_HEADER_SIZE, "exceeds");
  expect_load_error (raw_file (200 * 1000 * 1000, "{}", 8), DV_SAFETENSORS_ERROR_HEADER_SIZE,
                     "oversized header");
  expect_load_error (raw_file (G_MAXUINT64, "{}", 8), DV_SAFETENSORS_ERROR_HEADER_SIZE,
                     "oversized header");
}

static void
test_bad_json (void)
{
  expect_load_error (file_with_header ("{not json}", 0), DV_SAFETENSORS_ERROR_HEADER_JSON,
                     "not valid JSON (1:2: expected a string key");
  expect_load_error (file_with_header ("[1, 2]  ", 0), DV_SAFETENSORS_ERROR_HEADER_JSON,
                     "header is an array, expected a JSON object");
  expect_load_error (file_with_header ("{\"a\xFF\":1}", 0), DV_SAFETENSORS_ERROR_HEADER_JSON,
                     "invalid UTF-8");
  expect_load_error (raw_file (10, "{}", 8), DV_SAFETENSORS_ERROR_HEADER_JSON,
                     "expected end of input"); /* header length covers data bytes */
}

static void
test_bad_entry (void)
{
  expect_load_error (file_with_header ("{" ENTRY ("w", "\"shape\":[2],\"data_offsets\":[0,8]") "}", 8),
                     DV_SAFETENSORS_ERROR_ENTRY, "tensor \"w\": missing \"dtype\"");
  expect_load_error (file_with_header ("{" ENTRY ("w", "\"dtype\":\"F32\",\"data_offsets\":[0,8]") "}", 8),
                     DV_SAFETENSORS_ERROR_ENTRY, "missing \"shape\"");
  expect_load_error (file_with_header ("{" ENTRY ("w", F32_2) "}", 8),
                     DV_SAFETENSORS_ERROR_ENTRY, "missing \"data_offsets\"");
  expect_load_error (file_with_header ("{" ENTRY ("w", "\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]") "}", 8),
                     DV_SAFETENSORS_ERROR_ENTRY, "\"dtype\" is a number, expected a string");
  expect_load_error (file_with_header ("{" ENTRY ("w", "\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]") "}", 8),
                     DV_SAFETENSORS_ERROR_ENTRY, "\"shape\" is a number, expected an array");
  expect_load_error (file_with_header ("{" ENTRY ("w", "\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]") "}", 8),
                     DV_SAFETENSORS_ERROR_ENTRY, "shape[0] is a string");
  expect_load_error (file_with_header ("{" ENTRY ("w", F32_2 ",\"data_offsets\":[0,8,16]") "}", 8),
                     DV_SAFETENSORS_ERROR_ENTRY, "two integers");
  expect_load_error (file_with_header ("{" ENTRY ("w", F32_2 ",\"data_offsets\":[0,null]") "}", 8),
                     DV_SAFETENSORS_ERROR_ENTRY, "two integers");
  expect_load_error (file_with_header ("{\"w\":[1,2]}", 0), DV_SAFETENSORS_ERROR_ENTRY,
                     "entry is an array, expected an object");
}

static void
test_bad_dtype (void)
{
  expect_load_error (file_with_header ("{" ENTRY ("w", "\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]") "}", 2),
                     DV_SAFETENSORS_ERROR_DTYPE, "unknown dtype \"F8_E4M3\"");
}

static void
test_bad_shape (void)
{
  expect_load_error (file_with_header ("{" ENTRY ("w", "\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]") "}", 8),
                     DV_SAFETENSORS_ERROR_SHAPE, "shape[0] = -2");
  expect_load_error (file_with_header ("{" ENTRY ("w", "\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]") "}", 8),
                     DV_SAFETENSORS_ERROR_SHAPE, "shape[0] = 2.5");
  expect_load_error (file_with_header ("{" ENTRY ("w", "\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776,1099511627776],\"data_offsets\":[0,8]") "}", 8),
                     DV_SAFETENSORS_ERROR_SHAPE, "absurd shape");
  expect_load_error (file_with_header ("{" ENTRY ("w", "\"dtype\":\"F32\",\"shape\":[0,4611686018427387904,4611686018427387904],\"data_offsets\":[0,0]") "}", 0),
                     DV_SAFETENSORS_ERROR_SHAPE, "absurd shape");
  expect_load_error (file_with_header ("{" ENTRY ("w", "\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]") "}", 1),
                     DV_SAFETENSORS_ERROR_SHAPE, "9 dimensions");
  expect_load_error (file_with_header ("{" ENTRY ("w", "\"dtype\":\"F32\",\"shape\":[1e30],\"data_offsets\":[0,8]") "}", 8),
                     DV_SAFETENSORS_ERROR_SHAPE, "not a non-negative integer");
}

static void
test_bad_offsets (void)
{
  expect_load_error (file_with_header ("{" ENTRY ("w", F32_2 ",\"data_offsets\":[0,12]") "}", 12),
                     DV_SAFETENSORS_ERROR_OFFSETS, "span 12 bytes, but 2 x F32 needs 8");
  expect_load_error (file_with_header ("{" ENTRY ("w", F32_2 ",\"data_offsets\":[8,0]") "}", 8),
                     DV_SAFETENSORS_ERROR_OFFSETS, "0 <= begin <= end");
  expect_load_error (file_with_header ("{" ENTRY ("w", F32_2 ",\"data_offsets\":[-8,0]") "}", 8),
                     DV_SAFETENSORS_ERROR_OFFSETS, "0 <= begin <= end");
}

static void
test_bad_truncated (void)
{
  g_autoptr (DvSafetensorsWriter) w = make_writer ();
  g_autoptr (GBytes) whole = dv_safetensors_writer_to_bytes (w);
  expect_load_error (g_bytes_new_from_bytes (whole, 0, g_bytes_get_size (whole) - 3),
                     DV_SAFETENSORS_ERROR_TRUNCATED, "tensor \"scalar\": data ends at byte");
  expect_load_error (file_with_header ("{" ENTRY ("w", F32_2 ",\"data_offsets\":[0,8]") "}", 4),
                     DV_SAFETENSORS_ERROR_TRUNCATED, "truncated file");
}

static void
test_bad_layout (void)
{
  expect_load_error (file_with_header ("{" ENTRY ("a", F32_2 ",\"data_offsets\":[0,8]") ","
                                       ENTRY ("b", F32_2 ",\"data_offsets\":[4,12]") "}", 12),
                     DV_SAFETENSORS_ERROR_LAYOUT, "tensor \"b\" at bytes [4, 12) overlaps tensor \"a\"");
  expect_load_error (file_with_header ("{" ENTRY ("a", F32_2 ",\"data_offsets\":[0,8]") ","
                                       ENTRY ("b", F32_2 ",\"data_offsets\":[0,8]") "}", 8),
                     DV_SAFETENSORS_ERROR_LAYOUT, "overlaps");
  expect_load_error (file_with_header ("{" ENTRY ("a", F32_2 ",\"data_offsets\":[0,8]") ","
                                       ENTRY ("b", F32_2 ",\"data_offsets\":[12,20]") "}", 20),
                     DV_SAFETENSORS_ERROR_LAYOUT, "hole in the data section: bytes [8, 12)");
  expect_load_error (file_with_header ("{" ENTRY ("a", F32_2 ",\"data_offsets\":[4,12]") "}", 12),
                     DV_SAFETENSORS_ERROR_LAYOUT, "bytes [0, 4) before tensor \"a\"");
  expect_load_error (file_with_header ("{" ENTRY ("a", F32_2 ",\"data_offsets\":[0,8]") "}", 12),
                     DV_SAFETENSORS_ERROR_LAYOUT, "4 trailing bytes");
}

static void
test_bad_duplicate (void)
{
  expect_load_error (file_with_header ("{" ENTRY ("a", F32_2 ",\"data_offsets\":[0,8]") ","
                                       ENTRY ("a", F32_2 ",\"data_offsets\":[8,16]") "}", 16),
                     DV_SAFETENSORS_ERROR_DUPLICATE, "duplicate key \"a\"");
}

static void
test_bad_metadata (void)
{
  expect_load_error (file_with_header ("{\"__metadata__\":{\"ok\":\"x\",\"n\":1}}", 0),
                     DV_SAFETENSORS_ERROR_METADATA,
                     "metadata value of \"n\" is a number, expected a string");
  expect_load_error (file_with_header ("{\"__metadata__\":[\"x\"]}", 0),
                     DV_SAFETENSORS_ERROR_METADATA, "\"__metadata__\" is an array");

  /* A null __metadata__ means none, as in the Python readers. */
  g_autoptr (GBytes) ok = file_with_header ("{\"__metadata__\":null}", 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_safetensors_load_from_bytes (ok, "null-meta", &error);
  g_assert_no_error (error);
  g_assert_null (dv_safetensors_metadata_keys (st)[0]);
}

static void
test_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_null (dv_safetensors_load ("/nonexistent/dir/x.safetensors", &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

/* Every prefix and thousands of random corruptions of a valid file either
 * load or fail with an error; none crashes (run under valgrind/ASan). */
static void
test_corruption_never_crashes (void)
{
  g_autoptr (DvSafetensorsWriter) w = make_writer ();
  g_autoptr (GBytes) whole = dv_safetensors_writer_to_bytes (w);
  gsize size;
  const guint8 *orig = g_bytes_get_data (whole, &size);
  for (gsize len = 0; len < size; len++)
    {
      g_autoptr (GBytes) b = g_bytes_new (orig, len);
      g_autoptr (GError) error = NULL;
      g_autoptr (DvSafetensors) st = dv_safetensors_load_from_bytes (b, "prefix", &error);
      g_assert_null (st);
      g_assert_nonnull (error);
    }
  g_autoptr (GRand) rng = g_rand_new_with_seed (7);
  static const char alphabet[] = "{}[]\",:0123456789-. e";
  guint8 *buf = g_malloc (size);
  guint n_ok = 0;
  for (int iter = 0; iter < 20000; iter++)
    {
      memcpy (buf, orig, size);
      int edits = g_rand_int_range (rng, 1, 3);
      for (int e = 0; e < edits; e++)
        {
          /* Mostly inside the header, where the interesting damage is. */
          gsize at = g_rand_int_range (rng, 0, iter % 8 ? 8 + 400 : size);
          at = MIN (at, size - 1);
          buf[at] = g_rand_boolean (rng) ? alphabet[g_rand_int_range (rng, 0, sizeof alphabet - 1)]
                                         : (guint8) g_rand_int_range (rng, 0, 256);
        }
      g_autoptr (GBytes) b = g_bytes_new (buf, size);
      g_autoptr (GError) error = NULL;
      g_autoptr (DvSafetensors) st = dv_safetensors_load_from_bytes (b, "fuzz", &error);
      g_assert_true ((st == NULL) != (error == NULL));
      if (st != NULL)
        {
          n_ok++;
          for (guint i = 0; i < dv_safetensors_n_tensors (st); i++)
            {
              const DvStTensor *t = dv_safetensors_tensor (st, i);
              g_assert_true ((const guint8 *) t->data + t->nbytes <=
                             (const guint8 *) g_bytes_get_data (b, NULL) + size);
              g_free (dv_st_tensor_to_f32 (t));
            }
        }
      else
        g_assert_true (g_str_has_prefix (error->message, "fuzz: ") ||
                       error->domain != DV_SAFETENSORS_ERROR);
    }
  g_test_message ("%u of 20000 corrupted files still loaded", n_ok);
  g_free (buf);
}

/* ------------------------------------------------------------------------ */
/* Atomic saving                                                             */

static void
write_original (const char *path)
{
  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  dv_safetensors_writer_add (w, "original", DV_DTYPE_I32, 1, (gint64[]){ 4 }, i32_data);
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_safetensors_writer_save (w, path, &error));
  g_assert_no_error (error);
}

static void
assert_original (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dv_safetensors_n_tensors (st), ==, 1);
  check_tensor (st, 0, "original", DV_DTYPE_I32, 1, (gint64[]){ 4 }, i32_data, 16);
}

static void
test_save_to_directory_fails (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *target = g_build_filename (dir, "is-a-dir.safetensors", NULL);
  g_autofree char *inner = g_build_filename (target, "keep.safetensors", NULL);
  g_assert_cmpint (g_mkdir (target, 0700), ==, 0);
  write_original (inner);

  g_autoptr (DvSafetensorsWriter) w = make_writer ();
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_safetensors_writer_save (w, target, &error));
  g_assert_true (error != NULL && error->domain == G_FILE_ERROR);
  g_assert_nonnull (strstr (error->message, target));
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_DIR));
  assert_original (inner);
  g_assert_cmpuint (count_entries (dir), ==, 1);   /* temporary removed */
  g_assert_cmpuint (count_entries (target), ==, 1);

  g_clear_error (&error);
  g_autofree char *nodir = g_build_filename (dir, "missing", "x.safetensors", NULL);
  g_assert_false (dv_safetensors_writer_save (w, nodir, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);

  g_unlink (inner);
  remove_tmp_dir (dir);
}

static void
test_save_unwritable_dir_keeps_file (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  write_original (path);
  g_assert_cmpint (g_chmod (dir, 0500), ==, 0);
  if (access (dir, W_OK) == 0)
    {
      /* root ignores permissions; the file-size-limit test covers this case */
      g_chmod (dir, 0700);
      remove_tmp_dir (dir);
      g_test_skip ("permissions are not enforced for this user");
      return;
    }
  g_autoptr (DvSafetensorsWriter) w = make_writer ();
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_safetensors_writer_save (w, path, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_ACCES);
  g_assert_nonnull (strstr (error->message, path));
  g_chmod (dir, 0700);
  assert_original (path);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  remove_tmp_dir (dir);
}

/* A write that fails halfway (file size limit, even for root) leaves the old
 * file and no temporary behind. */
static void
test_save_failing_write_keeps_file (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  write_original (path);

  gsize n = 1 << 18;
  g_autofree float *big = g_new0 (float, n);
  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  dv_safetensors_writer_add (w, "big", DV_DTYPE_F32, 1, (gint64[]){ (gint64) n }, big);

  struct rlimit old, lim;
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old), ==, 0);
  lim = old;
  lim.rlim_cur = 64 * 1024;
  void (*old_handler) (int) = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &lim), ==, 0);
  g_autoptr (GError) error = NULL;
  gboolean ok = dv_safetensors_writer_save (w, path, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old), ==, 0);
  signal (SIGXFSZ, old_handler);

  g_assert_false (ok);
  g_assert_true (error != NULL && error->domain == G_FILE_ERROR);
  g_assert_nonnull (strstr (error->message, path));
  g_test_message ("%s", error->message);
  assert_original (path);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  remove_tmp_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/safetensors/round-trip", test_round_trip);
  g_test_add_func ("/engine/safetensors/empty-file", test_empty_file);
  g_test_add_func ("/engine/safetensors/dtype-names", test_dtype_names);
  g_test_add_func ("/engine/safetensors/convert", test_convert);
  g_test_add_func ("/engine/safetensors/golden-files-load", test_golden);
  g_test_add_func ("/engine/safetensors/bad/too-short", test_bad_too_short);
  g_test_add_func ("/engine/safetensors/bad/header-size", test_bad_header_size);
  g_test_add_func ("/engine/safetensors/bad/header-json", test_bad_json);
  g_test_add_func ("/engine/safetensors/bad/entry-fields", test_bad_entry);
  g_test_add_func ("/engine/safetensors/bad/dtype", test_bad_dtype);
  g_test_add_func ("/engine/safetensors/bad/shape", test_bad_shape);
  g_test_add_func ("/engine/safetensors/bad/offsets", test_bad_offsets);
  g_test_add_func ("/engine/safetensors/bad/truncated", test_bad_truncated);
  g_test_add_func ("/engine/safetensors/bad/layout", test_bad_layout);
  g_test_add_func ("/engine/safetensors/bad/duplicate-name", test_bad_duplicate);
  g_test_add_func ("/engine/safetensors/bad/metadata", test_bad_metadata);
  g_test_add_func ("/engine/safetensors/bad/missing-file", test_missing_file);
  g_test_add_func ("/engine/safetensors/bad/corruption-never-crashes",
                   test_corruption_never_crashes);
  g_test_add_func ("/engine/safetensors/save/to-directory-fails", test_save_to_directory_fails);
  g_test_add_func ("/engine/safetensors/save/unwritable-dir-keeps-file",
                   test_save_unwritable_dir_keeps_file);
  g_test_add_func ("/engine/safetensors/save/failing-write-keeps-file",
                   test_save_failing_write_keeps_file);
  return g_test_run ();
}
