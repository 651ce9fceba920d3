/* dv-engine-thread-train.h — training the workbench's model on its engine thread
 * (implemented by dv-engine-thread-train.c, as dv-engine-thread-edit.h is by
 * dv-engine-thread-edit.c).
 *
 * What this is for: a training job (DvEngineTrain) that runs a DvTrainer on
 * the engine thread's own model, one epoch per queued engine call, so the
 * commands the window sends between epochs (another stimulus, a seek) are
 * served between epochs; after each epoch it re-runs a fixed probe stimulus
 * in eval mode (one row of the dynamics-over-training heatmap: every layer's
 * mean |activation| at every timestep) and recomputes the live sequence with
 * the new weights.  Progress, epoch metrics, heatmap rows and state changes
 * are kept under a mutex and announced with at most one pending idle
 * callback on the main context; the main thread copies them with
 * dv_engine_train_get_news().  Best and last checkpoints go to the run
 * folder (DvTrainer's atomic saves).
 *
 * Pause: the trainer stops after the current batch (its cancel hook) and
 * hands the engine back to the live view, which then shows the weights as
 * they are; Resume continues the interrupted epoch at its next batch (the
 * trainer keeps the loader's place, the accumulated gradients and the sums),
 * so a paused run ends with the same weights as one never paused.
 * Stop ends the run after the current batch; the checkpoints of finished
 * epochs stay.  Replacing the model (Open Checkpoint, the architecture
 * editor) stops the run first (the model-release hook).
 * The settings are train/dv-train-settings.h's, the same as `dynvision train`'s.
 * What this is not for: widgets (the session passes the news to the window).
 *
 * Threads: every function here is called from the main thread.
 */
#pragma once

#include "dv-engine-thread.h"
#include "dv-trainer.h" /* and its dv-train-settings.h */

G_BEGIN_DECLS

/* Where a divergence message of the engine or the trainer says the NaN/Inf
 * appeared: the layer's name ("classifier" for the output) and the timestep. */
gboolean dv_train_parse_divergence (const char *message, char **layer, int *timestep);

typedef enum {
  DV_TRAIN_PREPARING,     /* opening the data, building loaders and the probe */
  DV_TRAIN_RUNNING,
  DV_TRAIN_PAUSED,
  DV_TRAIN_DONE,
  DV_TRAIN_STOPPED,       /* by the user, or the model was replaced */
  DV_TRAIN_FAILED,        /* bad settings, unreadable data, divergence, a full disk */
} DvTrainState;

const char *dv_train_state_name (DvTrainState state);

typedef struct {
  DvTrainState state;
  char *message;           /* explains the state (errors, where checkpoints are), or NULL */
  char *run_dir;
  char *best_path, *last_path;  /* the checkpoints written so far, or NULL */
  char *start_path;        /* the weights before the run (start.safetensors in run_dir, written
                            * before the first batch), for "Revert to the weights before this
                            * run"; NULL until written */
  char **warnings;         /* dv_model_desc_warnings of the model at the start, or NULL */
  gboolean has_progress;
  DvTrainProgress progress;
  int epochs;              /* planned */
  GArray *metrics;         /* DvEpochMetrics of every finished epoch */
  /* the probe: sequence, and one row per epoch (0 = before training) */
  int n_layers, T;
  double dt;
  char **layer_names;
  guint8 *flags;           /* [T] DvPlotStepFlags */
  char *probe_caption;
  GArray *dyn_values;      /* float, n_layers·T per row */
  GArray *dyn_epochs;      /* int per row */
  float *probe_logits;     /* [T·K] of the latest probe run, K = n_classes */
  int n_classes;
  char *nan_layer;         /* where a divergence appeared, or NULL */
  int nan_step;
} DvTrainNews;

void dv_train_news_clear (DvTrainNews *news);

typedef struct _DvEngineTrain DvEngineTrain;

/* Starts training the engine's current model (run_dir: checkpoints and
 * metrics.csv, created).  notify is called on the main context when news
 * are waiting. */
DvEngineTrain *dv_engine_train_start (DvEngineThread *engine, const DvTrainSettings *settings,
                                      const char *run_dir, DvEngineNotify notify,
                                      gpointer user_data);
void           dv_engine_train_pause (DvEngineTrain *job);
void           dv_engine_train_resume (DvEngineTrain *job);
void           dv_engine_train_stop (DvEngineTrain *job);
/* A copy of everything the job has to say (clear it with dv_train_news_clear). */
void           dv_engine_train_get_news (DvEngineTrain *job, DvTrainNews *news);
/* Stops the run (after the current batch), silences notify, and drops the
 * main thread's reference.  Free jobs before their engine thread. */
void           dv_engine_train_free (DvEngineTrain *job);

G_END_DECLS
