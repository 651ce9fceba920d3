/* dv-accels.c — the table of keyboard shortcuts and its two installers
 * (see dv-accels.h). */
#include "dv-accels.h"

#include <string.h>

const DvAccel dv_accels[] = {
  /* the window and the application */
  { "win.open", { "<Control>o", NULL } },
  { "win.save-project", { "<Control>s", NULL } },
  { "win.save-project-as", { "<Control><Shift>s", NULL } },
  { "win.export-shown", { "<Control>e", NULL } },
  { "win.export-all", { "<Control><Shift>e", NULL } },
  { "win.show-training", { "<Control>t", NULL } },
  { "win.show-editor(false)", { "<Alt>1", NULL } },
  { "win.show-editor(true)", { "<Alt>2", NULL } },
  { "win.show-help-overlay", { "F1", "<Control>question", NULL } },
  { "app.quit", { "<Control>q", NULL } },
  /* the live view (dv-live-page-actions.c) */
  { "live.toggle-play", { "space", NULL } },
  { "live.step-back", { "Left", NULL } },
  { "live.step-forward", { "Right", NULL } },
  { "live.first", { "Home", NULL } },
  { "live.last", { "End", NULL } },
  { "live.previous-stimulus", { "Page_Up", NULL } },
  { "live.next-stimulus", { "Page_Down", NULL } },
  /* the Architecture page (dv-architecture-page-actions.c) */
  { "arch.undo", { "<Control>z", NULL } },
  { "arch.redo", { "<Control><Shift>z", NULL } },
  { "arch.apply", { "<Control>Return", NULL } },
  { NULL, { NULL } },
};

void
dv_accels_install (GtkApplication *app)
{
  for (const DvAccel *a = dv_accels; a->action != NULL; a++)
    if (g_str_has_prefix (a->action, "app.") || g_str_has_prefix (a->action, "win."))
      gtk_application_set_accels_for_action (app, a->action, a->accels);
}

gboolean
dv_accels_text_has_focus (GtkWidget *widget, GtkWidget *within)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  return focus != NULL && (GTK_IS_EDITABLE (focus) || GTK_IS_TEXT (focus))
         && (within == NULL || gtk_widget_is_ancestor (focus, within));
}

static gboolean
on_key (GtkWidget *page, GVariant *args, gpointer user_data)
{
  if (!gtk_widget_get_mapped (page))
    return FALSE;   /* another page is on screen */
  if (dv_accels_text_has_focus (page, NULL))
    return FALSE;   /* Space, arrows, Ctrl+Z … are the text field's */
  return gtk_widget_activate_action (page, g_variant_get_string (args, NULL), NULL);
}

void
dv_accels_add_to_page (GtkWidget *page, const char *prefix)
{
  GtkEventController *ctl = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (ctl), GTK_SHORTCUT_SCOPE_GLOBAL);
  gtk_event_controller_set_propagation_phase (ctl, GTK_PHASE_CAPTURE);
  for (const DvAccel *a = dv_accels; a->action != NULL; a++)
    {
      if (!g_str_has_prefix (a->action, prefix))
        continue;
      for (int i = 0; a->accels[i] != NULL; i++)
        {
          guint key;
          GdkModifierType mods;
          gboolean ok = gtk_accelerator_parse (a->accels[i], &key, &mods);
          g_assert (ok);
          GtkShortcut *s = gtk_shortcut_new (gtk_keyval_trigger_new (key, mods),
                                             gtk_callback_action_new (on_key, NULL, NULL));
          gtk_shortcut_set_arguments (s, g_variant_new_string (a->action));
          gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (ctl), s);
        }
    }
  gtk_widget_add_controller (page, ctl);
}
