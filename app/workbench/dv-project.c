/* dv-project.c — reading and writing workbench project files (see dv-project.h).
 *
 * What this is for: the JSON form of a DvProject, atomic saves, and loading
 * with one clear message per problem (the file, the entry, the fix).
 * What this is not for: opening the weights (the engine thread does).
 */
#include "dv-project.h"
#include "dv-train-settings.h"

#include <glib/gi18n-lib.h>
#include "dv-presentation.h"
#include "dv-tempfile.h"
#include "dv-value.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

DvProject *
dv_project_new (void)
{
  DvProject *p = g_new0 (DvProject, 1);
  p->dataset = g_strdup ("embedded");
  return p;
}

void
dv_project_free (DvProject *p)
{
  if (p == NULL)
    return;
  dv_model_desc_free (p->desc);
  g_free (p->weights);
  g_free (p->dataset);
  g_free (p->presentation);
  g_strfreev (p->training);
  g_strfreev (p->view);
  dv_project_run_free (p->run);
  g_free (p);
}

static DvJson *
strv_to_object (char **kv)
{
  DvJson *o = dv_json_new_object ();
  for (int i = 0; kv != NULL && kv[i] != NULL; i++)
    {
      const char *eq = strchr (kv[i], '=');
      if (eq == NULL || eq == kv[i])
        continue;
      g_autofree char *key = g_strndup (kv[i], eq - kv[i]);
      dv_json_object_set (o, key, dv_json_new_string (eq + 1));
    }
  return o;
}

gboolean
dv_project_save (const DvProject *p, const char *path, GError **error)
{
  g_return_val_if_fail (p != NULL && p->desc != NULL && path != NULL, FALSE);
  g_autoptr (DvJson) root = dv_json_new_object ();
  dv_json_object_set (root, "format", dv_json_new_string (DV_PROJECT_FORMAT));
  dv_json_object_set (root, "version", dv_json_new_int (DV_PROJECT_VERSION));
  dv_json_object_set (root, "model", dv_model_desc_to_json (p->desc));
  if (p->weights != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *abs_dir = g_canonicalize_filename (dir, NULL);
      g_autofree char *abs_w = g_canonicalize_filename (p->weights, NULL);
      g_autofree char *prefix = g_strconcat (abs_dir, G_DIR_SEPARATOR_S, NULL);
      const char *stored = g_str_has_prefix (abs_w, prefix) ? abs_w + strlen (prefix) : abs_w;
      dv_json_object_set (root, "weights", dv_json_new_string (stored));
    }
  else
    dv_json_object_set (root, "weights", dv_json_new_null ());
  dv_json_object_set (root, "seed", dv_json_new_int ((gint64) p->seed));
  DvJson *stim = dv_json_new_object ();
  dv_json_object_set (stim, "dataset", dv_json_new_string (p->dataset ? p->dataset : "embedded"));
  dv_json_object_set (stim, "sample", dv_json_new_int (p->sample));
  dv_json_object_set (stim, "presentation", dv_json_new_string (p->presentation ? p->presentation : ""));
  dv_json_object_set (root, "stimulus", stim);
  dv_json_object_set (root, "training", strv_to_object (p->training));
  dv_json_object_set (root, "view", strv_to_object (p->view));
  if (p->run != NULL)
    dv_json_object_set (root, "run", dv_project_run_to_json (p->run));
  g_autofree char *text = dv_json_to_string (root, TRUE);
  g_autofree char *with_nl = g_strconcat (text, "\n", NULL);
  GError *local = NULL;
  /* a locked temporary file renamed into place; the orphans of interrupted
   * saves of projects in this folder go first (dv-tempfile.h) */
  g_autofree char *folder = g_path_get_dirname (path);
  dv_temp_remove_stale (folder, DV_TEMP_INFIX_PROJECT);
  if (!dv_file_replace_contents (path, with_nl, -1, &local))
    {
      g_set_error (error, local->domain, local->code, _("Cannot save the project %s: %s; choose a "
                   "folder you can write to"), path, local->message);
      g_error_free (local);
      return FALSE;
    }
  return TRUE;
}

static gboolean
fail (GError **error, const char *path, const char *what)
{
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s is not a usable workbench project: %s",
               path, what);
  return FALSE;
}

