/* dv-plot-arch.h — the architecture diagram, GTK-free.
 *
 * What this is for: drawing a model as the workbench's editor shows it —
 * the input, every area as a box with its state shape, recurrence type and
 * tau, the readout, feedforward arrows labelled with their delay, a
 * recurrence loop on each recurrent area, skip connections as arcs below
 * the row and feedback as arcs above it, each labelled with its delay in ms
 * (dashed when multiplicative) — and telling which element lies under a
 * point, so a click can select it.  The same code draws the screen, PNG,
 * SVG and PDF (dv_arch_plot_as_plot + dv_plot_export).
 * What this is not for: model descriptions (the caller fills the plain
 * structs below; nothing here knows the engine) or widgets.
 */
#pragma once

#include "dv-plot.h"

G_BEGIN_DECLS

typedef enum {
  DV_ARCH_HIT_NONE,
  DV_ARCH_HIT_INPUT,
  DV_ARCH_HIT_AREA,        /* index: area */
  DV_ARCH_HIT_RECURRENCE,  /* index: area */
  DV_ARCH_HIT_CONN,        /* index: connection */
  DV_ARCH_HIT_READOUT,
} DvArchHitKind;

typedef struct {
  DvArchHitKind kind;
  int index;
} DvArchHit;

typedef struct {
  const char *name;
  int C, H, W;             /* the state the area passes on */
  const char *recurrence;  /* "full", "self", …; NULL or "none": no loop */
  double t_recurrence;     /* ms */
  double t_feedforward;    /* ms, the delay of the arrow leaving the area */
  double tau;              /* ms; ≤ 0: no leaky dynamics */
  const char *detail;      /* an extra line, e.g. "k7 s2 · max pool", or NULL */
} DvArchArea;

typedef struct {
  gboolean feedback;       /* FALSE: skip */
  int source, target;      /* area indices */
  double delay_ms;
  int delay_steps;         /* the steps the engine delays it (DynVision's round(t/dt) + 1
                              for a skip, round(t/dt) for feedback); < 0: not shown */
  gboolean multiplicative;
} DvArchConn;

typedef struct {
  const DvPlotTheme *theme;    /* NULL: light */
  const char *title;           /* NULL: "Architecture" */
  const char *input_label;     /* e.g. "3×32×32", or NULL */
  const char *readout_label;   /* e.g. "10 classes", or NULL */
  const DvArchArea *areas;
  int n_areas;
  const DvArchConn *conns;
  int n_conns;
  DvArchHit selected;          /* drawn highlighted */
} DvArchPlot;

void      dv_arch_plot_init (DvArchPlot *p);
void      dv_arch_plot_draw (const DvArchPlot *p, cairo_t *cr, double width, double height);
/* The element under (x, y) for a plot drawn at width × height. */
DvArchHit dv_arch_plot_hit (const DvArchPlot *p, double width, double height, double x, double y);
DvPlot    dv_arch_plot_as_plot (const DvArchPlot *p);

G_END_DECLS
