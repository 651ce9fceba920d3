/* dv-plot-fmaps.c — (b) every channel of one layer at one timestep as heatmaps.
 *
 * What this is for: the grid layout (largest tiles that fit), colour-mapped
 * tiles drawn with nearest-neighbour scaling, the probed unit's marker, a
 * colour bar for the chosen scale scope, hit testing for clicks, and the
 * CSV/parameters of exactly what is shown.
 * What this is not for: choosing the layer or accumulating the global range
 * (the caller does).
 */
#include "dv-plot-private.h"

#include <glib/gi18n-lib.h>

#include <math.h>

#define TITLE_H (8 + DVP_FONT_TITLE + 12)
#define COLORBAR_W 86
#define ROW_LABEL_W 22

void
dv_fmap_plot_init (DvFmapPlot *p)
{
  g_return_if_fail (p != NULL);
  *p = (DvFmapPlot) { .t = -1, .dt = 1, .colormap = DV_COLORMAP_VIRIDIS,
                      .scope = DV_SCALE_PER_LAYER, .sel_c = -1 };
  dv_range_init (&p->global);
}

void
dv_fmap_plot_layout (const DvFmapPlot *p, double width, double height, DvFmapLayout *out)
{
  g_return_if_fail (p != NULL && out != NULL);
  *out = (DvFmapLayout) { 0 };
  /* ROW_LABEL_W on the left for the row numbers small tiles get */
  out->grid = (DvPlotRect) { 12 + ROW_LABEL_W, TITLE_H, width - 24 - ROW_LABEL_W - COLORBAR_W,
                             height - TITLE_H - 10 };
  out->colorbar = (DvPlotRect) { width - COLORBAR_W + 8, TITLE_H + 22, 14,
                                 MAX (height - TITLE_H - 50, 10) };
  if (p->C <= 0 || p->H <= 0 || p->W <= 0 || out->grid.w <= 0 || out->grid.h <= 0)
    return;

  double gap = p->C > 64 ? 2 : 4;
  double best = -1;
  for (int cols = 1; cols <= p->C; cols++)
    {
      int rows = (p->C + cols - 1) / cols;
      double sx = (out->grid.w - (cols - 1) * gap) / (cols * (double) p->W);
      double sy = (out->grid.h - (rows - 1) * gap) / (rows * (double) p->H);
      double s = MIN (sx, sy);
      if (s > best)
        {
          best = s;
          out->cols = cols;
          out->rows = rows;
        }
    }
  if (best <= 0)
    {
      out->cols = out->rows = 0;
      return;
    }
  /* Whole pixels per unit when tiles are large keep the units crisp. */
  if (best >= 2)
    best = floor (best);
  out->gap = gap;
  out->tile_w = best * p->W;
  out->tile_h = best * p->H;
  /* centre the grid horizontally in its area */
  double used = out->cols * out->tile_w + (out->cols - 1) * gap;
  out->grid.x += floor ((out->grid.w - used) / 2);
  out->grid.w = used;
  out->grid.h = out->rows * out->tile_h + (out->rows - 1) * gap;
}

gboolean
dv_fmap_plot_hit (const DvFmapPlot *p, double width, double height, double x, double y,
                  int *c, int *iy, int *ix)
{
  DvFmapLayout L;
  dv_fmap_plot_layout (p, width, height, &L);
  if (L.cols == 0)
    return FALSE;
  double px = x - L.grid.x, py = y - L.grid.y;
  if (px < 0 || py < 0)
    return FALSE;
  int col = (int) (px / (L.tile_w + L.gap)), row = (int) (py / (L.tile_h + L.gap));
  double ox = px - col * (L.tile_w + L.gap), oy = py - row * (L.tile_h + L.gap);
  int ch = row * L.cols + col;
  if (col >= L.cols || ch >= p->C || ox >= L.tile_w || oy >= L.tile_h)
    return FALSE;
  if (c)
    *c = ch;
  if (ix)
    *ix = MIN ((int) (ox / L.tile_w * p->W), p->W - 1);
  if (iy)
    *iy = MIN ((int) (oy / L.tile_h * p->H), p->H - 1);
  return TRUE;
}

