/* dv-trainer.h — DynVision's training loop over a dataset loader.
 *
 * What this is for: epochs of forward → cross-entropy over all timesteps
 * (ignore index −1, normalised by the valid entries) → BPTT → clipping →
 * optimiser step, with DynVision's defaults (Adam with L2 weight decay
 * 5e-4, per-group learning-rate factors recurrence ×0.2 / feedback ×0.5,
 * batch-size learning-rate scaling, cosine annealing per epoch, clipping at
 * global norm 1.0), validation, atomic checkpoints (best-k by a monitored
 * metric, last, every N epochs) that carry the optimiser moments and the
 * epoch so `resume` continues exactly, and a metrics CSV.  A NaN/Inf stops
 * training with a message naming the layer and timestep (a buffer that overflows is named as
 * a buffer, with its timestep; a parameter that becomes NaN after a step is named too), and so
 * does a loss, gradient norm or layer activity that grows past divergence_factor × its running
 * history while still finite.  The message names the last good checkpoint, which exists: one
 * is written before the trainer's first epoch.  Labels must be below n_classes.  An activity loss (dv-activity.h) can be added; it is
 * backpropagated with the cross-entropy and every term is logged.  Used by `dynvision train`
 * and the workbench.
 * What it is not for: reading datasets (data/) or drawing curves (plot/).
 */
#pragma once

#include "dv-activity.h"
#include "dv-loader.h"
#include "dv-metrics.h"
#include "dv-model.h"
#include "dv-optim.h"
#include "dv-train-settings.h"

G_BEGIN_DECLS

typedef enum { DV_SCHEDULE_COSINE, DV_SCHEDULE_STEP, DV_SCHEDULE_CONSTANT } DvSchedule;

typedef struct {
  int epochs;
  DvOptimConfig optim;    /* kind, lr (base), weight_decay, momentum, … */
  gboolean lr_scaling;    /* DynVision: factor E/64 (E ≤ 128) or √(E/64), E = batch·accumulate */
  gboolean group_factors; /* recurrence ×0.2, feedback ×0.5 */
  DvSchedule schedule;
  int t_max;              /* cosine period in epochs (0 = epochs) */
  int step_size;          /* step schedule */
  double gamma;
  double clip;            /* global-norm clipping, 0 = off */
  int accumulate;         /* gradient accumulation over batches */
  int val_every;          /* validate every N epochs (0 = never) */
  int save_every;         /* also keep a checkpoint every N epochs (0 = never) */
  int save_top_k;         /* best checkpoints by the monitored metric */
  gboolean monitor_max;   /* FALSE: minimise val_loss; TRUE: maximise val_accuracy */
  char *out_dir;          /* checkpoints and metrics.csv (NULL = none written) */
  gboolean bn_train;      /* BatchNorm in train mode while training */
  int bn_calibrate;       /* batches for dv_bn_calibrate: before training (!bn_train) or after every
                           * epoch (bn_train); 0 = off.  Recorded as train.bn_* in checkpoints */
  double recurrence_scale; /* before the first epoch: every parameter named *.recurrence.*weight
                            * × this (1 = untouched); train.recurrence_scale in checkpoints */
  DvActivityConfig activity; /* weight 0 = off */
  int batch_size;         /* for the lr scaling; 0 = estimated from the loader's batches */
  double divergence_factor; /* stop when the loss, the gradient norm or a layer's activity exceeds
                             * this factor times its running history (1000; 0 = off) */
  int bptt_checkpoint;    /* activation recomputation every K timesteps (DvRunOptions), 0 = off */
} DvTrainConfig;

void dv_train_config_init (DvTrainConfig *config);
/* The configuration training settings stand for (dv-train-settings.h; the CLI and the
 * workbench both build theirs with it): dv_train_config_init, then every setting; out_dir
 * NULL.  Implemented in dv-train-settings.c. */
void dv_train_settings_to_config (const DvTrainSettings *settings, DvTrainConfig *config);
void dv_train_config_clear (DvTrainConfig *config);

typedef struct {
  int epoch, batch, n_batches;
  gint64 step;            /* optimiser steps so far */
  double loss, accuracy;  /* running means over this epoch */
  double samples_per_s;
  double eta_s;           /* estimated time left in the whole run */
  double lr;
} DvTrainProgress;

typedef struct {
  int epoch;
  double lr;
  double train_loss, train_accuracy;
  double val_loss, val_accuracy;   /* NAN when not validated */
  double seconds;
  double train_ce_loss;            /* loss/CrossEntropyLoss */
  double train_activity_loss;      /* loss/ActivityLoss (unweighted), NAN when off */
  double val_guess_confidence, val_first_label_confidence;
  gint64 step;                     /* optimiser steps so far */
} DvEpochMetrics;

typedef void     (*DvTrainProgressFunc) (const DvTrainProgress *p, gpointer user_data);
typedef void     (*DvEpochFunc) (const DvEpochMetrics *m, gpointer user_data);

typedef struct _DvTrainer DvTrainer;

