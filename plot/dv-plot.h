/* dv-plot.h — GTK-free Cairo renderers for the workbench views and exports.
 *
 * What this is for: drawing the five scientific views — layer responses over
 * time, a feature-map grid, the classifier readout, latency & peaks per
 * layer, and the stimulus with its timeline — on any cairo_t of a given size
 * (a GTK snapshot, a PNG, an SVG or a PDF surface: the same code draws all),
 * and exporting a view as an image plus a CSV of exactly the plotted data
 * and a JSON of its parameters.
 * What this is not for: widgets, events or threads (ui/), computing
 * responses (engine/), or the series and ranges themselves (dv-plot-model.h).
 *
 * Each view is a plain struct the caller fills in (borrowed pointers, nothing
 * is copied or freed) and passes to dv_<view>_plot_draw (p, cr, width,
 * height).  Sizes are in user units of cr (CSS pixels on screen, points in
 * SVG/PDF).  Times are timesteps; axes show ms = t·dt.  A view can be wrapped
 * as a DvPlot (dv_<view>_plot_as_plot) for the generic export helpers.
 */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "dv-colormap.h"
#include "dv-json-writer.h"
#include "dv-provenance.h"
#include "dv-plot-model.h"

G_BEGIN_DECLS

#define DV_PLOT_ERROR (dv_plot_error_quark ())
GQuark dv_plot_error_quark (void);
typedef enum {
  DV_PLOT_ERROR_FORMAT, /* unknown file extension */
  DV_PLOT_ERROR_CAIRO,  /* a cairo surface failed */
  DV_PLOT_ERROR_IO,     /* writing or renaming a file failed */
} DvPlotError;

typedef struct {
  double x, y, w, h;
} DvPlotRect;

/* Colours of the chrome (not of the data). */
typedef struct {
  DvRgb background, foreground, grid, muted, band, marker, cursor, select;
} DvPlotTheme;

const DvPlotTheme *dv_plot_theme_light (void);
const DvPlotTheme *dv_plot_theme_dark (void);

/* What every time-based view knows about the presentation. */
typedef struct {
  const guint8 *flags;   /* [n] DvPlotStepFlags, or NULL (no bands) */
  const float *contrast; /* [n] or NULL */
  int n;                 /* timesteps of the sequence, T (x axis extent) */
  double dt;             /* ms per timestep */
} DvPlotTimeline;

/* ---- (a) layer responses --------------------------------------------------------- */

typedef struct {
  const DvPlotTheme *theme;   /* NULL: light */
  const char *title;          /* NULL: "Layer responses" */
  const char *y_label;        /* NULL: "mean |activation|" */
  const DvSeries *series;     /* one value per trace per step */
  const char *const *names;   /* [n_values] trace names */
  const DvRgb *colors;        /* [n_values] or NULL: dv_palette_layer (i) */
  const gboolean *hidden;     /* [n_values] or NULL */
  DvPlotTimeline timeline;
  int cursor;                 /* step, or -1 */
  int highlight;              /* trace drawn heavier, or -1 */
  gboolean normalise;         /* each trace divided by its own max */
} DvResponsesPlot;

void dv_responses_plot_init (DvResponsesPlot *p);
void dv_responses_plot_draw (const DvResponsesPlot *p, cairo_t *cr, double width, double height);
/* The timestep under x (nearest, clamped to the axis), or -1 outside the
 * plot area's columns; for moving the cursor with the pointer. */
int  dv_responses_plot_step_at (const DvResponsesPlot *p, double width, double height, double x);

/* ---- (b) feature-map grid ------------------------------------------------------ */

typedef struct {
  const DvPlotTheme *theme;
  const char *layer_name;
  const float *maps;          /* [C,H,W] of one layer at one timestep */
  int C, H, W;
  int t;                      /* timestep shown (title only); < 0: none */
  double dt;
  DvColormap colormap;
  DvScaleScope scope;
  DvRange global;             /* the range used when scope == DV_SCALE_GLOBAL */
  gboolean symmetric;         /* ranges symmetric about 0 (use with DIVERGING) */
  const char *value_label;    /* NULL: "activation" */
  int sel_c, sel_y, sel_x;    /* the probed unit, sel_c < 0: none */
  const char *empty_message;  /* shown when maps is NULL; NULL: a default */
} DvFmapPlot;

typedef struct {
  DvPlotRect grid;            /* the area holding the tiles */
  int cols, rows;
  double tile_w, tile_h, gap;
  DvPlotRect colorbar;
} DvFmapLayout;

void     dv_fmap_plot_init (DvFmapPlot *p);
void     dv_fmap_plot_layout (const DvFmapPlot *p, double width, double height, DvFmapLayout *out);
void     dv_fmap_plot_draw (const DvFmapPlot *p, cairo_t *cr, double width, double height);
/* Which unit is under (x, y)?  FALSE between tiles and outside the grid. */
gboolean dv_fmap_plot_hit (const DvFmapPlot *p, double width, double height, double x, double y,
                           int *c, int *iy, int *ix);

/* ---- (c) readout ------------------------------------------------------------------ */

typedef struct {
  const DvPlotTheme *theme;
  const char *title;          /* NULL: "Readout" */
  const DvSeries *logits;     /* K logits per step; drawn as softmax probabilities */
  const char *const *class_names; /* [K] or NULL: "0".."K-1" */
  DvPlotTimeline timeline;
  int cursor;
  int label;                  /* the true class, or -1 */
  int max_lines;              /* classes drawn as lines, by peak probability; 0: all */
  const char *note;           /* under the title, e.g. "foreign stimuli: …"; NULL: none */
} DvReadoutPlot;

