/* dv-plot-latency.c — (d) onset latency, peak time and peak height per layer.
 *
 * What this is for: the tutorial's response-latency bar chart (first step at
 * which the min-max normalised mean trace exceeds the threshold), extended
 * with DynVision's peak_time and peak_height, all measured from the first
 * stimulus onset of the schedule.  Also its CSV (one row per layer) and
 * parameters.
 * What this is not for: the measure itself (dv_latency_compute in
 * dv-plot-model.c).
 */
#include "dv-plot-private.h"

#include <glib/gi18n-lib.h>

#include <math.h>

void
dv_latency_plot_init (DvLatencyPlot *p)
{
  g_return_if_fail (p != NULL);
  *p = (DvLatencyPlot) { .threshold = 0.5f, .highlight = -1, .timeline = { .dt = 1 } };
}

void
dv_latency_plot_compute (const DvLatencyPlot *p, DvLatency *out, int *reference)
{
  g_return_if_fail (p != NULL && p->series != NULL && out != NULL);
  guint nv = dv_series_n_values (p->series), len = dv_series_length (p->series);
  int ref = p->timeline.flags != NULL ? dv_schedule_first_onset (p->timeline.flags, p->timeline.n)
                                      : -1;
  if (reference)
    *reference = MAX (ref, 0);
  g_autofree float *trace = g_new (float, MAX (len, 1));
  for (guint k = 0; k < nv; k++)
    {
      dv_series_column (p->series, k, trace);
      dv_latency_compute (trace, len, p->threshold, &out[k]);
      /* indices into the kept rows -> timesteps */
      if (out[k].onset >= 0)
        out[k].onset = dv_series_time (p->series, out[k].onset);
      if (out[k].peak >= 0)
        out[k].peak = dv_series_time (p->series, out[k].peak);
    }
}

