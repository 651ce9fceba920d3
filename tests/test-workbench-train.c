/* test-workbench-train.c — training in the workbench, end to end, on the real engine.
 *
 * What this is for: the path through the window: change V1's
 * recurrence type and tau in the architecture editor and apply, train one
 * short epoch on the embedded set, export the checkpoint, and check that the
 * command-line `dynvision run` on that checkpoint gives the logits the
 * workbench shows for the same stimulus; the run folder's best and last
 * checkpoints and the heatmap rows; pause (the live view serves other
 * stimuli meanwhile), resume and stop; a project saved and reopened (layout
 * included) and a corrupt one refused with its name in the banner; a NaN in
 * the live view pausing at the first layer and step where it appeared; "Export for
 * DynVision…" refusing the tutorial model by name and writing a preset's model.py;
 * the panel's settings: every initial value is the settings table's default (the
 * CLI's), and a value the CLI refuses is refused by the panel and by Start with the
 * message of train/dv-train-settings.c (test-train-settings.c ties that to the CLI).
 * Needs a display (xvfb-run); every case skips without one.
 * What this is not for: the GTK-free pieces (test-project.c, test-train-settings.c).
 */
#include <gtk/gtk.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dv-test-gui.h"
#include "dv-checkpoint.h"
#include "dv-torch.h"
#include "dv-desc.h"
#include "dv-train-settings.h"
#include "dv-ui.h"
#include "dv-wb-window-train.h"
#include "dv-wb-window-private.h"
#include "dv-live-page-private.h" /* the thumbnails' list, to count it */
#include "dv-workbench.h"

#include "dv-test-wait.h"

#define TRAIN(w) dv_wb_window_get_training_panel (w)

#define LIVE(w) dv_wb_window_get_live_page (w)

#define ARCH(w) dv_wb_window_get_architecture_page (w)

static char *tmp_dir;

static gboolean
sequence_done (gpointer data)
{
  DvHistory *h = dv_live_page_get_history (LIVE (data));
  return h->T > 0 && h->head == h->T - 1 && dv_live_page_get_cursor (LIVE (data)) == h->T - 1;
}

static DvWbWindow *
open_session (DvWorkbench **wb_out)
{
  DvWorkbenchOptions o = { 0 };
  DvWorkbench *wb = dv_workbench_new (NULL, &o, NULL);
  g_assert_nonnull (wb);
  DvWbWindow *w = dv_workbench_get_window (wb);
  gtk_window_present (GTK_WINDOW (w));
  dv_live_page_seek (LIVE (w), G_MAXINT);
  g_assert_true (wait_for (sequence_done, w, 120));
  if (wb_out)
    *wb_out = wb;
  return w;
}

typedef struct {
  DvWbWindow *w;
  DvWbTrainState state;
} StateIs;

static gboolean
can_revert (DvWbWindow *w)
{
  gboolean can = FALSE;
  g_object_get (TRAIN (w), "can-revert", &can, NULL);
  return can;
}

static gboolean
state_is (gpointer data)
{
  StateIs *s = data;
  DvWbTrainState now = dv_training_panel_get_state (TRAIN (s->w));
  if (now == DV_WB_TRAIN_FAILED && s->state != DV_WB_TRAIN_FAILED)
    g_error ("training failed: %s", dv_wb_window_get_error (s->w));
  return now == s->state;
}

static void
start_training (DvWbWindow *w, const char *const *settings)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_training_panel_set_settings (TRAIN (w), settings, &error));
  g_assert_no_error (error);
  gtk_widget_activate_action (GTK_WIDGET (TRAIN (w)), "train.start", NULL);
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_IS_REGULAR);
}

static gboolean
report_ready (gpointer data)
{
  const char *r = dv_architecture_page_get_report (ARCH (data));
  return r != NULL && r[0] != '\0';
}

/* Writes the recorded inputs of the live sequence as x [1,T,C,H,W]. */
static void
write_input (DvHistory *h, const char *path)
{
  gsize frame = (gsize) h->in_c * h->in_h * h->in_w;
  g_autofree float *x = g_new (float, frame * h->T);
  for (int t = 0; t < h->T; t++)
    {
      const float *in = dv_history_input (h, t);
      g_assert_nonnull (in);
      memcpy (x + frame * t, in, frame * sizeof (float));
    }
  gint64 shape[] = { 1, h->T, h->in_c, h->in_h, h->in_w };
  g_autoptr (DvSafetensorsWriter) wr = dv_safetensors_writer_new ();
  dv_safetensors_writer_add (wr, "x", DV_DTYPE_F32, 5, shape, x);
  g_assert_true (dv_safetensors_writer_save (wr, path, NULL));
}

