/* dv-project-run.c — the "run" section of a workbench project (see dv-project.h).
 *
 * What this is for: the JSON form of a DvProjectRun, what the training panel
 * showed of its last run, so that opening the project shows the same curves,
 * heatmap and run folder:
 *
 *   "run": { "state": "finished", "message": "…", "folder": "/…/runs/20261207-172400",
 *            "best": "best-epoch002.safetensors", "last": "last.safetensors",
 *            "probe": "embedded #3", "epochs": 2,
 *            "curves": { "train_loss": [ … ], "val_loss": [ … ], "train_accuracy": [ … ],
 *                        "val_accuracy": [ … ], "running_x": [ … ], "running_loss": [ … ],
 *                        "running_accuracy": [ … ] },
 *            "dynamics": { "layers": ["V1", …], "T": 20, "dt": 2.0, "flags": [0, 1, …],
 *                          "epochs": [0, 1, 2], "values": [ [ …n_layers·T… ], … ] } }
 *
 * Numbers are written as the shortest text that reads back to the same
 * double (dv-json.h), NaN as NaN, so the values come back bit for bit.
 * What this is not for: checking that the folder still exists (the session
 * does, and says so in the panel), the rest of the project (dv-project.c).
 */
#include "dv-project.h"

#include <math.h>
#include <string.h>

DvProjectRun *
dv_project_run_new (void)
{
  return g_new0 (DvProjectRun, 1);
}

void
dv_project_run_free (DvProjectRun *r)
{
  if (r == NULL)
    return;
  g_free (r->state);
  g_free (r->message);
  g_free (r->folder);
  g_free (r->best);
  g_free (r->last);
  g_free (r->probe);
  g_free (r->train_loss);
  g_free (r->val_loss);
  g_free (r->train_accuracy);
  g_free (r->val_accuracy);
  g_free (r->running_x);
  g_free (r->running_loss);
  g_free (r->running_accuracy);
  g_strfreev (r->layers);
  g_free (r->row_epochs);
  g_free (r->flags);
  g_free (r->values);
  g_free (r);
}

static DvJson *
opt_string (const char *s)
{
  return s != NULL ? dv_json_new_string (s) : dv_json_new_null ();
}

static DvJson *
doubles_json (const double *v, int n)
{
  DvJson *a = dv_json_new_array ();
  for (int i = 0; v != NULL && i < n; i++)
    dv_json_array_append (a, dv_json_new_number (v[i]));
  return a;
}

DvJson *
dv_project_run_to_json (const DvProjectRun *r)
{
  g_return_val_if_fail (r != NULL, NULL);
  DvJson *o = dv_json_new_object ();
  dv_json_object_set (o, "state", dv_json_new_string (r->state ? r->state : "finished"));
  dv_json_object_set (o, "message", opt_string (r->message));
  dv_json_object_set (o, "folder", opt_string (r->folder));
  dv_json_object_set (o, "best", opt_string (r->best));
  dv_json_object_set (o, "last", opt_string (r->last));
  dv_json_object_set (o, "probe", opt_string (r->probe));
  dv_json_object_set (o, "epochs", dv_json_new_int (r->epochs));
  DvJson *c = dv_json_new_object ();
  dv_json_object_set (c, "train_loss", doubles_json (r->train_loss, r->n_epochs));
  dv_json_object_set (c, "val_loss", doubles_json (r->val_loss, r->n_epochs));
  dv_json_object_set (c, "train_accuracy", doubles_json (r->train_accuracy, r->n_epochs));
  dv_json_object_set (c, "val_accuracy", doubles_json (r->val_accuracy, r->n_epochs));
  dv_json_object_set (c, "running_x", doubles_json (r->running_x, r->n_running));
  dv_json_object_set (c, "running_loss", doubles_json (r->running_loss, r->n_running));
  dv_json_object_set (c, "running_accuracy", doubles_json (r->running_accuracy, r->n_running));
  dv_json_object_set (o, "curves", c);
  DvJson *d = dv_json_new_object ();
  DvJson *names = dv_json_new_array ();
  for (int l = 0; l < r->n_layers; l++)
    dv_json_array_append (names, dv_json_new_string (r->layers[l]));
  dv_json_object_set (d, "layers", names);
  dv_json_object_set (d, "T", dv_json_new_int (r->T));
  dv_json_object_set (d, "dt", dv_json_new_number (r->dt));
  DvJson *flags = dv_json_new_array ();
  for (int t = 0; r->flags != NULL && t < r->T; t++)
    dv_json_array_append (flags, dv_json_new_int (r->flags[t]));
  dv_json_object_set (d, "flags", flags);
  DvJson *epochs = dv_json_new_array (), *rows = dv_json_new_array ();
  gsize per_row = (gsize) r->n_layers * r->T;
  for (int i = 0; i < r->n_rows; i++)
    {
      dv_json_array_append (epochs, dv_json_new_int (r->row_epochs[i]));
      DvJson *row = dv_json_new_array ();
      for (gsize k = 0; k < per_row; k++)
        dv_json_array_append (row, dv_json_new_number (r->values[i * per_row + k]));
      dv_json_array_append (rows, row);
    }
  dv_json_object_set (d, "epochs", epochs);
  dv_json_object_set (d, "values", rows);
  dv_json_object_set (o, "dynamics", d);
  return o;
}

