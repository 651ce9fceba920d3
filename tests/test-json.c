/* test-json.c — tests of the JSON DOM (engine/dv-json.c).
 *
 * Covers the RFC 8259 grammar, error positions, the depth limit, robustness
 * against truncated and random input, Python-compatible number output and
 * object order.  Not covered here: safetensors headers (test-safetensors.c).
 */
#include "dv-json.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static DvJson *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  DvJson *j = dv_json_parse (text, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (j);
  return j;
}

static void
test_scalars (void)
{
  g_autoptr (DvJson) t = parse_ok (" true ");
  g_autoptr (DvJson) f = parse_ok ("false");
  g_autoptr (DvJson) n = parse_ok ("\n\tnull\r\n");
  g_assert_cmpint (dv_json_type (t), ==, DV_JSON_BOOL);
  g_assert_true (dv_json_bool (t));
  g_assert_false (dv_json_bool (f));
  g_assert_cmpint (dv_json_type (n), ==, DV_JSON_NULL);

  static const struct { const char *text; gboolean is_int; gint64 i; double d; } nums[] = {
    { "0", TRUE, 0, 0 },
    { "-0", TRUE, 0, 0 },
    { "42", TRUE, 42, 42 },
    { "-17", TRUE, -17, -17 },
    { "9223372036854775807", TRUE, G_MAXINT64, 9223372036854775807.0 },
    { "-9223372036854775808", TRUE, G_MININT64, -9223372036854775808.0 },
    { "9223372036854775808", FALSE, G_MAXINT64, 9223372036854775808.0 },
    { "2.0", FALSE, 2, 2.0 },
    { "0.5", FALSE, 0, 0.5 },
    { "-1.5e3", FALSE, -1500, -1500.0 },
    { "1E-2", FALSE, 0, 0.01 },
    { "1e+2", FALSE, 100, 100.0 },
  };
  for (guint k = 0; k < G_N_ELEMENTS (nums); k++)
    {
      g_autoptr (DvJson) j = parse_ok (nums[k].text);
      g_assert_cmpint (dv_json_type (j), ==, DV_JSON_NUMBER);
      g_assert_cmpint (dv_json_is_int (j), ==, nums[k].is_int);
      g_assert_cmpint (dv_json_int (j), ==, nums[k].i);
      g_assert_cmpfloat (dv_json_number (j), ==, nums[k].d);
    }
  g_autoptr (DvJson) big = parse_ok ("1e400");
  g_assert_true (isinf (dv_json_number (big)));

  /* Wrong-type accessors are harmless. */
  g_assert_null (dv_json_string (t));
  g_assert_cmpuint (dv_json_length (t), ==, 0);
  g_assert_null (dv_json_array_get (t, 0));
  g_assert_null (dv_json_object_get (t, "x"));
}

static void
test_strings (void)
{
  g_autoptr (DvJson) s = parse_ok ("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20AC\"");
  g_assert_cmpstr (dv_json_string (s), ==, "a\"b\\c/d\b\f\n\r\t\xC3\xA9\xE2\x82\xAC");
  g_autoptr (DvJson) pair = parse_ok ("\"\\ud83d\\ude00\"");
  g_assert_cmpstr (dv_json_string (pair), ==, "\xF0\x9F\x98\x80");
  g_autoptr (DvJson) raw = parse_ok ("\"gr\xC3\xBC\xC3\x9F dich \xF0\x9F\x98\x80\"");
  g_assert_cmpstr (dv_json_string (raw), ==, "gr\xC3\xBC\xC3\x9F dich \xF0\x9F\x98\x80");
  g_autoptr (DvJson) nul = parse_ok ("\"a\\u0000b\"");
  g_assert_cmpuint (dv_json_string_length (nul), ==, 3);
  g_autofree char *nul_out = dv_json_to_string (nul, FALSE);
  g_assert_cmpstr (nul_out, ==, "\"a\\u0000b\"");
}

typedef struct {
  const char *text;
  DvJsonError code;
  const char *prefix; /* "line:column: expected ..." */
} BadCase;

