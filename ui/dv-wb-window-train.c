/* dv-wb-window-train.c — the training panel, checkpoint and project actions,
 * and the NaN/Inf check (see dv-wb-window-train.h).
 *
 * What this is for: the panel's widgets (built here, placed in the window's
 * train_box), its curves (train/dv-train-plots' panels) and the
 * dynamics-over-training heatmap (plot/dv-plot-dynamics), the win.* actions
 * and their file choosers, the view layout of project files, and pausing at
 * the first non-finite value of the live view.
 * What this is not for: training or saving anything (the owner does, on its
 * engine thread, when the signals ask).
 */
#include "dv-wb-window-private.h"
#include "dv-ui.h"
#include "dv-wb-window-train.h"
#include "dv-train-settings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv-plot-dynamics.h"
#include "dv-train-plots.h"

#define MAX_RUNNING_POINTS 4000

static const char *const datasets[] = { "embedded", "fashion-mnist", "mnist", "cifar10", "cifar100", NULL };

struct _DvWbTrainPanel {
  char *project_path;        /* the project last saved or opened: Ctrl+S saves there */
  GtkDropDown *dataset, *optimizer, *schedule;
  GtkSpinButton *epochs, *batch, *samples;
  GtkEntry *lr;              /* text, used as typed (a spin button would clamp it) */
  GtkButton *start, *pause, *stop, *revert;
  GtkProgressBar *progress;
  GtkLabel *info;
  DvPlotView *curves_view, *dynamics_view;
  DvTrainSettings values;    /* train/dv-train-settings.h: those without a widget (seed,
                              * val-fraction, …) and the data set (a spec the list lacks stays) */

  DvWbTrainState state;
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

  /* health of the live view */
  guint health_seq;
  int health_checked;
};

/* ---- settings ---------------------------------------------------------------------------- */

static int
index_of (const char *const *names, const char *v)
{
  for (int i = 0; names[i] != NULL; i++)
    if (g_ascii_strcasecmp (names[i], v) == 0)
      return i;
  return -1;
}

/* The text a widget holds for setting `name`, or NULL when no widget shows it. */
static char *
widget_text (DvWbTrainPanel *P, const char *name)
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
  return NULL;
}

/* Every setting, the widgets' as typed: the owner parses them with dv_train_settings_parse,
 * as `dynvision train` does its options. */
char **
dv_wb_window_get_train_settings (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  DvWbTrainPanel *P = self->train;
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
show_values (DvWbTrainPanel *P, const DvTrainSettings *s)
{
  if (index_of (datasets, s->data) >= 0)
    gtk_drop_down_set_selected (P->dataset, index_of (datasets, s->data));
  gtk_drop_down_set_selected (P->optimizer, s->optimizer);
  gtk_drop_down_set_selected (P->schedule, s->schedule);
  gtk_spin_button_set_value (P->epochs, s->epochs);
  gtk_spin_button_set_value (P->batch, s->batch);
  gtk_spin_button_set_value (P->samples, s->train_samples);
  g_autofree char *lr = dv_train_settings_get (s, dv_train_settings_lookup ("lr"));
  gtk_editable_set_text (GTK_EDITABLE (P->lr), lr);
}

/* Through dv_train_settings_parse (the CLI's checks and messages) onto the panel's values;
 * the first refused setting leaves the panel as it was. */
gboolean
dv_wb_window_set_train_settings (DvWbWindow *self, const char *const *settings, GError **error)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), FALSE);
  DvWbTrainPanel *P = self->train;
  g_auto (DvTrainSettings) t = { 0 };
  dv_train_settings_copy (&t, &P->values);
  g_auto (GStrv) now = dv_wb_window_get_train_settings (self);
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
on_dataset_selected (GObject *drop, GParamSpec *pspec, DvWbWindow *self)
{
  guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (drop));
  if (i < G_N_ELEMENTS (datasets) - 1)
    dv_train_settings_set (&self->train->values, "data", datasets[i], NULL);
}

