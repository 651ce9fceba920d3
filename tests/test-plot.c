/* test-plot.c — the GTK-free plot library: models, measures, renderers, export.
 *
 * What this is for: exact checks of colour maps, normalisation scopes, series
 * rings, schedule bands, latency/peaks on hand-made traces and axis ticks;
 * and checks that every renderer draws at any size and that the exporters
 * write a non-blank PNG, a well-formed SVG, a PDF, a CSV with one row per
 * timestep and a JSON of the parameters — without a display.
 * What this is not for: the widgets (test-workbench.c).
 */
#include <cairo.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <string.h>

#include "dv-plot.h"

/* ---- colour maps ---------------------------------------------------------------- */

static void
test_colormap_viridis (void)
{
  DvRgb lo = dv_colormap_eval (DV_COLORMAP_VIRIDIS, 0);
  DvRgb hi = dv_colormap_eval (DV_COLORMAP_VIRIDIS, 1);
  g_assert_cmpfloat_with_epsilon (lo.r, 0.267004, 1e-6);
  g_assert_cmpfloat_with_epsilon (lo.b, 0.329415, 1e-6);
  g_assert_cmpfloat_with_epsilon (hi.r, 0.993248, 1e-6);
  g_assert_cmpfloat_with_epsilon (hi.g, 0.906157, 1e-6);
  /* perceptually ordered: luminance strictly increases */
  double prev = -1;
  for (int i = 0; i <= 100; i++)
    {
      double l = dv_rgb_luminance (dv_colormap_eval (DV_COLORMAP_VIRIDIS, i / 100.0));
      g_assert_cmpfloat (l, >, prev);
      prev = l;
    }
  /* clamped outside [0,1] */
  DvRgb below = dv_colormap_eval (DV_COLORMAP_VIRIDIS, -3);
  g_assert_cmpfloat (below.r, ==, lo.r);
  DvRgb nan = dv_colormap_eval (DV_COLORMAP_VIRIDIS, NAN);
  g_assert_cmpfloat (nan.r, ==, 0.5);
}

static void
test_colormap_diverging (void)
{
  DvRgb lo = dv_colormap_eval (DV_COLORMAP_DIVERGING, 0);
  DvRgb mid = dv_colormap_eval (DV_COLORMAP_DIVERGING, 0.5);
  DvRgb hi = dv_colormap_eval (DV_COLORMAP_DIVERGING, 1);
  g_assert_cmpfloat (lo.b, >, lo.r);   /* low end blue */
  g_assert_cmpfloat (hi.r, >, hi.b);   /* high end red */
  g_assert_cmpfloat (dv_rgb_luminance (mid), >, 0.9); /* near white in the middle */
  /* luminance rises towards the middle from both ends */
  for (int i = 0; i < 50; i++)
    {
      g_assert_cmpfloat (dv_rgb_luminance (dv_colormap_eval (DV_COLORMAP_DIVERGING, i / 100.0)), <,
                         dv_rgb_luminance (dv_colormap_eval (DV_COLORMAP_DIVERGING, (i + 1) / 100.0)));
      g_assert_cmpfloat (dv_rgb_luminance (dv_colormap_eval (DV_COLORMAP_DIVERGING, 1 - i / 100.0)), <,
                         dv_rgb_luminance (dv_colormap_eval (DV_COLORMAP_DIVERGING, 1 - (i + 1) / 100.0)));
    }
  DvColormap m;
  g_assert_true (dv_colormap_from_name ("Diverging", &m));
  g_assert_cmpint (m, ==, DV_COLORMAP_DIVERGING);
  g_assert_false (dv_colormap_from_name ("jet", &m));
}

static void
test_colormap_fill (void)
{
  float v[4] = { 0, 1, 0.5f, NAN };
  guint32 px[4];
  dv_colormap_fill_argb32 (DV_COLORMAP_GRAY, v, 4, px);
  g_assert_cmphex (px[0], ==, 0xff000000u);
  g_assert_cmphex (px[1], ==, 0xffffffffu);
  g_assert_cmphex (px[2], ==, 0xff808080u);
  g_assert_cmphex (px[3], ==, 0xff808080u);
  dv_colormap_fill_argb32 (DV_COLORMAP_VIRIDIS, v, 2, px);
  DvRgb hi = dv_colormap_eval (DV_COLORMAP_VIRIDIS, 1);
  g_assert_cmpint ((px[1] >> 16) & 0xff, ==, (int) lround (hi.r * 255));
  /* the layer palette is distinct for the first 8 layers */
  for (int i = 0; i < 8; i++)
    for (int k = i + 1; k < 8; k++)
      {
        DvRgb a = dv_palette_layer (i), b = dv_palette_layer (k);
        g_assert_true (a.r != b.r || a.g != b.g || a.b != b.b);
      }
}

/* ---- ranges and scopes -------------------------------------------------------------- */

static void
test_range_normalise (void)
{
  DvRange r;
  dv_range_init (&r);
  g_assert_true (dv_range_is_empty (&r));
  g_assert_true (isnan (dv_range_normalise (&r, 1)));
  float v[] = { 2, NAN, -1, INFINITY, 5 };
  dv_range_include (&r, v, G_N_ELEMENTS (v));
  g_assert_cmpfloat (r.min, ==, -1);
  g_assert_cmpfloat (r.max, ==, 5);
  g_assert_cmpfloat_with_epsilon (dv_range_normalise (&r, 2), 0.5, 1e-6);
  dv_range_make_symmetric (&r);
  g_assert_cmpfloat (r.min, ==, -5);
  g_assert_cmpfloat_with_epsilon (dv_range_normalise (&r, 0), 0.5, 1e-6);
  DvRange flat = { 3, 3 };
  g_assert_cmpfloat (dv_range_normalise (&flat, 3), ==, 0.5);
}