static void
test_errors (void)
{
  static const BadCase cases[] = {
    { "", DV_JSON_ERROR_SYNTAX, "1:1: expected a value" },
    { "   ", DV_JSON_ERROR_SYNTAX, "1:4: expected a value" },
    { "{\n  \"a\" 1\n}", DV_JSON_ERROR_SYNTAX, "2:7: expected ':'" },
    { "[1, 2,]", DV_JSON_ERROR_SYNTAX, "1:7: expected a value" },
    { "[1 2]", DV_JSON_ERROR_SYNTAX, "1:4: expected ',' or ']'" },
    { "{\"a\":1 \"b\":2}", DV_JSON_ERROR_SYNTAX, "1:8: expected ',' or '}'" },
    { "{,}", DV_JSON_ERROR_SYNTAX, "1:2: expected a string key" },
    { "{\"a\":1,}", DV_JSON_ERROR_SYNTAX, "1:8: expected a string key" },
    { "{'a':1}", DV_JSON_ERROR_SYNTAX, "1:2: expected a string key" },
    { "[1] x", DV_JSON_ERROR_SYNTAX, "1:5: expected end of input" },
    { "01", DV_JSON_ERROR_SYNTAX, "1:2: expected end of input" },
    { "+1", DV_JSON_ERROR_SYNTAX, "1:1: expected a value" },
    { ".5", DV_JSON_ERROR_SYNTAX, "1:1: expected a value" },
    { "1.", DV_JSON_ERROR_SYNTAX, "1:3: expected a digit after '.'" },
    { "1e", DV_JSON_ERROR_SYNTAX, "1:3: expected a digit in the exponent" },
    { "-", DV_JSON_ERROR_SYNTAX, "1:2: expected a digit" },
    { "nul", DV_JSON_ERROR_SYNTAX, "1:1: expected a value" },
    { "truex", DV_JSON_ERROR_SYNTAX, "1:5: expected end of input" },
    { "\"abc", DV_JSON_ERROR_SYNTAX, "1:1: unterminated string" },
    { "\"a\tb\"", DV_JSON_ERROR_SYNTAX, "1:3: control character 0x09" },
    { "\"\\x\"", DV_JSON_ERROR_SYNTAX, "1:3: expected one of" },
    { "\"\\u12G4\"", DV_JSON_ERROR_SYNTAX, "1:2: expected 4 hex digits" },
    { "[\"\\ud800\"]", DV_JSON_ERROR_ENCODING, "1:3: unpaired high surrogate" },
    { "\"\\ud800\\u0041\"", DV_JSON_ERROR_ENCODING, "1:2: unpaired high surrogate" },
    { "\"\\udc00\"", DV_JSON_ERROR_ENCODING, "1:2: unpaired low surrogate" },
    { "\"\xC3\xA9\xFF\"", DV_JSON_ERROR_ENCODING, "1:3: invalid UTF-8" },
    { "\"\xC0\xAF\"", DV_JSON_ERROR_ENCODING, "1:2: invalid UTF-8" },
    { "[\n\xC3\xA9\xC3\xA9 1]", DV_JSON_ERROR_SYNTAX, "2:1: expected a value" },
    { "[1,\n 2,\n x]", DV_JSON_ERROR_SYNTAX, "3:2: expected a value" },
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (DvJson) j = dv_json_parse (cases[k].text, -1, &error);
      g_assert_null (j);
      g_assert_error (error, DV_JSON_ERROR, (gint) cases[k].code);
      if (!g_str_has_prefix (error->message, cases[k].prefix))
        g_error ("case %u: message \"%s\" does not start with \"%s\"", k, error->message,
                 cases[k].prefix);
    }

  /* An explicit length stops the parser even inside a longer buffer; an
   * embedded NUL is an unexpected character, not the end. */
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) cut = dv_json_parse ("[1,2]garbage", 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dv_json_length (cut), ==, 2);
  g_autoptr (DvJson) nul = dv_json_parse ("[1]\0", 4, &error);
  g_assert_error (error, DV_JSON_ERROR, DV_JSON_ERROR_SYNTAX);
  g_assert_null (nul);
}

