/* dv-live-page-stimuli.c — the live view's stimulus panel.
 *
 * What this is for: the Data set menu (the data sets the owner offers, a
 * chosen image folder or CIFAR batches folder), the sample picker (a grid
 * of thumbnails the owner draws, kept in step with the sample field), the
 * presentation widgets (mode, timesteps, intro, duration, interval,
 * contrast, noise; durations also in ms of the model's dt).  The widgets show
 * what the history says the current sequence is; an edit becomes
 * ::set-presentation / ::open-dataset / ::select-sample and shows once the
 * engine has built the new sequence.
 * What this is not for: reading data sets or building sequences (the owner
 * does, on its engine thread), files and folders (the window's actions).
 */
#include "dv-live-page-private.h"
#include "dv-ui.h"

#include <glib/gi18n-lib.h>

#include <stdlib.h>
#include <string.h>

/* Mode menu order -> DynVision loader names. */
static const char *const loaders[] = {
  "StimulusDuration", "StimulusInterval", "StimulusContrast", "StimulusNoise",
  "StimulusRepetition", "StimulusStandard",
};
static const char *const noise_types[] = {
  "uniform", "gaussian", "saltpepper", "poisson", "phasescrambled",
};
static const char *const chooser_items[] = { N_("Image folder…"), N_("CIFAR batches folder…") };

#define THUMB_SIZE 64

/* ---- presentation ------------------------------------------------------------------ */

void
dv_live_page_emit_presentation (DvLivePage *self, const char *const *assignments)
{
  g_signal_emit_by_name (self, "set-presentation", assignments);
}

static void
emit_one (DvLivePage *self, const char *key, const char *value)
{
  g_autofree char *a = g_strdup_printf ("%s=%s", key, value);
  const char *const assignments[] = { a, NULL };
  dv_live_page_emit_presentation (self, assignments);
}

static int
index_of (const char *const *names, guint n, const char *name)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (names[i], name) == 0)
      return (int) i;
  return -1;
}

static void
set_ms (GtkLabel *label, double steps, double dt)
{
  g_autofree char *text = g_strdup_printf (_("%g ms"), steps * dt);
  gtk_label_set_text (label, text);
}

/* Widgets <- "key=value key=value …" of the current sequence. */
void
dv_live_page_sync_presentation (DvLivePage *self)
{
  DvHistory *h = self->history;
  if (h->presentation_params == NULL)
    return;
  g_autoptr (GHashTable) kv = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto (GStrv) tokens = g_strsplit (h->presentation_params, " ", -1);
  for (int i = 0; tokens[i] != NULL; i++)
    {
      char *eq = strchr (tokens[i], '=');
      if (eq != NULL)
        g_hash_table_insert (kv, g_strndup (tokens[i], eq - tokens[i]), eq + 1);
    }
  const char *v;
  int loader = index_of (loaders, G_N_ELEMENTS (loaders), g_hash_table_lookup (kv, "loader"));
  int T = (v = g_hash_table_lookup (kv, "n_timesteps")) ? atoi (v) : h->T;
  int intro = (v = g_hash_table_lookup (kv, "intro_duration")) ? atoi (v) : 0;
  const char *stim_text = g_hash_table_lookup (kv, "stimulus_duration");
  /* "none": the noise loader shows the stimulus until the end */
  int stim = stim_text == NULL ? 0 : g_str_equal (stim_text, "none") ? T - intro : atoi (stim_text);
  int interval = (v = g_hash_table_lookup (kv, "interval_duration")) ? atoi (v) : 0;
  double contrast = (v = g_hash_table_lookup (kv, "stimulus_contrast")) ? g_ascii_strtod (v, NULL) : 1;
  double ssnr = (v = g_hash_table_lookup (kv, "ssnr")) ? g_ascii_strtod (v, NULL) : 1;
  int noise = index_of (noise_types, G_N_ELEMENTS (noise_types), g_hash_table_lookup (kv, "noise_type"));

  self->updating++;
  if (loader >= 0)
    gtk_drop_down_set_selected (self->mode_dropdown, loader);
  gtk_adjustment_set_value (self->steps_adjustment, T);
  gtk_adjustment_set_value (self->intro_adjustment, intro);
  gtk_adjustment_set_value (self->duration_adjustment, stim);
  gtk_adjustment_set_value (self->interval_adjustment, interval);
  gtk_adjustment_set_value (self->contrast_adjustment, contrast);
  gtk_adjustment_set_value (self->ssnr_adjustment, ssnr);
  if (noise >= 0)
    gtk_drop_down_set_selected (self->noise_dropdown, noise);
  self->updating--;

  /* only the settings the mode uses can be edited */
  gboolean timed = loader <= 3; /* duration, interval, contrast, noise */
  gtk_widget_set_sensitive (GTK_WIDGET (self->intro_spin), timed);
  gtk_widget_set_sensitive (GTK_WIDGET (self->duration_spin), timed);
  gtk_widget_set_sensitive (GTK_WIDGET (self->interval_spin), loader == 1);
  gtk_widget_set_sensitive (GTK_WIDGET (self->contrast_spin), loader == 2);
  gtk_widget_set_sensitive (GTK_WIDGET (self->noise_dropdown), loader == 3);
  gtk_widget_set_sensitive (GTK_WIDGET (self->ssnr_spin), loader == 3);

  set_ms (self->steps_ms, T, h->dt);
  int residual = (v = g_hash_table_lookup (kv, "n_residual_timesteps")) ? atoi (v) : 0;
  if (residual > 0)
    {
      /* the sequence on show is longer than the field: say by how much, and why */
      g_autofree char *text = g_strdup_printf (_("%g ms + %d residual"), T * h->dt, residual);
      g_autofree char *tip = g_strdup_printf (
        _("As DynVision tests and evaluates: %d blank steps are appended (the steps the input needs to "
          "reach the readout) and the labels are shifted by as many, so the sequence has %d steps and "
          "the readout is judged from %d steps after onset on"),
        residual, T + residual, residual);
      gtk_label_set_text (self->steps_ms, text);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->steps_ms), tip);
    }
  else
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->steps_ms), NULL);
  set_ms (self->intro_ms, intro, h->dt);
  set_ms (self->duration_ms, stim, h->dt);
  set_ms (self->interval_ms, interval, h->dt);
  g_autofree char *dt = g_strdup_printf (_("%g ms per timestep (the model's)"), h->dt);
  gtk_label_set_text (self->dt_label, dt);
}

