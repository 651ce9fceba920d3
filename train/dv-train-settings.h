/* dv-train-settings.h — the training settings of `dynvision train` and the
 * workbench's training panel: one table, one struct, one parser.
 *
 * What this is for: every setting of a training run (data set, epochs,
 * batch, learning rate, optimiser, schedule, clipping, checkpoints, …) with
 * its name (as the CLI spells its long option; "key=value" accepts '_' for
 * '-' and a few older names, "batch_size", "dataset"), type, default,
 * range or choices, unit and one line of help; the values as a struct; and
 * one set function that checks a value through base/dv-value.h ("one
 * meaning for a value": the whole text, no NaN, never clamped, the message
 * names the key, the value and what is accepted).  `dynvision train` builds
 * its options and --help from the table and passes every option through
 * dv_train_settings_set; the panel takes its defaults, ranges and tooltips
 * from the table and the workbench parses what it sends with the same
 * function, so a value means the same thing, and is refused with the same
 * message, in both.  dv_train_settings_to_config (dv-trainer.h) turns the
 * values into the trainer's DvTrainConfig for both.
 * Defaults are DynVision's (SPEC §5.3) where DynVision has the setting and
 * it suits a run of minutes; where not, the entry says DynVision's value and
 * why ours differs (doc/training.md's table is generated from here and a
 * test keeps it so).
 * What this is not for: the model, the presentation (dv-loader.h's
 * dv_train_presentation) or where a run writes (the callers' --out / run
 * folder).  GLib and base/ only, so ui/ reads it without the engine's or
 * data/'s headers.
 */
#pragma once

#include "dv-value.h"

G_BEGIN_DECLS

typedef enum {
  DV_TRAIN_SETTING_INT,     /* int */
  DV_TRAIN_SETTING_INT64,   /* gint64 */
  DV_TRAIN_SETTING_DOUBLE,  /* double */
  DV_TRAIN_SETTING_BOOL,    /* gboolean; the CLI's flag is --NAME, or --no-NAME when TRUE by default */
  DV_TRAIN_SETTING_CHOICE,  /* an enum, the index of `choices` */
  DV_TRAIN_SETTING_STRING,  /* char * */
} DvTrainSettingType;

typedef struct {
  const char *name;         /* "batch", "weight-decay", … (the CLI's --NAME) */
  char short_name;          /* the CLI's -X, or 0 */
  const char *alias;        /* an older "key=value" name ("batch_size"), or NULL */
  DvTrainSettingType type;
  const char *default_text; /* the default as text (what init_defaults sets) */
  double min, max;          /* numbers: the range (with flags) */
  DvValueFlags flags;
  const char *const *choices; /* CHOICE: NULL-terminated, in the enum's order */
  const char *unit;         /* "epochs", "samples", … or NULL */
  const char *arg;          /* the CLI's placeholder ("N", "LR") */
  const char *help;         /* one line */
  const char *dynvision;    /* DynVision's value (SPEC §5.3), or NULL: DynVision has no such setting */
  const char *differs;      /* why the default is not DynVision's, or NULL (it is) */
  gsize offset;             /* in DvTrainSettings */
} DvTrainSettingInfo;

typedef struct {
  char *data;               /* data set spec: embedded, fashion-mnist, folder:DIR, … */
  int epochs;
  int batch;
  double lr;                /* base rate, before DynVision's batch scaling */
  double weight_decay;
  int optimizer;            /* DvOptimKind: sgd, adam, adamw */
  double momentum;          /* SGD */
  gboolean nesterov;        /* SGD */
  int schedule;             /* DvSchedule: cosine, step, constant */
  int t_max;                /* cosine period in epochs, 0 = epochs */
  int step_size;
  double gamma;
  double clip;              /* global norm, 0 = off */
  double divergence_factor; /* 0 = off, else > 1 */
  int accumulate;
  gboolean lr_scaling, group_factors, augment;
  int bn_mode;              /* 0 batch (DynVision), 1 running: BatchNorm's running statistics while training */
  int bn_calibrate;         /* batches of stimulus steps the running statistics are re-estimated on, 0 = off */
  double recurrence_scale;  /* the recurrence weights × this before the first epoch (1 = as initialised) */
  double activity_weight, activity_ord;
  int activity_mode;        /* DvActivityMode: absolute, signed */
  char *activity_layers;    /* "L1,L2"; "" = every layer */
  int train_samples;        /* the first N of the seeded train split, 0 = all */
  double val_fraction;
  int val_every, save_every, save_top_k;
  int monitor;              /* 0 val_loss (min), 1 val_accuracy (max) */
  gint64 seed;
  int threads;              /* kernel threads while training, 0 = every processor */
  int bptt_checkpoint;      /* activation recomputation every K timesteps, 0 = off (DvRunOptions) */
} DvTrainSettings;

/* The table, in the order of --help and of dv_train_settings_to_strv. */
const DvTrainSettingInfo *dv_train_settings_table (guint *n);
/* A setting by name, '_' or '-', or alias; NULL when there is none. */
const DvTrainSettingInfo *dv_train_settings_lookup (const char *key);

void     dv_train_settings_init_defaults (DvTrainSettings *s);
void     dv_train_settings_clear (DvTrainSettings *s);
void     dv_train_settings_copy (DvTrainSettings *dst, const DvTrainSettings *src);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DvTrainSettings, dv_train_settings_clear)

/* Sets one setting from its text.  An unknown key, a value of the wrong
 * type or out of range is refused (DV_VALUE_ERROR) with a message naming
 * the key as given, the value and what is accepted; s is then unchanged. */
gboolean dv_train_settings_set (DvTrainSettings *s, const char *key, const char *value,
                                GError **error);
/* "key=value" each, in order; all or nothing (s unchanged on an error). */
gboolean dv_train_settings_parse (DvTrainSettings *s, const char *const *assignments,
                                  GError **error);
/* Every value checked as dv_train_settings_set would (for a struct filled in C). */
gboolean dv_train_settings_validate (const DvTrainSettings *s, GError **error);

/* One value as text (it reads back to the same value); g_free. */
char    *dv_train_settings_get (const DvTrainSettings *s, const DvTrainSettingInfo *info);
/* Every setting as "name=value", table order (parseable again); g_strfreev. */
char   **dv_train_settings_to_strv (const DvTrainSettings *s);
/* The settings that differ from the defaults, "epochs=15 lr=0.01", or "defaults". */
char    *dv_train_settings_describe (const DvTrainSettings *s);
/* The help of one setting with its default and range: "Base learning rate … (2e-4; a number
 * > 0 and ≤ 10)" — the CLI's --help and the panel's tooltips. */
char    *dv_train_settings_help (const DvTrainSettingInfo *info);
/* The table as Markdown (doc/training.md). */
char    *dv_train_settings_markdown (void);

/* The kernel threads to train with (threads, or every processor up to 64 for 0). */
int      dv_train_settings_threads (const DvTrainSettings *s);

G_END_DECLS
