/* dv-json-parse.c — the recursive-descent JSON parser of dv-json.h.
 *
 * What this is for: correctness on any input: it never reads past `len`,
 * limits nesting, checks UTF-8, and reports line:column with what it
 * expected.  What it is not for: building nodes by hand (dv-json.c) or
 * writing JSON (dv-json-write.c).
 */
#include "dv-json-private.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Parser                                                                    */

typedef struct {
  const char *text;
  const char *p;
  const char *end;
  DvJsonParseFlags flags;
  int depth;
  GError **error;
} Parser;

static void G_GNUC_PRINTF (4, 5)
parser_fail (Parser *ps, const char *at, DvJsonError code, const char *fmt, ...)
{
  int line = 1, column = 1;
  for (const char *q = ps->text; q < at; q++)
    {
      if (*q == '\n')
        line++, column = 1;
      else if (((guchar) *q & 0xC0) != 0x80)
        column++;
    }
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (ps->error, DV_JSON_ERROR, code, "%d:%d: %s", line, column, msg);
}

/* "end of input", "'x'" or "byte 0xNN" for the character at `at`. */
static const char *
describe_at (const Parser *ps, const char *at, char buf[16])
{
  if (at >= ps->end)
    return "end of input";
  guchar c = (guchar) *at;
  if (c >= 0x20 && c < 0x7F)
    g_snprintf (buf, 16, "'%c'", c);
  else
    g_snprintf (buf, 16, "byte 0x%02X", c);
  return buf;
}

static void
fail_expected (Parser *ps, const char *what)
{
  char buf[16];
  parser_fail (ps, ps->p, DV_JSON_ERROR_SYNTAX, "expected %s, found %s", what,
               describe_at (ps, ps->p, buf));
}

