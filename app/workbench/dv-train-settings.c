/* dv-train-settings.c — the training panel's settings as "key=value" strings,
 * checked once, and reading back where a divergence appeared.
 *
 * What this is for: the validation logic of the training panel, GTK-free so
 * tests/test-project.c checks it without a display.
 * What this is not for: running the trainer (dv-engine-thread-train.c).
 */
#include "dv-engine-train.h"
#include "dv-value.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
dv_train_settings_init (DvTrainSettings *s)
{
  *s = (DvTrainSettings) {
    .dataset = g_strdup ("embedded"),
    .epochs = 5,
    .batch_size = 32,
    .lr = 1e-3,
    .optimizer = DV_OPTIM_ADAM,
    .schedule = DV_SCHEDULE_COSINE,
    .train_samples = 0,
    .val_fraction = 0.1,
    .augment = TRUE,
    .seed = 0,
    .threads = (int) MIN (g_get_num_processors (), 64),
    .divergence_factor = 1000,
  };
}

void
dv_train_settings_clear (DvTrainSettings *s)
{
  g_clear_pointer (&s->dataset, g_free);
}

static const char *const optimizers[] = { "sgd", "adam", "adamw" };     /* DvOptimKind order */
static const char *const schedules[] = { "cosine", "step", "constant" }; /* DvSchedule order */

/* Values through base/dv-value.h: the whole text, no NaN, the range named. */
static gboolean
parse_int (const char *key, const char *v, int lo, int hi, int *out, GError **error)
{
  gint64 x;
  if (!dv_value_parse_int (key, v, lo, hi, &x, error))
    return FALSE;
  *out = (int) x;
  return TRUE;
}

static gboolean
parse_double (const char *key, const char *v, double lo, double hi, double *out, GError **error)
{
  return dv_value_parse_double (key, v, lo, hi, 0, out, error);
}

static gboolean
parse_choice (const char *key, const char *v, const char *const *names, int n, int *out,
              GError **error)
{
  g_autofree const char **list = g_new0 (const char *, n + 1);
  for (int i = 0; i < n; i++)
    list[i] = names[i];
  return dv_value_parse_enum (key, v, list, out, error);
}

gboolean
dv_train_settings_parse (DvTrainSettings *s, const char *const *assignments, GError **error)
{
  g_return_val_if_fail (s != NULL, FALSE);
  DvTrainSettings t = *s;
  t.dataset = g_strdup (s->dataset);
  for (int i = 0; assignments != NULL && assignments[i] != NULL; i++)
    {
      const char *a = assignments[i];
      const char *eq = strchr (a, '=');
      if (eq == NULL || eq == a)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "“%s” is not a training setting: write key=value, e.g. epochs=5", a);
          goto fail;
        }
      g_autofree char *key = g_strndup (a, eq - a);
      const char *v = eq + 1;
      gboolean ok = TRUE;
      int choice = 0;
      if (g_str_equal (key, "dataset"))
        {
          if (*v == '\0')
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "dataset= needs a data set: embedded, fashion-mnist, folder:DIR, …");
              goto fail;
            }
          g_free (t.dataset);
          t.dataset = g_strdup (v);
        }
      else if (g_str_equal (key, "epochs"))
        ok = parse_int (key, v, 1, 10000, &t.epochs, error);
      else if (g_str_equal (key, "batch_size"))
        ok = parse_int (key, v, 1, 4096, &t.batch_size, error);
      else if (g_str_equal (key, "train_samples"))
        ok = parse_int (key, v, 0, G_MAXINT, &t.train_samples, error);
      else if (g_str_equal (key, "threads"))
        ok = parse_int (key, v, 1, 64, &t.threads, error);
      else if (g_str_equal (key, "lr"))
        ok = parse_double (key, v, 1e-9, 10, &t.lr, error);
      else if (g_str_equal (key, "divergence_factor"))
        {
          ok = parse_double (key, v, 0, 1e30, &t.divergence_factor, error);
          if (ok && t.divergence_factor > 0 && t.divergence_factor <= 1)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "divergence_factor=%s: give 0 (off) or a factor above 1 (1000)", v);
              ok = FALSE;
            }
        }
      else if (g_str_equal (key, "val_fraction"))
        ok = parse_double (key, v, 0, 0.9, &t.val_fraction, error);
      else if (g_str_equal (key, "optimizer"))
        {
          ok = parse_choice (key, v, optimizers, 3, &choice, error);
          t.optimizer = (DvOptimKind) choice;
        }
      else if (g_str_equal (key, "schedule"))
        {
          ok = parse_choice (key, v, schedules, 3, &choice, error);
          t.schedule = (DvSchedule) choice;
        }
      else if (g_str_equal (key, "augment"))
        ok = dv_value_parse_bool (key, v, &t.augment, error);
      else if (g_str_equal (key, "seed"))
        {
          gint64 x = 0;
          ok = dv_value_parse_int (key, v, 0, G_MAXINT64, &x, error);
          t.seed = (guint64) x;
        }
      else
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                       "“%s” is not a training setting; the settings are dataset, epochs, "
                       "batch_size, lr, optimizer, schedule, train_samples, val_fraction, "
                       "augment, seed, threads and divergence_factor", key);
          ok = FALSE;
        }
      if (!ok)
        goto fail;
    }
  g_free (s->dataset);
  *s = t;
  return TRUE;
