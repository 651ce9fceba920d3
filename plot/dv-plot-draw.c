/* dv-plot-draw.c — the chrome every view shares: text, axes, bands, legends.
 *
 * What this is for: one look for all plots (tick spacing, stimulus bands,
 * cursor, legend, colour bar) and locale-free number output.
 * What this is not for: any one view's layout (dv-plot-<view>.c), or how
 * text is laid out and drawn (dv-plot-text.c: PangoCairo).
 */
#include "dv-plot-private.h"

#include "dv-number.h"
#include <glib/gi18n-lib.h>

#include <math.h>
#include <string.h>

static const DvPlotTheme theme_light = {
  .background = { 1, 1, 1 },
  .foreground = { 0.13, 0.13, 0.13 },
  .grid = { 0.90, 0.90, 0.90 },
  .muted = { 0.40, 0.40, 0.40 },
  .band = { 0.55, 0.55, 0.55 },
  .marker = { 0.30, 0.30, 0.30 },
  .cursor = { 0.05, 0.05, 0.05 },
  .select = { 0.85, 0.10, 0.10 },
};

static const DvPlotTheme theme_dark = {
  .background = { 0.12, 0.12, 0.13 },
  .foreground = { 0.90, 0.90, 0.90 },
  .grid = { 0.22, 0.22, 0.24 },
  .muted = { 0.65, 0.65, 0.65 },
  .band = { 0.80, 0.80, 0.80 },
  .marker = { 0.75, 0.75, 0.75 },
  .cursor = { 0.95, 0.95, 0.95 },
  .select = { 1.00, 0.35, 0.30 },
};

const DvPlotTheme *
dv_plot_theme_light (void)
{
  return &theme_light;
}

const DvPlotTheme *
dv_plot_theme_dark (void)
{
  return &theme_dark;
}

const DvPlotTheme *
dvp_theme (const DvPlotTheme *theme)
{
  return theme != NULL ? theme : &theme_light;
}

void
dvp_set_rgb (cairo_t *cr, DvRgb c)
{
  cairo_set_source_rgb (cr, c.r, c.g, c.b);
}

void
dvp_set_rgba (cairo_t *cr, DvRgb c, double a)
{
  cairo_set_source_rgba (cr, c.r, c.g, c.b, a);
}

void
dvp_background (cairo_t *cr, const DvPlotTheme *th, double w, double h)
{
  dvp_set_rgb (cr, th->background);
  cairo_rectangle (cr, 0, 0, w, h);
  cairo_fill (cr);
}

DvRgb
dvp_trace_color (const DvRgb *colors, int i)
{
  return colors != NULL ? colors[i] : dv_palette_layer (i);
}

gboolean
dvp_step_flag (const DvPlotTimeline *tl, int t, guint8 flag)
{
  return tl->flags != NULL && t >= 0 && t < tl->n && (tl->flags[t] & flag) != 0;
}

/* ---- messages ------------------------------------------------------------------ */

void
dvp_placeholder (cairo_t *cr, const DvPlotTheme *th, const DvPlotRect *r, const char *msg)
{
  dvp_set_rgb (cr, th->muted);
  dvp_text (cr, r->x + r->w / 2, r->y + r->h / 2, msg, DVP_FONT_LABEL, FALSE, 0.5, 0.5);
}

/* ---- axes ------------------------------------------------------------------------ */

static int
max_ticks_for (double pixels, double spacing)
{
  return MAX (2, (int) (pixels / spacing));
}

double
dvp_y_margin (cairo_t *cr, double y0, double y1, gboolean with_label)
{
  double ticks[32], step;
  int n = dv_axis_ticks (y0, y1, 6, ticks, &step);
  double wmax = 0;
  for (int i = 0; i < n; i++)
    {
      char buf[32];
      dv_axis_format (ticks[i], step, buf, sizeof buf);
      wmax = MAX (wmax, dvp_text_width (cr, buf, DVP_FONT_TICK, FALSE));
    }
  return wmax + 10 + (with_label ? DVP_FONT_LABEL + 10 : 0) + 4;
}

