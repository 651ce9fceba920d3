/* dv-training-panel.c — DvTrainingPanel (see dv-training-panel.h): the
 * settings, the state and the news, the curves and the heatmap, the
 * train.* actions.
 *
 * What this is for: the panel's state.  Its layout is its template
 * (dv-training-panel.ui); its ranges, choices and help come from the
 * settings table (train/dv-train-settings.c) at init.
 * What this is not for: training or saving anything (the owner does, on its
 * engine thread, when the signals ask), the project and checkpoint files
 * (the window's actions).
 */
#include "dv-training-panel-private.h"
#include "dv-ui.h"
#include "dv-train-settings.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv-plot-dynamics.h"
#include "dv-train-plots.h"

#define MAX_RUNNING_POINTS 4000



G_DEFINE_FINAL_TYPE (DvTrainingPanel, dv_training_panel, GTK_TYPE_BOX)

GParamSpec *dv_training_panel_props[DV_TRAINING_N_PROPS];

guint dv_training_panel_signals[DV_TRAINING_N_SIGNALS];

/* ---- settings ---------------------------------------------------------------------------- */


/* The text a widget holds for setting `name`, or NULL when no widget shows it. */
static char *
widget_text (DvTrainingPanel *P, const char *name)
{
  const DvTrainSettingInfo *info = dv_train_settings_lookup (name);
  if (g_str_equal (name, "epochs"))
    return g_strdup_printf ("%d", gtk_spin_button_get_value_as_int (P->epochs));
  if (g_str_equal (name, "batch"))
    return g_strdup_printf ("%d", gtk_spin_button_get_value_as_int (P->batch));
  if (g_str_equal (name, "train-samples"))
    return g_strdup_printf ("%d", gtk_spin_button_get_value_as_int (P->samples));
  if (g_str_equal (name, "lr"))
    return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (P->lr))));
  if (g_str_equal (name, "optimizer"))
    return g_strdup (info->choices[gtk_drop_down_get_selected (P->optimizer)]);
  if (g_str_equal (name, "schedule"))
    return g_strdup (info->choices[gtk_drop_down_get_selected (P->schedule)]);
  if (g_str_equal (name, "bn-mode"))
    return g_strdup (info->choices[gtk_drop_down_get_selected (P->bn_mode)]);
  return NULL;
}

/* Every setting, the widgets' as typed: the owner parses them with dv_train_settings_parse,
 * as `dynvision train` does its options. */
char **
dv_training_panel_get_settings (DvTrainingPanel *self)
{
  g_return_val_if_fail (DV_IS_TRAINING_PANEL (self), NULL);
  DvTrainingPanel *P = self;
  char **kv = dv_train_settings_to_strv (&P->values);
  for (int i = 0; kv[i] != NULL; i++)
    {
      g_autofree char *name = g_strndup (kv[i], strcspn (kv[i], "="));
      g_autofree char *text = widget_text (P, name);
      if (text != NULL)
        {
          g_free (kv[i]);
          kv[i] = g_strdup_printf ("%s=%s", name, text);
        }
    }
  return kv;
}

/* The widgets show s. */
static void
show_values (DvTrainingPanel *P, const DvTrainSettings *s)
{
  dv_training_panel_add_dataset (P, s->data, NULL);
  for (guint i = 0; i < P->dataset_specs->len; i++)
    if (g_str_equal (g_ptr_array_index (P->dataset_specs, i), s->data))
      {
        P->updating++;
        gtk_drop_down_set_selected (P->dataset, i);
        P->updating--;
      }
  gtk_drop_down_set_selected (P->optimizer, s->optimizer);
  gtk_drop_down_set_selected (P->schedule, s->schedule);
  gtk_drop_down_set_selected (P->bn_mode, s->bn_mode);
  gtk_spin_button_set_value (P->epochs, s->epochs);
  gtk_spin_button_set_value (P->batch, s->batch);
  gtk_spin_button_set_value (P->samples, s->train_samples);
  g_autofree char *lr = dv_train_settings_get (s, dv_train_settings_lookup ("lr"));
  gtk_editable_set_text (GTK_EDITABLE (P->lr), lr);
}

/* Through dv_train_settings_parse (the CLI's checks and messages) onto the panel's values;
 * the first refused setting leaves the panel as it was. */
