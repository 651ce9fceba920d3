/* test-base.c — base/: the seeded PRNG (dv-rng.h), numbers as text (dv-number.h), the JSON
 * writer (dv-json-writer.h), the GError helper (dv-error.h) and the provenance record of an
 * export (dv-provenance.h: SHA-256 against the FIPS 180-2 vectors, the JSON read back).
 *
 * Bounded draws are checked where a modulo would be visibly biased; number texts against
 * what Python's repr() writes and by round trips of random bit patterns; the writer's output
 * against Python's json.dumps and by parsing it back.  (The data library's streams and the
 * engine's seeded weights are checked by test-data and test-model.) */
#include "dv-error.h"
#include "dv-json-writer.h"
#include "dv-json.h"
#include "dv-number.h"
#include "dv-provenance.h"
#include "dv-config.h"
#include "dv-rng.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* n = 3·2^k: x % n would put half the draws below 2^k instead of a third. */
static void
check_below_third (guint64 n, guint64 third, guint64 seed)
{
  DvRng r;
  dv_rng_init (&r, seed);
  int below = 0, draws = 60000;
  for (int i = 0; i < draws; i++)
    {
      guint64 k = dv_rng_below (&r, n);
      g_assert_cmpuint (k, <, n);
      below += k < third;
    }
  g_assert_cmpfloat_with_epsilon ((double) below / draws, 1.0 / 3, 0.01);
}

static void
test_rng_below_unbiased (void)
{
  check_below_third (3ull << 30, 1ull << 30, 1);  /* the 32-bit multiply-shift */
  check_below_third (3ull << 62, 1ull << 62, 2);  /* rejection above 2^32 */
  /* small bounds: every value, equally often */
  DvRng r;
  dv_rng_init (&r, 3);
  int counts[7] = { 0 };
  for (int i = 0; i < 70000; i++)
    counts[dv_rng_below (&r, 7)]++;
  for (int k = 0; k < 7; k++)
    g_assert_cmpint (ABS (counts[k] - 10000), <, 400);
  g_assert_cmpuint (dv_rng_below (&r, 1), ==, 0);
  /* 2^32 exactly: the top half of one output */
  DvRng a, b;
  dv_rng_init (&a, 4);
  dv_rng_init (&b, 4);
  g_assert_cmpuint (dv_rng_below (&a, 1ull << 32), ==, dv_rng_next (&b) >> 32);
}

static void
test_rng_box_muller (void)
{
  DvRng r;
  dv_rng_init (&r, 5);
  double first = dv_rng_normal_box_muller (&r);
  double s = first, ss = first * first;
  int n = 100000;
  for (int i = 1; i < n; i++)
    {
      double z = dv_rng_normal_box_muller (&r);
      s += z, ss += z * z;
    }
  g_assert_cmpfloat_with_epsilon (s / n, 0.0, 0.02);
  g_assert_cmpfloat_with_epsilon (ss / n, 1.0, 0.02);
  /* init forgets the pending second value: the same seed starts the same stream */
  dv_rng_init (&r, 5);
  g_assert_cmpfloat (dv_rng_normal_box_muller (&r), ==, first);
}

static void
check_number (double v, DvNumberFlags flags, const char *want)
{
  char buf[DV_NUMBER_BUF_SIZE];
  g_assert_cmpstr (dv_number_format (buf, v, flags), ==, want);
}

