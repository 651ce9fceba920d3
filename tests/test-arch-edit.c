/* test-arch-edit.c — the architecture editor's logic, without a display:
 * paths, validation messages, structure edits, presets (built-in and from a
 * plugin), undo/redo, soft vs rebuild, and that an edited description builds
 * a model that keeps the weights that still fit. */
#include "dynvision.h"

#include <math.h>
#include <string.h>

static DvModelDesc *
default_desc (void)
{
  g_autoptr (GError) error = NULL;
  const char *kw[] = { "input_dims=[20,3,32,32]", "n_classes=10", "dt=2", "tau=10", "t_feedforward=2",
                       "t_recurrence=2", "use_skip_connections=true" };
  g_autoptr (DvJson) kwargs = dv_kwargs_parse (kw, G_N_ELEMENTS (kw), &error);
  g_assert_no_error (error);
  DvModelDesc *d = dv_preset_build ("CustomRCNN", kwargs, &error);
  g_assert_no_error (error);
  return d;
}

static DvArchEdit *
new_edit (void)
{
  g_autoptr (DvModelDesc) d = default_desc ();
  return dv_arch_edit_new (d);
}

static void
assert_get (DvArchEdit *e, const char *path, const char *want)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *v = dv_arch_edit_get (e, path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (v, ==, want);
}

static void
test_paths (void)
{
  g_autoptr (DvArchEdit) e = new_edit ();
  g_autoptr (GError) error = NULL;
  assert_get (e, "V1.recurrence_type", "full");
  assert_get (e, "tau", "10");
  assert_get (e, "dt", "2");
  assert_get (e, "dynamics_solver", "euler");
  assert_get (e, "V1.channels", "64");
  assert_get (e, "V1.kernel", "7");
  assert_get (e, "skip.V1->V3.delay", "2");
  g_assert_true (dv_arch_edit_set (e, "V1.recurrence_type", "depthpointwise", &error));
  g_assert_no_error (error);
  g_assert_true (dv_arch_edit_set (e, "V1.tau", "20", &error));
  g_assert_no_error (error);
  const DvModelDesc *d = dv_arch_edit_get_desc (e);
  g_assert_cmpint (d->layers[0].rec_type, ==, DV_REC_DEPTHPOINTWISE);
  g_assert_cmpfloat (d->layers[0].tau, ==, 20);
  g_assert_cmpfloat (d->layers[1].tau, ==, 10);
  /* the model-wide fields say what every area runs, or "mixed" when an area differs */
  assert_get (e, "tau", "mixed");
  assert_get (e, "recurrence_type", "mixed");
  assert_get (e, "t_feedforward", "2");
  /* model-wide tau sets every area; aliases work */
  g_assert_true (dv_arch_edit_set (e, "tau", "15", &error));
  assert_get (e, "tau", "15");
  d = dv_arch_edit_get_desc (e); /* every edit replaces the description: the old pointer is freed */
  for (int i = 0; i < d->n_layers; i++)
    g_assert_cmpfloat (d->layers[i].tau, ==, 15);
  g_assert_true (dv_arch_edit_set (e, "solver", "RK4", &error));
  g_assert_cmpint (dv_arch_edit_get_desc (e)->solver, ==, DV_SOLVER_RK4);
  g_assert_true (dv_arch_edit_set (e, "skip.V1->V3.integration", "multiplicative", &error));
  g_assert_true (dv_arch_edit_set (e, "skip.V1->V3.delay", "4", &error));
  assert_get (e, "skip.V1->V3.delay", "4");
  g_assert_true (dv_arch_edit_set (e, "t_skip", "6", &error));
  assert_get (e, "skip.V1->V3.delay", "6");
  assert_get (e, "skip.V2->V3.delay", "6");
  g_assert_true (dv_arch_edit_set (e, "idle_timesteps", "3", &error));
  g_assert_true (dv_arch_edit_set (e, "feedforward_only", "yes", &error));
  g_assert_true (dv_arch_edit_get_desc (e)->feedforward_only);
  g_assert_no_error (error);
}

/* Every refused edit names the path and the value, says why and what fits,
 * and changes nothing. */