static void
test_edit_train_export_reproduce (void)
{
  DvWorkbench *wb;
  DvWbWindow *w = open_session (&wb);
  /* the edit: depthpointwise recurrence and tau 20 ms in V1, applied */
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_architecture_page_set_field (ARCH (w), "V1.recurrence_type", "depthpointwise", &error));
  g_assert_true (dv_architecture_page_set_field (ARCH (w), "V1.tau", "20", &error));
  gtk_widget_activate_action (GTK_WIDGET (ARCH (w)), "arch.apply", NULL);
  g_assert_true (wait_for (report_ready, w, 120));
  g_assert_null (dv_wb_window_get_error (w));

  /* one short epoch: 64 samples in batches of 32, validated on 7 */
  const char *settings[] = { "epochs=1", "train_samples=64", "batch_size=32", "lr=0.001", NULL };
  start_training (w, settings);
  StateIs done = { w, DV_WB_TRAIN_DONE };
  g_assert_true (wait_for (state_is, &done, 300));
  g_assert_cmpint (dv_training_panel_get_rows (TRAIN (w)), ==, 2); /* before training + epoch 1 */
  dv_live_page_seek (LIVE (w), G_MAXINT);
  g_assert_true (wait_for (sequence_done, w, 120));

  /* the run folder has the best and the last checkpoint */
  g_autofree char *runs = g_build_filename (g_get_user_data_dir (), "dynvision", "runs", NULL);
  g_autoptr (GDir) d = g_dir_open (runs, 0, NULL);
  g_assert_nonnull (d);
  const char *run = g_dir_read_name (d);
  g_assert_nonnull (run);
  g_autofree char *last = g_build_filename (runs, run, "last.safetensors", NULL);
  g_autofree char *best = g_build_filename (runs, run, "best-epoch001.safetensors", NULL);
  g_assert_true (g_file_test (last, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (best, G_FILE_TEST_IS_REGULAR));

  /* export, then dynvision run on it */
  g_autofree char *ckpt = g_build_filename (tmp_dir, "trained.safetensors", NULL);
  dv_wb_window_export_checkpoint (w, ckpt);
  g_assert_true (wait_for (file_exists, ckpt, 60));
  g_autoptr (DvSafetensors) st = dv_safetensors_load (ckpt, &error);
  g_assert_no_error (error);
  g_autoptr (DvModelDesc) desc = dv_checkpoint_read_desc (st, ckpt, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (desc->layers[0].tau, ==, 20);
  g_autoptr (DvJson) dj = dv_model_desc_to_json (desc);
  g_autofree char *djs = dv_json_to_string (dj, FALSE);
  g_assert_nonnull (strstr (djs, "depthpointwise"));
  /* the tensor the engine computes with says 20 ms too, and the metadata does not claim the
   * unedited preset: a custom model derived from CustomRCNN, differing in V1's tau */
  const DvStTensor *tau = dv_safetensors_lookup (st, "V1_tstep.tau");
  g_assert_nonnull (tau);
  g_autofree float *tau_v = dv_st_tensor_to_f32 (tau);
  for (gint64 i = 0; i < tau->numel; i++)
    g_assert_cmpfloat (tau_v[i], ==, 20);
  g_assert_cmpstr (dv_safetensors_metadata (st, "dynvision.model"), ==, DV_CHECKPOINT_CUSTOM_MODEL);
  g_assert_cmpstr (dv_safetensors_metadata (st, "dynvision.derived_from"), ==, "CustomRCNN");
  g_assert_nonnull (strstr (dv_safetensors_metadata (st, "dynvision.config"), "layers[0].tau"));

  DvHistory *h = dv_live_page_get_history (LIVE (w));
  g_autofree char *xin = g_build_filename (tmp_dir, "x.safetensors", NULL);
  g_autofree char *yout = g_build_filename (tmp_dir, "y.safetensors", NULL);
  write_input (h, xin);
  const char *cli = g_getenv ("DV_CLI");
  g_assert_nonnull (cli);
  const char *argv[] = { cli, "run", "--checkpoint", ckpt, "--input", xin, "--output", yout, NULL };
  int status = 0;
  g_autofree char *err = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err,
                               &status, NULL));
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("dynvision run failed: %s", err);
  g_autoptr (DvSafetensors) out = dv_safetensors_load (yout, &error);
  g_assert_no_error (error);
  const DvStTensor *lt = dv_safetensors_lookup (out, "logits");
  g_assert_nonnull (lt);
  g_assert_cmpint (lt->numel, ==, (gint64) h->T * h->n_classes);
  g_autofree float *logits = dv_st_tensor_to_f32 (lt);
  double max_diff = 0;
  for (int t = 0; t < h->T; t++)
    {
      int i = dv_series_find (h->logits, t);
      g_assert_cmpint (i, >=, 0);
      const float *shown = dv_series_row (h->logits, i);
      for (int k = 0; k < h->n_classes; k++)
        max_diff = MAX (max_diff, fabs (shown[k] - logits[t * h->n_classes + k]));
    }
  g_test_message ("largest logit difference workbench vs dynvision run: %g", max_diff);
  g_assert_cmpfloat (max_diff, <, 1e-4);
  gtk_window_destroy (GTK_WINDOW (w));
}