static void
axes (cairo_t *cr, const DvPlotTheme *th, const DvpFrame *f, const char *x_label,
      const char *y_label, gboolean y_ticks)
{
  const DvPlotRect *a = &f->area;
  double xt[64], yt[64], xstep = 1, ystep = 1;
  int nx = dv_axis_ticks (f->x0, f->x1, MIN (max_ticks_for (a->w, 55), 30), xt, &xstep);
  int ny = y_ticks ? dv_axis_ticks (f->y0, f->y1, MIN (max_ticks_for (a->h, 36), 30), yt, &ystep)
                   : 0;
  char buf[32];

  cairo_save (cr);
  cairo_set_line_width (cr, 1);
  dvp_set_rgb (cr, th->grid);
  for (int i = 0; i < ny; i++)
    {
      double y = round (dvp_y (f, yt[i])) + 0.5;
      cairo_move_to (cr, a->x, y);
      cairo_line_to (cr, a->x + a->w, y);
    }
  for (int i = 0; i < nx; i++)
    {
      double x = round (dvp_x (f, xt[i])) + 0.5;
      cairo_move_to (cr, x, a->y);
      cairo_line_to (cr, x, a->y + a->h);
    }
  cairo_stroke (cr);

  dvp_set_rgb (cr, th->foreground);
  cairo_move_to (cr, a->x + 0.5, a->y);
  cairo_line_to (cr, a->x + 0.5, a->y + a->h + 0.5);
  cairo_line_to (cr, a->x + a->w, a->y + a->h + 0.5);
  for (int i = 0; i < ny; i++)
    {
      double y = round (dvp_y (f, yt[i])) + 0.5;
      cairo_move_to (cr, a->x - 4, y);
      cairo_line_to (cr, a->x, y);
    }
  for (int i = 0; i < nx; i++)
    {
      double x = round (dvp_x (f, xt[i])) + 0.5;
      cairo_move_to (cr, x, a->y + a->h);
      cairo_line_to (cr, x, a->y + a->h + 4);
    }
  cairo_stroke (cr);

  for (int i = 0; i < ny; i++)
    {
      dv_axis_format (yt[i], ystep, buf, sizeof buf);
      dvp_text (cr, a->x - 7, dvp_y (f, yt[i]), buf, DVP_FONT_TICK, FALSE, 1, 0.5);
    }
  for (int i = 0; i < nx; i++)
    {
      dv_axis_format (xt[i], xstep, buf, sizeof buf);
      dvp_text (cr, dvp_x (f, xt[i]), a->y + a->h + 6, buf, DVP_FONT_TICK, FALSE, 0.5, 0);
    }
  if (x_label != NULL)
    dvp_text (cr, a->x + a->w / 2, a->y + a->h + 8 + DVP_FONT_TICK + 6, x_label,
              DVP_FONT_LABEL, FALSE, 0.5, 0);
  if (y_label != NULL)
    {
      double wmax = 0;
      for (int i = 0; i < ny; i++)
        {
          dv_axis_format (yt[i], ystep, buf, sizeof buf);
          wmax = MAX (wmax, dvp_text_width (cr, buf, DVP_FONT_TICK, FALSE));
        }
      dvp_text_rotated (cr, a->x - wmax - 12 - DVP_FONT_LABEL / 2, a->y + a->h / 2, y_label,
                        DVP_FONT_LABEL);
    }
  cairo_restore (cr);
}

void
dvp_axes (cairo_t *cr, const DvPlotTheme *th, const DvpFrame *f, const char *x_label,
          const char *y_label)
{
  axes (cr, th, f, x_label, y_label, TRUE);
}

void
dvp_axes_x_only (cairo_t *cr, const DvPlotTheme *th, const DvpFrame *f, const char *x_label)
{
  axes (cr, th, f, x_label, NULL, FALSE);
}

/* ---- bands and cursor ------------------------------------------------------------- */