static char **
object_to_strv (const DvJson *o, const char *path, const char *section, GError **error)
{
  if (o == NULL || dv_json_type (o) == DV_JSON_NULL)
    return NULL;
  if (dv_json_type (o) != DV_JSON_OBJECT)
    {
      g_autofree char *msg = g_strdup_printf ("“%s” must be an object of \"key\": \"value\" strings",
                                              section);
      fail (error, path, msg);
      return NULL;
    }
  g_autoptr (GPtrArray) a = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < dv_json_length (o); i++)
    {
      const DvJson *v = dv_json_object_value (o, i);
      const char *key = dv_json_object_key (o, i);
      /* saved again as "key=value" strings split at the first '=' */
      if (key[0] == '\0' || strchr (key, '=') != NULL)
        {
          g_autofree char *msg = g_strdup_printf ("%s has the key “%s”; keys must be non-empty "
                                                  "and hold no '='", section, key);
          fail (error, path, msg);
          return NULL;
        }
      char num[G_ASCII_DTOSTR_BUF_SIZE];
      const char *s = NULL;
      if (dv_json_type (v) == DV_JSON_STRING)
        s = dv_json_string (v);
      else if (dv_json_type (v) == DV_JSON_NUMBER)
        s = g_ascii_dtostr (num, sizeof num, dv_json_number (v));
      else if (dv_json_type (v) == DV_JSON_BOOL)
        s = dv_json_bool (v) ? "true" : "false";
      if (s == NULL)
        {
          g_autofree char *msg = g_strdup_printf ("%s.%s must be a string or a number", section, key);
          fail (error, path, msg);
          return NULL;
        }
      g_ptr_array_add (a, g_strdup_printf ("%s=%s", key, s));
    }
  g_ptr_array_add (a, NULL);
  g_ptr_array_set_free_func (a, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&a), FALSE);
}

/* A whole-number member in [min, max] (a number, or a string of digits), dflt when absent;
 * FALSE with a message naming the member and its value otherwise. */
static gboolean
member_int (const DvJson *o, const char *key, const char *name, gint64 min, gint64 max, gint64 dflt,
            gint64 *out, const char *path, GError **error)
{
  const DvJson *v = o ? dv_json_object_get (o, key) : NULL;
  g_autoptr (GError) local = NULL;
  *out = dflt;
  if (v == NULL)
    return TRUE;
  gboolean ok = dv_json_type (v) == DV_JSON_NUMBER
                  ? dv_value_check_whole (name, dv_json_number (v), min, max, out, &local)
                  : dv_json_type (v) == DV_JSON_STRING
                      ? dv_value_parse_int (name, dv_json_string (v), min, max, out, &local)
                      : (g_set_error (&local, DV_VALUE_ERROR, DV_VALUE_ERROR_SYNTAX, "%s must be a whole number",
                                      name), FALSE);
  if (!ok)
    fail (error, path, local->message);
  return ok;
}

