/* dv-kwargs.c — DynVision's constructor keyword arguments as one table: the
 * aliases (alias_kwargs, TemporalBase, DyRCNN), each parameter's kind and
 * range, and dv_kwargs_normalize(), which every preset — built-in or from a
 * plugin — receives its kwargs through.
 *
 * What this is for: the meaning of a keyword argument (its canonical name,
 * type and accepted values), so "tff=banana", "t_recurrence=nan" or
 * "rctype=" on a plugin model mean the same everywhere.
 * What this is not for: what a preset builds from them (dv-presets.c), or
 * whether a key applies to a given preset (dv-presets.c tracks what its
 * builders read).
 */
#include "dv-kwargs.h"
#include "dv-value.h"
#include "dv-desc.h"

#include <math.h>
#include <string.h>

static const char *const aliases[][2] = {
  { "tff", "t_feedforward" }, { "trc", "t_recurrence" }, { "tfb", "t_feedback" },
  { "tsk", "t_skip" }, { "rctype", "recurrence_type" }, { "rctarget", "recurrence_target" },
  { "solver", "dynamics_solver" }, { "idle", "idle_timesteps" }, { "lossrt", "loss_reaction_time" },
  { "ffonly", "feedforward_only" }, { "tbptt", "truncated_bptt_timesteps" },
  { "pattern", "data_presentation_pattern" }, { "shufflepattern", "shuffle_presentation_pattern" },
  { "taugrad", "train_tau" }, { "supralin", "supralinearity" }, { "winit", "max_weight_init" },
  { "inadapt", "input_adaption_weight" }, { "fbmode", "feedback_mode" }, { "tsteps", "n_timesteps" },
  { "skip_connections", "use_skip_connections" }, { "pretrained", "init_with_pretrained" },
};

typedef enum { KW_INT, KW_NUMBER, KW_BOOL, KW_STRING, KW_ENUM, KW_DIMS, KW_PATTERN, KW_FEEDBACK } KwKind;

typedef struct {
  const char *name;
  KwKind kind;
  double min, max;
  DvValueFlags flags;
  gboolean nullable;
  const char *const *choices;
} KwSpec;

static const char *const targets[] = { "output", "middle", "input", NULL };
static const char *const fb_modes[] = { "additive", "multiplicative", "add", "mul", NULL };

