/* test-project.c — the workbench's GTK-free training and project pieces, no display.
 *
 * What this is for: reading back where the engine says
 * a NaN appeared (from a real divergence of the preset), project files
 * (round trip, relative weights, every kind of bad file named with its fix; the
 * training panel's run — curves, heatmap, folder — back bit for bit, NaN included,
 * and a file without one still opening)
 * and the dynamics-over-training heatmap (pixels follow the values, NaN is
 * grey, CSV = exactly the plotted rows, export writes image + CSV + JSON).
 * What this is not for: the training settings (test-train-settings.c), the window or the
 * engine thread (test-workbench-train.c).
 */
#include <cairo.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dv-checkpoint.h"
#include "dv-desc.h"
#include "dv-engine-thread-train.h"
#include "dv-plot-dynamics.h"
#include "dv-project.h"

static void
test_divergence_message (void)
{
  /* a real divergence of the preset: an infinite input with the finite check on */
  g_autoptr (DvJson) kw = dv_json_parse ("{\"input_dims\": [4, 3, 32, 32], \"n_classes\": 10}", -1, NULL);
  g_autoptr (DvModelDesc) d = dv_preset_build ("CustomRCNN", kw, NULL);
  g_assert_nonnull (d);
  g_autoptr (DvModel) m = dv_model_new (d, NULL);
  dv_model_init_params (m, 0);
  DvRunOptions o = { 0 };
  g_autoptr (DvRun) run = dv_run_new (m, 1, &o);
  dv_run_set_check_finite (run, TRUE);
  gsize n = 4 * 3 * 32 * 32;
  g_autofree float *x = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    x[i] = INFINITY;
  g_autofree float *logits = g_new (float, 4 * 10);
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_run_forward (run, x, 4, logits, &error));
  g_assert_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_DIVERGED);
  g_autofree char *prefixed = g_strdup_printf ("training stopped in epoch 1, batch 2: %s", error->message);
  g_autofree char *layer = NULL;
  int t = -1;
  g_assert_true (dv_train_parse_divergence (prefixed, &layer, &t));
  g_assert_cmpstr (layer, ==, dv_model_get_desc (m)->layers[0].name);
  g_assert_cmpint (t, ==, 0);
  g_autofree char *l2 = NULL;
  g_assert_true (dv_train_parse_divergence ("the classifier output became NaN or infinite at timestep 5",
                                            &l2, &t));
  g_assert_cmpstr (l2, ==, "classifier");
  g_assert_cmpint (t, ==, 5);
  g_autofree char *l3 = NULL;
  g_assert_false (dv_train_parse_divergence ("the loss became nan", &l3, &t));
  g_assert_null (l3);
  /* a blow-up the trainer caught while finite */
  g_autofree char *l4 = NULL;
  g_assert_true (dv_train_parse_divergence ("training stopped in epoch 1, batch 2: the activity of layer V2 "
                                            "blew up at timestep 3 (6 ms): mean |x| 1e+03", &l4, &t));
  g_assert_cmpstr (l4, ==, "V2");
  g_assert_cmpint (t, ==, 3);
}

static DvModelDesc *
preset_desc (void)
{
  g_autoptr (DvJson) kw = dv_json_parse ("{\"input_dims\": [20, 3, 32, 32], \"n_classes\": 10, \"tau\": 20}",
                                         -1, NULL);
  return dv_preset_build ("CustomRCNN", kw, NULL);
}

static void
test_project_roundtrip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("dv-project-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "s.dvproj.json", NULL);
  g_autofree char *weights = g_build_filename (dir, "s.safetensors", NULL);
  g_autoptr (DvProject) p = dv_project_new ();
  p->desc = preset_desc ();
  g_autoptr (DvModel) m = dv_model_new (p->desc, NULL);
  dv_model_init_params (m, 3);
  g_assert_true (dv_checkpoint_save (m, weights, NULL, NULL));
  p->weights = g_strdup (weights);
  p->seed = 3;
  p->sample = 7;
  p->presentation = g_strdup ("loader=StimulusDuration n_timesteps=20");
  const char *tr[] = { "epochs=2", "lr=0.001", NULL }, *view[] = { "layer=V2", "cursor=5", NULL };
  p->training = g_strdupv ((char **) tr);
  p->view = g_strdupv ((char **) view);
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_project_save (p, path, &error));
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "\"weights\": \"s.safetensors\"")); /* relative */
  g_autoptr (DvProject) q = dv_project_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (q->weights, ==, weights);
  g_assert_cmpuint (q->seed, ==, 3);
  g_assert_cmpint (q->sample, ==, 7);
  g_assert_cmpstr (q->dataset, ==, "embedded");
  g_assert_cmpstr (q->presentation, ==, p->presentation);
  g_assert_cmpstr (q->training[0], ==, "epochs=2");
  g_assert_cmpstr (q->view[0], ==, "layer=V2");
  g_assert_cmpfloat (q->desc->layers[0].tau, ==, 20);
  g_autoptr (DvJson) a = dv_model_desc_to_json (p->desc), b = dv_model_desc_to_json (q->desc);
  g_assert_true (dv_json_equal (a, b));
  /* saving again replaces the file and leaves no temporary file behind */
  p->sample = 8;
  g_assert_true (dv_project_save (p, path, NULL));
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  int files = 0;
  while (g_dir_read_name (d) != NULL)
    files++;
  g_assert_cmpint (files, ==, 2);
  g_autoptr (DvProject) r = dv_project_load (path, NULL);
  g_assert_cmpint (r->sample, ==, 8);
  g_unlink (path);
  g_unlink (weights);
  g_rmdir (dir);
}