void
dvp_bands (cairo_t *cr, const DvPlotTheme *th, const DvpFrame *f, const DvPlotTimeline *tl,
           gboolean labels)
{
  if (tl->flags == NULL || tl->n <= 0)
    return;
  g_autoptr (GArray) bands = dv_schedule_bands (tl->flags, tl->contrast, tl->n);
  const DvPlotRect *a = &f->area;
  static const double dash[] = { 4, 3 };

  cairo_save (cr);
  cairo_rectangle (cr, a->x, a->y - 16, a->w + 1, a->h + 16);
  cairo_clip (cr);
  double free_x = -G_MAXDOUBLE; /* labels never overlap: one that does not fit is left out */
  for (guint i = 0; i < bands->len; i++)
    {
      const DvBand *b = &g_array_index (bands, DvBand, i);
      double x0 = dvp_x (f, b->start * tl->dt), x1 = dvp_x (f, b->end * tl->dt);
      double alpha = 0.08 + 0.14 * CLAMP (b->contrast, 0.0, 1.0);
      dvp_set_rgba (cr, th->band, alpha);
      cairo_rectangle (cr, x0, a->y, x1 - x0, a->h);
      cairo_fill (cr);

      dvp_set_rgb (cr, th->marker);
      cairo_set_line_width (cr, 1);
      cairo_set_dash (cr, dash, 2, 0);
      cairo_move_to (cr, round (x0) + 0.5, a->y);
      cairo_line_to (cr, round (x0) + 0.5, a->y + a->h);
      cairo_move_to (cr, round (x1) + 0.5, a->y);
      cairo_line_to (cr, round (x1) + 0.5, a->y + a->h);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      if (labels && x0 + 3 >= free_x)
        {
          dvp_text (cr, x0 + 3, a->y - 2, _("on"), DVP_FONT_TICK - 1, FALSE, 0, 1);
          free_x = x0 + 3 + dvp_text_width (cr, _("on"), DVP_FONT_TICK - 1, FALSE) + 4;
        }
      if (labels && b->end < tl->n && x1 + 3 >= free_x)
        {
          dvp_text (cr, x1 + 3, a->y - 2, _("off"), DVP_FONT_TICK - 1, FALSE, 0, 1);
          free_x = x1 + 3 + dvp_text_width (cr, _("off"), DVP_FONT_TICK - 1, FALSE) + 4;
        }
    }
  cairo_restore (cr);
}

void
dvp_cursor (cairo_t *cr, const DvPlotTheme *th, const DvpFrame *f, double x_ms)
{
  if (x_ms < f->x0 || x_ms > f->x1)
    return;
  double x = round (dvp_x (f, x_ms)) + 0.5;
  cairo_save (cr);
  dvp_set_rgba (cr, th->cursor, 0.85);
  cairo_set_line_width (cr, 1.5);
  cairo_move_to (cr, x, f->area.y);
  cairo_line_to (cr, x, f->area.y + f->area.h);
  cairo_stroke (cr);
  /* a small triangle on the time axis */
  cairo_move_to (cr, x - 4, f->area.y + f->area.h);
  cairo_line_to (cr, x + 4, f->area.y + f->area.h);
  cairo_line_to (cr, x, f->area.y + f->area.h - 6);
  cairo_close_path (cr);
  cairo_fill (cr);
  cairo_restore (cr);
}

/* ---- legend and colour bar ------------------------------------------------------- */

const char *
dvp_trace_name (const char *const *names, int i, char *buf, gsize len)
{
  if (names != NULL && names[i] != NULL)
    return names[i];
  g_snprintf (buf, len, "trace %d", i);
  return buf;
}

double
dvp_legend_width (cairo_t *cr, const char *const *names, int n)
{
  double w = 0;
  char buf[32];
  for (int i = 0; i < n; i++)
    w = MAX (w, dvp_text_width (cr, dvp_trace_name (names, i, buf, sizeof buf), DVP_FONT_TICK,
                                TRUE));
  return w + 26;
}