static void
test_refused (void)
{
  g_autoptr (DvArchEdit) e = new_edit ();
  g_autoptr (DvJson) before = dv_model_desc_to_json (dv_arch_edit_get_desc (e));
  g_autofree char *sb = dv_json_to_string (before, FALSE);
  static const struct {
    const char *path, *value, *says;
  } bad[] = {
    { "V1.tau", "-3", "V1.tau=-3: give a time in ms, a number > 0" },
    { "V1.tau", "abc", "V1.tau=abc: not a number" },
    { "dt", "0", "dt=0: give a time in ms, a number > 0" },
    { "V1.recurrence_type", "sideways", "depthpointwise" },
    { "V1.recurrence_target", "middle", "two-stage" },
    { "V1.channels", "10", "square" }, /* only with local recurrence, set below */
    { "V9.tau", "10", "V1, V2, V3" },
    { "V1.colour", "red", "recurrence_type" },
    { "skip.V3->V1.delay", "2", "no skip connection" },
    { "dynamics_solver", "leapfrog", "euler, rk4" },
    { "V3.kernel", "99", "use a kernel ≤ 4" },
    { "V1.name", "V2", "unique" },
    { "skip.V1->V3.target", "V1", "forward" },
    { "idle_timesteps", "-1", "idle_timesteps=-1: give a whole number from 0 to" },
    { "skip.V1->V3.delay", "-2", "skip.V1->V3.delay=-2: give a time in ms, a number from 0" },
    { "V1.tau", "20x", "V1.tau=20x: not a number" },
    { "V1.tau", "nan", "V1.tau=nan" },
    { "V1.tau", "inf", "V1.tau=inf" },
    { "V1.channels", "3.5", "V1.channels=3.5: not a whole number" },
    { "feedforward_only", "maybe", "true or false" },
    { "skip.V1->V3.integration", "sideways", "additive or multiplicative" },
  };
  g_autoptr (GError) error = NULL;
  g_assert_true (dv_arch_edit_set (e, "V1.recurrence_type", "local", &error));
  g_assert_no_error (error);
  g_autoptr (DvJson) local = dv_model_desc_to_json (dv_arch_edit_get_desc (e));
  g_autofree char *sl = dv_json_to_string (local, FALSE);
  guint serial = dv_arch_edit_get_serial (e);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) err = NULL;
      g_assert_false (dv_arch_edit_set (e, bad[i].path, bad[i].value, &err));
      g_assert_nonnull (err);
      if (g_test_verbose ())
        g_printerr ("%s = %s: %s\n", bad[i].path, bad[i].value, err->message);
      g_assert_nonnull (strstr (err->message, bad[i].says));
      g_assert_cmpuint (dv_arch_edit_get_serial (e), ==, serial);
      g_autoptr (DvJson) now = dv_model_desc_to_json (dv_arch_edit_get_desc (e));
      g_autofree char *sn = dv_json_to_string (now, FALSE);
      g_assert_cmpstr (sn, ==, sl);
    }
  /* the shape message names the path and value it refused */
  g_autoptr (GError) err = NULL;
  g_assert_false (dv_arch_edit_set (e, "V3.kernel", "99", &err));
  g_assert_nonnull (strstr (err->message, "V3.kernel = 99"));
  g_clear_error (&err);
  g_assert_false (dv_arch_edit_set (e, "V3.stride", "16", &err));
  g_assert_nonnull (strstr (err->message, "V3.stride = 16 is refused"));
  g_assert_true (dv_arch_edit_undo (e));
  g_autoptr (DvJson) back = dv_model_desc_to_json (dv_arch_edit_get_desc (e));
  g_autofree char *sback = dv_json_to_string (back, FALSE);
  g_assert_cmpstr (sback, ==, sb);
}

static void
test_undo_redo (void)
{
  g_autoptr (DvArchEdit) e = new_edit ();
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_arch_edit_can_undo (e));
  g_assert_true (dv_arch_edit_set (e, "V1.tau", "20", &error));
  g_assert_true (dv_arch_edit_set (e, "V2.recurrence_type", "self", &error));
  g_assert_cmpstr (dv_arch_edit_undo_label (e), ==, "V2.recurrence_type = self");
  g_assert_true (dv_arch_edit_undo (e));
  assert_get (e, "V2.recurrence_type", "full");
  assert_get (e, "V1.tau", "20");
  g_assert_true (dv_arch_edit_can_redo (e));
  g_assert_true (dv_arch_edit_undo (e));
  assert_get (e, "V1.tau", "10");
  g_assert_false (dv_arch_edit_undo (e));
  g_assert_true (dv_arch_edit_redo (e));
  assert_get (e, "V1.tau", "20");
  /* a new edit drops what could be redone */
  g_assert_true (dv_arch_edit_set (e, "dt", "1", &error));
  g_assert_false (dv_arch_edit_can_redo (e));
  g_assert_true (dv_arch_edit_undo (e));
  g_assert_true (dv_arch_edit_redo (e));
  assert_get (e, "dt", "1");
  g_assert_no_error (error);
}