static void
test_depth (void)
{
  for (int depth = DV_JSON_MAX_DEPTH; depth <= DV_JSON_MAX_DEPTH + 1; depth++)
    {
      GString *s = g_string_new (NULL);
      for (int k = 0; k < depth; k++)
        g_string_append (s, k % 2 ? "{\"k\":" : "[");
      g_string_append (s, "0");
      for (int k = depth - 1; k >= 0; k--)
        g_string_append (s, k % 2 ? "}" : "]");
      g_autoptr (GError) error = NULL;
      g_autoptr (DvJson) j = dv_json_parse (s->str, s->len, &error);
      if (depth <= DV_JSON_MAX_DEPTH)
        {
          g_assert_no_error (error);
          g_assert_nonnull (j);
        }
      else
        g_assert_error (error, DV_JSON_ERROR, DV_JSON_ERROR_DEPTH);
      g_string_free (s, TRUE);
    }
  /* Far deeper than any stack would survive without the limit. */
  char *deep = g_strnfill (1000000, '[');
  g_autoptr (GError) error = NULL;
  g_assert_null (dv_json_parse (deep, -1, &error));
  g_assert_error (error, DV_JSON_ERROR, DV_JSON_ERROR_DEPTH);
  g_free (deep);
}

static void
test_nonfinite (void)
{
  g_autoptr (DvJson) j = parse_ok ("[NaN, Infinity, -Infinity]");
  g_assert_true (isnan (dv_json_number (dv_json_array_get (j, 0))));
  g_assert_cmpfloat (dv_json_number (dv_json_array_get (j, 1)), ==, INFINITY);
  g_assert_cmpfloat (dv_json_number (dv_json_array_get (j, 2)), ==, -INFINITY);
  g_autofree char *out = dv_json_to_string (j, FALSE);
  g_assert_cmpstr (out, ==, "[NaN,Infinity,-Infinity]");

  const char *strict[] = { "NaN", "Infinity", "-Infinity" };
  for (guint k = 0; k < G_N_ELEMENTS (strict); k++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_null (dv_json_parse_full (strict[k], -1, DV_JSON_PARSE_NO_NONFINITE, &error));
      g_assert_error (error, DV_JSON_ERROR, DV_JSON_ERROR_SYNTAX);
    }
}

static void
test_duplicates (void)
{
  const char *text = "{\"a\": 1, \"b\": 2, \"a\": 3}";
  g_autoptr (DvJson) j = parse_ok (text);
  g_assert_cmpuint (dv_json_length (j), ==, 2);
  g_assert_cmpstr (dv_json_object_key (j, 0), ==, "a"); /* kept its place, as in Python */
  g_assert_cmpint (dv_json_get_int (j, "a", 0), ==, 3);

  g_autoptr (GError) error = NULL;
  g_assert_null (dv_json_parse_full (text, -1, DV_JSON_PARSE_REJECT_DUPLICATES, &error));
  g_assert_error (error, DV_JSON_ERROR, DV_JSON_ERROR_DUPLICATE_KEY);
  g_assert_true (g_str_has_prefix (error->message, "1:18: duplicate key \"a\""));
}

/* A document using every construct, for the robustness tests. */
static const char rich_doc[] =
  "{\n  \"name\": \"DyRCNNx2 \\u00e9\\ud83d\\ude00 \xC3\xBC\",\n"
  "  \"dt\": 2.0, \"steps\": 8, \"neg\": -1.25e-3, \"big\": 12345678901234,\n"
  "  \"flags\": [true, false, null, NaN, -Infinity],\n"
  "  \"nested\": {\"a\": [[], {}, [1, [2, [3]]]], \"s\": \"tab\\tquote\\\"\"},\n"
  "  \"empty\": \"\"\n}\n";

static void
check_result (const char *text, gsize len)
{
  GError *error = NULL;
  DvJson *j = dv_json_parse (text, len, &error);
  g_assert_true ((j == NULL) != (error == NULL));
  if (j != NULL)
    {
      /* Whatever parses must survive a serialise/parse round trip. */
      g_autofree char *out = dv_json_to_string (j, FALSE);
      g_autoptr (DvJson) again = parse_ok (out);
      g_assert_true (dv_json_equal (j, again));
      dv_json_free (j);
    }
  else
    {
      g_assert_true (error->domain == DV_JSON_ERROR);
      g_assert_true (g_ascii_isdigit (error->message[0]));
      g_error_free (error);
    }
}

