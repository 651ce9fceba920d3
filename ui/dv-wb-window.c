/* dv-wb-window.c — the workbench window: cursor, transport and input.
 *
 * What this is for: the one time cursor all views follow; play/pause, step,
 * scrub, speed, loop and the keyboard; the view settings (sample, layer,
 * activation or change, colour map, scale scope, normalised traces, the
 * key=value presentation entry); clicks on the plots (cursor, probed unit);
 * the error banner; the signals to the owner.
 * What this is not for: filling the views (dv-wb-window-views.c), the
 * stimulus panel and dropped files (dv-wb-window-stimuli.c), running
 * the model (the owner does, on its engine thread) or exporting files
 * (dv-wb-window-export.c).
 */
#include "dv-wb-window-private.h"

#include <glib/gi18n.h>
#include "dv-ui.h"

#include <math.h>
#include <string.h>

G_DEFINE_FINAL_TYPE (DvWbWindow, dv_wb_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  SIGNAL_COMPUTE,
  SIGNAL_SELECT_SAMPLE,
  SIGNAL_OPEN_CHECKPOINT,
  SIGNAL_OPEN_DATASET,
  SIGNAL_SET_PARAMETER,
  SIGNAL_SET_PRESENTATION,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static const int speeds[] = { 1, 2, 5, 10, 25, 0 }; /* steps per second; 0: every frame */

/* ---- cursor and transport ------------------------------------------------------------- */

static void
request_compute (DvWbWindow *self, int upto)
{
  upto = MIN (upto, self->history->T - 1);
  if (upto <= self->history->head || upto <= self->requested_upto)
    return;
  self->requested_upto = upto;
  g_signal_emit (self, signals[SIGNAL_COMPUTE], 0, upto);
}

static void
set_cursor (DvWbWindow *self, int t)
{
  DvHistory *h = self->history;
  self->cursor = CLAMP (t, 0, MAX (h->head, 0));
  dv_wb_window_update_views (self);
}

void
dv_wb_window_seek (DvWbWindow *self, int t)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  DvHistory *h = self->history;
  if (h->T == 0)
    {
      /* no sequence yet: go there when it arrives */
      self->pending_cursor = MAX (t, 0);
      return;
    }
  t = CLAMP (t, 0, h->T - 1);
  if (t <= h->head)
    {
      self->pending_cursor = -1;
      set_cursor (self, t);
      return;
    }
  self->pending_cursor = t;
  request_compute (self, t);
  dv_wb_window_update_views (self);
}

int
dv_wb_window_get_cursor (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), -1);
  return self->cursor;
}

static gboolean
play_tick (gpointer data)
{
  DvWbWindow *self = data;
  DvHistory *h = self->history;
  if (!self->playing || h->T == 0)
    return G_SOURCE_CONTINUE;
  int next = self->cursor + 1;
  if (next < h->T && next <= h->head)
    set_cursor (self, next);
  else if (next < h->T)
    request_compute (self, h->T - 1);
  else if (self->loop)
    set_cursor (self, 0);
  else
    dv_wb_window_set_playing (self, FALSE);
  return G_SOURCE_CONTINUE;
}

static void
restart_timer (DvWbWindow *self)
{
  g_clear_handle_id (&self->play_source, g_source_remove);
  if (!self->playing)
    return;
  guint i = gtk_drop_down_get_selected (self->speed_dropdown);
  int sps = i < G_N_ELEMENTS (speeds) ? speeds[i] : 5;
  self->play_source = g_timeout_add (sps > 0 ? 1000 / sps : 16, play_tick, self);
}

void
dv_wb_window_set_playing (DvWbWindow *self, gboolean playing)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  if (self->playing == playing)
    return;
  self->playing = playing;
  if (playing)
    {
      DvHistory *h = self->history;
      if (self->cursor >= h->T - 1 && h->head >= h->T - 1)
        set_cursor (self, 0); /* play again from the start */
      request_compute (self, h->T - 1);
    }
  else
    {
      /* stop computing ahead */
      self->requested_upto = self->history->head;
      g_signal_emit (self, signals[SIGNAL_COMPUTE], 0, -1);
    }
  restart_timer (self);
  dv_wb_window_update_views (self);
}