static void
test_scale_scopes (void)
{
  /* C=2, H=1, W=3: channel 0 in [0,2], channel 1 in [10,40] */
  float maps[6] = { 0, 1, 2, 10, 20, 40 };
  DvRange r[2];
  dv_fmap_ranges (maps, 2, 1, 3, DV_SCALE_PER_CHANNEL, NULL, FALSE, r);
  g_assert_cmpfloat (r[0].min, ==, 0);
  g_assert_cmpfloat (r[0].max, ==, 2);
  g_assert_cmpfloat (r[1].min, ==, 10);
  g_assert_cmpfloat (r[1].max, ==, 40);

  dv_fmap_ranges (maps, 2, 1, 3, DV_SCALE_PER_LAYER, NULL, FALSE, r);
  for (int c = 0; c < 2; c++)
    {
      g_assert_cmpfloat (r[c].min, ==, 0);
      g_assert_cmpfloat (r[c].max, ==, 40);
    }
  float norm[3];
  dv_fmap_normalise (maps + 3, 3, &r[1], norm);
  g_assert_cmpfloat_with_epsilon (norm[1], 0.5, 1e-6);

  DvRange global = { -100, 100 };
  dv_fmap_ranges (maps, 2, 1, 3, DV_SCALE_GLOBAL, &global, FALSE, r);
  g_assert_cmpfloat (r[0].min, ==, -100);
  g_assert_cmpfloat (r[1].max, ==, 100);

  float signed_maps[6] = { -1, 0, 3, 1, 2, 2 };
  dv_fmap_ranges (signed_maps, 2, 1, 3, DV_SCALE_PER_CHANNEL, NULL, TRUE, r);
  g_assert_cmpfloat (r[0].min, ==, -3);
  g_assert_cmpfloat (r[0].max, ==, 3);
  g_assert_cmpfloat (r[1].min, ==, -2);
  g_assert_cmpstr (dv_scale_scope_name (DV_SCALE_GLOBAL), ==, "global");
}

/* ---- series ---------------------------------------------------------------------- */

static void
test_series_ring (void)
{
  g_autoptr (DvSeries) s = dv_series_new (2, 4);
  for (int t = 0; t < 6; t++)
    {
      float v[2] = { t, 10 * t };
      dv_series_push (s, t, v);
    }
  /* bounded: the oldest rows were dropped */
  g_assert_cmpuint (dv_series_length (s), ==, 4);
  g_assert_cmpint (dv_series_time (s, 0), ==, 2);
  g_assert_cmpint (dv_series_time (s, 3), ==, 5);
  g_assert_cmpfloat (dv_series_row (s, 3)[1], ==, 50);
  g_assert_cmpint (dv_series_find (s, 4), ==, 2);
  g_assert_cmpint (dv_series_find (s, 1), ==, -1);
  DvRange r;
  dv_series_range (s, 1, &r);
  g_assert_cmpfloat (r.min, ==, 20);
  g_assert_cmpfloat (r.max, ==, 50);

  /* re-running from t = 3 replaces 3, 4, 5 */
  float v[2] = { -1, -1 };
  dv_series_push (s, 3, v);
  g_assert_cmpuint (dv_series_length (s), ==, 2);
  g_assert_cmpint (dv_series_time (s, 1), ==, 3);
  g_assert_cmpfloat (dv_series_row (s, 1)[0], ==, -1);
  float col[4];
  dv_series_column (s, 0, col);
  g_assert_cmpfloat (col[0], ==, 2);
  dv_series_clear (s);
  g_assert_cmpuint (dv_series_length (s), ==, 0);
}

/* ---- schedule -> bands ---------------------------------------------------------- */

static void
test_schedule_bands (void)
{
  const guint8 S = DV_PLOT_STEP_STIMULUS, N = DV_PLOT_STEP_NOISE;
  guint8 flags[10] = { 0, 0, S, S | N, S, 0, 0, S, S, 0 };
  float contrast[10] = { 0, 0, 1, 0.5f, 0, 0, 0, 0.25f, 0.75f, 0 };
  g_autoptr (GArray) b = dv_schedule_bands (flags, contrast, 10);
  g_assert_cmpuint (b->len, ==, 2);
  DvBand *b0 = &g_array_index (b, DvBand, 0), *b1 = &g_array_index (b, DvBand, 1);
  g_assert_cmpint (b0->start, ==, 2);
  g_assert_cmpint (b0->end, ==, 5);
  g_assert_cmpfloat_with_epsilon (b0->contrast, 0.5, 1e-6);
  g_assert_cmpint (b1->start, ==, 7);
  g_assert_cmpint (b1->end, ==, 9);
  g_assert_cmpfloat_with_epsilon (b1->contrast, 0.5, 1e-6);
  g_assert_cmpint (dv_schedule_first_onset (flags, 10), ==, 2);

  /* a band running to the end, no contrast given; the tutorial's intro 2 / stim 10 */
  guint8 tut[20] = { 0 };
  for (int t = 2; t < 12; t++)
    tut[t] = S;
  g_autoptr (GArray) bt = dv_schedule_bands (tut, NULL, 20);
  g_assert_cmpuint (bt->len, ==, 1);
  g_assert_cmpint (g_array_index (bt, DvBand, 0).start, ==, 2);
  g_assert_cmpint (g_array_index (bt, DvBand, 0).end, ==, 12);
  g_assert_cmpfloat (g_array_index (bt, DvBand, 0).contrast, ==, 1);

  guint8 blank[3] = { 0 };
  g_autoptr (GArray) none = dv_schedule_bands (blank, NULL, 3);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpint (dv_schedule_first_onset (blank, 3), ==, -1);
  guint8 all[3] = { S, S, S };
  g_autoptr (GArray) one = dv_schedule_bands (all, NULL, 3);
  g_assert_cmpuint (one->len, ==, 1);
  g_assert_cmpint (g_array_index (one, DvBand, 0).end, ==, 3);
}

