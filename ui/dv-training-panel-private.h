/* dv-training-panel-private.h — DvTrainingPanel's instance struct, shared by
 * dv-training-panel.c (settings, news, curves) and
 * dv-training-panel-actions.c (its actions).
 *
 * What this is for: those two files.  What it is not for: anything else.
 */
#pragma once

#include "dv-training-panel.h"
#include "dv-train-settings.h"
#include "dv-plot-dynamics.h"
#include "dv-train-plots.h"

G_BEGIN_DECLS

enum {
  DV_TRAINING_SIGNAL_TRAIN_START,
  DV_TRAINING_SIGNAL_TRAIN_CONTROL,
  DV_TRAINING_SIGNAL_OPEN_CHECKPOINT,
  DV_TRAINING_SIGNAL_DIVERGED,
  DV_TRAINING_SIGNAL_REVEAL,
  DV_TRAINING_SIGNAL_ERROR,
  DV_TRAINING_N_SIGNALS
};
extern guint dv_training_panel_signals[DV_TRAINING_N_SIGNALS];

enum { DV_TRAINING_PROP_0, DV_TRAINING_PROP_STATE, DV_TRAINING_PROP_PAUSE_LABEL, DV_TRAINING_PROP_CAN_REVERT,
       DV_TRAINING_N_PROPS };
extern GParamSpec *dv_training_panel_props[DV_TRAINING_N_PROPS];

struct _DvTrainingPanel {
  GtkBox parent_instance;

  /* template children */
  GtkDropDown *dataset, *optimizer, *schedule, *bn_mode;
  GtkStringList *dataset_list;
  GPtrArray *dataset_specs;  /* spec of each item of dataset_list; "Folder…" follows them */
  guint updating;
  GtkSpinButton *epochs, *batch, *samples;
  GtkEntry *lr;              /* text, used as typed (a spin button would clamp it) */
  GtkProgressBar *progress;
  GtkLabel *info;
  DvPlotView *curves_view, *dynamics_view;

  DvTrainSettings values;    /* train/dv-train-settings.h: those without a widget (seed,
                              * val-fraction, …) and the data set (a spec the list lacks stays) */
  DvWbTrainState state;
  char *pause_label;         /* "Pause" or "Resume" (property) */
  gboolean can_revert;       /* a finished run left weights to go back to (property) */
  /* curves: per finished epoch, and the running mean of the current epoch */
  GArray *ep_x, *ep_train_loss, *ep_val_loss, *ep_train_acc, *ep_val_acc;
  GArray *run_x, *run_loss, *run_acc;
  DvLine loss_lines[3], acc_lines[3];
  DvLinesPlot panels[2];
  DvPanelsPlot curves;
  /* heatmap */
  DvDynamicsPlot dynamics;
  GArray *dyn_values, *dyn_epochs;
  char **layer_names;
  guint8 *flags;
  char *nan_reported;        /* the divergence already shown */
  char *start_path;          /* the weights before the latest run, or NULL */
  /* what the last update said, for dv_training_panel_get_shown */
  gboolean shown;
  int epochs_planned;
  double dt;
  char *message, *run_dir, *best_path, *last_path, *probe_caption;
};

/* dv-training-panel-actions.c */
void dv_training_panel_class_init_actions (GtkWidgetClass *widget_class);

G_END_DECLS
