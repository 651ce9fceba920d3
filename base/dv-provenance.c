/* dv-provenance.c — the record of what produced a figure, and its JSON (dv-provenance.h).
 *
 * What this is for: hashing the files a figure depends on (GChecksum, SHA-256, read in 64 KiB
 * pieces) and writing the record through the one JSON writer.
 * What this is not for: gathering the values (the workbench's engine thread, `dynvision plot`).
 */
#include "dv-provenance.h"

#include "dv-config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

DvProvenance *
dv_provenance_new (const char *producer)
{
  DvProvenance *p = g_new0 (DvProvenance, 1);
  p->producer = g_strdup (producer);
  p->sample = -1;
  p->inputs = g_ptr_array_new_with_free_func (g_free);
  return p;
}

DvProvenance *
dv_provenance_copy (const DvProvenance *p)
{
  if (p == NULL)
    return NULL;
  DvProvenance *c = g_new0 (DvProvenance, 1);
  *c = *p;
  c->producer = g_strdup (p->producer);
  c->checkpoint = g_strdup (p->checkpoint);
  c->checkpoint_sha256 = g_strdup (p->checkpoint_sha256);
  c->weights_changed = g_strdup (p->weights_changed);
  c->model_class = g_strdup (p->model_class);
  c->dataset = g_strdup (p->dataset);
  c->presentation = g_strdup (p->presentation);
  c->inputs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < p->inputs->len; i++)
    g_ptr_array_add (c->inputs, g_strdup (g_ptr_array_index (p->inputs, i)));
  return c;
}

void
dv_provenance_free (DvProvenance *p)
{
  if (p == NULL)
    return;
  g_free (p->producer);
  g_free (p->checkpoint);
  g_free (p->checkpoint_sha256);
  g_free (p->weights_changed);
  g_free (p->model_class);
  g_free (p->dataset);
  g_free (p->presentation);
  g_ptr_array_unref (p->inputs);
  g_free (p);
}

char *
dv_sha256_file (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  FILE *f = g_fopen (path, "rb");
  if (f == NULL)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path, g_strerror (e));
      return NULL;
    }
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buf = g_malloc (1 << 16);
  size_t n;
  while ((n = fread (buf, 1, 1 << 16, f)) > 0)
    g_checksum_update (sum, buf, n);
  gboolean failed = ferror (f);
  fclose (f);
  if (failed)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: cannot be read", path);
      return NULL;
    }
  return g_strdup (g_checksum_get_string (sum));
}

gboolean
dv_provenance_set_checkpoint (DvProvenance *p, const char *path, gboolean shipped, GError **error)
{
  g_return_val_if_fail (p != NULL && path != NULL, FALSE);
  p->weights = shipped ? DV_WEIGHTS_SHIPPED : DV_WEIGHTS_CHECKPOINT;
  g_free (p->checkpoint);
  p->checkpoint = g_canonicalize_filename (path, NULL);
  g_clear_pointer (&p->weights_changed, g_free);
  g_free (p->checkpoint_sha256);
  p->checkpoint_sha256 = dv_sha256_file (path, error);
  return p->checkpoint_sha256 != NULL;
}

void
dv_provenance_set_fresh (DvProvenance *p, guint64 seed)
{
  g_return_if_fail (p != NULL);
  p->weights = DV_WEIGHTS_FRESH;
  p->weights_seed = seed;
  g_clear_pointer (&p->checkpoint, g_free);
  g_clear_pointer (&p->checkpoint_sha256, g_free);
  g_clear_pointer (&p->weights_changed, g_free);
}

void
dv_provenance_set_weights_changed (DvProvenance *p, const char *what)
{
  g_return_if_fail (p != NULL);
  g_free (p->weights_changed);
  p->weights_changed = g_strdup (what);
}

static const char *
origin_name (DvWeightsOrigin o)
{
  switch (o)
    {
    case DV_WEIGHTS_FRESH:
      return "fresh";
    case DV_WEIGHTS_CHECKPOINT:
      return "checkpoint";
    case DV_WEIGHTS_SHIPPED:
      return "shipped-default";
    case DV_WEIGHTS_UNRECORDED:
    default:
      return "unrecorded";
    }
}

char *
dv_provenance_describe_weights (const DvProvenance *p)
{
  g_return_val_if_fail (p != NULL, NULL);
  GString *s = g_string_new (NULL);
  switch (p->weights)
    {
    case DV_WEIGHTS_FRESH:
      g_string_append_printf (s, "fresh weights, seed %" G_GUINT64_FORMAT, p->weights_seed);
      break;
    case DV_WEIGHTS_CHECKPOINT:
      g_string_append_printf (s, "checkpoint %s", p->checkpoint);
      break;
    case DV_WEIGHTS_SHIPPED:
      g_string_append_printf (s, "the shipped trained default (CustomRCNN trained on the embedded set), %s",
                              p->checkpoint);
      break;
    case DV_WEIGHTS_UNRECORDED:
    default:
      g_string_append (s, "unrecorded");
      break;
    }
  if (p->weights_changed != NULL)
    g_string_append_printf (s, "; then %s", p->weights_changed);
  return g_string_free (s, FALSE);
}

