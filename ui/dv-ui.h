/* dv-ui.h — the workbench's widget library in one include, and its set-up.
 *
 * What this is for: registering the GResource (templates, CSS) and the
 * widget types before any window is built, and loading the style sheet.
 * What this is not for: the application object (app/workbench/).
 */
#pragma once

#include <gtk/gtk.h>

#include "dv-history.h"
#include "dv-plot-view.h"
#include "dv-wb-window.h"

G_BEGIN_DECLS

/* Registers the resources and types; safe to call more than once.  With a
 * display, also installs the style sheet for it. */
void dv_ui_init (void);

/* Renders a shown widget (e.g. a whole window) with its own renderer and
 * saves it as a PNG.  Call it a frame after the last change (e.g. from a
 * tick callback): until the widget has been redrawn it fails. */
gboolean dv_ui_save_widget_png (GtkWidget *widget, const char *path, GError **error);

G_END_DECLS
