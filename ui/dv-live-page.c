/* dv-live-page.c — DvLivePage (see dv-live-page.h): the object, the time
 * cursor and transport, pointer input on the views, the shown layer and
 * unit, following the history, the health check and the saved layout.
 *
 * What this is for: the live view's state.  The layout is its template
 * (dv-live-page.ui); what the views draw is dv-live-page-views.c, the
 * stimulus panel dv-live-page-stimuli.c, the actions and keys
 * dv-live-page-actions.c.
 * What this is not for: running the model (the owner's engine thread), the
 * banner or files (the window).
 */
#include "dv-live-page-private.h"
#include "dv-ui.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_FINAL_TYPE (DvLivePage, dv_live_page, GTK_TYPE_BOX)

guint dv_live_page_signals[DV_LIVE_N_SIGNALS];
GParamSpec *dv_live_page_props[DV_LIVE_N_PROPS];

static void
set_string (DvLivePage *self, char **field, const char *value, DvLiveProp prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), dv_live_page_props[prop]);
}

void
dv_live_page_emit_error (DvLivePage *self, const char *message)
{
  g_signal_emit (self, dv_live_page_signals[DV_LIVE_SIGNAL_ERROR], 0, message);
}

static void check_health (DvLivePage *self, gboolean new_sequence);

/* ---- cursor and transport ------------------------------------------------------------- */

static const int speeds[] = { 1, 2, 5, 10, 25, 0 }; /* steps per second; 0: every frame */

/* ---- cursor and transport ------------------------------------------------------------- */

static void
request_compute (DvLivePage *self, int upto)
{
  upto = MIN (upto, self->history->T - 1);
  if (upto <= self->history->head || upto <= self->requested_upto)
    return;
  self->requested_upto = upto;
  g_signal_emit (self, dv_live_page_signals[DV_LIVE_SIGNAL_COMPUTE], 0, upto);
}

static void
set_cursor (DvLivePage *self, int t)
{
  DvHistory *h = self->history;
  self->cursor = CLAMP (t, 0, MAX (h->head, 0));
  dv_live_page_update_views (self);
}

void
dv_live_page_seek (DvLivePage *self, int t)
{
  g_return_if_fail (DV_IS_LIVE_PAGE (self));
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
  dv_live_page_update_views (self);
}

int
dv_live_page_get_cursor (DvLivePage *self)
{
  g_return_val_if_fail (DV_IS_LIVE_PAGE (self), -1);
  return self->cursor;
}

static gboolean
play_tick (gpointer data)
{
  DvLivePage *self = data;
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
    dv_live_page_set_playing (self, FALSE);
  return G_SOURCE_CONTINUE;
}

static void
restart_timer (DvLivePage *self)
{
  g_clear_handle_id (&self->play_source, g_source_remove);
  if (!self->playing)
    return;
  guint i = gtk_drop_down_get_selected (self->speed_dropdown);
  int sps = i < G_N_ELEMENTS (speeds) ? speeds[i] : 5;
  self->play_source = g_timeout_add (sps > 0 ? 1000 / sps : 16, play_tick, self);
}

void
dv_live_page_set_playing (DvLivePage *self, gboolean playing)
{
  g_return_if_fail (DV_IS_LIVE_PAGE (self));
  if (self->playing == playing)
    return;
  self->playing = playing;
  g_object_notify_by_pspec (G_OBJECT (self), dv_live_page_props[DV_LIVE_PROP_PLAYING]);
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
      g_signal_emit (self, dv_live_page_signals[DV_LIVE_SIGNAL_COMPUTE], 0, -1);
    }
  restart_timer (self);
  dv_live_page_update_views (self);
}

gboolean
dv_live_page_get_playing (DvLivePage *self)
{
  g_return_val_if_fail (DV_IS_LIVE_PAGE (self), FALSE);
  return self->playing;
}

void
dv_live_page_step_by (DvLivePage *self, int delta)
{
  if (self->playing)
    dv_live_page_set_playing (self, FALSE);
  dv_live_page_seek (self, (self->pending_cursor >= 0 ? self->pending_cursor : self->cursor)
                           + delta);
}






static void
on_scrub_changed (GtkAdjustment *adj, DvLivePage *self)
{
  if (self->updating)
    return;
  dv_live_page_seek (self, (int) lround (gtk_adjustment_get_value (adj)));
}

static void
on_speed_changed (GObject *obj, GParamSpec *pspec, DvLivePage *self)
{
  restart_timer (self);
}