gboolean
dv_training_panel_set_settings (DvTrainingPanel *self, const char *const *settings, GError **error)
{
  g_return_val_if_fail (DV_IS_TRAINING_PANEL (self), FALSE);
  DvTrainingPanel *P = self;
  g_auto (DvTrainSettings) t = { 0 };
  dv_train_settings_copy (&t, &P->values);
  g_auto (GStrv) now = dv_training_panel_get_settings (self);
  for (int i = 0; now[i] != NULL; i++) /* the widgets as they are; a refused text keeps the stored value */
    {
      g_autofree char *key = g_strndup (now[i], strcspn (now[i], "="));
      dv_train_settings_set (&t, key, now[i] + strlen (key) + 1, NULL);
    }
  if (!dv_train_settings_parse (&t, settings, error))
    return FALSE;
  show_values (P, &t);
  dv_train_settings_clear (&P->values);
  dv_train_settings_copy (&P->values, &t);
  return TRUE;
}

static void
on_dataset_selected (GObject *drop, GParamSpec *pspec, DvTrainingPanel *self)
{
  guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (drop));
  if (self->updating || i == GTK_INVALID_LIST_POSITION)
    return;
  if (i < self->dataset_specs->len)
    {
      dv_train_settings_set (&self->values, "data", g_ptr_array_index (self->dataset_specs, i), NULL);
      return;
    }
  /* "Folder…": the window asks for it, then calls dv_training_panel_use_dataset; until
   * then the list shows what is set */
  show_values (self, &self->values);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.open-training-folder", NULL);
}

/* The learning-rate field says at once when its text is not a learning rate. */
static void
on_lr_changed (GtkEditable *editable, DvTrainingPanel *self)
{
  g_autoptr (GError) error = NULL;
  g_auto (DvTrainSettings) t = { 0 };
  dv_train_settings_init_defaults (&t);
  if (dv_train_settings_set (&t, "lr", gtk_editable_get_text (editable), &error))
    {
      g_autofree char *help = dv_train_settings_help (dv_train_settings_lookup ("lr"));
      gtk_widget_remove_css_class (GTK_WIDGET (editable), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (editable), help);
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (editable), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (editable), error->message);
    }
}

/* ---- the state and the news ----------------------------------------------------------- */

static void
update_actions (DvTrainingPanel *self)
{
  DvTrainingPanel *P = self;
  gboolean active = P->state == DV_WB_TRAIN_PREPARING || P->state == DV_WB_TRAIN_RUNNING
                    || P->state == DV_WB_TRAIN_PAUSED;
  GtkWidget *w = GTK_WIDGET (self);
  gtk_widget_action_set_enabled (w, "train.start", !active);
  gtk_widget_action_set_enabled (w, "train.pause", P->state == DV_WB_TRAIN_RUNNING
                                                   || P->state == DV_WB_TRAIN_PAUSED);
  gtk_widget_action_set_enabled (w, "train.stop", active);
  gboolean can_revert = !active && P->start_path != NULL;
  gtk_widget_action_set_enabled (w, "train.revert", can_revert);
  if (P->can_revert != can_revert)
    {
      P->can_revert = can_revert;
      g_object_notify_by_pspec (G_OBJECT (self), dv_training_panel_props[DV_TRAINING_PROP_CAN_REVERT]);
    }
  const char *pause = P->state == DV_WB_TRAIN_PAUSED ? _("Resume") : _("Pause");
  if (g_strcmp0 (P->pause_label, pause) != 0)
    {
      g_free (P->pause_label);
      P->pause_label = g_strdup (pause);
      g_object_notify_by_pspec (G_OBJECT (self), dv_training_panel_props[DV_TRAINING_PROP_PAUSE_LABEL]);
    }
  GtkWidget *settings[] = { GTK_WIDGET (P->dataset), GTK_WIDGET (P->optimizer), GTK_WIDGET (P->schedule),
                            GTK_WIDGET (P->bn_mode), GTK_WIDGET (P->epochs), GTK_WIDGET (P->batch), GTK_WIDGET (P->lr),
                            GTK_WIDGET (P->samples) };
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    gtk_widget_set_sensitive (settings[i], !active);
}

static char *
fmt_eta (double s)
{
  if (!isfinite (s) || s < 0)
    return g_strdup ("?");
  int m = (int) (s / 60), sec = (int) s % 60;
  return m > 0 ? g_strdup_printf ("%d min %02d s", m, sec) : g_strdup_printf ("%d s", sec);
}