static void
test_robust_prefixes (void)
{
  gsize n = strlen (rich_doc);
  g_autoptr (DvJson) full = parse_ok (rich_doc);
  for (gsize len = 0; len < n; len++)
    {
      /* A heap copy of exactly len bytes so a read past the end is caught
       * by valgrind/ASan. */
      char *copy = g_memdup2 (rich_doc, len ? len : 1);
      check_result (copy, len);
      g_free (copy);
    }
  /* Every strict prefix that stops before the closing brace is invalid. */
  const char *close = strrchr (rich_doc, '}');
  for (gsize len = 0; len < (gsize) (close - rich_doc); len++)
    g_assert_null (dv_json_parse (rich_doc, len, NULL));
}

static void
test_robust_random (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (1234);
  static const char alphabet[] = "{}[]\",:\\ 0123456789.-+eEtrufalsnNI\xC3\xA9\x80\xFF\n";
  gsize n = strlen (rich_doc);
  char *buf = g_malloc (n);
  for (int iter = 0; iter < 20000; iter++)
    {
      /* Mutations of the rich document: a few bytes replaced, often with
       * JSON punctuation so the parser gets deep before failing. */
      memcpy (buf, rich_doc, n);
      int edits = g_rand_int_range (rng, 1, 4);
      for (int e = 0; e < edits; e++)
        {
          gsize at = g_rand_int_range (rng, 0, n);
          buf[at] = g_rand_boolean (rng) ? alphabet[g_rand_int_range (rng, 0, sizeof alphabet - 1)]
                                         : (char) g_rand_int_range (rng, 0, 256);
        }
      check_result (buf, g_rand_int_range (rng, 0, n + 1));
    }
  for (int iter = 0; iter < 5000; iter++)
    {
      /* Pure noise, and noise drawn from the JSON alphabet. */
      gsize len = g_rand_int_range (rng, 0, n);
      gboolean json_ish = iter % 2;
      for (gsize k = 0; k < len; k++)
        buf[k] = json_ish ? alphabet[g_rand_int_range (rng, 0, sizeof alphabet - 1)]
                          : (char) g_rand_int_range (rng, 0, 256);
      check_result (buf, len);
    }
  g_free (buf);
}

static void
test_numbers_out (void)
{
  static const struct { double v; const char *text; } cases[] = {
    { 2.0, "2.0" },
    { 0.0, "0.0" },
    { -0.0, "-0.0" },
    { 0.1, "0.1" },
    { 100.0, "100.0" },
    { 123.456, "123.456" },
    { 1.0 / 3.0, "0.3333333333333333" },
    { 2.0 / 3.0, "0.6666666666666666" },
    { 0.0001, "0.0001" },
    { 1e-5, "1e-05" },
    { 1.5e-7, "1.5e-07" },
    { 1e15, "1000000000000000.0" },
    { 1e16, "1e+16" },
    { 1.2345678901234567e17, "1.2345678901234566e+17" },
    { 1e100, "1e+100" },
    { 5e-324, "5e-324" },
    { 1.7976931348623157e308, "1.7976931348623157e+308" },
    { 0.30000000000000004, "0.30000000000000004" },
    { 9007199254740993.0, "9007199254740992.0" },
    { -2.5, "-2.5" },
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (DvJson) j = dv_json_new_number (cases[k].v);
      g_autofree char *out = dv_json_to_string (j, FALSE);
      g_assert_cmpstr (out, ==, cases[k].text);
      g_autoptr (DvJson) back = parse_ok (out);
      g_assert_false (dv_json_is_int (back));
      double v = dv_json_number (back);
      g_assert_cmpmem (&cases[k].v, sizeof (double), &v, sizeof (double));
    }

  /* Random doubles of every magnitude read back bit for bit, never as ints. */
  g_autoptr (GRand) rng = g_rand_new_with_seed (42);
  for (int iter = 0; iter < 20000; iter++)
    {
      guint64 bits = ((guint64) g_rand_int (rng) << 32) | g_rand_int (rng);
      double v;
      memcpy (&v, &bits, sizeof v);
      if (iter % 4 == 0)
        v = round (v * 1000.0) / 1000.0; /* short decimals too */
      if (!isfinite (v))
        continue;
      g_autoptr (DvJson) j = dv_json_new_number (v);
      g_autofree char *out = dv_json_to_string (j, FALSE);
      g_assert_true (strpbrk (out, ".e") != NULL);
      g_autoptr (DvJson) back = parse_ok (out);
      g_assert_false (dv_json_is_int (back));
      double w = dv_json_number (back);
      g_assert_cmpmem (&v, sizeof v, &w, sizeof w);
    }

  g_autoptr (DvJson) i2 = dv_json_new_int (2);
  g_autoptr (DvJson) imin = dv_json_new_int (G_MININT64);
  g_autofree char *s2 = dv_json_to_string (i2, FALSE);
  g_autofree char *smin = dv_json_to_string (imin, FALSE);
  g_assert_cmpstr (s2, ==, "2");
  g_assert_cmpstr (smin, ==, "-9223372036854775808");
  g_assert_true (dv_json_is_int (i2));
  g_autoptr (DvJson) f2 = parse_ok ("2.0");
  g_assert_false (dv_json_is_int (f2));
  g_autofree char *sf2 = dv_json_to_string (f2, FALSE);
  g_assert_cmpstr (sf2, ==, "2.0");
}