gboolean
dv_wb_window_get_playing (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), FALSE);
  return self->playing;
}

static void
step_by (DvWbWindow *self, int delta)
{
  if (self->playing)
    dv_wb_window_set_playing (self, FALSE);
  dv_wb_window_seek (self, (self->pending_cursor >= 0 ? self->pending_cursor : self->cursor)
                           + delta);
}

static void
action_toggle_play (GtkWidget *widget, const char *name, GVariant *param)
{
  DvWbWindow *self = DV_WB_WINDOW (widget);
  dv_wb_window_set_playing (self, !self->playing);
}

static void
action_step (GtkWidget *widget, const char *name, GVariant *param)
{
  DvWbWindow *self = DV_WB_WINDOW (widget);
  DvHistory *h = self->history;
  if (g_str_equal (name, "win.step-back"))
    step_by (self, -1);
  else if (g_str_equal (name, "win.step-forward"))
    step_by (self, +1);
  else if (g_str_equal (name, "win.first"))
    step_by (self, -h->T);
  else if (g_str_equal (name, "win.last"))
    step_by (self, h->T);
}

static void
action_stimulus (GtkWidget *widget, const char *name, GVariant *param)
{
  DvWbWindow *self = DV_WB_WINDOW (widget);
  int delta = g_str_equal (name, "win.next-stimulus") ? 1 : -1;
  gtk_spin_button_spin (self->sample_spin, delta > 0 ? GTK_SPIN_STEP_FORWARD
                                                     : GTK_SPIN_STEP_BACKWARD, 1);
}

static void
action_dismiss (GtkWidget *widget, const char *name, GVariant *param)
{
  DvWbWindow *self = DV_WB_WINDOW (widget);
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->note, g_free);
}

static void
on_loop_toggled (GtkToggleButton *button, DvWbWindow *self)
{
  self->loop = gtk_toggle_button_get_active (button);
}

static void
on_scrub_changed (GtkAdjustment *adj, DvWbWindow *self)
{
  if (self->updating)
    return;
  dv_wb_window_seek (self, (int) lround (gtk_adjustment_get_value (adj)));
}

static void
on_speed_changed (GObject *obj, GParamSpec *pspec, DvWbWindow *self)
{
  restart_timer (self);
}

static void
on_settings_changed (GObject *obj, GParamSpec *pspec, DvWbWindow *self)
{
  if (self->updating)
    return;
  gboolean diff = gtk_drop_down_get_selected (self->value_dropdown) == 1;
  if (diff != self->diff)
    {
      /* changes are signed: switch to the diverging map with the mode */
      self->diff = diff;
      self->updating++;
      gtk_drop_down_set_selected (self->colormap_dropdown,
                                  diff ? DV_COLORMAP_DIVERGING : DV_COLORMAP_VIRIDIS);
      self->updating--;
    }
  int layer = (int) gtk_drop_down_get_selected (self->layer_dropdown);
  if (layer >= 0 && layer < self->history->n_layers && layer != self->layer)
    dv_wb_window_select_layer (self, layer);
  else
    dv_wb_window_update_views (self);
}

static void
on_sample_changed (GtkAdjustment *adj, DvWbWindow *self)
{
  if (self->updating)
    return;
  g_signal_emit (self, signals[SIGNAL_SELECT_SAMPLE], 0, (int) gtk_adjustment_get_value (adj));
}

