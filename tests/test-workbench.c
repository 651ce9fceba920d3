/* test-workbench.c — the workbench on the real engine and the real stimuli.
 *
 * What this is for: launching the session on the default preset (CustomRCNN
 * with fresh weights, the embedded stimulus set, StimulusDuration 2/10 of
 * T = 20), running timesteps on the engine thread, scrubbing back without
 * recomputation, switching stimulus, playing to the end, errors in the
 * banner, and exporting the response plot and the feature-map grid
 * (PNG not blank, SVG well formed, CSV rows = recorded timesteps).
 * Needs a display: CI runs it under xvfb-run; without one every case skips.
 * What this is not for: the renderers' details (test-plot.c).
 */
#include <cairo.h>
#include <gtk/gtk.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dv-checkpoint.h"
#include "dv-data.h"
#include "dv-desc.h"
#include "dv-ui.h"
#include "dv-workbench.h"

static gboolean have_display;

typedef gboolean (*CondFunc) (gpointer data);

/* Runs the main loop until cond holds; FALSE after timeout_s seconds. */
static gboolean
wait_for (CondFunc cond, gpointer data, double timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);
  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  return TRUE;
}

typedef struct {
  DvWbWindow *window;
  int t;
} CursorAt;

static gboolean
cursor_at (gpointer data)
{
  CursorAt *c = data;
  DvHistory *h = dv_wb_window_get_history (c->window);
  return h->head >= c->t && dv_wb_window_get_cursor (c->window) == c->t;
}

/* Shown and laid out. */
static gboolean
is_shown (gpointer data)
{
  GtkWidget *w = data;
  return gtk_widget_get_mapped (w) && gtk_widget_get_width (w) > 0
         && gtk_widget_get_frame_clock (w) != NULL;
}

typedef struct {
  GdkFrameClock *clock;
  gint64 frame;
} FrameAfter;

static gboolean
frame_reached (gpointer data)
{
  FrameAfter *f = data;
  return gdk_frame_clock_get_frame_counter (f->clock) >= f->frame;
}

/* Asks for a frame and waits until it has been drawn. */
static void
wait_frame (GtkWidget *w)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (w);
  gtk_widget_queue_draw (w);
  FrameAfter fa = { clock, gdk_frame_clock_get_frame_counter (clock) + 1 };
  g_assert_true (wait_for (frame_reached, &fa, 30));
}

static DvWbWindow *
launch (const char *checkpoint)
{
  DvWorkbenchOptions o = { .checkpoint = checkpoint };
  g_autoptr (GError) error = NULL;
  DvWorkbench *wb = dv_workbench_new (NULL, &o, &error);
  g_assert_no_error (error);
  g_assert_nonnull (wb);
  DvWbWindow *window = dv_workbench_get_window (wb);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_for (is_shown, window, 30));
  wait_frame (GTK_WIDGET (window));
  return window;
}

static void
close_window (DvWbWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static double
png_variance (const char *path)
{
  cairo_surface_t *img = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (img), ==, CAIRO_STATUS_SUCCESS);
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
  cairo_surface_destroy (img);
  double n = (double) w * h;
  return sum2 / n - (sum / n) * (sum / n);
}

static void
assert_svg_well_formed (const char *path)
{
  g_autofree char *svg = NULL;
  g_assert_true (g_file_get_contents (path, &svg, NULL, NULL));
  g_assert_true (g_str_has_prefix (svg, "<?xml"));
  g_assert_nonnull (strstr (svg, "<svg"));
  GMarkupParser parser = { 0 };
  GMarkupParseContext *ctx = g_markup_parse_context_new (&parser, 0, NULL, NULL);
  GError *error = NULL;
  g_assert_true (g_markup_parse_context_parse (ctx, svg, -1, &error));
  g_assert_true (g_markup_parse_context_end_parse (ctx, &error));
  g_assert_no_error (error);
  g_markup_parse_context_free (ctx);
}