static void
test_strings_out (void)
{
  g_autoptr (DvJson) j = dv_json_new_string ("q\" b\\ n\n t\t c\x01 d\x1f e\x7f \xC3\xA9\xF0\x9F\x98\x80 /");
  g_autofree char *out = dv_json_to_string (j, FALSE);
  g_assert_cmpstr (out, ==,
                   "\"q\\\" b\\\\ n\\n t\\t c\\u0001 d\\u001f e\x7f \xC3\xA9\xF0\x9F\x98\x80 /\"");
  g_autoptr (DvJson) back = parse_ok (out);
  g_assert_cmpstr (dv_json_string (back), ==, dv_json_string (j));

  /* Invalid UTF-8 handed to new_string is repaired, so output stays valid. */
  g_autoptr (DvJson) bad = dv_json_new_string ("a\xFF" "b");
  g_assert_true (g_utf8_validate (dv_json_string (bad), -1, NULL));
}

static void
test_pretty (void)
{
  g_autoptr (DvJson) o = dv_json_new_object ();
  dv_json_object_set (o, "b", dv_json_new_int (1));
  dv_json_object_set (o, "a", dv_json_new_number (0.5));
  DvJson *arr = dv_json_new_array ();
  dv_json_array_append (arr, dv_json_new_bool (TRUE));
  dv_json_array_append (arr, dv_json_new_null ());
  dv_json_array_append (arr, dv_json_new_string ("x"));
  dv_json_object_set (o, "list", arr);
  dv_json_object_set (o, "empty_a", dv_json_new_array ());
  dv_json_object_set (o, "empty_o", dv_json_new_object ());
  DvJson *inner = dv_json_new_object ();
  dv_json_object_set (inner, "k", dv_json_new_number (3.0));
  dv_json_object_set (o, "inner", inner);

  g_autofree char *compact = dv_json_to_string (o, FALSE);
  g_assert_cmpstr (compact, ==,
                   "{\"b\":1,\"a\":0.5,\"list\":[true,null,\"x\"],\"empty_a\":[],"
                   "\"empty_o\":{},\"inner\":{\"k\":3.0}}");
  /* Exactly what Python's json.dumps(obj, indent=2) writes. */
  g_autofree char *pretty = dv_json_to_string (o, TRUE);
  g_assert_cmpstr (pretty, ==,
                   "{\n"
                   "  \"b\": 1,\n"
                   "  \"a\": 0.5,\n"
                   "  \"list\": [\n"
                   "    true,\n"
                   "    null,\n"
                   "    \"x\"\n"
                   "  ],\n"
                   "  \"empty_a\": [],\n"
                   "  \"empty_o\": {},\n"
                   "  \"inner\": {\n"
                   "    \"k\": 3.0\n"
                   "  }\n"
                   "}");
  g_autoptr (DvJson) back = parse_ok (pretty);
  g_assert_true (dv_json_equal (o, back));
  g_autofree char *again = dv_json_to_string (back, FALSE);
  g_assert_cmpstr (again, ==, compact);
}