/* "key=value key=value": one ::set-presentation, applied together */
static void
on_presentation_activate (GtkEntry *entry, DvWbWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_auto (GStrv) tokens = g_strsplit_set (text, " \t,;", -1);
  g_autoptr (GPtrArray) assignments = g_ptr_array_new ();
  for (int i = 0; tokens[i] != NULL; i++)
    {
      if (tokens[i][0] == '\0')
        continue;
      char *eq = strchr (tokens[i], '=');
      if (eq == NULL || eq == tokens[i] || eq[1] == '\0')
        {
          g_autofree char *msg = g_strdup_printf ("“%s” is not a setting: write key=value, "
                                                  "e.g. stimulus_duration=6", tokens[i]);
          dv_wb_window_show_error (self, msg);
          return;
        }
      g_ptr_array_add (assignments, tokens[i]);
    }
  if (assignments->len == 0)
    return;
  g_ptr_array_add (assignments, NULL);
  dv_wb_window_emit_presentation (self, (const char *const *) assignments->pdata);
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

static void
on_time_pointer (DvPlotView *view, double x, double y, DvWbWindow *self)
{
  int w = gtk_widget_get_width (GTK_WIDGET (view)), h = gtk_widget_get_height (GTK_WIDGET (view));
  int t = -1;
  if (view == self->responses_view)
    t = dv_responses_plot_step_at (&self->responses, w, h, x);
  else if (view == self->probe_view)
    t = dv_responses_plot_step_at (&self->probe, w, h, x);
  else if (view == self->readout_view)
    t = dv_readout_plot_step_at (&self->readout, w, h, x);
  else if (view == self->stimulus_view)
    t = dv_stimulus_plot_step_at (&self->stimulus, w, h, x, y);
  if (t < 0)
    return;
  if (self->playing)
    dv_wb_window_set_playing (self, FALSE);
  dv_wb_window_seek (self, t);
}

static void
on_fmap_pointer (DvPlotView *view, double x, double y, DvWbWindow *self)
{
  int c, iy, ix;
  if (dv_fmap_plot_hit (&self->fmap, gtk_widget_get_width (GTK_WIDGET (view)),
                        gtk_widget_get_height (GTK_WIDGET (view)), x, y, &c, &iy, &ix))
    dv_wb_window_select_unit (self, c, iy, ix);
}

/* Space, arrows, Home/End and Page Up/Down drive the transport unless a
 * text field has the focus. */
static gboolean
shortcut_cb (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  DvWbWindow *self = DV_WB_WINDOW (widget);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));
  if (focus != NULL && (GTK_IS_EDITABLE (focus) || GTK_IS_TEXT (focus)))
    return FALSE;
  const char *action = g_variant_get_string (args, NULL);
  gtk_widget_activate_action (widget, action, NULL);
  return TRUE;
}

static void
add_shortcut (GtkShortcutController *ctl, guint key, const char *action)
{
  GtkShortcut *s = gtk_shortcut_new (gtk_keyval_trigger_new (key, 0),
                                     gtk_callback_action_new (shortcut_cb, NULL, NULL));
  gtk_shortcut_set_arguments (s, g_variant_new_string (action));
  gtk_shortcut_controller_add_shortcut (ctl, s);
}

/* ---- public ------------------------------------------------------------------------ */

void
dv_wb_window_select_layer (DvWbWindow *self, int layer)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  DvHistory *h = self->history;
  if (layer < 0 || layer >= h->n_layers)
    return;
  self->layer = layer;
  /* keep the probe inside the new layer: same channel if it exists, centre unit */
  const DvHistoryLayer *L = &h->layers[layer];
  self->probe_c = MIN (self->probe_c, L->C - 1);
  self->probe_y = L->H / 2;
  self->probe_x = L->W / 2;
  self->updating++;
  gtk_drop_down_set_selected (self->layer_dropdown, layer);
  self->updating--;
  dv_wb_window_update_views (self);
}

