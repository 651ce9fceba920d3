/* dv-architecture-page-fields.c — the Architecture page's fields: one row
 * (label, widget, message) per setting of the model, the selected area and
 * the selected connection, built from one table, and the edits they make.
 *
 * What this is for: turning a DvArchEdit path into a widget and back; every
 * change goes through dv_arch_edit_set, a refused one keeps the typed text
 * and shows the reason under the field until the field is valid again.
 * What this is not for: validation (engine/dv-arch-edit.c) or the rest of
 * the page (dv-architecture-page.c).
 */
#include "dv-architecture-page-private.h"

#include <glib/gi18n-lib.h>
#include <string.h>

static const char *const solver_opts[] = { "euler", "rk4", NULL };
static const char *const rec_opts[] = { "none", "self", "full", "depthpointwise", "pointdepthwise",
                                        "local", "localdepthwise", NULL };
/* the model-wide one: "mixed" shows areas that differ; choosing it changes nothing */
static const char *const rec_all_opts[] = { "none", "self", "full", "depthpointwise", "pointdepthwise",
                                            "local", "localdepthwise", "mixed", NULL };
static const char *const target_opts[] = { "output", "middle", "input", NULL };
static const char *const pool_opts[] = { "none", "max", "avg", NULL };
static const char *const integ_opts[] = { "additive", "multiplicative", NULL };

static const DvArchField field_defs[] = {
  { DV_ARCH_SCOPE_MODEL, "dt", N_("dt (ms)"), N_("Integration step of every area") },
  { DV_ARCH_SCOPE_MODEL, "tau", N_("tau (ms)"), N_("Time constant of every area (sets each area's tau; \"mixed\": the areas differ)") },
  { DV_ARCH_SCOPE_MODEL, "t_feedforward", N_("t_feedforward (ms)"), N_("Feedforward delay of every area (\"mixed\": the areas differ)") },
  { DV_ARCH_SCOPE_MODEL, "t_recurrence", N_("t_recurrence (ms)"), N_("Recurrence delay of every area (\"mixed\": the areas differ)") },
  { DV_ARCH_SCOPE_MODEL, "t_skip", N_("t_skip (ms)"), N_("Delay of every skip connection") },
  { DV_ARCH_SCOPE_MODEL, "t_feedback", N_("t_feedback (ms)"), N_("Delay of every feedback connection") },
  { DV_ARCH_SCOPE_MODEL, "dynamics_solver", N_("Solver"), N_("Euler or RK4 integration of the leaky dynamics"), solver_opts },
  { DV_ARCH_SCOPE_MODEL, "idle_timesteps", N_("Idle timesteps"), N_("Steps run before each sequence, not shown") },
  { DV_ARCH_SCOPE_MODEL, "recurrence_type", N_("Recurrence (every area)"),
    N_("Lateral recurrence of every area (an area's own field below sets it alone; \"mixed\": the areas differ)"),
    rec_all_opts },
  { DV_ARCH_SCOPE_MODEL, "feedforward_only", N_("Feedforward only"), N_("Switch off skip and feedback connections"), NULL, TRUE },
  { DV_ARCH_SCOPE_AREA, "name", N_("Name"), N_("The area's name (module names follow it)") },
  { DV_ARCH_SCOPE_AREA, "channels", N_("Channels"), N_("Output channels (the next area's input)") },
  { DV_ARCH_SCOPE_AREA, "kernel", N_("Kernel"), N_("Feedforward convolution kernel (its pre-convolution when it has one)") },
  { DV_ARCH_SCOPE_AREA, "stride", N_("Stride"), N_("Feedforward convolution stride") },
  { DV_ARCH_SCOPE_AREA, "pool", N_("Pooling"), N_("Pooling after the area"), pool_opts },
  { DV_ARCH_SCOPE_AREA, "pool_kernel", N_("Pool kernel"), N_("Pooling kernel") },
  { DV_ARCH_SCOPE_AREA, "pool_stride", N_("Pool stride"), N_("Pooling stride") },
  { DV_ARCH_SCOPE_AREA, "recurrence_type", N_("Recurrence"), N_("Lateral recurrence of the area"), rec_opts },
  { DV_ARCH_SCOPE_AREA, "recurrence_target", N_("Recurrence target"), N_("Where the recurrence is added"), target_opts },
  { DV_ARCH_SCOPE_AREA, "recurrence_kernel", N_("Recurrence kernel"), N_("Kernel of the recurrent convolution") },
  { DV_ARCH_SCOPE_AREA, "tau", N_("tau (ms)"), N_("This area's time constant") },
  { DV_ARCH_SCOPE_AREA, "t_feedforward", N_("t_feedforward (ms)"), N_("This area's feedforward delay") },
  { DV_ARCH_SCOPE_AREA, "t_recurrence", N_("t_recurrence (ms)"), N_("This area's recurrence delay") },
  { DV_ARCH_SCOPE_CONN, "delay", N_("Delay (ms)"), N_("The connection's delay") },
  { DV_ARCH_SCOPE_CONN, "integration", N_("Integration"), N_("x + h (additive) or x·(1 + tanh h) (multiplicative)"), integ_opts },
  { DV_ARCH_SCOPE_CONN, "source", N_("Source"), N_("Area it reads") },
  { DV_ARCH_SCOPE_CONN, "target", N_("Target"), N_("Area it adds into") },
};

