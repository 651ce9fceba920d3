/* test-workbench-export.c — what the workbench's exports record (issue 14, item 5).
 *
 * What this is for: a view exported from the real session (engine thread, embedded stimuli)
 * writes a JSON whose "provenance" holds the values of what was on screen — the weights (a
 * checkpoint's path and the SHA-256 of its bytes, computed here independently with GChecksum;
 * the shipped trained default; or "fresh weights, seed N", also after the seed is changed),
 * the model class, the data set, the sample index shown, the seed, the presentation, the engine
 * version — and follows the session when the sample changes; Export All writes one JSON per
 * view naming its PNG, SVG and PDF with each one's format and scale; "traces ÷ max" names the
 * CSV columns <trace>_normalised.
 * Needs a display (xvfb-run); skips without one.
 * What this is not for: the renderers' export details (test-plot-export.c).
 */
#include <gtk/gtk.h>
#include <glib/gstdio.h>
#include <string.h>

#include "dv-test-gui.h"
#include "dv-config.h"
#include "dv-json.h"
#include "dv-ui.h"
#include "dv-wb-window-private.h"
#include "dv-workbench.h"

#include "dv-test-wait.h"
#include "dv-wb-window-train.h"

#define LIVE(w) dv_wb_window_get_live_page (w)

static DvWbWindow *
launch_with (const DvWorkbenchOptions *o)
{
  g_autoptr (GError) error = NULL;
  DvWorkbench *wb = dv_workbench_new (NULL, o, &error);
  g_assert_no_error (error);
  g_assert_nonnull (wb);
  DvWbWindow *window = dv_workbench_get_window (wb);
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 800);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
close_window (DvWbWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

typedef struct {
  DvWbWindow *window;
  int sample, head;
  const char *label_has;   /* the model label contains this, or NULL */
} Shows;

static gboolean
shows (gpointer data)
{
  Shows *s = data;
  DvHistory *h = dv_live_page_get_history (LIVE (s->window));
  return h->provenance != NULL && h->sample == s->sample && h->head >= s->head
         && (s->label_has == NULL || (h->model_label && strstr (h->model_label, s->label_has)));
}

static void
remove_tree (const char *dir)
{
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

static gboolean
file_exists (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* The file's SHA-256, independently of base/dv-provenance.c: all its bytes at once. */
static char *
sha256_of (const char *path)
{
  g_autofree char *bytes = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  g_assert_cmpuint (len, >, 0);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) bytes, len);
}

/* Exports `view` to dir/name.png and returns its JSON's "provenance" (the whole document in *doc). */
static DvJson *
export_provenance (DvWbWindow *window, const char *dir, const char *view, const char *name, DvJson **doc)
{
  g_autofree char *file = g_strdup_printf ("%s.png", name);
  g_autofree char *png = g_build_filename (dir, file, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_wb_window_export_view (window, view, png, 2, &error));
  g_assert_no_error (error);
  g_autofree char *jfile = g_strdup_printf ("%s.json", name);
  g_autofree char *json = g_build_filename (dir, jfile, NULL);
  *doc = dv_json_parse_file (json, &error);
  g_assert_no_error (error);
  DvJson *p = dv_json_object_get (*doc, "provenance");
  g_assert_nonnull (p);
  g_assert_cmpint (dv_json_type (p), ==, DV_JSON_OBJECT);
  return p;
}

static const char *
str (const DvJson *o, const char *key)
{
  DvJson *v = dv_json_object_get (o, key);
  g_assert_nonnull (v);
  return dv_json_type (v) == DV_JSON_STRING ? dv_json_string (v) : NULL;
}

static gint64
int_of (const DvJson *o, const char *key)
{
  DvJson *v = dv_json_object_get (o, key);
  g_assert_nonnull (v);
  g_assert_true (dv_json_is_int (v));
  return dv_json_int (v);
}

static gboolean
is_null (const DvJson *o, const char *key)
{
  DvJson *v = dv_json_object_get (o, key);
  return v != NULL && dv_json_type (v) == DV_JSON_NULL;
}

/* Fresh weights: seed, sample and presentation as on screen; then another sample and seed. */
static void
test_fresh_weights (void)
{
  const char *const pres[] = { "intro=3", NULL };
  DvWorkbenchOptions o = { .seed = 5, .sample = 3, .presentation = pres };
  DvWbWindow *window = launch_with (&o);
  dv_live_page_seek (LIVE (window), 6);
  Shows s = { window, 3, 6, NULL };
  g_assert_true (wait_for (shows, &s, 60));
  g_autofree char *dir = g_dir_make_tmp ("dv-test-wb-export-XXXXXX", NULL);
  DvHistory *h = dv_live_page_get_history (LIVE (window));
  {
    g_autoptr (DvJson) doc = NULL;
    DvJson *p = export_provenance (window, dir, "responses", "a", &doc);
    g_assert_cmpstr (str (p, "producer"), ==, "dynvision-workbench");
    g_assert_cmpstr (str (p, "engine_version"), ==, DV_VERSION);
    g_assert_cmpstr (str (p, "weights"), ==, "fresh weights, seed 5");
    g_assert_cmpstr (str (p, "weights_origin"), ==, "fresh");
    g_assert_cmpint (int_of (p, "weights_seed"), ==, 5);
    g_assert_true (is_null (p, "checkpoint"));
    g_assert_cmpstr (str (p, "model_class"), ==, "CustomRCNN");
    g_assert_cmpstr (str (p, "dataset"), ==, "embedded");
    g_assert_cmpint (int_of (p, "sample_index"), ==, h->sample);
    g_assert_cmpint (int_of (p, "sample_index"), ==, 3);
    g_assert_cmpint (int_of (p, "seed"), ==, 3);
    DvJson *pr = dv_json_object_get (p, "presentation");
    g_assert_cmpstr (str (pr, "loader"), ==, "StimulusDuration");
    g_assert_cmpint (int_of (pr, "intro_duration"), ==, 3);
    g_assert_cmpint (int_of (pr, "stimulus_duration"), ==, 10);
    g_assert_cmpint (int_of (pr, "n_timesteps"), ==, 20);
    g_assert_cmpfloat (dv_json_number (dv_json_object_get (pr, "dt")), ==, h->dt);
    g_assert_cmpstr (str (p, "presentation_settings"), ==, h->presentation_params);
    /* the single image says its format and scale */
    g_assert_cmpstr (str (doc, "format"), ==, "png");
    g_assert_cmpfloat (dv_json_number (dv_json_object_get (doc, "scale")), ==, 2);
  }
  /* the next stimulus, and another seed: the export follows */
  gtk_widget_activate_action (GTK_WIDGET (LIVE (window)), "live.next-stimulus", NULL);
  const char *const seed[] = { "seed=8", NULL };
  dv_live_page_emit_presentation (LIVE (window), seed);
  dv_live_page_seek (LIVE (window), 2);
  Shows s2 = { window, 4, 2, "seed 8" };
  g_assert_true (wait_for (shows, &s2, 60));
  {
    g_autoptr (DvJson) doc = NULL;
    DvJson *p = export_provenance (window, dir, "readout", "b", &doc);
    g_assert_cmpstr (str (p, "weights"), ==, "fresh weights, seed 8");
    g_assert_cmpint (int_of (p, "weights_seed"), ==, 8);
    g_assert_cmpint (int_of (p, "sample_index"), ==, 4);
    g_assert_cmpint (int_of (p, "seed"), ==, 4);
  }
  g_assert_null (dv_wb_window_get_error (window));
  remove_tree (dir);
  close_window (window);
}

/* A checkpoint (a copy of the shipped model under another name): its path and SHA-256; Export
 * All: one JSON per view with each image's format and scale; normalised columns named so. */
static void
test_checkpoint_and_export_all (void)
{
  g_autofree char *shipped = dv_workbench_trained_model_path ();
  if (shipped == NULL)
    {
      g_test_skip ("the trained CustomRCNN is not in this tree");
      return;
    }
  g_autofree char *dir = g_dir_make_tmp ("dv-test-wb-export-XXXXXX", NULL);
  g_autofree char *ck = g_build_filename (dir, "mine.safetensors", NULL);
  {
    g_autofree char *bytes = NULL;
    gsize len = 0;
    g_assert_true (g_file_get_contents (shipped, &bytes, &len, NULL));
    g_assert_true (g_file_set_contents (ck, bytes, len, NULL));
  }
  DvWorkbenchOptions o = { .checkpoint = ck, .sample = 2 };
  DvWbWindow *window = launch_with (&o);
  dv_live_page_seek (LIVE (window), 5);
  Shows s = { window, 2, 5, NULL };
  g_assert_true (wait_for (shows, &s, 60));
  g_autofree char *want_sha = sha256_of (ck);
  g_autofree char *out = g_build_filename (dir, "all", NULL);
  {
    g_autoptr (DvJson) doc = NULL;
    DvJson *p = export_provenance (window, dir, "latency", "c", &doc);
    g_assert_cmpstr (str (p, "weights_origin"), ==, "checkpoint");
    DvJson *c = dv_json_object_get (p, "checkpoint");
    g_assert_cmpstr (str (c, "path"), ==, ck);
    g_assert_cmpstr (str (c, "sha256"), ==, want_sha);
    g_autofree char *weights = g_strdup_printf ("checkpoint %s", ck);
    g_assert_cmpstr (str (p, "weights"), ==, weights);
    g_assert_true (is_null (p, "weights_seed"));
    g_assert_cmpstr (str (p, "model_class"), ==, "CustomRCNN");
    g_assert_cmpint (int_of (p, "sample_index"), ==, 2);
  }
  dv_live_page_set_view_options (LIVE (window), DV_COLORMAP_VIRIDIS, DV_SCALE_PER_LAYER, FALSE, TRUE);
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_wb_window_export_all (window, out, &error));
  g_assert_no_error (error);
  for (int v = 0; dv_wb_view_names[v] != NULL; v++)
    {
      g_autofree char *jfile = g_strdup_printf ("%s.json", dv_wb_view_names[v]);
      g_autofree char *jpath = g_build_filename (out, jfile, NULL);
      g_autoptr (DvJson) doc = dv_json_parse_file (jpath, &error);
      g_assert_no_error (error);
      DvJson *im = dv_json_object_get (doc, "images");
      g_assert_cmpuint (dv_json_length (im), ==, 3);
      static const char *const formats[] = { "png", "svg", "pdf" };
      static const double scales[] = { 2, 1, 1 };
      for (guint k = 0; k < 3; k++)
        {
          DvJson *e = dv_json_array_get (im, k);
          g_autofree char *file = g_strdup_printf ("%s.%s", dv_wb_view_names[v], formats[k]);
          g_assert_cmpstr (str (e, "file"), ==, file);
          g_assert_cmpstr (str (e, "format"), ==, formats[k]);
          g_assert_cmpfloat (dv_json_number (dv_json_object_get (e, "scale")), ==, scales[k]);
        }
      DvJson *c = dv_json_object_get (dv_json_object_get (doc, "provenance"), "checkpoint");
      g_assert_cmpstr (str (c, "sha256"), ==, want_sha);
    }
  /* saved as a project and opened again in another window: the exports name the project's
   * weights file and its SHA-256, and the project file among the inputs */
  g_autofree char *proj = g_build_filename (dir, "p.dvproj.json", NULL);
  dv_wb_window_save_project (window, proj);
  g_assert_true (wait_for (file_exists, proj, 60));
  DvWorkbenchOptions o2 = { .sample = 0 };
  DvWbWindow *w2 = launch_with (&o2);
  dv_wb_window_open_project (w2, proj);
  Shows s2 = { w2, 2, 0, "p.dvproj.json" };
  g_assert_true (wait_for (shows, &s2, 60));
  {
    g_autoptr (DvJson) doc = NULL;
    DvJson *p = export_provenance (w2, dir, "latency", "proj", &doc);
    g_assert_cmpstr (str (p, "weights_origin"), ==, "checkpoint");
    DvJson *c = dv_json_object_get (p, "checkpoint");
    g_assert_true (g_str_has_prefix (str (c, "path"), dir)); /* the project's own weights file */
    g_autofree char *sha = sha256_of (str (c, "path"));
    g_assert_cmpstr (str (c, "sha256"), ==, sha);
    DvJson *in = dv_json_object_get (p, "inputs");
    g_assert_cmpuint (dv_json_length (in), >=, 1);
    gboolean has_project = FALSE;
    for (guint k = 0; k < dv_json_length (in); k++)
      has_project |= g_str_has_suffix (str (dv_json_array_get (in, k), "path"), "p.dvproj.json");
    g_assert_true (has_project);
  }
  close_window (w2);
  /* traces ÷ max: the CSV's trace columns are named <layer>_normalised */
  g_autofree char *csv_path = g_build_filename (out, "responses.csv", NULL);
  g_autofree char *csv = NULL;
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv, "t,time_ms,stimulus,V1_normalised,V2_normalised,V3_normalised\n"));
  remove_tree (out);
  remove_tree (dir);
  close_window (window);
}