static void
on_settings_changed (GObject *obj, GParamSpec *pspec, DvLivePage *self)
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
    dv_live_page_select_layer (self, layer);
  else
    dv_live_page_update_views (self);
}

static void
on_sample_changed (GtkAdjustment *adj, DvLivePage *self)
{
  if (self->updating)
    return;
  g_signal_emit (self, dv_live_page_signals[DV_LIVE_SIGNAL_SELECT_SAMPLE], 0, (int) gtk_adjustment_get_value (adj));
}

/* "key=value key=value": one ::set-presentation, applied together */
static void
on_presentation_activate (GtkEntry *entry, DvLivePage *self)
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
          dv_live_page_emit_error (self, msg);
          return;
        }
      g_ptr_array_add (assignments, tokens[i]);
    }
  if (assignments->len == 0)
    return;
  g_ptr_array_add (assignments, NULL);
  dv_live_page_emit_presentation (self, (const char *const *) assignments->pdata);
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

static void
on_time_pointer (DvPlotView *view, double x, double y, DvLivePage *self)
{
  int w = gtk_widget_get_width (GTK_WIDGET (view)), h = gtk_widget_get_height (GTK_WIDGET (view));
  int t = -1;
  self->current_view = dv_plot_view_get_name (view);
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
    dv_live_page_set_playing (self, FALSE);
  dv_live_page_seek (self, t);
}

static void
on_fmap_pointer (DvPlotView *view, double x, double y, DvLivePage *self)
{
  int c, iy, ix;
  self->current_view = dv_plot_view_get_name (view);
  if (dv_fmap_plot_hit (&self->fmap, gtk_widget_get_width (GTK_WIDGET (view)),
                        gtk_widget_get_height (GTK_WIDGET (view)), x, y, &c, &iy, &ix))
    dv_live_page_select_unit (self, c, iy, ix);
}

/* Hovering a unit reads out its value. */
static gboolean
on_fmap_tooltip (DvPlotView *view, int x, int y, gboolean keyboard, GtkTooltip *tooltip, DvLivePage *self)
{
  const DvFmapPlot *f = &self->fmap;
  int c, iy, ix;
  if (keyboard || f->maps == NULL
      || !dv_fmap_plot_hit (f, gtk_widget_get_width (GTK_WIDGET (view)), gtk_widget_get_height (GTK_WIDGET (view)),
                            x, y, &c, &iy, &ix))
    return FALSE;
  float v = f->maps[((gsize) c * f->H + iy) * f->W + ix];
  g_autofree char *text = g_strdup_printf (_("%s c%d (y %d, x %d): %s %.4g"), f->layer_name ? f->layer_name : "",
                                           c, iy, ix, f->value_label ? f->value_label : _("activation"), v);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* ---- public ------------------------------------------------------------------------ */

void
dv_live_page_select_layer (DvLivePage *self, int layer)
{
  g_return_if_fail (DV_IS_LIVE_PAGE (self));
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
  dv_live_page_update_views (self);
}

void
dv_live_page_select_unit (DvLivePage *self, int c, int y, int x)
{
  g_return_if_fail (DV_IS_LIVE_PAGE (self));
  DvHistory *h = self->history;
  if (h->n_layers == 0)
    return;
  const DvHistoryLayer *L = &h->layers[self->layer];
  self->probe_c = CLAMP (c, 0, L->C - 1);
  self->probe_y = CLAMP (y, 0, L->H - 1);
  self->probe_x = CLAMP (x, 0, L->W - 1);
  dv_live_page_update_views (self);
}

void
dv_live_page_set_view_options (DvLivePage *self, DvColormap colormap, DvScaleScope scope,
                               gboolean change, gboolean normalise)
{
  g_return_if_fail (DV_IS_LIVE_PAGE (self));
  g_return_if_fail (colormap < DV_COLORMAP_N && scope < DV_SCALE_N);
  self->updating++;
  gtk_drop_down_set_selected (self->value_dropdown, change ? 1 : 0);
  gtk_drop_down_set_selected (self->colormap_dropdown, colormap);
  gtk_drop_down_set_selected (self->scope_dropdown, scope);
  gtk_switch_set_active (self->normalise_switch, normalise);
  self->updating--;
  self->diff = change;
  dv_live_page_update_views (self);
}

DvHistory *
dv_live_page_get_history (DvLivePage *self)
{
  g_return_val_if_fail (DV_IS_LIVE_PAGE (self), NULL);
  return self->history;
}

void
dv_live_page_history_changed (DvLivePage *self, gboolean new_sequence)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_LIVE_PAGE (self));
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
      dv_live_page_stimuli_changed (self, TRUE);
      /* stay at the same time in the new sequence (compare stimuli at one
       * moment); the steps up to it are computed */
      if (self->pending_cursor < 0)
        self->pending_cursor = self->cursor;
      self->requested_upto = h->head;
      self->cursor = 0;
      g_autofree char *title = g_strdup_printf (_("DynVision Workbench — %s"),
                                                h->model_label ? h->model_label : _("model"));
      set_string (self, &self->title, title, DV_LIVE_PROP_TITLE);
      g_autofree char *what = g_strdup_printf ("%s\n%s\n%d\n%s", h->model_label ? h->model_label : "",
                                               h->dataset ? h->dataset : "", h->sample,
                                               h->presentation_params ? h->presentation_params : "");
      set_string (self, &self->sequence, what, DV_LIVE_PROP_SEQUENCE);
      if (self->steps != h->T)
        {
          self->steps = h->T;
          g_object_notify_by_pspec (G_OBJECT (self), dv_live_page_props[DV_LIVE_PROP_STEPS]);
        }
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
  dv_live_page_update_views (self);
  check_health (self, new_sequence);
}