static void
on_mode_changed (GObject *obj, GParamSpec *pspec, DvLivePage *self)
{
  guint i = gtk_drop_down_get_selected (self->mode_dropdown);
  if (self->updating || i >= G_N_ELEMENTS (loaders))
    return;
  emit_one (self, "loader", loaders[i]);
}

static void
on_noise_changed (GObject *obj, GParamSpec *pspec, DvLivePage *self)
{
  guint i = gtk_drop_down_get_selected (self->noise_dropdown);
  if (self->updating || i >= G_N_ELEMENTS (noise_types))
    return;
  emit_one (self, "noise_type", noise_types[i]);
}

static void
on_spin_changed (GtkAdjustment *adj, DvLivePage *self)
{
  if (self->updating)
    return;
  const char *key = adj == self->steps_adjustment ? "n_timesteps"
                    : adj == self->intro_adjustment ? "intro_duration"
                    : adj == self->duration_adjustment ? "stimulus_duration"
                    : adj == self->interval_adjustment ? "interval_duration"
                    : adj == self->contrast_adjustment ? "stimulus_contrast" : "ssnr";
  char value[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd (value, sizeof value, "%.4g", gtk_adjustment_get_value (adj));
  emit_one (self, key, value);
}

/* ---- data sets ---------------------------------------------------------------------- */

static guint
n_known (DvLivePage *self)
{
  return self->dataset_specs->len;
}

void
dv_live_page_add_dataset (DvLivePage *self, const char *spec, const char *label)
{
  g_return_if_fail (DV_IS_LIVE_PAGE (self) && spec != NULL);
  g_autofree char *fallback = label == NULL ? dv_ui_dataset_label (spec) : NULL;
  const char *const item[] = { label != NULL ? label : fallback, NULL };
  guint pos = n_known (self);
  for (guint i = 0; i < n_known (self); i++)
    if (g_str_equal (g_ptr_array_index (self->dataset_specs, i), spec))
      {
        if (label == NULL)
          return;
        pos = i; /* known already (it was on show first): give it its proper name */
      }
  self->updating++;
  guint selected = gtk_drop_down_get_selected (self->dataset_dropdown);
  if (pos < n_known (self))
    {
      gtk_string_list_splice (self->dataset_list, pos, 1, item);
      gtk_drop_down_set_selected (self->dataset_dropdown, selected);
    }
  else
    {
      g_ptr_array_add (self->dataset_specs, g_strdup (spec));
      gtk_string_list_splice (self->dataset_list, pos, 0, item);
      if (selected != GTK_INVALID_LIST_POSITION && selected >= pos)
        gtk_drop_down_set_selected (self->dataset_dropdown, selected + 1);
    }
  self->updating--;
}

static void
select_dataset_item (DvLivePage *self, const char *spec)
{
  if (spec == NULL)
    return;
  dv_live_page_add_dataset (self, spec, NULL);
  for (guint i = 0; i < n_known (self); i++)
    if (g_str_equal (g_ptr_array_index (self->dataset_specs, i), spec))
      {
        self->updating++;
        gtk_drop_down_set_selected (self->dataset_dropdown, i);
        self->updating--;
      }
}

static void
on_dataset_changed (GObject *obj, GParamSpec *pspec, DvLivePage *self)
{
  if (self->updating)
    return;
  guint i = gtk_drop_down_get_selected (self->dataset_dropdown);
  if (i == GTK_INVALID_LIST_POSITION)
    return;
  if (i < n_known (self))
    {
      const char *spec = g_ptr_array_index (self->dataset_specs, i);
      if (g_strcmp0 (spec, self->shown_dataset) != 0)
        gtk_widget_activate_action (GTK_WIDGET (self), "win.open-dataset", "s", spec);
      return;
    }
  /* a chooser item: the menu keeps showing the current data set until the
   * chosen one has arrived */
  select_dataset_item (self, self->shown_dataset);
  gtk_widget_activate_action (GTK_WIDGET (self), i == n_known (self) ? "win.open-folder"
                                                                     : "win.open-cifar-folder", NULL);
}

/* ---- samples ------------------------------------------------------------------------- */

static void
thumb_setup (GtkSignalListItemFactory *factory, GtkListItem *item, DvLivePage *self)
{
  GtkWidget *picture = gtk_picture_new ();
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), FALSE);
  gtk_widget_set_size_request (picture, THUMB_SIZE, THUMB_SIZE);
  gtk_widget_add_css_class (picture, "dv-thumb");
  gtk_list_item_set_child (item, picture);
}

