/* dv-train-settings.c — the one table of training settings, its parser and
 * the trainer configuration it stands for (see dv-train-settings.h).
 *
 * What this is for: the table (names, defaults, ranges, help, DynVision's
 * values), setting a value through base/dv-value.h, and the text forms of
 * the values (key=value, the help line, the Markdown table of the docs).
 * What this is not for: reading options (app/dv-cli-train.c) or widgets
 * (ui/dv-wb-window-train.c); both call this.
 */
#include "dv-train-settings.h"
#include "dv-trainer.h"

#include "dv-json.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

G_STATIC_ASSERT (DV_OPTIM_SGD == 0 && DV_OPTIM_ADAM == 1 && DV_OPTIM_ADAMW == 2);
G_STATIC_ASSERT (DV_SCHEDULE_COSINE == 0 && DV_SCHEDULE_STEP == 1 && DV_SCHEDULE_CONSTANT == 2);
G_STATIC_ASSERT (DV_ACTIVITY_ABSOLUTE == 0 && DV_ACTIVITY_SIGNED == 1);

static const char *const optimizers[] = { "sgd", "adam", "adamw", NULL };      /* DvOptimKind */
static const char *const schedules[] = { "cosine", "step", "constant", NULL }; /* DvSchedule */
static const char *const activity_modes[] = { "absolute", "signed", NULL };    /* DvActivityMode */
static const char *const monitors[] = { "val_loss", "val_accuracy", NULL };
static const char *const bn_modes[] = { "batch", "running", NULL };

#define OFF(f) offsetof (DvTrainSettings, f)
#define INT(n, s, al, d, lo, hi, unit, arg, help, dv, why, f) \
  { n, s, al, DV_TRAIN_SETTING_INT, d, lo, hi, 0, NULL, unit, arg, help, dv, why, OFF (f) }
#define DBL(n, d, lo, hi, fl, unit, arg, help, dv, why, f) \
  { n, 0, NULL, DV_TRAIN_SETTING_DOUBLE, d, lo, hi, fl, NULL, unit, arg, help, dv, why, OFF (f) }
#define BOOL(n, d, help, dv, f) \
  { n, 0, NULL, DV_TRAIN_SETTING_BOOL, d, 0, 0, 0, NULL, NULL, NULL, help, dv, NULL, OFF (f) }
#define CHOICE(n, d, list, arg, help, dv, f) \
  { n, 0, NULL, DV_TRAIN_SETTING_CHOICE, d, 0, 0, 0, list, NULL, arg, help, dv, NULL, OFF (f) }