/* ---- latency ---------------------------------------------------------------------- */

static void
test_latency_hand_made (void)
{
  DvLatency l;
  /* min 0, max 10: normalised 0, 0, 0, .1, .4, 1, .8, .6 -> first > 0.5 is step 5 */
  float a[] = { 0, 0, 0, 1, 4, 10, 8, 6 };
  dv_latency_compute (a, G_N_ELEMENTS (a), 0.5f, &l);
  g_assert_cmpint (l.onset, ==, 5);
  g_assert_cmpint (l.peak, ==, 5);
  g_assert_cmpfloat (l.peak_height, ==, 10);

  /* exactly 0.5 is not a crossing (the tutorial uses >) */
  float b[] = { 0, 5, 10 };
  dv_latency_compute (b, 3, 0.5f, &l);
  g_assert_cmpint (l.onset, ==, 2);

  /* an offset baseline: min 2, max 6 -> 4.5 is 0.625 */
  float c[] = { 2, 2, 4.5f, 6, 3 };
  dv_latency_compute (c, 5, 0.5f, &l);
  g_assert_cmpint (l.onset, ==, 2);
  g_assert_cmpint (l.peak, ==, 3);

  /* ties: first maximum */
  float d[] = { 1, 3, 3, 0 };
  dv_latency_compute (d, 4, 0.5f, &l);
  g_assert_cmpint (l.peak, ==, 1);

  /* flat trace: no onset, peak at 0 */
  float e[] = { 7, 7, 7 };
  dv_latency_compute (e, 3, 0.5f, &l);
  g_assert_cmpint (l.onset, ==, -1);
  g_assert_cmpint (l.peak, ==, 0);

  /* NaN ignored */
  float f[] = { NAN, 0, 1, NAN };
  dv_latency_compute (f, 4, 0.5f, &l);
  g_assert_cmpint (l.onset, ==, 2);
  g_assert_cmpint (l.peak, ==, 2);

  dv_latency_compute (NULL, 0, 0.5f, &l);
  g_assert_cmpint (l.onset, ==, -1);
  g_assert_cmpint (l.peak, ==, -1);
  g_assert_false (l.rising);

  /* a runaway: the maximum is the last step, so there is no peak yet */
  float g[] = { 0, 1, 3, 6, 9, 14 };
  dv_latency_compute (g, 6, 0.5f, &l);
  g_assert_true (l.rising);
  g_assert_cmpint (l.peak, ==, 5);
  /* one that peaked and fell back is not rising; nor is a flat one */
  g_assert_false ((dv_latency_compute (a, G_N_ELEMENTS (a), 0.5f, &l), l.rising));
  g_assert_false ((dv_latency_compute (e, 3, 0.5f, &l), l.rising));
}

static void
test_latency_plot_reference (void)
{
  /* 3 layers, T = 20, stimulus 2..11; layer k ramps up from step 2 + 2k */
  guint8 flags[20] = { 0 };
  for (int t = 2; t < 12; t++)
    flags[t] = DV_PLOT_STEP_STIMULUS;
  g_autoptr (DvSeries) s = dv_series_new (3, 64);
  for (int t = 0; t < 20; t++)
    {
      float v[3];
      for (int k = 0; k < 3; k++)
        v[k] = t >= 2 + 2 * k && t < 12 ? (float) (t - 1 - 2 * k) : 0;
      dv_series_push (s, t, v);
    }
  const char *names[] = { "V1", "V2", "V3" };
  DvLatencyPlot p;
  dv_latency_plot_init (&p);
  p.series = s;
  p.names = names;
  p.timeline = (DvPlotTimeline) { flags, NULL, 20, 2.0 };
  DvLatency lat[3];
  int ref;
  dv_latency_plot_compute (&p, lat, &ref);
  g_assert_cmpint (ref, ==, 2);
  /* layer 0: values 1..10 at steps 2..11; > 5 first at value 6 = step 7 */
  g_assert_cmpint (lat[0].onset, ==, 7);
  g_assert_cmpint (lat[0].peak, ==, 11);
  /* layer 2: values 1..6 at steps 6..11; > 3 first at value 4 = step 9 */
  g_assert_cmpint (lat[2].onset, ==, 9);
  g_assert_cmpfloat (lat[2].peak_height, ==, 6);

  g_autofree char *csv = dv_plot_to_csv (dv_latency_plot_as_plot (&p));
  g_auto (GStrv) lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpstr (lines[1], ==, "V1,7,10,11,18,10,2,false");
  g_assert_false (lat[0].rising);
}

/* ---- axes --------------------------------------------------------------------------- */