typedef struct {
  DvWbWindow *w;
  int sample;
} ShowsSample;

static gboolean
shows_sample (gpointer data)
{
  ShowsSample *s = data;
  DvHistory *h = dv_live_page_get_history (LIVE (s->w));
  return h->sample == s->sample && h->head >= 0;
}

static gboolean
has_progress (gpointer data)
{
  DvWbWindow *w = data;
  return dv_training_panel_get_state (TRAIN (w)) == DV_WB_TRAIN_RUNNING;
}

static void
test_pause_resume_stop (void)
{
  DvWbWindow *w = open_session (NULL);
  const char *settings[] = { "epochs=3", "train_samples=96", "batch_size=32", NULL };
  start_training (w, settings);
  g_assert_true (wait_for (has_progress, w, 120));
  gtk_widget_activate_action (GTK_WIDGET (TRAIN (w)), "train.pause", NULL);
  StateIs paused = { w, DV_WB_TRAIN_PAUSED };
  g_assert_true (wait_for (state_is, &paused, 120));
  /* paused: the engine serves the live view */
  ShowsSample s = { w, 1 };
  gtk_widget_activate_action (GTK_WIDGET (LIVE (w)), "live.next-stimulus", NULL);
  g_assert_true (wait_for (shows_sample, &s, 60));
  gtk_widget_activate_action (GTK_WIDGET (TRAIN (w)), "train.pause", NULL); /* resume */
  g_assert_true (wait_for (has_progress, w, 60));
  gtk_widget_activate_action (GTK_WIDGET (TRAIN (w)), "train.stop", NULL);
  StateIs stopped = { w, DV_WB_TRAIN_STOPPED };
  g_assert_true (wait_for (state_is, &stopped, 120));
  /* Start is enabled again: it starts a new run */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (TRAIN (w)), "train.start", NULL));
  g_assert_cmpint (dv_training_panel_get_state (TRAIN (w)), !=, DV_WB_TRAIN_STOPPED);
  gtk_widget_activate_action (GTK_WIDGET (TRAIN (w)), "train.stop", NULL);
  gtk_window_destroy (GTK_WINDOW (w));
}

typedef struct {
  DvWbWindow *w;
  const char *needle;
} BannerHas;

static gboolean
banner_has (gpointer data)
{
  BannerHas *b = data;
  const char *e = dv_wb_window_get_error (b->w);
  return e != NULL && strstr (e, b->needle) != NULL;
}

static gboolean
layout_has (gpointer data)
{
  DvWbWindow *w = data;
  g_auto (GStrv) l = dv_wb_window_get_layout (w);
  return g_strv_contains ((const char *const *) l, "layer=V2");
}

typedef struct {
  DvWbWindow *w;
  const char *needle;
} LabelHas;

/* The architecture editor has taken up a model of class `needle` (it asks the
 * engine thread for the description after the model is loaded). */
static gboolean
editor_has_class (gpointer data)
{
  LabelHas *l = data;
  const DvModelDesc *d = dv_arch_edit_get_desc (dv_architecture_page_get_edit (ARCH (l->w)));
  return d != NULL && g_strcmp0 (d->model_class, l->needle) == 0;
}

/* The engine runs a model whose label has the needle, and its sequence is computed. */
static gboolean
label_has (gpointer data)
{
  LabelHas *l = data;
  DvHistory *h = dv_live_page_get_history (LIVE (l->w));
  return h->model_label != NULL && strstr (h->model_label, l->needle) != NULL && h->head >= 0;
}