/* The learning-rate field says at once when its text is not a learning rate. */
static void
on_lr_changed (GtkEditable *editable, DvWbWindow *self)
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
update_actions (DvWbWindow *self)
{
  DvWbTrainPanel *P = self->train;
  gboolean active = P->state == DV_WB_TRAIN_PREPARING || P->state == DV_WB_TRAIN_RUNNING
                    || P->state == DV_WB_TRAIN_PAUSED;
  GActionMap *map = G_ACTION_MAP (self);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (map, "train-start")), !active);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (map, "train-pause")),
                               P->state == DV_WB_TRAIN_RUNNING || P->state == DV_WB_TRAIN_PAUSED);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (map, "train-stop")), active);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (map, "train-revert")),
                               !active && P->start_path != NULL);
  gtk_button_set_label (P->pause, P->state == DV_WB_TRAIN_PAUSED ? "Resume" : "Pause");
  GtkWidget *settings[] = { GTK_WIDGET (P->dataset), GTK_WIDGET (P->optimizer), GTK_WIDGET (P->schedule),
                            GTK_WIDGET (P->epochs), GTK_WIDGET (P->batch), GTK_WIDGET (P->lr),
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

static void
rebuild_curves (DvWbTrainPanel *P)
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
dv_wb_window_train_update (DvWbWindow *self, const DvWbTrainView *v)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_WB_WINDOW (self) && v != NULL);
  DvWbTrainPanel *P = self->train;
  DvWbTrainState before = P->state;
  P->state = v->state;
  if (before != v->state && v->state == DV_WB_TRAIN_PREPARING)
    {
      /* a new run: new curves */
      g_array_set_size (P->run_x, 0);
      g_array_set_size (P->run_loss, 0);
      g_array_set_size (P->run_acc, 0);
      g_clear_pointer (&P->nan_reported, g_free);
      dv_wb_window_show_training (self, TRUE);
    }
  if (v->start_path != NULL && g_strcmp0 (v->start_path, P->start_path) != 0)
    {
      g_free (P->start_path);
      P->start_path = g_strdup (v->start_path);
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
        {
          DvLivePage *live = self->live_page;
          DvHistory *h = dv_live_page_get_history (live);
          dv_live_page_set_playing (live, FALSE);
          for (int l = 0; l < h->n_layers; l++)
            if (g_str_equal (h->layers[l].name, v->nan_layer))
              dv_live_page_select_layer (live, l);
          if (v->nan_step >= 0)
            dv_live_page_seek (live, v->nan_step);
        }
      if (P->start_path != NULL)
        {
          g_autofree char *msg = g_strdup_printf ("%s — “Revert to Weights Before This Run” in the "
                                                  "training panel goes back to the weights the run "
                                                  "started from.", v->message);
          dv_wb_window_show_error (self, msg);
        }
      else
        dv_wb_window_show_error (self, v->message);
    }
}

DvWbTrainState
dv_wb_window_train_get_state (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), DV_WB_TRAIN_IDLE);
  return self->train->state;
}

int
dv_wb_window_train_get_rows (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), 0);
  return self->train->dynamics.n_rows;
}

void
dv_wb_window_show_training (DvWbWindow *self, gboolean show)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  g_action_group_change_action_state (G_ACTION_GROUP (self), "show-training",
                                      g_variant_new_boolean (show));
}

/* ---- actions ------------------------------------------------------------------------- */

static void
action_train_start (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  DvWbWindow *self = user_data;
  g_auto (GStrv) settings = dv_wb_window_get_train_settings (self);
  dv_wb_window_show_training (self, TRUE);
  g_signal_emit_by_name (self, "train-start", settings);
}

static void
action_train_pause (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  DvWbWindow *self = user_data;
  g_signal_emit_by_name (self, "train-control",
                         self->train->state == DV_WB_TRAIN_PAUSED ? "resume" : "pause");
}

/* Opens the weights saved before the latest run, as Open Checkpoint would: the model, its
 * description and its weights are those of before the run. */