static void
test_axis_ticks (void)
{
  double t[64], step;
  int n = dv_axis_ticks (0, 1, 6, t, &step);
  g_assert_cmpint (n, ==, 6);
  g_assert_cmpfloat_with_epsilon (step, 0.2, 1e-12);
  g_assert_cmpfloat (t[0], ==, 0);
  g_assert_cmpfloat_with_epsilon (t[5], 1, 1e-12);
  n = dv_axis_ticks (0, 40, 6, t, &step);
  g_assert_cmpfloat (step, ==, 10);
  g_assert_cmpint (n, ==, 5);
  n = dv_axis_ticks (-3, 7, 5, t, &step);
  g_assert_cmpfloat (step, ==, 2.5);
  g_assert_cmpfloat (t[0], ==, -2.5);
  for (int i = 0; i < n; i++)
    g_assert_true (t[i] >= -3 && t[i] <= 7);
  n = dv_axis_ticks (5, 5, 6, t, &step);
  g_assert_cmpint (n, ==, 1);

  char buf[32];
  dv_axis_format (0.25, 0.25, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "0.25");
  dv_axis_format (40, 10, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "40");
  dv_axis_format (7.5, 2.5, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "7.5");
  dv_axis_format (50, 25, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "50");
  dv_axis_format (0.4, 0.2, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "0.4");
}

/* ---- a tutorial-shaped fixture for the renderers --------------------------------------- */

#define T_STEPS 20

typedef struct {
  guint8 flags[T_STEPS];
  DvSeries *means, *logits;
  float maps[8 * 6 * 5];
  float image[3 * 8 * 8];
  const char *names[3];
  DvResponsesPlot responses;
  DvFmapPlot fmap;
  DvReadoutPlot readout;
  DvLatencyPlot latency;
  DvStimulusPlot stimulus;
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  for (int t = 0; t < T_STEPS; t++)
    fx->flags[t] = t >= 2 && t < 12 ? DV_PLOT_STEP_STIMULUS : 0;
  fx->means = dv_series_new (3, 256);
  fx->logits = dv_series_new (10, 256);
  for (int t = 0; t < T_STEPS; t++)
    {
      float m[3], z[10];
      for (int k = 0; k < 3; k++)
        m[k] = t >= 2 + 2 * k ? expf (-(t - 2 - 2 * k) / 6.0f) * (1 - expf (-(t - 2 - 2 * k) / 2.0f)) * (k + 1) : 0;
      for (int k = 0; k < 10; k++)
        z[k] = (k == 3 ? 0.3f * t : 0) + 0.1f * k;
      dv_series_push (fx->means, t, m);
      dv_series_push (fx->logits, t, z);
    }
  for (guint i = 0; i < G_N_ELEMENTS (fx->maps); i++)
    fx->maps[i] = sinf (i * 0.37f) * (i % 7);
  for (guint i = 0; i < G_N_ELEMENTS (fx->image); i++)
    fx->image[i] = cosf (i * 0.21f);
  fx->names[0] = "V1";
  fx->names[1] = "V2";
  fx->names[2] = "V3";
  DvPlotTimeline tl = { fx->flags, NULL, T_STEPS, 2.0 };

  dv_responses_plot_init (&fx->responses);
  fx->responses.series = fx->means;
  fx->responses.names = fx->names;
  fx->responses.timeline = tl;
  fx->responses.cursor = 12;
  fx->responses.highlight = 1;

  dv_fmap_plot_init (&fx->fmap);
  fx->fmap.layer_name = "V2";
  fx->fmap.maps = fx->maps;
  fx->fmap.C = 8;
  fx->fmap.H = 6;
  fx->fmap.W = 5;
  fx->fmap.t = 12;
  fx->fmap.dt = 2;
  fx->fmap.sel_c = 3;
  fx->fmap.sel_y = 2;
  fx->fmap.sel_x = 4;

  dv_readout_plot_init (&fx->readout);
  fx->readout.logits = fx->logits;
  fx->readout.timeline = tl;
  fx->readout.cursor = 12;
  fx->readout.label = 3;

  dv_latency_plot_init (&fx->latency);
  fx->latency.series = fx->means;
  fx->latency.names = fx->names;
  fx->latency.timeline = tl;

  dv_stimulus_plot_init (&fx->stimulus);
  fx->stimulus.image = fx->image;
  fx->stimulus.C = 3;
  fx->stimulus.H = 8;
  fx->stimulus.W = 8;
  fx->stimulus.timeline = tl;
  fx->stimulus.cursor = 12;
  fx->stimulus.caption = "cat (label 3)";

  fx->dir = g_dir_make_tmp ("dv-test-plot-XXXXXX", NULL);
  g_assert_nonnull (fx->dir);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  dv_series_free (fx->means);
  dv_series_free (fx->logits);
  GDir *d = g_dir_open (fx->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (fx->dir, name, NULL);
      g_unlink (p);
    }
  if (d)
    g_dir_close (d);
  g_rmdir (fx->dir);
  g_free (fx->dir);
}

static DvPlot
fixture_plot (Fixture *fx, int i)
{
  switch (i)
    {
    case 0: return dv_responses_plot_as_plot (&fx->responses);
    case 1: return dv_fmap_plot_as_plot (&fx->fmap);
    case 2: return dv_readout_plot_as_plot (&fx->readout);
    case 3: return dv_latency_plot_as_plot (&fx->latency);
    default: return dv_stimulus_plot_as_plot (&fx->stimulus);
    }
}