void
dv_live_page_set_status (DvLivePage *self, const char *status)
{
  DV_UI_ASSERT_THREAD ();
  g_return_if_fail (DV_IS_LIVE_PAGE (self));
  set_string (self, &self->status, status, DV_LIVE_PROP_STATUS);
}


DvPlotView *
dv_live_page_get_view (DvLivePage *self, const char *name)
{
  g_return_val_if_fail (DV_IS_LIVE_PAGE (self), NULL);
  DvPlotView *views[] = { self->responses_view, self->fmap_view, self->readout_view,
                          self->probe_view, self->latency_view, self->stimulus_view };
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    if (g_strcmp0 (dv_plot_view_get_name (views[i]), name) == 0)
      return views[i];
  return NULL;
}

const char *
dv_live_page_get_current_view (DvLivePage *self)
{
  g_return_val_if_fail (DV_IS_LIVE_PAGE (self), NULL);
  return self->current_view != NULL ? self->current_view : "feature-maps";
}

void
dv_live_page_focus_transport (DvLivePage *self)
{
  g_return_if_fail (DV_IS_LIVE_PAGE (self));
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  if (root != NULL)
    gtk_root_set_focus (root, GTK_WIDGET (self->play_button));
}

/* ---- health of the live view ------------------------------------------------------------ */

static void
check_health (DvLivePage *self, gboolean new_sequence)
{
  DvHistory *h = self->history;
  if (new_sequence || self->health_seq != h->seq_id)
    {
      self->health_seq = h->seq_id;
      self->health_checked = -1;
    }
  if (h->means == NULL || self->health_checked >= h->head)
    return;
  int from = self->health_checked + 1;
  self->health_checked = h->head;
  for (int t = from; t <= h->head; t++)
    {
      int i = h->means ? dv_series_find (h->means, t) : -1;
      int j = h->logits ? dv_series_find (h->logits, t) : -1;
      const float *m = i >= 0 ? dv_series_row (h->means, i) : NULL;
      const float *lg = j >= 0 ? dv_series_row (h->logits, j) : NULL;
      int bad = -1;
      for (int l = 0; m != NULL && l < h->n_layers && bad < 0; l++)
        if (h->present[(gsize) t * h->n_layers + l] && !isfinite (m[l]))
          bad = l;
      gboolean bad_logits = FALSE;
      for (int k = 0; bad < 0 && lg != NULL && k < h->n_classes; k++)
        bad_logits |= !isfinite (lg[k]);
      if (bad < 0 && !bad_logits)
        continue;
      /* pause the engine and show where it appeared */
      self->health_checked = G_MAXINT;
      dv_live_page_set_playing (self, FALSE);
      if (bad >= 0)
        dv_live_page_select_layer (self, bad);
      dv_live_page_seek (self, t);
      g_autofree char *what = bad >= 0 ? g_strdup_printf (_("activity of layer %s"), h->layers[bad].name)
                                       : g_strdup (_("classifier output"));
      g_autofree char *msg = g_strdup_printf (
        _("The %s became NaN or infinite at step %d (t = %g ms) of this stimulus; playback is "
        "paused there. Lower dt relative to tau, reduce the recurrence, or open another "
        "checkpoint."), what, t, t * h->dt);
      dv_live_page_emit_error (self, msg);
      return;
    }
}


/* ---- layout ------------------------------------------------------------------------------- */

