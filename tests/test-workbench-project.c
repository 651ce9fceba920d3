/* test-workbench-project.c — a training run saved in a project and shown again.
 *
 * What this is for: train two short epochs in the panel, save the project,
 * open it in a fresh window and check that the panel shows the same run:
 * every point of the loss and accuracy curves (the running mean included),
 * every value of the dynamics-over-training heatmap, its layers, epochs and
 * stimulus strip, the run folder and its checkpoints, and Revert; saved
 * again from there, the same run in its own words; then,
 * with the run folder gone, the same curves and a panel that says the
 * folder is gone (and no Revert), instead of a refusal.
 * Needs a display (xvfb-run); skips without one.
 * What this is not for: the project file's GTK-free round trip
 * (test-project.c), training itself (test-workbench-train.c).
 */
#include <gtk/gtk.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv-test-gui.h"
#include "dv-project.h"
#include "dv-training-panel-private.h" /* the info label, to read what the panel says */
#include "dv-wb-window-train.h"
#include "dv-workbench.h"

#include "dv-test-wait.h"

#define TRAIN(w) dv_wb_window_get_training_panel (w)
#define LIVE(w) dv_wb_window_get_live_page (w)

static char *tmp_dir;

static gboolean
sequence_done (gpointer data)
{
  DvHistory *h = dv_live_page_get_history (LIVE (data));
  return h->T > 0 && h->head == h->T - 1;
}

static DvWbWindow *
open_session (void)
{
  DvWorkbenchOptions o = { 0 };
  DvWorkbench *wb = dv_workbench_new (NULL, &o, NULL);
  g_assert_nonnull (wb);
  DvWbWindow *w = dv_workbench_get_window (wb);
  gtk_window_present (GTK_WINDOW (w));
  dv_live_page_seek (LIVE (w), G_MAXINT);
  g_assert_true (wait_for (sequence_done, w, 120));
  return w;
}

typedef struct {
  DvWbWindow *w;
  DvWbTrainState state;
  const char *needle;  /* and the panel's text has it, or NULL */
} PanelIs;

static gboolean
panel_is (gpointer data)
{
  PanelIs *s = data;
  DvWbTrainState now = dv_training_panel_get_state (TRAIN (s->w));
  if (now == DV_WB_TRAIN_FAILED && s->state != DV_WB_TRAIN_FAILED)
    g_error ("training failed: %s", dv_wb_window_get_error (s->w));
  return now == s->state
         && (s->needle == NULL || strstr (gtk_label_get_text (TRAIN (s->w)->info), s->needle) != NULL);
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_IS_REGULAR);
}

static gboolean
can_revert (DvWbWindow *w)
{
  gboolean can = FALSE;
  g_object_get (TRAIN (w), "can-revert", &can, NULL);
  return can;
}

/* A copy of what a panel shows. */
typedef struct {
  DvWbTrainView v;
  double *curves;   /* train_loss, val_loss, train_accuracy, val_accuracy, running ×3 */
  float *values;
  int *epochs;
  guint8 *flags;
  char **names;
  char *run_dir, *best, *last;
} Shown;

static void
shown_take (Shown *s, DvTrainingPanel *panel)
{
  g_assert_true (dv_training_panel_get_shown (panel, &s->v));
  int n = s->v.n_done, r = s->v.n_running;
  s->curves = g_new (double, 4 * n + 3 * r + 1);
  const double *src[] = { s->v.train_loss, s->v.val_loss, s->v.train_accuracy, s->v.val_accuracy,
                          s->v.running_x, s->v.running_loss, s->v.running_accuracy };
  double *dst = s->curves;
  for (int i = 0; i < 7; i++)
    {
      int len = i < 4 ? n : r;
      memcpy (dst, src[i], sizeof (double) * len);
      dst += len;
    }
  gsize nv = (gsize) s->v.n_rows * s->v.n_layers * s->v.T;
  s->values = g_memdup2 (s->v.dyn_values, sizeof (float) * MAX (nv, 1));
  s->epochs = g_memdup2 (s->v.dyn_epochs, sizeof (int) * MAX (s->v.n_rows, 1));
  s->flags = g_memdup2 (s->v.flags, MAX (s->v.T, 1));
  s->names = g_strdupv ((char **) s->v.layer_names);
  s->run_dir = g_strdup (s->v.run_dir);
  s->best = g_strdup (s->v.best_path);
  s->last = g_strdup (s->v.last_path);
}

static void
shown_clear (Shown *s)
{
  g_free (s->curves);
  g_free (s->values);
  g_free (s->epochs);
  g_free (s->flags);
  g_strfreev (s->names);
  g_free (s->run_dir);
  g_free (s->best);
  g_free (s->last);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Shown, shown_clear)

/* The panel shows exactly what `a` showed: every curve point, every heatmap value. */
static void
assert_same_run (const Shown *a, DvTrainingPanel *panel)
{
  Shown b = { 0 };
  shown_take (&b, panel);
  g_assert_cmpint (b.v.n_done, ==, a->v.n_done);
  g_assert_cmpint (b.v.n_running, ==, a->v.n_running);
  g_assert_cmpint (b.v.epochs, ==, a->v.epochs);
  g_assert_cmpmem (b.curves, sizeof (double) * (4 * b.v.n_done + 3 * b.v.n_running),
                   a->curves, sizeof (double) * (4 * a->v.n_done + 3 * a->v.n_running));
  g_assert_cmpint (b.v.n_rows, ==, a->v.n_rows);
  g_assert_cmpint (b.v.n_layers, ==, a->v.n_layers);
  g_assert_cmpint (b.v.T, ==, a->v.T);
  g_assert_cmpfloat (b.v.dt, ==, a->v.dt);
  gsize nv = (gsize) a->v.n_rows * a->v.n_layers * a->v.T;
  g_assert_cmpmem (b.values, sizeof (float) * nv, a->values, sizeof (float) * nv);
  g_assert_cmpmem (b.epochs, sizeof (int) * b.v.n_rows, a->epochs, sizeof (int) * a->v.n_rows);
  g_assert_cmpmem (b.flags, b.v.T, a->flags, a->v.T);
  g_assert_true (g_strv_equal ((const char *const *) b.names, (const char *const *) a->names));
  g_assert_cmpstr (b.run_dir, ==, a->run_dir);
  shown_clear (&b);
}