static const DvTrainSettingInfo table[] = {
  { "data", 'd', "dataset", DV_TRAIN_SETTING_STRING, "embedded", 0, 0, 0, NULL, NULL, "NAME",
    "Data set: embedded, fashion-mnist, mnist, cifar10, cifar100, idx:PREFIX, cifar10:DIR, folder:DIR",
    NULL, NULL, OFF (data) },
  INT ("epochs", 'e', NULL, "5", 1, 100000, "epochs", "N", "Epochs to train", "300",
       "a run of minutes on a CPU; DynVision's 300 are meant for a GPU cluster", epochs),
  INT ("batch", 'b', "batch_size", "32", 1, 65536, "samples", "B", "Batch size", "192",
       "fits a laptop's memory and cache; the learning rate follows through the batch scaling", batch),
  DBL ("lr", "2e-4", 0, 10, DV_VALUE_MIN_OPEN, NULL, "LR",
       "Base learning rate, before the batch-size scaling", "2e-4", NULL, lr),
  DBL ("weight-decay", "5e-4", 0, 1e3, 0, NULL, "WD",
       "Weight decay (L2 added to the gradient; decoupled with adamw)", "5e-4", NULL, weight_decay),
  CHOICE ("optimizer", "adam", optimizers, "NAME", "Optimiser", "adam", optimizer),
  DBL ("momentum", "0.9", 0, 1, DV_VALUE_MAX_OPEN, NULL, "M", "SGD momentum", NULL, NULL, momentum),
  BOOL ("nesterov", "false", "SGD with Nesterov momentum", NULL, nesterov),
  CHOICE ("schedule", "cosine", schedules, "NAME", "Learning-rate schedule, stepped per epoch", "cosine",
          schedule),
  INT ("t-max", 0, NULL, "0", 0, 1000000, "epochs", "N", "Cosine period (0: the number of epochs)", "500",
       "0 anneals over the run's own epochs, as DynVision's T_max 500 does over its long runs", t_max),
  INT ("step-size", 0, NULL, "30", 1, 1000000, "epochs", "N", "Step schedule: epochs per step", NULL, NULL,
       step_size),
  DBL ("gamma", "0.1", 0, 1e6, DV_VALUE_MIN_OPEN, NULL, "G", "Step schedule: factor per step", NULL, NULL,
       gamma),
  DBL ("clip", "1", 0, 1e12, 0, NULL, "X", "Gradient clipping, global L2 norm (0: off)", "1", NULL, clip),
  DBL ("divergence-factor", "1000", 0, 1e30, 0, NULL, "F",
       "Stop when the loss, gradient norm or a layer's activity exceeds F times its running history "
       "(0: off, else above 1)", NULL, NULL, divergence_factor),
  INT ("accumulate", 0, NULL, "1", 1, 100000, "batches", "N", "Gradient accumulation", "4",
       "with batch 32 an optimiser step per batch; DynVision accumulates 4 batches of 192", accumulate),
  BOOL ("lr-scaling", "true", "Scale the learning rate by batch size (E/64, √(E/64) above 128)", "true",
        lr_scaling),
  BOOL ("group-factors", "true", "Learning rate ×0.2 for recurrence, ×0.5 for feedback", "true",
        group_factors),
  BOOL ("augment", "true", "Train-time augmentation (the data set's DynVision preset)", "true", augment),
  CHOICE ("bn-mode", "batch", bn_modes, "MODE", "BatchNorm while training: batch statistics (and the running "
          "ones updated), or the running statistics, fixed (train = eval)", "batch", bn_mode),
  INT ("bn-calibrate", 0, NULL, "0", 0, 100000, "batches", "N", "Re-estimate BatchNorm's running statistics "
       "on the stimulus steps of N training batches: before training (bn-mode running) or after each epoch "
       "(batch) (0: off)", NULL, NULL, bn_calibrate),
  DBL ("recurrence-scale", "1", 0, 1e3, 0, NULL, "S", "Multiply the recurrence weights (*.recurrence.*weight) "
       "by S before the first epoch (1: as initialised)", NULL, NULL, recurrence_scale),
  DBL ("activity-weight", "0", 0, 1e12, 0, NULL, "W", "Activity loss weight (0: off)", "0", NULL,
       activity_weight),
  DBL ("activity-ord", "1", 0, 1e3, DV_VALUE_MIN_OPEN, NULL, "P", "Activity loss norm order p", "1", NULL,
       activity_ord),
  CHOICE ("activity-mode", "absolute", activity_modes, "MODE", "Activity loss measure", "absolute",
          activity_mode),
  { "activity-layers", 0, NULL, DV_TRAIN_SETTING_STRING, "", 0, 0, 0, NULL, NULL, "L1,L2",
    "Layers of the activity loss (empty: every layer)", NULL, NULL, OFF (activity_layers) },
  INT ("train-samples", 0, NULL, "0", 0, G_MAXINT, "samples", "N",
       "Train on the first N samples of the seeded train split (0: all)", NULL, NULL, train_samples),
  DBL ("val-fraction", "0.1", 0, 1, DV_VALUE_MAX_OPEN, NULL, "F", "Validation fraction of the train split",
       NULL, NULL, val_fraction),
  INT ("val-every", 0, NULL, "1", 1, 100000, "epochs", "N", "Validate every N epochs", "10",
       "the curves of a short run need every epoch", val_every),
  INT ("save-every", 0, NULL, "0", 0, 100000, "epochs", "N", "Also keep a checkpoint every N epochs (0: never)",
       "50", "a short run keeps its best and last checkpoints only", save_every),
  INT ("save-top-k", 0, NULL, "2", 0, 100000, "checkpoints", "K", "Best checkpoints kept", "2", NULL,
       save_top_k),
  CHOICE ("monitor", "val_loss", monitors, "KEY", "What the best checkpoints are chosen by (loss: min, "
          "accuracy: max)", "val_loss", monitor),
  { "seed", 's', NULL, DV_TRAIN_SETTING_INT64, "0", 0, 9.3e18, 0, NULL, NULL, "N",
    "Seed of the weights, the split, the order and the augmentation", "0", NULL, OFF (seed) },
  INT ("threads", 0, NULL, "0", 0, 1024, NULL, "N", "Kernel threads while training (0: every processor)",
       NULL, NULL, threads),
  INT ("bptt-checkpoint", 0, NULL, "0", 0, 1000000, "timesteps", "K", "Activation recomputation: keep the "
       "state every K timesteps and recompute the rest in backward (less memory for long sequences, one more "
       "forward pass; the same gradients) (0: keep every timestep)", NULL, NULL, bptt_checkpoint),
};

