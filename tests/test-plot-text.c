/* test-plot-text.c — plot/'s text through PangoCairo, without a display.
 *
 * What this is for: the text helper (dv-plot-text.c) ellipsizes to within a
 * width, wraps to the lines asked for, measures a label the same on image,
 * SVG, PDF and recording surfaces, has every glyph the views use; and the
 * workbench's default views, at the sizes they get in a 1600×1000 window and
 * with the labels the workbench gives them, ellipsize no label
 * (dv_plot_count_cut_labels).
 * What this is not for: the views' data or export files (test-plot.c).
 */
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "dv-plot-arch.h"
#include "dv-plot-private.h"

static const char long_label[] =
  "onset latency (normalised mean > threshold) · ◆ peak time of every layer";

static cairo_t *
image_cr (void)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 64, 64);
  cairo_t *cr = cairo_create (s);
  cairo_surface_destroy (s);
  return cr;
}

static void
test_ellipsize_within_width (void)
{
  cairo_t *cr = image_cr ();
  double full_w;
  dvp_text_measure (cr, long_label, &(DvpTextStyle) { .size = 11 }, &full_w, NULL);
  g_assert_cmpfloat (full_w, >, 200);

  for (DvpCut cut = DVP_CUT_END; cut <= DVP_CUT_START; cut++)
    {
      DvpTextStyle st = { .size = 11, .max_w = 120, .cut = cut };
      PangoLayout *layout = dvp_layout (cr, long_label, &st);
      PangoRectangle ink, logical;
      pango_layout_get_pixel_extents (layout, &ink, &logical);
      g_assert_true (pango_layout_is_ellipsized (layout));
      g_assert_cmpint (pango_layout_get_line_count (layout), ==, 1);
      g_assert_cmpint (logical.width, <=, 120);
      g_assert_cmpint (logical.width, >, 60); /* cut to fit, not to nothing */
      g_object_unref (layout);
    }

  /* a label that fits is left whole, and measures as without a width */
  DvpTextStyle st = { .size = 11, .max_w = full_w + 1 };
  PangoLayout *layout = dvp_layout (cr, long_label, &st);
  g_assert_false (pango_layout_is_ellipsized (layout));
  PangoRectangle logical;
  pango_layout_get_extents (layout, NULL, &logical);
  g_assert_cmpfloat_with_epsilon ((double) logical.width / PANGO_SCALE, full_w, 1e-6);
  g_object_unref (layout);
  cairo_destroy (cr);
}

static void
test_wraps_to_lines (void)
{
  cairo_t *cr = image_cr ();
  double full_w, line_h = dvp_line_height (cr, 11, FALSE);
  dvp_text_measure (cr, long_label, &(DvpTextStyle) { .size = 11 }, &full_w, NULL);

  /* two lines of 60 % of the width hold it whole */
  DvpTextStyle two = { .size = 11, .max_w = 0.6 * full_w, .max_lines = 2 };
  PangoLayout *layout = dvp_layout (cr, long_label, &two);
  g_assert_cmpint (pango_layout_get_line_count (layout), ==, 2);
  g_assert_false (pango_layout_is_ellipsized (layout));
  PangoRectangle logical;
  pango_layout_get_pixel_extents (layout, NULL, &logical);
  g_assert_cmpint (logical.width, <=, (int) ceil (two.max_w));
  g_object_unref (layout);
  double h;
  dvp_text_measure (cr, long_label, &two, NULL, &h);
  g_assert_cmpfloat_with_epsilon (h, 2 * line_h, 0.5);

  /* two lines of a third are not enough: the second one ends in "…" */
  DvpTextStyle short_two = { .size = 11, .max_w = full_w / 3, .max_lines = 2 };
  layout = dvp_layout (cr, long_label, &short_two);
  g_assert_cmpint (pango_layout_get_line_count (layout), ==, 2);
  g_assert_true (pango_layout_is_ellipsized (layout));
  g_object_unref (layout);

  /* one line (the default) never wraps */
  DvpTextStyle one = { .size = 11, .max_w = 0.6 * full_w };
  layout = dvp_layout (cr, long_label, &one);
  g_assert_cmpint (pango_layout_get_line_count (layout), ==, 1);
  g_assert_true (pango_layout_is_ellipsized (layout));
  g_object_unref (layout);
  cairo_destroy (cr);
}

/* Width and height of the label, and whether it was cut, on cr. */
static void
measure_on (cairo_t *cr, double out[3])
{
  DvpTextStyle st = { .size = 12.5, .bold = TRUE, .max_w = 150 };
  dvp_text_measure (cr, long_label, &(DvpTextStyle) { .size = 12.5 }, &out[0], &out[1]);
  PangoLayout *layout = dvp_layout (cr, long_label, &st);
  PangoRectangle logical;
  pango_layout_get_extents (layout, NULL, &logical);
  out[2] = logical.width;
  g_object_unref (layout);
}