/* Started without arguments: the shipped trained default, with the SHA-256 of its bytes. */
static void
test_shipped_default (void)
{
  g_autofree char *shipped = dv_workbench_trained_model_path ();
  if (shipped == NULL)
    {
      g_test_skip ("the trained CustomRCNN is not in this tree");
      return;
    }
  DvWorkbenchOptions o = { .trained_default = TRUE };
  DvWbWindow *window = launch_with (&o);
  dv_live_page_seek (LIVE (window), 1);
  Shows s = { window, 0, 1, NULL };
  g_assert_true (wait_for (shows, &s, 60));
  g_autofree char *dir = g_dir_make_tmp ("dv-test-wb-export-XXXXXX", NULL);
  g_autoptr (DvJson) doc = NULL;
  DvJson *p = export_provenance (window, dir, "stimulus", "d", &doc);
  g_assert_cmpstr (str (p, "weights_origin"), ==, "shipped-default");
  g_assert_nonnull (strstr (str (p, "weights"), "shipped trained default"));
  g_autofree char *canonical = g_canonicalize_filename (shipped, NULL);
  DvJson *c = dv_json_object_get (p, "checkpoint");
  g_assert_cmpstr (str (c, "path"), ==, canonical);
  g_autofree char *want = sha256_of (shipped);
  g_assert_cmpstr (str (c, "sha256"), ==, want);
  remove_tree (dir);
  close_window (window);
}

int
main (int argc, char **argv)
{
  dv_test_gui_init (&argc, &argv);
  dv_test_add_gui ("/workbench/export/provenance-fresh-weights", test_fresh_weights);
  dv_test_add_gui ("/workbench/export/provenance-checkpoint-export-all", test_checkpoint_and_export_all);
  dv_test_add_gui ("/workbench/export/provenance-shipped-default", test_shipped_default);
  return g_test_run ();
}