/* The model and loaders are borrowed; they must outlive the trainer.  train may be NULL for a
 * trainer that only takes dv_trainer_step (then config->batch_size sets the lr scaling). */
DvTrainer *dv_trainer_new (DvModel *model, DvLoader *train, DvLoader *val, const DvTrainConfig *config,
                           GError **error);
void       dv_trainer_free (DvTrainer *trainer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvTrainer, dv_trainer_free)

void dv_trainer_set_progress (DvTrainer *t, DvTrainProgressFunc func, DvEpochFunc epoch_func, gpointer user_data);
/* Polled between batches; TRUE stops (with a DV_MODEL_ERROR_CANCELLED error).  The
 * interrupted epoch is kept as it was (loader position, accumulated gradients, running
 * sums): the next dv_trainer_run_epoch continues it at the next batch, and the result is
 * the same, bit for bit, as if it had never stopped (a pause). */
void dv_trainer_set_cancel (DvTrainer *t, gboolean (*cancel) (gpointer), gpointer user_data);

/* Continues from a checkpoint written by a trainer: weights, optimiser
 * moments and the epoch count. */
gboolean dv_trainer_resume (DvTrainer *t, const char *checkpoint, GError **error);

/* Trains the remaining epochs. */
gboolean dv_trainer_run (DvTrainer *t, GError **error);
/* One epoch (the next one, or the rest of one a cancel interrupted). */
gboolean dv_trainer_run_epoch (DvTrainer *t, GError **error);
/* One batch from tensors, exactly as an epoch takes each batch: forward, cross-entropy over all
 * timesteps (+ weight · activity), BPTT, NaN/Inf checks, clipping, one optimiser step at the
 * current epoch's learning rate, zeroed gradients.  x [B,T,C,H,W], labels [B,T] (−1 = ignore);
 * loss (optional) receives CE + weight · activity.  Does not advance the epoch, write files;
 * `accumulate` must be 1.  For benchmarks and callers with their own batches. */
gboolean dv_trainer_step (DvTrainer *t, const float *x, const gint64 *labels, int B, int T, double *loss,
                          GError **error);
int      dv_trainer_get_epoch (const DvTrainer *t);  /* epochs completed */

/* Loss and accuracy on a loader in eval mode; acc_t (optional, T entries)
 * receives accuracy per timestep (NAN where no label). */
gboolean dv_evaluate (DvModel *model, DvLoader *loader, double *loss, double *accuracy, double *acc_t,
                      int *T_out, GError **error);

typedef struct {
  double loss;               /* mean cross-entropy over batches with a label */
  double accuracy;           /* over the labelled steps (SPEC §5.2) */
  double guess_confidence, first_label_confidence;
  DvMetricTotals *per_step;  /* owned by the caller; freed by dv_eval_result_clear */
} DvEvalResult;

/* The same with every validation metric; max_batches > 0 stops early (limit_val_batches). */
gboolean dv_evaluate_full (DvModel *model, DvLoader *loader, int max_batches, DvEvalResult *out,
                           GError **error);
void     dv_eval_result_clear (DvEvalResult *r);

/* The header and rows of metrics.csv. */
extern const char dv_metrics_csv_header[];

/* Learning rate of epoch e under a config (base lr already scaled). */
double dv_schedule_lr (const DvTrainConfig *c, double base_lr, int epoch);
/* The presentation DynVision trains a model with (SPEC §1.8): one frame per
 * sample expanded over the model's timesteps with its presentation pattern,
 * reaction-time mask and residual timesteps, at the model's dt; overrides
 * (key=value, may be NULL) come first, and a loader with data timesteps of
 * its own keeps them.  Validated; FALSE with a message otherwise. */
gboolean dv_train_presentation (DvPresentation *p, DvModel *model, const char *const *overrides,
                                GError **error);

/* Model and data agree: the model has the data set's classes, takes its image size, and its
 * input channels (or 1 and 3, which the loader converts into each other).  `name` names the
 * data set in the message (its spec, e.g. "embedded"; NULL: dv_dataset_get_name).  A
 * mismatch is a DV_MODEL_ERROR_INPUT naming both sides and the fix ("model has 1000 classes,
 * data set 'embedded' has 10: add n_classes=10").  Used before training, testing and playing. */
gboolean dv_model_check_data (const DvModelDesc *desc, const DvDataset *ds, const char *name, GError **error);

/* The class names a readout shows for `model` playing `ds` ([n_classes] + NULL, g_strfreev;
 * NULL entries show as "class k"): the model's own names (dv_model_get_class_names) when it
 * knows them, else the data set's when the counts agree.  *note (may be NULL) is set to NULL
 * when the stimuli are of the model's own classes, else to a sentence saying they are foreign
 * (the workbench plays a model on any image set: shown as a label, not refused); then the data
 * set's labels are not the model's classes. */
char   **dv_readout_class_names (const DvModel *model, const DvDataset *ds, const char *name, char **note);

/* DynVision's batch-size scaling factor. */
double dv_lr_scale_factor (int batch, int accumulate);

G_END_DECLS
