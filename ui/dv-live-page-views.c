/* dv-live-page-views.c — what the six views of the live view show.
 *
 * What this is for: filling the plot structs from the window's DvHistory at
 * the cursor (feature maps or their change since the previous step, the
 * whole-sequence colour range, the probed unit's trace, the stimulus) and
 * the transport's labels, then asking the views to redraw.
 * What this is not for: reacting to input (dv-wb-window.c) or exporting
 * (dv-wb-window-export.c).
 */
#include "dv-live-page-private.h"

#include <glib/gi18n-lib.h>

#include <math.h>

/* The range of the shown layer's values (or changes) over steps 0..head.  While
 * the head moves on in the same sequence only the new steps are read, so the
 * cost per frame follows the steps computed since the last one, not the
 * length of the sequence; another layer, mode or sequence reads all kept
 * steps again. */
static void
update_global_range (DvLivePage *self)
{
  DvHistory *h = self->history;
  gboolean same = self->global_seq == h->seq_id && self->global_layer == self->layer
                  && self->global_diff == self->diff && self->global_head <= h->head;
  if (same && self->global_head == h->head)
    return;
  int from = same ? self->global_head + 1 : 0;
  if (!same)
    dv_range_init (&self->global);
  self->global_seq = h->seq_id;
  self->global_head = h->head;
  self->global_layer = self->layer;
  self->global_diff = self->diff;
  const DvHistoryLayer *L = &h->layers[self->layer];
  gsize n = (gsize) L->C * L->H * L->W;
  for (int t = from; t <= h->head; t++)
    {
      self->global_steps_scanned++;
      const float *m = dv_history_layer_maps (h, t, self->layer);
      if (m == NULL || !dv_history_layer_present (h, t, self->layer))
        continue;
      if (!self->diff)
        {
          dv_range_include (&self->global, m, n);
          continue;
        }
      const float *prev = dv_history_layer_present (h, t - 1, self->layer)
                          ? dv_history_layer_maps (h, t - 1, self->layer) : NULL;
      for (gsize i = 0; i < n; i++)
        dv_range_include_value (&self->global, m[i] - (prev ? prev[i] : 0));
    }
}

static void
update_fmap (DvLivePage *self)
{
  DvHistory *h = self->history;
  DvFmapPlot *f = &self->fmap;
  g_clear_pointer (&self->fmap_message, g_free);
  f->maps = NULL;
  f->t = self->cursor;
  f->dt = h->dt;
  if (h->n_layers == 0)
    return;
  const DvHistoryLayer *L = &h->layers[self->layer];
  f->layer_name = L->name;
  f->C = L->C;
  f->H = L->H;
  f->W = L->W;
  f->colormap = (DvColormap) gtk_drop_down_get_selected (self->colormap_dropdown);
  f->scope = (DvScaleScope) gtk_drop_down_get_selected (self->scope_dropdown);
  f->symmetric = self->diff || f->colormap == DV_COLORMAP_DIVERGING;
  f->value_label = self->diff ? _("Δ activation") : _("activation");
  f->sel_c = self->probe_c;
  f->sel_y = self->probe_y;
  f->sel_x = self->probe_x;

  const float *m = dv_history_layer_maps (h, self->cursor, self->layer);
  if (self->cursor > h->head)
    self->fmap_message = g_strdup ("computing…");
  else if (!dv_history_layer_present (h, self->cursor, self->layer))
    self->fmap_message = g_strdup_printf (_("%s has no response yet at t = %g ms (its input "
                                            "arrives after the feedforward delays)"),
                                          L->name, self->cursor * h->dt);
  else if (m == NULL)
    self->fmap_message = g_strdup (_("the maps of this step are no longer kept"));
  f->empty_message = self->fmap_message;
  if (self->fmap_message != NULL)
    return;

  gsize n = (gsize) L->C * L->H * L->W;
  if (!self->diff)
    f->maps = m;
  else
    {
      if (self->diff_len < n)
        {
          g_free (self->diff_maps);
          self->diff_maps = g_new (float, n);
          self->diff_len = n;
        }
      const float *prev = dv_history_layer_present (h, self->cursor - 1, self->layer)
                          ? dv_history_layer_maps (h, self->cursor - 1, self->layer) : NULL;
      for (gsize i = 0; i < n; i++)
        self->diff_maps[i] = m[i] - (prev ? prev[i] : 0);
      f->maps = self->diff_maps;
    }
  if (f->scope == DV_SCALE_GLOBAL)
    {
      update_global_range (self);
      f->global = self->global;
    }
}

