/* dv-live-page-actions.c — every action and key of the live view: the
 * transport (live.toggle-play, live.step-back, live.step-forward,
 * live.first, live.last) and the stimulus (live.previous-stimulus,
 * live.next-stimulus), installed in DvLivePage's class_init, and the keys
 * that drive them (Space, ←/→, Home/End, Page Up/Down).
 *
 * The keys come from the one shortcut table (dv-accels.c): they work
 * wherever the focus is in the window while the live view is on screen,
 * except in a text field (Space types a space there).
 * The fields: Enter or Escape in a text field hands the keys back to the
 * transport, and the wheel over an unfocused spin button scrolls the sidebar.
 * What this is for: what the transport does on input.  What it is not for:
 * the cursor itself (dv-live-page.c).
 */
#include "dv-live-page-private.h"
#include "dv-accels.h"

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

void
dv_live_page_init_shortcuts (DvLivePage *self)
{
  dv_accels_add_to_page (GTK_WIDGET (self), "live.");
}

/* ---- fields ---------------------------------------------------------------------------- */

static gboolean
refocus_transport (gpointer data)
{
  dv_live_page_focus_transport (data);
  return G_SOURCE_REMOVE;
}

/* Capture phase: Enter still reaches the field (it commits the value), then
 * the focus goes back to the play button; Escape goes back at once. */
static gboolean
on_field_key (GtkEventControllerKey *ctl, guint keyval, guint keycode, GdkModifierType state,
              DvLivePage *self)
{
  if (!dv_accels_text_has_focus (GTK_WIDGET (self), GTK_WIDGET (self)) || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0)
    return FALSE;
  if (keyval == GDK_KEY_Escape)
    {
      dv_live_page_focus_transport (self);
      return TRUE;
    }
  if (keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter)
    g_idle_add_full (G_PRIORITY_DEFAULT, refocus_transport, g_object_ref (self), g_object_unref);
  return FALSE;
}

static gboolean
on_spin_scroll (GtkEventControllerScroll *ctl, double dx, double dy, DvLivePage *self)
{
  GtkWidget *spin = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (ctl));
  GtkRoot *root = gtk_widget_get_root (spin);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  if (focus != NULL && (focus == spin || gtk_widget_is_ancestor (focus, spin)))
    return FALSE;   /* a focused spin button takes the wheel, as it always did */
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->sidebar);
  gboolean smooth = gtk_event_controller_scroll_get_unit (ctl) == GDK_SCROLL_UNIT_SURFACE;
  gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj) + dy * (smooth ? 1 : 48));
  return TRUE;
}

static void
catch_spin_scrolls (DvLivePage *self, GtkWidget *w)
{
  if (GTK_IS_SPIN_BUTTON (w))
    {
      GtkEventController *c = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
      gtk_event_controller_set_propagation_phase (c, GTK_PHASE_CAPTURE);
      g_signal_connect (c, "scroll", G_CALLBACK (on_spin_scroll), self);
      gtk_widget_add_controller (w, c);
      return;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL; c = gtk_widget_get_next_sibling (c))
    catch_spin_scrolls (self, c);
}

void
dv_live_page_init_field_keys (DvLivePage *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_field_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  catch_spin_scrolls (self, GTK_WIDGET (self->sidebar));
}
