/* dv-plot-dynamics.c — the dynamics-over-training heatmap (see dv-plot-dynamics.h).
 *
 * What this is for: drawing the rows the probe recorded after each epoch as
 * one heatmap per layer (time across, epochs down, nearest-neighbour cells),
 * a stimulus strip above each, a shared colour bar ("min".."max" of each
 * layer), and the CSV/JSON of the export.
 * What this is not for: recording the rows (app/workbench/dv-engine-thread-train.c).
 */
#include "dv-plot-dynamics.h"

#include <glib/gi18n-lib.h>

#include <math.h>

#include "dv-plot-private.h"

void
dv_dynamics_plot_init (DvDynamicsPlot *p)
{
  g_return_if_fail (p != NULL);
  *p = (DvDynamicsPlot) { .colormap = DV_COLORMAP_VIRIDIS, .timeline = { .dt = 1 } };
}

static float
value_at (const DvDynamicsPlot *p, int row, int layer, int t)
{
  return p->values[((gsize) row * p->n_layers + layer) * p->T + t];
}

static int
epoch_of (const DvDynamicsPlot *p, int row)
{
  return p->epochs != NULL ? p->epochs[row] : row;
}

gboolean
dv_dynamics_plot_layer_range (const DvDynamicsPlot *p, int layer, float *lo, float *hi)
{
  g_return_val_if_fail (p != NULL && layer >= 0, FALSE);
  float a = INFINITY, b = -INFINITY;
  for (int r = 0; p->values != NULL && layer < p->n_layers && r < p->n_rows; r++)
    for (int t = 0; t < p->T; t++)
      {
        float v = value_at (p, r, layer, t);
        if (isfinite (v))
          a = MIN (a, v), b = MAX (b, v);
      }
  if (lo)
    *lo = a;
  if (hi)
    *hi = b;
  return a <= b;
}