static void
set_array (GArray *a, const double *v, int n)
{
  g_array_set_size (a, 0);
  if (v != NULL && n > 0)
    g_array_append_vals (a, v, n);
}

static GArray *
doubles (void)
{
  return g_array_new (FALSE, FALSE, sizeof (double));
}

static void
rebuild_curves (DvTrainingPanel *P)
{
  static const DvRgb train_c = { 0.0, 0.45, 0.70 }, val_c = { 0.84, 0.37, 0.0 },
                     run_c = { 0.55, 0.70, 0.85 };
  int n = P->ep_x->len, nr = P->run_x->len;
  const double *x = (const double *) P->ep_x->data, *rx = (const double *) P->run_x->data;
  P->loss_lines[0] = (DvLine) { "train (running)", rx, (const double *) P->run_loss->data, nr, &run_c, FALSE };
  P->loss_lines[1] = (DvLine) { "train", x, (const double *) P->ep_train_loss->data, n, &train_c, FALSE };
  P->loss_lines[2] = (DvLine) { "validation", x, (const double *) P->ep_val_loss->data, n, &val_c, TRUE };
  P->acc_lines[0] = (DvLine) { "train (running)", rx, (const double *) P->run_acc->data, nr, &run_c, FALSE };
  P->acc_lines[1] = (DvLine) { "train", x, (const double *) P->ep_train_acc->data, n, &train_c, FALSE };
  P->acc_lines[2] = (DvLine) { "validation", x, (const double *) P->ep_val_acc->data, n, &val_c, TRUE };
  for (int i = 0; i < 2; i++)
    {
      dv_lines_plot_init (&P->panels[i]);
      P->panels[i].x_label = "epoch";
      P->panels[i].markers = TRUE;
      P->panels[i].include_zero = TRUE;
    }
  P->panels[0].y_label = "loss";
  P->panels[0].lines = P->loss_lines;
  P->panels[0].n_lines = 3;
  P->panels[1].y_label = "accuracy";
  P->panels[1].unit_range = TRUE;
  P->panels[1].lines = P->acc_lines;
  P->panels[1].n_lines = 3;
  P->curves = (DvPanelsPlot) { .title = "Training", .panels = P->panels, .n_panels = 2 };
}