const DvTrainSettingInfo *
dv_train_settings_table (guint *n)
{
  if (n != NULL)
    *n = G_N_ELEMENTS (table);
  return table;
}

static gboolean
same_name (const char *a, const char *b)
{
  for (; *a && *b; a++, b++)
    if (*a != *b && !((*a == '_' || *a == '-') && (*b == '_' || *b == '-')))
      return FALSE;
  return *a == *b;
}

const DvTrainSettingInfo *
dv_train_settings_lookup (const char *key)
{
  g_return_val_if_fail (key != NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (same_name (key, table[i].name) || (table[i].alias && same_name (key, table[i].alias)))
      return &table[i];
  return NULL;
}

#define FIELD(s, info, T) ((T *) ((char *) (s) + (info)->offset))
#define CFIELD(s, info, T) ((const T *) ((const char *) (s) + (info)->offset))

static gint64
int_bound (double x)
{
  return x >= 9.2e18 ? G_MAXINT64 : x <= -9.2e18 ? G_MININT64 : (gint64) x;
}

/* The checks beyond a range. */
static gboolean
check_special (const DvTrainSettingInfo *info, const char *key, const char *value, const DvTrainSettings *t,
               GError **error)
{
  if (info->offset == OFF (divergence_factor) && t->divergence_factor > 0 && t->divergence_factor <= 1)
    {
      g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_RANGE,
                   "%s=%s: give 0 (off) or a finite factor above 1 (default 1000)", key, value);
      return FALSE;
    }
  if (info->offset == OFF (data) && *t->data == '\0')
    {
      g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_SYNTAX,
                   "%s=: name a data set: embedded, fashion-mnist, mnist, cifar10, folder:DIR, …", key);
      return FALSE;
    }
  return TRUE;
}

gboolean
dv_train_settings_set (DvTrainSettings *s, const char *key, const char *value, GError **error)
{
  g_return_val_if_fail (s != NULL && key != NULL, FALSE);
  const DvTrainSettingInfo *info = dv_train_settings_lookup (key);
  if (info == NULL)
    {
      GString *names = g_string_new (NULL);
      for (guint i = 0; i < G_N_ELEMENTS (table); i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "", table[i].name);
      g_set_error (error, DV_VALUE_ERROR, DV_VALUE_ERROR_UNKNOWN,
                   "“%s” is not a training setting; the settings are %s", key, names->str);
      g_string_free (names, TRUE);
      return FALSE;
    }
  if (value == NULL)
    value = "";
  DvTrainSettings t = *s; /* the special checks see the new value; s changes only when it passes */
  gint64 i64 = 0;
  double d = 0;
  gboolean b = FALSE;
  int choice = 0;
  switch (info->type)
    {
    case DV_TRAIN_SETTING_INT:
      if (!dv_value_parse_int (key, value, int_bound (info->min), int_bound (info->max), &i64, error))
        return FALSE;
      *FIELD (&t, info, int) = (int) i64;
      break;
    case DV_TRAIN_SETTING_INT64:
      if (!dv_value_parse_int (key, value, int_bound (info->min), int_bound (info->max), &i64, error))
        return FALSE;
      *FIELD (&t, info, gint64) = i64;
      break;
    case DV_TRAIN_SETTING_DOUBLE:
      if (!dv_value_parse_double (key, value, info->min, info->max, info->flags, &d, error))
        return FALSE;
      *FIELD (&t, info, double) = d;
      break;
    case DV_TRAIN_SETTING_BOOL:
      if (!dv_value_parse_bool (key, value, &b, error))
        return FALSE;
      *FIELD (&t, info, gboolean) = b;
      break;
    case DV_TRAIN_SETTING_CHOICE:
      if (!dv_value_parse_enum (key, value, info->choices, &choice, error))
        return FALSE;
      *FIELD (&t, info, int) = choice;
      break;
    case DV_TRAIN_SETTING_STRING:
      *FIELD (&t, info, char *) = (char *) value; /* borrowed until the checks pass */
      break;
    }
  if (!check_special (info, key, value, &t, error))
    return FALSE;
  if (info->type == DV_TRAIN_SETTING_STRING)
    {
      char **field = FIELD (s, info, char *);
      g_free (*field);
      *field = g_strdup (value);
    }
  else
    *s = t;
  return TRUE;
}

void
dv_train_settings_init_defaults (DvTrainSettings *s)
{
  g_return_if_fail (s != NULL);
  memset (s, 0, sizeof *s);
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (GError) error = NULL;
      if (!dv_train_settings_set (s, table[i].name, table[i].default_text, &error))
        g_error ("the default of training setting %s is refused: %s", table[i].name, error->message);
    }
}

