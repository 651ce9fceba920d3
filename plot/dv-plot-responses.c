/* dv-plot-responses.c — (a) traces over time: layer responses and unit probes.
 *
 * What this is for: mean |activation| of every layer against time in ms,
 * with the stimulus bands, onset/offset markers, the time cursor (and the
 * traces' values at it) and a legend; the same renderer draws the single-unit
 * probe trace.  Also its CSV (one row per recorded timestep) and parameters.
 * What this is not for: computing the means (the engine thread does).
 */
#include "dv-plot-private.h"

#include <glib/gi18n-lib.h>

#include <math.h>

void
dv_responses_plot_init (DvResponsesPlot *p)
{
  g_return_if_fail (p != NULL);
  *p = (DvResponsesPlot) { .cursor = -1, .highlight = -1, .timeline = { .dt = 1 } };
}

static gboolean
trace_visible (const DvResponsesPlot *p, guint k)
{
  return p->hidden == NULL || !p->hidden[k];
}

/* Per-trace divisor: its max |value| when normalising, else 1. */
static void
trace_scales (const DvResponsesPlot *p, double *scale)
{
  guint nv = p->series != NULL ? dv_series_n_values (p->series) : 0;
  for (guint k = 0; k < nv; k++)
    {
      scale[k] = 1;
      if (!p->normalise)
        continue;
      DvRange r;
      dv_series_range (p->series, k, &r);
      double m = dv_range_is_empty (&r) ? 0 : MAX (fabs (r.min), fabs (r.max));
      scale[k] = m > 0 ? m : 1;
    }
}

static int
x_extent (const DvResponsesPlot *p)
{
  int n = p->timeline.n;
  guint len = p->series != NULL ? dv_series_length (p->series) : 0;
  if (len > 0)
    n = MAX (n, dv_series_time (p->series, len - 1) + 1);
  return MAX (n, 1);
}

/* The data frame: y range over the visible traces (always including 0),
 * x over the sequence, margins for ticks, labels and the legend.  scale
 * has n_values entries.  FALSE when the area is too small to draw. */
static gboolean
responses_layout (const DvResponsesPlot *p, cairo_t *cr, double width, double height,
                  const double *scale, DvpFrame *f, double *legend_w)
{
  guint nv = p->series != NULL ? dv_series_n_values (p->series) : 0;
  guint len = p->series != NULL ? dv_series_length (p->series) : 0;
  double dt = p->timeline.dt > 0 ? p->timeline.dt : 1;
  double ymin = 0, ymax = 0;
  for (guint i = 0; i < len; i++)
    {
      const float *row = dv_series_row (p->series, i);
      for (guint k = 0; k < nv; k++)
        if (trace_visible (p, k) && isfinite (row[k]))
          {
            ymin = MIN (ymin, row[k] / scale[k]);
            ymax = MAX (ymax, row[k] / scale[k]);
          }
    }
  if (ymax - ymin <= 0)
    ymax = 1;
  double ticks[64], step;
  dv_axis_ticks (ymin, ymax, 6, ticks, &step);
  ymax = ceil (ymax / step - 1e-9) * step;
  ymin = floor (ymin / step + 1e-9) * step;

  /* room for a probed unit's name ("layer1 c6 (y 11, x 12)") on one line in
   * a narrow plot; longer names wrap in the legend */
  *legend_w = nv > 0 ? MIN (dvp_legend_width (cr, p->names, nv), MAX (width * 0.3, 170)) : 0;
  *f = (DvpFrame) { .x0 = 0, .x1 = x_extent (p) * dt, .y0 = ymin, .y1 = ymax };
  f->area.x = dvp_y_margin (cr, ymin, ymax, TRUE);
  f->area.y = 8 + DVP_FONT_TITLE + 22;
  f->area.w = width - f->area.x - *legend_w - 26;
  f->area.h = height - f->area.y - 46;
  return f->area.w >= 20 && f->area.h >= 20;
}

int
dv_responses_plot_step_at (const DvResponsesPlot *p, double width, double height, double x)
{
  g_return_val_if_fail (p != NULL, -1);
  guint nv = p->series != NULL ? dv_series_n_values (p->series) : 0;
  double scale[MAX (nv, 1)];
  if (nv > 0)
    trace_scales (p, scale);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (s);
  DvpFrame f;
  double legend_w;
  gboolean ok = responses_layout (p, cr, width, height, scale, &f, &legend_w);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
  if (!ok || x < f.area.x - 8 || x > f.area.x + f.area.w + 8)
    return -1;
  double dt = p->timeline.dt > 0 ? p->timeline.dt : 1;
  int t = (int) lround ((f.x0 + (x - f.area.x) / f.area.w * (f.x1 - f.x0)) / dt);
  return CLAMP (t, 0, MAX (x_extent (p) - 1, 0));
}