static void
update_probe (DvLivePage *self)
{
  DvHistory *h = self->history;
  g_clear_pointer (&self->probe_series, dv_series_free);
  g_clear_pointer (&self->probe_name, g_free);
  if (h->n_layers == 0 || h->T == 0)
    return;
  const DvHistoryLayer *L = &h->layers[self->layer];
  self->probe_series = dv_history_unit_trace (h, self->layer, self->probe_c, self->probe_y,
                                              self->probe_x);
  self->probe_name = g_strdup_printf ("%s c%d (y %d, x %d)", L->name, self->probe_c,
                                      self->probe_y, self->probe_x);
  self->probe_color = dv_palette_layer (self->layer);
  self->probe.series = self->probe_series;
  self->probe.names = (const char *const *) &self->probe_name;
  self->probe.colors = &self->probe_color;
}

void
dv_live_page_update_views (DvLivePage *self)
{
  DvHistory *h = self->history;
  DvPlotTimeline tl = { h->flags, h->contrast, h->T, h->dt };
  int cursor = h->head >= 0 ? self->cursor : -1;

  self->responses.series = h->means;
  self->responses.names = (const char *const *) self->layer_names;
  self->responses.timeline = tl;
  self->responses.cursor = cursor;
  self->responses.highlight = self->layer;
  self->responses.normalise = gtk_switch_get_active (self->normalise_switch);

  update_probe (self);
  self->probe.timeline = tl;
  self->probe.cursor = cursor;

  update_fmap (self);

  self->readout.logits = h->logits;
  self->readout.class_names = (const char *const *) h->class_names;
  self->readout.timeline = tl;
  self->readout.cursor = cursor;
  /* foreign stimuli: the data set's label is not one of the model's classes */
  self->readout.label = h->readout_note != NULL ? -1 : h->label;
  self->readout.note = h->readout_note;

  self->latency.series = h->means;
  self->latency.names = (const char *const *) self->layer_names;
  self->latency.timeline = tl;
  self->latency.highlight = self->layer;

  self->stimulus.image = dv_history_input (h, self->cursor);
  self->stimulus.C = h->in_c;
  self->stimulus.H = h->in_h;
  self->stimulus.W = h->in_w;
  self->stimulus.mean = h->in_mean;
  self->stimulus.std = h->in_std;
  self->stimulus.timeline = tl;
  self->stimulus.cursor = cursor;
  g_free (self->stimulus_caption);
  self->stimulus_caption = h->label >= 0 && h->label_name != NULL
                           ? g_strdup_printf ("%s · label %d (%s)", h->caption ? h->caption : "",
                                              h->label, h->label_name)
                           : g_strdup (h->caption);
  self->stimulus.caption = self->stimulus_caption;

  /* the plots are borrowed by the views: re-set so they redraw */
  dv_plot_view_set_plot (self->responses_view, dv_responses_plot_as_plot (&self->responses));
  dv_plot_view_set_plot (self->probe_view, dv_responses_plot_as_plot (&self->probe));
  dv_plot_view_set_plot (self->fmap_view, dv_fmap_plot_as_plot (&self->fmap));
  dv_plot_view_set_plot (self->readout_view, dv_readout_plot_as_plot (&self->readout));
  dv_plot_view_set_plot (self->latency_view, dv_latency_plot_as_plot (&self->latency));
  dv_plot_view_set_plot (self->stimulus_view, dv_stimulus_plot_as_plot (&self->stimulus));

  /* transport */
  self->updating++;
  gtk_adjustment_set_upper (self->scrub_adjustment, MAX (h->T - 1, 0));
  gtk_adjustment_set_value (self->scrub_adjustment, self->pending_cursor >= 0
                                                    ? self->pending_cursor : self->cursor);
  self->updating--;
  g_autofree char *label = NULL;
  if (h->T == 0)
    label = g_strdup (_("no sequence"));
  else if (self->pending_cursor >= 0)
    label = g_strdup_printf (_("t = %g ms · step %d / %d · computing…"),
                             self->pending_cursor * h->dt, self->pending_cursor, h->T);
  else
    label = g_strdup_printf (_("t = %g ms · step %d / %d"), self->cursor * h->dt, self->cursor,
                             h->T);
  gtk_inscription_set_text (self->time_label, label);
  if (self->shown_playing != self->playing)
    {
      self->shown_playing = self->playing;
      gtk_button_set_icon_name (self->play_button, self->playing ? "media-playback-pause-symbolic"
                                                                 : "media-playback-start-symbolic");
    }
}

