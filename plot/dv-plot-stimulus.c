/* dv-plot-stimulus.c — (e) the frame the model sees now, and the timeline.
 *
 * What this is for: the input frame at the cursor (de-normalised for
 * display, nearest-neighbour scaled) above a strip with one cell per
 * timestep (stimulus / blank, contrast as shade, noise dotted, the cursor
 * outlined) and its ms axis.  Also its CSV (one row per timestep: the
 * schedule) and parameters.
 * What this is not for: producing frames (data/ does).
 */
#include "dv-plot-private.h"

#include <glib/gi18n-lib.h>

#include <math.h>

#define STRIP_H 22
#define STRIP_AXIS_H 36

void
dv_stimulus_plot_init (DvStimulusPlot *p)
{
  g_return_if_fail (p != NULL);
  *p = (DvStimulusPlot) { .cursor = -1, .timeline = { .dt = 1 } };
}

static void
draw_image (const DvStimulusPlot *p, cairo_t *cr, double x, double y, double s)
{
  int H = p->H, W = p->W, C = p->C;
  gsize hw = (gsize) H * W;
  DvRange r;
  dv_range_init (&r);
  dv_range_include (&r, p->image, hw * C);
  /* without the normalisation, show values in [0,1] as they are, else min..max */
  gboolean unit = !dv_range_is_empty (&r) && r.min >= 0 && r.max <= 1;

  cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_RGB24, W, H);
  int stride = cairo_image_surface_get_stride (img);
  unsigned char *data = cairo_image_surface_get_data (img);
  cairo_surface_flush (img);
  for (int iy = 0; iy < H; iy++)
    for (int ix = 0; ix < W; ix++)
      {
        double rgb[3];
        for (int ch = 0; ch < 3; ch++)
          {
            int c = C >= 3 ? ch : 0;
            double v = p->image[c * hw + (gsize) iy * W + ix];
            if (p->mean != NULL && p->std != NULL)
              v = v * p->std[c] + p->mean[c];
            else if (!unit)
              v = dv_range_normalise (&r, (float) v);
            rgb[ch] = isfinite (v) ? CLAMP (v, 0.0, 1.0) : 0.5;
          }
        guint32 px = ((guint32) lround (rgb[0] * 255) << 16) | ((guint32) lround (rgb[1] * 255) << 8)
                     | (guint32) lround (rgb[2] * 255);
        ((guint32 *) (data + (gsize) iy * stride))[ix] = px;
      }
  cairo_surface_mark_dirty (img);
  cairo_save (cr);
  cairo_rectangle (cr, x, y, s, s * H / W);
  cairo_clip (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, s / W, s / W);
  cairo_set_source_surface (cr, img, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_surface_destroy (img);
}

/* Title, caption, the image as large as fits, the state line, then the
 * timeline strip right under it (extra height stays at the bottom). */
typedef struct {
  double img_x, img_y, img_w, img_h;
  double state_y;
  DvpFrame strip;
} StimLayout;

static void
stim_layout (const DvStimulusPlot *p, double width, double height, StimLayout *L)
{
  double dt = p->timeline.dt > 0 ? p->timeline.dt : 1;
  double y = 8 + DVP_FONT_TITLE + 8;
  if (p->caption != NULL)
    y += DVP_FONT_LABEL + 8;
  double aspect = p->H > 0 && p->W > 0 ? (double) p->H / p->W : 1;
  double below = 6 + DVP_FONT_TICK + 8 + STRIP_H + STRIP_AXIS_H;
  double avail = MAX (height - y - below, 0);
  L->img_w = MAX (MIN (width - 24, avail / aspect), 0);
  L->img_h = L->img_w * aspect;
  L->img_x = (width - L->img_w) / 2;
  L->img_y = y;
  L->state_y = y + L->img_h + 6;
  L->strip = (DvpFrame) { .x0 = 0, .x1 = MAX (p->timeline.n, 1) * dt, .y0 = 0, .y1 = 1 };
  L->strip.area = (DvPlotRect) { 16, L->state_y + DVP_FONT_TICK + 8, width - 32, STRIP_H };
}

