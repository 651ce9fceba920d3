/* test-workbench-edit.c — the architecture editor in the real workbench:
 * edits validated on their field, undo/redo, apply with a rebuild that keeps
 * the weights that fit (checked against the engine thread's own model), a
 * soft change, soft and full resets, the diagram selecting areas, model
 * plugins (a good one, and one without an entry point), and Use Preset from
 * the trained default: fresh weights of the seed (every tensor equal to
 * dv_model_init_params'), or, with "Keep matching weights", the trained ones
 * that match.
 *
 * Needs a display (CI runs it under xvfb-run); skips without one.
 */
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <math.h>
#include <string.h>

#include "dv-test-gui.h"
#include "dv-architecture-page-private.h" /* the preset list, to pick from it */
#include "dv-checkpoint.h"
#include "dv-engine-thread-edit.h"
#include "dv-wb-window-train.h"
#include "dv-plot-arch.h"
#include "dv-ui.h"
#include "dv-workbench.h"

#include "dv-test-wait.h"

#define LIVE(w) dv_wb_window_get_live_page (w)

#define ARCH(w) dv_wb_window_get_architecture_page (w)

static gboolean
has_sequence (gpointer data)
{
  return dv_live_page_get_history (LIVE (data))->T > 0;
}

typedef struct {
  DvWbWindow *window;
  const char *text;
} ReportWait;

static gboolean
report_says (gpointer data)
{
  ReportWait *w = data;
  return strstr (dv_architecture_page_get_report (ARCH (w->window)), w->text) != NULL;
}

static void
wait_report (DvWbWindow *window, const char *text)
{
  ReportWait w = { window, text };
  if (!wait_for (report_says, &w, 120))
    g_error ("the report never said “%s”; it says “%s” (banner: %s)", text,
             dv_architecture_page_get_report (ARCH (window)), dv_wb_window_get_error (window));
}

/* The engine thread's own description, asked of the engine thread. */
typedef struct {
  DvModelDesc *desc;
} Described;

static void
described (const DvEditResult *r, gpointer data)
{
  ((Described *) data)->desc = dv_model_desc_copy (r->desc);
}

static gboolean
got_desc (gpointer data)
{
  return ((Described *) data)->desc != NULL;
}

static DvModelDesc *
engine_desc (DvEngineThread *engine)
{
  Described d = { NULL };
  dv_engine_thread_describe (engine, described, &d, NULL);
  g_assert_true (wait_for (got_desc, &d, 120));
  return d.desc;
}

typedef struct {
  DvWbWindow *window;
  const char *label;
} LabelWait;

/* The window shows a whole new sequence of the model with this label. */
static gboolean
sequence_done (gpointer data)
{
  LabelWait *w = data;
  DvHistory *h = dv_live_page_get_history (LIVE (w->window));
  return h->T > 0 && h->head == h->T - 1 && h->model_label != NULL
         && strstr (h->model_label, w->label) != NULL;
}