void
dv_latency_plot_draw (const DvLatencyPlot *p, cairo_t *cr, double width, double height)
{
  g_return_if_fail (p != NULL && cr != NULL);
  const DvPlotTheme *th = dvp_theme (p->theme);
  guint nv = p->series != NULL ? dv_series_n_values (p->series) : 0;
  double dt = p->timeline.dt > 0 ? p->timeline.dt : 1;

  cairo_save (cr);
  dvp_background (cr, th, width, height);
  dvp_set_rgb (cr, th->foreground);
  dvp_text (cr, 12, 8, p->title ? p->title : _("Latency & peaks"), DVP_FONT_TITLE, TRUE, 0, 0);
  if (nv == 0 || dv_series_length (p->series) == 0)
    {
      DvPlotRect r = { 0, 30, width, height - 30 };
      dvp_placeholder (cr, th, &r, _("no timesteps recorded yet"));
      cairo_restore (cr);
      return;
    }

  g_autofree DvLatency *lat = g_new (DvLatency, nv);
  int ref;
  dv_latency_plot_compute (p, lat, &ref);
  guint len = dv_series_length (p->series);
  if (p->timeline.n > 0 && (int) len < p->timeline.n)
    {
      /* the measures change as the sequence goes on: say over what */
      g_autofree char *over = g_strdup_printf (_("over steps %d–%d of %d"), dv_series_time (p->series, 0),
                                               dv_series_time (p->series, len - 1), p->timeline.n);
      dvp_set_rgb (cr, th->muted);
      dvp_text (cr, width - 12, 8, over, DVP_FONT_LABEL, FALSE, 1, 0);
    }

  double name_w = 0;
  char nbuf[32];
  for (guint k = 0; k < nv; k++)
    name_w = MAX (name_w, dvp_text_width (cr, dvp_trace_name (p->names, k, nbuf, sizeof nbuf),
                                          DVP_FONT_LABEL, TRUE));
  double top = 8 + DVP_FONT_TITLE + 30, bottom = 46;
  double left = 12 + name_w + 10;
  double avail = width - left - 20;
  double gap = 40;
  DvpFrame ft = { .area = { left, top, (avail - gap) * 0.62, height - top - bottom } };
  DvpFrame fh = { .area = { left + ft.area.w + gap, top, (avail - gap) * 0.38, ft.area.h } };
  if (ft.area.w < 30 || ft.area.h < 20)
    {
      cairo_restore (cr);
      return;
    }

  /* time panel range: 0 .. latest peak or onset, in ms after the reference */
  double tmin = 0, tmax = dt;
  double hmax = 0;
  for (guint k = 0; k < nv; k++)
    {
      if (lat[k].onset >= 0)
        {
          tmin = MIN (tmin, (lat[k].onset - ref) * dt);
          tmax = MAX (tmax, (lat[k].onset - ref) * dt);
        }
      if (lat[k].peak >= 0 && lat[k].max > lat[k].min)
        {
          tmin = MIN (tmin, (lat[k].peak - ref) * dt);
          tmax = MAX (tmax, (lat[k].peak - ref) * dt);
        }
      if (isfinite (lat[k].peak_height))
        hmax = MAX (hmax, lat[k].peak_height);
    }
  /* room on the right for the labels beside the markers */
  tmax += 0.3 * (tmax - tmin);
  double ticks[64], step;
  dv_axis_ticks (tmin, tmax, 6, ticks, &step);
  ft.x0 = floor (tmin / step + 1e-9) * step;
  ft.x1 = ceil (tmax / step - 1e-9) * step;
  ft.y0 = 0;
  ft.y1 = nv;
  if (hmax <= 0)
    hmax = 1;
  dv_axis_ticks (0, hmax * 1.25, 4, ticks, &step);
  fh.x0 = 0;
  fh.x1 = ceil (hmax * 1.25 / step - 1e-9) * step;
  fh.y0 = 0;
  fh.y1 = nv;

  g_autofree char *tlabel = p->timeline.flags != NULL
                            ? g_strdup_printf (_("ms after stimulus onset (t = %g ms)"), ref * dt)
                            : g_strdup (_("time (ms)"));
  dvp_axes_x_only (cr, th, &ft, tlabel);
  dvp_axes_x_only (cr, th, &fh, _("peak mean |activation|"));
  dvp_set_rgb (cr, th->muted);
  /* said short enough to read whole: the onset is where the trace passes the
   * threshold of its min-max range */
  g_autofree char *key = g_strdup_printf (_("bar: onset (%g %% of range) · ◆ peak"),
                                          100.0 * p->threshold);
  dvp_text_fit (cr, ft.area.x, ft.area.y - 8, key, DVP_FONT_TICK - 1, FALSE, 0, 1,
                ft.area.w + gap - 8);
  dvp_text (cr, fh.area.x, fh.area.y - 8, _("peak height"), DVP_FONT_TICK - 1, FALSE, 0, 1);

  double row = ft.area.h / nv;
  /* onset labels above the bars when the rows have room; in short rows beside
   * the bars' ends if every one is clear of its peak marker; else none (the
   * bars and the axis say it), so all rows read alike */
  enum { ONSET_NONE, ONSET_ABOVE, ONSET_BESIDE } onset_labels = ONSET_ABOVE;
  if (MIN (row * 0.55, 26) / 2 + 2 + dvp_line_height (cr, DVP_FONT_TICK - 1, FALSE) > row / 2)
    {
      onset_labels = ONSET_BESIDE;
      for (guint k = 0; k < nv; k++)
        {
          if (lat[k].onset < 0)
            continue;
          char buf[32];
          g_snprintf (buf, sizeof buf, "onset %g ms", (lat[k].onset - ref) * dt);
          double end = MAX (dvp_x (&ft, 0), dvp_x (&ft, (lat[k].onset - ref) * dt)) + 4
                       + dvp_text_width (cr, buf, DVP_FONT_TICK - 1, FALSE);
          double limit = ft.area.x + ft.area.w;
          if (lat[k].peak >= 0 && lat[k].max > lat[k].min)
            limit = MIN (limit, dvp_x (&ft, (lat[k].peak - ref) * dt) - 10);
          if (end > limit)
            onset_labels = ONSET_NONE;
        }
    }
  for (guint k = 0; k < nv; k++)
    {
      /* layer k's row, top to bottom in model order */
      double yc = ft.area.y + (k + 0.5) * row;
      double bh = MIN (row * 0.55, 26);
      DvRgb c = dvp_trace_color (p->colors, k);
      gboolean hi = (int) k == p->highlight;
      dvp_set_rgb (cr, th->foreground);
      dvp_text (cr, left - 10, yc, dvp_trace_name (p->names, k, nbuf, sizeof nbuf),
                DVP_FONT_LABEL, hi, 1, 0.5);

      double x0 = dvp_x (&ft, 0);
      if (lat[k].onset >= 0)
        {
          double x1 = dvp_x (&ft, (lat[k].onset - ref) * dt);
          dvp_set_rgba (cr, c, hi ? 1 : 0.85);
          cairo_rectangle (cr, MIN (x0, x1), yc - bh / 2, fabs (x1 - x0), bh);
          cairo_fill (cr);
          char buf[32];
          g_snprintf (buf, sizeof buf, _("onset %g ms"), (lat[k].onset - ref) * dt);
          dvp_set_rgb (cr, th->foreground);
          if (onset_labels == ONSET_ABOVE)
            dvp_text (cr, MIN (x0, x1) + 2, yc - bh / 2 - 2, buf, DVP_FONT_TICK - 1, FALSE, 0, 1);
          else if (onset_labels == ONSET_BESIDE)
            dvp_text (cr, MAX (x0, x1) + 4, yc, buf, DVP_FONT_TICK - 1, FALSE, 0, 0.5);
        }
      else
        {
          dvp_set_rgb (cr, th->muted);
          dvp_text (cr, x0 + 5, yc, _("no onset (flat trace)"), DVP_FONT_TICK - 1, FALSE, 0, 0.5);
        }
      /* a flat trace (e.g. all zero before its input arrives) has no peak to show;
       * one whose maximum is its last step has none yet: an arrow, "still rising" */
      if (lat[k].rising)
        {
          double xp = dvp_x (&ft, (lat[k].peak - ref) * dt);
          dvp_set_rgb (cr, th->foreground);
          cairo_set_line_width (cr, 1.5);
          cairo_move_to (cr, xp - 10, yc);
          cairo_line_to (cr, xp, yc);
          cairo_stroke (cr);
          cairo_move_to (cr, xp + 6, yc);
          cairo_line_to (cr, xp, yc - 5);
          cairo_line_to (cr, xp, yc + 5);
          cairo_close_path (cr);
          cairo_fill (cr);
          const char *rising = _("still rising");
          double tw = dvp_text_width (cr, rising, DVP_FONT_TICK - 1, FALSE);
          if (xp + 10 + tw < ft.area.x + ft.area.w + gap)
            dvp_text (cr, xp + 10, yc, rising, DVP_FONT_TICK - 1, FALSE, 0, 0.5);
          else
            dvp_text (cr, xp - 14, yc, rising, DVP_FONT_TICK - 1, FALSE, 1, 0.5);
        }
      else if (lat[k].peak >= 0 && lat[k].max > lat[k].min)
        {
          double xp = dvp_x (&ft, (lat[k].peak - ref) * dt);
          dvp_set_rgb (cr, th->background);
          cairo_move_to (cr, xp, yc - 8);
          cairo_line_to (cr, xp + 8, yc);
          cairo_line_to (cr, xp, yc + 8);
          cairo_line_to (cr, xp - 8, yc);
          cairo_close_path (cr);
          cairo_fill (cr);
          dvp_set_rgb (cr, th->foreground);
          cairo_move_to (cr, xp, yc - 6);
          cairo_line_to (cr, xp + 6, yc);
          cairo_line_to (cr, xp, yc + 6);
          cairo_line_to (cr, xp - 6, yc);
          cairo_close_path (cr);
          cairo_fill (cr);
          char buf[32];
          g_snprintf (buf, sizeof buf, _("peak %g ms"), (lat[k].peak - ref) * dt);
          dvp_set_rgb (cr, th->foreground);
          dvp_text (cr, xp + 10, yc, buf, DVP_FONT_TICK - 1, FALSE, 0, 0.5);
        }

      if (isfinite (lat[k].peak_height))
        {
          double xh = dvp_x (&fh, lat[k].peak_height);
          dvp_set_rgba (cr, c, hi ? 1 : 0.85);
          cairo_rectangle (cr, fh.area.x + 1, yc - bh / 2, xh - fh.area.x - 1, bh);
          cairo_fill (cr);
          char buf[32];
          g_snprintf (buf, sizeof buf, "%.3g", lat[k].peak_height);
          dvp_set_rgb (cr, th->foreground);
          if (xh + 4 + dvp_text_width (cr, buf, DVP_FONT_TICK - 1, FALSE) < width - 2)
            dvp_text (cr, xh + 4, yc, buf, DVP_FONT_TICK - 1, FALSE, 0, 0.5);
        }
    }
  /* the reference: stimulus onset */
  if (ft.x0 < 0 || p->timeline.flags != NULL)
    {
      double x0 = round (dvp_x (&ft, 0)) + 0.5;
      dvp_set_rgb (cr, th->marker);
      static const double dash[] = { 4, 3 };
      cairo_set_dash (cr, dash, 2, 0);
      cairo_set_line_width (cr, 1);
      cairo_move_to (cr, x0, ft.area.y);
      cairo_line_to (cr, x0, ft.area.y + ft.area.h);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
    }
  cairo_restore (cr);
}