G_STATIC_ASSERT (G_N_ELEMENTS (field_defs) == DV_ARCH_N_FIELDS);

/* ---- paths ------------------------------------------------------------------------- */

static char *
field_path (DvArchitecturePage *self, const DvArchField *f)
{
  const DvModelDesc *d = dv_arch_edit_get_desc (self->edit);
  if (f->scope == DV_ARCH_SCOPE_MODEL)
    return g_strdup (f->key);
  if (f->scope == DV_ARCH_SCOPE_AREA)
    return self->area < d->n_layers ? g_strdup_printf ("%s.%s", d->layers[self->area].name, f->key)
                                    : NULL;
  if (self->conn >= d->n_conns)
    return NULL;
  g_autofree char *prefix = dv_arch_edit_conn_path (d, self->conn);
  return g_strdup_printf ("%s.%s", prefix, f->key);
}

DvArchField *
dv_architecture_page_field_for_path (DvArchitecturePage *self, const char *path)
{
  if (self->edit == NULL)
    return NULL;
  for (guint i = 0; i < DV_ARCH_N_FIELDS; i++)
    {
      g_autofree char *p = field_path (self, &self->fields[i]);
      if (p != NULL && g_strcmp0 (p, path) == 0)
        return &self->fields[i];
    }
  return NULL;
}

GtkWidget *
dv_architecture_page_field_widget (DvArchitecturePage *self, const char *key, DvArchScope scope)
{
  for (guint i = 0; i < DV_ARCH_N_FIELDS; i++)
    if (self->fields[i].scope == scope && g_str_equal (self->fields[i].key, key))
      return self->fields[i].widget;
  return NULL;
}

/* ---- showing and marking ----------------------------------------------------------- */

static int
option_index (const char *const *options, const char *value)
{
  for (int i = 0; options[i]; i++)
    if (g_strcmp0 (options[i], value) == 0)
      return i;
  return -1;
}

static void
clear_field_error (DvArchField *f)
{
  g_clear_pointer (&f->refused_path, g_free);
  g_clear_pointer (&f->refused_over, g_free);
  gtk_widget_remove_css_class (f->widget, "error");
  gtk_label_set_text (f->message, "");
  gtk_widget_set_visible (GTK_WIDGET (f->message), FALSE);
}

static void
show_field_error (DvArchField *f, const char *message)
{
  gtk_widget_add_css_class (f->widget, "error");
  gtk_label_set_text (f->message, message);
  gtk_widget_set_visible (GTK_WIDGET (f->message), TRUE);
}

void
dv_architecture_page_refresh_fields (DvArchitecturePage *self)
{
  self->updating++;
  for (guint i = 0; i < DV_ARCH_N_FIELDS; i++)
    {
      DvArchField *f = &self->fields[i];
      g_autofree char *path = field_path (self, f);
      g_autofree char *value = path ? dv_arch_edit_get (self->edit, path, NULL) : NULL;
      if (f->refused_path != NULL && g_strcmp0 (path, f->refused_path) == 0
          && g_strcmp0 (value, f->refused_over) == 0)
        continue; /* still as typed, with its message */
      gtk_widget_set_sensitive (f->widget, value != NULL);
      if (f->options)
        {
          /* a value the options lack selects nothing rather than one that does not run */
          int k = option_index (f->options, value);
          gtk_drop_down_set_selected (GTK_DROP_DOWN (f->widget), k >= 0 ? (guint) k : GTK_INVALID_LIST_POSITION);
        }
      else if (f->boolean)
        gtk_switch_set_active (GTK_SWITCH (f->widget), g_strcmp0 (value, "true") == 0);
      else
        gtk_editable_set_text (GTK_EDITABLE (f->widget), value ? value : "");
      clear_field_error (f);
    }
  self->updating--;
}

/* ---- edits ------------------------------------------------------------------------- */

gboolean
dv_architecture_page_set_field (DvArchitecturePage *self, const char *path, const char *value,
                                GError **error)
{
  g_return_val_if_fail (DV_IS_ARCHITECTURE_PAGE (self) && path != NULL && value != NULL, FALSE);
  if (self->edit == NULL)
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, _("no model to edit yet"));
      return FALSE;
    }
  DvArchField *f = dv_architecture_page_field_for_path (self, path);
  g_autoptr (GError) local = NULL;
  if (!dv_arch_edit_set (self->edit, path, value, &local))
    {
      if (f != NULL)
        {
          /* the field keeps what was refused (typed, or set by --edit), marked, until fixed */
          if (GTK_IS_EDITABLE (f->widget)
              && g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (f->widget)), value) != 0)
            {
              self->updating++;
              gtk_editable_set_text (GTK_EDITABLE (f->widget), value);
              self->updating--;
            }
          show_field_error (f, local->message);
          f->refused_path = g_strdup (path);
          f->refused_over = dv_arch_edit_get (self->edit, path, NULL);
        }
      else
        dv_architecture_page_emit_error (self, local->message);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  dv_architecture_page_refresh (self);
  return TRUE;
}

