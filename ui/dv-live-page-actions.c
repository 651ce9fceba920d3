/* dv-live-page-actions.c — every action and key of the live view: the
 * transport (live.toggle-play, live.step-back, live.step-forward,
 * live.first, live.last) and the stimulus (live.previous-stimulus,
 * live.next-stimulus), installed in DvLivePage's class_init, and the keys
 * that drive them (Space, ←/→, Home/End, Page Up/Down; listed in
 * gtk/help-overlay.ui).
 *
 * The keys are a global-scope shortcut controller of the page: they work
 * wherever the focus is in the window while the live view is on screen,
 * except in a text field (Space types a space there).  Window-wide keys
 * (Ctrl+O, Ctrl+S, …) are the application's accelerators
 * (app/workbench/dv-wb-application.c).
 * What this is for: what the transport does on input.  What it is not for:
 * the cursor itself (dv-live-page.c).
 */
#include "dv-live-page-private.h"

static void
action_toggle_play (GtkWidget *widget, const char *name, GVariant *param)
{
  DvLivePage *self = DV_LIVE_PAGE (widget);
  dv_live_page_set_playing (self, !self->playing);
}

static void
action_step (GtkWidget *widget, const char *name, GVariant *param)
{
  DvLivePage *self = DV_LIVE_PAGE (widget);
  int T = self->history->T;
  int delta = g_str_equal (name, "live.step-back") ? -1
            : g_str_equal (name, "live.step-forward") ? 1
            : g_str_equal (name, "live.first") ? -T : T;
  dv_live_page_step_by (self, delta);
}

static void
action_stimulus (GtkWidget *widget, const char *name, GVariant *param)
{
  DvLivePage *self = DV_LIVE_PAGE (widget);
  gboolean next = g_str_equal (name, "live.next-stimulus");
  gtk_spin_button_spin (self->sample_spin, next ? GTK_SPIN_STEP_FORWARD : GTK_SPIN_STEP_BACKWARD, 1);
}

void
dv_live_page_class_init_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "live.toggle-play", NULL, action_toggle_play);
  gtk_widget_class_install_action (klass, "live.step-back", NULL, action_step);
  gtk_widget_class_install_action (klass, "live.step-forward", NULL, action_step);
  gtk_widget_class_install_action (klass, "live.first", NULL, action_step);
  gtk_widget_class_install_action (klass, "live.last", NULL, action_step);
  gtk_widget_class_install_action (klass, "live.next-stimulus", NULL, action_stimulus);
  gtk_widget_class_install_action (klass, "live.previous-stimulus", NULL, action_stimulus);
}

/* The keys, in the order of the shortcuts window. */
static const struct { guint key; const char *action; } keys[] = {
  { GDK_KEY_space, "live.toggle-play" },
  { GDK_KEY_Left, "live.step-back" },
  { GDK_KEY_Right, "live.step-forward" },
  { GDK_KEY_Home, "live.first" },
  { GDK_KEY_End, "live.last" },
  { GDK_KEY_Page_Up, "live.previous-stimulus" },
  { GDK_KEY_Page_Down, "live.next-stimulus" },
};

static gboolean
on_key (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  if (!gtk_widget_get_mapped (widget))
    return FALSE;   /* another page is on screen */
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  if (focus != NULL && (GTK_IS_EDITABLE (focus) || GTK_IS_TEXT (focus)))
    return FALSE;
  return gtk_widget_activate_action (widget, g_variant_get_string (args, NULL), NULL);
}

void
dv_live_page_init_shortcuts (DvLivePage *self)
{
  GtkEventController *ctl = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (ctl), GTK_SHORTCUT_SCOPE_GLOBAL);
  gtk_event_controller_set_propagation_phase (ctl, GTK_PHASE_CAPTURE);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GtkShortcut *s = gtk_shortcut_new (gtk_keyval_trigger_new (keys[i].key, 0),
                                         gtk_callback_action_new (on_key, NULL, NULL));
      gtk_shortcut_set_arguments (s, g_variant_new_string (keys[i].action));
      gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (ctl), s);
    }
  gtk_widget_add_controller (GTK_WIDGET (self), ctl);
}
