/* dv-accels.h — the workbench's one table of keyboard shortcuts.
 *
 * What this is for: every shortcut of the application, in one place, with
 * the action it triggers.  The application installs the app.* and win.*
 * ones as accelerators (dv_accels_install); a page installs the ones of its
 * own action prefix ("live.", "arch.") with dv_accels_add_to_page, because
 * GTK 4.8 resolves application accelerators from the window, where the
 * actions a widget class installs are not visible.  gtk/help-overlay.ui
 * lists them all (tests/test-workbench.c checks that it does).
 * What this is not for: the actions themselves (each class's *-actions.c).
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct {
  const char *action;        /* detailed action name, e.g. "win.export-view::feature-maps" */
  const char *accels[3];     /* gtk_accelerator_parse syntax, NULL-terminated */
} DvAccel;

/* NULL-terminated (action == NULL). */
extern const DvAccel dv_accels[];

/* The app.* and win.* entries as the application's accelerators. */
void dv_accels_install (GtkApplication *app);
/* The entries whose action starts with `prefix` as keys of `page`: they
 * work wherever the focus is in its window while the page is on screen,
 * except that a text field with the focus keeps its keys. */
void dv_accels_add_to_page (GtkWidget *page, const char *prefix);
/* TRUE when a text field of widget's window has the keyboard focus (one inside
 * `within`, when within is not NULL): its keys are then the field's. */
gboolean dv_accels_text_has_focus (GtkWidget *widget, GtkWidget *within);

G_END_DECLS
