/* dv-checkpoint.c — reading and writing self-describing safetensors
 * checkpoints (see dv-checkpoint.h).  Errors name the file, the tensor and
 * what to do; nothing here crashes on a bad file. */
#include "dv-checkpoint.h"
#include "dv-model-private.h"
#include "dv-plugin.h"

#include <string.h>

void
dv_load_report_clear (DvLoadReport *r)
{
  g_clear_pointer (&r->missing, g_ptr_array_unref);
  g_clear_pointer (&r->unexpected, g_ptr_array_unref);
}

DvModelDesc *
dv_checkpoint_read_desc (const DvSafetensors *st, const char *path, GError **error)
{
  const char *desc_json = dv_safetensors_metadata (st, "dynvision.description");
  if (desc_json)
    {
      g_autoptr (DvJson) j = dv_json_parse (desc_json, -1, error);
      if (j == NULL)
        {
          g_prefix_error (error, "%s: the model description in its metadata is not valid JSON: ", path);
          return NULL;
        }
      DvModelDesc *d = dv_model_desc_from_json (j, error);
      const char *plugin = dv_safetensors_metadata (st, "dynvision.plugin");
      if (d == NULL && plugin)
        g_prefix_error (error, "%s: this model comes from the plugin '%s' (load it first with --plugin PATH.so): ",
                        path, plugin);
      else if (d == NULL)
        g_prefix_error (error, "%s: ", path);
      return d;
    }
  const char *cls = dv_safetensors_metadata (st, "dynvision.model");
  if (cls == NULL)
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CHECKPOINT,
                   "%s has no 'dynvision.model' metadata, so the model it belongs to is unknown; "
                   "build the model first (`dynvision init PRESET …`) and load the weights into it",
                   path);
      return NULL;
    }
  const char *cfg = dv_safetensors_metadata (st, "dynvision.config");
  g_autoptr (DvJson) kwargs = cfg ? dv_json_parse (cfg, -1, error) : dv_json_new_object ();
  if (kwargs == NULL)
    {
      g_prefix_error (error, "%s: 'dynvision.config' is not valid JSON: ", path);
      return NULL;
    }
  const char *plugin = dv_safetensors_metadata (st, "dynvision.plugin");
  GError *err = NULL;
  DvModelDesc *d = dv_preset_build (cls, kwargs, &err);
  if (d == NULL && plugin && g_error_matches (err, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN))
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CHECKPOINT,
                   "%s: model '%s' comes from the plugin '%s', which is not loaded; load it first "
                   "(--plugin PATH.so, or \"Load model plugin…\" in the workbench)", path, cls, plugin);
      g_clear_error (&err);
    }
  else if (d == NULL)
    {
      g_propagate_error (error, err);
      g_prefix_error (error, "%s: ", path);
    }
  return d;
}

static char *
shape_str (int ndim, const gint64 *shape)
{
  GString *s = g_string_new ("[");
  for (int i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* dynvision.class_names: a JSON list of n_classes strings (absent: the names stay unknown). */
static gboolean
load_class_names (DvModel *m, const DvSafetensors *st, const char *path, GError **error)
{
  const char *text = dv_safetensors_metadata (st, "dynvision.class_names");
  if (text == NULL)
    return TRUE;
  g_autoptr (DvJson) j = dv_json_parse (text, -1, NULL);
  gboolean ok = j != NULL && dv_json_type (j) == DV_JSON_ARRAY && dv_json_length (j) == (guint) m->desc->n_classes;
  for (guint i = 0; ok && i < dv_json_length (j); i++)
    ok = dv_json_type (dv_json_array_get (j, i)) == DV_JSON_STRING;
  if (!ok)
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CHECKPOINT,
                   "%s: metadata dynvision.class_names must be a list of %d names (the model's classes), "
                   "not %.80s", path, m->desc->n_classes, text);
      return FALSE;
    }
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  for (guint i = 0; i < dv_json_length (j); i++)
    g_ptr_array_add (names, (gpointer) dv_json_string (dv_json_array_get (j, i)));
  g_ptr_array_add (names, NULL);
  dv_model_set_class_names (m, (const char *const *) names->pdata);
  return TRUE;
}

gboolean
dv_model_load_state (DvModel *m, const DvSafetensors *st, const char *path, DvLoadReport *report,
                     GError **error)
{
  guint n = dv_safetensors_n_tensors (st);
  GHashTable *seen = g_hash_table_new (NULL, NULL);
  if (report)
    {
      dv_load_report_clear (report);
      report->missing = g_ptr_array_new_with_free_func (g_free);
      report->unexpected = g_ptr_array_new_with_free_func (g_free);
    }
  for (guint i = 0; i < n; i++)
    {
      const DvStTensor *t = dv_safetensors_tensor (st, i);
      DvParam *p = dv_model_lookup (m, t->name);
      if (p == NULL)
        {
          /* a training checkpoint's optimiser moments (dv-trainer.c) are expected, not news */
          if (report && !g_str_has_prefix (t->name, "optimizer."))
            g_ptr_array_add (report->unexpected, g_strdup (t->name));
          continue;
        }
      gboolean same = t->numel == p->numel && (t->ndim == p->ndim || (p->numel == 1 && t->ndim <= 1));
      for (int k = 0; same && k < t->ndim && t->ndim == p->ndim; k++)
        same = t->shape[k] == p->shape[k];
      if (!same)
        {
          g_autofree char *a = shape_str (t->ndim, t->shape), *b = shape_str (p->ndim, p->shape);
          g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CHECKPOINT,
                       "%s: tensor '%s' has shape %s but the model needs %s; the checkpoint belongs to a "
                       "differently shaped model (check channels, kernel sizes and recurrence type)",
                       path, t->name, a, b);
          g_hash_table_unref (seen);
          return FALSE;
        }
      if (g_hash_table_contains (seen, p) && strcmp (t->name, p->name) != 0)
        continue; /* an alias of a tensor already read under its own name */
      if (p->type == DV_PARAM_F32)
        {
          if (t->dtype == DV_DTYPE_BOOL || t->dtype == DV_DTYPE_I64 || t->dtype == DV_DTYPE_I32)
            {
              g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CHECKPOINT,
                           "%s: tensor '%s' is %s but must be a float tensor", path, t->name,
                           dv_dtype_name (t->dtype));
              g_hash_table_unref (seen);
              return FALSE;
            }
          g_autofree float *v = dv_st_tensor_to_f32 (t);
          memcpy (p->data, v, sizeof (float) * p->numel);
        }
      else
        {
          g_autofree gint64 *v = dv_st_tensor_to_i64 (t);
          memcpy (p->idata, v, sizeof (gint64) * p->numel);
        }
      g_hash_table_add (seen, p);
    }
  if (report)
    for (guint k = 0; k < m->params->len; k++)
      {
        DvParam *p = g_ptr_array_index (m->params, k);
        if (!g_hash_table_contains (seen, p))
          g_ptr_array_add (report->missing, g_strdup (p->name));
      }
  g_hash_table_unref (seen);
  return load_class_names (m, st, path, error);
}

