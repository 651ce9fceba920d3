/* dv-wb-window.h — the workbench window: the pages, the banner, files.
 *
 * What this is for: composing the live view (DvLivePage), the Architecture
 * page (DvArchitecturePage) and the training panel; the banner (errors and
 * notes); opening files and folders (dialogs, drops); exporting the views.
 * The window never runs the model: the pages ask their owner through their
 * signals, the window through these (main thread):
 *   ::open-checkpoint (char *path)  a checkpoint or .json description
 *   ::open-dataset (char *spec)   switch to a data set: "embedded",
 *                                 "fashion-mnist", "folder:DIR", "cifar10:DIR", …
 *   ::export-dynvision (char *dir)
 * and the training panel's (dv-wb-window-train.h).
 * What this is not for: threads, the engine or data sets (app/workbench/).
 */
#pragma once

#include <gtk/gtk.h>

#include "dv-architecture-page.h"
#include "dv-history.h"
#include "dv-live-page.h"
#include "dv-plot.h"

G_BEGIN_DECLS

#define DV_TYPE_WB_WINDOW (dv_wb_window_get_type ())
G_DECLARE_FINAL_TYPE (DvWbWindow, dv_wb_window, DV, WB_WINDOW, GtkApplicationWindow)

/* The names of the views, as used in file names and the export actions. */
extern const char *const dv_wb_view_names[];   /* NULL-terminated */

DvWbWindow *dv_wb_window_new (GtkApplication *app);

/* The pages the window composes. */
DvLivePage *dv_wb_window_get_live_page (DvWbWindow *self);
DvArchitecturePage *dv_wb_window_get_architecture_page (DvWbWindow *self);
/* What a project saves of the window: the live view's layout
 * (dv_live_page_get_layout) and "training=shown|hidden". */
char      **dv_wb_window_get_layout (DvWbWindow *self);
void        dv_wb_window_set_layout (DvWbWindow *self, const char *const *layout);
/* Shows the Architecture page (TRUE) or the live view (also win.show-editor (b)). */
void        dv_wb_window_show_editor (DvWbWindow *self, gboolean show);
/* Loads a model plugin into the Architecture page (win.load-plugin asks for the file). */
gboolean    dv_wb_window_load_plugin (DvWbWindow *self, const char *path, GError **error);

/* What a dropped or chosen file means: a checkpoint (.safetensors, .pt,
 * .pth, .ckpt — dv_checkpoint_path_is_supported) or a .json description
 * (::open-checkpoint), a folder is a data set (::open-dataset: CIFAR batch
 * files make it cifar10:DIR or cifar100:DIR, anything else folder:DIR).
 * Anything else goes to the banner; returns FALSE then. */
gboolean    dv_wb_window_open_file (DvWbWindow *self, GFile *file);
void        dv_wb_window_show_error (DvWbWindow *self, const char *message);
/* Shows `message` in the banner as information (how a checkpoint's model was
 * identified), unless an error is showing; dismissed like an error.  Its
 * first line is the banner's text, the whole message its tooltip.  A note
 * is not an error: dv_wb_window_get_error stays NULL. */
void        dv_wb_window_show_note (DvWbWindow *self, const char *message);
const char *dv_wb_window_get_note (DvWbWindow *self);
/* What closing now would lose (an unapplied architecture edit, a finished run not in
 * a saved project), or NULL; closing the window asks while it is not NULL.  g_free. */
char       *dv_wb_window_describe_unsaved (DvWbWindow *self);
/* A toast over the pages: something was done (an export); it goes after 4 s.
 * get_toast: the text while it shows, else NULL. */
void        dv_wb_window_show_toast (DvWbWindow *self, const char *message);
const char *dv_wb_window_get_toast (DvWbWindow *self);

/* "Which model is this checkpoint?" — a modal window (GTK 4.8: a GtkWindow
 * with a GtkDropDown) with `message`, the presets `presets` (best first) in
 * a drop-down and a key=value entry prefilled with `kwargs` (may be NULL).
 * Open calls done (self, path, "PRESET key=value …", data); Cancel and
 * closing call nothing.  The window is returned (tests press its buttons). */
typedef void (*DvWbAskModelFunc) (DvWbWindow *self, const char *path, const char *model_spec, gpointer data);
GtkWindow  *dv_wb_window_ask_model (DvWbWindow *self, const char *path, const char *message,
                                    const char *const *presets, const char *kwargs, DvWbAskModelFunc done,
                                    gpointer data);
const char *dv_wb_window_get_error (DvWbWindow *self);   /* NULL when no banner */

/* Export view `name` (dv_wb_view_names) to path (.png/.svg/.pdf + .csv +
 * .json); export_all writes every view as PNG (scale 2), SVG and PDF into dir,
 * with one CSV and one JSON per view (its "images" name all three).  Each JSON
 * records get_provenance: the live view's sequence (dv-history.h), or NULL. */
const DvProvenance *dv_wb_window_get_provenance (DvWbWindow *self);
gboolean    dv_wb_window_export_view (DvWbWindow *self, const char *name, const char *path,
                                      double scale, GError **error);
gboolean    dv_wb_window_export_all (DvWbWindow *self, const char *dir, GError **error);
/* Asks the owner (signal ::export-dynvision, char *dir) to write dir/model.py and
 * dir/weights.pt for DynVision (engine/dv-export-dynvision.h). */
void        dv_wb_window_export_dynvision (DvWbWindow *self, const char *dir);

G_END_DECLS
