/* dv-wb-window.h — the workbench window: transport, views, settings, banner.
 *
 * What this is for: showing a DvHistory (the recorded frames of the current
 * sequence) in six views that follow one time cursor, with play/pause,
 * stepping, scrubbing, speed and loop; exporting the views; reporting
 * errors in a banner.  The window never runs the model: it asks its owner
 * through signals and is told about new frames with
 * dv_wb_window_history_changed().
 *
 * Signals (main thread):
 *   ::compute (int upto)          compute the current sequence up to step upto;
 *                                 upto = -1: stop computing ahead (paused)
 *   ::select-sample (int index)   switch to stimulus `index` of the data set
 *   ::open-checkpoint (char *path)
 *   ::open-dataset (char *spec)   switch to a data set: "embedded",
 *                                 "fashion-mnist", "folder:DIR", "cifar10:DIR", …
 *   ::set-parameter (char *key, char *value)   a presentation setting by its
 *                                 DynVision name (stimulus_duration, contrast, …)
 *   ::set-presentation (GStrv assignments)     "key=value" settings to apply
 *                                 together (the sidebar's widgets and entry)
 * What this is not for: threads, the engine or data sets (app/workbench/).
 */
#pragma once

#include <gtk/gtk.h>

#include "dv-architecture-page.h"
#include "dv-history.h"
#include "dv-plot.h"

G_BEGIN_DECLS

#define DV_TYPE_WB_WINDOW (dv_wb_window_get_type ())
G_DECLARE_FINAL_TYPE (DvWbWindow, dv_wb_window, DV, WB_WINDOW, GtkApplicationWindow)

/* The names of the views, as used in file names and the export actions. */
extern const char *const dv_wb_view_names[];   /* NULL-terminated */

DvWbWindow *dv_wb_window_new (GtkApplication *app);

/* The pages the window composes. */
DvArchitecturePage *dv_wb_window_get_architecture_page (DvWbWindow *self);
/* Shows the Architecture page (TRUE) or the live view (also win.show-editor (b)). */
void        dv_wb_window_show_editor (DvWbWindow *self, gboolean show);
/* Loads a model plugin into the Architecture page (win.load-plugin asks for the file). */
gboolean    dv_wb_window_load_plugin (DvWbWindow *self, const char *path, GError **error);

/* The window's own history; the owner syncs it and then calls history_changed. */
DvHistory  *dv_wb_window_get_history (DvWbWindow *self);
void        dv_wb_window_history_changed (DvWbWindow *self, gboolean new_sequence);

/* Moves the cursor to t; beyond the computed head it asks for the steps
 * first (::compute) and moves when they arrive. */
void        dv_wb_window_seek (DvWbWindow *self, int t);
int         dv_wb_window_get_cursor (DvWbWindow *self);
void        dv_wb_window_set_playing (DvWbWindow *self, gboolean playing);
gboolean    dv_wb_window_get_playing (DvWbWindow *self);
/* A small picture of sample `index` for the sample picker (owned by the
 * caller), and its tooltip in *tooltip (g_free), or NULL. */
typedef GdkTexture *(*DvWbThumbnailFunc) (int index, char **tooltip, gpointer user_data);

/* The samples of the data set on show: how many, and how to draw them.
 * func may be NULL (no pictures).  Takes user_data (destroy may be NULL). */
void        dv_wb_window_set_samples (DvWbWindow *self, int n, DvWbThumbnailFunc func,
                                      gpointer user_data, GDestroyNotify destroy);
void        dv_wb_window_set_n_samples (DvWbWindow *self, int n);
/* Offers a data set in the Data set menu (spec as for ::open-dataset). */
void        dv_wb_window_add_dataset (DvWbWindow *self, const char *spec, const char *label);
/* What a dropped or chosen file means: a checkpoint (.safetensors, .pt,
 * .pth, .ckpt — dv_checkpoint_path_is_supported) or a .json description
 * (::open-checkpoint), a folder is a data set (::open-dataset: CIFAR batch
 * files make it cifar10:DIR or cifar100:DIR, anything else folder:DIR).
 * Anything else goes to the banner; returns FALSE then. */
gboolean    dv_wb_window_open_file (DvWbWindow *self, GFile *file);
void        dv_wb_window_select_layer (DvWbWindow *self, int layer);
void        dv_wb_window_select_unit (DvWbWindow *self, int c, int y, int x);
/* The feature-map and trace settings of the sidebar: colour map, scale
 * scope, activation (FALSE) or change since the previous step (TRUE),
 * traces divided by their maxima. */
void        dv_wb_window_set_view_options (DvWbWindow *self, DvColormap colormap,
                                           DvScaleScope scope, gboolean change,
                                           gboolean normalise);

void        dv_wb_window_show_error (DvWbWindow *self, const char *message);
/* Shows `message` in the banner as information (how a checkpoint's model was
 * identified), unless an error is showing; dismissed like an error.  Its
 * first line is the banner's text, the whole message its tooltip.  A note
 * is not an error: dv_wb_window_get_error stays NULL. */
void        dv_wb_window_show_note (DvWbWindow *self, const char *message);
const char *dv_wb_window_get_note (DvWbWindow *self);

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
void        dv_wb_window_set_status (DvWbWindow *self, const char *status);

/* Export view `name` (dv_wb_view_names) to path (.png/.svg/.pdf + .csv +
 * .json); export_all writes every view as PNG (scale 2), SVG and PDF into dir. */
gboolean    dv_wb_window_export_view (DvWbWindow *self, const char *name, const char *path,
                                      double scale, GError **error);
gboolean    dv_wb_window_export_all (DvWbWindow *self, const char *dir, GError **error);
/* Asks the owner (signal ::export-dynvision, char *dir) to write dir/model.py and
 * dir/weights.pt for DynVision (engine/dv-export-dynvision.h). */
void        dv_wb_window_export_dynvision (DvWbWindow *self, const char *dir);

G_END_DECLS