/* ---- export ---------------------------------------------------------------------- */

static void
latency_draw (gconstpointer self, cairo_t *cr, double w, double h)
{
  dv_latency_plot_draw (self, cr, w, h);
}

static void
latency_csv (gconstpointer self, GString *out)
{
  const DvLatencyPlot *p = self;
  guint nv = p->series != NULL ? dv_series_n_values (p->series) : 0;
  guint len = p->series != NULL ? dv_series_length (p->series) : 0;
  double dt = p->timeline.dt > 0 ? p->timeline.dt : 1;
  g_autofree DvLatency *lat = g_new (DvLatency, MAX (nv, 1));
  int ref = 0;
  if (len > 0)
    dv_latency_plot_compute (p, lat, &ref);
  g_string_append (out, "layer,onset_step,onset_latency_ms,peak_step,peak_latency_ms,"
                        "peak_height,reference_step,still_rising\n");
  for (guint k = 0; k < nv && len > 0; k++)
    {
      char buf[32];
      dvp_csv_field (out, dvp_trace_name (p->names, k, buf, sizeof buf));
      g_string_append_printf (out, ",%d,", lat[k].onset);
      dvp_csv_number (out, lat[k].onset >= 0 ? (lat[k].onset - ref) * dt : NAN);
      g_string_append_printf (out, ",%d,", lat[k].peak);
      dvp_csv_number (out, lat[k].peak >= 0 ? (lat[k].peak - ref) * dt : NAN);
      g_string_append_c (out, ',');
      dvp_csv_number (out, lat[k].peak_height);
      g_string_append_printf (out, ",%d,%s\n", ref, lat[k].rising ? "true" : "false");
    }
}

static void
latency_params (gconstpointer self, DvJsonWriter *j)
{
  const DvLatencyPlot *p = self;
  dv_json_writer_string (j, "title", p->title ? p->title : "Latency & peaks");
  dv_json_writer_float (j, "threshold", p->threshold);
  dv_json_writer_string (j, "onset_rule",
                       "first step with (x - min) / (max - min) > threshold on the mean trace");
  dv_json_writer_string (j, "reference", "first stimulus onset of the schedule (0 if none)");
  dv_json_writer_string (j, "still_rising",
                         "the maximum is the last recorded step: no peak yet (peak_* is that step)");
  guint nv = p->series != NULL ? dv_series_n_values (p->series) : 0;
  char buf[32];
  dv_json_writer_begin_array (j, "layers");
  for (guint k = 0; k < nv; k++)
    dv_json_writer_string (j, NULL, dvp_trace_name (p->names, k, buf, sizeof buf));
  dv_json_writer_end (j);
  dvp_json_timeline (j, &p->timeline);
}

static const DvPlotClass latency_class = {
  "latency", latency_draw, latency_csv, latency_params,
};

DvPlot
dv_latency_plot_as_plot (const DvLatencyPlot *p)
{
  DvPlot plot = { &latency_class, p };
  return plot;
}