void
dv_train_settings_clear (DvTrainSettings *s)
{
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (table[i].type == DV_TRAIN_SETTING_STRING)
      g_clear_pointer (FIELD (s, &table[i], char *), g_free);
}

void
dv_train_settings_copy (DvTrainSettings *dst, const DvTrainSettings *src)
{
  *dst = *src;
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (table[i].type == DV_TRAIN_SETTING_STRING)
      *FIELD (dst, &table[i], char *) = g_strdup (*CFIELD (src, &table[i], char *));
}

gboolean
dv_train_settings_parse (DvTrainSettings *s, const char *const *assignments, GError **error)
{
  g_return_val_if_fail (s != NULL, FALSE);
  DvTrainSettings t;
  dv_train_settings_copy (&t, s);
  for (int i = 0; assignments != NULL && assignments[i] != NULL; i++)
    {
      g_autofree char *key = NULL;
      const char *value;
      if (!dv_value_split (assignments[i], &key, &value, error)
          || !dv_train_settings_set (&t, key, value, error))
        {
          dv_train_settings_clear (&t);
          return FALSE;
        }
    }
  dv_train_settings_clear (s);
  *s = t;
  return TRUE;
}

/* The shortest text that reads back to the double (the JSON writer's), without a ".0". */
static char *
format_double (double v)
{
  g_autoptr (DvJson) j = dv_json_new_number (v);
  char *text = dv_json_to_string (j, FALSE);
  if (g_str_has_suffix (text, ".0"))
    text[strlen (text) - 2] = '\0';
  return text;
}

char *
dv_train_settings_get (const DvTrainSettings *s, const DvTrainSettingInfo *info)
{
  g_return_val_if_fail (s != NULL && info != NULL, NULL);
  switch (info->type)
    {
    case DV_TRAIN_SETTING_INT:
      return g_strdup_printf ("%d", *CFIELD (s, info, int));
    case DV_TRAIN_SETTING_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, *CFIELD (s, info, gint64));
    case DV_TRAIN_SETTING_DOUBLE:
      return format_double (*CFIELD (s, info, double));
    case DV_TRAIN_SETTING_BOOL:
      return g_strdup (*CFIELD (s, info, gboolean) ? "true" : "false");
    case DV_TRAIN_SETTING_CHOICE:
      {
        int c = *CFIELD (s, info, int), n = (int) g_strv_length ((char **) info->choices);
        return g_strdup (c >= 0 && c < n ? info->choices[c] : "?");
      }
    case DV_TRAIN_SETTING_STRING:
      return g_strdup (*CFIELD (s, info, char *) ? *CFIELD (s, info, char *) : "");
    }
  return NULL;
}

gboolean
dv_train_settings_validate (const DvTrainSettings *s, GError **error)
{
  g_return_val_if_fail (s != NULL, FALSE);
  DvTrainSettings t;
  dv_train_settings_init_defaults (&t);
  gboolean ok = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (table) && ok; i++)
    {
      g_autofree char *v = dv_train_settings_get (s, &table[i]);
      ok = dv_train_settings_set (&t, table[i].name, v, error);
    }
  dv_train_settings_clear (&t);
  return ok;
}

char **
dv_train_settings_to_strv (const DvTrainSettings *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  char **kv = g_new0 (char *, G_N_ELEMENTS (table) + 1);
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autofree char *v = dv_train_settings_get (s, &table[i]);
      kv[i] = g_strdup_printf ("%s=%s", table[i].name, v);
    }
  return kv;
}

char *
dv_train_settings_describe (const DvTrainSettings *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  DvTrainSettings d;
  dv_train_settings_init_defaults (&d);
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autofree char *v = dv_train_settings_get (s, &table[i]);
      g_autofree char *dv = dv_train_settings_get (&d, &table[i]);
      if (!g_str_equal (v, dv))
        g_string_append_printf (out, "%s%s=%s", out->len ? " " : "", table[i].name, v);
    }
  dv_train_settings_clear (&d);
  if (out->len == 0)
    g_string_append (out, "defaults");
  return g_string_free (out, FALSE);
}