static void
test_edit_apply (void)
{
  g_autoptr (GError) error = NULL;
  DvWorkbenchOptions o = { 0 };
  DvWorkbench *wb = dv_workbench_new (NULL, &o, &error);
  g_assert_no_error (error);
  DvWbWindow *window = dv_workbench_get_window (wb);
  DvEngineThread *engine = dv_workbench_get_engine (wb);
  gtk_window_present (GTK_WINDOW (window));
  dv_wb_window_show_editor (window, TRUE);
  g_assert_true (wait_for (has_sequence, window, 120));
  DvArchEdit *e = dv_architecture_page_get_edit (ARCH (window));
  g_assert_nonnull (e);
  g_assert_false (dv_arch_edit_is_modified (e));
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (ARCH (window)), "arch.apply", NULL)
                  && dv_arch_edit_is_modified (e));

  /* an invalid value: a message on the field, nothing changes */
  guint serial = dv_arch_edit_get_serial (e);
  g_assert_false (dv_architecture_page_set_field (ARCH (window), "V1.tau", "-5", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  const char *msg = dv_architecture_page_get_field_message (ARCH (window), "V1.tau");
  g_assert_nonnull (strstr (msg, "V1.tau=-5"));
  g_assert_nonnull (strstr (msg, "> 0"));
  g_assert_cmpstr (dv_architecture_page_get_field_text (ARCH (window), "V1.tau"), ==, "-5"); /* kept, marked */
  g_assert_cmpuint (dv_arch_edit_get_serial (e), ==, serial);
  g_assert_cmpfloat (dv_arch_edit_get_desc (e)->layers[0].tau, ==, 10);

  /* a skip delay longer than the sequence on show is warned about (the live view's
   * "steps" bound to the page's "sequence-steps"), and the warning goes with the edit */
  int steps = 0;
  g_object_get (ARCH (window), "sequence-steps", &steps, NULL);
  g_assert_cmpint (steps, ==, dv_live_page_get_history (LIVE (window))->T);
  g_assert_true (dv_architecture_page_set_field (ARCH (window), "t_skip", "100", &error));
  /* that edit refreshed the page; the refused tau stays as typed, with its message, and so it
   * does when the live view's sequence changes length */
  g_assert_cmpstr (dv_architecture_page_get_field_text (ARCH (window), "V1.tau"), ==, "-5");
  g_assert_nonnull (strstr (dv_architecture_page_get_field_message (ARCH (window), "V1.tau"), "V1.tau=-5"));
  g_object_set (ARCH (window), "sequence-steps", steps + 1, NULL);
  g_object_set (ARCH (window), "sequence-steps", steps, NULL);
  g_assert_cmpstr (dv_architecture_page_get_field_text (ARCH (window), "V1.tau"), ==, "-5");
  g_autofree char *warned = NULL;
  g_object_get (ARCH (window), "warnings", &warned, NULL);
  g_assert_nonnull (strstr (warned, "nothing arrives"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (ARCH (window)), "arch.undo", NULL));
  g_autofree char *after = NULL;
  g_object_get (ARCH (window), "warnings", &after, NULL);
  g_assert_null (strstr (after != NULL ? after : "", "nothing arrives"));

  /* depthpointwise recurrence in V1, tau 20 ms; undo and redo */
  g_assert_true (dv_architecture_page_set_field (ARCH (window), "V1.recurrence_type", "depthpointwise", &error));
  /* the model-wide field no longer claims one type for every area */
  g_assert_cmpstr (dv_architecture_page_get_field_text (ARCH (window), "recurrence_type"), ==, "mixed");
  g_assert_true (dv_architecture_page_set_field (ARCH (window), "V1.tau", "20", &error));
  g_assert_cmpstr (dv_architecture_page_get_field_text (ARCH (window), "tau"), ==, "mixed");
  g_assert_no_error (error);
  g_assert_cmpstr (dv_architecture_page_get_field_message (ARCH (window), "V1.tau"), ==, "");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (ARCH (window)), "arch.undo", NULL));
  g_assert_cmpfloat (dv_arch_edit_get_desc (e)->layers[0].tau, ==, 10);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (ARCH (window)), "arch.redo", NULL));
  g_assert_cmpfloat (dv_arch_edit_get_desc (e)->layers[0].tau, ==, 20);
  g_assert_true (dv_arch_edit_needs_rebuild (e));

  /* apply: a rebuild on the engine thread that keeps what fits */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (ARCH (window)), "arch.apply", NULL));
  wait_report (window, "Rebuilt the model");
  const char *rep = dv_architecture_page_get_report (ARCH (window));
  g_test_message ("report: %s", rep);
  /* the report names what the edit changed, what it re-initialised, and what it kept */
  g_assert_nonnull (strstr (rep, "Parameters changed by the edit: V1_tstep.tau (10 → 20)"));
  g_assert_nonnull (strstr (rep, "Parameters re-initialised: V1_recurrent.recurrence.depthwise_conv.weight"));
  g_assert_nonnull (strstr (rep, "Parameters kept: V1_conv.weight"));
  g_assert_nonnull (strstr (rep, "V2_tstep.tau"));
  g_assert_false (dv_arch_edit_is_modified (e));
  g_assert_true (dv_arch_edit_can_undo (e));
  {
    g_autoptr (DvModelDesc) d = engine_desc (engine);
    g_assert_cmpint (d->layers[0].rec_type, ==, DV_REC_DEPTHPOINTWISE);
    g_assert_cmpfloat (d->layers[0].tau, ==, 20);
  }
  /* the diagram exports like the live views: image, CSV of the applied areas and skips */
  {
    g_autofree char *dir = g_dir_make_tmp ("dv-test-edit-XXXXXX", NULL);
    g_autofree char *svg = g_build_filename (dir, "architecture.svg", NULL);
    g_autofree char *csv = g_build_filename (dir, "architecture.csv", NULL);
    g_autofree char *json = g_build_filename (dir, "architecture.json", NULL);
    g_assert_true (dv_wb_window_export_view (window, "architecture", svg, 1, &error));
    g_assert_no_error (error);
    g_autofree char *text = NULL, *image = NULL;
    g_assert_true (g_file_get_contents (svg, &image, NULL, NULL));
    g_assert_nonnull (strstr (image, "<svg"));
    g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
    g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 1 + 3 + 2 + 1); /* header, V1-V3, 2 skips, "" */
    g_assert_true (g_str_has_prefix (lines[1], "area,V1,,,64,16,16,depthpointwise,2,20,"));
    g_assert_true (g_str_has_prefix (lines[4], "skip,,V1,V3,"));
    g_assert_true (g_file_test (json, G_FILE_TEST_EXISTS));
    g_unlink (svg), g_unlink (csv), g_unlink (json), g_rmdir (dir);
  }
  /* the engine runs it: a whole sequence with finite responses */
  LabelWait lw = { window, "(edited)" };
  dv_live_page_seek (LIVE (window), G_MAXINT);
  g_assert_true (wait_for (sequence_done, &lw, 120));
  DvHistory *h = dv_live_page_get_history (LIVE (window));
  int present = 0;
  int row = dv_series_find (h->means, h->T - 1);
  g_assert_cmpint (row, >=, 0);
  const float *means = dv_series_row (h->means, row);
  for (int l = 0; l < h->n_layers; l++)
    {
      float m = means[l];
      g_assert_false (isinf (m));
      present += !isnan (m);
    }
  g_assert_cmpint (present, ==, h->n_layers);

  /* a soft change: tau and the solver, every weight kept */
  g_assert_true (dv_architecture_page_set_field (ARCH (window), "tau", "15", &error));
  g_assert_true (dv_architecture_page_set_field (ARCH (window), "dynamics_solver", "rk4", &error));
  g_assert_no_error (error);
  g_assert_false (dv_arch_edit_needs_rebuild (e));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (ARCH (window)), "arch.apply", NULL));
  wait_report (window, "soft change");
  {
    g_autoptr (DvModelDesc) d = engine_desc (engine);
    g_assert_cmpfloat (d->layers[2].tau, ==, 15);
    g_assert_cmpint (d->solver, ==, DV_SOLVER_RK4);
    g_assert_cmpint (d->layers[0].rec_type, ==, DV_REC_DEPTHPOINTWISE);
  }

  /* the resets, named apart */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (ARCH (window)), "arch.soft-reset", NULL));
  wait_report (window, "Soft reset");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (ARCH (window)), "arch.full-reset", NULL));
  wait_report (window, "Full reset");
  LabelWait lw2 = { window, "fresh weights, seed 0" };
  dv_live_page_seek (LIVE (window), G_MAXINT);
  g_assert_true (wait_for (sequence_done, &lw2, 120));

  /* the full reset's seed: another seed draws other weights, seed 0 again the same ones */
  g_assert_cmpuint (dv_architecture_page_get_reset_seed (ARCH (window)), ==, 0);
  float seed0[8];
  g_assert_cmpint (h->n_layers, <=, (int) G_N_ELEMENTS (seed0));
  memcpy (seed0, dv_series_row (h->means, dv_series_find (h->means, h->T - 1)),
          sizeof (float) * h->n_layers);
  const guint64 seeds[] = { 7, 0 };
  for (guint k = 0; k < G_N_ELEMENTS (seeds); k++)
    {
      dv_architecture_page_set_reset_seed (ARCH (window), seeds[k]);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (ARCH (window)), "arch.full-reset", NULL));
      g_autofree char *said = g_strdup_printf ("(seed %" G_GUINT64_FORMAT ")", seeds[k]);
      wait_report (window, said);
      g_autofree char *label = g_strdup_printf ("fresh weights, seed %" G_GUINT64_FORMAT,
                                                seeds[k]);
      LabelWait lw3 = { window, label };
      dv_live_page_seek (LIVE (window), G_MAXINT);
      g_assert_true (wait_for (sequence_done, &lw3, 120));
      const float *m = dv_series_row (h->means, dv_series_find (h->means, h->T - 1));
      double most = 0;
      for (int l = 0; l < h->n_layers; l++)
        most = MAX (most, fabs (m[l] - seed0[l]) / (fabs (seed0[l]) + 1e-6));
      if (seeds[k] == 0)
        g_assert_cmpfloat (most, <, 1e-5);
      else
        g_assert_cmpfloat (most, >, 1e-2);
    }
  /* the model the editor applied is kept, with its undo history */
  g_assert_true (dv_arch_edit_can_undo (e));
  g_assert_false (dv_arch_edit_is_modified (e));
  g_assert_null (dv_wb_window_get_error (window));

  /* Use Preset replaces the report of the last apply: it is in the edit, not applied */
  g_assert_nonnull (strstr (dv_architecture_page_get_report (ARCH (window)), "seed 0"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (ARCH (window)), "arch.use-preset", NULL));
  g_assert_nonnull (strstr (dv_architecture_page_get_report (ARCH (window)), "not applied yet"));
  g_assert_true (dv_arch_edit_is_modified (e));
  g_assert_cmpint (dv_arch_edit_get_desc (e)->layers[0].rec_type, !=, DV_REC_DEPTHPOINTWISE);
  /* an edit not applied: closing asks instead of closing */
  g_autofree char *unsaved = dv_wb_window_describe_unsaved (window);
  g_assert_nonnull (unsaved);
  g_assert_nonnull (strstr (unsaved, "not applied"));
  gtk_window_close (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_true (dv_arch_edit_can_undo (e));
  dv_arch_edit_undo (e);
  g_assert_false (dv_arch_edit_is_modified (e));
  g_autofree char *none = dv_wb_window_describe_unsaved (window);
  g_assert_null (none);

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_plugins (void)
{
  const char *dir = g_getenv ("DV_TEST_PLUGIN_DIR");
  if (dir == NULL)
    {
      g_test_skip ("DV_TEST_PLUGIN_DIR is not set");
      return;
    }
  g_autoptr (GError) error = NULL;
  DvWorkbenchOptions o = { 0 };
  DvWorkbench *wb = dv_workbench_new (NULL, &o, &error);
  g_assert_no_error (error);
  DvWbWindow *window = dv_workbench_get_window (wb);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_for (has_sequence, window, 120));

  /* no entry point: a message in the banner, the workbench goes on */
  g_autofree char *bad = g_module_build_path (dir, "dv-noentry-plugin");
  g_assert_false (dv_wb_window_load_plugin (window, bad, &error));
  g_assert_nonnull (strstr (error->message, "dv_plugin_info"));
  g_clear_error (&error);
  g_assert_nonnull (strstr (dv_wb_window_get_error (window), "dv_plugin_info"));
  g_autofree char *old = g_module_build_path (dir, "dv-old-plugin");
  g_assert_false (dv_wb_window_load_plugin (window, old, &error));
  g_assert_nonnull (strstr (error->message, "API version"));
  g_clear_error (&error);

  /* a good one: its model is a preset of the editor, and it runs */
  g_autofree char *good = g_module_build_path (dir, "dv-test-plugin");
  g_assert_true (dv_wb_window_load_plugin (window, good, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (dv_architecture_page_get_report (ARCH (window)), "test-plugin"));
  g_auto (GStrv) names = dv_arch_edit_preset_names ();
  g_assert_true (g_strv_contains ((const char *const *) names, "TinyGated"));
  DvArchEdit *e = dv_architecture_page_get_edit (ARCH (window));
  g_assert_true (dv_arch_edit_load_preset (e, "TinyGated", &error));
  g_assert_no_error (error);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (ARCH (window)), "arch.apply", NULL));
  wait_report (window, "Rebuilt the model");
  LabelWait lw = { window, "TinyGated (edited)" };
  dv_live_page_seek (LIVE (window), G_MAXINT);
  g_assert_true (wait_for (sequence_done, &lw, 120));
  g_autoptr (DvModelDesc) d = engine_desc (dv_workbench_get_engine (wb));
  g_assert_cmpstr (d->model_class, ==, "TinyGated");

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_IS_REGULAR);
}

