/* test-plot-export.c — what an export's JSON and CSV say about themselves (plot/dv-plot-export.c).
 *
 * What this is for: one export into PNG, SVG and PDF writes one JSON whose "images" give each
 * file its own format and scale (the PNG's pixel size as drawn, the vector images scale 1 in
 * points); a single export says its format and scale at the top too; the caller's provenance is
 * written as given (null without one); and normalised CSV columns are named so.  The JSON is
 * parsed back with the engine's reader.
 * What this is not for: how the views draw (test-plot.c) or what the workbench records
 * (test-workbench-export.c).
 */
#include <cairo.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dv-json.h"
#include "dv-plot.h"

#define N_STEPS 10

typedef struct {
  char *dir;
  DvSeries *series;
  DvResponsesPlot responses;
  float maps[2 * 3 * 4];
  DvFmapPlot fmap;
} Fixture;

static const char *const names[] = { "V1", "V2", "V3" };

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  fx->dir = g_dir_make_tmp ("dv-test-plot-export-XXXXXX", NULL);
  g_assert_nonnull (fx->dir);
  fx->series = dv_series_new (3, N_STEPS);
  for (int t = 0; t < N_STEPS; t++)
    {
      /* each trace its own maximum: 2, 4, 8 at t = 5 */
      float row[3];
      for (int k = 0; k < 3; k++)
        row[k] = (float) ((1 << (k + 1)) * (t <= 5 ? t / 5.0 : (10 - t) / 5.0));
      dv_series_push (fx->series, t, row);
    }
  dv_responses_plot_init (&fx->responses);
  fx->responses.series = fx->series;
  fx->responses.names = names;
  fx->responses.timeline = (DvPlotTimeline) { NULL, NULL, N_STEPS, 2.0 };
  for (guint i = 0; i < G_N_ELEMENTS (fx->maps); i++)
    fx->maps[i] = (float) i;
  dv_fmap_plot_init (&fx->fmap);
  fx->fmap.layer_name = "V1";
  fx->fmap.maps = fx->maps;
  fx->fmap.C = 2;
  fx->fmap.H = 3;
  fx->fmap.W = 4;
  fx->fmap.t = 3;
  fx->fmap.dt = 2;
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  GDir *d = g_dir_open (fx->dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (fx->dir, name, NULL);
      g_unlink (p);
    }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (fx->dir);
  g_free (fx->dir);
  dv_series_free (fx->series);
}

static DvJson *
parse (const char *path)
{
  g_autoptr (GError) error = NULL;
  DvJson *j = dv_json_parse_file (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (j);
  return j;
}

static const char *
str (const DvJson *o, const char *key)
{
  DvJson *v = dv_json_object_get (o, key);
  g_assert_nonnull (v);
  g_assert_cmpint (dv_json_type (v), ==, DV_JSON_STRING);
  return dv_json_string (v);
}

static double
num (const DvJson *o, const char *key)
{
  DvJson *v = dv_json_object_get (o, key);
  g_assert_nonnull (v);
  g_assert_cmpint (dv_json_type (v), ==, DV_JSON_NUMBER);
  return dv_json_number (v);
}

/* PNG ×3, SVG (asked at 5: vector, so 1), PDF: one JSON, each image its own format and scale. */
static void
test_each_format_its_own (Fixture *fx, gconstpointer data)
{
  g_autofree char *stem = g_build_filename (fx->dir, "responses", NULL);
  const DvPlotImage images[] = {
    { DV_PLOT_FORMAT_PNG, 3, NULL }, { DV_PLOT_FORMAT_SVG, 5, NULL }, { DV_PLOT_FORMAT_PDF, 1, NULL },
  };
  g_autoptr (DvProvenance) prov = dv_provenance_new ("test");
  dv_provenance_set_fresh (prov, 9);
  prov->sample = 4;
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_plot_export_images (dv_responses_plot_as_plot (&fx->responses), stem, images, 3, 400,
                                        250, prov, &error));
  g_assert_no_error (error);
  g_autofree char *json_path = g_strconcat (stem, ".json", NULL);
  g_autoptr (DvJson) j = parse (json_path);
  /* several formats: none of them is "the" format */
  g_assert_null (dv_json_object_get (j, "format"));
  DvJson *im = dv_json_object_get (j, "images");
  g_assert_cmpuint (dv_json_length (im), ==, 3);
  DvJson *png = dv_json_array_get (im, 0), *svg = dv_json_array_get (im, 1), *pdf = dv_json_array_get (im, 2);
  g_assert_cmpstr (str (png, "file"), ==, "responses.png");
  g_assert_cmpstr (str (png, "format"), ==, "png");
  g_assert_cmpfloat (num (png, "scale"), ==, 3);
  g_assert_cmpstr (str (png, "units"), ==, "px");
  g_assert_cmpfloat (num (png, "dpi"), ==, 216);
  /* the pixel size written is the PNG's */
  g_autofree char *png_path = g_strconcat (stem, ".png", NULL);
  cairo_surface_t *img = cairo_image_surface_create_from_png (png_path);
  g_assert_cmpint (cairo_surface_status (img), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpfloat (num (png, "pixel_width"), ==, cairo_image_surface_get_width (img));
  g_assert_cmpfloat (num (png, "pixel_height"), ==, cairo_image_surface_get_height (img));
  g_assert_cmpint (cairo_image_surface_get_width (img), ==, 1200);
  cairo_surface_destroy (img);
  g_assert_cmpstr (str (svg, "file"), ==, "responses.svg");
  g_assert_cmpstr (str (svg, "format"), ==, "svg");
  g_assert_cmpfloat (num (svg, "scale"), ==, 1);
  g_assert_cmpstr (str (svg, "units"), ==, "pt");
  g_assert_cmpfloat (num (svg, "width_pt"), ==, 400);
  g_assert_cmpstr (str (pdf, "format"), ==, "pdf");
  g_assert_cmpfloat (num (pdf, "height_pt"), ==, 250);
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *p = g_build_filename (fx->dir, str (dv_json_array_get (im, i), "file"), NULL);
      g_assert_true (g_file_test (p, G_FILE_TEST_IS_REGULAR));
    }
  DvJson *pr = dv_json_object_get (j, "provenance");
  g_assert_cmpstr (str (pr, "weights"), ==, "fresh weights, seed 9");
  g_assert_cmpfloat (num (pr, "sample_index"), ==, 4);
}