static void
test_draw_any_size (Fixture *fx, gconstpointer data)
{
  static const double sizes[][2] = { { 1, 1 }, { 10, 10 }, { 90, 40 }, { 300, 200 }, { 1400, 900 } };
  DvSeries *empty = dv_series_new (3, 4);
  for (int pass = 0; pass < 2; pass++)
    {
      if (pass == 1)
        {
          /* nothing recorded yet: every view must still draw */
          fx->responses.series = empty;
          fx->latency.series = empty;
          fx->fmap.maps = NULL;
          fx->stimulus.image = NULL;
        }
      for (int i = 0; i < 5; i++)
        for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
          {
            cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) sizes[s][0],
                                                                (int) sizes[s][1]);
            cairo_t *cr = cairo_create (surf);
            dv_plot_draw (fixture_plot (fx, i), cr, sizes[s][0], sizes[s][1]);
            g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
            cairo_destroy (cr);
            cairo_surface_destroy (surf);
          }
    }
  dv_series_free (empty);
}

static void
test_fmap_layout_hit (Fixture *fx, gconstpointer data)
{
  DvFmapLayout L;
  dv_fmap_plot_layout (&fx->fmap, 600, 400, &L);
  g_assert_cmpint (L.cols * L.rows, >=, 8);
  g_assert_cmpfloat (L.tile_w / fx->fmap.W, ==, L.tile_h / fx->fmap.H); /* square units */
  g_assert_cmpfloat (L.grid.x + L.grid.w, <=, L.colorbar.x);
  for (int c = 0; c < 8; c++)
    {
      int col = c % L.cols, row = c / L.cols;
      double ux = L.tile_w / 5, uy = L.tile_h / 6;
      double x = L.grid.x + col * (L.tile_w + L.gap) + 3.5 * ux;
      double y = L.grid.y + row * (L.tile_h + L.gap) + 1.5 * uy;
      int hc, hy, hx;
      g_assert_true (dv_fmap_plot_hit (&fx->fmap, 600, 400, x, y, &hc, &hy, &hx));
      g_assert_cmpint (hc, ==, c);
      g_assert_cmpint (hy, ==, 1);
      g_assert_cmpint (hx, ==, 3);
    }
  int hc;
  g_assert_false (dv_fmap_plot_hit (&fx->fmap, 600, 400, 1, 1, &hc, NULL, NULL));
  if (L.cols > 1)
    g_assert_false (dv_fmap_plot_hit (&fx->fmap, 600, 400, L.grid.x + L.tile_w + L.gap / 2,
                                      L.grid.y + 1, &hc, NULL, NULL));
}

static void
test_softmax (void)
{
  float z[3] = { 1000, 1000, -INFINITY }, p[3];
  int k = dv_softmax (z, 3, p);
  g_assert_cmpint (k, ==, 0);
  g_assert_cmpfloat_with_epsilon (p[0], 0.5, 1e-6);
  g_assert_cmpfloat (p[2], ==, 0);
  float u[4] = { 0 };
  float q[4];
  dv_softmax (u, 4, q);
  g_assert_cmpfloat_with_epsilon (q[3], 0.25, 1e-7);
}

/* ---- export ------------------------------------------------------------------------ */

static char *
read_file (const char *path)
{
  char *text = NULL;
  GError *error = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  return text;
}

static void
assert_no_temporaries (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      const char *dot = strrchr (name, '.');
      g_assert_nonnull (dot);
      g_assert_true (g_str_equal (dot, ".png") || g_str_equal (dot, ".svg")
                     || g_str_equal (dot, ".pdf") || g_str_equal (dot, ".csv")
                     || g_str_equal (dot, ".json"));
    }
  g_dir_close (d);
}

static void
test_export_csv_rows (Fixture *fx, gconstpointer data)
{
  g_autofree char *path = g_build_filename (fx->dir, "responses.png", NULL);
  GError *error = NULL;
  g_assert_true (dv_plot_export (dv_responses_plot_as_plot (&fx->responses), path, 640, 400, 1, &error));
  g_assert_no_error (error);
  g_autofree char *csv_path = g_build_filename (fx->dir, "responses.csv", NULL);
  g_autofree char *csv = read_file (csv_path);
  g_auto (GStrv) lines = g_strsplit (csv, "\n", -1);
  /* header + one row per timestep + the empty string after the last newline */
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + T_STEPS + 1);
  g_assert_cmpstr (lines[0], ==, "t,time_ms,stimulus,V1,V2,V3");
  g_assert_cmpstr (lines[T_STEPS + 1], ==, "");
  for (int t = 0; t < T_STEPS; t++)
    {
      g_auto (GStrv) cols = g_strsplit (lines[t + 1], ",", -1);
      g_assert_cmpuint (g_strv_length (cols), ==, 6);
      g_assert_cmpint (atoi (cols[0]), ==, t);
      g_assert_cmpfloat (g_ascii_strtod (cols[1], NULL), ==, 2.0 * t);
      g_assert_cmpint (atoi (cols[2]), ==, t >= 2 && t < 12);
      /* exactly the plotted float */
      g_assert_cmpfloat ((float) g_ascii_strtod (cols[4], NULL), ==,
                         dv_series_row (fx->means, t)[1]);
    }
  /* the readout's CSV: one row per timestep too, probabilities summing to 1 */
  g_autofree char *rcsv = dv_plot_to_csv (dv_readout_plot_as_plot (&fx->readout));
  g_auto (GStrv) rl = g_strsplit (rcsv, "\n", -1);
  g_assert_cmpuint (g_strv_length (rl), ==, 1 + T_STEPS + 1);
  g_auto (GStrv) rc = g_strsplit (rl[T_STEPS], ",", -1);
  double sum = 0;
  for (int k = 0; k < 10; k++)
    sum += g_ascii_strtod (rc[3 + k], NULL);
  g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-5);
  g_assert_cmpint (atoi (rc[13]), ==, 3);
  assert_no_temporaries (fx->dir);
}

