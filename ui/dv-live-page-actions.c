/* dv-live-page-actions.c — every action and key of the live view: the
 * transport (live.toggle-play, live.step-back, live.step-forward,
 * live.first, live.last) and the stimulus (live.previous-stimulus,
 * live.next-stimulus), installed in DvLivePage's class_init, and the keys
 * that drive them (Space, ←/→, Home/End, Page Up/Down).
 *
 * The keys come from the one shortcut table (dv-accels.c): they work
 * wherever the focus is in the window while the live view is on screen,
 * except in a text field (Space types a space there).
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