void
dv_training_panel_update (DvTrainingPanel *self, const DvWbTrainView *v)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_TRAINING_PANEL (self) && v != NULL);
  DvTrainingPanel *P = self;
  DvWbTrainState before = P->state;
  P->state = v->state;
  if (before != v->state)
    g_object_notify_by_pspec (G_OBJECT (self), dv_training_panel_props[DV_TRAINING_PROP_STATE]);
  if (before != v->state && v->state == DV_WB_TRAIN_PREPARING)
    {
      /* a new run: new curves */
      g_array_set_size (P->run_x, 0);
      g_array_set_size (P->run_loss, 0);
      g_array_set_size (P->run_acc, 0);
      g_clear_pointer (&P->nan_reported, g_free);
      g_signal_emit (self, dv_training_panel_signals[DV_TRAINING_SIGNAL_REVEAL], 0);
    }
  if (v->start_path != NULL && g_strcmp0 (v->start_path, P->start_path) != 0)
    {
      g_free (P->start_path);
      P->start_path = g_strdup (v->start_path);
    }
  P->shown = v->state != DV_WB_TRAIN_IDLE;
  P->epochs_planned = v->epochs;
  P->dt = v->dt;
  const char *keep[] = { v->message, v->run_dir, v->best_path, v->last_path, v->probe_caption };
  char **kept[] = { &P->message, &P->run_dir, &P->best_path, &P->last_path, &P->probe_caption };
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    if (*kept[i] != keep[i])
      {
        g_free (*kept[i]);
        *kept[i] = g_strdup (keep[i]);
      }
  /* curves */
  g_array_set_size (P->ep_x, 0);
  for (int i = 0; i < v->n_done; i++)
    {
      double x = i + 1;
      g_array_append_val (P->ep_x, x);
    }
  set_array (P->ep_train_loss, v->train_loss, v->n_done);
  set_array (P->ep_val_loss, v->val_loss, v->n_done);
  set_array (P->ep_train_acc, v->train_accuracy, v->n_done);
  set_array (P->ep_val_acc, v->val_accuracy, v->n_done);
  if (v->has_progress && v->n_batches > 0 && P->run_x->len < MAX_RUNNING_POINTS)
    {
      double x = v->epoch - 1 + (double) v->batch / v->n_batches;
      double last = P->run_x->len > 0 ? g_array_index (P->run_x, double, P->run_x->len - 1) : -1;
      if (x != last)
        {
          g_array_append_val (P->run_x, x);
          g_array_append_val (P->run_loss, v->loss);
          g_array_append_val (P->run_acc, v->accuracy);
        }
    }
  rebuild_curves (P);
  /* heatmap */
  g_array_set_size (P->dyn_values, 0);
  g_array_set_size (P->dyn_epochs, 0);
  if (v->dyn_values != NULL && v->n_rows > 0)
    {
      g_array_append_vals (P->dyn_values, v->dyn_values, (guint) (v->n_rows * v->n_layers * v->T));
      g_array_append_vals (P->dyn_epochs, v->dyn_epochs, (guint) v->n_rows);
    }
  g_strfreev (P->layer_names);
  P->layer_names = g_strdupv ((char **) v->layer_names);
  g_free (P->flags);
  P->flags = v->flags != NULL ? g_memdup2 (v->flags, v->T) : NULL;
  dv_dynamics_plot_init (&P->dynamics);
  P->dynamics.values = (const float *) P->dyn_values->data;
  P->dynamics.epochs = (const int *) P->dyn_epochs->data;
  P->dynamics.n_rows = v->n_rows;
  P->dynamics.n_layers = v->n_layers;
  P->dynamics.T = v->T;
  P->dynamics.names = (const char *const *) P->layer_names;
  P->dynamics.timeline = (DvPlotTimeline) { .flags = P->flags, .n = v->T, .dt = v->dt > 0 ? v->dt : 1 };
  gtk_widget_queue_draw (GTK_WIDGET (P->curves_view));
  gtk_widget_queue_draw (GTK_WIDGET (P->dynamics_view));

  /* progress and the text */
  if (v->has_progress && v->n_batches > 0)
    {
      double frac = ((v->epoch - 1) + (double) v->batch / v->n_batches) / MAX (v->epochs, 1);
      gtk_progress_bar_set_fraction (P->progress, CLAMP (frac, 0, 1));
      g_autofree char *eta = fmt_eta (v->eta_s);
      g_autofree char *text = g_strdup_printf ("epoch %d/%d · batch %d/%d · loss %.3f · accuracy "
                                               "%.1f %% · %.0f samples/s · ETA %s", v->epoch,
                                               v->epochs, v->batch, v->n_batches, v->loss,
                                               100 * v->accuracy, v->samples_per_s, eta);
      gtk_progress_bar_set_text (P->progress, text);
    }
  if (v->state == DV_WB_TRAIN_DONE)
    {
      gtk_progress_bar_set_fraction (P->progress, 1);
      gtk_progress_bar_set_text (P->progress, "finished");
    }
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "<b>%s</b>", v->state == DV_WB_TRAIN_IDLE ? "not started"
                          : (const char *[]) { "preparing", "running", "paused", "finished",
                                               "stopped", "failed" }[v->state]);
  if (v->message != NULL)
    {
      g_autofree char *m = g_markup_escape_text (v->message, -1);
      g_string_append_printf (s, ": %s", m);
    }
  for (int i = 0; v->warnings != NULL && v->warnings[i] != NULL; i++)
    {
      g_autofree char *m = g_markup_escape_text (v->warnings[i], -1);
      g_string_append_printf (s, "\n⚠ %s", m);
    }
  if (v->run_dir != NULL)
    {
      g_autofree char *m = g_markup_escape_text (v->run_dir, -1);
      g_string_append_printf (s, "\nrun folder: %s", m);
    }
  if (v->best_path != NULL)
    {
      g_autofree char *b = g_path_get_basename (v->best_path);
      g_string_append_printf (s, "\ncheckpoints: %s, last.safetensors", b);
    }
  if (v->probe_caption != NULL)
    g_string_append_printf (s, "\nprobe stimulus: %s", v->probe_caption);
  gtk_label_set_markup (P->info, s->str);
  g_string_free (s, TRUE);
  update_actions (self);

  /* health: a divergence moves the views to where it appeared */
  if (v->state == DV_WB_TRAIN_FAILED && v->message != NULL
      && g_strcmp0 (P->nan_reported, v->message) != 0)
    {
      g_free (P->nan_reported);
      P->nan_reported = g_strdup (v->message);
      if (v->nan_layer != NULL)
        g_signal_emit (self, dv_training_panel_signals[DV_TRAINING_SIGNAL_DIVERGED], 0, v->nan_layer, v->nan_step);
      if (P->start_path != NULL)
        {
          g_autofree char *msg = g_strdup_printf ("%s — “Revert to Weights Before This Run” in the "
                                                  "training panel goes back to the weights the run "
                                                  "started from.", v->message);
          g_signal_emit (self, dv_training_panel_signals[DV_TRAINING_SIGNAL_ERROR], 0, msg);
        }
      else
        g_signal_emit (self, dv_training_panel_signals[DV_TRAINING_SIGNAL_ERROR], 0, v->message);
    }
}