static void
action_train_revert (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  DvWbWindow *self = user_data;
  DvWbTrainPanel *P = self->train;
  if (P->start_path == NULL)
    return;
  if (!g_file_test (P->start_path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *msg = g_strdup_printf ("Cannot revert: the weights from before the run, %s, "
                                              "are gone (was the run folder removed?).", P->start_path);
      dv_wb_window_show_error (self, msg);
      return;
    }
  g_signal_emit_by_name (self, "open-checkpoint", P->start_path);
}

static void
action_train_stop (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  g_signal_emit_by_name (user_data, "train-control", "stop");
}

typedef enum { CHOOSE_EXPORT_CKPT, CHOOSE_SAVE_PROJECT, CHOOSE_OPEN_PROJECT } Choose;

static void
on_file_chosen (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  DvWbWindow *self = g_object_get_data (G_OBJECT (dialog), "window");
  Choose kind = GPOINTER_TO_INT (user_data);
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      if (path == NULL)
        dv_wb_window_show_error (self, "Only local files can be used.");
      else if (kind == CHOOSE_EXPORT_CKPT)
        dv_wb_window_export_checkpoint (self, path);
      else if (kind == CHOOSE_SAVE_PROJECT)
        dv_wb_window_save_project (self, path);
      else
        dv_wb_window_open_project (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
choose_file (DvWbWindow *self, Choose kind)
{
  static const char *const titles[] = { "Export Checkpoint", "Save Project", "Open Project" };
  GtkFileChooserNative *d = gtk_file_chooser_native_new (
    titles[kind], GTK_WINDOW (self),
    kind == CHOOSE_OPEN_PROJECT ? GTK_FILE_CHOOSER_ACTION_OPEN : GTK_FILE_CHOOSER_ACTION_SAVE, NULL, NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (d), TRUE);
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, kind == CHOOSE_EXPORT_CKPT ? "Checkpoints (*.safetensors)"
                                                               : "Workbench projects (*.dvproj.json)");
  gtk_file_filter_add_pattern (filter, kind == CHOOSE_EXPORT_CKPT ? "*.safetensors" : "*.json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (d), filter);
  g_object_unref (filter);
  if (kind == CHOOSE_EXPORT_CKPT)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (d), "model.safetensors");
  else if (kind == CHOOSE_SAVE_PROJECT)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (d), "session.dvproj.json");
  g_object_set_data (G_OBJECT (d), "window", self);
  g_signal_connect (d, "response", G_CALLBACK (on_file_chosen), GINT_TO_POINTER (kind));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (d));
}

static void
action_export_checkpoint (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  choose_file (user_data, CHOOSE_EXPORT_CKPT);
}

static void
action_save_project (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  DvWbWindow *self = user_data;
  if (self->train->project_path != NULL)
    dv_wb_window_save_project (self, self->train->project_path);
  else
    choose_file (self, CHOOSE_SAVE_PROJECT);
}

static void
action_save_project_as (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  choose_file (user_data, CHOOSE_SAVE_PROJECT);
}

static void
action_open_project (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  choose_file (user_data, CHOOSE_OPEN_PROJECT);
}

static void
action_show_training (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  DvWbWindow *self = user_data;
  g_simple_action_set_state (action, state);
  gtk_revealer_set_reveal_child (self->train_revealer, g_variant_get_boolean (state));
}

void
dv_wb_window_export_checkpoint (DvWbWindow *self, const char *path)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self) && path != NULL);
  g_signal_emit_by_name (self, "export-checkpoint", path);
}

void
dv_wb_window_save_project (DvWbWindow *self, const char *path)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self) && path != NULL);
  if (g_strcmp0 (self->train->project_path, path) != 0)
    {
      g_free (self->train->project_path);
      self->train->project_path = g_strdup (path);
    }
  g_signal_emit_by_name (self, "save-project", path);
}

void
dv_wb_window_open_project (DvWbWindow *self, const char *path)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self) && path != NULL);
  g_free (self->train->project_path);
  self->train->project_path = g_strdup (path);
  g_signal_emit_by_name (self, "open-project", path);
}

gboolean
dv_wb_window_export_training_view (DvWbWindow *self, const char *name, const char *path,
                                   double scale, GError **error)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), FALSE);
  DvPlotView *view = g_strcmp0 (name, "training-curves") == 0 ? self->train->curves_view
                     : g_strcmp0 (name, "dynamics-over-training") == 0 ? self->train->dynamics_view
                     : NULL;
  if (view == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no training view named “%s”", name);
      return FALSE;
    }
  return dv_plot_view_export (view, path, scale, error);
}

/* ---- building the panel --------------------------------------------------------------- */

static GtkWidget *
labelled (GtkGrid *grid, int row, const char *label, GtkWidget *w)
{
  GtkWidget *l = gtk_label_new (label);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_grid_attach (grid, l, 0, row, 1, 1);
  gtk_widget_set_hexpand (w, TRUE);
  gtk_grid_attach (grid, w, 1, row, 1, 1);
  return w;
}

