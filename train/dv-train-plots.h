/* dv-train-plots.h — Cairo renderers for training and experiment figures.
 *
 * What this is for: line charts (accuracy or confidence over time with one line per swept
 * value and the stimulus bands; training curves over epochs), stacked into panels, and
 * weight distributions per layer and connection type (violins with quartiles).  They follow
 * plot/'s conventions (DvPlotTheme, DvPlotTimeline, DvPlot for export to PNG/SVG/PDF with a
 * CSV of the plotted data and a JSON of the parameters), draw with plot/'s shared pieces so
 * they look like the other views, and can be used by the workbench as they are.
 * What it is not for: reading files (dynvision plot does) or layer-response traces and
 * latencies (plot/'s own renderers).
 *
 * Linking: these functions need plot/'s library at link time (dv-plot.h).
 */
#pragma once

#include "dv-plot.h"

G_BEGIN_DECLS

/* ---- line charts ---------------------------------------------------------------- */

typedef struct {
  const char *name;
  const double *x, *y;     /* n points; a NaN y breaks the line */
  int n;
  const DvRgb *color;      /* NULL: dv_palette_layer (index) */
  gboolean dashed;
} DvLine;

typedef struct {
  const DvPlotTheme *theme;
  const char *title;       /* NULL: none */
  const char *x_label, *y_label;
  const DvLine *lines;
  int n_lines;
  DvPlotTimeline timeline; /* flags != NULL: stimulus bands, x is time in ms */
  gboolean unit_range;     /* y axis fixed to [0, 1] */
  gboolean include_zero;   /* y axis reaches 0 */
  gboolean markers;        /* dots at the points */
} DvLinesPlot;

void   dv_lines_plot_init (DvLinesPlot *p);
void   dv_lines_plot_draw (const DvLinesPlot *p, cairo_t *cr, double width, double height);

/* Panels drawn one above the other (equal heights) under a common title. */
typedef struct {
  const DvPlotTheme *theme;
  const char *title;
  const DvLinesPlot *panels;
  int n_panels;
} DvPanelsPlot;

void   dv_panels_plot_draw (const DvPanelsPlot *p, cairo_t *cr, double width, double height);
DvPlot dv_panels_plot_as_plot (const DvPanelsPlot *p);

/* ---- weight distributions ------------------------------------------------------- */

typedef struct {
  const char *layer;       /* category on the x axis */
  const char *kind;        /* "feedforward" or "recurrence" (the hue) */
  const float *values;
  gsize n;
} DvWeightGroup;

typedef struct {
  const DvPlotTheme *theme;
  const char *title;       /* NULL: "Weight distributions" */
  const DvWeightGroup *groups;
  int n_groups;
} DvWeightsPlot;

void   dv_weights_plot_draw (const DvWeightsPlot *p, cairo_t *cr, double width, double height);
DvPlot dv_weights_plot_as_plot (const DvWeightsPlot *p);

/* DynVision's connection type of a state_dict key (SPEC §8.7): "recurrence" when the name
 * contains recurrence, recurrent or feedback, else "feedforward". */
const char *dv_connection_type (const char *param_name);

G_END_DECLS