double
dvp_legend (cairo_t *cr, const DvPlotTheme *th, double x, double y, double max_w,
            const char *const *names, const DvRgb *colors, int n, int highlight,
            const gboolean *hidden)
{
  /* a name too long for max_w wraps onto a second line, and its row grows */
  const double row = DVP_FONT_TICK + 7;
  double line_h = dvp_line_height (cr, DVP_FONT_TICK, FALSE), y_row = y;
  cairo_save (cr);
  for (int i = 0; i < n; i++)
    {
      gboolean off = hidden != NULL && hidden[i];
      double cy = y_row + row / 2;
      DvRgb c = dvp_trace_color (colors, i);
      cairo_set_line_width (cr, i == highlight ? 3.5 : 2);
      if (off)
        dvp_set_rgba (cr, c, 0.3);
      else
        dvp_set_rgb (cr, c);
      cairo_move_to (cr, x, cy);
      cairo_line_to (cr, x + 18, cy);
      cairo_stroke (cr);
      if (off)
        dvp_set_rgb (cr, th->muted);
      else
        dvp_set_rgb (cr, th->foreground);
      char buf[32];
      double h = dvp_text_draw (cr, x + 24, cy - line_h / 2, dvp_trace_name (names, i, buf, sizeof buf),
                                &(DvpTextStyle) { .size = DVP_FONT_TICK, .bold = i == highlight,
                                                  .max_w = MAX (max_w - 24, 10), .max_lines = 2 });
      y_row += row + MAX (h - line_h, 0);
    }
  cairo_restore (cr);
  return y_row - y;
}

void
dvp_colorbar (cairo_t *cr, const DvPlotTheme *th, const DvPlotRect *r, DvColormap map,
              float lo, float hi, gboolean per_channel, const char *label)
{
  cairo_save (cr);
  cairo_pattern_t *pat = cairo_pattern_create_linear (0, r->y + r->h, 0, r->y);
  for (int i = 0; i <= 32; i++)
    {
      DvRgb c = dv_colormap_eval (map, i / 32.0);
      cairo_pattern_add_color_stop_rgb (pat, i / 32.0, c.r, c.g, c.b);
    }
  cairo_set_source (cr, pat);
  cairo_rectangle (cr, r->x, r->y, r->w, r->h);
  cairo_fill (cr);
  cairo_pattern_destroy (pat);
  dvp_set_rgb (cr, th->foreground);
  cairo_set_line_width (cr, 1);
  cairo_rectangle (cr, round (r->x) + 0.5, round (r->y) + 0.5, round (r->w), round (r->h));
  cairo_stroke (cr);

  double tx = r->x + r->w + 4;
  if (per_channel || !(hi > lo))
    {
      dvp_text (cr, tx, r->y, per_channel ? _("max") : "", DVP_FONT_TICK, FALSE, 0, 0.5);
      dvp_text (cr, tx, r->y + r->h, per_channel ? _("min") : "", DVP_FONT_TICK, FALSE, 0, 0.5);
      if (!per_channel && isfinite (lo))
        {
          char buf[32];
          dv_axis_format (lo, 1, buf, sizeof buf);
          dvp_text (cr, tx, r->y + r->h / 2, buf, DVP_FONT_TICK, FALSE, 0, 0.5);
        }
    }
  else
    {
      double ticks[32], step;
      int n = dv_axis_ticks (lo, hi, MAX (2, (int) (r->h / 30)), ticks, &step);
      for (int i = 0; i < n; i++)
        {
          char buf[32];
          double y = r->y + r->h - (ticks[i] - lo) / (hi - lo) * r->h;
          cairo_move_to (cr, r->x + r->w, round (y) + 0.5);
          cairo_line_to (cr, r->x + r->w + 3, round (y) + 0.5);
          cairo_stroke (cr);
          dv_axis_format (ticks[i], step, buf, sizeof buf);
          dvp_text (cr, tx + 1, y, buf, DVP_FONT_TICK, FALSE, 0, 0.5);
        }
    }
  /* the title starts at the bar's left edge and stays within the bar's column
   * (bar and tick labels), so a grid beside it can never run under it */
  if (label != NULL)
    dvp_text_fit (cr, r->x - 4, r->y - 6, label, DVP_FONT_TICK, FALSE, 0, 1, r->w + 62);
  cairo_restore (cr);
}

/* ---- numbers ---------------------------------------------------------------------- */

void
dvp_csv_number (GString *out, double v)
{
  if (!isfinite (v))
    return; /* empty field: read as NaN by numpy/pandas */
  /* values that are floats round-trip as floats; others as doubles */
  dv_number_append (out, v, DV_NUMBER_BARE_INTEGERS | ((double) (float) v == v ? DV_NUMBER_FLOAT : 0));
}

void
dvp_csv_field (GString *out, const char *s)
{
  if (strpbrk (s, ",\"\n\r") == NULL)
    {
      g_string_append (out, s);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = s; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}