/* A whole-number setting's spin button: its range and help from the settings table (its value
 * comes with show_values). */
static GtkWidget *
setting_spin (const char *name, double step)
{
  const DvTrainSettingInfo *info = dv_train_settings_lookup (name);
  GtkWidget *s = gtk_spin_button_new_with_range (info->min, info->max, step);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (s), 0);
  g_autofree char *help = dv_train_settings_help (info);
  gtk_widget_set_tooltip_text (s, help);
  return s;
}

/* A choice setting's drop-down, in the table's order, with its help. */
static GtkWidget *
setting_drop_down (const char *name)
{
  const DvTrainSettingInfo *info = dv_train_settings_lookup (name);
  GtkWidget *d = gtk_drop_down_new_from_strings (info->choices);
  g_autofree char *help = dv_train_settings_help (info);
  gtk_widget_set_tooltip_text (d, help);
  return d;
}

static GtkButton *
action_button (const char *label, const char *action, const char *tooltip)
{
  GtkWidget *b = gtk_button_new_with_label (label);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (b), action);
  gtk_widget_set_tooltip_text (b, tooltip);
  return GTK_BUTTON (b);
}

static GArray *
doubles (void)
{
  return g_array_new (FALSE, FALSE, sizeof (double));
}

void
dv_wb_window_init_train (DvWbWindow *self)
{
  DvWbTrainPanel *P = g_new0 (DvWbTrainPanel, 1);
  self->train = P;
  P->state = DV_WB_TRAIN_IDLE;
  P->ep_x = doubles (), P->ep_train_loss = doubles (), P->ep_val_loss = doubles ();
  P->ep_train_acc = doubles (), P->ep_val_acc = doubles ();
  P->run_x = doubles (), P->run_loss = doubles (), P->run_acc = doubles ();
  P->dyn_values = g_array_new (FALSE, FALSE, sizeof (float));
  P->dyn_epochs = g_array_new (FALSE, FALSE, sizeof (int));
  P->health_checked = -1;

  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 8);
  gtk_widget_set_size_request (grid, 300, -1);
  GtkGrid *g = GTK_GRID (grid);
  GtkWidget *title = gtk_label_new ("Training");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "heading");
  gtk_grid_attach (g, title, 0, 0, 2, 1);
  /* ranges, tooltips and initial values are the settings table's (train/dv-train-settings.c),
   * the same as `dynvision train`'s; clicking stays inside the ranges, a typed value outside
   * is refused at Start with the CLI's message, never clamped into range */
  dv_train_settings_init_defaults (&P->values);
  P->dataset = GTK_DROP_DOWN (labelled (g, 1, "Data set", gtk_drop_down_new_from_strings (datasets)));
  g_autofree char *data_help = dv_train_settings_help (dv_train_settings_lookup ("data"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (P->dataset), data_help);
  g_signal_connect (P->dataset, "notify::selected", G_CALLBACK (on_dataset_selected), self);
  P->epochs = GTK_SPIN_BUTTON (labelled (g, 2, "Epochs", setting_spin ("epochs", 1)));
  P->batch = GTK_SPIN_BUTTON (labelled (g, 3, "Batch size", setting_spin ("batch", 1)));
  P->lr = GTK_ENTRY (labelled (g, 4, "Learning rate", gtk_entry_new ()));
  gtk_editable_set_width_chars (GTK_EDITABLE (P->lr), 10);
  g_signal_connect (P->lr, "changed", G_CALLBACK (on_lr_changed), self);
  P->optimizer = GTK_DROP_DOWN (labelled (g, 5, "Optimiser", setting_drop_down ("optimizer")));
  P->schedule = GTK_DROP_DOWN (labelled (g, 6, "Schedule", setting_drop_down ("schedule")));
  P->samples = GTK_SPIN_BUTTON (labelled (g, 7, "Samples / epoch", setting_spin ("train-samples", 64)));
  show_values (P, &P->values);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  P->start = action_button ("Start", "win.train-start", "Train the model shown, from its current weights");
  P->pause = action_button ("Pause", "win.train-pause", "Pause after the current batch / resume");
  P->stop = action_button ("Stop", "win.train-stop", "Stop after the current batch");
  gtk_widget_add_css_class (GTK_WIDGET (P->start), "suggested-action");
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (P->start));
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (P->pause));
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (P->stop));
  gtk_grid_attach (g, buttons, 0, 8, 2, 1);
  P->revert = action_button ("Revert to Weights Before This Run", "win.train-revert",
                             "Open the weights the latest run started from (start.safetensors in its "
                             "run folder)");
  gtk_grid_attach (g, GTK_WIDGET (P->revert), 0, 9, 2, 1);

  GtkWidget *middle = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_hexpand (middle, TRUE);
  P->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_show_text (P->progress, TRUE);
  gtk_progress_bar_set_text (P->progress, "not started");
  P->curves_view = DV_PLOT_VIEW (dv_plot_view_new ());
  dv_plot_view_set_name (P->curves_view, "training-curves");
  dv_plot_view_set_min_size (P->curves_view, 440, 210);
  gtk_widget_set_vexpand (GTK_WIDGET (P->curves_view), TRUE);
  P->info = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (P->info, 0);
  gtk_label_set_wrap (P->info, TRUE);
  gtk_label_set_selectable (P->info, TRUE);
  gtk_label_set_markup (P->info, "<b>not started</b>");
  gtk_widget_add_css_class (GTK_WIDGET (P->info), "caption");
  gtk_box_append (GTK_BOX (middle), GTK_WIDGET (P->progress));
  gtk_box_append (GTK_BOX (middle), GTK_WIDGET (P->curves_view));
  /* under the curves, not under the settings: the panel stays as short as the settings */
  gtk_box_append (GTK_BOX (middle), GTK_WIDGET (P->info));

  P->dynamics_view = DV_PLOT_VIEW (dv_plot_view_new ());
  dv_plot_view_set_name (P->dynamics_view, "dynamics-over-training");
  dv_plot_view_set_min_size (P->dynamics_view, 560, 230);
  gtk_widget_set_hexpand (GTK_WIDGET (P->dynamics_view), TRUE);
  rebuild_curves (P);
  dv_dynamics_plot_init (&P->dynamics);
  dv_plot_view_set_plot (P->curves_view, dv_panels_plot_as_plot (&P->curves));
  dv_plot_view_set_plot (P->dynamics_view, dv_dynamics_plot_as_plot (&P->dynamics));

  /* the settings scroll rather than make the panel taller than the plots need */
  GtkWidget *settings = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (settings), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (settings), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (settings), grid);
  gtk_box_append (self->train_box, settings);
  gtk_box_append (self->train_box, middle);
  gtk_box_append (self->train_box, GTK_WIDGET (P->dynamics_view));

  static const GActionEntry entries[] = {
    { .name = "train-start", .activate = action_train_start },
    { .name = "train-pause", .activate = action_train_pause },
    { .name = "train-stop", .activate = action_train_stop },
    { .name = "train-revert", .activate = action_train_revert },
    { .name = "export-checkpoint", .activate = action_export_checkpoint },
    { .name = "save-project", .activate = action_save_project },
    { .name = "save-project-as", .activate = action_save_project_as },
    { .name = "open-project", .activate = action_open_project },
    { .name = "show-training", .state = "false", .change_state = action_show_training },
  };
  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  update_actions (self);
}

void
dv_wb_window_finalize_train (DvWbWindow *self)
{
  DvWbTrainPanel *P = self->train;
  if (P == NULL)
    return;
  GArray *arrays[] = { P->ep_x, P->ep_train_loss, P->ep_val_loss, P->ep_train_acc, P->ep_val_acc,
                       P->run_x, P->run_loss, P->run_acc, P->dyn_values, P->dyn_epochs };
  for (guint i = 0; i < G_N_ELEMENTS (arrays); i++)
    g_array_unref (arrays[i]);
  dv_train_settings_clear (&P->values);
  g_strfreev (P->layer_names);
  g_free (P->flags);
  g_free (P->nan_reported);
  g_free (P->start_path);
  g_free (P->project_path);
  g_free (P);
  self->train = NULL;
}

void
dv_wb_window_class_init_train (GtkWidgetClass *widget_class)
{
  GType type = G_TYPE_FROM_CLASS (widget_class);
  g_signal_new ("train-start", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRV);
  g_signal_new ("train-control", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                G_TYPE_STRING);
  g_signal_new ("export-checkpoint", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                G_TYPE_STRING);
  g_signal_new ("save-project", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                G_TYPE_STRING);
  g_signal_new ("open-project", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                G_TYPE_STRING);
}