static void
test_object_order (void)
{
  g_autoptr (DvJson) o = dv_json_new_object ();
  /* Enough members to switch on the hash index, then shrink below it. */
  for (int k = 0; k < 40; k++)
    {
      g_autofree char *key = g_strdup_printf ("key%02d", 39 - k);
      dv_json_object_set (o, key, dv_json_new_int (k));
    }
  g_assert_cmpuint (dv_json_length (o), ==, 40);
  g_assert_cmpstr (dv_json_object_key (o, 0), ==, "key39");
  g_assert_cmpstr (dv_json_object_key (o, 39), ==, "key00");
  dv_json_object_set (o, "key20", dv_json_new_string ("replaced"));
  g_assert_cmpuint (dv_json_length (o), ==, 40);
  g_assert_cmpstr (dv_json_object_key (o, 19), ==, "key20");
  g_assert_cmpstr (dv_json_string (dv_json_object_value (o, 19)), ==, "replaced");

  g_autoptr (DvJson) copy = dv_json_copy (o);
  g_assert_true (dv_json_equal (o, copy));

  for (int k = 0; k < 40; k += 2)
    {
      g_autofree char *key = g_strdup_printf ("key%02d", k);
      g_assert_true (dv_json_object_remove (o, key));
      g_assert_false (dv_json_object_remove (o, key));
    }
  g_assert_cmpuint (dv_json_length (o), ==, 20);
  g_assert_cmpstr (dv_json_object_key (o, 0), ==, "key39");
  g_assert_cmpstr (dv_json_object_key (o, 1), ==, "key37");
  g_assert_null (dv_json_object_get (o, "key20"));
  g_assert_cmpint (dv_json_get_int (o, "key21", -1), ==, 18);
  for (int k = 1; k < 40; k += 2)
    {
      g_autofree char *key = g_strdup_printf ("key%02d", k);
      g_assert_cmpint (dv_json_int (dv_json_object_get (o, key)), ==, 39 - k);
      if (k < 35)
        g_assert_true (dv_json_object_remove (o, key));
    }
  g_assert_cmpuint (dv_json_length (o), ==, 3);
  g_assert_cmpint (dv_json_get_int (o, "key37", -1), ==, 2);
  dv_json_object_set (o, "new", dv_json_new_null ());
  g_assert_cmpstr (dv_json_object_key (o, 3), ==, "new");

  /* The copy is independent and kept everything. */
  g_assert_cmpuint (dv_json_length (copy), ==, 40);
  g_assert_false (dv_json_equal (o, copy));
  g_assert_cmpstr (dv_json_get_string (copy, "key20", NULL), ==, "replaced");
}

static void
test_equal (void)
{
  g_autoptr (DvJson) a = parse_ok ("{\"x\": [1, 2.0, \"s\"], \"y\": {\"z\": null}}");
  g_autoptr (DvJson) b = parse_ok ("{\"y\": {\"z\": null}, \"x\": [1.0, 2, \"s\"]}");
  g_autoptr (DvJson) c = parse_ok ("{\"y\": {\"z\": false}, \"x\": [1.0, 2, \"s\"]}");
  g_assert_true (dv_json_equal (a, b));
  g_assert_false (dv_json_equal (a, c));
}

static void
test_getters (void)
{
  g_autoptr (DvJson) o = parse_ok ("{\"f\": 1.5, \"i\": 7, \"fi\": 3.0, \"b\": true, "
                                   "\"s\": \"str\", \"n\": null, \"huge\": 1e300}");
  g_assert_cmpfloat (dv_json_get_number (o, "f", 0), ==, 1.5);
  g_assert_cmpfloat (dv_json_get_number (o, "i", 0), ==, 7.0);
  g_assert_cmpfloat (dv_json_get_number (o, "s", -1), ==, -1);
  g_assert_cmpfloat (dv_json_get_number (o, "missing", -2), ==, -2);
  g_assert_cmpint (dv_json_get_int (o, "i", 0), ==, 7);
  g_assert_cmpint (dv_json_get_int (o, "fi", 0), ==, 3);
  g_assert_cmpint (dv_json_get_int (o, "f", -1), ==, -1);
  g_assert_cmpint (dv_json_get_int (o, "huge", -1), ==, -1);
  g_assert_cmpint (dv_json_get_int (o, "b", -1), ==, -1);
  g_assert_true (dv_json_get_bool (o, "b", FALSE));
  g_assert_false (dv_json_get_bool (o, "i", FALSE));
  g_assert_cmpstr (dv_json_get_string (o, "s", NULL), ==, "str");
  g_assert_cmpstr (dv_json_get_string (o, "n", "dflt"), ==, "dflt");
  g_autoptr (DvJson) arr = parse_ok ("[1]");
  g_assert_cmpint (dv_json_get_int (arr, "i", 5), ==, 5);
  g_assert_cmpint (dv_json_get_int (NULL, "i", 6), ==, 6);
}