#define BIG 1e6
static const KwSpec specs[] = {
  { "n_classes", KW_INT, 1, 1000000, 0, FALSE, NULL },
  { "input_dims", KW_DIMS, 1, 1 << 20, 0, TRUE, NULL },
  { "n_timesteps", KW_INT, 1, 100000, 0, FALSE, NULL },
  { "dt", KW_NUMBER, 0, BIG, DV_VALUE_MIN_OPEN, FALSE, NULL },
  { "tau", KW_NUMBER, 0, BIG, DV_VALUE_MIN_OPEN, FALSE, NULL },
  { "t_feedforward", KW_NUMBER, 0, BIG, 0, FALSE, NULL },
  { "t_recurrence", KW_NUMBER, 0, BIG, 0, FALSE, NULL },
  { "t_feedback", KW_NUMBER, 0, BIG, 0, TRUE, NULL },
  { "t_skip", KW_NUMBER, 0, BIG, 0, TRUE, NULL },
  { "skip", KW_BOOL, 0, 0, 0, FALSE, NULL },
  { "feedback", KW_FEEDBACK, 0, 0, 0, FALSE, NULL },
  { "feedback_mode", KW_ENUM, 0, 0, 0, FALSE, fb_modes },
  { "data_presentation_pattern", KW_PATTERN, 0, 0, 0, TRUE, NULL },
  { "shuffle_presentation_pattern", KW_BOOL, 0, 0, 0, FALSE, NULL },
  { "non_label_index", KW_INT, G_MININT, G_MAXINT, 0, FALSE, NULL },
  { "non_input_value", KW_NUMBER, -INFINITY, INFINITY, 0, FALSE, NULL },
  { "idle_timesteps", KW_INT, 0, 100000, 0, FALSE, NULL },
  { "loss_reaction_time", KW_NUMBER, 0, BIG, 0, FALSE, NULL },
  { "feedforward_only", KW_BOOL, 0, 0, 0, FALSE, NULL },
  { "truncated_bptt_timesteps", KW_INT, 0, 100000, 0, FALSE, NULL },
  { "classifier_name", KW_STRING, 0, 0, 0, FALSE, NULL },
  { "dynamics_solver", KW_STRING, 0, 0, 0, FALSE, NULL },
  { "recurrence_type", KW_STRING, 0, 0, 0, FALSE, NULL },
  { "recurrence_target", KW_ENUM, 0, 0, 0, TRUE, targets },
  { "train_tau", KW_BOOL, 0, 0, 0, FALSE, NULL },
  { "bias", KW_BOOL, 0, 0, 0, FALSE, NULL },
  { "max_weight_init", KW_NUMBER, 0, BIG, 0, FALSE, NULL },
  { "supralinearity", KW_NUMBER, 0, BIG, DV_VALUE_MIN_OPEN, FALSE, NULL },
  { "input_adaption_weight", KW_NUMBER, -BIG, BIG, 0, FALSE, NULL },
  { "use_retina", KW_BOOL, 0, 0, 0, FALSE, NULL },
  { "use_skip_connections", KW_BOOL, 0, 0, 0, FALSE, NULL },
  { "init_with_pretrained", KW_BOOL, 0, 0, 0, FALSE, NULL },
  { "store_responses", KW_BOOL, 0, 0, 0, FALSE, NULL },
  { "recurrence_bias", KW_BOOL, 0, 0, 0, FALSE, NULL },
  { "history_length", KW_NUMBER, 0, BIG, 0, TRUE, NULL },
  { "fixed_self_weight", KW_NUMBER, -BIG, BIG, 0, FALSE, NULL },
};

const char *
dv_kwargs_canonical (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (strcmp (aliases[i][0], key) == 0)
      return aliases[i][1];
  return key;
}

static const KwSpec *
find_spec (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    if (strcmp (specs[i].name, name) == 0)
      return &specs[i];
  return NULL;
}

/* The text a value was given as, for messages. */
static char *
as_text (const DvJson *v)
{
  if (dv_json_type (v) == DV_JSON_STRING)
    return g_strdup (dv_json_string (v));
  return dv_json_to_string (v, FALSE);
}

static DvJson *
wrong_type (const char *key, const DvJson *v, const char *want, GError **error)
{
  g_autofree char *t = as_text (v);
  g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_SYNTAX, "%s=%s: give %s", key, t, want);
  return NULL;
}

static DvJson *
to_bool (const char *key, const DvJson *v, GError **error)
{
  gboolean b;
  switch (dv_json_type (v))
    {
    case DV_JSON_BOOL:
      return dv_json_new_bool (dv_json_bool (v));
    case DV_JSON_NULL: /* DynVision's str_to_bool (None) */
      return dv_json_new_bool (FALSE);
    case DV_JSON_NUMBER:
      if (dv_json_number (v) == 0 || dv_json_number (v) == 1)
        return dv_json_new_bool (dv_json_number (v) == 1);
      return wrong_type (key, v, "true or false (or 1/0)", error);
    case DV_JSON_STRING:
      if (!dv_value_parse_bool (key, dv_json_string (v), &b, error))
        return NULL;
      return dv_json_new_bool (b);
    default:
      return wrong_type (key, v, "true or false", error);
    }
}