gboolean
dv_provenance_add_input (DvProvenance *p, const char *path, GError **error)
{
  g_return_val_if_fail (p != NULL && path != NULL, FALSE);
  char *sha = dv_sha256_file (path, error);
  if (sha == NULL)
    return FALSE;
  g_ptr_array_add (p->inputs, g_canonicalize_filename (path, NULL));
  g_ptr_array_add (p->inputs, sha);
  return TRUE;
}

/* One "key=value" of the presentation text as a typed member: a whole number, a number, a
 * boolean, null for "none", else a string (the pattern always: "0110" is not a number). */
static void
write_setting (DvJsonWriter *j, const char *key, const char *value)
{
  char *end = NULL;
  if (strcmp (key, "data_presentation_pattern") != 0 && *value != '\0')
    {
      gint64 i = g_ascii_strtoll (value, &end, 10);
      if (*end == '\0')
        {
          dv_json_writer_int (j, key, i);
          return;
        }
      double d = g_ascii_strtod (value, &end);
      if (*end == '\0' && isfinite (d))
        {
          dv_json_writer_double (j, key, d);
          return;
        }
    }
  if (g_ascii_strcasecmp (value, "true") == 0 || g_ascii_strcasecmp (value, "false") == 0)
    dv_json_writer_bool (j, key, g_ascii_strcasecmp (value, "true") == 0);
  else if (strcmp (value, "none") == 0)
    dv_json_writer_null (j, key);
  else
    dv_json_writer_string (j, key, value);
}

void
dv_provenance_write_json (const DvProvenance *p, DvJsonWriter *j, const char *key)
{
  g_return_if_fail (p != NULL && j != NULL);
  dv_json_writer_begin_object (j, key);
  dv_json_writer_string (j, "producer", p->producer);
  dv_json_writer_string (j, "engine_version", DV_VERSION);
  g_autofree char *weights = dv_provenance_describe_weights (p);
  dv_json_writer_string (j, "weights", weights);
  dv_json_writer_string (j, "weights_origin", origin_name (p->weights));
  if (p->checkpoint != NULL)
    {
      dv_json_writer_begin_object (j, "checkpoint");
      dv_json_writer_string (j, "path", p->checkpoint);
      dv_json_writer_string (j, "sha256", p->checkpoint_sha256);
      dv_json_writer_end (j);
    }
  else
    dv_json_writer_null (j, "checkpoint");
  if (p->weights == DV_WEIGHTS_FRESH)
    dv_json_writer_int (j, "weights_seed", (gint64) p->weights_seed);
  else
    dv_json_writer_null (j, "weights_seed");
  dv_json_writer_string (j, "weights_changed", p->weights_changed);
  dv_json_writer_string (j, "model_class", p->model_class);
  dv_json_writer_string (j, "dataset", p->dataset);
  if (p->sample >= 0)
    dv_json_writer_int (j, "sample_index", p->sample);
  else
    dv_json_writer_null (j, "sample_index");
  if (p->has_seed)
    dv_json_writer_int (j, "seed", (gint64) p->seed);
  else
    dv_json_writer_null (j, "seed");
  if (p->presentation != NULL)
    {
      dv_json_writer_begin_object (j, "presentation");
      g_auto (GStrv) parts = g_strsplit (p->presentation, " ", -1);
      for (char **kv = parts; *kv != NULL; kv++)
        {
          const char *eq = strchr (*kv, '=');
          if (eq == NULL)
            continue;
          g_autofree char *k = g_strndup (*kv, eq - *kv);
          write_setting (j, k, eq + 1);
        }
      dv_json_writer_end (j);
    }
  else
    dv_json_writer_null (j, "presentation");
  dv_json_writer_string (j, "presentation_settings", p->presentation);
  dv_json_writer_begin_array (j, "inputs");
  for (guint i = 0; i + 1 < p->inputs->len; i += 2)
    {
      dv_json_writer_begin_object (j, NULL);
      dv_json_writer_string (j, "path", g_ptr_array_index (p->inputs, i));
      dv_json_writer_string (j, "sha256", g_ptr_array_index (p->inputs, i + 1));
      dv_json_writer_end (j);
    }
  dv_json_writer_end (j);
  dv_json_writer_end (j);
}
