/* dv-plot-model.h — the plain data behind the plots, testable without a display.
 *
 * What this is for: bounded per-timestep series (ring buffers), value ranges
 * and colour-scale scopes, a presentation schedule turned into stimulus
 * bands and onset/offset markers, latency and peak measures of a trace, and
 * "nice" axis ticks.  The workbench's views and the command-line exporter
 * both fill these and hand them to the renderers in dv-plot.h.
 * What this is not for: drawing, files, or anything that knows about the
 * engine.  Values are plain floats; times are timestep indices, converted to
 * ms (t·dt) only by the renderers.
 *
 * Threads: none of these objects is locked; use one from one thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ---- ranges --------------------------------------------------------------- */

typedef struct {
  float min, max; /* empty when min > max */
} DvRange;

void     dv_range_init (DvRange *r);            /* the empty range */
gboolean dv_range_is_empty (const DvRange *r);
void     dv_range_include (DvRange *r, const float *values, gsize n); /* NaN/Inf skipped */
void     dv_range_include_value (DvRange *r, float v);
/* Symmetric about zero (for the diverging map): [-m, m], m = max |v|. */
void     dv_range_make_symmetric (DvRange *r);
/* v -> [0,1]; a degenerate range (max == min) maps everything to 0.5,
 * an empty range to NaN. */
float    dv_range_normalise (const DvRange *r, float v);

/* How the colour scale of a feature-map grid is chosen. */
typedef enum {
  DV_SCALE_PER_CHANNEL, /* each channel its own min..max at this timestep */
  DV_SCALE_PER_LAYER,   /* one min..max over all channels of the layer at this timestep */
  DV_SCALE_GLOBAL,      /* a range the caller accumulated (e.g. the whole sequence) */
  DV_SCALE_N
} DvScaleScope;

const char *dv_scale_scope_name (DvScaleScope scope);
/* The words the live view's menu uses for a scope ("per channel", "per layer",
 * "whole sequence"; translated), for captions that must say the same. */
const char *dv_scale_scope_label (DvScaleScope scope);

/* maps is [C,H,W].  Writes C ranges.  GLOBAL copies *global into every
 * entry (global may be NULL otherwise).  symmetric makes every range
 * symmetric about zero. */
void     dv_fmap_ranges (const float *maps, int C, int H, int W, DvScaleScope scope,
                         const DvRange *global, gboolean symmetric, DvRange *ranges);
/* Normalises one channel [H,W] with its range into dst (n = H*W). */
void     dv_fmap_normalise (const float *channel, gsize n, const DvRange *range, float *dst);

/* ---- series: a bounded history of per-timestep values ----------------------- */

/* Rows of n_values floats, each tagged with its timestep t.  Pushing a
 * timestep t drops every row at t or later first (a re-run overwrites), then
 * appends; when full, the oldest row is dropped. */
typedef struct _DvSeries DvSeries;

DvSeries    *dv_series_new (guint n_values, guint capacity);
void         dv_series_free (DvSeries *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvSeries, dv_series_free)

void         dv_series_clear (DvSeries *s);
void         dv_series_push (DvSeries *s, int t, const float *values);
guint        dv_series_length (const DvSeries *s);
guint        dv_series_capacity (const DvSeries *s);
guint        dv_series_n_values (const DvSeries *s);
/* Row i, 0 = oldest kept. */
int          dv_series_time (const DvSeries *s, guint i);
const float *dv_series_row (const DvSeries *s, guint i);
/* Index of the row for timestep t, or -1. */
int          dv_series_find (const DvSeries *s, int t);
/* Range of value k over all rows (k < 0: of all values). */
void         dv_series_range (const DvSeries *s, int k, DvRange *out);
/* Copies value k of every row into dst (length dv_series_length). */
void         dv_series_column (const DvSeries *s, guint k, float *dst);

/* ---- schedule -> bands ---------------------------------------------------------- */

/* Per-timestep flags of a presentation schedule, as the plots see it. */
typedef enum {
  DV_PLOT_STEP_BLANK    = 0,
  DV_PLOT_STEP_STIMULUS = 1 << 0, /* a stimulus frame is shown */
  DV_PLOT_STEP_NOISE    = 1 << 1, /* noise is added */
  DV_PLOT_STEP_LABELLED = 1 << 2, /* the step carries a label (is scored) */
} DvPlotStepFlags;

typedef struct {
  int start, end;  /* timesteps [start, end) with the stimulus on */
  float contrast;  /* mean contrast over the band (1 if no contrast given) */
} DvBand;

/* Maximal runs of steps with DV_PLOT_STEP_STIMULUS set.  contrast may be
 * NULL.  Returns a GArray of DvBand (onset = start, offset = end). */
GArray  *dv_schedule_bands (const guint8 *flags, const float *contrast, int n);
/* First stimulus onset step, or -1. */
int      dv_schedule_first_onset (const guint8 *flags, int n);

/* ---- latency and peaks --------------------------------------------------------- */

typedef struct {
  int   onset;       /* first step whose min-max normalised value exceeds the
                        threshold (> threshold), -1 if none / flat trace */
  int   peak;        /* argmax (first on ties), -1 for an empty trace */
  float peak_height; /* the trace's maximum */
  float min, max;    /* the trace's range */
  gboolean rising;   /* the maximum is the last step (and the trace not flat): no
                        peak yet — a runaway, or a sequence not computed to its end.
                        peak stays the argmax (DynVision's peak_time would say it);
                        the view and the CSV say "still rising" instead of a peak */
} DvLatency;

/* The tutorial's calculate_latency (threshold 0.5 on the min-max normalised
 * mean trace) plus DynVision's peak_time / peak_height.  NaN entries are
 * ignored. */
void     dv_latency_compute (const float *trace, int n, float threshold, DvLatency *out);

/* ---- axes ------------------------------------------------------------------------ */

/* "Nice" ticks (1, 2, 2.5, 5 × 10^k) covering [lo, hi] with at most
 * max_ticks ticks inside the range.  Returns the count; the step goes to
 * *step if non-NULL. */
int      dv_axis_ticks (double lo, double hi, int max_ticks, double *ticks, double *step);
/* A short label for a tick value given the tick step ("0.25", "1e+03", "40"). */
void     dv_axis_format (double v, double step, char *buf, gsize len);

G_END_DECLS
