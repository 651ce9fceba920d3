/* dv-plot-private.h — drawing pieces shared by the renderers (not installed).
 *
 * What this is for: text (PangoCairo), axes with ticks, stimulus bands, the time cursor,
 * legends and colour bars, so every view looks the same; CSV number output.
 * What this is not for: the public API (dv-plot.h).
 */
#pragma once

#include "dv-plot.h"

#include <pango/pangocairo.h>

G_BEGIN_DECLS

/* fontconfig picks the face (and falls back per glyph) */
#define DVP_FONT "Sans"
#define DVP_FONT_TICK 11.0
#define DVP_FONT_LABEL 12.0
#define DVP_FONT_TITLE 13.5

/* A data area and the data ranges it shows. */
typedef struct {
  DvPlotRect area;
  double x0, x1, y0, y1;
} DvpFrame;

static inline double
dvp_x (const DvpFrame *f, double v)
{
  return f->area.x + (v - f->x0) / (f->x1 - f->x0) * f->area.w;
}

static inline double
dvp_y (const DvpFrame *f, double v)
{
  return f->area.y + f->area.h - (v - f->y0) / (f->y1 - f->y0) * f->area.h;
}

const DvPlotTheme *dvp_theme (const DvPlotTheme *theme);
void   dvp_set_rgb (cairo_t *cr, DvRgb c);
void   dvp_set_rgba (cairo_t *cr, DvRgb c, double a);
void   dvp_background (cairo_t *cr, const DvPlotTheme *th, double w, double h);

/* ---- text (dv-plot-text.c): PangoCairo, unhinted metrics ---- */

/* Where Pango puts the "…" when a label does not fit. */
typedef enum {
  DVP_CUT_END,
  DVP_CUT_MIDDLE,
  DVP_CUT_START,
} DvpCut;

typedef struct {
  double size;       /* font size in user units of cr */
  gboolean bold;
  /* halign/valign: 0 = left/top, 0.5 = centre, 1 = right/bottom of the text
   * box at the anchor; with max_w, lines are aligned the same way. */
  double halign, valign;
  double max_w;      /* > 0: wider text wraps (max_lines > 1) or is ellipsized */
  int max_lines;     /* with max_w: wrap at words up to this many lines (0, 1: one) */
  DvpCut cut;        /* where the last line is ellipsized */
} DvpTextStyle;

/* A layout of text in the plot font for cr (unref it). */
PangoLayout *dvp_layout (cairo_t *cr, const char *text, const DvpTextStyle *st);
void   dvp_text_measure (cairo_t *cr, const char *text, const DvpTextStyle *st,
                         double *width, double *height);
/* Draws text anchored at (x, y); returns its height (all its lines). */
double dvp_text_draw (cairo_t *cr, double x, double y, const char *text, const DvpTextStyle *st);

double dvp_text_width (cairo_t *cr, const char *text, double size, gboolean bold);
/* The height of one line of text at size. */
double dvp_line_height (cairo_t *cr, double size, gboolean bold);
void   dvp_text (cairo_t *cr, double x, double y, const char *text, double size,
                 gboolean bold, double halign, double valign);
/* One line, ellipsized at the end by Pango when wider than max_w. */
void   dvp_text_fit (cairo_t *cr, double x, double y, const char *text, double size,
                     gboolean bold, double halign, double valign, double max_w);
void   dvp_text_rotated (cairo_t *cr, double x, double y, const char *text, double size);

/* Left margin needed for the y tick labels and the y axis label. */
double dvp_y_margin (cairo_t *cr, double y0, double y1, gboolean with_label);
/* Grid, ticks, tick labels, axis labels and the frame of f. */
void   dvp_axes (cairo_t *cr, const DvPlotTheme *th, const DvpFrame *f,
                 const char *x_label, const char *y_label);
/* The same with the y ticks and horizontal grid left out (category rows). */
void   dvp_axes_x_only (cairo_t *cr, const DvPlotTheme *th, const DvpFrame *f,
                        const char *x_label);
/* Stimulus bands (shaded, alpha by contrast) and dashed onset/offset lines,
 * labelled "on"/"off" above the frame; x in ms. */
void   dvp_bands (cairo_t *cr, const DvPlotTheme *th, const DvpFrame *f,
                  const DvPlotTimeline *tl, gboolean labels);
void   dvp_cursor (cairo_t *cr, const DvPlotTheme *th, const DvpFrame *f, double x_ms);
/* Vertical legend at (x, y); returns its height. */
double dvp_legend (cairo_t *cr, const DvPlotTheme *th, double x, double y, double max_w,
                   const char *const *names, const DvRgb *colors, int n,
                   int highlight, const gboolean *hidden);
double dvp_legend_width (cairo_t *cr, const char *const *names, int n);
/* A vertical colour bar in r with value ticks (or "min"/"max" when
 * per_channel), labelled. */
void   dvp_colorbar (cairo_t *cr, const DvPlotTheme *th, const DvPlotRect *r, DvColormap map,
                     float lo, float hi, gboolean per_channel, const char *label);
/* "No data yet" message centred in the area. */
void   dvp_placeholder (cairo_t *cr, const DvPlotTheme *th, const DvPlotRect *r, const char *msg);

DvRgb  dvp_trace_color (const DvRgb *colors, int i);
/* names[i], or "trace i" in buf when names (or names[i]) is NULL. */
const char *dvp_trace_name (const char *const *names, int i, char *buf, gsize len);
gboolean dvp_step_flag (const DvPlotTimeline *tl, int t, guint8 flag);

/* CSV helpers: numbers as base/dv-number.h writes them (whole values bare, a float's value
 * in a float's digits), non-finite as an empty field. */
void   dvp_csv_number (GString *out, double v);
void   dvp_csv_field (GString *out, const char *s);

/* Timeline as JSON parameters. */
void   dvp_json_timeline (DvJsonWriter *j, const DvPlotTimeline *tl);

G_END_DECLS
