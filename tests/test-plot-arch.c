/* test-plot-arch.c — the architecture diagram without a display: it draws
 * at any size (down to 1×1, with no areas), every element can be hit and
 * hits come in the order the row is drawn, and it exports as PNG/SVG with a
 * CSV row per element. */
#include "dv-plot-arch.h"

#include <glib/gstdio.h>
#include <string.h>

static const DvArchArea areas[] = {
  { "V1", 64, 8, 8, "full", 2, 2, 10, "k7 s2 · max pool" },
  { "V2", 128, 4, 4, "depthpointwise", 2, 2, 20, NULL },
  { "V3", 256, 2, 2, "none", 0, 2, 10, NULL },
};
static const DvArchConn conns[] = {
  { .feedback = FALSE, .source = 0, .target = 2, .delay_ms = 2, .delay_steps = 2 },
  { .feedback = TRUE, .source = 2, .target = 0, .delay_ms = 10, .delay_steps = 5, .multiplicative = TRUE },
};

static void
fill (DvArchPlot *p)
{
  dv_arch_plot_init (p);
  p->areas = areas;
  p->n_areas = G_N_ELEMENTS (areas);
  p->conns = conns;
  p->n_conns = G_N_ELEMENTS (conns);
  p->input_label = "3×32×32";
  p->readout_label = "10 classes";
}

static double
variance (cairo_surface_t *s)
{
  cairo_surface_flush (s);
  const guint8 *d = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s), w = cairo_image_surface_get_width (s);
  int h = cairo_image_surface_get_height (s);
  double sum = 0, sum2 = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        double v = d[y * stride + 4 * x + 1];
        sum += v;
        sum2 += v * v;
      }
  double n = (double) w * h;
  return sum2 / n - (sum / n) * (sum / n);
}

static void
test_draw_sizes (void)
{
  DvArchPlot p;
  fill (&p);
  const int sizes[][2] = { { 1, 1 }, { 30, 30 }, { 200, 120 }, { 900, 380 } };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, sizes[i][0], sizes[i][1]);
      cairo_t *cr = cairo_create (s);
      dv_arch_plot_draw (&p, cr, sizes[i][0], sizes[i][1]);
      g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
      if (sizes[i][0] > 100)
        g_assert_cmpfloat (variance (s), >, 50);
      cairo_destroy (cr);
      cairo_surface_destroy (s);
    }
  /* no areas, no connections, nothing selected: a placeholder */
  DvArchPlot empty;
  dv_arch_plot_init (&empty);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 300, 200);
  cairo_t *cr = cairo_create (s);
  dv_arch_plot_draw (&empty, cr, 300, 200);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (dv_arch_plot_hit (&empty, 300, 200, 150, 100).kind, ==, DV_ARCH_HIT_NONE);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

static void
test_hit (void)
{
  DvArchPlot p;
  fill (&p);
  const double W = 900, H = 380;
  gboolean area_seen[3] = { 0 }, loop_seen[3] = { 0 }, conn_seen[2] = { 0 };
  gboolean input = FALSE, readout = FALSE;
  double first_x[3] = { -1, -1, -1 };
  for (double y = 0; y < H; y += 2)
    for (double x = 0; x < W; x += 2)
      {
        DvArchHit h = dv_arch_plot_hit (&p, W, H, x, y);
        switch (h.kind)
          {
          case DV_ARCH_HIT_AREA:
            g_assert_cmpint (h.index, >=, 0);
            g_assert_cmpint (h.index, <, 3);
            area_seen[h.index] = TRUE;
            if (first_x[h.index] < 0 || x < first_x[h.index])
              first_x[h.index] = x;
            break;
          case DV_ARCH_HIT_RECURRENCE:
            g_assert_cmpint (h.index, <, 2); /* V3 has no recurrence */
            loop_seen[h.index] = TRUE;
            break;
          case DV_ARCH_HIT_CONN:
            conn_seen[h.index] = TRUE;
            /* skips run below the row, feedback above it */
            if (h.index == 0)
              g_assert_cmpfloat (y, >, H / 2);
            else
              g_assert_cmpfloat (y, <, H / 2);
            break;
          case DV_ARCH_HIT_INPUT:
            input = TRUE;
            break;
          case DV_ARCH_HIT_READOUT:
            readout = TRUE;
            break;
          case DV_ARCH_HIT_NONE:
            break;
          }
      }
  for (int i = 0; i < 3; i++)
    g_assert_true (area_seen[i]);
  g_assert_true (loop_seen[0] && loop_seen[1] && !loop_seen[2]);
  g_assert_true (conn_seen[0] && conn_seen[1]);
  g_assert_true (input && readout);
  g_assert_cmpfloat (first_x[0], <, first_x[1]);
  g_assert_cmpfloat (first_x[1], <, first_x[2]);
  g_assert_cmpint (dv_arch_plot_hit (&p, W, H, 1, 1).kind, ==, DV_ARCH_HIT_NONE);
  g_assert_cmpint (dv_arch_plot_hit (&p, 0, 0, 1, 1).kind, ==, DV_ARCH_HIT_NONE);
}

static void
test_export (void)
{
  DvArchPlot p;
  fill (&p);
  p.selected = (DvArchHit) { DV_ARCH_HIT_CONN, 1 };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dv-arch-XXXXXX", &error);
  g_assert_no_error (error);
  const char *ext[] = { "png", "svg" };
  for (guint i = 0; i < G_N_ELEMENTS (ext); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/arch.%s", dir, ext[i]);
      g_assert_true (dv_plot_export (dv_arch_plot_as_plot (&p), path, 700, 320, 1, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
    }
  g_autofree char *csv_path = g_strdup_printf ("%s/arch.csv", dir);
  g_autofree char *csv = NULL;
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
  g_auto (GStrv) rows = g_strsplit (g_strstrip (csv), "\n", -1);
  g_assert_cmpuint (g_strv_length (rows), ==, 1 + 3 + 2);
  g_assert_true (g_str_has_prefix (rows[5], "feedback,,V3,V1,"));
  g_assert_nonnull (strstr (rows[5], "multiplicative"));
  const char *files[] = { "arch.png", "arch.svg", "arch.csv", "arch.json" };
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *f = g_build_filename (dir, files[i], NULL);
      g_remove (f);
    }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plot/arch/draw-any-size", test_draw_sizes);
  g_test_add_func ("/plot/arch/hit-every-element", test_hit);
  g_test_add_func ("/plot/arch/export", test_export);
  return g_test_run ();
}