static guint
csv_rows (const char *path)
{
  g_autofree char *csv = NULL;
  g_assert_true (g_file_get_contents (path, &csv, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (csv, "\n", -1);
  guint n = g_strv_length (lines);
  g_assert_cmpstr (lines[n - 1], ==, "");
  return n - 2; /* minus the header and the empty tail */
}

/* DV_TEST_KEEP=1 keeps the exported files for a look. */
static void
remove_dir (const char *dir)
{
  if (g_getenv ("DV_TEST_KEEP") != NULL)
    {
      g_test_message ("kept %s", dir);
      return;
    }
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (dir);
}

static void
test_run_scrub_export (void)
{
  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  DvWbWindow *window = launch (NULL);
  DvHistory *h = dv_wb_window_get_history (window);

  /* run 12 timesteps on the engine thread */
  dv_wb_window_seek (window, 11);
  CursorAt at = { window, 11 };
  g_assert_true (wait_for (cursor_at, &at, 60));
  g_assert_null (dv_wb_window_get_error (window));
  g_assert_cmpint (h->T, ==, 20);
  g_assert_cmpfloat (h->dt, ==, 2.0);
  g_assert_cmpint (h->n_layers, ==, 3);
  g_assert_cmpstr (h->layers[0].name, ==, "V1");
  g_assert_cmpint (h->n_classes, ==, 10);
  /* the schedule: intro 2 blank steps, then the stimulus */
  g_assert_false (h->flags[1] & DV_PLOT_STEP_STIMULUS);
  g_assert_true (h->flags[2] & DV_PLOT_STEP_STIMULUS);
  g_assert_true (h->flags[11] & DV_PLOT_STEP_STIMULUS);
  g_assert_false (h->flags[12] & DV_PLOT_STEP_STIMULUS);
  /* the input is blank in the intro and the stimulus after it */
  const float *in1 = dv_history_input (h, 1), *in5 = dv_history_input (h, 5);
  DvRange r1, r5;
  dv_range_init (&r1);
  dv_range_init (&r5);
  dv_range_include (&r1, in1, 3 * 32 * 32);
  dv_range_include (&r5, in5, 3 * 32 * 32);
  g_assert_cmpfloat (r1.max - r1.min, ==, 0);
  g_assert_cmpfloat (r5.max - r5.min, >, 0.1);
  /* V1 responds while the stimulus is on, with finite values */
  int i = dv_series_find (h->means, 8);
  g_assert_cmpint (i, >=, 0);
  float v1 = dv_series_row (h->means, i)[0];
  g_assert_true (isfinite (v1));
  g_assert_cmpfloat (v1, >, 0);
  g_assert_nonnull (dv_history_layer_maps (h, 8, 0));

  /* scrub back: the cursor moves at once, from the recorded history */
  dv_wb_window_seek (window, 4);
  g_assert_cmpint (dv_wb_window_get_cursor (window), ==, 4);
  g_assert_cmpint (h->head, >=, 11);

  g_autofree char *dir = g_dir_make_tmp ("dv-test-workbench-XXXXXX", NULL);
  g_assert_nonnull (dir);
  g_autoptr (GError) error = NULL;
  const char *views[] = { "responses", "feature-maps" };
  for (guint v = 0; v < G_N_ELEMENTS (views); v++)
    {
      g_autofree char *png = g_strdup_printf ("%s/%s.png", dir, views[v]);
      g_autofree char *svg = g_strdup_printf ("%s/%s.svg", dir, views[v]);
      g_autofree char *csv = g_strdup_printf ("%s/%s.csv", dir, views[v]);
      g_assert_true (dv_wb_window_export_view (window, views[v], png, 1, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (png_variance (png), >, 50);
      g_assert_true (dv_wb_window_export_view (window, views[v], svg, 1, &error));
      g_assert_no_error (error);
      assert_svg_well_formed (svg);
      if (v == 0)
        g_assert_cmpuint (csv_rows (csv), ==, (guint) h->head + 1);
      else
        g_assert_cmpuint (csv_rows (csv), ==, 64 * 16 * 16); /* V1 at the cursor */
    }
  /* the change since the previous step, on one scale for the whole sequence */
  dv_wb_window_set_view_options (window, DV_COLORMAP_DIVERGING, DV_SCALE_GLOBAL, TRUE, TRUE);
  g_autofree char *dpng = g_build_filename (dir, "diff.png", NULL);
  g_autofree char *dcsv = g_build_filename (dir, "diff.csv", NULL);
  g_assert_true (dv_wb_window_export_view (window, "feature-maps", dpng, 1, &error));
  g_assert_no_error (error);
  {
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (dcsv, &text, NULL, NULL));
    g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
    const float *m4 = dv_history_layer_maps (h, 4, 0), *m3 = dv_history_layer_maps (h, 3, 0);
    for (int k = 1; k <= 200; k++)
      {
        g_auto (GStrv) col = g_strsplit (lines[k], ",", -1);
        int idx = (atoi (col[0]) * 16 + atoi (col[1])) * 16 + atoi (col[2]);
        g_assert_cmpfloat_with_epsilon (g_ascii_strtod (col[3], NULL), m4[idx] - m3[idx], 1e-6);
        double nv = g_ascii_strtod (col[4], NULL);
        g_assert_true (nv >= 0 && nv <= 1);
      }
  }
  g_autofree char *rcsv = g_build_filename (dir, "norm.csv", NULL);
  g_autofree char *rpng = g_build_filename (dir, "norm.png", NULL);
  g_assert_true (dv_wb_window_export_view (window, "responses", rpng, 1, &error));
  {
    /* traces divided by their maxima: every column peaks at 1 */
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (rcsv, &text, NULL, NULL));
    g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
    double peak = 0;
    for (int k = 1; lines[k] != NULL && lines[k][0] != '\0'; k++)
      {
        g_auto (GStrv) col = g_strsplit (lines[k], ",", -1);
        peak = MAX (peak, g_ascii_strtod (col[3], NULL));
      }
    g_assert_cmpfloat_with_epsilon (peak, 1.0, 1e-6);
  }
  dv_wb_window_set_view_options (window, DV_COLORMAP_VIRIDIS, DV_SCALE_PER_LAYER, FALSE, FALSE);

  g_assert_false (dv_wb_window_export_view (window, "no-such-view", "/tmp/x.png", 1, &error));
  g_clear_error (&error);

  /* the whole window renders once it has drawn the last change */
  wait_frame (GTK_WIDGET (window));
  g_autofree char *shot = g_build_filename (dir, "window.png", NULL);
  gboolean saved = dv_ui_save_widget_png (GTK_WIDGET (window), shot, &error);
  g_assert_no_error (error);
  g_assert_true (saved);
  g_assert_cmpfloat (png_variance (shot), >, 50);
  remove_dir (dir);
  close_window (window);
}

typedef struct {
  DvWbWindow *window;
  int sample;
} SampleIs;

static gboolean
sample_is (gpointer data)
{
  SampleIs *s = data;
  DvHistory *h = dv_wb_window_get_history (s->window);
  return h->sample == s->sample && h->head >= 0;
}

static void
test_next_stimulus (void)
{
  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  DvWbWindow *window = launch (NULL);
  DvHistory *h = dv_wb_window_get_history (window);
  dv_wb_window_seek (window, 3);
  CursorAt at = { window, 3 };
  g_assert_true (wait_for (cursor_at, &at, 60));
  guint seq = h->seq_id;
  for (int k = 0; k < 3; k++)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.next-stimulus", NULL);
  dv_wb_window_seek (window, 0);
  SampleIs s = { window, 3 };
  g_assert_true (wait_for (sample_is, &s, 60));
  g_assert_cmpuint (h->seq_id, !=, seq);
  g_autoptr (DvDataset) ds = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TEST, 0);
  g_assert_cmpint (h->label, ==, dv_dataset_get_label (ds, 3));
  g_assert_null (dv_wb_window_get_error (window));
  close_window (window);
}

static gboolean
played_to_end (gpointer data)
{
  DvWbWindow *w = data;
  DvHistory *h = dv_wb_window_get_history (w);
  return h->T > 0 && dv_wb_window_get_cursor (w) == h->T - 1 && !dv_wb_window_get_playing (w);
}

static void
test_play_to_end (void)
{
  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  DvWbWindow *window = launch (NULL);
  dv_wb_window_set_playing (window, TRUE);
  g_assert_true (dv_wb_window_get_playing (window));
  /* 20 steps at the default 5 steps/s: about 4 s */
  g_assert_true (wait_for (played_to_end, window, 60));
  DvHistory *h = dv_wb_window_get_history (window);
  g_assert_cmpint (h->head, ==, h->T - 1);
  g_assert_cmpuint (dv_series_length (h->logits), ==, (guint) h->T);
  close_window (window);
}

static void
test_bad_checkpoint_banner (void)
{
  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  DvWbWindow *window = launch ("/nonexistent/model.safetensors");
  const char *err = dv_wb_window_get_error (window);
  g_assert_nonnull (err);
  g_assert_nonnull (strstr (err, "checkpoint"));
  /* and it still runs the preset */
  dv_wb_window_seek (window, 2);
  CursorAt at = { window, 2 };
  g_assert_true (wait_for (cursor_at, &at, 60));
  g_assert_nonnull (strstr (dv_wb_window_get_history (window)->model_label, "CustomRCNN"));
  close_window (window);
}

static gboolean
stimulus_ends_at_6 (gpointer data)
{
  DvHistory *h = dv_wb_window_get_history (data);
  return h->T == 20 && h->head >= 0 && (h->flags[5] & DV_PLOT_STEP_STIMULUS)
         && !(h->flags[6] & DV_PLOT_STEP_STIMULUS);
}

static gboolean
has_error (gpointer data)
{
  return dv_wb_window_get_error (data) != NULL;
}

static void
test_set_presentation (void)
{
  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  DvWbWindow *window = launch (NULL);
  /* a shorter stimulus: intro 2 + 4 steps */
  g_signal_emit_by_name (window, "set-parameter", "stimulus_duration", "4");
  g_assert_true (wait_for (stimulus_ends_at_6, window, 60));
  g_assert_null (dv_wb_window_get_error (window));
  g_assert_nonnull (strstr (dv_wb_window_get_history (window)->presentation, "stimulus 4"));
  /* a value DynVision would reject goes to the banner, the sequence stays */
  g_signal_emit_by_name (window, "set-parameter", "stimulus_duration", "40");
  g_assert_true (wait_for (has_error, window, 60));
  g_assert_true (stimulus_ends_at_6 (window));
  close_window (window);
}

static void
test_open_checkpoint (void)
{
  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  /* a checkpoint written by the engine: the preset with other weights */
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) kwargs = dv_json_parse ("{\"input_dims\": [20, 3, 32, 32], \"n_classes\": 10,"
                                             " \"dt\": 2, \"tau\": 10, \"t_feedforward\": 2,"
                                             " \"t_recurrence\": 2, \"use_skip_connections\": true}",
                                             -1, &error);
  g_assert_no_error (error);
  g_autoptr (DvModelDesc) desc = dv_preset_build ("CustomRCNN", kwargs, &error);
  g_assert_no_error (error);
  g_autoptr (DvModel) model = dv_model_new (desc, &error);
  g_assert_no_error (error);
  dv_model_init_params (model, 7);
  g_autofree char *dir = g_dir_make_tmp ("dv-test-workbench-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "seed7.safetensors", NULL);
  g_assert_true (dv_checkpoint_save (model, path, NULL, &error));
  g_assert_no_error (error);

  DvWbWindow *window = launch (path);
  dv_wb_window_seek (window, 5);
  CursorAt at = { window, 5 };
  g_assert_true (wait_for (cursor_at, &at, 60));
  g_assert_null (dv_wb_window_get_error (window));
  DvHistory *h = dv_wb_window_get_history (window);
  g_assert_nonnull (strstr (h->model_label, "seed7.safetensors"));
  g_assert_cmpint (h->n_layers, ==, 3);
  close_window (window);
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  /* no accessibility bus or GL in CI: the cairo renderer draws the same pixels */
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("OPENBLAS_NUM_THREADS", "1", FALSE);
  g_test_init (&argc, &argv, NULL);
  have_display = gtk_init_check ();
  if (have_display)
    dv_ui_init ();
  g_test_add_func ("/workbench/run-scrub-export", test_run_scrub_export);
  g_test_add_func ("/workbench/next-stimulus", test_next_stimulus);
  g_test_add_func ("/workbench/play-to-end", test_play_to_end);
  g_test_add_func ("/workbench/bad-checkpoint-banner", test_bad_checkpoint_banner);
  g_test_add_func ("/workbench/open-checkpoint", test_open_checkpoint);
  g_test_add_func ("/workbench/set-presentation", test_set_presentation);
  return g_test_run ();
}