static void
skip_ws (Parser *ps)
{
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static gboolean
match_literal (Parser *ps, const char *lit)
{
  gsize n = strlen (lit);
  if ((gsize) (ps->end - ps->p) < n || memcmp (ps->p, lit, n) != 0)
    return FALSE;
  ps->p += n;
  return TRUE;
}

static DvJson *parse_value (Parser *ps);

/* Reads one \uXXXX escape (ps->p at the backslash) into *cp. */
static gboolean
parse_u_escape (Parser *ps, int *cp)
{
  *cp = 0;
  for (int k = 2; k < 6; k++)
    {
      int d = ps->p + k < ps->end ? g_ascii_xdigit_value (ps->p[k]) : -1;
      if (d < 0)
        {
          parser_fail (ps, ps->p, DV_JSON_ERROR_SYNTAX, "expected 4 hex digits after \\u");
          return FALSE;
        }
      *cp = *cp * 16 + d;
    }
  ps->p += 6;
  return TRUE;
}

/* ps->p at the opening quote.  Returns a NUL-terminated copy in *out. */
static gboolean
parse_string_raw (Parser *ps, char **out, gsize *out_len)
{
  static const char escapes[] = "\"\\/bfnrt", replacements[] = "\"\\/\b\f\n\r\t";
  const char *start = ps->p;
  GString *s = g_string_new (NULL);
  ps->p++;
  for (;;)
    {
      const char *run = ps->p;
      while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && (guchar) *ps->p >= 0x20)
        ps->p++;
      g_string_append_len (s, run, ps->p - run);
      if (ps->p >= ps->end)
        {
          parser_fail (ps, start, DV_JSON_ERROR_SYNTAX,
                       "unterminated string (expected '\"' before end of input)");
          goto fail;
        }
      if (*ps->p == '"')
        {
          ps->p++;
          break;
        }
      if (*ps->p != '\\')
        {
          parser_fail (ps, ps->p, DV_JSON_ERROR_SYNTAX,
                       "control character 0x%02X in string (expected it escaped)",
                       (guchar) *ps->p);
          goto fail;
        }
      char e = ps->p + 1 < ps->end ? ps->p[1] : '\0';
      const char *simple = e != '\0' ? strchr (escapes, e) : NULL;
      if (simple != NULL)
        {
          g_string_append_c (s, replacements[simple - escapes]);
          ps->p += 2;
          continue;
        }
      if (e != 'u')
        {
          ps->p++;
          fail_expected (ps, "one of \" \\ / b f n r t u after '\\'");
          goto fail;
        }
      const char *esc = ps->p;
      int cp, lo = -1;
      if (!parse_u_escape (ps, &cp))
        goto fail;
      if (cp >= 0xD800 && cp <= 0xDBFF)
        {
          /* A high surrogate must be followed by an escaped low one. */
          if (ps->end - ps->p >= 2 && ps->p[0] == '\\' && ps->p[1] == 'u'
              && !parse_u_escape (ps, &lo))
            goto fail;
          if (lo < 0xDC00 || lo > 0xDFFF)
            {
              parser_fail (ps, esc, DV_JSON_ERROR_ENCODING,
                           "unpaired high surrogate \\u%04X (expected \\uDC00-\\uDFFF after it)",
                           cp);
              goto fail;
            }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
      else if (cp >= 0xDC00 && cp <= 0xDFFF)
        {
          parser_fail (ps, esc, DV_JSON_ERROR_ENCODING, "unpaired low surrogate \\u%04X", cp);
          goto fail;
        }
      g_string_append_unichar (s, (gunichar) cp);
    }
  *out_len = s->len;
  *out = g_string_free (s, FALSE);
  return TRUE;
fail:
  g_string_free (s, TRUE);
  return FALSE;
}

/* Skips whitespace; consumes c if it comes next. */
static gboolean
eat (Parser *ps, char c)
{
  skip_ws (ps);
  if (ps->p >= ps->end || *ps->p != c)
    return FALSE;
  ps->p++;
  return TRUE;
}

/* Advances *q over one or more digits, or fails naming `what`. */
static gboolean
digits (Parser *ps, const char **q, const char *what)
{
  if (*q >= ps->end || !g_ascii_isdigit (**q))
    {
      ps->p = *q;
      fail_expected (ps, what);
      return FALSE;
    }
  while (*q < ps->end && g_ascii_isdigit (**q))
    (*q)++;
  return TRUE;
}

static DvJson *
parse_number (Parser *ps)
{
  const char *start = ps->p, *q = ps->p;
  gboolean is_int = TRUE;
  if (q < ps->end && *q == '-')
    q++;
  if (q < ps->end && *q == 'I' && !(ps->flags & DV_JSON_PARSE_NO_NONFINITE))
    {
      ps->p = q;
      if (match_literal (ps, "Infinity"))
        return dv_json_new_number (*start == '-' ? -INFINITY : INFINITY);
    }
  if (q < ps->end && *q == '0')
    q++;
  else if (!digits (ps, &q, "a digit"))
    return NULL;
  if (q < ps->end && *q == '.')
    {
      is_int = FALSE;
      q++;
      if (!digits (ps, &q, "a digit after '.'"))
        return NULL;
    }
  if (q < ps->end && (*q == 'e' || *q == 'E'))
    {
      is_int = FALSE;
      q++;
      if (q < ps->end && (*q == '+' || *q == '-'))
        q++;
      if (!digits (ps, &q, "a digit in the exponent"))
        return NULL;
    }
  ps->p = q;

  /* The text is not necessarily NUL-terminated here: convert a copy. */
  g_autofree char *buf = g_strndup (start, q - start);
  if (is_int)
    {
      errno = 0;
      gint64 v = g_ascii_strtoll (buf, NULL, 10);
      if (errno == 0)
        return dv_json_new_int (v);
    }
  /* A fraction or exponent, or an integer beyond gint64. */
  return dv_json_new_number (g_ascii_strtod (buf, NULL));
}

static gboolean
enter (Parser *ps)
{
  if (++ps->depth > DV_JSON_MAX_DEPTH)
    {
      parser_fail (ps, ps->p, DV_JSON_ERROR_DEPTH, "nesting deeper than %d levels",
                   DV_JSON_MAX_DEPTH);
      return FALSE;
    }
  return TRUE;
}

static DvJson *
parse_array (Parser *ps)
{
  if (!enter (ps))
    return NULL;
  DvJson *arr = dv_json_new_array ();
  ps->p++; /* '[' */
  if (!eat (ps, ']'))
    for (;;)
      {
        DvJson *v = parse_value (ps);
        if (v == NULL)
          goto fail;
        g_ptr_array_add (arr->u.arr, v);
        if (eat (ps, ']'))
          break;
        if (!eat (ps, ','))
          {
            fail_expected (ps, "',' or ']' after an array element");
            goto fail;
          }
      }
  ps->depth--;
  return arr;
fail:
  dv_json_free (arr);
  return NULL;
}

static DvJson *
parse_object (Parser *ps)
{
  if (!enter (ps))
    return NULL;
  DvJson *obj = dv_json_new_object ();
  char *key = NULL;
  ps->p++; /* '{' */
  if (!eat (ps, '}'))
    for (;;)
      {
        skip_ws (ps);
        const char *key_at = ps->p;
        gsize key_len;
        if (ps->p >= ps->end || *ps->p != '"')
          {
            fail_expected (ps, "a string key");
            goto fail;
          }
        if (!parse_string_raw (ps, &key, &key_len))
          goto fail;
        if (!eat (ps, ':'))
          {
            fail_expected (ps, "':' after an object key");
            goto fail;
          }
        DvJson *v = parse_value (ps);
        if (v == NULL)
          goto fail;
        gint old = dv_json_object_find (obj, key);
        if (old >= 0 && (ps->flags & DV_JSON_PARSE_REJECT_DUPLICATES))
          {
            parser_fail (ps, key_at, DV_JSON_ERROR_DUPLICATE_KEY, "duplicate key \"%s\"", key);
            dv_json_free (v);
            goto fail;
          }
        if (old >= 0) /* the later value wins, in the earlier place (as in Python) */
          {
            dv_json_free (MEMBER (obj, old)->value);
            MEMBER (obj, old)->value = v;
            g_clear_pointer (&key, g_free);
          }
        else
          dv_json_object_append_take (obj, g_steal_pointer (&key), v);
        if (eat (ps, '}'))
          break;
        if (!eat (ps, ','))
          {
            fail_expected (ps, "',' or '}' after an object member");
            goto fail;
          }
      }
  ps->depth--;
  return obj;
fail:
  g_free (key);
  dv_json_free (obj);
  return NULL;
}

static DvJson *
parse_value (Parser *ps)
{
  skip_ws (ps);
  if (ps->p >= ps->end)
    {
      fail_expected (ps, "a value");
      return NULL;
    }
  gboolean nonfinite = !(ps->flags & DV_JSON_PARSE_NO_NONFINITE);
  switch (*ps->p)
    {
    case '{':
      return parse_object (ps);
    case '[':
      return parse_array (ps);
    case '"':
      {
        char *s;
        gsize len;
        return parse_string_raw (ps, &s, &len) ? dv_json_new_string_take (s, len) : NULL;
      }
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return parse_number (ps);
    default:
      break;
    }
  if (match_literal (ps, "true"))
    return dv_json_new_bool (TRUE);
  if (match_literal (ps, "false"))
    return dv_json_new_bool (FALSE);
  if (match_literal (ps, "null"))
    return dv_json_new_null ();
  if (nonfinite && match_literal (ps, "NaN"))
    return dv_json_new_number (NAN);
  if (nonfinite && *ps->p == 'I')
    return parse_number (ps);
  fail_expected (ps, "a value (object, array, string, number, true, false or null)");
  return NULL;
}

/* Checks the whole text is UTF-8 (NUL bytes are left to the parser, which
 * rejects them as unexpected characters). */
static gboolean
check_utf8 (Parser *ps)
{
  const char *p = ps->text, *stop;
  while (!g_utf8_validate_len (p, ps->end - p, &stop))
    {
      if (*stop != '\0')
        {
          parser_fail (ps, stop, DV_JSON_ERROR_ENCODING, "invalid UTF-8 (byte 0x%02X)",
                       (guchar) *stop);
          return FALSE;
        }
      p = stop + 1;
    }
  return TRUE;
}

DvJson *
dv_json_parse_full (const char *text, gssize len, DvJsonParseFlags flags, GError **error)
{
  g_return_val_if_fail (text != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (len < 0)
    len = strlen (text);
  if (text == NULL)
    text = "";
  Parser ps = { text, text, text + len, flags, 0, error };
  if (len >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0) /* byte-order mark */
    ps.p += 3;
  if (!check_utf8 (&ps))
    return NULL;
  DvJson *root = parse_value (&ps);
  if (root == NULL)
    return NULL;
  skip_ws (&ps);
  if (ps.p < ps.end)
    {
      fail_expected (&ps, "end of input after the value");
      dv_json_free (root);
      return NULL;
    }
  return root;
}

DvJson *
dv_json_parse (const char *text, gssize len, GError **error)
{
  return dv_json_parse_full (text, len, DV_JSON_PARSE_DEFAULT, error);
}

DvJson *
dv_json_parse_file (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *text = NULL;
  gsize len;
  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  DvJson *root = dv_json_parse (text, len, error);
  if (root == NULL)
    g_prefix_error (error, "%s:", path);
  return root;
}
