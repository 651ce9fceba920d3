/* dv-training-panel.h — the training panel under the views.
 *
 * What this is for: the training settings (the table of
 * train/dv-train-settings.h: the same names, defaults, ranges and messages
 * as `dynvision train`), start / pause-resume / stop / revert, a progress
 * bar with ETA, live loss and accuracy curves, the dynamics-over-training
 * heatmap.  It runs nothing itself: it asks its owner through signals and
 * is told what happened with dv_training_panel_update().
 *
 * Properties (read-only): "state" (DvWbTrainState), "pause-label", "can-revert"
 * (train.revert is enabled: a finished run left the weights it started from).
 * Actions (dv-training-panel-actions.c): train.start, train.pause,
 * train.stop, train.revert.
 * Signals (main thread):
 *   ::train-start (GStrv settings)   every training setting as "key=value"
 *                                    (the widgets' as typed)
 *   ::train-control (char *what)     "pause", "resume" or "stop"
 *   ::open-checkpoint (char *path)   revert: the weights the latest run started from
 *   ::diverged (char *layer, int step)  a run diverged there: show it
 *   ::reveal                         the panel wants to be seen (a run starts)
 *   ::error (char *message)          for the window's banner
 * What this is not for: the trainer or files (app/workbench/).
 */
#pragma once

#include <gtk/gtk.h>

#include "dv-plot-view.h"

G_BEGIN_DECLS

/* The order of app/workbench's DvTrainState, plus IDLE (never started). */
typedef enum {
  DV_WB_TRAIN_PREPARING,
  DV_WB_TRAIN_RUNNING,
  DV_WB_TRAIN_PAUSED,
  DV_WB_TRAIN_DONE,
  DV_WB_TRAIN_STOPPED,
  DV_WB_TRAIN_FAILED,
  DV_WB_TRAIN_IDLE,
} DvWbTrainState;

/* Everything the panel shows; borrowed, the panel copies what it keeps. */
typedef struct {
  DvWbTrainState state;
  const char *message;              /* or NULL */
  const char *run_dir, *best_path, *last_path;
  const char *start_path;           /* the weights before the run, or NULL */
  const char *const *warnings;      /* or NULL */
  gboolean has_progress;
  int epoch, epochs, batch, n_batches;
  double loss, accuracy, samples_per_s, eta_s;
  int n_done;                       /* finished epochs, the arrays below have n_done */
  const double *train_loss, *val_loss, *train_accuracy, *val_accuracy;
  int n_rows, n_layers, T;          /* the dynamics heatmap */
  double dt;
  const float *dyn_values;          /* [n_rows][n_layers][T] */
  const int *dyn_epochs;
  const char *const *layer_names;
  const guint8 *flags;
  const char *probe_caption;
  const char *nan_layer;            /* a divergence: where it appeared, or NULL */
  int nan_step;
  /* the running mean within epochs: only dv_training_panel_get_shown fills them and only
   * dv_training_panel_restore reads them (updates add one point per batch themselves) */
  int n_running;
  const double *running_x, *running_loss, *running_accuracy;
} DvWbTrainView;

#define DV_TYPE_TRAINING_PANEL (dv_training_panel_get_type ())
G_DECLARE_FINAL_TYPE (DvTrainingPanel, dv_training_panel, DV, TRAINING_PANEL, GtkBox)

void           dv_training_panel_update (DvTrainingPanel *self, const DvWbTrainView *view);
DvWbTrainState dv_training_panel_get_state (DvTrainingPanel *self);
/* Rows of the dynamics heatmap so far (1 after the probe before training, +1 per epoch). */
int            dv_training_panel_get_rows (DvTrainingPanel *self);
/* The settings as "key=value" (g_strfreev; every setting of train/dv-train-settings.h,
 * those without a widget kept), and setting them through dv_train_settings_parse (a refused
 * value — "lr=abc", "epochs=0", an unknown key — is an error with the CLI's message and
 * changes nothing). */
char         **dv_training_panel_get_settings (DvTrainingPanel *self);
gboolean       dv_training_panel_set_settings (DvTrainingPanel *self, const char *const *settings,
                                               GError **error);
/* The data sets the Data set list offers (the session adds those it finds installed;
 * "embedded" is always there), before its "Folder…" item; label NULL: from the spec. */
void           dv_training_panel_add_dataset (DvTrainingPanel *self, const char *spec, const char *label);
/* Trains on spec from now (a folder chosen after "Folder…"): added and selected. */
void           dv_training_panel_use_dataset (DvTrainingPanel *self, const char *spec);
/* What the panel shows (a saved project keeps it): FALSE when no run was shown yet.  Every
 * pointer is the panel's, valid until its next update; warnings, nan_layer and the progress
 * are not kept. */
gboolean       dv_training_panel_get_shown (DvTrainingPanel *self, DvWbTrainView *view);
/* Shows a run saved before (a project): the state, its text, the curves (the running mean
 * included), the heatmap and the run folder, as view says; no signal is emitted (a saved
 * failure is not reported again).  view->state is one of DONE, STOPPED, FAILED. */
void           dv_training_panel_restore (DvTrainingPanel *self, const DvWbTrainView *view);
/* "training-curves" or "dynamics-over-training", or NULL. */
DvPlotView    *dv_training_panel_get_view (DvTrainingPanel *self, const char *name);

G_END_DECLS