static void
test_export_png_not_blank (Fixture *fx, gconstpointer data)
{
  for (int i = 0; i < 5; i++)
    {
      DvPlot plot = fixture_plot (fx, i);
      g_autofree char *name = g_strdup_printf ("%s.png", plot.klass->kind);
      g_autofree char *path = g_build_filename (fx->dir, name, NULL);
      GError *error = NULL;
      g_assert_true (dv_plot_export (plot, path, 500, 320, 2, &error));
      g_assert_no_error (error);
      cairo_surface_t *img = cairo_image_surface_create_from_png (path);
      g_assert_cmpint (cairo_surface_status (img), ==, CAIRO_STATUS_SUCCESS);
      g_assert_cmpint (cairo_image_surface_get_width (img), ==, 1000);
      g_assert_cmpint (cairo_image_surface_get_height (img), ==, 640);
      /* pixel variance of the luminance: a blank image has none */
      int w = cairo_image_surface_get_width (img), h = cairo_image_surface_get_height (img);
      int stride = cairo_image_surface_get_stride (img);
      const unsigned char *d = cairo_image_surface_get_data (img);
      double sum = 0, sum2 = 0;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            guint32 px = ((const guint32 *) (d + (gsize) y * stride))[x];
            double l = 0.3 * ((px >> 16) & 0xff) + 0.59 * ((px >> 8) & 0xff) + 0.11 * (px & 0xff);
            sum += l;
            sum2 += l * l;
          }
      double n = (double) w * h, var = sum2 / n - (sum / n) * (sum / n);
      g_test_message ("%s: luminance variance %.1f", plot.klass->kind, var);
      g_assert_cmpfloat (var, >, 50);
      cairo_surface_destroy (img);
    }
  assert_no_temporaries (fx->dir);
}

static void
markup_start (GMarkupParseContext *ctx, const char *element, const char **names,
              const char **values, gpointer user_data, GError **error)
{
  if (g_str_equal (element, "svg"))
    (*(int *) user_data)++;
}

static void
test_export_svg_pdf_json (Fixture *fx, gconstpointer data)
{
  for (int i = 0; i < 5; i++)
    {
      DvPlot plot = fixture_plot (fx, i);
      g_autofree char *svg_name = g_strdup_printf ("%s.svg", plot.klass->kind);
      g_autofree char *svg_path = g_build_filename (fx->dir, svg_name, NULL);
      GError *error = NULL;
      g_assert_true (dv_plot_export (plot, svg_path, 640, 400, 1, &error));
      g_assert_no_error (error);
      g_autofree char *svg = read_file (svg_path);
      g_assert_true (g_str_has_prefix (svg, "<?xml"));
      g_assert_nonnull (strstr (svg, "<svg"));
      int n_svg = 0;
      GMarkupParser parser = { .start_element = markup_start };
      GMarkupParseContext *ctx = g_markup_parse_context_new (&parser, 0, &n_svg, NULL);
      g_assert_true (g_markup_parse_context_parse (ctx, svg, -1, &error));
      g_assert_no_error (error);
      g_assert_true (g_markup_parse_context_end_parse (ctx, &error));
      g_assert_no_error (error);
      g_markup_parse_context_free (ctx);
      g_assert_cmpint (n_svg, ==, 1);

      g_autofree char *pdf_name = g_strdup_printf ("%s.pdf", plot.klass->kind);
      g_autofree char *pdf_path = g_build_filename (fx->dir, pdf_name, NULL);
      g_assert_true (dv_plot_export (plot, pdf_path, 640, 400, 1, &error));
      g_assert_no_error (error);
      g_autofree char *pdf = read_file (pdf_path);
      g_assert_true (g_str_has_prefix (pdf, "%PDF-"));
      /* every file of an export gets the same mode: 0666 less the umask (022 here) */
      g_autofree char *csv_name = g_strdup_printf ("%s.csv", plot.klass->kind);
      g_autofree char *csv_path = g_build_filename (fx->dir, csv_name, NULL);
      const char *files[] = { svg_path, pdf_path, csv_path };
      for (guint f = 0; f < G_N_ELEMENTS (files); f++)
        {
          GStatBuf st;
          g_assert_cmpint (g_stat (files[f], &st), ==, 0);
          g_assert_cmpint (st.st_mode & 0777, ==, 0644);
        }

      g_autofree char *json_name = g_strdup_printf ("%s.json", plot.klass->kind);
      g_autofree char *json_path = g_build_filename (fx->dir, json_name, NULL);
      g_autofree char *json = read_file (json_path);
      g_autofree char *kind = g_strdup_printf ("\"kind\": \"%s\"", plot.klass->kind);
      g_assert_nonnull (strstr (json, kind));
      g_assert_nonnull (strstr (json, "\"format\": \"pdf\""));
      /* the view's own fields never shadow the common ones */
      const char *w1 = strstr (json, "\n  \"width\": 640");
      g_assert_nonnull (w1);
      g_assert_null (strstr (w1 + 1, "\n  \"width\":"));
      /* brackets balance outside strings */
      int depth = 0;
      gboolean in_str = FALSE;
      for (const char *p = json; *p; p++)
        {
          if (in_str)
            {
              if (*p == '\\')
                p++;
              else if (*p == '"')
                in_str = FALSE;
              continue;
            }
          if (*p == '"')
            in_str = TRUE;
          else if (*p == '{' || *p == '[')
            depth++;
          else if (*p == '}' || *p == ']')
            g_assert_cmpint (--depth, >=, 0);
        }
      g_assert_cmpint (depth, ==, 0);
    }
  GError *error = NULL;
  g_autofree char *bad = g_build_filename (fx->dir, "x.bmp", NULL);
  g_assert_false (dv_plot_export (fixture_plot (fx, 0), bad, 100, 100, 1, &error));
  g_assert_error (error, DV_PLOT_ERROR, DV_PLOT_ERROR_FORMAT);
  g_clear_error (&error);
  g_autofree char *missing = g_build_filename (fx->dir, "no", "such", "dir.png", NULL);
  g_assert_false (dv_plot_export (fixture_plot (fx, 0), missing, 100, 100, 1, &error));
  g_assert_error (error, DV_PLOT_ERROR, DV_PLOT_ERROR_IO);
  g_clear_error (&error);
  assert_no_temporaries (fx->dir);
}