static void
thumb_bind (GtkSignalListItemFactory *factory, GtkListItem *item, DvLivePage *self)
{
  GtkWidget *picture = gtk_list_item_get_child (item);
  int index = (int) gtk_list_item_get_position (item);
  g_autofree char *tooltip = NULL;
  g_autoptr (GdkTexture) texture = self->thumb_func != NULL
                                   ? self->thumb_func (index, &tooltip, self->thumb_data) : NULL;
  gtk_picture_set_paintable (GTK_PICTURE (picture), GDK_PAINTABLE (texture));
  if (tooltip == NULL)
    tooltip = g_strdup_printf ("#%d", index);
  gtk_widget_set_tooltip_text (picture, tooltip);
}

static void
thumb_unbind (GtkSignalListItemFactory *factory, GtkListItem *item, DvLivePage *self)
{
  gtk_picture_set_paintable (GTK_PICTURE (gtk_list_item_get_child (item)), NULL);
}

static void
select_thumb (DvLivePage *self, int sample)
{
  if (sample < 0 || sample >= self->n_samples)
    return;
  self->updating++;
  gtk_single_selection_set_selected (self->thumb_selection, sample);
  self->updating--;
  gtk_widget_activate_action (GTK_WIDGET (self->thumbs_view), "list.scroll-to-item", "u",
                              (guint) sample);
}

/* The picker follows the engine's sample once it has settled.  Selecting
 * and scrolling the grid costs 10-15 ms of CPU time (GTK lays the grid out at
 * once to scroll it; the first scroll of a freshly filled grid, 60-450 ms on
 * this machine), and a fast model run flat out goes through tens of samples a
 * second: following each would fill every frame with it.  So the picker
 * follows a sample when no other has come for THUMB_SETTLE_US (the sample
 * field and the stimulus view show each one meanwhile); the first sample of
 * the window is followed at once. */
#define THUMB_SETTLE_US (G_USEC_PER_SEC / 4)

static gboolean
follow_thumb_settled (gpointer data)
{
  DvLivePage *self = data;
  self->thumb_follow_source = 0;
  select_thumb (self, self->history->sample);
  return G_SOURCE_REMOVE;
}