static void
test_project_save_open (void)
{
  DvWbWindow *w = open_session (NULL);
  dv_live_page_select_layer (LIVE (w), 1);
  g_autofree char *proj = g_build_filename (tmp_dir, "s.dvproj.json", NULL);
  g_autofree char *weights = g_build_filename (tmp_dir, "s.safetensors", NULL);
  dv_wb_window_save_project (w, proj);
  g_assert_true (wait_for (file_exists, proj, 60));
  g_assert_true (g_file_test (weights, G_FILE_TEST_IS_REGULAR));
  /* a corrupt project: refused, named, nothing changes */
  g_autofree char *bad = g_build_filename (tmp_dir, "broken.dvproj.json", NULL);
  g_assert_true (g_file_set_contents (bad, "{\"format\": \"dynvision-workbench-project\", \"vers", -1, NULL));
  dv_wb_window_open_project (w, bad);
  BannerHas b = { w, bad };
  g_assert_true (wait_for (banner_has, &b, 10));
  gtk_widget_activate_action (GTK_WIDGET (w), "win.dismiss-banner", NULL);
  /* back to layer 0, then the project restores layer V2 on its model */
  dv_live_page_select_layer (LIVE (w), 0);
  dv_wb_window_open_project (w, proj);
  LabelHas lp = { w, "s.dvproj.json" };
  g_assert_true (wait_for (label_has, &lp, 60));
  g_assert_true (wait_for (layout_has, w, 60));
  g_assert_null (dv_wb_window_get_error (w));
  gtk_window_destroy (GTK_WINDOW (w));
}

typedef struct {
  DvWbWindow *w;
  const char *spec;
  guint n;
} ShowsData;

/* The engine runs the data set and the sample picker shows its n thumbnails. */
static gboolean
shows_dataset (gpointer data)
{
  ShowsData *s = data;
  DvHistory *h = dv_live_page_get_history (LIVE (s->w));
  return g_strcmp0 (h->dataset, s->spec) == 0
         && g_list_model_get_n_items (G_LIST_MODEL (LIVE (s->w)->thumb_model)) == s->n;
}

static void
test_project_other_dataset (void)
{
  /* a folder of 2 classes × 3 images, and a project that names it */
  g_autofree char *folder = g_build_filename (tmp_dir, "stimuli", NULL);
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < 3; i++)
      {
        g_autofree char *cls = g_strdup_printf ("%s/class%d", folder, k);
        g_assert_cmpint (g_mkdir_with_parents (cls, 0755), ==, 0);
        g_autofree char *png = g_strdup_printf ("%s/img%d.png", cls, i);
        cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 20, 20);
        cairo_t *cr = cairo_create (s);
        cairo_set_source_rgb (cr, 0.3 * i, k, 0.5);
        cairo_paint (cr);
        cairo_destroy (cr);
        g_assert_cmpint (cairo_surface_write_to_png (s, png), ==, CAIRO_STATUS_SUCCESS);
        cairo_surface_destroy (s);
      }
  DvWbWindow *w = open_session (NULL);
  g_autofree char *proj = g_build_filename (tmp_dir, "folder.dvproj.json", NULL);
  dv_wb_window_save_project (w, proj);
  g_assert_true (wait_for (file_exists, proj, 60));
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) root = dv_json_parse_file (proj, &error);
  g_assert_no_error (error);
  g_autofree char *spec = g_strdup_printf ("folder:%s", folder);
  dv_json_object_set ((DvJson *) dv_json_object_get (root, "stimulus"), "dataset",
                      dv_json_new_string (spec));
  g_autofree char *text = dv_json_to_string (root, TRUE);
  g_assert_true (g_file_set_contents (proj, text, -1, NULL));
  /* opening it switches the engine to the folder, and the picker follows */
  dv_wb_window_open_project (w, proj);
  ShowsData sd = { w, spec, 6 };
  g_assert_true (wait_for (shows_dataset, &sd, 60));
  g_assert_null (dv_wb_window_get_error (w));
  gtk_window_destroy (GTK_WINDOW (w));
}


/* A model description dropped on the window (as `dynvision describe` writes it) runs with
 * fresh weights; a broken one is refused with its name and the old model stays. */
