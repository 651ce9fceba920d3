/* dv-live-page.h — the live view of the workbench window.
 *
 * What this is for: showing a DvHistory (the recorded frames of the current
 * sequence) in six views that follow one time cursor, with the transport
 * (play/pause, stepping, scrubbing, speed, loop), the stimulus panel (data
 * set, samples, presentation) and the view settings (layer, activation or
 * change, colour map, scale, normalised traces).  The page never runs the
 * model: it asks its owner through signals and is told about new frames
 * with dv_live_page_history_changed().
 *
 * Properties: "title" (the window's title: the model on show), "playing",
 * "cursor" (read-only), "loop" (read-write, bound to the loop button),
 * "status" (the line under the settings), "sequence" (what the sequence on
 * show is — model, data set, sample and presentation — changing when a
 * request has been carried out), "steps" (its timesteps).
 *
 * Actions (dv-live-page-actions.c): live.toggle-play (Space), live.step-back
 * (←), live.step-forward (→), live.first (Home), live.last (End),
 * live.previous-stimulus (Page Up), live.next-stimulus (Page Down).
 *
 * Signals (main thread):
 *   ::compute (int upto)          compute the current sequence up to step upto;
 *                                 upto = -1: stop computing ahead (paused)
 *   ::select-sample (int index)   switch to stimulus `index` of the data set
 *   ::set-parameter (char *key, char *value)   a presentation setting by its
 *                                 DynVision name (stimulus_duration, contrast, …)
 *   ::set-presentation (GStrv assignments)     "key=value" settings to apply
 *                                 together (the sidebar's widgets and entry)
 *   ::error (char *message)       for the window's banner
 * Choosing a data set activates win.open-dataset (s), win.open-folder or
 * win.open-cifar-folder.
 * What this is not for: threads, the engine or data sets (app/workbench/),
 * files and the banner (the window).
 */
#pragma once

#include <gtk/gtk.h>

#include "dv-history.h"
#include "dv-plot.h"
#include "dv-plot-view.h"

G_BEGIN_DECLS

#define DV_TYPE_LIVE_PAGE (dv_live_page_get_type ())
G_DECLARE_FINAL_TYPE (DvLivePage, dv_live_page, DV, LIVE_PAGE, GtkBox)

/* The page's own history; the owner syncs it and then calls history_changed. */
DvHistory  *dv_live_page_get_history (DvLivePage *self);
void        dv_live_page_history_changed (DvLivePage *self, gboolean new_sequence);
/* Every plot refilled from the history at the cursor, and redrawn. */
void        dv_live_page_update_views (DvLivePage *self);

/* Moves the cursor to t; beyond the computed head it asks for the steps
 * first (::compute) and moves when they arrive. */
void        dv_live_page_seek (DvLivePage *self, int t);
int         dv_live_page_get_cursor (DvLivePage *self);
void        dv_live_page_set_playing (DvLivePage *self, gboolean playing);
gboolean    dv_live_page_get_playing (DvLivePage *self);

/* A small picture of sample `index` for the sample picker (owned by the
 * caller), and its tooltip in *tooltip (g_free), or NULL. */
typedef GdkTexture *(*DvLiveThumbnailFunc) (int index, char **tooltip, gpointer user_data);
/* The samples of the data set on show: how many, and how to draw them.
 * func may be NULL (no pictures).  Takes user_data (destroy may be NULL). */
void        dv_live_page_set_samples (DvLivePage *self, int n, DvLiveThumbnailFunc func,
                                      gpointer user_data, GDestroyNotify destroy);
void        dv_live_page_set_n_samples (DvLivePage *self, int n);
/* Offers a data set in the Data set menu (spec as for win.open-dataset). */
void        dv_live_page_add_dataset (DvLivePage *self, const char *spec, const char *label);
/* The presentation widgets back to what the history says (after a rejected setting). */
void        dv_live_page_sync_presentation (DvLivePage *self);
/* "key=value" settings, applied together (::set-presentation) */
void        dv_live_page_emit_presentation (DvLivePage *self, const char *const *assignments);

void        dv_live_page_select_layer (DvLivePage *self, int layer);
void        dv_live_page_select_unit (DvLivePage *self, int c, int y, int x);
/* The feature-map and trace settings of the sidebar: colour map, scale
 * scope, activation (FALSE) or change since the previous step (TRUE),
 * traces divided by their maxima. */
void        dv_live_page_set_view_options (DvLivePage *self, DvColormap colormap,
                                           DvScaleScope scope, gboolean change, gboolean normalise);
void        dv_live_page_set_status (DvLivePage *self, const char *status);
/* The name of the view clicked last ("feature-maps" before any click). */
const char *dv_live_page_get_current_view (DvLivePage *self);
/* The keyboard focus on the play button, so the transport keys work. */
void        dv_live_page_focus_transport (DvLivePage *self);

/* The view `name` ("responses", "feature-maps", "readout", "probe",
 * "latency", "stimulus"), or NULL. */
DvPlotView *dv_live_page_get_view (DvLivePage *self, const char *name);

/* What a project saves of the view: "layer=…", "value=…", "colormap=…",
 * "scope=…", "normalise=…", "cursor=…", "probe=c,y,x" (NULL-terminated,
 * g_strfreev); set_layout restores it and ignores other keys. */
char      **dv_live_page_get_layout (DvLivePage *self);
void        dv_live_page_set_layout (DvLivePage *self, const char *const *layout);

G_END_DECLS