static void
test_structure (void)
{
  g_autoptr (DvArchEdit) e = new_edit ();
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_assert_true (dv_arch_edit_add_area (e, 3, &name, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "V4");
  const DvModelDesc *d = dv_arch_edit_get_desc (e);
  g_assert_cmpint (d->n_layers, ==, 4);
  g_assert_cmpstr (d->layers[3].name, ==, "V4");
  g_assert_cmpstr (d->layers[3].tstep_name, ==, "V4_tstep");
  g_assert_true (dv_arch_edit_set (e, "V4.channels", "32", &error));
  g_assert_no_error (error);
  g_assert_true (dv_arch_edit_add_conn (e, DV_CONN_FEEDBACK, "V4", "V1", &error));
  g_assert_no_error (error);
  g_assert_true (dv_arch_edit_set (e, "feedback.V4->V1.delay", "10", &error));
  g_assert_true (dv_arch_edit_set (e, "feedback.V4->V1.integration", "multiplicative", &error));
  g_assert_no_error (error);
  d = dv_arch_edit_get_desc (e);
  gboolean slot = FALSE;
  for (guint i = 0; i < d->operations->len; i++)
    slot |= g_str_equal (g_ptr_array_index (d->operations, i), "addfeedback");
  g_assert_true (slot);
  g_assert_cmpint (d->conns[d->n_conns - 1].delay_index, ==, 5);
  /* a skip must go forward */
  g_assert_false (dv_arch_edit_add_conn (e, DV_CONN_SKIP, "V3", "V1", &error));
  g_assert_nonnull (strstr (error->message, "forward"));
  g_clear_error (&error);
  /* rename follows into connections */
  g_assert_true (dv_arch_edit_set (e, "V4.name", "IT", &error));
  g_assert_no_error (error);
  assert_get (e, "feedback.IT->V1.delay", "10");
  /* reorder: moving V3 before V2 still fits (same channels) */
  g_assert_true (dv_arch_edit_move_area (e, "IT", -1, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (dv_arch_edit_get_desc (e)->layers[2].name, ==, "IT");
  g_assert_true (dv_arch_edit_undo (e));
  /* V2 after V3 breaks the skips into V3 */
  g_assert_false (dv_arch_edit_move_area (e, "V2", +1, &error));
  g_assert_nonnull (strstr (error->message, "move area V2 to position 3 is refused: connection"));
  g_clear_error (&error);
  g_assert_false (dv_arch_edit_move_area (e, "V1", -1, &error));
  g_assert_nonnull (strstr (error->message, "first"));
  g_clear_error (&error);
  /* removing an area drops its connections */
  int before = dv_arch_edit_get_desc (e)->n_conns;
  g_assert_true (dv_arch_edit_remove_area (e, "IT", &error));
  g_assert_no_error (error);
  g_assert_cmpint (dv_arch_edit_get_desc (e)->n_conns, ==, before - 1);
  g_assert_true (dv_arch_edit_remove_conn (e, DV_CONN_SKIP, "V1", "V3", &error));
  g_assert_false (dv_arch_edit_remove_conn (e, DV_CONN_SKIP, "V1", "V3", &error));
  g_clear_error (&error);
  while (dv_arch_edit_get_desc (e)->n_layers > 1)
    g_assert_true (dv_arch_edit_remove_area (e, dv_arch_edit_get_desc (e)->layers[0].name, &error));
  g_assert_false (dv_arch_edit_remove_area (e, dv_arch_edit_get_desc (e)->layers[0].name, &error));
  g_assert_nonnull (strstr (error->message, "only area"));
  g_clear_error (&error);
  /* every step can be undone back to the start */
  while (dv_arch_edit_undo (e))
    ;
  g_assert_cmpint (dv_arch_edit_get_desc (e)->n_layers, ==, 3);
  g_assert_false (dv_arch_edit_is_modified (e));
}

static void
test_presets (void)
{
  g_autoptr (DvArchEdit) e = new_edit ();
  g_auto (GStrv) names = dv_arch_edit_preset_names ();
  const char *want[] = { "CustomRCNN", "DyRCNNx2", "DyRCNNx4", "DyRCNNx8", "CorNetRT", "CordsNet" };
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_assert_true (g_strv_contains ((const char *const *) names, want[i]));
      g_autoptr (GError) error = NULL;
      g_assert_true (dv_arch_edit_load_preset (e, want[i], &error));
      g_assert_no_error (error);
      const DvModelDesc *d = dv_arch_edit_get_desc (e);
      g_assert_cmpstr (d->model_class, ==, want[i]);
      g_assert_cmpint (d->in_h, ==, 32);
      g_assert_cmpint (d->n_classes, ==, 10);
    }
  g_autoptr (GError) error = NULL;
  g_assert_false (dv_arch_edit_load_preset (e, "NoSuchNet", &error));
  g_assert_nonnull (strstr (error->message, "DyRCNNx4"));
  g_assert_true (dv_arch_edit_undo (e));
  g_assert_cmpstr (dv_arch_edit_get_desc (e)->model_class, ==, "CorNetRT");
}

/* Soft changes (tau, dt, solver, delays within the history) versus a
 * rebuild, and the rebuilt model keeps every weight that still fits. */
static void
test_apply (void)
{
  g_autoptr (DvModelDesc) base = default_desc ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DvModel) old = dv_model_new (base, &error);
  g_assert_no_error (error);
  dv_model_init_params (old, 7);
  g_autoptr (DvArchEdit) e = dv_arch_edit_new (dv_model_get_desc (old));
  g_assert_false (dv_arch_edit_is_modified (e));
  g_assert_true (dv_arch_edit_set (e, "V2.tau", "20", &error));
  g_assert_true (dv_arch_edit_set (e, "solver", "rk4", &error));
  g_assert_true (dv_arch_edit_is_modified (e));
  g_assert_false (dv_arch_edit_needs_rebuild (e));
  g_assert_true (dv_arch_edit_set (e, "V1.recurrence_type", "depthpointwise", &error));
  g_assert_true (dv_arch_edit_needs_rebuild (e));
  g_autoptr (DvModel) fresh = dv_model_new (dv_arch_edit_get_desc (e), &error);
  g_assert_no_error (error);
  dv_model_init_params (fresh, 1);
  DvTransferReport rep = { 0 };
  dv_model_transfer_weights (fresh, old, &rep);
  g_assert_cmpuint (dv_transfer_report_count (&rep, DV_TRANSFER_KEPT, FALSE), >, 10);
  g_assert_cmpuint (dv_transfer_report_count (&rep, DV_TRANSFER_REINITIALISED, FALSE), >, 0);
  for (guint i = 0; i < rep.items->len; i++)
    {
      const DvTransferItem *it = g_ptr_array_index (rep.items, i);
      if (it->fate == DV_TRANSFER_REINITIALISED || it->fate == DV_TRANSFER_DROPPED)
        g_assert_nonnull (strstr (it->name, "V1"));
    }
  /* V2's tau is the edited one, not the old model's */
  g_assert_cmpint (dv_transfer_report_find (&rep, "V2_tstep.tau")->fate, ==, DV_TRANSFER_CHANGED);
  g_assert_cmpfloat (dv_model_lookup (fresh, "V2_tstep.tau")->data[0], ==, 20.0f);
  dv_transfer_report_clear (&rep);
  dv_arch_edit_set_applied (e, dv_model_get_desc (fresh), FALSE);
  g_assert_false (dv_arch_edit_is_modified (e));
  g_assert_true (dv_arch_edit_can_undo (e));
  /* a model changed from outside restarts the edit */
  dv_arch_edit_set_applied (e, base, TRUE);
  g_assert_false (dv_arch_edit_can_undo (e));
  assert_get (e, "V1.recurrence_type", "full");
}

static void
test_plugin_presets (void)
{
  const char *dir = g_getenv ("DV_TEST_PLUGIN_DIR");
  if (dir == NULL)
    {
      g_test_skip ("DV_TEST_PLUGIN_DIR is not set");
      return;
    }
  g_autofree char *path = g_module_build_path (dir, "dv-test-plugin");
  g_autoptr (GError) error = NULL;
  g_assert_nonnull (dv_plugin_load (path, &error));
  g_assert_no_error (error);
  g_auto (GStrv) names = dv_arch_edit_preset_names ();
  g_assert_true (g_strv_contains ((const char *const *) names, "TinyGated"));
  g_autoptr (DvArchEdit) e = new_edit ();
  g_assert_true (dv_arch_edit_load_preset (e, "TinyGated", &error));
  g_assert_no_error (error);
  g_assert_true (dv_arch_edit_set (e, "tau", "20", &error));
  g_assert_no_error (error);
  g_autoptr (DvModel) m = dv_model_new (dv_arch_edit_get_desc (e), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dv_preset_plugin (dv_model_get_desc (m)->model_class), ==, "test-plugin");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/arch-edit/paths", test_paths);
  g_test_add_func ("/arch-edit/refused-edits-change-nothing", test_refused);
  g_test_add_func ("/arch-edit/undo-redo", test_undo_redo);
  g_test_add_func ("/arch-edit/areas-and-connections", test_structure);
  g_test_add_func ("/arch-edit/presets", test_presets);
  g_test_add_func ("/arch-edit/apply-soft-or-rebuild", test_apply);
  g_test_add_func ("/arch-edit/plugin-presets", test_plugin_presets);
  return g_test_run ();
}