static void
test_open_description (void)
{
  g_autoptr (DvJson) kw = dv_json_parse ("{\"input_dims\": [6, 3, 32, 32], \"n_classes\": 10}", -1, NULL);
  g_autoptr (DvModelDesc) d = dv_preset_build ("DyRCNNx2", kw, NULL);
  g_assert_nonnull (d);
  g_autoptr (DvJson) j = dv_model_desc_to_json (d);
  g_autofree char *text = dv_json_to_string (j, TRUE);
  g_autofree char *path = g_build_filename (tmp_dir, "two-areas.json", NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_autofree char *bad = g_build_filename (tmp_dir, "broken-model.json", NULL);
  g_assert_true (g_file_set_contents (bad, "{\"layers\": 3}", -1, NULL));

  DvWbWindow *w = open_session (NULL);
  g_autoptr (GFile) f = g_file_new_for_path (path);
  g_assert_true (dv_wb_window_open_file (w, f));
  LabelHas l = { w, "two-areas.json" };
  g_assert_true (wait_for (label_has, &l, 60));
  DvHistory *h = dv_live_page_get_history (LIVE (w));
  g_assert_cmpint (h->n_layers, ==, 2);
  g_assert_cmpstr (h->layers[0].name, ==, "layer1");
  /* the editor takes it up, its preset list showing the model's class */
  LabelHas cls = { w, "DyRCNNx2" };
  g_assert_true (wait_for (editor_has_class, &cls, 60));
  g_assert_cmpstr (dv_arch_edit_get_desc (dv_architecture_page_get_edit (ARCH (w)))->model_class, ==, "DyRCNNx2");
  g_assert_cmpstr (dv_architecture_page_get_preset (ARCH (w)), ==, "DyRCNNx2");

  g_autoptr (GFile) fb = g_file_new_for_path (bad);
  g_assert_true (dv_wb_window_open_file (w, fb));
  BannerHas b = { w, "broken-model.json" };
  g_assert_true (wait_for (banner_has, &b, 10));
  g_assert_nonnull (strstr (dv_live_page_get_history (LIVE (w))->model_label, "two-areas.json"));
  gtk_window_destroy (GTK_WINDOW (w));
}

static void
test_nan_pauses_playback (void)
{
  /* a checkpoint whose V2 weights are finite but near FLT_MAX (a NaN weight is refused on
   * open): V1 is fine, V2's sums overflow and it is the first to go */
  g_autoptr (DvJson) kw = dv_json_parse ("{\"input_dims\": [20, 3, 32, 32], \"n_classes\": 10, \"dt\": 2,"
                                         " \"tau\": 10, \"t_feedforward\": 2, \"t_recurrence\": 2,"
                                         " \"use_skip_connections\": true}", -1, NULL);
  g_autoptr (DvModelDesc) d = dv_preset_build ("CustomRCNN", kw, NULL);
  g_autoptr (DvModel) m = dv_model_new (d, NULL);
  dv_model_init_params (m, 0);
  gboolean poisoned = FALSE;
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      if (g_str_equal (p->name, "V2_conv.weight") && p->type == DV_PARAM_F32)
        {
          for (gint64 k = 0; k < p->numel; k++)
            ((float *) p->data)[k] = 3e38f;
          poisoned = TRUE;
        }
    }
  g_assert_true (poisoned);
  g_autofree char *ckpt = g_build_filename (tmp_dir, "nan.safetensors", NULL);
  g_assert_true (dv_checkpoint_save (m, ckpt, NULL, NULL));
  DvWorkbenchOptions o = { .checkpoint = ckpt };
  DvWorkbench *wb = dv_workbench_new (NULL, &o, NULL);
  DvWbWindow *w = dv_workbench_get_window (wb);
  gtk_window_present (GTK_WINDOW (w));
  dv_live_page_set_playing (LIVE (w), TRUE);
  BannerHas b = { w, "activity of layer V2 became NaN" };
  g_assert_true (wait_for (banner_has, &b, 120));
  g_assert_false (dv_live_page_get_playing (LIVE (w)));
  g_auto (GStrv) l = dv_wb_window_get_layout (w);
  g_assert_true (g_strv_contains ((const char *const *) l, "layer=V2"));
  DvHistory *h = dv_live_page_get_history (LIVE (w));
  /* the cursor sits at the first step where V2's response is not finite (its sums overflow a
   * step or two after its first response), and V1 stays finite up to there */
  int first = -1;
  for (int t = 0; t <= h->head && first < 0; t++)
    {
      int i = dv_series_find (h->means, t);
      if (i >= 0 && h->present[(gsize) t * h->n_layers + 1] && !isfinite (dv_series_row (h->means, i)[1]))
        first = t;
      if (i >= 0 && h->present[(gsize) t * h->n_layers])
        g_assert_true (isfinite (dv_series_row (h->means, i)[0]));
    }
  g_assert_cmpint (first, >=, 0);
  g_assert_cmpint (dv_live_page_get_cursor (LIVE (w)), ==, first);
  gtk_window_destroy (GTK_WINDOW (w));
}