/* The engine's model as a checkpoint (the engine thread owns it). */
static DvSafetensors *
export_weights (DvWbWindow *window, const char *path)
{
  dv_wb_window_export_checkpoint (window, path);
  g_assert_true (wait_for (file_exists, (gpointer) path, 60));
  g_autoptr (GError) error = NULL;
  DvSafetensors *st = dv_safetensors_load (path, &error);
  g_assert_no_error (error);
  return st;
}

static gboolean
same_tensor (const DvStTensor *t, const DvParam *p)
{
  if (t == NULL || t->ndim != p->ndim || t->numel != p->numel || p->data == NULL)
    return FALSE;
  for (int d = 0; d < p->ndim; d++)
    if (t->shape[d] != p->shape[d])
      return FALSE;
  return TRUE;
}

static gboolean
same_values (const DvStTensor *t, const DvParam *p)
{
  g_autofree float *v = dv_st_tensor_to_f32 (t);
  return memcmp (v, p->data, sizeof (float) * p->numel) == 0;
}

/* Use Preset DyRCNNx4 on the trained CustomRCNN, then Apply: with "Keep matching weights"
 * off (the default) every tensor is the preset's fresh one for the seed, as
 * dv_model_init_params draws it — although some have the name and shape of a trained
 * tensor they could have been taken from; ticked, those are the trained ones. */