void
dv_responses_plot_draw (const DvResponsesPlot *p, cairo_t *cr, double width, double height)
{
  g_return_if_fail (p != NULL && cr != NULL);
  const DvPlotTheme *th = dvp_theme (p->theme);
  const DvPlotTimeline *tl = &p->timeline;
  guint nv = p->series != NULL ? dv_series_n_values (p->series) : 0;
  guint len = p->series != NULL ? dv_series_length (p->series) : 0;
  double dt = tl->dt > 0 ? tl->dt : 1;

  cairo_save (cr);
  dvp_background (cr, th, width, height);

  /* title line: name on the left, cursor time on the right */
  dvp_set_rgb (cr, th->foreground);
  dvp_text (cr, 12, 8, p->title ? p->title : _("Layer responses"), DVP_FONT_TITLE, TRUE, 0, 0);
  if (p->cursor >= 0)
    {
      g_autofree char *cur = g_strdup_printf (_("t = %g ms (step %d)"), p->cursor * dt, p->cursor);
      dvp_set_rgb (cr, th->muted);
      dvp_text (cr, width - 12, 8, cur, DVP_FONT_LABEL, FALSE, 1, 0);
    }

  double scale[MAX (nv, 1)];
  if (nv > 0)
    trace_scales (p, scale);

  DvpFrame f;
  double legend_w;
  if (!responses_layout (p, cr, width, height, scale, &f, &legend_w))
    {
      cairo_restore (cr);
      return;
    }

  dvp_bands (cr, th, &f, tl, TRUE);
  const char *y_label = p->y_label ? p->y_label : _("mean |activation|");
  g_autofree char *y_label_n = p->normalise ? g_strconcat (y_label, _(" (÷ max)"), NULL) : NULL;
  dvp_axes (cr, th, &f, _("time (ms)"), p->normalise ? y_label_n : y_label);

  if (len == 0)
    dvp_placeholder (cr, th, &f.area, _("no timesteps recorded yet"));

  gboolean markers = len > 0 && f.area.w / (double) x_extent (p) >= 10;
  cairo_save (cr);
  cairo_rectangle (cr, f.area.x, f.area.y - 4, f.area.w + 4, f.area.h + 8);
  cairo_clip (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (int pass = 0; pass < 2; pass++)
    for (guint k = 0; k < nv; k++)
      {
        /* the highlighted trace goes last, on top */
        if (!trace_visible (p, k) || (pass == 0) == ((int) k == p->highlight))
          continue;
        DvRgb c = dvp_trace_color (p->colors, k);
        dvp_set_rgb (cr, c);
        cairo_set_line_width (cr, (int) k == p->highlight ? 3.0 : 1.8);
        int prev_t = G_MININT;
        for (guint i = 0; i < len; i++)
          {
            int t = dv_series_time (p->series, i);
            float v = dv_series_row (p->series, i)[k];
            if (!isfinite (v))
              {
                prev_t = G_MININT;
                continue;
              }
            double x = dvp_x (&f, t * dt), y = dvp_y (&f, v / scale[k]);
            if (prev_t == t - 1)
              cairo_line_to (cr, x, y);
            else
              cairo_move_to (cr, x, y);
            prev_t = t;
          }
        cairo_stroke (cr);
        if (markers)
          for (guint i = 0; i < len; i++)
            {
              float v = dv_series_row (p->series, i)[k];
              if (!isfinite (v))
                continue;
              cairo_arc (cr, dvp_x (&f, dv_series_time (p->series, i) * dt),
                         dvp_y (&f, v / scale[k]), (int) k == p->highlight ? 3 : 2.2, 0, 2 * G_PI);
              cairo_fill (cr);
            }
      }
  cairo_restore (cr);

  if (p->cursor >= 0)
    {
      dvp_cursor (cr, th, &f, p->cursor * dt);
      int i = p->series != NULL ? dv_series_find (p->series, p->cursor) : -1;
      if (i >= 0)
        {
          const float *row = dv_series_row (p->series, i);
          for (guint k = 0; k < nv; k++)
            {
              if (!trace_visible (p, k) || !isfinite (row[k]))
                continue;
              double x = dvp_x (&f, p->cursor * dt), y = dvp_y (&f, row[k] / scale[k]);
              dvp_set_rgb (cr, th->background);
              cairo_arc (cr, x, y, 5, 0, 2 * G_PI);
              cairo_fill (cr);
              dvp_set_rgb (cr, dvp_trace_color (p->colors, k));
              cairo_arc (cr, x, y, 3.5, 0, 2 * G_PI);
              cairo_fill (cr);
            }
        }
    }

  if (nv > 0)
    {
      double lx = f.area.x + f.area.w + 18;
      double legend_h = dvp_legend (cr, th, lx, f.area.y, legend_w, p->names, p->colors, nv,
                                    p->highlight, p->hidden);
      /* values at the cursor under the legend */
      int i = p->cursor >= 0 && p->series != NULL ? dv_series_find (p->series, p->cursor) : -1;
      if (i >= 0)
        {
          const float *row = dv_series_row (p->series, i);
          double y = f.area.y + legend_h + 14;
          dvp_set_rgb (cr, th->muted);
          dvp_text (cr, lx, y, _("at cursor:"), DVP_FONT_TICK - 1, FALSE, 0, 0);
          for (guint k = 0; k < nv; k++)
            {
              char buf[48];
              if (!trace_visible (p, k))
                continue;
              y += DVP_FONT_TICK + 4;
              g_snprintf (buf, sizeof buf, "%.4g", row[k]);
              dvp_set_rgb (cr, dvp_trace_color (p->colors, k));
              cairo_rectangle (cr, lx, y + 3, 8, 8);
              cairo_fill (cr);
              dvp_set_rgb (cr, th->foreground);
              dvp_text (cr, lx + 14, y, buf, DVP_FONT_TICK - 1, FALSE, 0, 0);
            }
        }
    }
  cairo_restore (cr);
}

/* ---- export ---------------------------------------------------------------------- */

static void
responses_draw (gconstpointer self, cairo_t *cr, double w, double h)
{
  dv_responses_plot_draw (self, cr, w, h);
}

static void
responses_csv (gconstpointer self, GString *out)
{
  const DvResponsesPlot *p = self;
  guint nv = p->series != NULL ? dv_series_n_values (p->series) : 0;
  double dt = p->timeline.dt > 0 ? p->timeline.dt : 1;
  double scale[MAX (nv, 1)];
  trace_scales (p, scale);

  g_string_append (out, "t,time_ms,stimulus");
  for (guint k = 0; k < nv; k++)
    if (trace_visible (p, k))
      {
        char buf[32];
        g_string_append_c (out, ',');
        /* divided by its maximum: the column says so (<trace>_normalised) */
        const char *name = dvp_trace_name (p->names, k, buf, sizeof buf);
        g_autofree char *col = p->normalise ? g_strconcat (name, "_normalised", NULL) : NULL;
        dvp_csv_field (out, col ? col : name);
      }
  g_string_append_c (out, '\n');
  guint len = p->series != NULL ? dv_series_length (p->series) : 0;
  for (guint i = 0; i < len; i++)
    {
      int t = dv_series_time (p->series, i);
      const float *row = dv_series_row (p->series, i);
      g_string_append_printf (out, "%d,", t);
      dvp_csv_number (out, t * dt);
      g_string_append_printf (out, ",%d", dvp_step_flag (&p->timeline, t, DV_PLOT_STEP_STIMULUS));
      for (guint k = 0; k < nv; k++)
        if (trace_visible (p, k))
          {
            g_string_append_c (out, ',');
            dvp_csv_number (out, p->normalise ? (float) (row[k] / scale[k]) : row[k]);
          }
      g_string_append_c (out, '\n');
    }
}

static void
responses_params (gconstpointer self, DvJsonWriter *j)
{
  const DvResponsesPlot *p = self;
  guint nv = p->series != NULL ? dv_series_n_values (p->series) : 0;
  dv_json_writer_string (j, "title", p->title ? p->title : "Layer responses");
  dv_json_writer_string (j, "y_label", p->y_label ? p->y_label : "mean |activation|");
  dv_json_writer_string (j, "x_label", "time (ms)");
  dv_json_writer_bool (j, "normalise", p->normalise);
  dv_json_writer_string (j, "normalisation", p->normalise ? "each trace divided by its maximum |value| "
                         "(CSV columns <trace>_normalised)" : NULL);
  dv_json_writer_int (j, "cursor_step", p->cursor);
  dv_json_writer_int (j, "n_recorded", p->series != NULL ? dv_series_length (p->series) : 0);
  dv_json_writer_begin_array (j, "traces");
  for (guint k = 0; k < nv; k++)
    {
      char hex[8], buf[32];
      DvRgb c = dvp_trace_color (p->colors, k);
      g_snprintf (hex, sizeof hex, "#%02x%02x%02x", (int) lround (c.r * 255),
                  (int) lround (c.g * 255), (int) lround (c.b * 255));
      dv_json_writer_begin_object (j, NULL);
      dv_json_writer_string (j, "name", dvp_trace_name (p->names, k, buf, sizeof buf));
      dv_json_writer_string (j, "color", hex);
      dv_json_writer_bool (j, "visible", trace_visible (p, k));
      dv_json_writer_bool (j, "highlighted", (int) k == p->highlight);
      dv_json_writer_end (j);
    }
  dv_json_writer_end (j);
  dvp_json_timeline (j, &p->timeline);
}

static const DvPlotClass responses_class = {
  "responses", responses_draw, responses_csv, responses_params,
};

DvPlot
dv_responses_plot_as_plot (const DvResponsesPlot *p)
{
  DvPlot plot = { &responses_class, p };
  return plot;
}