/* Number of tensors whose bytes differ between two checkpoints (the same names in both). */
static guint
tensors_differing (const char *a, const char *b)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) x = dv_safetensors_load (a, &error);
  g_assert_no_error (error);
  g_autoptr (DvSafetensors) y = dv_safetensors_load (b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dv_safetensors_n_tensors (x), ==, dv_safetensors_n_tensors (y));
  guint n = 0;
  for (guint i = 0; i < dv_safetensors_n_tensors (x); i++)
    {
      const DvStTensor *t = dv_safetensors_tensor (x, i), *u = dv_safetensors_lookup (y, t->name);
      g_assert_nonnull (u);
      g_assert_cmpuint (t->nbytes, ==, u->nbytes);
      if (memcmp (t->data, u->data, t->nbytes) != 0)
        {
          g_test_message ("%s and %s differ in %s", a, b, t->name);
          n++;
        }
    }
  return n;
}

static gboolean
training_ended (gpointer data)
{
  DvWbTrainState s = dv_training_panel_get_state (TRAIN (data));
  return s == DV_WB_TRAIN_DONE || s == DV_WB_TRAIN_FAILED || s == DV_WB_TRAIN_STOPPED;
}

/* A learning rate that blows the model up: the run stops with a message that is true (a
 * checkpoint it names exists), and Revert brings back exactly the weights from before it. */
static void
test_divergence_revert (void)
{
  DvWbWindow *w = open_session (NULL);
  g_assert_false (can_revert (w));
  g_autofree char *before = g_build_filename (tmp_dir, "before.safetensors", NULL);
  dv_wb_window_export_checkpoint (w, before);
  g_assert_true (wait_for (file_exists, before, 60));

  const char *settings[] = { "epochs=3", "train_samples=256", "batch_size=32", "lr=10",
                             "optimizer=adam", "schedule=constant", NULL };
  start_training (w, settings);
  g_assert_true (wait_for (training_ended, w, 600));
  g_assert_cmpint (dv_training_panel_get_state (TRAIN (w)), ==, DV_WB_TRAIN_FAILED);
  const char *banner = dv_wb_window_get_error (w);
  g_assert_nonnull (banner);
  g_test_message ("divergence: %s", banner);
  g_assert_nonnull (strstr (banner, "blew up at timestep"));
  g_assert_nonnull (strstr (banner, "Revert to Weights Before This Run"));
  /* every checkpoint the message names is there */
  for (const char *p = strchr (banner, '/'); p != NULL; p = strchr (p + 1, '/'))
    if (p == banner || p[-1] == ' ')
      {
        const char *end = strstr (p, ".safetensors");
        if (end == NULL)
          break;
        g_autofree char *path = g_strndup (p, end + strlen (".safetensors") - p);
        if (strchr (path, ' ') == NULL)
          g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      }
  g_autofree char *after = g_build_filename (tmp_dir, "diverged.safetensors", NULL);
  dv_wb_window_export_checkpoint (w, after);
  g_assert_true (wait_for (file_exists, after, 60));
  g_assert_cmpuint (tensors_differing (before, after), >, 0);

  g_assert_true (can_revert (w));
  gtk_widget_activate_action (GTK_WIDGET (TRAIN (w)), "train.revert", NULL);
  LabelHas l = { w, "start.safetensors" };
  g_assert_true (wait_for (label_has, &l, 60));
  g_autofree char *reverted = g_build_filename (tmp_dir, "reverted.safetensors", NULL);
  dv_wb_window_export_checkpoint (w, reverted);
  g_assert_true (wait_for (file_exists, reverted, 60));
  g_assert_cmpuint (tensors_differing (before, reverted), ==, 0);
  gtk_window_destroy (GTK_WINDOW (w));
}

static gboolean
banner_shown (gpointer data)
{
  return dv_wb_window_get_error (data) != NULL;
}

/* "Export for DynVision…": the session's own model (the tutorial's, with its separate
 * pre-convolution) is refused by name and nothing is written; a DyRCNNx4 checkpoint opened
 * in a session is written as model.py naming DynVision's class, and weights.pt beside it,
 * a torch.save file holding the model's tensors */