static gboolean
bad (GError **error, const char *member, const char *what)
{
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "“run.%s” %s", member, what);
  return FALSE;
}

/* An optional string member: NULL when absent or null. */
static gboolean
read_string (const DvJson *o, const char *key, char **out, GError **error)
{
  const DvJson *v = dv_json_object_get (o, key);
  if (v == NULL || dv_json_type (v) == DV_JSON_NULL)
    return TRUE;
  if (dv_json_type (v) != DV_JSON_STRING)
    return bad (error, key, "must be a string or null");
  *out = g_strdup (dv_json_string (v));
  return TRUE;
}

/* An array of numbers; *n is set from the first array read (n < 0) and checked against the
 * others.  Absent: empty. */
static gboolean
read_doubles (const DvJson *o, const char *section, const char *key, int *n, double **out,
              GError **error)
{
  g_autofree char *member = g_strdup_printf ("%s.%s", section, key);
  const DvJson *a = o != NULL ? dv_json_object_get (o, key) : NULL;
  guint len = a != NULL ? dv_json_length (a) : 0;
  if (a != NULL && dv_json_type (a) != DV_JSON_ARRAY)
    return bad (error, member, "must be an array of numbers");
  if (*n >= 0 && (int) len != *n)
    {
      g_autofree char *what = g_strdup_printf ("has %u values where its companions have %d", len, *n);
      return bad (error, member, what);
    }
  *n = (int) len;
  *out = g_new0 (double, MAX (len, 1));
  for (guint i = 0; i < len; i++)
    {
      const DvJson *v = dv_json_array_get (a, i);
      if (dv_json_type (v) != DV_JSON_NUMBER)
        return bad (error, member, "must hold only numbers");
      (*out)[i] = dv_json_number (v);
    }
  return TRUE;
}

/* A whole number in [min, max]. */
static gboolean
read_int (const DvJson *v, const char *member, int min, int max, int *out, GError **error)
{
  double x = dv_json_type (v) == DV_JSON_NUMBER ? dv_json_number (v) : NAN;
  if (!(x >= min && x <= max && x == (double) (int) x))
    {
      g_autofree char *what = g_strdup_printf ("must be a whole number from %d to %d", min, max);
      return bad (error, member, what);
    }
  *out = (int) x;
  return TRUE;
}