/* What a value may be: "a whole number from 1 to 100000", "adam, adamw or sgd", … */
static char *
accepted (const DvTrainSettingInfo *info)
{
  switch (info->type)
    {
    case DV_TRAIN_SETTING_INT:
    case DV_TRAIN_SETTING_INT64:
      return dv_value_describe_range (TRUE, info->min, info->max, 0);
    case DV_TRAIN_SETTING_DOUBLE:
      if (info->offset == OFF (divergence_factor))
        return g_strdup ("0 or a number above 1");
      return dv_value_describe_range (FALSE, info->min, info->max, info->flags);
    case DV_TRAIN_SETTING_BOOL:
      return g_strdup ("true or false");
    case DV_TRAIN_SETTING_CHOICE:
      return g_strjoinv (", ", (char **) info->choices);
    case DV_TRAIN_SETTING_STRING:
      return g_strdup ("text");
    }
  return NULL;
}

char *
dv_train_settings_help (const DvTrainSettingInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  g_autofree char *range = accepted (info);
  const char *d = *info->default_text ? info->default_text : "empty";
  if (info->type == DV_TRAIN_SETTING_STRING)
    return g_strdup_printf ("%s (default %s)", info->help, d);
  if (info->type == DV_TRAIN_SETTING_BOOL)
    return g_strdup_printf ("%s (%s by default)", info->help, g_str_equal (d, "true") ? "on" : "off");
  return g_strdup_printf ("%s (%s%sdefault %s; %s)", info->help, info->unit ? info->unit : "",
                          info->unit ? "; " : "", d, range);
}

char *
dv_train_settings_markdown (void)
{
  GString *md = g_string_new ("| setting | `dynvision train` | default | accepted | DynVision | meaning |\n"
                              "|---|---|---|---|---|---|\n");
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      const DvTrainSettingInfo *t = &table[i];
      g_autofree char *range = accepted (t);
      g_autofree char *shrt = t->short_name ? g_strdup_printf (", `-%c`", t->short_name) : g_strdup ("");
      g_autofree char *flag = t->type != DV_TRAIN_SETTING_BOOL
                              ? g_strdup_printf ("`--%s %s`%s", t->name, t->arg, shrt)
                              : g_str_equal (t->default_text, "true")
                              ? g_strdup_printf ("`--no-%s`", t->name)
                              : g_strdup_printf ("`--%s`", t->name);
      g_autofree char *dv = t->dynvision == NULL ? g_strdup ("—")
                            : t->differs == NULL ? g_strdup ("same")
                            : g_strdup_printf ("%s (%s)", t->dynvision, t->differs);
      g_auto (GStrv) parts = g_strsplit (t->help, "|", -1);
      g_autofree char *safe = g_strjoinv ("\\|", parts);
      g_string_append_printf (md, "| `%s` | %s | %s | %s%s%s%s | %s | %s |\n", t->name, flag,
                              *t->default_text ? t->default_text : "(empty)", range, t->unit ? " (" : "",
                              t->unit ? t->unit : "", t->unit ? ")" : "", dv, safe);
    }
  return g_string_free (md, FALSE);
}

int
dv_train_settings_threads (const DvTrainSettings *s)
{
  return s->threads > 0 ? s->threads : (int) MIN (g_get_num_processors (), 64);
}

void
dv_train_settings_to_config (const DvTrainSettings *s, DvTrainConfig *c)
{
  g_return_if_fail (s != NULL && c != NULL);
  dv_train_config_init (c);
  c->epochs = s->epochs;
  c->batch_size = s->batch;
  c->optim.kind = (DvOptimKind) s->optimizer;
  c->optim.lr = s->lr;
  c->optim.weight_decay = s->weight_decay;
  if (s->optimizer == DV_OPTIM_SGD)
    c->optim.momentum = s->momentum, c->optim.nesterov = s->nesterov;
  c->schedule = (DvSchedule) s->schedule;
  c->t_max = s->t_max;
  c->step_size = s->step_size;
  c->gamma = s->gamma;
  c->clip = s->clip;
  c->divergence_factor = s->divergence_factor;
  c->accumulate = s->accumulate;
  c->lr_scaling = s->lr_scaling;
  c->group_factors = s->group_factors;
  c->activity.weight = s->activity_weight;
  c->activity.ord = s->activity_ord;
  c->activity.mode = (DvActivityMode) s->activity_mode;
  if (s->activity_layers != NULL && *s->activity_layers != '\0')
    c->activity.layers = g_strsplit (s->activity_layers, ",", -1);
  c->val_every = s->val_every;
  c->save_every = s->save_every;
  c->save_top_k = s->save_top_k;
  c->monitor_max = s->monitor == 1;
  c->bn_train = s->bn_mode == 0;
  c->bn_calibrate = s->bn_calibrate;
  c->recurrence_scale = s->recurrence_scale;
  c->bptt_checkpoint = s->bptt_checkpoint;
}