static void
test_export_dynvision (void)
{
  DvWbWindow *w = open_session (NULL);
  g_autofree char *refused = g_build_filename (tmp_dir, "dynvision-refused", NULL);
  dv_wb_window_export_dynvision (w, refused);
  g_assert_true (wait_for (banner_shown, w, 60));
  g_assert_nonnull (strstr (dv_wb_window_get_error (w), "pre-convolution"));
  g_assert_false (g_file_test (refused, G_FILE_TEST_EXISTS));
  gtk_window_destroy (GTK_WINDOW (w));

  g_autoptr (GError) error = NULL;
  const char *kv[] = { "input_dims=[4,3,32,32]", "n_classes=10", "tau=9" };
  g_autoptr (DvJson) k = dv_kwargs_parse (kv, 3, &error);
  g_assert_no_error (error);
  g_autoptr (DvModelDesc) d = dv_preset_build ("DyRCNNx4", k, &error);
  g_assert_no_error (error);
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  g_assert_no_error (error);
  dv_model_init_params (m, 4);
  g_autofree char *ckpt = g_build_filename (tmp_dir, "x4.safetensors", NULL);
  g_assert_true (dv_checkpoint_save (m, ckpt, NULL, &error));
  DvWorkbenchOptions o = { .checkpoint = ckpt };
  DvWorkbench *wb = dv_workbench_new (NULL, &o, NULL);
  g_assert_nonnull (wb);
  w = dv_workbench_get_window (wb);
  gtk_window_present (GTK_WINDOW (w));
  LabelHas l = { w, "DyRCNNx4" };
  g_assert_true (wait_for (label_has, &l, 120));
  g_autofree char *dir = g_build_filename (tmp_dir, "dynvision-x4", NULL);
  g_autofree char *py = g_build_filename (dir, "model.py", NULL);
  g_autofree char *pt = g_build_filename (dir, "weights.pt", NULL);
  dv_wb_window_export_dynvision (w, dir);
  g_assert_true (wait_for (file_exists, py, 60));
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (py, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "MODEL_CLASS = DyRCNNx4\n"));
  g_assert_nonnull (strstr (text, "MODEL_ARGS = \"DyRCNNx4:tau=9\"\n"));
  g_assert_true (wait_for (file_exists, pt, 60));
  g_autoptr (DvSafetensors) back = dv_torch_load (pt, &error);
  g_assert_no_error (error);
  g_assert_nonnull (dv_safetensors_lookup (back, "V1.conv.weight"));
  gtk_window_destroy (GTK_WINDOW (w));
}

static void
skip_no_display (void)
{
  g_test_skip ("no display (run under xvfb-run)");
}

static void
test_panel_settings (void)
{
  DvWorkbench *wb;
  DvWbWindow *w = open_session (&wb);
  /* every setting's initial value is the table's default */
  g_auto (DvTrainSettings) d = { 0 };
  dv_train_settings_init_defaults (&d);
  g_auto (GStrv) defaults = dv_train_settings_to_strv (&d);
  g_auto (GStrv) shown = dv_training_panel_get_settings (TRAIN (w));
  g_assert_cmpuint (g_strv_length (shown), ==, g_strv_length (defaults));
  for (int i = 0; defaults[i] != NULL; i++)
    g_assert_cmpstr (shown[i], ==, defaults[i]);
  g_assert_true (g_strv_contains ((const char *const *) shown, "lr=0.0002")); /* DynVision's, not 1e-3 */
  /* values the CLI refuses: refused by the panel (nothing changes) and by Start, same message */
  const char *bad[] = { "epochs=0", "lr=abc", "batch=0", "optimizer=rmsprop", "train_samples=-1",
                        "divergence-factor=0.5", "colour=red", NULL };
  for (int i = 0; bad[i] != NULL; i++)
    {
      g_autofree char *key = g_strndup (bad[i], strcspn (bad[i], "="));
      g_auto (DvTrainSettings) s = { 0 };
      dv_train_settings_init_defaults (&s);
      g_autoptr (GError) expected = NULL;
      g_assert_false (dv_train_settings_set (&s, key, strchr (bad[i], '=') + 1, &expected));
      const char *one[] = { "epochs=7", bad[i], NULL };
      g_autoptr (GError) error = NULL;
      g_assert_false (dv_training_panel_set_settings (TRAIN (w), one, &error));
      g_assert_cmpstr (error->message, ==, expected->message);
      g_auto (GStrv) after = dv_training_panel_get_settings (TRAIN (w));
      g_assert_true (g_strv_equal ((const char *const *) after, (const char *const *) defaults));
      /* what the panel sends at Start goes through the same parser */
      g_signal_emit_by_name (TRAIN (w), "train-start", one);
      g_autofree char *banner = g_strdup_printf ("Cannot train: %s", expected->message);
      g_assert_cmpstr (dv_wb_window_get_error (w), ==, banner);
      g_assert_cmpint (dv_training_panel_get_state (TRAIN (w)), ==, DV_WB_TRAIN_IDLE);
    }
  /* accepted values show and read back, those without a widget kept */
  const char *ok[] = { "epochs=7", "batch_size=16", "lr=1e-3", "optimizer=sgd", "seed=4", NULL };
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_training_panel_set_settings (TRAIN (w), ok, &error));
  g_auto (GStrv) now = dv_training_panel_get_settings (TRAIN (w));
  g_assert_true (g_strv_contains ((const char *const *) now, "epochs=7"));
  g_assert_true (g_strv_contains ((const char *const *) now, "batch=16"));
  g_assert_true (g_strv_contains ((const char *const *) now, "lr=0.001"));
  g_assert_true (g_strv_contains ((const char *const *) now, "optimizer=sgd"));
  g_assert_true (g_strv_contains ((const char *const *) now, "seed=4"));
  /* the data set list: embedded, then what is installed; a chosen folder joins it */
  g_assert_true (g_strv_contains ((const char *const *) now, "data=embedded"));
  g_autofree char *folder = g_strdup_printf ("data=folder:%s", tmp_dir);
  g_autofree char *spec = g_strdup_printf ("folder:%s", tmp_dir);
  dv_training_panel_use_dataset (TRAIN (w), spec);
  g_auto (GStrv) after = dv_training_panel_get_settings (TRAIN (w));
  g_assert_true (g_strv_contains ((const char *const *) after, folder));
  gtk_window_destroy (GTK_WINDOW (w));
}