int
dv_stimulus_plot_step_at (const DvStimulusPlot *p, double width, double height, double x,
                          double y)
{
  g_return_val_if_fail (p != NULL, -1);
  StimLayout L;
  stim_layout (p, width, height, &L);
  const DvPlotRect *a = &L.strip.area;
  if (p->timeline.n <= 0 || a->w < 20 || y < a->y - 6 || y > a->y + a->h + 6
      || x < a->x || x > a->x + a->w)
    return -1;
  int t = (int) floor ((x - a->x) / a->w * p->timeline.n);
  return CLAMP (t, 0, p->timeline.n - 1);
}

void
dv_stimulus_plot_draw (const DvStimulusPlot *p, cairo_t *cr, double width, double height)
{
  g_return_if_fail (p != NULL && cr != NULL);
  const DvPlotTheme *th = dvp_theme (p->theme);
  const DvPlotTimeline *tl = &p->timeline;
  double dt = tl->dt > 0 ? tl->dt : 1;

  cairo_save (cr);
  dvp_background (cr, th, width, height);
  dvp_set_rgb (cr, th->foreground);
  dvp_text (cr, 12, 8, p->title ? p->title : _("Stimulus"), DVP_FONT_TITLE, TRUE, 0, 0);
  if (p->caption != NULL)
    {
      dvp_set_rgb (cr, th->muted);
      dvp_text_fit (cr, 12, 8 + DVP_FONT_TITLE + 8, p->caption, DVP_FONT_LABEL, FALSE, 0, 0,
                    width - 24);
    }

  StimLayout L;
  stim_layout (p, width, height, &L);
  DvpFrame f = L.strip;
  if (p->image != NULL && p->H > 0 && p->W > 0 && L.img_h > 8)
    {
      draw_image (p, cr, L.img_x, L.img_y, L.img_w);
      dvp_set_rgb (cr, th->foreground);
      cairo_set_line_width (cr, 1);
      cairo_rectangle (cr, round (L.img_x) - 0.5, round (L.img_y) - 0.5, round (L.img_w) + 1,
                       round (L.img_h) + 1);
      cairo_stroke (cr);
    }
  else
    {
      DvPlotRect r = { 0, L.img_y, width, L.img_h };
      dvp_placeholder (cr, th, &r, _("no frame yet"));
    }
  g_autofree char *state = NULL;
  if (p->cursor >= 0 && tl->flags != NULL)
    state = g_strdup_printf (_("t = %g ms: %s%s"), p->cursor * dt,
                             dvp_step_flag (tl, p->cursor, DV_PLOT_STEP_STIMULUS) ? _("stimulus") : _("blank"),
                             dvp_step_flag (tl, p->cursor, DV_PLOT_STEP_NOISE) ? " + noise" : "");
  else if (p->cursor >= 0)
    state = g_strdup_printf (_("t = %g ms"), p->cursor * dt);
  if (state)
    {
      dvp_set_rgb (cr, th->foreground);
      dvp_text (cr, 16, L.state_y, state, DVP_FONT_TICK, FALSE, 0, 0);
    }

  if (tl->n <= 0 || f.area.w < 20)
    {
      cairo_restore (cr);
      return;
    }
  for (int t = 0; t < tl->n; t++)
    {
      double x0 = dvp_x (&f, t * dt), x1 = dvp_x (&f, (t + 1) * dt);
      gboolean on = dvp_step_flag (tl, t, DV_PLOT_STEP_STIMULUS);
      double contrast = tl->contrast != NULL ? CLAMP (tl->contrast[t], 0.0f, 1.0f) : 1.0;
      if (on)
        dvp_set_rgba (cr, th->foreground, 0.25 + 0.6 * contrast);
      else
        dvp_set_rgb (cr, th->grid);
      cairo_rectangle (cr, x0 + 0.5, f.area.y, MAX (x1 - x0 - 1, 0.5), f.area.h);
      cairo_fill (cr);
      if (dvp_step_flag (tl, t, DV_PLOT_STEP_NOISE))
        {
          dvp_set_rgb (cr, th->background);
          for (double dy = 4; dy < f.area.h - 2; dy += 6)
            for (double dx = 3; dx < x1 - x0 - 2; dx += 5)
              {
                cairo_arc (cr, x0 + dx, f.area.y + dy, 0.9, 0, 2 * G_PI);
                cairo_fill (cr);
              }
        }
    }
  if (p->cursor >= 0 && p->cursor < tl->n)
    {
      double x0 = dvp_x (&f, p->cursor * dt), x1 = dvp_x (&f, (p->cursor + 1) * dt);
      dvp_set_rgb (cr, th->select);
      cairo_set_line_width (cr, 2);
      cairo_rectangle (cr, x0, f.area.y - 3, x1 - x0, f.area.h + 6);
      cairo_stroke (cr);
    }
  /* ms axis under the strip */
  double ticks[64], step;
  int n = dv_axis_ticks (f.x0, f.x1, MAX (2, (int) (f.area.w / 60)), ticks, &step);
  dvp_set_rgb (cr, th->foreground);
  cairo_set_line_width (cr, 1);
  for (int i = 0; i < n; i++)
    {
      char buf[32];
      double x = round (dvp_x (&f, ticks[i])) + 0.5;
      cairo_move_to (cr, x, f.area.y + f.area.h + 1);
      cairo_line_to (cr, x, f.area.y + f.area.h + 5);
      cairo_stroke (cr);
      dv_axis_format (ticks[i], step, buf, sizeof buf);
      dvp_text (cr, x, f.area.y + f.area.h + 6, buf, DVP_FONT_TICK - 1, FALSE, 0.5, 0);
    }
  dvp_set_rgb (cr, th->muted);
  dvp_text (cr, width - 16, f.area.y + f.area.h + 6 + DVP_FONT_TICK + 2, _("time (ms)"),
            DVP_FONT_TICK - 1, FALSE, 1, 0);
  dvp_text (cr, 16, f.area.y + f.area.h + 6 + DVP_FONT_TICK + 2, _("dark: stimulus, light: blank"),
            DVP_FONT_TICK - 1, FALSE, 0, 0);
  cairo_restore (cr);
}

