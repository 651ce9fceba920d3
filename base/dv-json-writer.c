/* dv-json-writer.c — JSON text, value by value (see dv-json-writer.h). */
#include "dv-json-writer.h"

#include "dv-number.h"

#include <string.h>

typedef struct {
  char closer;          /* '}' or ']' */
  gboolean empty;       /* nothing written inside yet */
} Level;

struct _DvJsonWriter {
  GString *out;
  gboolean pretty;
  GArray *levels;       /* Level, innermost last */
};

DvJsonWriter *
dv_json_writer_new (gboolean pretty)
{
  DvJsonWriter *w = g_new0 (DvJsonWriter, 1);
  w->out = g_string_new (NULL);
  w->pretty = pretty;
  w->levels = g_array_new (FALSE, FALSE, sizeof (Level));
  return w;
}

void
dv_json_writer_free (DvJsonWriter *w)
{
  if (w == NULL)
    return;
  g_string_free (w->out, TRUE);
  g_array_unref (w->levels);
  g_free (w);
}

char *
dv_json_writer_free_to_string (DvJsonWriter *w)
{
  g_return_val_if_fail (w != NULL, NULL);
  while (w->levels->len > 0)
    dv_json_writer_end (w);
  char *s = g_string_free (w->out, FALSE);
  g_array_unref (w->levels);
  g_free (w);
  return s;
}

static void
newline_indent (DvJsonWriter *w)
{
  if (!w->pretty)
    return;
  g_string_append_c (w->out, '\n');
  for (guint k = 0; k < w->levels->len; k++)
    g_string_append (w->out, "  ");
}

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

/* The separator, the indent and the member name before a value. */
static void
item (DvJsonWriter *w, const char *key)
{
  if (w->levels->len == 0)
    {
      g_return_if_fail (key == NULL);
      return;
    }
  Level *l = &g_array_index (w->levels, Level, w->levels->len - 1);
  g_return_if_fail ((key != NULL) == (l->closer == '}'));
  if (!l->empty)
    g_string_append_c (w->out, ',');
  l->empty = FALSE;
  newline_indent (w);
  if (key != NULL)
    {
      write_string (w->out, key, strlen (key));
      g_string_append (w->out, w->pretty ? ": " : ":");
    }
}

void
dv_json_writer_null (DvJsonWriter *w, const char *key)
{
  item (w, key);
  g_string_append (w->out, "null");
}

void
dv_json_writer_bool (DvJsonWriter *w, const char *key, gboolean v)
{
  item (w, key);
  g_string_append (w->out, v ? "true" : "false");
}

void
dv_json_writer_int (DvJsonWriter *w, const char *key, gint64 v)
{
  item (w, key);
  g_string_append_printf (w->out, "%" G_GINT64_FORMAT, v);
}

void
dv_json_writer_double (DvJsonWriter *w, const char *key, double v)
{
  item (w, key);
  dv_number_append (w->out, v, DV_NUMBER_DEFAULT);
}

void
dv_json_writer_float (DvJsonWriter *w, const char *key, float v)
{
  item (w, key);
  dv_number_append (w->out, v, DV_NUMBER_FLOAT);
}

void
dv_json_writer_string_len (DvJsonWriter *w, const char *key, const char *v, gsize len)
{
  item (w, key);
  write_string (w->out, v, len);
}

void
dv_json_writer_string (DvJsonWriter *w, const char *key, const char *v)
{
  if (v == NULL)
    dv_json_writer_null (w, key);
  else
    dv_json_writer_string_len (w, key, v, strlen (v));
}

static void
begin (DvJsonWriter *w, const char *key, char open, char close)
{
  item (w, key);
  g_string_append_c (w->out, open);
  Level l = { close, TRUE };
  g_array_append_val (w->levels, l);
}

void
dv_json_writer_begin_object (DvJsonWriter *w, const char *key)
{
  begin (w, key, '{', '}');
}

void
dv_json_writer_begin_array (DvJsonWriter *w, const char *key)
{
  begin (w, key, '[', ']');
}

void
dv_json_writer_end (DvJsonWriter *w)
{
  g_return_if_fail (w->levels->len > 0);
  Level l = g_array_index (w->levels, Level, w->levels->len - 1);
  g_array_set_size (w->levels, w->levels->len - 1);
  if (!l.empty)
    newline_indent (w);
  g_string_append_c (w->out, l.closer);
}