static void
commit_field (DvArchitecturePage *self, DvArchField *f, const char *value)
{
  if (self->updating || self->edit == NULL)
    return;
  g_autofree char *path = field_path (self, f);
  g_autofree char *now = path ? dv_arch_edit_get (self->edit, path, NULL) : NULL;
  if (path == NULL)
    return;
  if (g_strcmp0 (now, value) == 0)
    {
      clear_field_error (f);   /* typed back to what runs: valid again */
      return;
    }
  dv_architecture_page_set_field (self, path, value, NULL);
}

static void
on_entry_activate (GtkEntry *entry, DvArchitecturePage *self)
{
  commit_field (self, g_object_get_data (G_OBJECT (entry), "dv-field"),
                gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
on_entry_leave (GtkEventControllerFocus *ctl, DvArchitecturePage *self)
{
  GtkWidget *entry = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (ctl));
  commit_field (self, g_object_get_data (G_OBJECT (entry), "dv-field"),
                gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
on_drop_changed (GtkDropDown *drop, GParamSpec *pspec, DvArchitecturePage *self)
{
  DvArchField *f = g_object_get_data (G_OBJECT (drop), "dv-field");
  guint i = gtk_drop_down_get_selected (drop);
  if (i < g_strv_length ((char **) f->options) && g_strcmp0 (f->options[i], "mixed") != 0)
    commit_field (self, f, f->options[i]);
}

static void
on_switch_changed (GtkSwitch *sw, GParamSpec *pspec, DvArchitecturePage *self)
{
  commit_field (self, g_object_get_data (G_OBJECT (sw), "dv-field"),
                gtk_switch_get_active (sw) ? "true" : "false");
}

/* ---- building ---------------------------------------------------------------------- */

static GtkWidget *
field_widget (DvArchitecturePage *self, DvArchField *f)
{
  GtkWidget *w;
  if (f->options)
    {
      w = gtk_drop_down_new_from_strings (f->options);
      g_signal_connect (w, "notify::selected", G_CALLBACK (on_drop_changed), self);
    }
  else if (f->boolean)
    {
      w = gtk_switch_new ();
      gtk_widget_set_halign (w, GTK_ALIGN_START);
      g_signal_connect (w, "notify::active", G_CALLBACK (on_switch_changed), self);
    }
  else
    {
      w = gtk_entry_new ();
      gtk_editable_set_width_chars (GTK_EDITABLE (w), 10);
      g_signal_connect (w, "activate", G_CALLBACK (on_entry_activate), self);
      GtkEventController *focus = gtk_event_controller_focus_new ();
      g_signal_connect (focus, "leave", G_CALLBACK (on_entry_leave), self);
      gtk_widget_add_controller (w, focus);
    }
  gtk_widget_set_hexpand (w, TRUE);
  gtk_widget_set_tooltip_text (w, _(f->tip));
  g_object_set_data (G_OBJECT (w), "dv-field", f);
  return w;
}

/* The rows are generated from field_defs (the template holds the three
 * grids): label and widget, and the message row under them. */
void
dv_architecture_page_build_fields (DvArchitecturePage *self)
{
  memcpy (self->fields, field_defs, sizeof field_defs);
  GtkGrid *grids[] = { self->model_grid, self->area_grid, self->conn_grid };
  int rows[G_N_ELEMENTS (grids)] = { 0 };
  for (guint i = 0; i < DV_ARCH_N_FIELDS; i++)
    {
      DvArchField *f = &self->fields[i];
      GtkWidget *label = gtk_label_new (_(f->label));
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_set_tooltip_text (label, _(f->tip));
      f->widget = field_widget (self, f);
      f->message = GTK_LABEL (gtk_label_new (""));
      gtk_label_set_wrap (f->message, TRUE);
      gtk_label_set_xalign (f->message, 0);
      gtk_label_set_selectable (f->message, TRUE);
      gtk_label_set_max_width_chars (f->message, 40);
      gtk_widget_add_css_class (GTK_WIDGET (f->message), "error");
      gtk_widget_add_css_class (GTK_WIDGET (f->message), "caption");
      gtk_widget_set_visible (GTK_WIDGET (f->message), FALSE);
      GtkGrid *grid = grids[f->scope];
      int row = rows[f->scope];
      gtk_grid_attach (grid, label, 0, row, 1, 1);
      gtk_grid_attach (grid, f->widget, 1, row, 1, 1);
      gtk_grid_attach (grid, GTK_WIDGET (f->message), 0, row + 1, 2, 1);
      rows[f->scope] += 2;
    }
}
