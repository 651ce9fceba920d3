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
/* Only the GResource (templates, CSS, gtk/help-overlay.ui): an application
 * calls it before GtkApplication's startup, which looks for the shortcuts
 * window there.  Safe to call more than once. */
void dv_ui_register_resources (void);

/* A data set spec as a menu shows it: "embedded" as is, "folder:/a/b" as "b (folder)". */
char *dv_ui_dataset_label (const char *spec);

/* TRUE on the thread that called dv_ui_init (the one that owns every widget),
 * or before dv_ui_init.  The entry points that callbacks from the engine
 * thread reach assert it (DV_UI_ASSERT_THREAD), so UI code that a worker runs
 * by mistake (e.g. through g_main_context_invoke on an unowned context)
 * aborts at once instead of racing the main thread. */
gboolean dv_ui_is_ui_thread (void);
#define DV_UI_ASSERT_THREAD() g_assert (dv_ui_is_ui_thread ())

/* The drawing of a shown widget (e.g. a whole window), rendered with its own
 * renderer.  Only valid between a frame and the next change: after any
 * gtk_widget_queue_draw inside it, until the next frame has redrawn it, this
 * fails with G_IO_ERROR_PENDING.  Prefer dv_ui_render_widget_async. */
GdkTexture *dv_ui_render_widget (GtkWidget *widget, GError **error);
/* dv_ui_render_widget, saved as a PNG. */
gboolean    dv_ui_save_widget_png (GtkWidget *widget, const char *path, GError **error);

/* Event-driven: asks for a frame, and renders the widget from the frame
 * clock's "after-paint" of the first frame that has drawn it (waiting for
 * the widget to be mapped if need be).  Fails when the widget is unmapped
 * first, or after 120 s.  The texture is what was on screen then. */
void        dv_ui_render_widget_async (GtkWidget *widget, GAsyncReadyCallback callback,
                                       gpointer user_data);
GdkTexture *dv_ui_render_widget_finish (GtkWidget *widget, GAsyncResult *result,
                                        GError **error);

G_END_DECLS