fail:
  g_free (t.dataset);
  return FALSE;
}

char **
dv_train_settings_to_strv (const DvTrainSettings *s)
{
  char lr[G_ASCII_DTOSTR_BUF_SIZE], vf[G_ASCII_DTOSTR_BUF_SIZE], df[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_dtostr (lr, sizeof lr, s->lr);
  g_ascii_dtostr (df, sizeof df, s->divergence_factor);
  g_ascii_dtostr (vf, sizeof vf, s->val_fraction);
  GPtrArray *b = g_ptr_array_new ();
  g_ptr_array_add (b, g_strdup_printf ("dataset=%s", s->dataset));
  g_ptr_array_add (b, g_strdup_printf ("epochs=%d", s->epochs));
  g_ptr_array_add (b, g_strdup_printf ("batch_size=%d", s->batch_size));
  g_ptr_array_add (b, g_strdup_printf ("lr=%s", lr));
  g_ptr_array_add (b, g_strdup_printf ("optimizer=%s", optimizers[s->optimizer]));
  g_ptr_array_add (b, g_strdup_printf ("schedule=%s", schedules[s->schedule]));
  g_ptr_array_add (b, g_strdup_printf ("train_samples=%d", s->train_samples));
  g_ptr_array_add (b, g_strdup_printf ("val_fraction=%s", vf));
  g_ptr_array_add (b, g_strdup_printf ("augment=%s", s->augment ? "true" : "false"));
  g_ptr_array_add (b, g_strdup_printf ("seed=%" G_GUINT64_FORMAT, s->seed));
  g_ptr_array_add (b, g_strdup_printf ("threads=%d", s->threads));
  g_ptr_array_add (b, g_strdup_printf ("divergence_factor=%s", df));
  g_ptr_array_add (b, NULL);
  return (char **) g_ptr_array_free (b, FALSE);
}

/* The engine says "the activity of layer NAME became NaN or infinite at
 * timestep T (…)" or "the classifier output became NaN or infinite at
 * timestep T" (engine/dv-run.c); the trainer prefixes the epoch and batch. */
gboolean
dv_train_parse_divergence (const char *message, char **layer, int *timestep)
{
  g_return_val_if_fail (layer != NULL && timestep != NULL, FALSE);
  *layer = NULL;
  *timestep = -1;
  if (message == NULL)
    return FALSE;
  /* "the activity of layer NAME became NaN or infinite at timestep T", "… NAME blew up at
   * timestep T", "the classifier output became NaN or infinite at timestep T" */
  static const char *const verbs[] = { " became NaN or infinite at timestep ", " blew up at timestep " };
  const char *at = NULL, *num = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (verbs) && at == NULL; i++)
    if ((at = strstr (message, verbs[i])) != NULL)
      num = at + strlen (verbs[i]);
  if (at == NULL)
    return FALSE;
  char *end = NULL;
  long t = strtol (num, &end, 10);
  if (end == num || t < 0)
    return FALSE;
  const char *of = g_strrstr_len (message, at - message, "the activity of layer ");
  if (of != NULL)
    {
      const char *name = of + strlen ("the activity of layer ");
      *layer = g_strndup (name, at - name);
    }
  else if (g_strrstr_len (message, at - message, "the classifier output") != NULL)
    *layer = g_strdup ("classifier");
  else
    return FALSE;
  *timestep = (int) t;
  return TRUE;
}

const char *
dv_train_state_name (DvTrainState state)
{
  static const char *const names[] = { "preparing", "running", "paused", "done", "stopped",
                                       "failed" };
  return state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

void
dv_train_news_clear (DvTrainNews *n)
{
  g_clear_pointer (&n->message, g_free);
  g_clear_pointer (&n->run_dir, g_free);
  g_clear_pointer (&n->best_path, g_free);
  g_clear_pointer (&n->last_path, g_free);
  g_clear_pointer (&n->start_path, g_free);
  g_clear_pointer (&n->warnings, g_strfreev);
  g_clear_pointer (&n->metrics, g_array_unref);
  g_clear_pointer (&n->layer_names, g_strfreev);
  g_clear_pointer (&n->flags, g_free);
  g_clear_pointer (&n->probe_caption, g_free);
  g_clear_pointer (&n->dyn_values, g_array_unref);
  g_clear_pointer (&n->dyn_epochs, g_array_unref);
  g_clear_pointer (&n->probe_logits, g_free);
  g_clear_pointer (&n->nan_layer, g_free);
}