static void
test_parse_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dv-json-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *good = g_build_filename (dir, "good.json", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.json", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.json", NULL);
  g_assert_true (g_file_set_contents (good, rich_doc, -1, NULL));
  g_assert_true (g_file_set_contents (bad, "{\n  \"a\": tru\n}", -1, NULL));

  g_autoptr (DvJson) j = dv_json_parse_file (good, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dv_json_get_int (j, "steps", 0), ==, 8);
  g_assert_cmpstr (dv_json_get_string (j, "name", NULL), ==,
                   "DyRCNNx2 \xC3\xA9\xF0\x9F\x98\x80 \xC3\xBC");

  g_assert_null (dv_json_parse_file (bad, &error));
  g_assert_error (error, DV_JSON_ERROR, DV_JSON_ERROR_SYNTAX);
  g_autofree char *want = g_strdup_printf ("%s:2:8: expected a value", bad);
  g_assert_true (g_str_has_prefix (error->message, want));
  g_clear_error (&error);

  g_assert_null (dv_json_parse_file (missing, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);

  g_unlink (good);
  g_unlink (bad);
  g_rmdir (dir);
}

/* dv_json_reads_begin/_end: what a preset builder never looked at is reported, in member
 * order; lookups of absent keys, by index, and in other objects do not count; trackers nest. */
static void
test_reads (void)
{
  g_autoptr (DvJson) o = dv_json_parse ("{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": {\"e\": 4}}", -1, NULL);
  g_autoptr (DvJson) other = dv_json_parse ("{\"b\": 9}", -1, NULL);
  g_assert_nonnull (o);
  DvJsonReads *r = dv_json_reads_begin (o);
  g_assert_cmpint (dv_json_get_int (o, "a", 0), ==, 1);
  g_assert_cmpint (dv_json_get_int (other, "b", 0), ==, 9); /* another object */
  g_assert_null (dv_json_object_get (o, "zz"));              /* absent */
  DvJsonReads *inner = dv_json_reads_begin (o);
  g_assert_nonnull (dv_json_object_value (o, 3));            /* "d", by index */
  g_auto (GStrv) in_unread = dv_json_reads_end (inner);
  const char *in_want[] = { "a", "b", "c", NULL };
  g_assert_cmpstrv (in_unread, in_want);
  g_auto (GStrv) unread = dv_json_reads_end (r);
  const char *want[] = { "b", "c", NULL };
  g_assert_cmpstrv (unread, want);
  /* after the end nothing is tracked */
  g_assert_cmpint (dv_json_get_int (o, "b", 0), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/json/parse/scalars", test_scalars);
  g_test_add_func ("/engine/json/parse/strings", test_strings);
  g_test_add_func ("/engine/json/parse/errors-name-line-column", test_errors);
  g_test_add_func ("/engine/json/parse/depth-limit", test_depth);
  g_test_add_func ("/engine/json/parse/nan-infinity", test_nonfinite);
  g_test_add_func ("/engine/json/parse/duplicate-keys", test_duplicates);
  g_test_add_func ("/engine/json/parse/truncated-prefixes", test_robust_prefixes);
  g_test_add_func ("/engine/json/parse/random-bytes", test_robust_random);
  g_test_add_func ("/engine/json/parse/file", test_parse_file);
  g_test_add_func ("/engine/json/write/numbers-like-python", test_numbers_out);
  g_test_add_func ("/engine/json/write/strings", test_strings_out);
  g_test_add_func ("/engine/json/write/pretty", test_pretty);
  g_test_add_func ("/engine/json/object/order-replace-remove", test_object_order);
  g_test_add_func ("/engine/json/equal", test_equal);
  g_test_add_func ("/engine/json/getters", test_getters);
  g_test_add_func ("/engine/json/reads", test_reads);
  return g_test_run ();
}