static void
test_use_preset_fresh (void)
{
  g_autofree char *dir = g_dir_make_tmp ("dv-test-preset-XXXXXX", NULL);
  for (int keep = 0; keep <= 1; keep++)
    {
      DvWorkbenchOptions o = { .trained_default = TRUE };
      g_autoptr (GError) error = NULL;
      DvWorkbench *wb = dv_workbench_new (NULL, &o, &error);
      g_assert_no_error (error);
      DvWbWindow *window = dv_workbench_get_window (wb);
      gtk_window_present (GTK_WINDOW (window));
      dv_wb_window_show_editor (window, TRUE);
      LabelWait trained = { window, DV_WORKBENCH_TRAINED_LABEL };
      dv_live_page_seek (LIVE (window), G_MAXINT);
      g_assert_true (wait_for (sequence_done, &trained, 120));
      g_autofree char *old_path = g_build_filename (dir, "trained.safetensors", NULL);
      g_autoptr (DvSafetensors) old = export_weights (window, old_path);

      DvArchitecturePage *page = ARCH (window);
      guint i = 0, n = g_list_model_get_n_items (G_LIST_MODEL (page->preset_names));
      while (i < n && g_strcmp0 (gtk_string_list_get_string (page->preset_names, i), "DyRCNNx4") != 0)
        i++;
      g_assert_cmpuint (i, <, n);
      gtk_drop_down_set_selected (page->preset_pick, i);
      dv_architecture_page_set_reset_seed (page, 7);
      g_object_set (page, "keep-weights", keep, NULL);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "arch.use-preset", NULL));
      const char *said = dv_architecture_page_get_report (page);
      g_assert_nonnull (strstr (said, keep ? "keeps the current model's weights whose name and shape match"
                                           : "fresh weights, seed 7"));
      /* undo takes the preset out, redo puts it back: still the preset's fresh weights */
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "arch.undo", NULL));
      guint seed = 0;
      g_assert_false (dv_architecture_page_get_fresh_apply (page, &seed));
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "arch.redo", NULL));
      g_assert_true (dv_architecture_page_get_fresh_apply (page, &seed) == !keep);
      g_assert_cmpuint (seed, ==, 7);
      g_autoptr (DvModelDesc) desc = dv_model_desc_copy (dv_arch_edit_get_desc (dv_architecture_page_get_edit (page)));
      g_assert_cmpstr (desc->model_class, ==, "DyRCNNx4");
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "arch.apply", NULL));
      wait_report (window, keep ? "Rebuilt the model" : "Built DyRCNNx4 with fresh weights, seed 7");
      LabelWait lw = { window, keep ? "DyRCNNx4 (edited)" : "DyRCNNx4 (fresh weights, seed 7)" };
      dv_live_page_seek (LIVE (window), G_MAXINT);
      g_assert_true (wait_for (sequence_done, &lw, 120));
      g_autofree char *new_path = g_build_filename (dir, "preset.safetensors", NULL);
      g_autoptr (DvSafetensors) now = export_weights (window, new_path);

      g_autoptr (DvModel) fresh = dv_model_new (desc, &error);
      g_assert_no_error (error);
      dv_model_init_params (fresh, 7);
      guint could_keep = 0, compared = 0;
      for (guint k = 0; k < dv_model_n_params (fresh); k++)
        {
          const DvParam *p = dv_model_param (fresh, k);
          if (p->data == NULL)
            continue;
          const DvStTensor *t = dv_safetensors_lookup (now, p->name);
          g_assert_true (same_tensor (t, p));
          const DvStTensor *o_t = dv_safetensors_lookup (old, p->name);
          gboolean matches_old = same_tensor (o_t, p) && !same_values (o_t, p) && p->trainable;
          could_keep += matches_old;
          compared++;
          if (keep && matches_old)
            {
              g_autofree float *a = dv_st_tensor_to_f32 (t), *b = dv_st_tensor_to_f32 (o_t);
              if (memcmp (a, b, sizeof (float) * p->numel) != 0)
                g_error ("%s: not the trained model's, though “Keep matching weights” is ticked", p->name);
            }
          else if (!keep && !same_values (t, p))
            g_error ("%s: not the fresh weights of seed 7 (%s)", p->name,
                     matches_old ? "the trained model's tensor of that name and shape"
                                 : "something else");
        }
      g_test_message ("keep=%d: %u tensors compared, %u could have come from the trained model",
                      keep, compared, could_keep);
      g_assert_cmpuint (compared, >, 0);
      g_assert_cmpuint (could_keep, >, 0); /* otherwise this test could not tell */
      g_assert_null (dv_wb_window_get_error (window));
      gtk_window_destroy (GTK_WINDOW (window));
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_unlink (old_path);
      g_unlink (new_path);
    }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  dv_test_gui_init (&argc, &argv);
  dv_test_add_gui ("/workbench-edit/edit-undo-apply-reset", test_edit_apply);
  dv_test_add_gui ("/workbench-edit/plugins", test_plugins);
  dv_test_add_gui ("/workbench-edit/use-preset-fresh-weights", test_use_preset_fresh);
  return g_test_run ();
}