/* ---- export ---------------------------------------------------------------------- */

static void
stimulus_draw (gconstpointer self, cairo_t *cr, double w, double h)
{
  dv_stimulus_plot_draw (self, cr, w, h);
}

static void
stimulus_csv (gconstpointer self, GString *out)
{
  const DvStimulusPlot *p = self;
  const DvPlotTimeline *tl = &p->timeline;
  double dt = tl->dt > 0 ? tl->dt : 1;
  g_string_append (out, "t,time_ms,stimulus,noise,contrast,cursor\n");
  for (int t = 0; t < tl->n; t++)
    {
      g_string_append_printf (out, "%d,", t);
      dvp_csv_number (out, t * dt);
      g_string_append_printf (out, ",%d,%d,", dvp_step_flag (tl, t, DV_PLOT_STEP_STIMULUS),
                              dvp_step_flag (tl, t, DV_PLOT_STEP_NOISE));
      dvp_csv_number (out, tl->contrast != NULL ? tl->contrast[t] : 1.0);
      g_string_append_printf (out, ",%d\n", t == p->cursor);
    }
}

static void
stimulus_params (gconstpointer self, DvJsonWriter *j)
{
  const DvStimulusPlot *p = self;
  dv_json_writer_string (j, "title", p->title ? p->title : "Stimulus");
  dv_json_writer_string (j, "caption", p->caption);
  dv_json_writer_int (j, "cursor_step", p->cursor);
  dv_json_writer_int (j, "image_channels", p->C);
  dv_json_writer_int (j, "image_height", p->H);
  dv_json_writer_int (j, "image_width", p->W);
  if (p->mean != NULL && p->std != NULL)
    {
      dv_json_writer_begin_array (j, "display_mean");
      for (int c = 0; c < p->C; c++)
        dv_json_writer_float (j, NULL, p->mean[c]);
      dv_json_writer_end (j);
      dv_json_writer_begin_array (j, "display_std");
      for (int c = 0; c < p->C; c++)
        dv_json_writer_float (j, NULL, p->std[c]);
      dv_json_writer_end (j);
    }
  dvp_json_timeline (j, &p->timeline);
}

static const DvPlotClass stimulus_class = {
  "stimulus", stimulus_draw, stimulus_csv, stimulus_params,
};

DvPlot
dv_stimulus_plot_as_plot (const DvStimulusPlot *p)
{
  DvPlot plot = { &stimulus_class, p };
  return plot;
}
