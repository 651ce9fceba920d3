/* dv-train-plots.c — line-chart panels and weight violins; see dv-train-plots.h. */
#include "dv-train-plots.h"

#include "dv-plot-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double dash_pattern[] = { 6, 4 };

void
dv_lines_plot_init (DvLinesPlot *p)
{
  memset (p, 0, sizeof *p);
  p->timeline.dt = 1;
}

static DvRgb
line_color (const DvLine *l, int i)
{
  return l->color ? *l->color : dv_palette_layer (i);
}

static double
legend_width (cairo_t *cr, const DvLinesPlot *p)
{
  double w = 0;
  for (int i = 0; i < p->n_lines; i++)
    if (p->lines[i].name)
      w = MAX (w, dvp_text_width (cr, p->lines[i].name, DVP_FONT_TICK, FALSE));
  return w > 0 ? w + 34 : 0;
}

static void
draw_legend (cairo_t *cr, const DvPlotTheme *th, const DvLinesPlot *p, double x, double y, double max_w)
{
  const double row = DVP_FONT_TICK + 7;
  int shown = 0;
  for (int i = 0; i < p->n_lines; i++)
    {
      const DvLine *l = &p->lines[i];
      if (l->name == NULL)
        continue;
      double cy = y + shown++ * row + row / 2;
      dvp_set_rgb (cr, line_color (l, i));
      cairo_set_line_width (cr, 2);
      cairo_set_dash (cr, l->dashed ? dash_pattern : NULL, l->dashed ? 2 : 0, 0);
      cairo_move_to (cr, x, cy);
      cairo_line_to (cr, x + 22, cy);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      dvp_set_rgb (cr, th->foreground);
      dvp_text_fit (cr, x + 28, cy, l->name, DVP_FONT_TICK, FALSE, 0, 0.5, MAX (max_w - 28, 10));
    }
}

typedef struct {
  double x0, x1, y0, y1;
} Ranges;

/* The data ranges of a panel, rounded out to its ticks. */
static Ranges
panel_ranges (const DvLinesPlot *p)
{
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (int i = 0; i < p->n_lines; i++)
    for (int k = 0; k < p->lines[i].n; k++)
      {
        double x = p->lines[i].x[k], y = p->lines[i].y[k];
        if (!isfinite (x) || !isfinite (y))
          continue;
        x0 = MIN (x0, x), x1 = MAX (x1, x);
        y0 = MIN (y0, y), y1 = MAX (y1, y);
      }
  if (p->timeline.flags && p->timeline.n > 0)
    {
      x0 = MIN (x0, 0);
      x1 = MAX (x1, (p->timeline.n - 1) * p->timeline.dt);
    }
  if (!isfinite (x0))
    x0 = 0, x1 = 1;
  if (x1 <= x0)
    x1 = x0 + 1;
  if (!isfinite (y0))
    y0 = 0, y1 = 1;
  if (p->include_zero)
    y0 = MIN (y0, 0), y1 = MAX (y1, 0);
  if (p->unit_range)
    y0 = MIN (0, y0), y1 = MAX (1, y1);
  if (y1 - y0 <= 0)
    y1 = y0 + 1;
  else if (!p->unit_range)
    {
      double ticks[64], step;
      dv_axis_ticks (y0, y1, 6, ticks, &step);
      y1 = ceil (y1 / step - 1e-9) * step;
      y0 = floor (y0 / step + 1e-9) * step;
    }
  return (Ranges) { x0, x1, y0, y1 };
}

/* Draws one panel into the rectangle r of cr; left and legend are the margins every panel
 * of a figure shares, so their axes line up. */