void
dv_wb_window_select_unit (DvWbWindow *self, int c, int y, int x)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  DvHistory *h = self->history;
  if (h->n_layers == 0)
    return;
  const DvHistoryLayer *L = &h->layers[self->layer];
  self->probe_c = CLAMP (c, 0, L->C - 1);
  self->probe_y = CLAMP (y, 0, L->H - 1);
  self->probe_x = CLAMP (x, 0, L->W - 1);
  dv_wb_window_update_views (self);
}

void
dv_wb_window_set_view_options (DvWbWindow *self, DvColormap colormap, DvScaleScope scope,
                               gboolean change, gboolean normalise)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  g_return_if_fail (colormap < DV_COLORMAP_N && scope < DV_SCALE_N);
  self->updating++;
  gtk_drop_down_set_selected (self->value_dropdown, change ? 1 : 0);
  gtk_drop_down_set_selected (self->colormap_dropdown, colormap);
  gtk_drop_down_set_selected (self->scope_dropdown, scope);
  gtk_switch_set_active (self->normalise_switch, normalise);
  self->updating--;
  self->diff = change;
  dv_wb_window_update_views (self);
}

DvHistory *
dv_wb_window_get_history (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  return self->history;
}

void
dv_wb_window_history_changed (DvWbWindow *self, gboolean new_sequence)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  DvHistory *h = self->history;
  if (new_sequence)
    {
      /* the layer list only changes with the model */
      gboolean same = self->layer_names != NULL
                      && g_strv_length (self->layer_names) == (guint) h->n_layers;
      for (int l = 0; same && l < h->n_layers; l++)
        same = g_str_equal (self->layer_names[l], h->layers[l].name);
      if (!same)
        {
          g_strfreev (self->layer_names);
          self->layer_names = g_new0 (char *, h->n_layers + 1);
          for (int l = 0; l < h->n_layers; l++)
            self->layer_names[l] = g_strdup (h->layers[l].name);
          self->updating++;
          gtk_string_list_splice (self->layer_list, 0,
                                  g_list_model_get_n_items (G_LIST_MODEL (self->layer_list)),
                                  (const char *const *) self->layer_names);
          self->layer = 0;
          gtk_drop_down_set_selected (self->layer_dropdown, 0);
          self->updating--;
          self->probe_c = 0;
          if (h->n_layers > 0)
            {
              self->probe_y = h->layers[0].H / 2;
              self->probe_x = h->layers[0].W / 2;
            }
        }
      self->updating++;
      gtk_adjustment_set_upper (self->sample_adjustment, MAX (h->n_samples - 1, 0));
      gtk_adjustment_set_value (self->sample_adjustment, h->sample);
      self->updating--;
      dv_wb_window_stimuli_changed (self, TRUE);
      /* stay at the same time in the new sequence (compare stimuli at one
       * moment); the steps up to it are computed */
      if (self->pending_cursor < 0)
        self->pending_cursor = self->cursor;
      self->requested_upto = h->head;
      self->cursor = 0;
      g_autofree char *title = g_strdup_printf ("DynVision Workbench — %s",
                                                h->model_label ? h->model_label : "model");
      gtk_window_set_title (GTK_WINDOW (self), title);
      if (self->playing)
        request_compute (self, h->T - 1);
    }
  self->requested_upto = MAX (self->requested_upto, h->head);
  if (self->pending_cursor >= 0)
    {
      self->pending_cursor = MIN (self->pending_cursor, MAX (h->T - 1, 0));
      if (self->pending_cursor <= h->head)
        {
          self->cursor = self->pending_cursor;
          self->pending_cursor = -1;
        }
      else
        request_compute (self, self->pending_cursor);
    }
  self->cursor = CLAMP (self->cursor, 0, MAX (h->head, 0));
  dv_wb_window_update_views (self);
  dv_wb_window_check_health (self, new_sequence);
}

