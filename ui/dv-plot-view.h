/* dv-plot-view.h — a widget that shows one plot/ renderer.
 *
 * What this is for: putting any DvPlot (responses, feature maps, readout,
 * latency, stimulus) on screen: measure gives a sensible minimum, snapshot
 * draws it with one gtk_snapshot_append_cairo, and a press or drag on the
 * plot is reported as the "pointer" signal in widget coordinates so the
 * owner can hit-test with the same renderer.
 * What this is not for: owning the plotted data — the DvPlot is borrowed;
 * the owner keeps it alive and calls gtk_widget_queue_draw after changing it.
 */
#pragma once

#include <gtk/gtk.h>

#include "dv-plot.h"

G_BEGIN_DECLS

#define DV_TYPE_PLOT_VIEW (dv_plot_view_get_type ())
G_DECLARE_FINAL_TYPE (DvPlotView, dv_plot_view, DV, PLOT_VIEW, GtkWidget)

GtkWidget *dv_plot_view_new (void);
void       dv_plot_view_set_plot (DvPlotView *self, DvPlot plot);
DvPlot     dv_plot_view_get_plot (DvPlotView *self);
void       dv_plot_view_set_min_size (DvPlotView *self, int width, int height);
/* The view's name in exported file names ("responses", ...). */
void       dv_plot_view_set_name (DvPlotView *self, const char *name);
const char *dv_plot_view_get_name (DvPlotView *self);

/* Renders the plot at its current size (at least min size) into every image with the plot/
 * export helpers (dv_plot_export_images: the images, <stem>.csv, one <stem>.json saying each
 * image's format and scale, and provenance, which may be NULL). */
gboolean   dv_plot_view_export (DvPlotView *self, const char *stem, const DvPlotImage *images,
                                int n_images, const DvProvenance *provenance, GError **error);

G_END_DECLS