static void
lines_panel (const DvLinesPlot *p, const DvPlotTheme *th, cairo_t *cr, DvPlotRect r, double left, double lw)
{
  Ranges rg = panel_ranges (p);
  double x0 = rg.x0, x1 = rg.x1, y0 = rg.y0, y1 = rg.y1;
  double top = r.y;
  if (p->title)
    {
      dvp_set_rgb (cr, th->foreground);
      dvp_text (cr, r.x + 12, r.y + 4, p->title, DVP_FONT_LABEL, TRUE, 0, 0);
      top += DVP_FONT_LABEL + 10;
    }
  DvpFrame f = { .x0 = x0, .x1 = x1, .y0 = y0, .y1 = y1 };
  f.area.x = r.x + left;
  f.area.y = top + 18;
  f.area.w = r.x + r.w - f.area.x - lw - 22;
  f.area.h = r.y + r.h - f.area.y - 46;
  if (f.area.w < 20 || f.area.h < 20)
    return;
  dvp_bands (cr, th, &f, &p->timeline, TRUE);
  dvp_axes (cr, th, &f, p->x_label, p->y_label);

  cairo_save (cr);
  cairo_rectangle (cr, f.area.x - 4, f.area.y - 4, f.area.w + 8, f.area.h + 8);
  cairo_clip (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (int i = 0; i < p->n_lines; i++)
    {
      const DvLine *l = &p->lines[i];
      dvp_set_rgb (cr, line_color (l, i));
      cairo_set_line_width (cr, 2);
      cairo_set_dash (cr, l->dashed ? dash_pattern : NULL, l->dashed ? 2 : 0, 0);
      gboolean pen = FALSE;
      for (int k = 0; k < l->n; k++)
        {
          if (!isfinite (l->y[k]) || !isfinite (l->x[k]))
            {
              pen = FALSE;
              continue;
            }
          double x = dvp_x (&f, l->x[k]), y = dvp_y (&f, l->y[k]);
          if (pen)
            cairo_line_to (cr, x, y);
          else
            cairo_move_to (cr, x, y);
          pen = TRUE;
        }
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      if (p->markers || l->n == 1)
        for (int k = 0; k < l->n; k++)
          if (isfinite (l->y[k]) && isfinite (l->x[k]))
            {
              cairo_arc (cr, dvp_x (&f, l->x[k]), dvp_y (&f, l->y[k]), 2.6, 0, 2 * G_PI);
              cairo_fill (cr);
            }
    }
  cairo_restore (cr);
  if (lw > 0)
    draw_legend (cr, th, p, f.area.x + f.area.w + 14, f.area.y, lw);
}

void
dv_lines_plot_draw (const DvLinesPlot *p, cairo_t *cr, double width, double height)
{
  DvPanelsPlot one = { p->theme, NULL, p, 1 };
  dv_panels_plot_draw (&one, cr, width, height);
}

void
dv_panels_plot_draw (const DvPanelsPlot *p, cairo_t *cr, double width, double height)
{
  g_return_if_fail (p != NULL && cr != NULL);
  const DvPlotTheme *th = dvp_theme (p->theme);
  cairo_save (cr);
  dvp_background (cr, th, width, height);
  double top = 0;
  if (p->title)
    {
      dvp_set_rgb (cr, th->foreground);
      dvp_text (cr, 12, 8, p->title, DVP_FONT_TITLE, TRUE, 0, 0);
      top = 8 + DVP_FONT_TITLE + 6;
    }
  int n = MAX (p->n_panels, 1);
  double h = (height - top) / n, left = 0, lw = 0;
  for (int i = 0; i < p->n_panels; i++)
    {
      Ranges rg = panel_ranges (&p->panels[i]);
      left = MAX (left, dvp_y_margin (cr, rg.y0, rg.y1, p->panels[i].y_label != NULL));
      lw = MAX (lw, MIN (legend_width (cr, &p->panels[i]), width * 0.3));
    }
  for (int i = 0; i < p->n_panels; i++)
    lines_panel (&p->panels[i], th, cr, (DvPlotRect) { 0, top + i * h, width, h }, left, lw);
  cairo_restore (cr);
}

static void
panels_draw (gconstpointer self, cairo_t *cr, double width, double height)
{
  dv_panels_plot_draw (self, cr, width, height);
}

static void
panels_csv (gconstpointer self, GString *out)
{
  const DvPanelsPlot *p = self;
  g_string_append (out, "panel,line,x,y\n");
  for (int i = 0; i < p->n_panels; i++)
    for (int j = 0; j < p->panels[i].n_lines; j++)
      {
        const DvLine *l = &p->panels[i].lines[j];
        for (int k = 0; k < l->n; k++)
          {
            dvp_csv_field (out, p->panels[i].title ? p->panels[i].title : p->panels[i].y_label);
            g_string_append_c (out, ',');
            dvp_csv_field (out, l->name ? l->name : "");
            g_string_append_c (out, ',');
            dvp_csv_number (out, l->x[k]);
            g_string_append_c (out, ',');
            dvp_csv_number (out, l->y[k]);
            g_string_append_c (out, '\n');
          }
      }
}

static void
panels_params (gconstpointer self, DvJsonWriter *j)
{
  const DvPanelsPlot *p = self;
  if (p->title)
    dv_json_writer_string (j, "title", p->title);
  dv_json_writer_begin_array (j, "panels");
  for (int i = 0; i < p->n_panels; i++)
    {
      const DvLinesPlot *q = &p->panels[i];
      dv_json_writer_begin_object (j, NULL);
      if (q->title)
        dv_json_writer_string (j, "title", q->title);
      if (q->x_label)
        dv_json_writer_string (j, "x_label", q->x_label);
      if (q->y_label)
        dv_json_writer_string (j, "y_label", q->y_label);
      dv_json_writer_bool (j, "unit_range", q->unit_range);
      dv_json_writer_begin_array (j, "lines");
      for (int k = 0; k < q->n_lines; k++)
        dv_json_writer_string (j, NULL, q->lines[k].name ? q->lines[k].name : "");
      dv_json_writer_end (j);
      if (q->timeline.flags)
        dvp_json_timeline (j, &q->timeline);
      dv_json_writer_end (j);
    }
  dv_json_writer_end (j);
}

static const DvPlotClass panels_class = { "panels", panels_draw, panels_csv, panels_params };

DvPlot
dv_panels_plot_as_plot (const DvPanelsPlot *p)
{
  return (DvPlot) { &panels_class, p };
}

/* ---- weights ------------------------------------------------------------------------ */

const char *
dv_connection_type (const char *name)
{
  return strstr (name, "recurrence") || strstr (name, "recurrent") || strstr (name, "feedback") ? "recurrence"
                                                                                                  : "feedforward";
}

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

typedef struct {
  float *sorted;
  gsize n;
  double mean, std;
} GroupStats;

static double
quantile (const GroupStats *g, double q)
{
  if (g->n == 0)
    return NAN;
  double pos = q * (g->n - 1);
  gsize i = (gsize) floor (pos);
  double f = pos - i;
  return i + 1 < g->n ? g->sorted[i] * (1 - f) + g->sorted[i + 1] * f : g->sorted[i];
}

static GroupStats *
group_stats (const DvWeightsPlot *p)
{
  GroupStats *s = g_new0 (GroupStats, MAX (p->n_groups, 1));
  for (int i = 0; i < p->n_groups; i++)
    {
      const DvWeightGroup *g = &p->groups[i];
      s[i].n = g->n;
      s[i].sorted = g_memdup2 (g->values, sizeof (float) * MAX (g->n, 1));
      qsort (s[i].sorted, g->n, sizeof (float), cmp_float);
      double sum = 0, ss = 0;
      for (gsize k = 0; k < g->n; k++)
        sum += g->values[k], ss += (double) g->values[k] * g->values[k];
      s[i].mean = g->n ? sum / g->n : NAN;
      s[i].std = g->n > 1 ? sqrt (MAX (0.0, (ss - sum * sum / g->n) / (g->n - 1))) : 0;
    }
  return s;
}

static void
stats_free (GroupStats *s, int n)
{
  for (int i = 0; i < n; i++)
    g_free (s[i].sorted);
  g_free (s);
}

/* Unique strings in order of first appearance. */
static GPtrArray *
unique (const DvWeightsPlot *p, gboolean kinds)
{
  GPtrArray *u = g_ptr_array_new ();
  for (int i = 0; i < p->n_groups; i++)
    {
      const char *s = kinds ? p->groups[i].kind : p->groups[i].layer;
      gboolean seen = FALSE;
      for (guint k = 0; k < u->len && !seen; k++)
        seen = strcmp (g_ptr_array_index (u, k), s) == 0;
      if (!seen)
        g_ptr_array_add (u, (gpointer) s);
    }
  return u;
}

static int
index_of (GPtrArray *u, const char *s)
{
  for (guint k = 0; k < u->len; k++)
    if (strcmp (g_ptr_array_index (u, k), s) == 0)
      return (int) k;
  return -1;
}

/* y grid, ticks and label; the layer names under their slots. */
static void
weights_axes (cairo_t *cr, const DvPlotTheme *th, const DvpFrame *f, GPtrArray *layers)
{
  const DvPlotRect *a = &f->area;
  double yt[64], step;
  int ny = dv_axis_ticks (f->y0, f->y1, MAX (2, MIN ((int) (a->h / 36), 30)), yt, &step);
  char buf[32];
  double wmax = 0;
  cairo_save (cr);
  cairo_set_line_width (cr, 1);
  dvp_set_rgb (cr, th->grid);
  for (int i = 0; i < ny; i++)
    {
      double y = round (dvp_y (f, yt[i])) + 0.5;
      cairo_move_to (cr, a->x, y);
      cairo_line_to (cr, a->x + a->w, y);
    }
  cairo_stroke (cr);
  dvp_set_rgb (cr, th->foreground);
  cairo_move_to (cr, a->x + 0.5, a->y);
  cairo_line_to (cr, a->x + 0.5, a->y + a->h + 0.5);
  cairo_line_to (cr, a->x + a->w, a->y + a->h + 0.5);
  cairo_stroke (cr);
  for (int i = 0; i < ny; i++)
    {
      dv_axis_format (yt[i], step, buf, sizeof buf);
      wmax = MAX (wmax, dvp_text_width (cr, buf, DVP_FONT_TICK, FALSE));
      dvp_text (cr, a->x - 7, dvp_y (f, yt[i]), buf, DVP_FONT_TICK, FALSE, 1, 0.5);
    }
  dvp_text_rotated (cr, a->x - wmax - 12 - DVP_FONT_LABEL / 2, a->y + a->h / 2, "weight", DVP_FONT_LABEL);
  double slot = a->w / MAX (layers->len, 1);
  for (guint k = 0; k < layers->len; k++)
    dvp_text (cr, a->x + (k + 0.5) * slot, a->y + a->h + 6, g_ptr_array_index (layers, k), DVP_FONT_LABEL, FALSE,
              0.5, 0);
  cairo_restore (cr);
}

void
dv_weights_plot_draw (const DvWeightsPlot *p, cairo_t *cr, double width, double height)
{
  g_return_if_fail (p != NULL && cr != NULL);
  const DvPlotTheme *th = dvp_theme (p->theme);
  cairo_save (cr);
  dvp_background (cr, th, width, height);
  dvp_set_rgb (cr, th->foreground);
  dvp_text (cr, 12, 8, p->title ? p->title : "Weight distributions", DVP_FONT_TITLE, TRUE, 0, 0);
  GroupStats *st = group_stats (p);
  g_autoptr (GPtrArray) layers = unique (p, FALSE), kinds = unique (p, TRUE);

  /* a shared y range from the 0.5 and 99.5 percentiles of every group (long tails are
   * clipped, as the violins' kernel would smear them anyway) */
  double y0 = INFINITY, y1 = -INFINITY;
  for (int i = 0; i < p->n_groups; i++)
    if (st[i].n > 0)
      {
        y0 = MIN (y0, quantile (&st[i], 0.005));
        y1 = MAX (y1, quantile (&st[i], 0.995));
      }
  if (!isfinite (y0))
    y0 = -1, y1 = 1;
  if (y1 <= y0)
    y0 -= 1e-3, y1 += 1e-3;
  double pad = 0.05 * (y1 - y0);
  y0 -= pad, y1 += pad;

  double lw = 0;
  for (guint k = 0; k < kinds->len; k++)
    lw = MAX (lw, dvp_text_width (cr, g_ptr_array_index (kinds, k), DVP_FONT_TICK, FALSE) + 34);
  DvpFrame f = { .x0 = 0, .x1 = MAX (layers->len, 1), .y0 = y0, .y1 = y1 };
  f.area.x = dvp_y_margin (cr, y0, y1, TRUE);
  f.area.y = 8 + DVP_FONT_TITLE + 22;
  f.area.w = width - f.area.x - lw - 26;
  f.area.h = height - f.area.y - 46;
  if (f.area.w < 20 || f.area.h < 20)
    {
      stats_free (st, p->n_groups);
      cairo_restore (cr);
      return;
    }
  weights_axes (cr, th, &f, layers);
  double slot = f.area.w / MAX (layers->len, 1);
  double vw = slot * 0.8 / MAX (kinds->len, 1);
  const int bins = 48;
  double hist[48];
  for (int i = 0; i < p->n_groups; i++)
    {
      const DvWeightGroup *g = &p->groups[i];
      int li = index_of (layers, g->layer), ki = index_of (kinds, g->kind);
      double cx = f.area.x + li * slot + slot * 0.1 + (ki + 0.5) * vw;
      DvRgb c = dv_palette_layer (ki);
      if (g->n == 0)
        continue;
      memset (hist, 0, sizeof hist);
      for (gsize k = 0; k < g->n; k++)
        {
          double v = (g->values[k] - y0) / (y1 - y0) * bins;
          if (v >= 0 && v < bins)
            hist[(int) v] += 1;
        }
      /* a light smoothing (1-2-1) stands in for the kernel density */
      double sm[48], mx = 0;
      for (int b = 0; b < bins; b++)
        {
          sm[b] = (2 * hist[b] + (b > 0 ? hist[b - 1] : 0) + (b + 1 < bins ? hist[b + 1] : 0)) / 4;
          mx = MAX (mx, sm[b]);
        }
      if (mx <= 0)
        continue;
      double half = vw * 0.45;
      cairo_move_to (cr, cx, dvp_y (&f, y0));
      for (int b = 0; b < bins; b++)
        cairo_line_to (cr, cx + half * sm[b] / mx, dvp_y (&f, y0 + (b + 0.5) / bins * (y1 - y0)));
      cairo_line_to (cr, cx, dvp_y (&f, y1));
      for (int b = bins - 1; b >= 0; b--)
        cairo_line_to (cr, cx - half * sm[b] / mx, dvp_y (&f, y0 + (b + 0.5) / bins * (y1 - y0)));
      cairo_close_path (cr);
      dvp_set_rgba (cr, c, 0.55);
      cairo_fill_preserve (cr);
      dvp_set_rgb (cr, c);
      cairo_set_line_width (cr, 1);
      cairo_stroke (cr);
      /* quartile box and median */
      double q1 = quantile (&st[i], 0.25), q3 = quantile (&st[i], 0.75), med = quantile (&st[i], 0.5);
      dvp_set_rgb (cr, th->foreground);
      cairo_rectangle (cr, cx - 3, dvp_y (&f, q3), 6, MAX (dvp_y (&f, q1) - dvp_y (&f, q3), 1));
      cairo_fill (cr);
      dvp_set_rgb (cr, th->background);
      cairo_arc (cr, cx, dvp_y (&f, med), 2.2, 0, 2 * G_PI);
      cairo_fill (cr);
    }
  /* legend: one swatch per connection type */
  double lx = f.area.x + f.area.w + 14, row = DVP_FONT_TICK + 7;
  for (guint k = 0; k < kinds->len; k++)
    {
      DvRgb c = dv_palette_layer ((int) k);
      dvp_set_rgba (cr, c, 0.55);
      cairo_rectangle (cr, lx, f.area.y + k * row + 3, 22, row - 6);
      cairo_fill (cr);
      dvp_set_rgb (cr, th->foreground);
      dvp_text (cr, lx + 28, f.area.y + k * row + row / 2, g_ptr_array_index (kinds, k), DVP_FONT_TICK, FALSE, 0,
                0.5);
    }
  stats_free (st, p->n_groups);
  cairo_restore (cr);
}

static void
weights_draw (gconstpointer self, cairo_t *cr, double width, double height)
{
  dv_weights_plot_draw (self, cr, width, height);
}

static void
weights_csv (gconstpointer self, GString *out)
{
  const DvWeightsPlot *p = self;
  GroupStats *st = group_stats (p);
  g_string_append (out, "layer,connection_type,n,mean,std,min,q25,median,q75,max\n");
  for (int i = 0; i < p->n_groups; i++)
    {
      dvp_csv_field (out, p->groups[i].layer);
      g_string_append_c (out, ',');
      dvp_csv_field (out, p->groups[i].kind);
      g_string_append_printf (out, ",%" G_GSIZE_FORMAT, st[i].n);
      double v[] = { st[i].mean, st[i].std, quantile (&st[i], 0), quantile (&st[i], 0.25), quantile (&st[i], 0.5),
                     quantile (&st[i], 0.75), quantile (&st[i], 1) };
      for (guint k = 0; k < G_N_ELEMENTS (v); k++)
        {
          g_string_append_c (out, ',');
          dvp_csv_number (out, v[k]);
        }
      g_string_append_c (out, '\n');
    }
  stats_free (st, p->n_groups);
}

static void
weights_params (gconstpointer self, DvJsonWriter *j)
{
  const DvWeightsPlot *p = self;
  dv_json_writer_string (j, "title", p->title ? p->title : "Weight distributions");
  dv_json_writer_int (j, "groups", p->n_groups);
}

static const DvPlotClass weights_class = { "weights", weights_draw, weights_csv, weights_params };

DvPlot
dv_weights_plot_as_plot (const DvWeightsPlot *p)
{
  return (DvPlot) { &weights_class, p };
}