static void
test_same_on_every_surface (void)
{
  cairo_rectangle_t ext = { 0, 0, 300, 100 };
  cairo_surface_t *surfaces[] = {
    cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 300, 100),
    cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 600, 200), /* a PNG at scale 2 */
    cairo_svg_surface_create (NULL, 300, 100),
    cairo_pdf_surface_create (NULL, 300, 100),
    cairo_recording_surface_create (CAIRO_CONTENT_COLOR_ALPHA, &ext),
  };
  double ref[3];
  for (guint i = 0; i < G_N_ELEMENTS (surfaces); i++)
    {
      cairo_t *cr = cairo_create (surfaces[i]);
      if (i == 1)
        cairo_scale (cr, 2, 2);
      double m[3];
      measure_on (cr, m);
      if (i == 0)
        memcpy (ref, m, sizeof ref);
      for (int k = 0; k < 3; k++)
        g_assert_cmpfloat_with_epsilon (m[k], ref[k], 1e-9);
      cairo_destroy (cr);
      cairo_surface_finish (surfaces[i]);
      cairo_surface_destroy (surfaces[i]);
    }
  g_assert_cmpfloat (ref[0], >, 200);
}

static void
test_glyphs_the_views_use (void)
{
  /* symbols of the views' labels; the font or its fallback must have each */
  static const char *const labels[] = {
    "bar: onset (50 % of range) · ◆ peak", "V1 — feature maps at t = 38 ms",
    "mean |activation| (÷ max)", "τ 10 ms", "64×16×16", "over steps 0–19 of 20", "…",
  };
  cairo_t *cr = image_cr ();
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      PangoLayout *layout = dvp_layout (cr, labels[i], &(DvpTextStyle) { .size = 11 });
      g_assert_cmpint (pango_layout_get_unknown_glyphs_count (layout), ==, 0);
      g_object_unref (layout);
    }
  cairo_destroy (cr);
}

/* ---- the default views read whole ------------------------------------------------ */

#define T_STEPS 20

typedef struct {
  guint8 flags[T_STEPS];
  DvSeries *means, *probe, *logits;
  float maps[64 * 16 * 16], image[3 * 32 * 32];
  const char *names[3];
  const char *probe_names[1];
  const char *classes[10];
  DvArchArea areas[3];
  DvArchConn conns[2];
} Views;

static void
views_setup (Views *v, gconstpointer data)
{
  static const char *const classes[] = { "grating-0", "grating-45", "grating-90", "grating-135",
                                         "disc", "square", "triangle", "cross", "ring", "x-cross" };
  for (int t = 0; t < T_STEPS; t++)
    v->flags[t] = t >= 2 && t < 12 ? DV_PLOT_STEP_STIMULUS : 0;
  v->means = dv_series_new (3, 256);
  v->probe = dv_series_new (1, 256);
  v->logits = dv_series_new (10, 256);
  for (int t = 0; t < T_STEPS; t++)
    {
      float m[3], z[10], u = sinf (t * 0.4f);
      for (int k = 0; k < 3; k++)
        m[k] = t >= 2 + 2 * k ? (1 - expf (-(t - 2 - 2 * k) / 6.0f)) * (k + 1) * 0.3f : 0;
      for (int k = 0; k < 10; k++)
        z[k] = (k == 3 ? 0.05f * t : 0) + 0.01f * k;
      dv_series_push (v->means, t, m);
      dv_series_push (v->probe, t, &u);
      dv_series_push (v->logits, t, z);
    }
  for (guint i = 0; i < G_N_ELEMENTS (v->maps); i++)
    v->maps[i] = sinf (i * 0.37f) * (i % 7);
  for (guint i = 0; i < G_N_ELEMENTS (v->image); i++)
    v->image[i] = cosf (i * 0.21f);
  v->names[0] = "V1";
  v->names[1] = "V2";
  v->names[2] = "V3";
  for (int k = 0; k < 10; k++)
    v->classes[k] = classes[k];
  v->areas[0] = (DvArchArea) { "V1", 64, 16, 16, "full", 2, 2, 10, "k7 s2 · max pool" };
  v->areas[1] = (DvArchArea) { "V2", 128, 8, 8, "full", 2, 2, 10, "k3 s1 · max pool" };
  v->areas[2] = (DvArchArea) { "V3", 256, 4, 4, "full", 2, 2, 10, "k3 s1 · max pool" };
  v->conns[0] = (DvArchConn) { .source = 0, .target = 2, .delay_ms = 2, .delay_steps = 2 };
  v->conns[1] = (DvArchConn) { .source = 1, .target = 2, .delay_ms = 2, .delay_steps = 2 };
}