static void
test_project_errors (void)
{
  g_autofree char *dir = g_dir_make_tmp ("dv-project-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "bad.json", NULL);
  g_autoptr (DvModelDesc) desc = preset_desc ();
  g_autoptr (DvJson) dj = dv_model_desc_to_json (desc);
  g_autofree char *model = dv_json_to_string (dj, FALSE);
  /* text NULL: a valid project with the members `tail` after the model */
  struct { const char *text, *needle, *tail; } cases[] = {
    { "{\"format\": \"dynvision-workbench-project\", \"version\": 1, \"model\": {", "not valid JSON" },
    { "[1, 2]", "format" },
    { "{\"format\": \"something-else\"}", "Open Checkpoint" },
    { "{\"format\": \"dynvision-workbench-project\", \"version\": 9}", "newer workbench" },
    { "{\"format\": \"dynvision-workbench-project\", \"version\": 1}", "no \"model\"" },
    { "{\"format\": \"dynvision-workbench-project\", \"version\": 1, \"model\": {\"dt\": -1}}",
      "model description is invalid" },
    { NULL, "weights", "\"weights\": \"gone.safetensors\"" },  /* a missing weights file */
    { NULL, "view.cursor", "\"view\": {\"cursor\": [1]}" },    /* not a string */
    { NULL, "view.cursor", "\"view\": {\"layer\": \"V1\", \"cursor\": [1]}" },
    /* keys that a save would split differently or drop ("a=b": "c" saved as a = "b=c") */
    { NULL, "“a=b”", "\"training\": {\"a=b\": \"c\"}" },
    { NULL, "training has the key “”", "\"training\": {\"\": \"5\"}" },
    /* the training panel's run: counts that disagree, wrong types */
    { NULL, "run.curves.val_loss", "\"run\": {\"curves\": {\"train_loss\": [1, 2], \"val_loss\": [1]}}" },
    { NULL, "run.dynamics.values", "\"run\": {\"dynamics\": {\"layers\": [\"V1\"], \"T\": 2, "
      "\"epochs\": [0], \"values\": [[1, 2, 3]]}}" },
    { NULL, "run.state", "\"run\": {\"state\": \"exploded\"}" },
    { NULL, "run.folder", "\"run\": {\"folder\": 3}" },
    { NULL, "run.best/last", "\"run\": {\"best\": \"../x.safetensors\"}" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = NULL;
      if (cases[i].text != NULL)
        text = g_strdup (cases[i].text);
      else
        text = g_strdup_printf ("{\"format\": \"dynvision-workbench-project\", \"version\": 1, "
                                "\"model\": %s, %s}", model, cases[i].tail);
      g_assert_true (g_file_set_contents (path, text, -1, NULL));
      g_autoptr (GError) error = NULL;
      g_autoptr (DvProject) p = dv_project_load (path, &error);
      g_assert_null (p);
      g_assert_nonnull (error);
      if (strstr (error->message, cases[i].needle) == NULL || strstr (error->message, path) == NULL)
        g_error ("case %u: “%s” lacks “%s” or the file name", i, error->message, cases[i].needle);
    }
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (dir, "none.json", NULL);
  g_assert_null (dv_project_load (missing, &error));
  g_assert_nonnull (strstr (error->message, missing));
  g_unlink (path);
  g_rmdir (dir);
}

/* The "run" section: every number back bit for bit (NaN included), the folder and the
 * names; a project saved without a run (as before the section existed) opens with none. */
static void
test_project_run (void)
{
  g_autofree char *dir = g_dir_make_tmp ("dv-project-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "r.dvproj.json", NULL);
  g_autoptr (DvProject) p = dv_project_new ();
  p->desc = preset_desc ();
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_project_save (p, path, &error));
  g_autoptr (DvProject) old = dv_project_load (path, &error);
  g_assert_no_error (error);
  g_assert_null (old->run);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_null (strstr (text, "\"run\""));

  DvProjectRun *r = p->run = dv_project_run_new ();
  r->state = g_strdup ("stopped");
  r->message = g_strdup ("stopped after epoch 2");
  r->folder = g_strdup ("/nowhere/runs/20261207-172400");
  r->best = g_strdup ("best-epoch002.safetensors");
  r->probe = g_strdup ("embedded #3");
  r->epochs = 4;
  r->n_epochs = 2;
  double tl[] = { 2.302585093, 1.0 / 3 }, vl[] = { NAN, 0.1 }, ta[] = { 0.125, 0.7 }, va[] = { 0.2, 1e-7 };
  r->train_loss = g_memdup2 (tl, sizeof tl), r->val_loss = g_memdup2 (vl, sizeof vl);
  r->train_accuracy = g_memdup2 (ta, sizeof ta), r->val_accuracy = g_memdup2 (va, sizeof va);
  r->n_running = 3;
  double rx[] = { 0.5, 1, 1.5 }, rl[] = { 2.5, 2.25, G_PI }, ra[] = { 0.1, 0.2, 0.3 };
  r->running_x = g_memdup2 (rx, sizeof rx), r->running_loss = g_memdup2 (rl, sizeof rl);
  r->running_accuracy = g_memdup2 (ra, sizeof ra);
  r->n_rows = 3, r->n_layers = 2, r->T = 4, r->dt = 2;
  const char *names[] = { "V1", "V2", NULL };
  r->layers = g_strdupv ((char **) names);
  r->row_epochs = g_new (int, 3);
  r->values = g_new (float, 3 * 2 * 4);
  r->flags = g_new0 (guint8, 4);
  r->flags[1] = r->flags[2] = 1;
  for (int i = 0; i < 3; i++)
    r->row_epochs[i] = i;
  for (int k = 0; k < 24; k++)
    r->values[k] = k == 5 ? NAN : 1.0f / (k + 3);
  g_assert_true (dv_project_save (p, path, &error));
  g_autoptr (DvProject) q = dv_project_load (path, &error);
  g_assert_no_error (error);
  const DvProjectRun *s = q->run;
  g_assert_nonnull (s);
  g_assert_cmpstr (s->state, ==, "stopped");
  g_assert_cmpstr (s->message, ==, r->message);
  g_assert_cmpstr (s->folder, ==, r->folder);
  g_assert_cmpstr (s->best, ==, r->best);
  g_assert_null (s->last);
  g_assert_cmpstr (s->probe, ==, r->probe);
  g_assert_cmpint (s->epochs, ==, 4);
  g_assert_cmpint (s->n_epochs, ==, 2);
  g_assert_cmpint (s->n_running, ==, 3);
  g_assert_cmpmem (s->train_loss, 2 * sizeof (double), tl, sizeof tl);
  g_assert_true (isnan (s->val_loss[0]));
  g_assert_cmpfloat (s->val_loss[1], ==, 0.1);
  g_assert_cmpmem (s->train_accuracy, 2 * sizeof (double), ta, sizeof ta);
  g_assert_cmpmem (s->val_accuracy, 2 * sizeof (double), va, sizeof va);
  g_assert_cmpmem (s->running_x, 3 * sizeof (double), rx, sizeof rx);
  g_assert_cmpmem (s->running_loss, 3 * sizeof (double), rl, sizeof rl);
  g_assert_cmpmem (s->running_accuracy, 3 * sizeof (double), ra, sizeof ra);
  g_assert_cmpint (s->n_rows, ==, 3);
  g_assert_cmpint (s->n_layers, ==, 2);
  g_assert_cmpint (s->T, ==, 4);
  g_assert_cmpfloat (s->dt, ==, 2);
  g_assert_true (g_strv_equal ((const char *const *) s->layers, names));
  g_assert_cmpmem (s->row_epochs, 3 * sizeof (int), r->row_epochs, 3 * sizeof (int));
  g_assert_cmpmem (s->flags, 4, r->flags, 4);
  for (int k = 0; k < 24; k++)
    if (k == 5)
      g_assert_true (isnan (s->values[k]));
    else
      g_assert_cmpfloat (s->values[k], ==, r->values[k]);
  g_unlink (path);
  g_rmdir (dir);
}

/* 3 rows × 2 layers × 4 steps: layer 0 rises along t, layer 1 has a NaN. */
static void
fill_dynamics (DvDynamicsPlot *p, float *v, int *epochs, guint8 *flags)
{
  static const char *const names[] = { "V1", "V2", NULL };
  for (int r = 0; r < 3; r++)
    for (int t = 0; t < 4; t++)
      {
        v[(r * 2 + 0) * 4 + t] = (float) (t + r);
        v[(r * 2 + 1) * 4 + t] = t == 0 ? NAN : 2.0f;
      }
  for (int r = 0; r < 3; r++)
    epochs[r] = r;
  flags[0] = 0, flags[1] = flags[2] = DV_PLOT_STEP_STIMULUS, flags[3] = 0;
  dv_dynamics_plot_init (p);
  p->values = v;
  p->epochs = epochs;
  p->n_rows = 3, p->n_layers = 2, p->T = 4;
  p->names = names;
  p->timeline = (DvPlotTimeline) { .flags = flags, .n = 4, .dt = 2 };
}

static guint32
pixel (cairo_surface_t *s, int x, int y)
{
  cairo_surface_flush (s);
  return ((guint32 *) (cairo_image_surface_get_data (s) + y * cairo_image_surface_get_stride (s)))[x] & 0xffffff;
}

static void
test_dynamics_plot (void)
{
  float v[3 * 2 * 4];
  int epochs[3];
  guint8 flags[4];
  DvDynamicsPlot p;
  fill_dynamics (&p, v, epochs, flags);
  float lo, hi;
  g_assert_true (dv_dynamics_plot_layer_range (&p, 0, &lo, &hi));
  g_assert_cmpfloat (lo, ==, 0);
  g_assert_cmpfloat (hi, ==, 5);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 600, 300);
  cairo_t *cr = cairo_create (s);
  dv_dynamics_plot_draw (&p, cr, 600, 300);
  cairo_destroy (cr);
  /* layer 0 panel: find its extent by the layout rules: the first (min) cell is dark purple,
   * the last (max) cell yellow; NaN cells of layer 1 are grey (0x808080) */
  guint32 first = 0, last = 0;
  gboolean grey = FALSE;
  for (int x = 0; x < 600; x++)
    for (int y = 60; y < 250; y += 10)
      {
        guint32 c = pixel (s, x, y);
        grey |= c == 0x808080;
        int r = c >> 16, g = (c >> 8) & 0xff, b = c & 0xff;
        if (b > 60 && r > 50 && r < 90 && g < 20)
          first++;       /* viridis' low end */
        if (r > 220 && g > 200 && b < 60)
          last++;        /* viridis' high end */
      }
  g_assert_true (grey);
  g_assert_cmpuint (first, >, 0);
  g_assert_cmpuint (last, >, 0);
  cairo_surface_destroy (s);
  /* tiny and empty sizes draw without complaint */
  s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 3, 3);
  cr = cairo_create (s);
  dv_dynamics_plot_draw (&p, cr, 3, 3);
  DvDynamicsPlot empty;
  dv_dynamics_plot_init (&empty);
  dv_dynamics_plot_draw (&empty, cr, 3, 3);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
  /* CSV: header + rows × steps, one column per layer, NaN as an empty field */
  g_autofree char *csv = dv_plot_to_csv (dv_dynamics_plot_as_plot (&p));
  g_auto (GStrv) lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 3 * 4 + 1);
  g_assert_cmpstr (lines[0], ==, "epoch,t,time_ms,stimulus,V1,V2");
  g_assert_cmpstr (lines[1], ==, "0,0,0,0,0,");
  g_assert_cmpstr (lines[12], ==, "2,3,6,0,5,2");
  /* export: image + CSV + JSON */
  g_autofree char *dir = g_dir_make_tmp ("dv-dyn-XXXXXX", NULL);
  g_autofree char *png = g_build_filename (dir, "dyn.png", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_plot_export (dv_dynamics_plot_as_plot (&p), png, 500, 250, 1, &error));
  g_autofree char *json_path = g_build_filename (dir, "dyn.json", NULL);
  g_autofree char *csv_path = g_build_filename (dir, "dyn.csv", NULL);
  g_autofree char *json = NULL;
  g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
  g_assert_nonnull (strstr (json, "dynamics-over-training"));
  g_assert_true (g_file_test (csv_path, G_FILE_TEST_IS_REGULAR));
  g_unlink (png);
  g_unlink (json_path);
  g_unlink (csv_path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/project/divergence-message", test_divergence_message);
  g_test_add_func ("/project/roundtrip", test_project_roundtrip);
  g_test_add_func ("/project/bad-files", test_project_errors);
  g_test_add_func ("/project/run", test_project_run);
  g_test_add_func ("/project/dynamics-plot", test_dynamics_plot);
  return g_test_run ();
}
