/* dv-json-write.c — the serialiser of dv-json.h.
 *
 * What this is for: faithful round trips of DynVision's Python-written JSON:
 * shortest decimal that reads back to the same double, escapes as Python's
 * json module writes them, optional indentation.  What it is not for:
 * parsing (dv-json-parse.c).
 */
#include "dv-json-private.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Serialiser                                                                */

static void
write_string (GString *out, const char *s, gsize len)
{
  g_string_append_c (out, '"');
  const char *run = s;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) s[i];
      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, s + i - run);
      run = s + i + 1;
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default: g_string_append_printf (out, "\\u%04x", c); break;
        }
    }
  g_string_append_len (out, run, s + len - run);
  g_string_append_c (out, '"');
}

/* Shortest round-trip digits of a finite double, laid out like Python's
 * repr(): positional for 1e-4 <= |v| < 1e16 (always with a '.'), else
 * d[.ddd]e±XX. */
static void
write_double (GString *out, double v)
{
  if (isnan (v))
    {
      g_string_append (out, "NaN");
      return;
    }
  if (isinf (v))
    {
      g_string_append (out, v > 0 ? "Infinity" : "-Infinity");
      return;
    }
  /* Any decimal of at most DBL_DIG = 15 digits survives a round trip through
   * a normal double, so trailing zeros stripped from %.14e give the shortest
   * form whenever one of <= 15 digits exists; subnormals have fewer bits and
   * need the full search. */
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  for (int prec = fabs (v) < DBL_MIN ? 1 : 15; prec <= 17; prec++)
    {
      char fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%de", prec - 1);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  /* buf = [-]d.ddddde[+-]XX : collect the digits and the exponent. */
  const char *p = buf;
  char digits[24];
  int nd = 0;
  if (*p == '-')
    {
      g_string_append_c (out, '-');
      p++;
    }
  for (; *p != 'e' && *p != '\0'; p++)
    if (g_ascii_isdigit (*p) && nd < (int) sizeof digits - 1)
      digits[nd++] = *p;
  int exp10 = *p == 'e' ? atoi (p + 1) : 0;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = '\0';

  if (exp10 < -4 || exp10 >= 16)
    {
      g_string_append_c (out, digits[0]);
      if (nd > 1)
        {
          g_string_append_c (out, '.');
          g_string_append (out, digits + 1);
        }
      g_string_append_printf (out, "e%c%02d", exp10 < 0 ? '-' : '+', ABS (exp10));
    }
  else if (exp10 < 0)
    {
      g_string_append (out, "0.");
      for (int k = 0; k < -exp10 - 1; k++)
        g_string_append_c (out, '0');
      g_string_append (out, digits);
    }
  else
    {
      for (int k = 0; k <= exp10; k++)
        g_string_append_c (out, k < nd ? digits[k] : '0');
      g_string_append_c (out, '.');
      g_string_append (out, nd > exp10 + 1 ? digits + exp10 + 1 : "0");
    }
}

static void
newline_indent (GString *out, gboolean pretty, int level)
{
  if (!pretty)
    return;
  g_string_append_c (out, '\n');
  for (int k = 0; k < level; k++)
    g_string_append (out, "  ");
}

static void
write_value (GString *out, const DvJson *n, gboolean pretty, int level)
{
  switch (n->type)
    {
    case DV_JSON_NULL:
      g_string_append (out, "null");
      break;
    case DV_JSON_BOOL:
      g_string_append (out, n->u.b ? "true" : "false");
      break;
    case DV_JSON_NUMBER:
      if (n->is_int)
        g_string_append_printf (out, "%" G_GINT64_FORMAT, n->u.i);
      else
        write_double (out, n->u.d);
      break;
    case DV_JSON_STRING:
      write_string (out, n->u.str.s, n->u.str.len);
      break;
    case DV_JSON_ARRAY:
      g_string_append_c (out, '[');
      for (guint i = 0; i < n->u.arr->len; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          newline_indent (out, pretty, level + 1);
          write_value (out, n->u.arr->pdata[i], pretty, level + 1);
        }
      if (n->u.arr->len > 0)
        newline_indent (out, pretty, level);
      g_string_append_c (out, ']');
      break;
    case DV_JSON_OBJECT:
      g_string_append_c (out, '{');
      for (guint i = 0; i < n->u.obj.members->len; i++)
        {
          const DvJsonMember *m = MEMBER (n, i);
          if (i > 0)
            g_string_append_c (out, ',');
          newline_indent (out, pretty, level + 1);
          write_string (out, m->key, strlen (m->key));
          g_string_append (out, pretty ? ": " : ":");
          write_value (out, m->value, pretty, level + 1);
        }
      if (n->u.obj.members->len > 0)
        newline_indent (out, pretty, level);
      g_string_append_c (out, '}');
      break;
    default:
      g_assert_not_reached ();
    }
}

char *
dv_json_to_string (const DvJson *node, gboolean pretty)
{
  g_return_val_if_fail (node != NULL, NULL);
  GString *out = g_string_new (NULL);
  write_value (out, node, pretty, 0);
  return g_string_free (out, FALSE);
}