static void
views_teardown (Views *v, gconstpointer data)
{
  dv_series_free (v->means);
  dv_series_free (v->probe);
  dv_series_free (v->logits);
}

/* Each view at the size it gets in a 1600×1000 window (as --export-all
 * writes them), with the workbench's labels; probe_name and layer name
 * vary, the rest is the default start-up. */
static int
count_cut (Views *v, const char *layer, const char *probe_name, const char *caption,
           double scale)
{
  DvPlotTimeline tl = { v->flags, NULL, T_STEPS, 2.0 };
  int cut = 0;

  DvResponsesPlot resp;
  dv_responses_plot_init (&resp);
  resp.series = v->means;
  resp.names = v->names;
  resp.timeline = tl;
  resp.cursor = 19;
  resp.highlight = 0;
  cut += dv_plot_count_cut_labels (dv_responses_plot_as_plot (&resp), 750 * scale, 390 * scale);

  DvResponsesPlot probe;
  dv_responses_plot_init (&probe);
  v->probe_names[0] = probe_name;
  probe.title = "Unit probe";
  probe.y_label = "activation";
  probe.series = v->probe;
  probe.names = v->probe_names;
  probe.timeline = tl;
  probe.cursor = 19;
  cut += dv_plot_count_cut_labels (dv_responses_plot_as_plot (&probe), 468 * scale, 275 * scale);

  DvFmapPlot fm;
  dv_fmap_plot_init (&fm);
  fm.layer_name = layer;
  fm.maps = v->maps;
  fm.C = 64;
  fm.H = 16;
  fm.W = 16;
  fm.t = 19;
  fm.dt = 2;
  fm.sel_c = 6;
  fm.sel_y = 11;
  fm.sel_x = 12;
  cut += dv_plot_count_cut_labels (dv_fmap_plot_as_plot (&fm), 750 * scale, 533 * scale);

  DvReadoutPlot ro;
  dv_readout_plot_init (&ro);
  ro.logits = v->logits;
  ro.class_names = v->classes;
  ro.timeline = tl;
  ro.cursor = 19;
  ro.label = 0;
  cut += dv_plot_count_cut_labels (dv_readout_plot_as_plot (&ro), 468 * scale, 365 * scale);

  DvLatencyPlot lat;
  dv_latency_plot_init (&lat);
  lat.series = v->means;
  lat.names = v->names;
  lat.timeline = tl;
  lat.highlight = 0;
  cut += dv_plot_count_cut_labels (dv_latency_plot_as_plot (&lat), 468 * scale, 274 * scale);

  DvStimulusPlot st;
  dv_stimulus_plot_init (&st);
  st.caption = caption;
  st.image = v->image;
  st.C = 3;
  st.H = 32;
  st.W = 32;
  st.timeline = tl;
  st.cursor = 19;
  cut += dv_plot_count_cut_labels (dv_stimulus_plot_as_plot (&st), 324 * scale, 400 * scale);

  DvArchPlot arch;
  dv_arch_plot_init (&arch);
  arch.title = "CustomRCNN";
  arch.input_label = "3×32×32";
  arch.readout_label = "10 classes";
  arch.areas = v->areas;
  arch.n_areas = 3;
  arch.conns = v->conns;
  arch.n_conns = 2;
  cut += dv_plot_count_cut_labels (dv_arch_plot_as_plot (&arch), 720 * scale, 420 * scale);
  return cut;
}

static void
test_default_views_read_whole (Views *v, gconstpointer data)
{
  g_assert_cmpint (count_cut (v, "V1", "V1 c0 (y 8, x 8)", "embedded #0 · label 0 (grating-0)", 1),
                   ==, 0);
  /* the examples: a checkpoint's layer names and a probed unit */
  g_assert_cmpint (count_cut (v, "layer1", "layer1 c6 (y 11, x 12)",
                              "cifar10 #4821 · label 3 (cat)", 1), ==, 0);
  /* the count does see cuts: squeezed to a quarter, labels must give way */
  g_assert_cmpint (count_cut (v, "layer1", "layer1 c6 (y 11, x 12)",
                              "cifar10 #4821 · label 3 (cat)", 0.25), >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plot/text/ellipsize-within-width", test_ellipsize_within_width);
  g_test_add_func ("/plot/text/wraps-to-lines", test_wraps_to_lines);
  g_test_add_func ("/plot/text/same-on-every-surface", test_same_on_every_surface);
  g_test_add_func ("/plot/text/glyphs-the-views-use", test_glyphs_the_views_use);
  g_test_add ("/plot/text/default-views-read-whole", Views, NULL, views_setup,
              test_default_views_read_whole, views_teardown);
  return g_test_run ();
}