DvProject *
dv_project_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  GError *local = NULL;
  if (!g_file_get_contents (path, &text, &len, &local))
    {
      g_set_error (error, local->domain, local->code, _("Cannot open the project %s: %s"), path,
                   local->message);
      g_error_free (local);
      return NULL;
    }
  g_autoptr (DvJson) root = dv_json_parse (text, (gssize) len, &local);
  if (root == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("it is not valid JSON (%s); was it saved by the "
                                              "workbench's Save Project…?", local->message);
      g_error_free (local);
      fail (error, path, msg);
      return NULL;
    }
  if (dv_json_type (root) != DV_JSON_OBJECT
      || g_strcmp0 (dv_json_get_string (root, "format", NULL), DV_PROJECT_FORMAT) != 0)
    {
      fail (error, path, "it has no \"format\": \"" DV_PROJECT_FORMAT "\"; open checkpoints "
                         "with Open Checkpoint… and model descriptions with the command line");
      return NULL;
    }
  gint64 version = dv_json_get_int (root, "version", -1);
  if (version < 1 || version > DV_PROJECT_VERSION)
    {
      g_autofree char *msg = g_strdup_printf ("its version %" G_GINT64_FORMAT " is not one this "
                                              "workbench reads (1..%d); use a newer workbench",
                                              version, DV_PROJECT_VERSION);
      fail (error, path, msg);
      return NULL;
    }
  g_autoptr (DvProject) p = dv_project_new ();
  const DvJson *model = dv_json_object_get (root, "model");
  if (model == NULL)
    {
      fail (error, path, "it has no \"model\" (the model description)");
      return NULL;
    }
  p->desc = dv_model_desc_from_json (model, &local);
  if (p->desc != NULL && !dv_model_desc_validate (p->desc, &local))
    g_clear_pointer (&p->desc, dv_model_desc_free);
  if (p->desc == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("its model description is invalid: %s", local->message);
      g_error_free (local);
      fail (error, path, msg);
      return NULL;
    }
  const DvJson *w = dv_json_object_get (root, "weights");
  if (w != NULL && dv_json_type (w) == DV_JSON_STRING && dv_json_string (w)[0] != '\0')
    {
      const char *wp = dv_json_string (w);
      g_autofree char *dir = g_path_get_dirname (path);
      p->weights = g_path_is_absolute (wp) ? g_strdup (wp) : g_build_filename (dir, wp, NULL);
      if (!g_file_test (p->weights, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *msg = g_strdup_printf ("its weights %s are missing; put the checkpoint "
                                                  "there or set \"weights\" to null for fresh "
                                                  "weights", p->weights);
          fail (error, path, msg);
          return NULL;
        }
    }
  else if (w != NULL && dv_json_type (w) != DV_JSON_NULL && dv_json_type (w) != DV_JSON_STRING)
    {
      fail (error, path, "\"weights\" must be a file name or null");
      return NULL;
    }
  gint64 seed;
  if (!member_int (root, "seed", "seed", 0, G_MAXINT64, 0, &seed, path, error))
    return NULL;
  p->seed = (guint64) seed;
  const DvJson *stim = dv_json_object_get (root, "stimulus");
  if (stim != NULL && dv_json_type (stim) != DV_JSON_OBJECT)
    {
      fail (error, path, "\"stimulus\" must be an object with dataset, sample and presentation");
      return NULL;
    }
  g_free (p->dataset);
  p->dataset = g_strdup (dv_json_get_string (stim, "dataset", "embedded"));
  gint64 sample;
  if (!member_int (stim, "sample", "stimulus.sample", 0, G_MAXINT, 0, &sample, path, error))
    return NULL;
  p->sample = (int) sample;
  const char *pres = dv_json_get_string (stim, "presentation", "");
  p->presentation = pres[0] ? g_strdup (pres) : NULL;
  p->training = object_to_strv (dv_json_object_get (root, "training"), path, "training", &local);
  if (local == NULL)
    p->view = object_to_strv (dv_json_object_get (root, "view"), path, "view", &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  const DvJson *run = dv_json_object_get (root, "run");
  if (run != NULL && dv_json_type (run) != DV_JSON_NULL)
    {
      p->run = dv_project_run_from_json (run, &local);
      if (p->run == NULL)
        {
          g_autofree char *msg = g_strdup_printf ("%s; save the project again, or remove \"run\" "
                                                  "to open it without its training curves",
                                                  local->message);
          g_clear_error (&local);
          fail (error, path, msg);
          return NULL;
        }
    }
  /* the settings read through the same parsers as the panel and the entry: a project
   * whose values would be refused there does not open with them dropped */
  DvTrainSettings ts;
  dv_train_settings_init_defaults (&ts);
  gboolean ok = dv_train_settings_parse (&ts, (const char *const *) p->training, &local);
  dv_train_settings_clear (&ts);
  if (ok && p->presentation != NULL)
    {
      g_auto (GStrv) kv = g_strsplit (p->presentation, " ", -1);
      g_autoptr (GPtrArray) words = g_ptr_array_new ();
      for (int i = 0; kv[i] != NULL; i++)
        if (kv[i][0] != '\0')
          g_ptr_array_add (words, kv[i]);
      g_ptr_array_add (words, NULL);
      DvPresentation pr;
      dv_presentation_init (&pr, DV_LOADER_DURATION);
      /* each value (the combination is checked where it is applied, on the engine's) */
      ok = dv_presentation_parse (&pr, (const char *const *) words->pdata, &local);
      if (!ok)
        g_prefix_error (&local, "stimulus.presentation: ");
    }
  else if (!ok)
    g_prefix_error (&local, "training: ");
  if (!ok)
    {
      fail (error, path, local->message);
      g_error_free (local);
      return NULL;
    }
  return g_steal_pointer (&p);
}
