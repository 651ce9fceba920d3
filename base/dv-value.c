/* dv-value.c — parsing and range checks of user values (see dv-value.h). */
#include "dv-value.h"

#include <errno.h>
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (dv-value-error-quark, dv_value_error)

static char *
fmt_double (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (isinf (v))
    return g_strdup (v > 0 ? "inf" : "-inf");
  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", v));
}

char *
dv_value_describe_range (gboolean whole, double min, double max, DvValueFlags flags)
{
  const char *what = whole ? "a whole number" : "a number";
  gboolean has_min = whole ? min > (double) G_MININT64 : isfinite (min);
  gboolean has_max = whole ? max < (double) G_MAXINT64 : isfinite (max);
  g_autofree char *lo = whole ? g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) min) : fmt_double (min);
  g_autofree char *hi = whole ? g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) max) : fmt_double (max);
  gboolean min_open = (flags & DV_VALUE_MIN_OPEN) != 0, max_open = (flags & DV_VALUE_MAX_OPEN) != 0;
  if (has_min && has_max && !min_open && !max_open)
    return g_strdup_printf ("%s from %s to %s", what, lo, hi);
  if (has_min && has_max)
    return g_strdup_printf ("%s %s %s and %s %s", what, min_open ? ">" : "≥", lo, max_open ? "<" : "≤", hi);
  if (has_min)
    return g_strdup_printf ("%s %s %s", what, min_open ? ">" : "≥", lo);
  if (has_max)
    return g_strdup_printf ("%s %s %s", what, max_open ? "<" : "≤", hi);
  return g_strdup_printf ("%s%s", whole ? "a whole number" : "a finite number",
                          flags & DV_VALUE_ALLOW_INF ? " (or inf)" : "");
}

static gboolean
blank (const char *s)
{
  while (g_ascii_isspace (*s))
    s++;
  return *s == '\0';
}

static gboolean
in_range (double v, double min, double max, DvValueFlags flags)
{
  if (isnan (v))
    return FALSE;
  if (isinf (v) && !(flags & DV_VALUE_ALLOW_INF))
    return FALSE;
  if (flags & DV_VALUE_MIN_OPEN ? !(v > min) : !(v >= min))
    return FALSE;
  if (flags & DV_VALUE_MAX_OPEN ? !(v < max) : !(v <= max))
    return FALSE;
  return TRUE;
}

gboolean
dv_value_check_double (const char *key, double value, double min, double max, DvValueFlags flags,
                       GError **error)
{
  if (in_range (value, min, max, flags))
    return TRUE;
  g_autofree char *range = dv_value_describe_range (FALSE, min, max, flags);
  g_autofree char *v = fmt_double (value);
  g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_RANGE, "%s=%s: give %s", key, isnan (value) ? "nan" : v,
               range);
  return FALSE;
}

/* A refusal naming key, value and range: "KEY=TEXT: [WHAT; ]give RANGE". */
static gboolean
refuse (GError **error, int code, const char *key, const char *text, const char *what, gboolean whole,
        double min, double max, DvValueFlags flags)
{
  g_autofree char *range = dv_value_describe_range (whole, min, max, flags);
  g_set_error (error, DV_VALUE_ERROR, code, "%s=%s: %s%sgive %s", key, text ? text : "", what ? what : "",
               what ? "; " : "", range);
  return FALSE;
}

gboolean
dv_value_parse_double (const char *key, const char *text, double min, double max, DvValueFlags flags,
                       double *out, GError **error)
{
  g_return_val_if_fail (key != NULL && out != NULL, FALSE);
  const char *s = text ? text : "";
  while (g_ascii_isspace (*s))
    s++;
  char *end = NULL;
  errno = 0;
  double v = *s ? g_ascii_strtod (s, &end) : 0;
  if (*s == '\0' || end == s || !blank (end) || (errno == ERANGE && isinf (v)))
    return refuse (error, DV_VALUE_ERROR_SYNTAX, key, text, "not a number", FALSE, min, max, flags);
  if (!in_range (v, min, max, flags))
    return refuse (error, DV_VALUE_ERROR_RANGE, key, text, NULL, FALSE, min, max, flags);
  *out = v;
  return TRUE;
}

gboolean
dv_value_check_int (const char *key, gint64 value, gint64 min, gint64 max, GError **error)
{
  if (value >= min && value <= max)
    return TRUE;
  g_autofree char *range = dv_value_describe_range (TRUE, (double) min, (double) max, 0);
  g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_RANGE, "%s=%" G_GINT64_FORMAT ": give %s", key, value,
               range);
  return FALSE;
}

gboolean
dv_value_check_whole (const char *key, double value, gint64 min, gint64 max, gint64 *out, GError **error)
{
  if (!isfinite (value) || value != floor (value) || value < -9.2e18 || value > 9.2e18)
    {
      g_autofree char *v = fmt_double (value);
      g_autofree char *range = dv_value_describe_range (TRUE, (double) min, (double) max, 0);
      g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_SYNTAX, "%s=%s: not a whole number; give %s", key,
                   isnan (value) ? "nan" : v, range);
      return FALSE;
    }
  if (!dv_value_check_int (key, (gint64) value, min, max, error))
    return FALSE;
  if (out)
    *out = (gint64) value;
  return TRUE;
}