static void
test_run_saved_and_reopened (void)
{
  DvWbWindow *w = open_session ();
  g_assert_false (dv_training_panel_get_shown (TRAIN (w), &(DvWbTrainView) { 0 }));
  const char *settings[] = { "epochs=2", "train_samples=64", "batch_size=32", "lr=0.001", NULL };
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_training_panel_set_settings (TRAIN (w), settings, &error));
  gtk_widget_activate_action (GTK_WIDGET (TRAIN (w)), "train.start", NULL);
  PanelIs done = { w, DV_WB_TRAIN_DONE, NULL };
  g_assert_true (wait_for (panel_is, &done, 600));
  g_auto (Shown) saved = { 0 };
  shown_take (&saved, TRAIN (w));
  g_assert_cmpint (saved.v.n_done, ==, 2);
  g_assert_cmpint (saved.v.n_rows, ==, 3); /* before training, after each epoch */
  g_assert_cmpint (saved.v.n_running, >, 0);
  g_assert_nonnull (saved.run_dir);
  g_assert_nonnull (saved.best);
  g_assert_true (can_revert (w));

  g_autofree char *proj = g_build_filename (tmp_dir, "run.dvproj.json", NULL);
  dv_wb_window_save_project (w, proj);
  g_assert_true (wait_for (file_exists, proj, 60));
  gtk_window_destroy (GTK_WINDOW (w));

  /* a fresh window opens it: the same run, its folder and checkpoints */
  DvWbWindow *w2 = open_session ();
  g_assert_cmpint (dv_training_panel_get_state (TRAIN (w2)), ==, DV_WB_TRAIN_IDLE);
  dv_wb_window_open_project (w2, proj);
  PanelIs restored = { w2, DV_WB_TRAIN_DONE, "run.dvproj.json" };
  g_assert_true (wait_for (panel_is, &restored, 60));
  assert_same_run (&saved, TRAIN (w2));
  DvWbTrainView v;
  dv_training_panel_get_shown (TRAIN (w2), &v);
  g_assert_cmpstr (v.best_path, ==, saved.best);
  g_assert_cmpstr (v.last_path, ==, saved.last);
  g_assert_true (strstr (gtk_label_get_text (TRAIN (w2)->info), saved.run_dir) != NULL);
  g_assert_true (can_revert (w2)); /* the run's start.safetensors is there */
  g_assert_null (dv_wb_window_get_error (w2));

  /* saved again from the restored panel: the same run, in its own words */
  g_autofree char *again = g_build_filename (tmp_dir, "again.dvproj.json", NULL);
  dv_wb_window_save_project (w2, again);
  g_assert_true (wait_for (file_exists, again, 60));
  g_autoptr (DvProject) p1 = dv_project_load (proj, &error);
  g_assert_no_error (error);
  g_autoptr (DvProject) p2 = dv_project_load (again, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p1->run);
  g_assert_nonnull (p2->run);
  g_assert_cmpstr (p2->run->message, ==, p1->run->message);
  g_assert_cmpstr (p2->run->state, ==, "finished");
  g_assert_cmpstr (p2->run->folder, ==, saved.run_dir);
  /* saved.curves: train_loss, then val_loss, … */
  g_assert_cmpmem (p2->run->val_loss, sizeof (double) * p2->run->n_epochs,
                   saved.curves + saved.v.n_done, sizeof (double) * saved.v.n_done);

  /* the run folder gone: the same curves, and the panel says so */
  g_autofree char *moved = g_strconcat (saved.run_dir, "-moved", NULL);
  g_assert_cmpint (g_rename (saved.run_dir, moved), ==, 0);
  dv_wb_window_open_project (w2, proj);
  PanelIs gone = { w2, DV_WB_TRAIN_DONE, "is gone" };
  g_assert_true (wait_for (panel_is, &gone, 60));
  g_test_message ("the panel says: %s", gtk_label_get_text (TRAIN (w2)->info));
  assert_same_run (&saved, TRAIN (w2));
  dv_training_panel_get_shown (TRAIN (w2), &v);
  g_assert_null (v.best_path);
  g_assert_false (can_revert (w2));
  g_assert_null (dv_wb_window_get_error (w2));
  g_assert_cmpint (g_rename (moved, saved.run_dir), ==, 0);
  gtk_window_destroy (GTK_WINDOW (w2));
}

int
main (int argc, char **argv)
{
  tmp_dir = g_dir_make_tmp ("dv-wb-project-XXXXXX", NULL);
  /* runs go under the user data folder: keep them in the test's own */
  g_autofree char *data = g_build_filename (tmp_dir, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  dv_test_gui_init (&argc, &argv);
  dv_test_add_gui ("/workbench-project/run-saved-and-reopened", test_run_saved_and_reopened);
  int r = g_test_run ();
  if (g_getenv ("DV_TEST_KEEP") == NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);
      (void) !system (cmd);
    }
  return r;
}
