/* dv-architecture-page-actions.c — every action and shortcut of the
 * Architecture page, installed in its class_init (dv-architecture-page.h
 * lists them).
 *
 * What this is for: what the page's buttons and keys do.  What it is not
 * for: building widgets (the template) or refreshing them
 * (dv-architecture-page.c).
 */
#include "dv-architecture-page-private.h"
#include "dv-accels.h"

#include <glib/gi18n-lib.h>

static void
report_error (DvArchitecturePage *self, GError *error)
{
  dv_architecture_page_emit_error (self, error->message);
  g_error_free (error);
}

static void
action_apply (GtkWidget *widget, const char *name, GVariant *param)
{
  DvArchitecturePage *self = DV_ARCHITECTURE_PAGE (widget);
  if (self->edit == NULL)
    return;
  dv_architecture_page_refresh (self);
  if (!dv_arch_edit_is_modified (self->edit))
    return;
  dv_architecture_page_set_report (self, _("Applying…"));
  g_signal_emit (self, dv_architecture_page_signal_apply, 0, dv_arch_edit_get_desc (self->edit));
}

static void
action_reset (GtkWidget *widget, const char *name, GVariant *param)
{
  g_signal_emit (widget, dv_architecture_page_signal_reset, 0, g_str_equal (name, "arch.full-reset"));
}

static void
action_undo (GtkWidget *widget, const char *name, GVariant *param)
{
  DvArchitecturePage *self = DV_ARCHITECTURE_PAGE (widget);
  if (self->edit == NULL)
    return;
  /* undoing a Use Preset takes its preset out of the edit, redoing puts it back */
  gboolean undo = g_str_equal (name, "arch.undo");
  const char *step = undo ? dv_arch_edit_undo_label (self->edit) : dv_arch_edit_redo_label (self->edit);
  gboolean preset = step != NULL && g_str_has_prefix (step, "preset ");
  if (!(undo ? dv_arch_edit_undo (self->edit) : dv_arch_edit_redo (self->edit)))
    return;
  if (preset)
    self->preset_steps = MAX (self->preset_steps + (undo ? -1 : 1), 0);
  dv_architecture_page_refresh (self);
}

static void
action_use_preset (GtkWidget *widget, const char *name, GVariant *param)
{
  DvArchitecturePage *self = DV_ARCHITECTURE_PAGE (widget);
  const char *preset = dv_architecture_page_get_preset (self);
  GError *error = NULL;
  if (self->edit == NULL || preset == NULL)
    return;
  if (!dv_arch_edit_load_preset (self->edit, preset, &error))
    return report_error (self, error);
  self->area = self->conn = 0;
  self->preset_steps++;
  /* the report of the last apply said what happened to another model's weights; this one
   * says what Apply will do with them */
  dv_architecture_page_report_preset (self);
  dv_architecture_page_refresh (self);
}

static void
action_add_area (GtkWidget *widget, const char *name, GVariant *param)
{
  DvArchitecturePage *self = DV_ARCHITECTURE_PAGE (widget);
  GError *error = NULL;
  if (self->edit == NULL)
    return;
  if (!dv_arch_edit_add_area (self->edit, self->area + 1, NULL, &error))
    return report_error (self, error);
  self->area++;
  dv_architecture_page_refresh (self);
}

static void
action_move_or_remove_area (GtkWidget *widget, const char *name, GVariant *param)
{
  DvArchitecturePage *self = DV_ARCHITECTURE_PAGE (widget);
  if (self->edit == NULL)
    return;
  const DvModelDesc *d = dv_arch_edit_get_desc (self->edit);
  if (self->area >= d->n_layers)
    return;
  g_autofree char *area = g_strdup (d->layers[self->area].name);
  int delta = param != NULL ? g_variant_get_int32 (param) : 0;
  GError *error = NULL;
  gboolean ok = delta != 0 ? dv_arch_edit_move_area (self->edit, area, delta, &error)
                           : dv_arch_edit_remove_area (self->edit, area, &error);
  if (!ok)
    return report_error (self, error);
  self->area += delta;
  dv_architecture_page_refresh (self);
}

static void
action_add_connection (GtkWidget *widget, const char *name, GVariant *param)
{
  DvArchitecturePage *self = DV_ARCHITECTURE_PAGE (widget);
  if (self->edit == NULL)
    return;
  const DvModelDesc *d = dv_arch_edit_get_desc (self->edit);
  guint s = gtk_drop_down_get_selected (self->src_pick), t = gtk_drop_down_get_selected (self->tgt_pick);
  if (s >= (guint) d->n_layers || t >= (guint) d->n_layers)
    return;
  DvConnKind kind = gtk_drop_down_get_selected (self->kind_pick) == 0 ? DV_CONN_SKIP : DV_CONN_FEEDBACK;
  GError *error = NULL;
  if (!dv_arch_edit_add_conn (self->edit, kind, d->layers[s].name, d->layers[t].name, &error))
    return report_error (self, error);
  self->conn = dv_arch_edit_get_desc (self->edit)->n_conns - 1;
  dv_architecture_page_refresh (self);
}

static void
action_remove_connection (GtkWidget *widget, const char *name, GVariant *param)
{
  DvArchitecturePage *self = DV_ARCHITECTURE_PAGE (widget);
  if (self->edit == NULL)
    return;
  const DvModelDesc *d = dv_arch_edit_get_desc (self->edit);
  if (self->conn >= d->n_conns)
    return;
  const DvConnDesc *c = &d->conns[self->conn];
  g_autofree char *src = g_strdup (c->source), *tgt = g_strdup (c->target);
  GError *error = NULL;
  if (!dv_arch_edit_remove_conn (self->edit, c->kind, src, tgt, &error))
    return report_error (self, error);
  dv_architecture_page_refresh (self);
}

/* Ctrl+Z, Ctrl+Shift+Z, Ctrl+Return from the one shortcut table (dv-accels.c). */
void
dv_architecture_page_init_shortcuts (DvArchitecturePage *self)
{
  dv_accels_add_to_page (GTK_WIDGET (self), "arch.");
}

void
dv_architecture_page_class_init_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "arch.apply", NULL, action_apply);
  gtk_widget_class_install_action (klass, "arch.soft-reset", NULL, action_reset);
  gtk_widget_class_install_action (klass, "arch.full-reset", NULL, action_reset);
  gtk_widget_class_install_action (klass, "arch.undo", NULL, action_undo);
  gtk_widget_class_install_action (klass, "arch.redo", NULL, action_undo);
  gtk_widget_class_install_action (klass, "arch.use-preset", NULL, action_use_preset);
  gtk_widget_class_install_action (klass, "arch.add-area", NULL, action_add_area);
  gtk_widget_class_install_action (klass, "arch.move-area", "i", action_move_or_remove_area);
  gtk_widget_class_install_action (klass, "arch.remove-area", NULL, action_move_or_remove_area);
  gtk_widget_class_install_action (klass, "arch.add-connection", NULL, action_add_connection);
  gtk_widget_class_install_action (klass, "arch.remove-connection", NULL, action_remove_connection);
}
