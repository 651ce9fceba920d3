/* dv-wb-window-train.h — the window's training panel, checkpoints, projects
 * and health checks.
 *
 * What this is for: the training panel below the views (data set, epochs,
 * batch size, learning rate, optimiser, schedule, samples per epoch; start,
 * pause/resume, stop; a progress bar with ETA; live loss and accuracy
 * curves; the dynamics-over-training heatmap), the actions win.train-start,
 * win.train-pause, win.train-stop, win.export-checkpoint, win.open-project,
 * win.save-project and win.show-training, and the NaN/Inf check of the
 * recorded steps.  Like the rest of the window it runs nothing itself: it
 * asks its owner through signals and is told what happened with
 * dv_wb_window_train_update().
 *
 * Signals (main thread):
 *   ::train-start (GStrv settings)   every training setting as "key=value"
 *                                    (train/dv-train-settings.h, the widgets' as typed)
 *   ::train-control (char *what)     "pause", "resume" or "stop"
 *   ::export-checkpoint (char *path) write the model as it is now
 *   ::save-project (char *path)      ::open-project (char *path)
 * What this is not for: the trainer or files (app/workbench/).
 */
#pragma once

#include "dv-wb-window.h"

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
} DvWbTrainView;

void           dv_wb_window_train_update (DvWbWindow *self, const DvWbTrainView *view);
DvWbTrainState dv_wb_window_train_get_state (DvWbWindow *self);
/* Rows of the dynamics heatmap so far (1 after the probe before training, +1 per epoch). */
int            dv_wb_window_train_get_rows (DvWbWindow *self);
/* The panel's settings as "key=value" (g_strfreev; every setting of train/dv-train-settings.h,
 * those without a widget kept), and setting them through dv_train_settings_parse (a refused
 * value — "lr=abc", "epochs=0", an unknown key — is an error with the CLI's message and
 * changes nothing). */
char         **dv_wb_window_get_train_settings (DvWbWindow *self);
gboolean       dv_wb_window_set_train_settings (DvWbWindow *self, const char *const *settings,
                                                GError **error);
void           dv_wb_window_show_training (DvWbWindow *self, gboolean show);

/* The same as the actions, with the file given (no chooser): they emit the signals. */
void           dv_wb_window_export_checkpoint (DvWbWindow *self, const char *path);
void           dv_wb_window_save_project (DvWbWindow *self, const char *path);
void           dv_wb_window_open_project (DvWbWindow *self, const char *path);


/* Renders the training panel's views to files (the plot/ export: image + CSV + JSON):
 * name "training-curves" or "dynamics-over-training". */
gboolean       dv_wb_window_export_training_view (DvWbWindow *self, const char *name,
                                                  const char *path, double scale, GError **error);

G_END_DECLS