void
dv_wb_window_show_error (DvWbWindow *self, const char *message)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  g_free (self->error);
  self->error = g_strdup (message);
  g_clear_pointer (&self->note, g_free);
  gtk_widget_remove_css_class (gtk_revealer_get_child (self->banner_revealer), "dv-note");
  gtk_image_set_from_icon_name (self->banner_icon, "dialog-warning-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->banner_label), NULL);
  gtk_label_set_text (self->banner_label, message);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
  /* a rejected setting leaves the sequence as it was: show that again */
  dv_wb_window_sync_presentation (self);
}

void
dv_wb_window_show_note (DvWbWindow *self, const char *message)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  if (self->error != NULL)
    return; /* the error matters more */
  g_free (self->note);
  self->note = g_strdup (message);
  gtk_widget_add_css_class (gtk_revealer_get_child (self->banner_revealer), "dv-note");
  gtk_image_set_from_icon_name (self->banner_icon, "dialog-information-symbolic");
  /* the first line in the banner, the whole note in its tooltip */
  const char *nl = strchr (message, '\n');
  g_autofree char *first = nl ? g_strndup (message, nl - message) : g_strdup (message);
  gtk_label_set_text (self->banner_label, first);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->banner_label), nl ? message : NULL);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
}

const char *
dv_wb_window_get_note (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  return self->note;
}

const char *
dv_wb_window_get_error (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  return self->error;
}

void
dv_wb_window_set_status (DvWbWindow *self, const char *status)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  gtk_label_set_text (self->status_label, status);
}

/* ---- life cycle --------------------------------------------------------------------- */

static void
dv_wb_window_dispose (GObject *object)
{
  DvWbWindow *self = DV_WB_WINDOW (object);
  g_clear_handle_id (&self->play_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), DV_TYPE_WB_WINDOW);
  G_OBJECT_CLASS (dv_wb_window_parent_class)->dispose (object);
}

static void
dv_wb_window_finalize (GObject *object)
{
  DvWbWindow *self = DV_WB_WINDOW (object);
  dv_history_free (self->history);
  g_strfreev (self->layer_names);
  g_free (self->error);
  g_free (self->note);
  g_free (self->diff_maps);
  dv_series_free (self->probe_series);
  g_free (self->probe_name);
  g_free (self->fmap_message);
  g_free (self->stimulus_caption);
  dv_wb_window_finalize_stimuli (self);
  dv_wb_window_finalize_train (self);
  G_OBJECT_CLASS (dv_wb_window_parent_class)->finalize (object);
}

/* ---- the pages ---------------------------------------------------------------------- */

static void
on_page_error (GtkWidget *page, const char *message, DvWbWindow *self)
{
  dv_wb_window_show_error (self, message);
}

DvArchitecturePage *
dv_wb_window_get_architecture_page (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  return self->architecture_page;
}

void
dv_wb_window_show_editor (DvWbWindow *self, gboolean show)
{
  g_return_if_fail (DV_IS_WB_WINDOW (self));
  gtk_stack_set_visible_child_name (self->view_stack, show ? "architecture" : "live");
}

static void
action_show_editor (GtkWidget *widget, const char *name, GVariant *param)
{
  dv_wb_window_show_editor (DV_WB_WINDOW (widget), g_variant_get_boolean (param));
}

gboolean
dv_wb_window_load_plugin (DvWbWindow *self, const char *path, GError **error)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), FALSE);
  return dv_architecture_page_load_plugin (self->architecture_page, path, error);
}

static void
on_plugin_response (GtkNativeDialog *dialog, int response, DvWbWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path != NULL)
        dv_wb_window_load_plugin (self, path, NULL);
    }
  g_object_unref (dialog);
}

static void
action_load_plugin (GtkWidget *widget, const char *name, GVariant *param)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Load Model Plugin"), GTK_WINDOW (widget),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Load"),
                                                              _("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Shared modules (*.so)"));
  gtk_file_filter_add_pattern (filter, "*.so");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_plugin_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