gboolean
dv_training_panel_get_shown (DvTrainingPanel *self, DvWbTrainView *v)
{
  g_return_val_if_fail (DV_IS_TRAINING_PANEL (self) && v != NULL, FALSE);
  DvTrainingPanel *P = self;
  *v = (DvWbTrainView) {
    .state = P->state,
    .message = P->message,
    .run_dir = P->run_dir,
    .best_path = P->best_path,
    .last_path = P->last_path,
    .start_path = P->start_path,
    .epochs = P->epochs_planned,
    .n_done = (int) P->ep_x->len,
    .train_loss = (const double *) P->ep_train_loss->data,
    .val_loss = (const double *) P->ep_val_loss->data,
    .train_accuracy = (const double *) P->ep_train_acc->data,
    .val_accuracy = (const double *) P->ep_val_acc->data,
    .n_rows = P->dynamics.n_rows,
    .n_layers = P->dynamics.n_layers,
    .T = P->dynamics.T,
    .dt = P->dt,
    .dyn_values = (const float *) P->dyn_values->data,
    .dyn_epochs = (const int *) P->dyn_epochs->data,
    .layer_names = (const char *const *) P->layer_names,
    .flags = P->flags,
    .probe_caption = P->probe_caption,
    .n_running = (int) P->run_x->len,
    .running_x = (const double *) P->run_x->data,
    .running_loss = (const double *) P->run_loss->data,
    .running_accuracy = (const double *) P->run_acc->data,
  };
  return P->shown;
}

void
dv_training_panel_restore (DvTrainingPanel *self, const DvWbTrainView *view)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_TRAINING_PANEL (self) && view != NULL);
  g_return_if_fail (view->state == DV_WB_TRAIN_DONE || view->state == DV_WB_TRAIN_STOPPED
                    || view->state == DV_WB_TRAIN_FAILED);
  DvTrainingPanel *P = self;
  DvWbTrainView v = *view;
  v.has_progress = FALSE;
  v.nan_layer = NULL;
  /* the saved run's own weights to go back to, if any; never the previous run's */
  g_clear_pointer (&P->start_path, g_free);
  /* a saved failure is shown, not reported again */
  g_free (P->nan_reported);
  P->nan_reported = g_strdup (v.message);
  set_array (P->run_x, v.running_x, v.n_running);
  set_array (P->run_loss, v.running_loss, v.n_running);
  set_array (P->run_acc, v.running_accuracy, v.n_running);
  dv_training_panel_update (self, &v);
  if (v.state != DV_WB_TRAIN_DONE)
    {
      gtk_progress_bar_set_fraction (P->progress, v.epochs > 0 ? CLAMP ((double) v.n_done / v.epochs, 0, 1) : 0);
      g_autofree char *text = g_strdup_printf (_("%d of %d epochs (saved run)"), v.n_done, v.epochs);
      gtk_progress_bar_set_text (P->progress, text);
    }
}

DvWbTrainState
dv_training_panel_get_state (DvTrainingPanel *self)
{
  g_return_val_if_fail (DV_IS_TRAINING_PANEL (self), DV_WB_TRAIN_IDLE);
  return self->state;
}

int
dv_training_panel_get_rows (DvTrainingPanel *self)
{
  g_return_val_if_fail (DV_IS_TRAINING_PANEL (self), 0);
  return self->dynamics.n_rows;
}