gboolean
dv_value_parse_int (const char *key, const char *text, gint64 min, gint64 max, gint64 *out, GError **error)
{
  g_return_val_if_fail (key != NULL && out != NULL, FALSE);
  const char *s = text ? text : "";
  while (g_ascii_isspace (*s))
    s++;
  char *end = NULL;
  errno = 0;
  gint64 v = *s ? g_ascii_strtoll (s, &end, 10) : 0;
  if (*s == '\0' || end == s || !blank (end) || errno == ERANGE)
    return refuse (error, DV_VALUE_ERROR_SYNTAX, key, text, "not a whole number", TRUE, (double) min,
                   (double) max, 0);
  if (v < min || v > max)
    return refuse (error, DV_VALUE_ERROR_RANGE, key, text, NULL, TRUE, (double) min, (double) max, 0);
  *out = v;
  return TRUE;
}

gboolean
dv_value_parse_bool (const char *key, const char *text, gboolean *out, GError **error)
{
  static const char *const yes[] = { "true", "yes", "on", "1", "t", "y" };
  static const char *const no[] = { "false", "no", "off", "0", "f", "n" };
  g_autofree char *s = g_strstrip (g_strdup (text ? text : ""));
  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (g_ascii_strcasecmp (s, yes[i]) == 0)
        return (*out = TRUE, TRUE);
      if (g_ascii_strcasecmp (s, no[i]) == 0)
        return (*out = FALSE, TRUE);
    }
  g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_SYNTAX, "%s=%s: give true or false (yes/no, on/off, 1/0)",
               key, text ? text : "");
  return FALSE;
}

gboolean
dv_value_parse_enum (const char *key, const char *text, const char *const *names, int *out, GError **error)
{
  g_return_val_if_fail (names != NULL && out != NULL, FALSE);
  g_autofree char *s = g_strstrip (g_strdup (text ? text : ""));
  for (int i = 0; names[i] != NULL; i++)
    if (g_ascii_strcasecmp (s, names[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  GString *all = g_string_new (NULL);
  for (int i = 0; names[i] != NULL; i++)
    g_string_append_printf (all, "%s%s", i == 0 ? "" : names[i + 1] ? ", " : " or ", names[i]);
  g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_CHOICE, "%s=%s: use %s%s", key, text ? text : "",
               names[0] && names[1] ? "one of " : "", all->str);
  g_string_free (all, TRUE);
  return FALSE;
}

gboolean
dv_value_parse_int_list (const char *key, const char *text, int min_len, int max_len, gint64 min, gint64 max,
                         gint64 **out, int *n_out, GError **error)
{
  g_return_val_if_fail (out != NULL && n_out != NULL, FALSE);
  g_autofree char *s = g_strstrip (g_strdup (text ? text : ""));
  char *body = s;
  gsize len = strlen (s);
  if (len >= 2 && ((s[0] == '[' && s[len - 1] == ']') || (s[0] == '(' && s[len - 1] == ')')))
    {
      s[len - 1] = '\0';
      body = s + 1;
    }
  g_auto (GStrv) parts = g_strsplit (body, ",", -1);
  int n = (int) g_strv_length (parts);
  if (n == 1 && blank (parts[0]))
    n = 0;
  if (n < min_len || n > max_len)
    {
      g_autofree char *count = min_len == max_len ? g_strdup_printf ("%d", min_len)
                                                  : g_strdup_printf ("%d to %d", min_len, max_len);
      g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_SYNTAX, "%s=%s: give a list of %s whole numbers, e.g. [%s]",
                   key, text ? text : "", count, max_len >= 4 ? "20, 3, 32, 32" : "1, 2");
      return FALSE;
    }
  g_autofree gint64 *v = g_new0 (gint64, MAX (n, 1));
  for (int i = 0; i < n; i++)
    {
      g_autofree char *item = g_strdup_printf ("%s[%d]", key, i);
      if (!dv_value_parse_int (item, parts[i], min, max, &v[i], error))
        {
          g_prefix_error (error, "%s=%s: ", key, text);
          return FALSE;
        }
    }
  *out = g_steal_pointer (&v);
  *n_out = n;
  return TRUE;
}

gboolean
dv_value_parse_duration (const char *key, const char *text, double min_ms, double max_ms, DvValueFlags flags,
                         double *out_ms, GError **error)
{
  g_autofree char *s = g_strstrip (g_strdup (text ? text : ""));
  gsize len = strlen (s);
  double scale = 1;
  if (len > 2 && g_ascii_strcasecmp (s + len - 2, "ms") == 0)
    s[len - 2] = '\0';
  else if (len > 1 && (s[len - 1] == 's' || s[len - 1] == 'S') && g_ascii_isdigit (s[len - 2]))
    {
      s[len - 1] = '\0';
      scale = 1000;
    }
  double v;
  g_autoptr (GError) inner = NULL;
  if (!dv_value_parse_double (key, s, -INFINITY, INFINITY, flags & DV_VALUE_ALLOW_INF, &v, &inner)
      || !in_range (v * scale, min_ms, max_ms, flags))
    {
      g_autofree char *range = dv_value_describe_range (FALSE, min_ms, max_ms, flags);
      g_set_error (error, DV_VALUE_ERROR, inner ? DV_VALUE_ERROR_SYNTAX : DV_VALUE_ERROR_RANGE,
                   "%s=%s: %sgive a time in ms, %s (e.g. 10, 10ms or 0.01s)", key, text ? text : "",
                   inner ? "not a number; " : "", range);
      return FALSE;
    }
  *out_ms = v * scale;
  return TRUE;
}

gboolean
dv_value_split (const char *a, char **key, const char **value, GError **error)
{
  const char *eq = a ? strchr (a, '=') : NULL;
  if (eq == NULL || eq == a)
    {
      g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_SYNTAX,
                   "“%s” is not of the form key=value (for example tau=10)", a ? a : "");
      return FALSE;
    }
  *key = g_strstrip (g_strndup (a, eq - a));
  *value = eq + 1;
  return TRUE;
}
