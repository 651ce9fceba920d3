/* dv-plot-dynamics.h — the dynamics-over-training heatmap.
 *
 * What this is for: after each training epoch the workbench re-runs one
 * fixed probe stimulus and records every layer's mean |activation| at every
 * timestep; this view stacks those rows, one heatmap per layer with time
 * (ms) across and epochs down, so it grows by one row per epoch and shows
 * how the network's temporal response changes as it learns.  Each layer has
 * its own colour scale (its min..max over every row).  Also its CSV (one row
 * per epoch and timestep, one column per layer: exactly the plotted values)
 * and parameters, through the generic DvPlot export.
 * What this is not for: running the probe (app/workbench/) or the loss and
 * accuracy curves (train/dv-train-plots.h).
 */
#pragma once

#include "dv-plot.h"

G_BEGIN_DECLS

typedef struct {
  const DvPlotTheme *theme;   /* NULL: light */
  const char *title;          /* NULL: "Dynamics over training" */
  const float *values;        /* [n_rows][n_layers][T] mean |activation|; NaN: no response */
  const int *epochs;          /* [n_rows] epoch of each row (0 = before training), or NULL: 0.. */
  int n_rows, n_layers, T;
  const char *const *names;   /* [n_layers] or NULL */
  DvPlotTimeline timeline;    /* flags over the T steps (stimulus marks), dt */
  DvColormap colormap;
} DvDynamicsPlot;

void   dv_dynamics_plot_init (DvDynamicsPlot *p);
void   dv_dynamics_plot_draw (const DvDynamicsPlot *p, cairo_t *cr, double width, double height);
DvPlot dv_dynamics_plot_as_plot (const DvDynamicsPlot *p);
/* min..max of layer l over every row and step (NaN ignored); FALSE when it has no value. */
gboolean dv_dynamics_plot_layer_range (const DvDynamicsPlot *p, int layer, float *lo, float *hi);

G_END_DECLS
