/* dv-csv.c — a small CSV reader; see dv-csv.h. */
#include "dv-csv.h"

#include <math.h>
#include <string.h>

struct _DvCsv {
  GPtrArray *header;  /* char* */
  GPtrArray *rows;    /* GPtrArray of char* */
};

static GPtrArray *
parse_line (const char **p, const char *end)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);
  GString *f = g_string_new (NULL);
  const char *s = *p;
  gboolean quoted = FALSE;
  for (; s < end; s++)
    {
      char c = *s;
      if (quoted)
        {
          if (c == '"' && s + 1 < end && s[1] == '"')
            g_string_append_c (f, '"'), s++;
          else if (c == '"')
            quoted = FALSE;
          else
            g_string_append_c (f, c);
          continue;
        }
      if (c == '"')
        quoted = TRUE;
      else if (c == ',')
        {
          g_ptr_array_add (fields, g_strdup (f->str));
          g_string_truncate (f, 0);
        }
      else if (c == '\n')
        {
          s++;
          break;
        }
      else if (c != '\r')
        g_string_append_c (f, c);
    }
  g_ptr_array_add (fields, g_string_free (f, FALSE));
  *p = s;
  return fields;
}

DvCsv *
dv_csv_parse (const char *text, gssize len, GError **error)
{
  const char *p = text, *end = text + (len < 0 ? (gssize) strlen (text) : len);
  while (p < end && (*p == '\n' || *p == '\r'))
    p++;
  if (p >= end)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "the CSV text is empty (no header row)");
      return NULL;
    }
  DvCsv *csv = g_new0 (DvCsv, 1);
  csv->header = parse_line (&p, end);
  csv->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  while (p < end)
    {
      if (*p == '\n' || *p == '\r')
        {
          p++;
          continue;
        }
      g_ptr_array_add (csv->rows, parse_line (&p, end));
    }
  return csv;
}

DvCsv *
dv_csv_load (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  DvCsv *csv = dv_csv_parse (text, (gssize) len, error);
  if (csv == NULL)
    g_prefix_error (error, "%s: ", path);
  return csv;
}

void
dv_csv_free (DvCsv *csv)
{
  if (csv == NULL)
    return;
  g_ptr_array_unref (csv->header);
  g_ptr_array_unref (csv->rows);
  g_free (csv);
}

int
dv_csv_n_rows (const DvCsv *csv)
{
  return (int) csv->rows->len;
}

int
dv_csv_n_columns (const DvCsv *csv)
{
  return (int) csv->header->len;
}

const char *
dv_csv_column_name (const DvCsv *csv, int column)
{
  g_return_val_if_fail (column >= 0 && column < (int) csv->header->len, NULL);
  return g_ptr_array_index (csv->header, column);
}

int
dv_csv_column (const DvCsv *csv, const char *name)
{
  for (guint i = 0; i < csv->header->len; i++)
    if (strcmp (g_ptr_array_index (csv->header, i), name) == 0)
      return (int) i;
  return -1;
}

const char *
dv_csv_get (const DvCsv *csv, int row, int column)
{
  g_return_val_if_fail (row >= 0 && row < (int) csv->rows->len, "");
  GPtrArray *r = g_ptr_array_index (csv->rows, row);
  if (column < 0 || column >= (int) r->len)
    return "";
  return g_ptr_array_index (r, column);
}

double
dv_csv_get_number (const DvCsv *csv, int row, int column)
{
  const char *s = dv_csv_get (csv, row, column);
  if (s == NULL || *s == '\0')
    return NAN;
  char *endp = NULL;
  double v = g_ascii_strtod (s, &endp);
  if (endp == s)
    {
      if (g_ascii_strcasecmp (s, "true") == 0)
        return 1;
      if (g_ascii_strcasecmp (s, "false") == 0)
        return 0;
      return NAN;
    }
  return v;
}