static void
draw_tile (cairo_t *cr, const float *norm, int H, int W, DvColormap map, double x, double y,
           double tw, double twh)
{
  cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  int stride = cairo_image_surface_get_stride (img);
  unsigned char *data = cairo_image_surface_get_data (img);
  cairo_surface_flush (img);
  for (int r = 0; r < H; r++)
    dv_colormap_fill_argb32 (map, norm + (gsize) r * W, W, (guint32 *) (data + (gsize) r * stride));
  cairo_surface_mark_dirty (img);

  cairo_save (cr);
  cairo_rectangle (cr, x, y, tw, twh);
  cairo_clip (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, tw / W, twh / H);
  cairo_set_source_surface (cr, img, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_surface_destroy (img);
}

void
dv_fmap_plot_draw (const DvFmapPlot *p, cairo_t *cr, double width, double height)
{
  g_return_if_fail (p != NULL && cr != NULL);
  const DvPlotTheme *th = dvp_theme (p->theme);
  cairo_save (cr);
  dvp_background (cr, th, width, height);

  g_autofree char *title = NULL;
  if (p->t >= 0)
    title = g_strdup_printf (_("%s — feature maps at t = %g ms (step %d)"),
                             p->layer_name ? p->layer_name : "layer", p->t * p->dt, p->t);
  else
    title = g_strdup_printf (_("%s — feature maps"), p->layer_name ? p->layer_name : _("layer"));
  dvp_set_rgb (cr, th->foreground);
  dvp_text_fit (cr, 12, 8, title, DVP_FONT_TITLE, TRUE, 0, 0, width - 24);

  DvFmapLayout L;
  dv_fmap_plot_layout (p, width, height, &L);
  if (p->maps == NULL || L.cols == 0)
    {
      DvPlotRect r = { 0, TITLE_H, width, height - TITLE_H };
      dvp_placeholder (cr, th, &r, p->maps != NULL ? _("too small to draw")
                                   : p->empty_message ? p->empty_message
                                   : _("no feature maps for this timestep"));
      cairo_restore (cr);
      return;
    }

  gsize hw = (gsize) p->H * p->W;
  g_autofree DvRange *ranges = g_new (DvRange, p->C);
  dv_fmap_ranges (p->maps, p->C, p->H, p->W, p->scope, &p->global, p->symmetric, ranges);
  g_autofree float *norm = g_new (float, hw);

  for (int c = 0; c < p->C; c++)
    {
      int col = c % L.cols, row = c / L.cols;
      double x = L.grid.x + col * (L.tile_w + L.gap), y = L.grid.y + row * (L.tile_h + L.gap);
      dv_fmap_normalise (p->maps + c * hw, hw, &ranges[c], norm);
      draw_tile (cr, norm, p->H, p->W, p->colormap, x, y, L.tile_w, L.tile_h);
      if (L.tile_w < 44 || L.tile_h < 24)
        {
          /* tiles too small for their number: the first channel of each row, left of it */
          if (col == 0 && L.tile_h >= 6)
            {
              char buf[16];
              g_snprintf (buf, sizeof buf, "%d", c);
              dvp_set_rgb (cr, th->muted);
              dvp_text (cr, x - 3, y + L.tile_h / 2, buf, MIN (9, MAX (L.tile_h + L.gap, 6)), FALSE, 1, 0.5);
            }
        }
      else
        {
          char buf[16];
          g_snprintf (buf, sizeof buf, "%d", c);
          double tw = dvp_text_width (cr, buf, 9, FALSE);
          cairo_set_source_rgba (cr, 0, 0, 0, 0.55);
          cairo_rectangle (cr, x, y, tw + 5, 12);
          cairo_fill (cr);
          cairo_set_source_rgb (cr, 1, 1, 1);
          dvp_text (cr, x + 2.5, y + 1, buf, 9, FALSE, 0, 0);
        }
    }

  if (p->sel_c >= 0 && p->sel_c < p->C)
    {
      int col = p->sel_c % L.cols, row = p->sel_c / L.cols;
      double x = L.grid.x + col * (L.tile_w + L.gap), y = L.grid.y + row * (L.tile_h + L.gap);
      double ux = L.tile_w / p->W, uy = L.tile_h / p->H;
      cairo_set_line_width (cr, 2);
      dvp_set_rgb (cr, th->select);
      cairo_rectangle (cr, x - 1, y - 1, L.tile_w + 2, L.tile_h + 2);
      cairo_stroke (cr);
      if (p->sel_y >= 0 && p->sel_x >= 0)
        {
          double s = MAX (MAX (ux, uy), 5);
          double cx = x + (p->sel_x + 0.5) * ux, cy = y + (p->sel_y + 0.5) * uy;
          cairo_set_source_rgb (cr, 1, 1, 1);
          cairo_set_line_width (cr, 3);
          cairo_rectangle (cr, cx - s / 2, cy - s / 2, s, s);
          cairo_stroke (cr);
          dvp_set_rgb (cr, th->select);
          cairo_set_line_width (cr, 1.5);
          cairo_rectangle (cr, cx - s / 2, cy - s / 2, s, s);
          cairo_stroke (cr);
        }
    }

  /* colour bar: values for one shared range, "min/max" per channel */
  const char *vl = p->value_label ? p->value_label : _("activation");
  g_autofree char *cb_label = g_strdup_printf ("%s", vl);
  dvp_set_rgb (cr, th->foreground);
  dvp_colorbar (cr, th, &L.colorbar, p->colormap, ranges[0].min, ranges[0].max,
                p->scope == DV_SCALE_PER_CHANNEL, cb_label);
  dvp_set_rgb (cr, th->muted);
  g_autofree char *scope = g_strdup_printf (_("scale: %s"), dv_scale_scope_label (p->scope));
  dvp_text (cr, L.colorbar.x + L.colorbar.w / 2 + 12, L.colorbar.y + L.colorbar.h + 8, scope,
            DVP_FONT_TICK - 1.5, FALSE, 0.5, 0);
  cairo_restore (cr);
}

/* ---- export ---------------------------------------------------------------------- */

static void
fmap_draw (gconstpointer self, cairo_t *cr, double w, double h)
{
  dv_fmap_plot_draw (self, cr, w, h);
}

static void
fmap_csv (gconstpointer self, GString *out)
{
  const DvFmapPlot *p = self;
  if (p->maps == NULL)
    {
      g_string_append (out, "channel,y,x,value,value_normalised\n");
      return;
    }
  gsize hw = (gsize) p->H * p->W;
  g_autofree DvRange *ranges = g_new (DvRange, p->C);
  dv_fmap_ranges (p->maps, p->C, p->H, p->W, p->scope, &p->global, p->symmetric, ranges);
  g_string_append (out, "channel,y,x,value,value_normalised\n");
  for (int c = 0; c < p->C; c++)
    for (int y = 0; y < p->H; y++)
      for (int x = 0; x < p->W; x++)
        {
          float v = p->maps[c * hw + (gsize) y * p->W + x];
          g_string_append_printf (out, "%d,%d,%d,", c, y, x);
          dvp_csv_number (out, v);
          g_string_append_c (out, ',');
          dvp_csv_number (out, CLAMP (dv_range_normalise (&ranges[c], v), 0.0f, 1.0f));
          g_string_append_c (out, '\n');
        }
}

static void
fmap_params (gconstpointer self, DvJsonWriter *j)
{
  const DvFmapPlot *p = self;
  dv_json_writer_string (j, "layer", p->layer_name);
  dv_json_writer_int (j, "step", p->t);
  dv_json_writer_double (j, "time_ms", p->t * p->dt);
  dv_json_writer_double (j, "dt", p->dt);
  dv_json_writer_int (j, "channels", p->C);
  dv_json_writer_int (j, "map_height", p->H);
  dv_json_writer_int (j, "map_width", p->W);
  dv_json_writer_string (j, "colormap", dv_colormap_name (p->colormap));
  dv_json_writer_string (j, "scale_scope", dv_scale_scope_name (p->scope));
  dv_json_writer_bool (j, "symmetric", p->symmetric);
  dv_json_writer_string (j, "value_label", p->value_label ? p->value_label : "activation");
  dv_json_writer_string (j, "value_normalised", "min-max normalised: (value - min) / (max - min) of "
                         "the channel's range (channel_ranges), clamped to [0, 1]; the colour drawn");
  if (p->maps != NULL)
    {
      g_autofree DvRange *ranges = g_new (DvRange, p->C);
      dv_fmap_ranges (p->maps, p->C, p->H, p->W, p->scope, &p->global, p->symmetric, ranges);
      dv_json_writer_begin_array (j, "channel_ranges");
      for (int c = 0; c < p->C; c++)
        {
          dv_json_writer_begin_array (j, NULL);
          dv_json_writer_float (j, NULL, ranges[c].min);
          dv_json_writer_float (j, NULL, ranges[c].max);
          dv_json_writer_end (j);
        }
      dv_json_writer_end (j);
    }
  dv_json_writer_begin_object (j, "probe");
  dv_json_writer_int (j, "channel", p->sel_c);
  dv_json_writer_int (j, "y", p->sel_y);
  dv_json_writer_int (j, "x", p->sel_x);
  dv_json_writer_end (j);
}

static const DvPlotClass fmap_class = {
  "feature-maps", fmap_draw, fmap_csv, fmap_params,
};

DvPlot
dv_fmap_plot_as_plot (const DvFmapPlot *p)
{
  DvPlot plot = { &fmap_class, p };
  return plot;
}