static void
test_number_python_repr (void)
{
  /* what Python 3's repr() writes */
  check_number (0.1, 0, "0.1");
  check_number (2.0, 0, "2.0");
  check_number (-0.0, 0, "-0.0");
  check_number (1e-5, 0, "1e-05");
  check_number (0.0001, 0, "0.0001");
  check_number (1e16, 0, "1e+16");
  check_number (1.5e16, 0, "1.5e+16");
  check_number (123456789012345680.0, 0, "1.2345678901234568e+17");
  check_number (1234567890123456.8, 0, "1234567890123456.8");
  check_number (1.0 / 3, 0, "0.3333333333333333");
  check_number (5e-324, 0, "5e-324");
  check_number (-2.2250738585072014e-308, 0, "-2.2250738585072014e-308");
  check_number (1.7976931348623157e308, 0, "1.7976931348623157e+308");
  check_number (NAN, 0, "NaN");
  check_number (INFINITY, 0, "Infinity");
  check_number (-INFINITY, 0, "-Infinity");
  /* a float's value in a float's digits */
  check_number (0.1f, 0, "0.10000000149011612");
  check_number (0.1f, DV_NUMBER_FLOAT, "0.1");
  check_number (3.4028234663852886e38, DV_NUMBER_FLOAT, "3.4028235e+38");
  check_number (1e-45f, DV_NUMBER_FLOAT, "1e-45");
  /* the CSV layout */
  check_number (3.0, DV_NUMBER_BARE_INTEGERS, "3");
  check_number (-40.0, DV_NUMBER_BARE_INTEGERS, "-40");
  check_number (2.5, DV_NUMBER_BARE_INTEGERS, "2.5");
  check_number (1e15, DV_NUMBER_BARE_INTEGERS, "1000000000000000.0");
}

static void
test_number_round_trips (void)
{
  DvRng r;
  dv_rng_init (&r, 6);
  char buf[DV_NUMBER_BUF_SIZE];
  for (int i = 0; i < 20000; i++)
    {
      guint64 bits = dv_rng_next (&r);
      double v;
      memcpy (&v, &bits, sizeof v);
      if (!isfinite (v))
        continue;
      g_assert_cmpfloat (g_ascii_strtod (dv_number_format (buf, v, 0), NULL), ==, v);
      guint32 fbits = (guint32) bits;
      float f;
      memcpy (&f, &fbits, sizeof f);
      if (!isfinite (f))
        continue;
      g_assert_cmpfloat ((float) g_ascii_strtod (dv_number_format (buf, f, DV_NUMBER_FLOAT), NULL), ==, f);
    }
}

static char *
sample_document (gboolean pretty)
{
  DvJsonWriter *w = dv_json_writer_new (pretty);
  dv_json_writer_begin_object (w, NULL);
  dv_json_writer_begin_array (w, "a");
  dv_json_writer_int (w, NULL, 1);
  dv_json_writer_double (w, NULL, 2.0);
  dv_json_writer_string (w, NULL, "x\n\"é\x01");
  dv_json_writer_end (w);
  dv_json_writer_begin_object (w, "b");
  dv_json_writer_end (w);
  dv_json_writer_begin_array (w, "c");
  dv_json_writer_end (w);
  dv_json_writer_double (w, "d", NAN);
  dv_json_writer_double (w, "e", -INFINITY);
  dv_json_writer_float (w, "f", 0.1f);
  dv_json_writer_string (w, "g", NULL);
  dv_json_writer_bool (w, "h", TRUE);
  dv_json_writer_string_len (w, "i", "a\0b", 3);
  return dv_json_writer_free_to_string (w); /* closes the object */
}

static void
test_json_writer_python_layout (void)
{
  /* json.dumps({...}, indent=2, ensure_ascii=False) and separators=(",", ":") */
  g_autofree char *pretty = sample_document (TRUE);
  g_assert_cmpstr (pretty, ==,
                   "{\n  \"a\": [\n    1,\n    2.0,\n    \"x\\n\\\"é\\u0001\"\n  ],\n  \"b\": {},\n"
                   "  \"c\": [],\n  \"d\": NaN,\n  \"e\": -Infinity,\n  \"f\": 0.1,\n  \"g\": null,\n"
                   "  \"h\": true,\n  \"i\": \"a\\u0000b\"\n}");
  g_autofree char *compact = sample_document (FALSE);
  g_assert_cmpstr (compact, ==,
                   "{\"a\":[1,2.0,\"x\\n\\\"é\\u0001\"],\"b\":{},\"c\":[],\"d\":NaN,\"e\":-Infinity,"
                   "\"f\":0.1,\"g\":null,\"h\":true,\"i\":\"a\\u0000b\"}");
  /* and the engine's reader takes it back, NaN and all */
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) back = dv_json_parse (pretty, -1, &error);
  g_assert_no_error (error);
  g_assert_true (isnan (dv_json_get_number (back, "d", 0)));
  g_assert_cmpfloat (dv_json_get_number (back, "e", 0), ==, -INFINITY);
  g_assert_cmpuint (dv_json_string_length (dv_json_object_get (back, "i")), ==, 3);
  g_autofree char *again = dv_json_to_string (back, TRUE);
  g_assert_cmpstr (again, ==, pretty);
}