char **
dv_live_page_get_layout (DvLivePage *self)
{
  g_return_val_if_fail (DV_IS_LIVE_PAGE (self), NULL);
  DvHistory *h = self->history;
  GPtrArray *a = g_ptr_array_new ();
  if (self->layer >= 0 && self->layer < h->n_layers)
    g_ptr_array_add (a, g_strdup_printf ("layer=%s", h->layers[self->layer].name));
  g_ptr_array_add (a, g_strdup_printf ("value=%s", self->diff ? "change" : "activation"));
  g_ptr_array_add (a, g_strdup_printf ("colormap=%s", dv_colormap_name (gtk_drop_down_get_selected (self->colormap_dropdown))));
  g_ptr_array_add (a, g_strdup_printf ("scope=%u", gtk_drop_down_get_selected (self->scope_dropdown)));
  g_ptr_array_add (a, g_strdup_printf ("normalise=%s", gtk_switch_get_active (self->normalise_switch) ? "true" : "false"));
  g_ptr_array_add (a, g_strdup_printf ("cursor=%d", self->cursor));
  g_ptr_array_add (a, g_strdup_printf ("probe=%d,%d,%d", self->probe_c, self->probe_y, self->probe_x));
  g_ptr_array_add (a, NULL);
  return (char **) g_ptr_array_free (a, FALSE);
}

void
dv_live_page_set_layout (DvLivePage *self, const char *const *layout)
{
  g_return_if_fail (DV_IS_LIVE_PAGE (self));
  DvHistory *h = self->history;
  DvColormap map = gtk_drop_down_get_selected (self->colormap_dropdown);
  DvScaleScope scope = gtk_drop_down_get_selected (self->scope_dropdown);
  gboolean change = self->diff, normalise = gtk_switch_get_active (self->normalise_switch);
  int cursor = -1, pc = -1, py = -1, px = -1;
  for (int i = 0; layout != NULL && layout[i] != NULL; i++)
    {
      const char *eq = strchr (layout[i], '=');
      if (eq == NULL)
        continue;
      g_autofree char *key = g_strndup (layout[i], eq - layout[i]);
      const char *v = eq + 1;
      if (g_str_equal (key, "layer"))
        {
          for (int l = 0; l < h->n_layers; l++)
            if (g_str_equal (h->layers[l].name, v))
              dv_live_page_select_layer (self, l);
        }
      else if (g_str_equal (key, "value"))
        change = g_str_equal (v, "change");
      else if (g_str_equal (key, "colormap"))
        dv_colormap_from_name (v, &map);
      else if (g_str_equal (key, "scope"))
        scope = (DvScaleScope) CLAMP (atoi (v), 0, DV_SCALE_N - 1);
      else if (g_str_equal (key, "normalise"))
        normalise = g_str_equal (v, "true");
      else if (g_str_equal (key, "cursor"))
        cursor = atoi (v);
      else if (g_str_equal (key, "probe"))
        sscanf (v, "%d,%d,%d", &pc, &py, &px);
    }
  dv_live_page_set_view_options (self, map, scope, change, normalise);
  if (pc >= 0)
    dv_live_page_select_unit (self, pc, py, px);
  if (cursor >= 0)
    dv_live_page_seek (self, cursor);
}


/* ---- GObject ----------------------------------------------------------------------- */