dv_wb_window_class_init (DvWbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = dv_wb_window_dispose;
  object_class->finalize = dv_wb_window_finalize;

  g_type_ensure (DV_TYPE_PLOT_VIEW);
  g_type_ensure (DV_TYPE_ARCHITECTURE_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dynvision/Workbench/dv-wb-window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, DvWbWindow, name)
  CHILD (play_button);
  CHILD (loop_button);
  CHILD (speed_dropdown);
  CHILD (scrubber);
  CHILD (scrub_adjustment);
  CHILD (time_label);
  CHILD (banner_revealer);
  CHILD (banner_label);
  CHILD (banner_icon);
  CHILD (sample_spin);
  CHILD (sample_adjustment);
  CHILD (layer_dropdown);
  CHILD (value_dropdown);
  CHILD (colormap_dropdown);
  CHILD (scope_dropdown);
  CHILD (layer_list);
  CHILD (normalise_switch);
  CHILD (presentation_entry);
  CHILD (status_label);
  CHILD (dataset_dropdown);
  CHILD (dataset_list);
  CHILD (mode_dropdown);
  CHILD (noise_dropdown);
  CHILD (thumbs_view);
  CHILD (steps_spin);
  CHILD (intro_spin);
  CHILD (duration_spin);
  CHILD (interval_spin);
  CHILD (contrast_spin);
  CHILD (ssnr_spin);
  CHILD (steps_adjustment);
  CHILD (intro_adjustment);
  CHILD (duration_adjustment);
  CHILD (interval_adjustment);
  CHILD (contrast_adjustment);
  CHILD (ssnr_adjustment);
  CHILD (steps_ms);
  CHILD (intro_ms);
  CHILD (duration_ms);
  CHILD (interval_ms);
  CHILD (dt_label);
  CHILD (stimulus_view);
  CHILD (responses_view);
  CHILD (fmap_view);
  CHILD (readout_view);
  CHILD (probe_view);
  CHILD (latency_view);
  CHILD (train_revealer);
  CHILD (train_box);
  CHILD (architecture_page);
  CHILD (view_stack);
#undef CHILD
  gtk_widget_class_bind_template_callback (widget_class, on_page_error);
  gtk_widget_class_install_action (widget_class, "win.show-editor", "b", action_show_editor);
  gtk_widget_class_install_action (widget_class, "win.load-plugin", NULL, action_load_plugin);
  dv_wb_window_class_init_train (widget_class);

  gtk_widget_class_install_action (widget_class, "win.toggle-play", NULL, action_toggle_play);
  gtk_widget_class_install_action (widget_class, "win.step-back", NULL, action_step);
  gtk_widget_class_install_action (widget_class, "win.step-forward", NULL, action_step);
  gtk_widget_class_install_action (widget_class, "win.first", NULL, action_step);
  gtk_widget_class_install_action (widget_class, "win.last", NULL, action_step);
  gtk_widget_class_install_action (widget_class, "win.next-stimulus", NULL, action_stimulus);
  gtk_widget_class_install_action (widget_class, "win.previous-stimulus", NULL, action_stimulus);
  gtk_widget_class_install_action (widget_class, "win.dismiss-banner", NULL, action_dismiss);

  signals[SIGNAL_COMPUTE] = g_signal_new ("compute", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_SELECT_SAMPLE] = g_signal_new ("select-sample", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_OPEN_CHECKPOINT] = g_signal_new ("open-checkpoint", G_TYPE_FROM_CLASS (klass),
                                                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                  G_TYPE_NONE, 1, G_TYPE_STRING);
  g_signal_new ("export-dynvision", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_OPEN_DATASET] = g_signal_new ("open-dataset", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_SET_PARAMETER] = g_signal_new ("set-parameter", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_SET_PRESENTATION] = g_signal_new ("set-presentation", G_TYPE_FROM_CLASS (klass),
                                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                   G_TYPE_NONE, 1, G_TYPE_STRV);
}