static gboolean
refuse (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
refuse (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  dv_error_setv (error, DV_JSON_ERROR, DV_JSON_ERROR_SYNTAX, "cfg.json:3:7", fmt, ap);
  va_end (ap);
  return FALSE;
}

static void
test_error_helper (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_error_set (&error, DV_JSON_ERROR, DV_JSON_ERROR_DEPTH, "depth %d > %d", 600, 512));
  g_assert_error (error, DV_JSON_ERROR, DV_JSON_ERROR_DEPTH);
  g_assert_cmpstr (error->message, ==, "depth 600 > 512");
  g_assert_false (dv_error_set (NULL, DV_JSON_ERROR, 0, "ignored %s", "here"));
  g_clear_error (&error);
  g_assert_false (refuse (&error, "expected %s", "','"));
  g_assert_error (error, DV_JSON_ERROR, DV_JSON_ERROR_SYNTAX);
  g_assert_cmpstr (error->message, ==, "cfg.json:3:7: expected ','");
}

/* SHA-256 of files against the FIPS 180-2 vectors ("abc", and a million 'a's read in pieces). */
static void
test_provenance_sha256 (void)
{
  g_autofree char *dir = g_dir_make_tmp ("dv-test-prov-XXXXXX", NULL);
  g_autofree char *abc = g_build_filename (dir, "abc", NULL);
  g_autofree char *big = g_build_filename (dir, "big", NULL);
  g_assert_true (g_file_set_contents (abc, "abc", 3, NULL));
  g_autofree char *million = g_strnfill (1000000, 'a');
  g_assert_true (g_file_set_contents (big, million, 1000000, NULL));
  g_autoptr (GError) error = NULL;
  g_autofree char *h1 = dv_sha256_file (abc, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (h1, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_autofree char *h2 = dv_sha256_file (big, &error);
  g_assert_cmpstr (h2, ==, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  g_autofree char *missing = g_build_filename (dir, "none", NULL);
  g_assert_null (dv_sha256_file (missing, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_unlink (abc);
  g_unlink (big);
  g_rmdir (dir);
}

static DvJson *
provenance_json (const DvProvenance *p)
{
  g_autoptr (DvJsonWriter) j = dv_json_writer_new (TRUE);
  dv_json_writer_begin_object (j, NULL);
  dv_provenance_write_json (p, j, "provenance");
  g_autofree char *text = dv_json_writer_free_to_string (g_steal_pointer (&j));
  g_autoptr (GError) error = NULL;
  DvJson *root = dv_json_parse (text, -1, &error);
  g_assert_no_error (error);
  return root;
}

static const char *
member_string (const DvJson *o, const char *key)
{
  DvJson *v = dv_json_object_get (o, key);
  g_assert_nonnull (v);
  return dv_json_type (v) == DV_JSON_STRING ? dv_json_string (v) : NULL;
}

/* Fresh weights, then a checkpoint: each says so, the presentation comes back typed. */
static void
test_provenance_json (void)
{
  g_autoptr (DvProvenance) p = dv_provenance_new ("test");
  dv_provenance_set_fresh (p, 7);
  p->model_class = g_strdup ("CustomRCNN");
  p->sample = 12;
  p->has_seed = TRUE;
  p->seed = 12;
  p->presentation = g_strdup ("loader=StimulusDuration intro_duration=2 ssnr=0.5 noise_seed=none "
                              "shuffle_presentation_pattern=false data_presentation_pattern=0110");
  {
    g_autoptr (DvJson) root = provenance_json (p);
    DvJson *r = dv_json_object_get (root, "provenance");
    g_assert_cmpstr (member_string (r, "weights"), ==, "fresh weights, seed 7");
    g_assert_cmpstr (member_string (r, "weights_origin"), ==, "fresh");
    g_assert_cmpint (dv_json_int (dv_json_object_get (r, "weights_seed")), ==, 7);
    g_assert_cmpint (dv_json_type (dv_json_object_get (r, "checkpoint")), ==, DV_JSON_NULL);
    g_assert_cmpstr (member_string (r, "engine_version"), ==, DV_VERSION);
    g_assert_cmpint (dv_json_int (dv_json_object_get (r, "sample_index")), ==, 12);
    g_assert_cmpint (dv_json_int (dv_json_object_get (r, "seed")), ==, 12);
    DvJson *pr = dv_json_object_get (r, "presentation");
    g_assert_cmpstr (member_string (pr, "loader"), ==, "StimulusDuration");
    g_assert_true (dv_json_is_int (dv_json_object_get (pr, "intro_duration")));
    g_assert_cmpint (dv_json_int (dv_json_object_get (pr, "intro_duration")), ==, 2);
    g_assert_cmpfloat (dv_json_number (dv_json_object_get (pr, "ssnr")), ==, 0.5);
    g_assert_cmpint (dv_json_type (dv_json_object_get (pr, "noise_seed")), ==, DV_JSON_NULL);
    g_assert_cmpint (dv_json_type (dv_json_object_get (pr, "shuffle_presentation_pattern")), ==, DV_JSON_BOOL);
    g_assert_cmpstr (member_string (pr, "data_presentation_pattern"), ==, "0110");
  }
  g_autofree char *dir = g_dir_make_tmp ("dv-test-prov-XXXXXX", NULL);
  g_autofree char *ck = g_build_filename (dir, "m.safetensors", NULL);
  g_assert_true (g_file_set_contents (ck, "abc", 3, NULL));
  g_assert_true (dv_provenance_set_checkpoint (p, ck, FALSE, NULL));
  dv_provenance_set_weights_changed (p, "trained in this session");
  g_autoptr (DvProvenance) c = dv_provenance_copy (p);
  g_autoptr (DvJson) root = provenance_json (c);
  DvJson *r = dv_json_object_get (root, "provenance");
  g_autofree char *want = g_strdup_printf ("checkpoint %s; then trained in this session", ck);
  g_assert_cmpstr (member_string (r, "weights"), ==, want);
  DvJson *cj = dv_json_object_get (r, "checkpoint");
  g_assert_cmpstr (member_string (cj, "path"), ==, ck);
  g_assert_cmpstr (member_string (cj, "sha256"), ==,
                   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_assert_cmpint (dv_json_type (dv_json_object_get (r, "weights_seed")), ==, DV_JSON_NULL);
  g_unlink (ck);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/base/rng/below-unbiased", test_rng_below_unbiased);
  g_test_add_func ("/base/rng/box-muller", test_rng_box_muller);
  g_test_add_func ("/base/number/python-repr", test_number_python_repr);
  g_test_add_func ("/base/number/round-trips", test_number_round_trips);
  g_test_add_func ("/base/json-writer/python-layout", test_json_writer_python_layout);
  g_test_add_func ("/base/error/set", test_error_helper);
  g_test_add_func ("/base/provenance/sha256", test_provenance_sha256);
  g_test_add_func ("/base/provenance/json", test_provenance_json);
  return g_test_run ();
}