static gboolean
read_dynamics (DvProjectRun *r, const DvJson *d, GError **error)
{
  if (d == NULL || dv_json_type (d) == DV_JSON_NULL)
    return TRUE;
  if (dv_json_type (d) != DV_JSON_OBJECT)
    return bad (error, "dynamics", "must be an object");
  const DvJson *names = dv_json_object_get (d, "layers");
  const DvJson *rows = dv_json_object_get (d, "values");
  const DvJson *epochs = dv_json_object_get (d, "epochs");
  const DvJson *flags = dv_json_object_get (d, "flags");
  if (names == NULL || dv_json_type (names) != DV_JSON_ARRAY)
    return bad (error, "dynamics.layers", "must be an array of layer names");
  if (rows == NULL || dv_json_type (rows) != DV_JSON_ARRAY || epochs == NULL
      || dv_json_type (epochs) != DV_JSON_ARRAY || dv_json_length (epochs) != dv_json_length (rows))
    return bad (error, "dynamics", "needs \"values\" (one array per row) and \"epochs\" (one per row)");
  const DvJson *T = dv_json_object_get (d, "T");
  if (!read_int (T, "dynamics.T", 0, 1 << 20, &r->T, error))
    return FALSE;
  r->dt = dv_json_get_number (d, "dt", 1);
  if (!(r->dt > 0))
    return bad (error, "dynamics.dt", "must be a positive number of ms");
  r->n_layers = (int) dv_json_length (names);
  r->layers = g_new0 (char *, r->n_layers + 1);
  for (int l = 0; l < r->n_layers; l++)
    {
      const DvJson *v = dv_json_array_get (names, l);
      if (dv_json_type (v) != DV_JSON_STRING)
        return bad (error, "dynamics.layers", "must hold only names");
      r->layers[l] = g_strdup (dv_json_string (v));
    }
  if (flags != NULL && dv_json_type (flags) == DV_JSON_ARRAY && dv_json_length (flags) > 0)
    {
      if ((int) dv_json_length (flags) != r->T)
        return bad (error, "dynamics.flags", "must have one entry per timestep (T)");
      r->flags = g_new0 (guint8, r->T);
      for (int t = 0; t < r->T; t++)
        {
          int f;
          if (!read_int (dv_json_array_get (flags, t), "dynamics.flags", 0, 255, &f, error))
            return FALSE;
          r->flags[t] = (guint8) f;
        }
    }
  r->n_rows = (int) dv_json_length (rows);
  gsize per_row = (gsize) r->n_layers * r->T;
  r->row_epochs = g_new0 (int, MAX (r->n_rows, 1));
  r->values = g_new0 (float, MAX (per_row * r->n_rows, 1));
  for (int i = 0; i < r->n_rows; i++)
    {
      if (!read_int (dv_json_array_get (epochs, i), "dynamics.epochs", 0, G_MAXINT, &r->row_epochs[i], error))
        return FALSE;
      const DvJson *row = dv_json_array_get (rows, i);
      if (dv_json_type (row) != DV_JSON_ARRAY || dv_json_length (row) != per_row)
        {
          g_autofree char *what = g_strdup_printf ("row %d must hold one number per layer and "
                                                   "timestep (%d × %d)", i, r->n_layers, r->T);
          return bad (error, "dynamics.values", what);
        }
      for (gsize k = 0; k < per_row; k++)
        {
          const DvJson *v = dv_json_array_get (row, k);
          if (dv_json_type (v) != DV_JSON_NUMBER)
            return bad (error, "dynamics.values", "must hold only numbers");
          r->values[i * per_row + k] = (float) dv_json_number (v);
        }
    }
  return TRUE;
}

DvProjectRun *
dv_project_run_from_json (const DvJson *o, GError **error)
{
  g_return_val_if_fail (o != NULL, NULL);
  if (dv_json_type (o) != DV_JSON_OBJECT)
    {
      bad (error, "", "must be an object (the training panel's last run)");
      return NULL;
    }
  g_autoptr (DvProjectRun) r = dv_project_run_new ();
  static const char *const states[] = { "preparing", "running", "paused", "finished", "stopped",
                                        "failed", NULL };
  if (!read_string (o, "state", &r->state, error) || !read_string (o, "message", &r->message, error)
      || !read_string (o, "folder", &r->folder, error) || !read_string (o, "best", &r->best, error)
      || !read_string (o, "last", &r->last, error) || !read_string (o, "probe", &r->probe, error))
    return NULL;
  if (r->state == NULL)
    r->state = g_strdup ("finished");
  if (!g_strv_contains (states, r->state))
    {
      bad (error, "state", "must be one of preparing, running, paused, finished, stopped, failed");
      return NULL;
    }
  if ((r->best != NULL && strchr (r->best, G_DIR_SEPARATOR) != NULL)
      || (r->last != NULL && strchr (r->last, G_DIR_SEPARATOR) != NULL))
    {
      bad (error, "best/last", "must be file names inside the run folder");
      return NULL;
    }
  const DvJson *ep = dv_json_object_get (o, "epochs");
  if (ep != NULL && !read_int (ep, "epochs", 0, G_MAXINT, &r->epochs, error))
    return NULL;
  const DvJson *c = dv_json_object_get (o, "curves");
  if (c != NULL && dv_json_type (c) != DV_JSON_OBJECT)
    {
      bad (error, "curves", "must be an object of arrays");
      return NULL;
    }
  r->n_epochs = r->n_running = -1;
  if (!read_doubles (c, "curves", "train_loss", &r->n_epochs, &r->train_loss, error)
      || !read_doubles (c, "curves", "val_loss", &r->n_epochs, &r->val_loss, error)
      || !read_doubles (c, "curves", "train_accuracy", &r->n_epochs, &r->train_accuracy, error)
      || !read_doubles (c, "curves", "val_accuracy", &r->n_epochs, &r->val_accuracy, error)
      || !read_doubles (c, "curves", "running_x", &r->n_running, &r->running_x, error)
      || !read_doubles (c, "curves", "running_loss", &r->n_running, &r->running_loss, error)
      || !read_doubles (c, "curves", "running_accuracy", &r->n_running, &r->running_accuracy, error))
    return NULL;
  if (!read_dynamics (r, dv_json_object_get (o, "dynamics"), error))
    return NULL;
  return g_steal_pointer (&r);
}