/* A pattern as digits "1011": a list of 0/1, a number of 0/1 digits or such a string. */
static DvJson *
to_pattern (const char *key, const DvJson *v, GError **error)
{
  GString *s = g_string_new (NULL);
  gboolean ok = TRUE;
  if (dv_json_type (v) == DV_JSON_ARRAY)
    for (guint i = 0; ok && i < dv_json_length (v); i++)
      {
        const DvJson *e = dv_json_array_get (v, i);
        double x = dv_json_type (e) == DV_JSON_BOOL ? dv_json_bool (e)
                   : dv_json_type (e) == DV_JSON_NUMBER ? dv_json_number (e) : NAN;
        ok = x == 0 || x == 1;
        g_string_append_c (s, x == 1 ? '1' : '0');
      }
  else if (dv_json_type (v) == DV_JSON_NUMBER)
    {
      double x = dv_json_number (v);
      ok = isfinite (x) && x >= 0 && x == floor (x) && x < 1e15;
      if (ok)
        g_string_printf (s, "%" G_GINT64_FORMAT, (gint64) x);
    }
  else if (dv_json_type (v) == DV_JSON_STRING)
    {
      const char *t = dv_json_string (v);
      if (t[0] == '[')
        {
          g_autoptr (DvJson) list = dv_json_parse (t, -1, NULL);
          g_string_free (s, TRUE);
          if (list == NULL || dv_json_type (list) != DV_JSON_ARRAY)
            return wrong_type (key, v, "a pattern of 0s and 1s, e.g. 1011 or [1, 0, 1, 1]", error);
          return to_pattern (key, list, error);
        }
      g_string_append (s, t);
    }
  else
    ok = FALSE;
  for (gsize i = 0; ok && i < s->len; i++)
    ok = s->str[i] == '0' || s->str[i] == '1';
  ok = ok && s->len > 0 && strchr (s->str, '1') != NULL;
  if (!ok)
    {
      g_string_free (s, TRUE);
      return wrong_type (key, v, "a pattern of 0s and 1s with at least one 1, e.g. 1011 or [1, 0, 1, 1]",
                         error);
    }
  g_autofree char *digits = g_string_free (s, FALSE);
  return dv_json_new_string (digits); /* copies */
}

static DvJson *
to_dims (const char *key, const KwSpec *sp, const DvJson *v, GError **error)
{
  g_autofree gint64 *x = NULL;
  int n = 0;
  if (dv_json_type (v) == DV_JSON_STRING)
    {
      if (!dv_value_parse_int_list (key, dv_json_string (v), 2, 4, (gint64) sp->min, (gint64) sp->max, &x, &n,
                                    error))
        return NULL;
    }
  else if (dv_json_type (v) == DV_JSON_ARRAY && dv_json_length (v) >= 2 && dv_json_length (v) <= 4)
    {
      n = (int) dv_json_length (v);
      x = g_new (gint64, n);
      for (int i = 0; i < n; i++)
        {
          const DvJson *e = dv_json_array_get (v, i);
          g_autofree char *item = g_strdup_printf ("%s[%d]", key, i);
          if (dv_json_type (e) != DV_JSON_NUMBER
              || !dv_value_check_whole (item, dv_json_number (e), (gint64) sp->min, (gint64) sp->max, &x[i],
                                        error))
            {
              g_autofree char *t = as_text (v);
              if (error && *error == NULL)
                g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_SYNTAX, "%s: not a whole number", item);
              g_prefix_error (error, "%s=%s: ", key, t);
              return NULL;
            }
        }
    }
  else
    return wrong_type (key, v, "a list (T, C, H, W), (C, H, W) or (H, W) of whole numbers, e.g. [20,3,32,32]",
                       error);
  DvJson *a = dv_json_new_array ();
  for (int i = 0; i < n; i++)
    dv_json_array_append (a, dv_json_new_int (x[i]));
  return a;
}

