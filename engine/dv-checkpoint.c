/* dv-checkpoint.c — reading and writing self-describing safetensors
 * checkpoints (see dv-checkpoint.h).  Errors name the file, the tensor and
 * what to do; nothing here crashes on a bad file. */
#include "dv-checkpoint.h"
#include "dv-model-private.h"
#include "dv-plugin.h"

#include <math.h>
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
  if (g_strcmp0 (cls, DV_CHECKPOINT_CUSTOM_MODEL) == 0)
    {
      const char *from = dv_safetensors_metadata (st, "dynvision.derived_from");
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CHECKPOINT,
                   "%s holds a custom model (derived from %s) that only its 'dynvision.description' "
                   "metadata describes, and that is missing; no preset and keyword arguments build it",
                   path, from ? from : "no preset");
      return NULL;
    }
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
dv_tensor_check_finite (const char *path, const char *name, const float *v, int ndim, const gint64 *shape,
                        GError **error)
{
  gint64 n = 1;
  for (int k = 0; k < ndim; k++)
    n *= shape[k];
  for (gint64 i = 0; i < n; i++)
    if (!isfinite (v[i]))
      {
        GString *s = g_string_new (NULL);
        g_string_printf (s, "%s: tensor '%s' holds %s at index [", path, name,
                         isnan (v[i]) ? "NaN" : v[i] > 0 ? "+Inf" : "-Inf");
        gint64 rest = i, stride = n;
        for (int k = 0; k < ndim; k++)
          {
            stride /= shape[k];
            g_string_append_printf (s, "%s%" G_GINT64_FORMAT, k ? ", " : "", rest / stride);
            rest %= stride;
          }
        g_string_append (s, "]; every value must be finite");
        g_set_error_literal (error, DV_MODEL_ERROR, DV_MODEL_ERROR_CHECKPOINT, s->str);
        g_string_free (s, TRUE);
        return FALSE;
      }
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
          if (!dv_tensor_check_finite (path, t->name, v, t->ndim, t->shape, error))
            {
              g_hash_table_unref (seen);
              return FALSE;
            }
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
  return dv_checkpoint_load_identified (path, NULL, report, NULL, error);
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

/* ---- metadata: which DynVision class with which kwargs, if any ------------------------- */

/* A description as JSON without its "model" and "config" (what it is derived from). */
static char *
body_string (const DvModelDesc *d)
{
  g_autoptr (DvModelDesc) v = dv_model_desc_copy (d);
  if (!dv_model_desc_validate (v, NULL))
    return NULL;
  g_autoptr (DvJson) j = dv_model_desc_to_json (v);
  dv_json_object_remove (j, "model");
  dv_json_object_remove (j, "config");
  return dv_json_to_string (j, FALSE);
}

static DvModelDesc *
build_quietly (const char *cls, const DvJson *kwargs)
{
  GError *error = NULL;
  DvModelDesc *d = dv_preset_build (cls, kwargs, &error);
  g_clear_error (&error);
  return d;
}

/* The model-wide values a preset takes as kwargs, with DynVision's aliases
 * (dropped from the kwargs when the canonical key is written). */
static const struct {
  const char *key, *alias;
} soft_keys[] = {
  { "dt", NULL }, { "tau", NULL }, { "t_feedforward", "tff" }, { "t_recurrence", "trc" },
  { "t_feedback", "tfb" }, { "t_skip", "tsk" }, { "dynamics_solver", "solver" },
  { "idle_timesteps", "idle" }, { "feedforward_only", "ffonly" },
};

static DvJson *
soft_value (const DvModelDesc *d, guint k)
{
  switch (k)
    {
    case 0: return dv_json_new_number (d->dt);
    case 1: return dv_json_new_number (d->tau);
    case 2: return dv_json_new_number (d->t_feedforward);
    case 3: return dv_json_new_number (d->t_recurrence);
    case 4: return dv_json_new_number (d->t_feedback);
    case 5: return dv_json_new_number (d->t_skip);
    case 6: return dv_json_new_string (dv_model_desc_solver_name (d));
    case 7: return dv_json_new_int (d->idle_timesteps);
    default: return dv_json_new_bool (d->feedforward_only);
    }
}

/* The kwargs with which D->model_class builds exactly D (its own config, or
 * that config with the model-wide values an edit changed), else NULL. */
static DvJson *
exact_kwargs_base (const DvModelDesc *D, DvModelDesc **base_out)
{
  *base_out = NULL;
  if (D->model_class == NULL || D->config == NULL || dv_json_type (D->config) != DV_JSON_OBJECT)
    return NULL;
  g_autofree char *want = body_string (D);
  g_autoptr (DvModelDesc) base = build_quietly (D->model_class, D->config);
  g_autofree char *got = base ? body_string (base) : NULL;
  if (want == NULL || got == NULL)
    return NULL;
  if (strcmp (want, got) == 0)
    return dv_json_copy (D->config);
  /* the model-wide values an edit changed, as kwargs; a preset may derive
   * other defaults from them (a delay from dt), hence a few rounds */
  g_autoptr (DvJson) kwargs = dv_json_copy (D->config);
  g_autoptr (DvModelDesc) cand = dv_model_desc_copy (base);
  for (int round = 0; round < 3 && cand != NULL; round++)
    {
      gboolean changed = FALSE;
      for (guint k = 0; k < G_N_ELEMENTS (soft_keys); k++)
        {
          g_autoptr (DvJson) a = soft_value (cand, k);
          DvJson *b = soft_value (D, k);
          if (dv_json_equal (a, b))
            {
              dv_json_free (b);
              continue;
            }
          if (soft_keys[k].alias)
            dv_json_object_remove (kwargs, soft_keys[k].alias);
          dv_json_object_set (kwargs, soft_keys[k].key, b);
          changed = TRUE;
        }
      if (!changed)
        break;
      dv_model_desc_free (cand);
      cand = build_quietly (D->model_class, kwargs);
      g_autofree char *now = cand ? body_string (cand) : NULL;
      if (now && strcmp (want, now) == 0)
        return g_steal_pointer (&kwargs);
    }
  *base_out = g_steal_pointer (&base);
  return NULL;
}

DvJson *
dv_checkpoint_exact_kwargs (const DvModelDesc *desc)
{
  g_autoptr (DvModelDesc) base = NULL;
  return exact_kwargs_base (desc, &base);
}

/* Adds "path" of every value that differs between a and b (at most `left`). */
static void
json_diff (GPtrArray *out, const char *path, const DvJson *a, const DvJson *b, guint limit)
{
  if (out->len >= limit || dv_json_equal (a, b))
    return;
  DvJsonType ta = a ? dv_json_type (a) : DV_JSON_NULL, tb = b ? dv_json_type (b) : DV_JSON_NULL;
  if (ta == DV_JSON_OBJECT && tb == DV_JSON_OBJECT)
    {
      for (guint i = 0; i < dv_json_length (b); i++)
        {
          const char *k = dv_json_object_key (b, i);
          g_autofree char *p = *path ? g_strdup_printf ("%s.%s", path, k) : g_strdup (k);
          json_diff (out, p, dv_json_object_get (a, k), dv_json_object_value (b, i), limit);
        }
      for (guint i = 0; i < dv_json_length (a); i++)
        {
          const char *k = dv_json_object_key (a, i);
          if (dv_json_object_get (b, k) == NULL && out->len < limit)
            g_ptr_array_add (out, *path ? g_strdup_printf ("%s.%s", path, k) : g_strdup (k));
        }
      return;
    }
  if (ta == DV_JSON_ARRAY && tb == DV_JSON_ARRAY && dv_json_length (a) == dv_json_length (b))
    {
      for (guint i = 0; i < dv_json_length (b); i++)
        {
          g_autofree char *p = g_strdup_printf ("%s[%u]", path, i);
          json_diff (out, p, dv_json_array_get (a, i), dv_json_array_get (b, i), limit);
        }
      return;
    }
  g_ptr_array_add (out, g_strdup (path));
}

/* dynvision.config of a model that is no DynVision class with kwargs. */
static DvJson *
custom_config (const DvModelDesc *D, const DvModelDesc *base, const DvJson *desc_json)
{
  DvJson *c = dv_json_new_object ();
  dv_json_object_set (c, "custom_description", dv_json_new_bool (TRUE));
  dv_json_object_set (c, "derived_from", D->model_class ? dv_json_new_string (D->model_class) : dv_json_new_null ());
  dv_json_object_set (c, "derived_from_config", D->config ? dv_json_copy (D->config) : dv_json_new_null ());
  if (base)
    {
      g_autoptr (DvModelDesc) vb = dv_model_desc_copy (base);
      dv_model_desc_validate (vb, NULL);
      g_autoptr (DvJson) bj = dv_model_desc_to_json (vb);
      dv_json_object_remove (bj, "model");
      dv_json_object_remove (bj, "config");
      g_autoptr (DvJson) dj = dv_json_copy (desc_json);
      dv_json_object_remove (dj, "model");
      dv_json_object_remove (dj, "config");
      g_autoptr (GPtrArray) diff = g_ptr_array_new_with_free_func (g_free);
      json_diff (diff, "", bj, dj, 64);
      DvJson *arr = dv_json_new_array ();
      for (guint i = 0; i < diff->len; i++)
        dv_json_array_append (arr, dv_json_new_string (g_ptr_array_index (diff, i)));
      dv_json_object_set (c, "differs_in", arr);
    }
  dv_json_object_set (c, "note", dv_json_new_string ("no DynVision class builds this model from keyword "
                                                     "arguments; dynvision.description is the model"));
  return c;
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
  g_autoptr (DvJson) ops = dv_json_new_array ();
  for (guint i = 0; i < D->operations->len; i++)
    dv_json_array_append (ops, dv_json_new_string (g_ptr_array_index (D->operations, i)));
  g_autofree char *ops_s = dv_json_to_string (ops, FALSE);
  g_autofree char *al_s = dv_json_to_string (aliases, FALSE);
  g_autoptr (DvJson) dj = dv_model_desc_to_json (D);
  /* regenerated from the description: a class and its kwargs only when they build exactly this model */
  g_autoptr (DvModelDesc) base = NULL;
  g_autoptr (DvJson) kwargs = exact_kwargs_base (D, &base);
  g_autoptr (DvJson) cfg = kwargs ? NULL : custom_config (D, base, dj);
  if (kwargs)
    dv_json_object_set (dj, "config", dv_json_copy (kwargs));
  g_autofree char *cfg_s = dv_json_to_string (kwargs ? kwargs : cfg, FALSE);
  g_autofree char *desc_s = dv_json_to_string (dj, FALSE);
  dv_safetensors_writer_set_metadata (w, "dynvision.model", kwargs ? D->model_class : DV_CHECKPOINT_CUSTOM_MODEL);
  if (!kwargs && D->model_class)
    dv_safetensors_writer_set_metadata (w, "dynvision.derived_from", D->model_class);
  dv_safetensors_writer_set_metadata (w, "dynvision.config", cfg_s);
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