static void
follow_thumb (DvLivePage *self)
{
  g_clear_handle_id (&self->thumb_follow_source, g_source_remove);
  if (!self->thumb_followed)
    {
      self->thumb_followed = TRUE;
      select_thumb (self, self->history->sample);
      return;
    }
  self->thumb_follow_source = g_timeout_add (THUMB_SETTLE_US / 1000, follow_thumb_settled, self);
}

static void
on_thumb_selected (GObject *obj, GParamSpec *pspec, DvLivePage *self)
{
  guint i = gtk_single_selection_get_selected (self->thumb_selection);
  if (self->updating || i == GTK_INVALID_LIST_POSITION)
    return;
  /* the sample field is the one place that asks for a sample */
  gtk_adjustment_set_value (self->sample_adjustment, i);
}

static void
fill_thumbs (DvLivePage *self)
{
  guint old = g_list_model_get_n_items (G_LIST_MODEL (self->thumb_model));
  /* the items are only positions: the factory draws sample i for item i */
  g_autofree char **items = g_new0 (char *, self->n_samples + 1);
  for (int i = 0; i < self->n_samples; i++)
    items[i] = (char *) "";
  self->updating++;
  gtk_string_list_splice (self->thumb_model, 0, old, (const char *const *) items);
  self->updating--;
}

void
dv_live_page_set_samples (DvLivePage *self, int n, DvLiveThumbnailFunc func, gpointer user_data,
                          GDestroyNotify destroy)
{
  g_return_if_fail (DV_IS_LIVE_PAGE (self));
  if (self->thumb_destroy != NULL)
    self->thumb_destroy (self->thumb_data);
  self->thumb_func = func;
  self->thumb_data = user_data;
  self->thumb_destroy = destroy;
  self->n_samples = MAX (n, 0);
  self->updating++;
  gtk_adjustment_set_upper (self->sample_adjustment, MAX (n - 1, 0));
  self->updating--;
  fill_thumbs (self);
  select_thumb (self, self->history->sample);
}

void
dv_live_page_set_n_samples (DvLivePage *self, int n)
{
  g_return_if_fail (DV_IS_LIVE_PAGE (self));
  dv_live_page_set_samples (self, n, NULL, NULL, NULL);
}

/* ---- following the history -------------------------------------------------------- */

void
dv_live_page_stimuli_changed (DvLivePage *self, gboolean new_sequence)
{
  DvHistory *h = self->history;
  if (!new_sequence || h->T == 0)
    return;
  if (g_strcmp0 (h->dataset, self->shown_dataset) != 0)
    {
      g_free (self->shown_dataset);
      self->shown_dataset = g_strdup (h->dataset);
      select_dataset_item (self, h->dataset);
    }
  if (h->n_samples != self->n_samples && self->thumb_func == NULL)
    dv_live_page_set_n_samples (self, h->n_samples);
  follow_thumb (self);
  dv_live_page_sync_presentation (self);
}

void
dv_live_page_init_stimuli (DvLivePage *self)
{
  self->dataset_specs = g_ptr_array_new_with_free_func (g_free);
  const char *const choosers[] = { _(chooser_items[0]), _(chooser_items[1]), NULL };
  gtk_string_list_splice (self->dataset_list, 0, 0, choosers);
  gtk_drop_down_set_selected (self->dataset_dropdown, GTK_INVALID_LIST_POSITION);

  self->thumb_model = gtk_string_list_new (NULL);
  self->thumb_selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->thumb_model)));
  gtk_single_selection_set_autoselect (self->thumb_selection, FALSE);
  gtk_single_selection_set_can_unselect (self->thumb_selection, TRUE);
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (thumb_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (thumb_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (thumb_unbind), self);
  gtk_grid_view_set_factory (self->thumbs_view, factory);
  g_object_unref (factory);
  gtk_grid_view_set_model (self->thumbs_view, GTK_SELECTION_MODEL (self->thumb_selection));
  g_signal_connect (self->thumb_selection, "notify::selected", G_CALLBACK (on_thumb_selected),
                    self);


}

void
dv_live_page_class_init_stimuli (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_callback (widget_class, on_dataset_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_mode_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_noise_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_spin_changed);
}

void
dv_live_page_finalize_stimuli (DvLivePage *self)
{
  if (self->thumb_destroy != NULL)
    self->thumb_destroy (self->thumb_data);
  self->thumb_destroy = NULL;
  g_clear_pointer (&self->dataset_specs, g_ptr_array_unref);
  g_clear_object (&self->thumb_selection);
  g_clear_object (&self->thumb_model);
  g_clear_pointer (&self->shown_dataset, g_free);
}