static DvJson *
convert (const KwSpec *sp, const char *key, const DvJson *v, GError **error)
{
  if (dv_json_type (v) == DV_JSON_NULL && sp->nullable)
    return dv_json_new_null ();
  if (dv_json_type (v) == DV_JSON_STRING && sp->nullable && sp->kind != KW_STRING
      && (g_ascii_strcasecmp (dv_json_string (v), "none") == 0 || g_ascii_strcasecmp (dv_json_string (v), "null") == 0))
    return dv_json_new_null ();
  switch (sp->kind)
    {
    case KW_INT:
      {
        gint64 x;
        if (dv_json_type (v) == DV_JSON_STRING)
          {
            if (!dv_value_parse_int (key, dv_json_string (v), (gint64) sp->min, (gint64) sp->max, &x, error))
              return NULL;
          }
        else if (dv_json_type (v) != DV_JSON_NUMBER)
          {
            g_autofree char *range = dv_value_describe_range (TRUE, sp->min, sp->max, 0);
            return wrong_type (key, v, range, error);
          }
        else if (!dv_value_check_whole (key, dv_json_number (v), (gint64) sp->min, (gint64) sp->max, &x, error))
          return NULL;
        return dv_json_new_int (x);
      }
    case KW_NUMBER:
      {
        double x;
        if (dv_json_type (v) == DV_JSON_STRING)
          {
            if (!dv_value_parse_double (key, dv_json_string (v), sp->min, sp->max, sp->flags, &x, error))
              return NULL;
          }
        else if (dv_json_type (v) != DV_JSON_NUMBER)
          {
            g_autofree char *range = dv_value_describe_range (FALSE, sp->min, sp->max, sp->flags);
            return wrong_type (key, v, range, error);
          }
        else if (!dv_value_check_double (key, x = dv_json_number (v), sp->min, sp->max, sp->flags, error))
          return NULL;
        return dv_json_new_number (x);
      }
    case KW_BOOL:
      return to_bool (key, v, error);
    case KW_FEEDBACK:
      if (dv_json_type (v) == DV_JSON_STRING)
        {
          int i;
          if (dv_value_parse_enum (key, dv_json_string (v), fb_modes, &i, NULL))
            return dv_json_new_string (i == 1 || i == 3 ? "multiplicative" : "additive");
        }
      return to_bool (key, v, error);
    case KW_STRING:
      if (dv_json_type (v) == DV_JSON_NULL && sp->nullable)
        return dv_json_new_null ();
      /* rctype=none reads as None; for the recurrence it names the type "none" */
      if (dv_json_type (v) == DV_JSON_NULL && strcmp (sp->name, "recurrence_type") == 0)
        return dv_json_new_string ("none");
      if (dv_json_type (v) != DV_JSON_STRING || dv_json_string (v)[0] == '\0')
        return wrong_type (key, v, "a name", error);
      return dv_json_new_string (dv_json_string (v));
    case KW_ENUM:
      {
        int i;
        if (dv_json_type (v) != DV_JSON_STRING)
          {
            g_autofree char *t = as_text (v);
            return dv_value_parse_enum (key, t, sp->choices, &i, error), NULL;
          }
        if (!dv_value_parse_enum (key, dv_json_string (v), sp->choices, &i, error))
          return NULL;
        return dv_json_new_string (sp->choices[i]);
      }
    case KW_DIMS:
      return to_dims (key, sp, v, error);
    case KW_PATTERN:
      return to_pattern (key, v, error);
    }
  g_assert_not_reached ();
}

DvJson *
dv_kwargs_normalize (const char *model_class, const DvJson *kwargs, GError **error)
{
  g_autoptr (DvJson) out = dv_json_new_object ();
  if (kwargs == NULL)
    return g_steal_pointer (&out);
  if (dv_json_type (kwargs) != DV_JSON_OBJECT)
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "%s: keyword arguments must be an object",
                   model_class);
      return NULL;
    }
  for (guint i = 0; i < dv_json_length (kwargs); i++)
    {
      const char *key = dv_json_object_key (kwargs, i);
      const char *name = dv_kwargs_canonical (key);
      const KwSpec *sp = find_spec (name);
      if (sp == NULL)
        {
          g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN,
                       "%s has no parameter '%s'; see `dynvision describe %s` for the parameters it takes",
                       model_class, key, model_class);
          return NULL;
        }
      if (dv_json_object_get (out, name) != NULL)
        {
          g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                       "%s: '%s' and another argument both set %s; give it once", model_class, key, name);
          return NULL;
        }
      GError *local = NULL;
      DvJson *v = convert (sp, key, dv_json_object_value (kwargs, i), &local);
      if (v == NULL)
        {
          g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "%s: %s", model_class, local->message);
          g_error_free (local);
          return NULL;
        }
      dv_json_object_set (out, name, v);
    }
  return g_steal_pointer (&out);
}