/* One image: its format and scale at the top and in "images"; no provenance is null. */
static void
test_single_image (Fixture *fx, gconstpointer data)
{
  g_autofree char *svg = g_build_filename (fx->dir, "one.svg", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_plot_export (dv_fmap_plot_as_plot (&fx->fmap), svg, 300, 200, 2, &error));
  g_assert_no_error (error);
  g_autofree char *json_path = g_build_filename (fx->dir, "one.json", NULL);
  g_autoptr (DvJson) j = parse (json_path);
  g_assert_cmpstr (str (j, "format"), ==, "svg");
  g_assert_cmpfloat (num (j, "scale"), ==, 1);
  DvJson *im = dv_json_object_get (j, "images");
  g_assert_cmpuint (dv_json_length (im), ==, 1);
  g_assert_cmpstr (str (dv_json_array_get (im, 0), "file"), ==, "one.svg");
  g_assert_cmpint (dv_json_type (dv_json_object_get (j, "provenance")), ==, DV_JSON_NULL);
  /* the feature maps' colour position is a normalised value, and its column says so */
  g_autofree char *csv_path = g_build_filename (fx->dir, "one.csv", NULL);
  g_autofree char *csv = NULL;
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv, "channel,y,x,value,value_normalised\n"));
}

/* "traces ÷ max": the columns are <trace>_normalised and each peaks at 1; off: the names alone. */
static void
test_normalised_columns (Fixture *fx, gconstpointer data)
{
  fx->responses.normalise = TRUE;
  g_autofree char *csv = dv_plot_to_csv (dv_responses_plot_as_plot (&fx->responses));
  g_auto (GStrv) lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "t,time_ms,stimulus,V1_normalised,V2_normalised,V3_normalised");
  double peak[3] = { 0 };
  for (int t = 1; t <= N_STEPS; t++)
    {
      g_auto (GStrv) col = g_strsplit (lines[t], ",", -1);
      for (int k = 0; k < 3; k++)
        peak[k] = MAX (peak[k], g_ascii_strtod (col[3 + k], NULL));
    }
  for (int k = 0; k < 3; k++)
    g_assert_cmpfloat (peak[k], ==, 1);
  fx->responses.normalise = FALSE;
  g_autofree char *raw = dv_plot_to_csv (dv_responses_plot_as_plot (&fx->responses));
  g_assert_true (g_str_has_prefix (raw, "t,time_ms,stimulus,V1,V2,V3\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/plot/export/each-format-its-own-json-entry", Fixture, NULL, fixture_setup,
              test_each_format_its_own, fixture_teardown);
  g_test_add ("/plot/export/single-image", Fixture, NULL, fixture_setup, test_single_image,
              fixture_teardown);
  g_test_add ("/plot/export/normalised-columns-named", Fixture, NULL, fixture_setup,
              test_normalised_columns, fixture_teardown);
  return g_test_run ();
}