DvModel *
dv_checkpoint_load (const char *path, DvLoadReport *report, GError **error)
{
  g_autoptr (DvSafetensors) st = dv_safetensors_load (path, error);
  if (st == NULL)
    return NULL;
  g_autoptr (DvModelDesc) d = dv_checkpoint_read_desc (st, path, error);
  if (d == NULL)
    return NULL;
  g_autoptr (DvModel) m = dv_model_new (d, error);
  if (m == NULL)
    return NULL;
  if (!dv_model_load_state (m, st, path, report, error))
    return NULL;
  return g_steal_pointer (&m);
}

static void
add_param (DvSafetensorsWriter *w, const DvParam *p, const char *name)
{
  DvDtype dt = p->type == DV_PARAM_F32 ? DV_DTYPE_F32 : p->type == DV_PARAM_I64 ? DV_DTYPE_I64 : DV_DTYPE_I32;
  if (p->type == DV_PARAM_I32)
    {
      gint32 *v = g_new (gint32, MAX (p->numel, 1));
      for (gint64 i = 0; i < p->numel; i++)
        v[i] = (gint32) p->idata[i];
      dv_safetensors_writer_add (w, name, dt, p->ndim, p->shape, v);
      g_free (v);
    }
  else
    dv_safetensors_writer_add (w, name, dt, p->ndim, p->shape,
                               p->type == DV_PARAM_F32 ? (const void *) p->data : (const void *) p->idata);
}

DvSafetensorsWriter *
dv_checkpoint_writer (DvModel *m, GHashTable *extra)
{
  const DvModelDesc *D = m->desc;
  DvSafetensorsWriter *w = dv_safetensors_writer_new ();
  g_autoptr (DvJson) aliases = dv_json_new_object ();
  for (guint k = 0; k < m->params->len; k++)
    {
      DvParam *p = g_ptr_array_index (m->params, k);
      add_param (w, p, p->name);
      for (guint a = 0; a < p->aliases->len; a++)
        {
          const char *alias = g_ptr_array_index (p->aliases, a);
          add_param (w, p, alias);
          dv_json_object_set (aliases, alias, dv_json_new_string (p->name));
        }
    }
  g_autofree char *cfg = dv_json_to_string (D->config, FALSE);
  g_autoptr (DvJson) ops = dv_json_new_array ();
  for (guint i = 0; i < D->operations->len; i++)
    dv_json_array_append (ops, dv_json_new_string (g_ptr_array_index (D->operations, i)));
  g_autofree char *ops_s = dv_json_to_string (ops, FALSE);
  g_autofree char *al_s = dv_json_to_string (aliases, FALSE);
  g_autoptr (DvJson) dj = dv_model_desc_to_json (D);
  g_autofree char *desc_s = dv_json_to_string (dj, FALSE);
  dv_safetensors_writer_set_metadata (w, "dynvision.model", D->model_class);
  dv_safetensors_writer_set_metadata (w, "dynvision.config", cfg);
  dv_safetensors_writer_set_metadata (w, "dynvision.layer_operations", ops_s);
  dv_safetensors_writer_set_metadata (w, "dynvision.aliases", al_s);
  dv_safetensors_writer_set_metadata (w, "dynvision.description", desc_s);
  dv_safetensors_writer_set_metadata (w, "format", "pt");
  if (dv_preset_plugin (D->model_class))
    dv_safetensors_writer_set_metadata (w, "dynvision.plugin", dv_preset_plugin (D->model_class));
  if (m->class_names != NULL)
    {
      g_autoptr (DvJson) names = dv_json_new_array ();
      for (char **n = m->class_names; *n; n++)
        dv_json_array_append (names, dv_json_new_string (*n));
      g_autofree char *names_s = dv_json_to_string (names, FALSE);
      dv_safetensors_writer_set_metadata (w, "dynvision.class_names", names_s);
    }
  if (extra)
    {
      GHashTableIter it;
      gpointer key, value;
      g_hash_table_iter_init (&it, extra);
      while (g_hash_table_iter_next (&it, &key, &value))
        dv_safetensors_writer_set_metadata (w, key, value);
    }
  return w;
}

gboolean
dv_checkpoint_save (DvModel *m, const char *path, GHashTable *extra, GError **error)
{
  g_autoptr (DvSafetensorsWriter) w = dv_checkpoint_writer (m, extra);
  return dv_safetensors_writer_save (w, path, error);
}