static void
draw_heatmap (const DvDynamicsPlot *p, cairo_t *cr, int layer, const DvPlotRect *r)
{
  float lo, hi;
  gboolean any = dv_dynamics_plot_layer_range (p, layer, &lo, &hi);
  int W = p->T, H = p->n_rows;
  cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  int stride = cairo_image_surface_get_stride (img);
  unsigned char *data = cairo_image_surface_get_data (img);
  g_autofree float *norm = g_new (float, W);
  cairo_surface_flush (img);
  for (int row = 0; row < H; row++)
    {
      for (int t = 0; t < W; t++)
        {
          float v = value_at (p, row, layer, t);
          norm[t] = !any || !isfinite (v) ? NAN : hi > lo ? (v - lo) / (hi - lo) : 0.5f;
        }
      dv_colormap_fill_argb32 (p->colormap, norm, W, (guint32 *) (data + (gsize) row * stride));
    }
  cairo_surface_mark_dirty (img);
  cairo_save (cr);
  cairo_rectangle (cr, r->x, r->y, r->w, r->h);
  cairo_clip (cr);
  cairo_translate (cr, r->x, r->y);
  cairo_scale (cr, r->w / W, r->h / H);
  cairo_set_source_surface (cr, img, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_surface_destroy (img);
}

/* Stimulus steps as dark cells in a thin strip above the heatmap. */
static void
draw_strip (const DvDynamicsPlot *p, cairo_t *cr, const DvPlotTheme *th, const DvPlotRect *r)
{
  double cw = r->w / p->T;
  for (int t = 0; t < p->T; t++)
    {
      gboolean on = dvp_step_flag (&p->timeline, t, DV_PLOT_STEP_STIMULUS);
      dvp_set_rgba (cr, th->foreground, on ? 0.75 : 0.12);
      cairo_rectangle (cr, r->x + t * cw, r->y, MAX (cw - 0.5, 0.5), r->h);
      cairo_fill (cr);
    }
}

void
dv_dynamics_plot_draw (const DvDynamicsPlot *p, cairo_t *cr, double width, double height)
{
  g_return_if_fail (p != NULL && cr != NULL);
  const DvPlotTheme *th = dvp_theme (p->theme);
  cairo_save (cr);
  dvp_background (cr, th, width, height);
  dvp_set_rgb (cr, th->foreground);
  dvp_text (cr, 12, 8, p->title ? p->title : _("Dynamics over training"), DVP_FONT_TITLE, TRUE, 0, 0);
  DvPlotRect body = { 0, 30, width, MAX (height - 30, 0) };
  if (p->values == NULL || p->n_rows <= 0 || p->n_layers <= 0 || p->T <= 0)
    {
      dvp_placeholder (cr, th, &body, _("one row per epoch appears here during training"));
      cairo_restore (cr);
      return;
    }
  char buf[32];
  g_autofree char *last = g_strdup_printf ("epoch %d", epoch_of (p, p->n_rows - 1));
  double left = 14 + dvp_text_width (cr, last, DVP_FONT_TICK, FALSE);
  double right = 64, top = 30 + 18 + 8, bottom = 34, gap = 10;
  double pw = (width - left - right - gap * (p->n_layers - 1)) / p->n_layers;
  double ph = height - top - bottom;
  if (pw < 4 || ph < 4)
    {
      cairo_restore (cr);
      return;
    }
  double dt = p->timeline.dt > 0 ? p->timeline.dt : 1;
  for (int l = 0; l < p->n_layers; l++)
    {
      DvPlotRect r = { left + l * (pw + gap), top, pw, ph };
      DvPlotRect strip = { r.x, top - 8, r.w, 5 };
      dvp_set_rgb (cr, dv_palette_layer (l));
      dvp_text_fit (cr, r.x + r.w / 2, top - 12, dvp_trace_name (p->names, l, buf, sizeof buf),
                    DVP_FONT_LABEL, TRUE, 0.5, 1, pw);
      draw_strip (p, cr, th, &strip);
      draw_heatmap (p, cr, l, &r);
      dvp_set_rgb (cr, th->grid);
      cairo_set_line_width (cr, 1);
      cairo_rectangle (cr, round (r.x) + 0.5, round (r.y) + 0.5, round (r.w), round (r.h));
      cairo_stroke (cr);
      /* time ticks at the start, middle and end */
      dvp_set_rgb (cr, th->muted);
      for (int k = 0; k <= 2; k++)
        {
          g_snprintf (buf, sizeof buf, "%g", k * p->T * dt / 2);
          dvp_text (cr, r.x + r.w * k / 2, r.y + r.h + 4, buf, DVP_FONT_TICK, FALSE,
                    k == 0 ? 0 : k == 2 ? 1 : 0.5, 0);
        }
    }
  dvp_set_rgb (cr, th->foreground);
  dvp_text (cr, left + (width - left - right) / 2, height - 4, _("time (ms)"), DVP_FONT_LABEL, FALSE,
            0.5, 1);
  /* epoch labels: first, last, and as many between as fit */
  double row_h = ph / p->n_rows;
  int every = MAX (1, (int) ceil (16.0 / row_h));
  dvp_set_rgb (cr, th->muted);
  for (int row = 0; row < p->n_rows; row++)
    if (row % every == 0 || row == p->n_rows - 1)
      {
        if (row == p->n_rows - 1 && row % every != 0 && (row % every) * row_h < 14)
          continue;
        g_snprintf (buf, sizeof buf, row == 0 ? "epoch %d" : "%d", epoch_of (p, row));
        dvp_text (cr, left - 6, top + (row + 0.5) * row_h, buf, DVP_FONT_TICK, FALSE, 1, 0.5);
      }
  DvPlotRect bar = { width - right + 12, top, 12, ph };
  dvp_colorbar (cr, th, &bar, p->colormap, 0, 1, TRUE, _("per layer"));
  cairo_restore (cr);
}

/* ---- export ------------------------------------------------------------------------- */

static void
dynamics_draw (gconstpointer self, cairo_t *cr, double width, double height)
{
  dv_dynamics_plot_draw (self, cr, width, height);
}

static void
dynamics_csv (gconstpointer self, GString *out)
{
  const DvDynamicsPlot *p = self;
  char buf[32];
  g_string_append (out, "epoch,t,time_ms,stimulus");
  for (int l = 0; l < p->n_layers; l++)
    {
      g_string_append_c (out, ',');
      dvp_csv_field (out, dvp_trace_name (p->names, l, buf, sizeof buf));
    }
  g_string_append_c (out, '\n');
  double dt = p->timeline.dt > 0 ? p->timeline.dt : 1;
  for (int r = 0; p->values != NULL && r < p->n_rows; r++)
    for (int t = 0; t < p->T; t++)
      {
        g_string_append_printf (out, "%d,%d,", epoch_of (p, r), t);
        dvp_csv_number (out, t * dt);
        g_string_append_printf (out, ",%d", dvp_step_flag (&p->timeline, t, DV_PLOT_STEP_STIMULUS));
        for (int l = 0; l < p->n_layers; l++)
          {
            g_string_append_c (out, ',');
            dvp_csv_number (out, value_at (p, r, l, t));
          }
        g_string_append_c (out, '\n');
      }
}

static void
dynamics_params (gconstpointer self, DvJsonWriter *j)
{
  const DvDynamicsPlot *p = self;
  char buf[32];
  dv_json_writer_string (j, "title", p->title ? p->title : "Dynamics over training");
  dv_json_writer_string (j, "value", "mean |activation| of the layer for the probe stimulus, eval mode");
  dv_json_writer_string (j, "colormap", dv_colormap_name (p->colormap));
  dv_json_writer_string (j, "colour_scale", "each layer min-max normalised: from its own min to max over all "
                         "epochs and steps (the CSV holds the values themselves)");
  dv_json_writer_int (j, "epochs", p->n_rows);
  dv_json_writer_begin_array (j, "layers");
  for (int l = 0; l < p->n_layers; l++)
    {
      float lo = NAN, hi = NAN;
      gboolean has_range = p->values != NULL && dv_dynamics_plot_layer_range (p, l, &lo, &hi);
      dv_json_writer_begin_object (j, NULL);
      dv_json_writer_string (j, "name", dvp_trace_name (p->names, l, buf, sizeof buf));
      /* a layer never recorded has no range: null, not a number */
      if (has_range)
        {
          dv_json_writer_float (j, "min", lo);
          dv_json_writer_float (j, "max", hi);
        }
      else
        {
          dv_json_writer_null (j, "min");
          dv_json_writer_null (j, "max");
        }
      dv_json_writer_end (j);
    }
  dv_json_writer_end (j);
  dvp_json_timeline (j, &p->timeline);
}

static const DvPlotClass dynamics_class = {
  "dynamics-over-training", dynamics_draw, dynamics_csv, dynamics_params,
};

DvPlot
dv_dynamics_plot_as_plot (const DvDynamicsPlot *p)
{
  DvPlot plot = { &dynamics_class, p };
  return plot;
}