/* The line above the bars: the prediction at the cursor with a verdict ("— correct",
 * "— wrong"; *wrong set) only at a labelled step of the timeline (DV_PLOT_STEP_LABELLED;
 * every step when there is no timeline), else the leading class without one.  NULL when
 * nothing is recorded.  g_free. */
char *dv_readout_plot_headline (const DvReadoutPlot *p, gboolean *wrong);

void dv_readout_plot_init (DvReadoutPlot *p);
void dv_readout_plot_draw (const DvReadoutPlot *p, cairo_t *cr, double width, double height);
int  dv_readout_plot_step_at (const DvReadoutPlot *p, double width, double height, double x);
/* Softmax of K logits into probs; returns the argmax. */
int  dv_softmax (const float *logits, int K, float *probs);

/* ---- (d) latency & peaks ---------------------------------------------------------- */

typedef struct {
  const DvPlotTheme *theme;
  const char *title;          /* NULL: "Latency & peaks" */
  const DvSeries *series;     /* mean |activation| per layer per step */
  const char *const *names;
  const DvRgb *colors;
  DvPlotTimeline timeline;    /* its first stimulus onset is the time reference */
  float threshold;            /* 0.5 */
  int highlight;
} DvLatencyPlot;

void dv_latency_plot_init (DvLatencyPlot *p);
/* Per trace (n_values of the series): onset/peak steps are absolute
 * timesteps; subtract *reference (the first stimulus onset, or 0) for
 * latencies. */
void dv_latency_plot_compute (const DvLatencyPlot *p, DvLatency *out, int *reference);
void dv_latency_plot_draw (const DvLatencyPlot *p, cairo_t *cr, double width, double height);

/* ---- (e) stimulus + timeline ---------------------------------------------------- */

typedef struct {
  const DvPlotTheme *theme;
  const char *title;          /* NULL: "Stimulus" */
  const char *caption;        /* e.g. "cat (label 3)"; NULL: none */
  const float *image;         /* [C,H,W] model input at the cursor (C = 1 or 3), or NULL */
  int C, H, W;
  const float *mean, *std;    /* [C] input normalisation to undo for display, or NULL */
  DvPlotTimeline timeline;
  int cursor;
} DvStimulusPlot;

void dv_stimulus_plot_init (DvStimulusPlot *p);
void dv_stimulus_plot_draw (const DvStimulusPlot *p, cairo_t *cr, double width, double height);
/* The timestep whose timeline cell is under (x, y), or -1. */
int  dv_stimulus_plot_step_at (const DvStimulusPlot *p, double width, double height,
                               double x, double y);

/* ---- generic plots and export -------------------------------------------------- */

typedef struct {
  const char *kind;  /* "responses", "feature-maps", ... */
  void (*draw) (gconstpointer self, cairo_t *cr, double width, double height);
  void (*write_csv) (gconstpointer self, GString *out);
  void (*write_params) (gconstpointer self, DvJsonWriter *json); /* into the open top-level object */
} DvPlotClass;

typedef struct {
  const DvPlotClass *klass;
  gconstpointer self;
} DvPlot;

DvPlot dv_responses_plot_as_plot (const DvResponsesPlot *p);
DvPlot dv_fmap_plot_as_plot (const DvFmapPlot *p);
DvPlot dv_readout_plot_as_plot (const DvReadoutPlot *p);
DvPlot dv_latency_plot_as_plot (const DvLatencyPlot *p);
DvPlot dv_stimulus_plot_as_plot (const DvStimulusPlot *p);

typedef enum {
  DV_PLOT_FORMAT_PNG,
  DV_PLOT_FORMAT_SVG,
  DV_PLOT_FORMAT_PDF,
} DvPlotFormat;

void     dv_plot_draw (DvPlot plot, cairo_t *cr, double width, double height);
char    *dv_plot_to_csv (DvPlot plot);
/* The parameter JSON of one image: kind, size, scale, format, "images" (that one), "provenance"
 * null, and the view's own fields. */
char    *dv_plot_params_to_json (DvPlot plot, double width, double height, double scale,
                                 const char *format);
gboolean dv_plot_format_from_path (const char *path, DvPlotFormat *format);
/* Draws plot at width × height (on a recording surface) and returns how many
 * of its labels Pango had to ellipsize; 0 means every label reads whole.
 * Text is laid out by PangoCairo with unhinted metrics, so the count is the
 * same on screen and in PNG, SVG and PDF. */
int      dv_plot_count_cut_labels (DvPlot plot, double width, double height);

/* One image of an export: its format, its scale (PNG pixels per user unit; ignored by SVG and
 * PDF, whose JSON says 1) and its path (NULL: <stem>.png/.svg/.pdf). */
typedef struct {
  DvPlotFormat format;
  double scale;
  const char *path;
} DvPlotImage;

/* Renders plot at width × height into every image, then writes <stem>.csv (the plotted data,
 * once: it does not depend on the format) and <stem>.json: the parameters, an "images" array
 * with each image's file, format and scale (PNG: pixel size and dpi; SVG/PDF: size in pt) and
 * "provenance" (dv_provenance_write_json; null when provenance is NULL).  Every file is written
 * to a temporary name first and renamed into place (mode 0666 less the umask). */
gboolean dv_plot_export_images (DvPlot plot, const char *stem, const DvPlotImage *images,
                                int n_images, double width, double height,
                                const DvProvenance *provenance, GError **error);
/* One image at path (format from the extension: .png, .svg, .pdf; PNG at width·scale ×
 * height·scale pixels) with <stem>.csv and <stem>.json beside it. */
gboolean dv_plot_export_full (DvPlot plot, const char *path, double width, double height,
                              double scale, const DvProvenance *provenance, GError **error);
/* dv_plot_export_full without provenance. */
gboolean dv_plot_export (DvPlot plot, const char *path, double width, double height,
                         double scale, GError **error);

G_END_DECLS