/* Views exactly as dv_*_plot_init leaves them (no series, names, maps,
 * logits or schedule), and traces without names: every entry point draws,
 * exports and hit-tests without a critical (criticals are fatal here). */
static void
test_unset_views (Fixture *fx, gconstpointer data)
{
  DvResponsesPlot responses, probe;
  DvFmapPlot fmap;
  DvReadoutPlot readout;
  DvLatencyPlot latency;
  DvStimulusPlot stimulus;
  dv_responses_plot_init (&responses);
  dv_responses_plot_init (&probe);
  probe.cursor = 3; /* a cursor with no series yet */
  dv_fmap_plot_init (&fmap);
  fmap.C = 4;
  fmap.H = fmap.W = 3;
  dv_readout_plot_init (&readout);
  readout.cursor = 5;
  dv_latency_plot_init (&latency);
  dv_stimulus_plot_init (&stimulus);
  stimulus.cursor = 2;
  DvPlot plots[] = {
    dv_responses_plot_as_plot (&responses), dv_responses_plot_as_plot (&probe),
    dv_fmap_plot_as_plot (&fmap), dv_readout_plot_as_plot (&readout),
    dv_latency_plot_as_plot (&latency), dv_stimulus_plot_as_plot (&stimulus),
  };
  static const double sizes[][2] = { { 1, 1 }, { 120, 60 }, { 700, 420 } };
  for (int pass = 0; pass < 2; pass++)
    {
      if (pass == 1)
        {
          /* data, but no trace names */
          responses.series = fx->means;
          latency.series = fx->means;
          readout.logits = fx->logits;
        }
      for (guint i = 0; i < G_N_ELEMENTS (plots); i++)
        {
          for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
            {
              cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
                                                                  (int) sizes[s][0],
                                                                  (int) sizes[s][1]);
              cairo_t *cr = cairo_create (surf);
              dv_plot_draw (plots[i], cr, sizes[s][0], sizes[s][1]);
              g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
              cairo_destroy (cr);
              cairo_surface_destroy (surf);
            }
          g_autofree char *csv = dv_plot_to_csv (plots[i]);
          g_assert_nonnull (csv);
          g_assert_true (g_str_has_suffix (csv, "\n"));
          g_autofree char *json = dv_plot_params_to_json (plots[i], 700, 420, 1, "png");
          g_assert_nonnull (strstr (json, plots[i].klass->kind));
          g_autofree char *name = g_strdup_printf ("unset-%d-%u.png", pass, i);
          g_autofree char *path = g_build_filename (fx->dir, name, NULL);
          GError *error = NULL;
          g_assert_true (dv_plot_export (plots[i], path, 300, 200, 1, &error));
          g_assert_no_error (error);
        }
      g_assert_cmpint (dv_responses_plot_step_at (&responses, 700, 420, 300), >=, -1);
      g_assert_cmpint (dv_responses_plot_step_at (&probe, 700, 420, 300), >=, -1);
      g_assert_cmpint (dv_readout_plot_step_at (&readout, 700, 420, 300), >=, -1);
      g_assert_cmpint (dv_stimulus_plot_step_at (&stimulus, 700, 420, 300, 380), ==, -1);
      int c;
      g_assert_false (dv_fmap_plot_hit (&fmap, 1, 1, 0, 0, &c, NULL, NULL));
    }
  /* nameless traces are called "trace k" in the CSV header */
  g_autofree char *csv = dv_plot_to_csv (plots[0]);
  g_assert_true (g_str_has_prefix (csv, "t,time_ms,stimulus,trace 0,trace 1,trace 2\n"));
  assert_no_temporaries (fx->dir);
}

