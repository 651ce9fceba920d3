/* dv-training-panel-actions.c — the training panel's actions, installed in
 * its class_init: train.start, train.pause (pause / resume), train.stop,
 * train.revert (open the weights the latest run started from).  Each only
 * asks the owner through the panel's signals.
 *
 * What this is for: what the panel's buttons do.  What it is not for: the
 * panel's state (dv-training-panel.c).
 */
#include "dv-training-panel-private.h"

#include <glib/gi18n-lib.h>

/* ---- actions (installed in class_init) ------------------------------------------------------------------------- */

static void
action_train_start (GtkWidget *widget, const char *name, GVariant *param)
{
  DvTrainingPanel *self = DV_TRAINING_PANEL (widget);
  g_auto (GStrv) settings = dv_training_panel_get_settings (self);
  g_signal_emit (self, dv_training_panel_signals[DV_TRAINING_SIGNAL_REVEAL], 0);
  g_signal_emit (self, dv_training_panel_signals[DV_TRAINING_SIGNAL_TRAIN_START], 0, settings);
}

static void
action_train_pause (GtkWidget *widget, const char *name, GVariant *param)
{
  DvTrainingPanel *self = DV_TRAINING_PANEL (widget);
  g_signal_emit (self, dv_training_panel_signals[DV_TRAINING_SIGNAL_TRAIN_CONTROL], 0,
                 self->state == DV_WB_TRAIN_PAUSED ? "resume" : "pause");
}

/* Opens the weights saved before the latest run, as Open Checkpoint would: the model, its
 * description and its weights are those of before the run. */
static void
action_train_revert (GtkWidget *widget, const char *name, GVariant *param)
{
  DvTrainingPanel *self = DV_TRAINING_PANEL (widget);
  DvTrainingPanel *P = self;
  if (P->start_path == NULL)
    return;
  if (!g_file_test (P->start_path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *msg = g_strdup_printf ("Cannot revert: the weights from before the run, %s, "
                                              "are gone (was the run folder removed?).", P->start_path);
      g_signal_emit (self, dv_training_panel_signals[DV_TRAINING_SIGNAL_ERROR], 0, msg);
      return;
    }
  g_signal_emit (self, dv_training_panel_signals[DV_TRAINING_SIGNAL_OPEN_CHECKPOINT], 0, P->start_path);
}

static void
action_train_stop (GtkWidget *widget, const char *name, GVariant *param)
{
  g_signal_emit (widget, dv_training_panel_signals[DV_TRAINING_SIGNAL_TRAIN_CONTROL], 0, "stop");
}


void
dv_training_panel_class_init_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "train.start", NULL, action_train_start);
  gtk_widget_class_install_action (klass, "train.pause", NULL, action_train_pause);
  gtk_widget_class_install_action (klass, "train.stop", NULL, action_train_stop);
  gtk_widget_class_install_action (klass, "train.revert", NULL, action_train_revert);
}