/* The trained default was trained with BatchNorm on fixed running statistics: the panel offers
 * to go on the same way (its BatchNorm field says "running"), and a run started from it does
 * (its checkpoint's train.bn_mode, written from the trainer's configuration); fresh weights
 * keep DynVision's batch statistics. */
static void
test_trained_default_bn_mode (void)
{
  g_autofree char *shipped = dv_workbench_trained_model_path ();
  if (shipped == NULL)
    {
      g_test_skip ("the trained CustomRCNN is not in this tree");
      return;
    }
  DvWorkbenchOptions o = { .trained_default = TRUE };
  DvWorkbench *wb = dv_workbench_new (NULL, &o, NULL);
  g_assert_nonnull (wb);
  DvWbWindow *w = dv_workbench_get_window (wb);
  gtk_window_present (GTK_WINDOW (w));
  g_auto (GStrv) now = dv_training_panel_get_settings (TRAIN (w));
  g_assert_true (g_strv_contains ((const char *const *) now, "bn-mode=running"));
  const char *settings[] = { "epochs=1", "train_samples=32", "batch_size=32", NULL };
  start_training (w, settings);
  StateIs done = { w, DV_WB_TRAIN_DONE };
  g_assert_true (wait_for (state_is, &done, 300));
  DvWbTrainView view;
  g_assert_true (dv_training_panel_get_shown (TRAIN (w), &view));
  g_assert_nonnull (view.last_path);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_safetensors_load (view.last_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dv_safetensors_metadata (st, "train.bn_mode"), ==, "running");
  gtk_window_destroy (GTK_WINDOW (w));

  DvWbWindow *fresh = open_session (NULL);
  g_auto (GStrv) f = dv_training_panel_get_settings (TRAIN (fresh));
  g_assert_true (g_strv_contains ((const char *const *) f, "bn-mode=batch"));
  gtk_window_destroy (GTK_WINDOW (fresh));
}

int
main (int argc, char **argv)
{
  tmp_dir = g_dir_make_tmp ("dv-wb-train-XXXXXX", NULL);
  /* runs go under the user data folder: keep them in the test's own */
  g_autofree char *data = g_build_filename (tmp_dir, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  dv_test_gui_init (&argc, &argv);
  struct { const char *path; GTestFunc func; } cases[] = {
    { "/workbench-train/panel-settings", test_panel_settings },
    { "/workbench-train/edit-train-export-reproduce", test_edit_train_export_reproduce },
    { "/workbench-train/pause-resume-stop", test_pause_resume_stop },
    { "/workbench-train/project-save-open", test_project_save_open },
    { "/workbench-train/project-other-dataset", test_project_other_dataset },
    { "/workbench-train/open-model-description", test_open_description },
    { "/workbench-train/nan-pauses-playback", test_nan_pauses_playback },
    { "/workbench-train/divergence-revert", test_divergence_revert },
    { "/workbench-train/export-dynvision", test_export_dynvision },
    { "/workbench-train/trained-default-bn-mode", test_trained_default_bn_mode },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_func (cases[i].path, dv_test_have_display ? cases[i].func : skip_no_display);
  int r = g_test_run ();
  if (g_getenv ("DV_TEST_KEEP") == NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);
      (void) !system (cmd);
    }
  return r;
}