/* The readout's verdict only at labelled steps; every class its own colour. */
static void
test_readout_verdict (void)
{
  /* 4 classes, T = 10: blank 0..2, stimulus (labelled) 3..6, blank 7..9; class 2 leads */
  guint8 flags[10] = { 0 };
  for (int t = 3; t < 7; t++)
    flags[t] = DV_PLOT_STEP_STIMULUS | DV_PLOT_STEP_LABELLED;
  g_autoptr (DvSeries) logits = dv_series_new (4, 16);
  for (int t = 0; t < 10; t++)
    {
      float v[4] = { 0, 0, 2, 0 };
      dv_series_push (logits, t, v);
    }
  DvReadoutPlot p;
  dv_readout_plot_init (&p);
  p.logits = logits;
  p.timeline = (DvPlotTimeline) { flags, NULL, 10, 2.0 };
  p.label = 2;
  gboolean wrong = TRUE;
  p.cursor = 1; /* before onset: probabilities, no verdict */
  g_autofree char *before = dv_readout_plot_headline (&p, &wrong);
  g_assert_nonnull (strstr (before, "no label at this step"));
  g_assert_null (strstr (before, "correct"));
  g_assert_false (wrong);
  p.cursor = 4;
  g_autofree char *during = dv_readout_plot_headline (&p, &wrong);
  g_assert_nonnull (strstr (during, "— correct"));
  g_assert_false (wrong);
  p.label = 1;
  g_autofree char *bad = dv_readout_plot_headline (&p, &wrong);
  g_assert_nonnull (strstr (bad, "— wrong"));
  g_assert_true (wrong);
  p.cursor = 8; /* after offset: no verdict either */
  g_autofree char *after = dv_readout_plot_headline (&p, &wrong);
  g_assert_null (strstr (after, "wrong"));
  g_assert_false (wrong);
  p.timeline.flags = NULL; /* no timeline: every step is judged */
  g_autofree char *anyway = dv_readout_plot_headline (&p, &wrong);
  g_assert_nonnull (strstr (anyway, "— wrong"));

  /* a hundred classes, a hundred colours, none of them the muted grey */
  for (int a = 0; a < 100; a++)
    {
      DvRgb ca = dv_palette_class (a);
      g_assert_false (fabs (ca.r - ca.g) < 0.02 && fabs (ca.g - ca.b) < 0.02);
      for (int b = 0; b < a; b++)
        {
          DvRgb cb = dv_palette_class (b);
          g_assert_cmpfloat (fabs (ca.r - cb.r) + fabs (ca.g - cb.g) + fabs (ca.b - cb.b), >, 0.03);
        }
    }
}

/* A constant channel under the per-channel scale sits where its value is in the
 * layer's range (a dead ReLU channel is dark, not mid-scale); captions say the
 * scale as the menu does. */
static void
test_fmap_constant_channel (void)
{
  /* 2 channels of 2×2: channel 0 varies 0..4, channel 1 is all 0 */
  const float maps[8] = { 0, 1, 3, 4, 0, 0, 0, 0 };
  DvRange r[2];
  dv_fmap_ranges (maps, 2, 2, 2, DV_SCALE_PER_CHANNEL, NULL, FALSE, r);
  g_assert_cmpfloat (r[0].min, ==, 0);
  g_assert_cmpfloat (r[0].max, ==, 4);
  g_assert_cmpfloat (r[1].min, ==, 0);
  g_assert_cmpfloat (r[1].max, ==, 4);
  g_assert_cmpfloat (dv_range_normalise (&r[1], 0), ==, 0); /* the bottom of the map, not 0.5 */
  g_assert_cmpstr (dv_scale_scope_label (DV_SCALE_PER_CHANNEL), ==, "per channel");
  g_assert_cmpstr (dv_scale_scope_label (DV_SCALE_GLOBAL), ==, "whole sequence");
}

int
main (int argc, char **argv)
{
  umask (022); /* the modes the export test expects */
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plot/colormap/viridis-ordered", test_colormap_viridis);
  g_test_add_func ("/plot/colormap/diverging-neutral-middle", test_colormap_diverging);
  g_test_add_func ("/plot/colormap/fill-argb32", test_colormap_fill);
  g_test_add_func ("/plot/range/normalise", test_range_normalise);
  g_test_add_func ("/plot/range/scale-scopes", test_scale_scopes);
  g_test_add_func ("/plot/series/bounded-ring", test_series_ring);
  g_test_add_func ("/plot/schedule/bands", test_schedule_bands);
  g_test_add_func ("/plot/latency/hand-made-traces", test_latency_hand_made);
  g_test_add_func ("/plot/latency/reference-is-stimulus-onset", test_latency_plot_reference);
  g_test_add_func ("/plot/axis/ticks", test_axis_ticks);
  g_test_add_func ("/plot/readout/softmax", test_softmax);
  g_test_add_func ("/plot/readout/verdict-at-labelled-steps", test_readout_verdict);
  g_test_add_func ("/plot/fmaps/constant-channel", test_fmap_constant_channel);
  g_test_add ("/plot/draw/any-size", Fixture, NULL, fixture_setup, test_draw_any_size,
              fixture_teardown);
  g_test_add ("/plot/draw/unset-views", Fixture, NULL, fixture_setup, test_unset_views,
              fixture_teardown);
  g_test_add ("/plot/fmap/layout-and-hit", Fixture, NULL, fixture_setup, test_fmap_layout_hit,
              fixture_teardown);
  g_test_add ("/plot/export/csv-rows-are-timesteps", Fixture, NULL, fixture_setup,
              test_export_csv_rows, fixture_teardown);
  g_test_add ("/plot/export/png-not-blank", Fixture, NULL, fixture_setup,
              test_export_png_not_blank, fixture_teardown);
  g_test_add ("/plot/export/svg-pdf-json-well-formed", Fixture, NULL, fixture_setup,
              test_export_svg_pdf_json, fixture_teardown);
  return g_test_run ();
}
