/* dv-engine-thread-load.c — what a model file gives the workbench: the model, its label, and
 * where its weights came from.
 *
 * What this is for: dv_workbench_load_model(_as) — a checkpoint identified as
 * dv_checkpoint_load_identified says (with the banner's note on how, when the file's metadata
 * did not say), or a model description built with fresh weights — and
 * dv_workbench_weights_provenance, the record an export writes of those weights
 * (base/dv-provenance.h).  Any thread: nothing here touches the engine thread's state.
 * What this is not for: replacing the running model (dv-engine-thread.c's load_checkpoint).
 */
#include "dv-engine-thread-private.h"

#include <string.h>

#include "dv-checkpoint.h"

DvModel *
dv_workbench_load_model (const char *path, DvLoadReport *rep, char **label, gboolean *fresh,
                         GError **error)
{
  return dv_workbench_load_model_as (path, NULL, rep, label, fresh, NULL, error);
}

/* The banner's note on a checkpoint whose model its metadata did not say:
 * one line "FILE: identified as CLS from SOURCES", then every line of `how`
 * (the tooltip). */
static char *
identified_note (const char *base, const char *cls, const char *how)
{
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = g_strsplit (how, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      const char *from = strstr (*l, "from ");
      if (from == NULL || g_str_has_prefix (*l, "not ") || strstr (*l, " ignored") != NULL)
        continue;
      from += 5;
      gsize n = strcspn (from, "(:");
      g_autofree char *src = g_strchomp (g_strndup (from, n));
      if (*src != '\0' && !g_ptr_array_find_with_equal_func (sources, src, g_str_equal, NULL))
        g_ptr_array_add (sources, g_steal_pointer (&src));
    }
  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append_printf (s, "%s: identified as %s", base, cls ? cls : "a custom model");
  for (guint i = 0; i < sources->len; i++)
    g_string_append_printf (s, "%s%s", i == 0 ? " from " : i + 1 == sources->len ? " and " : ", ",
                            (const char *) g_ptr_array_index (sources, i));
  g_string_append (s, " (the model was not in the file's metadata; hover for how)\nthe model was identified:\n");
  g_string_append (s, how);
  g_strchomp (s->str);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

DvModel *
dv_workbench_load_model_as (const char *path, const char *model_spec, DvLoadReport *rep, char **label,
                            gboolean *fresh, char **how, GError **error)
{
  if (how)
    *how = NULL;
  g_autofree char *base = g_path_get_basename (path);
  *fresh = FALSE;
  if (!g_str_has_suffix (path, ".json"))
    {
      g_autoptr (DvModelHint) hint = model_spec ? dv_model_hint_new (model_spec, NULL, 0, error) : NULL;
      if (model_spec && hint == NULL)
        return NULL;
      g_autoptr (GString) said = g_string_new (NULL);
      DvModel *model = dv_checkpoint_load_identified (path, hint, rep, said, error);
      if (model && how && strstr (said->str, "own metadata") == NULL)
        *how = identified_note (base, dv_model_get_desc (model)->model_class, said->str);
      const char *cls = model ? dv_model_get_desc (model)->model_class : NULL;
      if (model != NULL)
        *label = g_strdup_printf ("%s (%s)", cls ? cls : "custom model", base);
      return model;
    }
  /* a model description (dynvision describe, the train/models files): fresh weights */
  g_autoptr (DvJson) json = dv_json_parse_file (path, error);
  if (json == NULL)
    return NULL;
  g_autoptr (DvModelDesc) desc = dv_model_desc_from_json (json, error);
  if (desc == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  DvModel *model = dv_model_new (desc, error);
  if (model == NULL)
    return NULL;
  dv_model_init_params (model, 0);
  *fresh = TRUE;
  *label = g_strdup_printf ("%s (%s, fresh weights, seed 0)", desc->model_class, base);
  return model;
}

DvProvenance *
dv_workbench_weights_provenance (const char *path, gboolean fresh, gboolean shipped)
{
  DvProvenance *p = dv_provenance_new ("dynvision-workbench");
  if (fresh)
    {
      /* a model description: its weights are seed 0's (dv_workbench_load_model_as) */
      dv_provenance_set_fresh (p, 0);
      dv_provenance_add_input (p, path, NULL);
    }
  else
    dv_provenance_set_checkpoint (p, path, shipped, NULL);
  return p;
}