void
dv_training_panel_add_dataset (DvTrainingPanel *self, const char *spec, const char *label)
{
  g_return_if_fail (DV_IS_TRAINING_PANEL (self) && spec != NULL);
  for (guint i = 0; i < self->dataset_specs->len; i++)
    if (g_str_equal (g_ptr_array_index (self->dataset_specs, i), spec))
      return;
  g_autofree char *fallback = label == NULL ? dv_ui_dataset_label (spec) : NULL;
  const char *const item[] = { label != NULL ? label : fallback, NULL };
  guint pos = self->dataset_specs->len;
  guint selected = gtk_drop_down_get_selected (self->dataset);
  self->updating++;
  g_ptr_array_add (self->dataset_specs, g_strdup (spec));
  gtk_string_list_splice (self->dataset_list, pos, 0, item);
  if (selected != GTK_INVALID_LIST_POSITION)
    gtk_drop_down_set_selected (self->dataset, selected);
  self->updating--;
}

void
dv_training_panel_use_dataset (DvTrainingPanel *self, const char *spec)
{
  g_return_if_fail (DV_IS_TRAINING_PANEL (self) && spec != NULL);
  if (!dv_train_settings_set (&self->values, "data", spec, NULL))
    return;
  show_values (self, &self->values);
}

DvPlotView *
dv_training_panel_get_view (DvTrainingPanel *self, const char *name)
{
  g_return_val_if_fail (DV_IS_TRAINING_PANEL (self), NULL);
  return g_strcmp0 (name, "training-curves") == 0 ? self->curves_view
         : g_strcmp0 (name, "dynamics-over-training") == 0 ? self->dynamics_view : NULL;
}

/* ---- GObject ----------------------------------------------------------------------- */

static void
dv_training_panel_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  DvTrainingPanel *self = DV_TRAINING_PANEL (object);
  switch (id)
    {
    case DV_TRAINING_PROP_STATE: g_value_set_int (value, self->state); break;
    case DV_TRAINING_PROP_PAUSE_LABEL: g_value_set_string (value, self->pause_label); break;
    case DV_TRAINING_PROP_CAN_REVERT: g_value_set_boolean (value, self->can_revert); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
dv_training_panel_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), DV_TYPE_TRAINING_PANEL);
  G_OBJECT_CLASS (dv_training_panel_parent_class)->dispose (object);
}

static void
dv_training_panel_finalize (GObject *object)
{
  DvTrainingPanel *P = DV_TRAINING_PANEL (object);
  GArray *arrays[] = { P->ep_x, P->ep_train_loss, P->ep_val_loss, P->ep_train_acc, P->ep_val_acc,
                       P->run_x, P->run_loss, P->run_acc, P->dyn_values, P->dyn_epochs };
  for (guint i = 0; i < G_N_ELEMENTS (arrays); i++)
    g_array_unref (arrays[i]);
  dv_train_settings_clear (&P->values);
  g_strfreev (P->layer_names);
  g_free (P->flags);
  g_free (P->nan_reported);
  g_free (P->start_path);
  g_free (P->message);
  g_free (P->run_dir);
  g_free (P->best_path);
  g_free (P->last_path);
  g_free (P->probe_caption);
  g_free (P->pause_label);
  g_ptr_array_unref (P->dataset_specs);
  G_OBJECT_CLASS (dv_training_panel_parent_class)->finalize (object);
}