static void
dv_live_page_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  DvLivePage *self = DV_LIVE_PAGE (object);
  switch ((DvLiveProp) id)
    {
    case DV_LIVE_PROP_TITLE: g_value_set_string (value, self->title); break;
    case DV_LIVE_PROP_PLAYING: g_value_set_boolean (value, self->playing); break;
    case DV_LIVE_PROP_CURSOR: g_value_set_int (value, self->cursor); break;
    case DV_LIVE_PROP_LOOP: g_value_set_boolean (value, self->loop); break;
    case DV_LIVE_PROP_STATUS: g_value_set_string (value, self->status); break;
    case DV_LIVE_PROP_SEQUENCE: g_value_set_string (value, self->sequence); break;
    case DV_LIVE_PROP_STEPS: g_value_set_int (value, self->steps); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
dv_live_page_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  DvLivePage *self = DV_LIVE_PAGE (object);
  switch ((DvLiveProp) id)
    {
    case DV_LIVE_PROP_LOOP:
      if (self->loop != g_value_get_boolean (value))
        {
          self->loop = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
dv_live_page_dispose (GObject *object)
{
  DvLivePage *self = DV_LIVE_PAGE (object);
  g_clear_handle_id (&self->play_source, g_source_remove);
  g_clear_handle_id (&self->thumb_follow_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), DV_TYPE_LIVE_PAGE);
  G_OBJECT_CLASS (dv_live_page_parent_class)->dispose (object);
}

static void
dv_live_page_finalize (GObject *object)
{
  DvLivePage *self = DV_LIVE_PAGE (object);
  dv_live_page_finalize_stimuli (self);
  dv_history_free (self->history);
  g_strfreev (self->layer_names);
  g_free (self->diff_maps);
  dv_series_free (self->probe_series);
  g_free (self->probe_name);
  g_free (self->fmap_message);
  g_free (self->stimulus_caption);
  g_free (self->title);
  g_free (self->status);
  g_free (self->sequence);
  G_OBJECT_CLASS (dv_live_page_parent_class)->finalize (object);
}

static void
dv_live_page_class_init (DvLivePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->get_property = dv_live_page_get_property;
  object_class->set_property = dv_live_page_set_property;
  object_class->dispose = dv_live_page_dispose;
  object_class->finalize = dv_live_page_finalize;

  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamSpec **p = dv_live_page_props;
  p[DV_LIVE_PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, "DynVision Workbench", ro);
  p[DV_LIVE_PROP_PLAYING] = g_param_spec_boolean ("playing", NULL, NULL, FALSE, ro);
  p[DV_LIVE_PROP_CURSOR] = g_param_spec_int ("cursor", NULL, NULL, 0, G_MAXINT, 0, ro);
  p[DV_LIVE_PROP_LOOP] = g_param_spec_boolean ("loop", NULL, NULL, FALSE,
                                               G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                               | G_PARAM_EXPLICIT_NOTIFY);
  p[DV_LIVE_PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, ro);
  p[DV_LIVE_PROP_SEQUENCE] = g_param_spec_string ("sequence", NULL, NULL, NULL, ro);
  p[DV_LIVE_PROP_STEPS] = g_param_spec_int ("steps", NULL, NULL, 0, G_MAXINT, 0, ro);
  g_object_class_install_properties (object_class, DV_LIVE_N_PROPS, p);

  GType type = G_TYPE_FROM_CLASS (klass);
  guint *s = dv_live_page_signals;
  s[DV_LIVE_SIGNAL_COMPUTE] = g_signal_new ("compute", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 1, G_TYPE_INT);
  s[DV_LIVE_SIGNAL_SELECT_SAMPLE] = g_signal_new ("select-sample", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                                  NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  s[DV_LIVE_SIGNAL_SET_PARAMETER] = g_signal_new ("set-parameter", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                                  NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  s[DV_LIVE_SIGNAL_SET_PRESENTATION] = g_signal_new ("set-presentation", type, G_SIGNAL_RUN_LAST, 0, NULL,
                                                     NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRV);
  s[DV_LIVE_SIGNAL_ERROR] = g_signal_new ("error", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (DV_TYPE_PLOT_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/dynvision/Workbench/dv-live-page.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, DvLivePage, name)
  CHILD (play_button);
  CHILD (sidebar);
  CHILD (speed_dropdown);
  CHILD (scrub_adjustment);
  CHILD (time_label);
  CHILD (sample_spin);
  CHILD (sample_adjustment);
  CHILD (layer_dropdown);
  CHILD (value_dropdown);
  CHILD (colormap_dropdown);
  CHILD (scope_dropdown);
  CHILD (layer_list);
  CHILD (normalise_switch);
  CHILD (presentation_entry);
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
#undef CHILD
  gtk_widget_class_bind_template_callback (widget_class, on_scrub_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_sample_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_speed_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_settings_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_presentation_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_time_pointer);
  gtk_widget_class_bind_template_callback (widget_class, on_fmap_pointer);
  gtk_widget_class_bind_template_callback (widget_class, on_fmap_tooltip);
  dv_live_page_class_init_stimuli (widget_class);
  dv_live_page_class_init_actions (widget_class);
}

static void
dv_live_page_init (DvLivePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->history = dv_history_new ();
  self->pending_cursor = -1;
  self->requested_upto = -1;
  self->global_layer = -1;
  self->health_checked = -1;
  self->title = g_strdup ("DynVision Workbench");

  dv_responses_plot_init (&self->responses);
  dv_responses_plot_init (&self->probe);
  self->probe.title = _("Unit probe");
  self->probe.y_label = _("activation");
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
  dv_live_page_init_stimuli (self);
  dv_live_page_init_shortcuts (self);
  dv_live_page_init_field_keys (self);
  dv_live_page_update_views (self);
}