static void
dv_wb_window_init (DvWbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->history = dv_history_new ();
  self->pending_cursor = -1;
  self->requested_upto = -1;
  self->global_layer = -1;

  dv_responses_plot_init (&self->responses);
  dv_responses_plot_init (&self->probe);
  self->probe.title = "Unit probe";
  self->probe.y_label = "activation";
  dv_fmap_plot_init (&self->fmap);
  dv_readout_plot_init (&self->readout);
  dv_latency_plot_init (&self->latency);
  dv_stimulus_plot_init (&self->stimulus);

  struct { DvPlotView *view; const char *name; int w, h; } views[] = {
    { self->responses_view, "responses", 360, 220 },
    { self->fmap_view, "feature-maps", 360, 240 },
    { self->readout_view, "readout", 380, 220 },
    { self->probe_view, "probe", 380, 130 },
    { self->latency_view, "latency", 380, 130 },
    { self->stimulus_view, "stimulus", 280, 400 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      dv_plot_view_set_name (views[i].view, views[i].name);
      dv_plot_view_set_min_size (views[i].view, views[i].w, views[i].h);
    }
  g_signal_connect (self->responses_view, "pointer", G_CALLBACK (on_time_pointer), self);
  g_signal_connect (self->probe_view, "pointer", G_CALLBACK (on_time_pointer), self);
  g_signal_connect (self->readout_view, "pointer", G_CALLBACK (on_time_pointer), self);
  g_signal_connect (self->stimulus_view, "pointer", G_CALLBACK (on_time_pointer), self);
  g_signal_connect (self->fmap_view, "pointer", G_CALLBACK (on_fmap_pointer), self);

  g_signal_connect (self->loop_button, "toggled", G_CALLBACK (on_loop_toggled), self);
  g_signal_connect (self->scrub_adjustment, "value-changed", G_CALLBACK (on_scrub_changed), self);
  g_signal_connect (self->sample_adjustment, "value-changed", G_CALLBACK (on_sample_changed), self);
  g_signal_connect (self->speed_dropdown, "notify::selected", G_CALLBACK (on_speed_changed), self);
  g_signal_connect (self->layer_dropdown, "notify::selected", G_CALLBACK (on_settings_changed), self);
  g_signal_connect (self->value_dropdown, "notify::selected", G_CALLBACK (on_settings_changed), self);
  g_signal_connect (self->colormap_dropdown, "notify::selected", G_CALLBACK (on_settings_changed), self);
  g_signal_connect (self->scope_dropdown, "notify::selected", G_CALLBACK (on_settings_changed), self);
  g_signal_connect (self->normalise_switch, "notify::active", G_CALLBACK (on_settings_changed), self);
  g_signal_connect (self->presentation_entry, "activate", G_CALLBACK (on_presentation_activate), self);

  GtkEventController *ctl = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (ctl, GTK_PHASE_CAPTURE);
  add_shortcut (GTK_SHORTCUT_CONTROLLER (ctl), GDK_KEY_space, "win.toggle-play");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (ctl), GDK_KEY_Left, "win.step-back");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (ctl), GDK_KEY_Right, "win.step-forward");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (ctl), GDK_KEY_Home, "win.first");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (ctl), GDK_KEY_End, "win.last");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (ctl), GDK_KEY_Page_Down, "win.next-stimulus");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (ctl), GDK_KEY_Page_Up, "win.previous-stimulus");
  gtk_widget_add_controller (GTK_WIDGET (self), ctl);

  dv_wb_window_init_stimuli (self);
  dv_wb_window_install_export_actions (self);
  dv_wb_window_init_train (self);
  /* start with the transport focused, not the sample field, so the keys work */
  gtk_root_set_focus (GTK_ROOT (self), GTK_WIDGET (self->play_button));
  dv_wb_window_update_views (self);
}

DvWbWindow *
dv_wb_window_new (GtkApplication *app)
{
  return g_object_new (DV_TYPE_WB_WINDOW, "application", app, NULL);
}