static void
dv_training_panel_class_init (DvTrainingPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->get_property = dv_training_panel_get_property;
  object_class->dispose = dv_training_panel_dispose;
  object_class->finalize = dv_training_panel_finalize;

  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  dv_training_panel_props[DV_TRAINING_PROP_STATE] = g_param_spec_int ("state", NULL, NULL, 0, DV_WB_TRAIN_IDLE, DV_WB_TRAIN_IDLE, ro);
  dv_training_panel_props[DV_TRAINING_PROP_PAUSE_LABEL] = g_param_spec_string ("pause-label", NULL, NULL, NULL, ro);
  dv_training_panel_props[DV_TRAINING_PROP_CAN_REVERT] = g_param_spec_boolean ("can-revert", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, DV_TRAINING_N_PROPS, dv_training_panel_props);

  GType type = G_TYPE_FROM_CLASS (klass);
  dv_training_panel_signals[DV_TRAINING_SIGNAL_TRAIN_START] = g_signal_new ("train-start", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 1, G_TYPE_STRV);
  dv_training_panel_signals[DV_TRAINING_SIGNAL_TRAIN_CONTROL] = g_signal_new ("train-control", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                                NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  dv_training_panel_signals[DV_TRAINING_SIGNAL_OPEN_CHECKPOINT] = g_signal_new ("open-checkpoint", type, G_SIGNAL_RUN_LAST, 0, NULL,
                                                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  dv_training_panel_signals[DV_TRAINING_SIGNAL_DIVERGED] = g_signal_new ("diverged", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT);
  dv_training_panel_signals[DV_TRAINING_SIGNAL_REVEAL] = g_signal_new ("reveal", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
  dv_training_panel_signals[DV_TRAINING_SIGNAL_ERROR] = g_signal_new ("error", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (DV_TYPE_PLOT_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynvision/Workbench/dv-training-panel.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, DvTrainingPanel, name)
  CHILD (dataset);
  CHILD (dataset_list);
  CHILD (optimizer);
  CHILD (schedule);
  CHILD (bn_mode);
  CHILD (epochs);
  CHILD (batch);
  CHILD (samples);
  CHILD (lr);
  CHILD (progress);
  CHILD (info);
  CHILD (curves_view);
  CHILD (dynamics_view);
#undef CHILD
  gtk_widget_class_bind_template_callback (widget_class, on_dataset_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_lr_changed);
  dv_training_panel_class_init_actions (widget_class);
}

/* The settings table's range and help on a spin button, its choices and help on a drop-down
 * (the values come with show_values): the same as `dynvision train`'s; clicking stays inside
 * the ranges, a typed value outside is refused at Start with the CLI's message, never
 * clamped into range. */
static void
setting_spin (GtkSpinButton *s, const char *name, double step)
{
  const DvTrainSettingInfo *info = dv_train_settings_lookup (name);
  gtk_spin_button_set_range (s, info->min, info->max);
  gtk_spin_button_set_increments (s, step, step * 10);
  gtk_spin_button_set_digits (s, 0);
  g_autofree char *help = dv_train_settings_help (info);
  gtk_widget_set_tooltip_text (GTK_WIDGET (s), help);
}

static void
setting_drop_down (GtkDropDown *d, const char *name)
{
  const DvTrainSettingInfo *info = dv_train_settings_lookup (name);
  GtkStringList *list = gtk_string_list_new (info->choices);
  gtk_drop_down_set_model (d, G_LIST_MODEL (list));
  g_object_unref (list);
  g_autofree char *help = dv_train_settings_help (info);
  gtk_widget_set_tooltip_text (GTK_WIDGET (d), help);
}

static void
dv_training_panel_init (DvTrainingPanel *P)
{
  P->state = DV_WB_TRAIN_IDLE;
  P->pause_label = g_strdup (_("Pause"));
  P->ep_x = doubles (), P->ep_train_loss = doubles (), P->ep_val_loss = doubles ();
  P->ep_train_acc = doubles (), P->ep_val_acc = doubles ();
  P->run_x = doubles (), P->run_loss = doubles (), P->run_acc = doubles ();
  P->dyn_values = g_array_new (FALSE, FALSE, sizeof (float));
  P->dyn_epochs = g_array_new (FALSE, FALSE, sizeof (int));
  dv_train_settings_init_defaults (&P->values);
  P->dataset_specs = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_init_template (GTK_WIDGET (P));
  const char *const folder[] = { _("Folder…"), NULL };
  gtk_string_list_splice (P->dataset_list, 0, 0, folder);

  g_autofree char *data_help = dv_train_settings_help (dv_train_settings_lookup ("data"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (P->dataset), data_help);
  setting_spin (P->epochs, "epochs", 1);
  setting_spin (P->batch, "batch", 1);
  setting_spin (P->samples, "train-samples", 64);
  setting_drop_down (P->optimizer, "optimizer");
  setting_drop_down (P->schedule, "schedule");
  setting_drop_down (P->bn_mode, "bn-mode");
  show_values (P, &P->values);

  dv_plot_view_set_name (P->curves_view, "training-curves");
  dv_plot_view_set_min_size (P->curves_view, 440, 210);
  dv_plot_view_set_name (P->dynamics_view, "dynamics-over-training");
  dv_plot_view_set_min_size (P->dynamics_view, 560, 230);
  rebuild_curves (P);
  dv_dynamics_plot_init (&P->dynamics);
  dv_plot_view_set_plot (P->curves_view, dv_panels_plot_as_plot (&P->curves));
  dv_plot_view_set_plot (P->dynamics_view, dv_dynamics_plot_as_plot (&P->dynamics));
  update_actions (P);
}
