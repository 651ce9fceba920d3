/* test-plugin.c — plugins: a module bringing a preset and an operation
 * loads, its model runs, trains (BPTT through the plugin's op) and
 * checkpoints record the plugin; modules without the entry point or built
 * for another API version are refused with messages that say so. */
#include "dynvision.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static char *
plugin_path (const char *name)
{
  const char *dir = g_getenv ("DV_TEST_PLUGIN_DIR");
  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

static void
test_load_and_use (void)
{
  g_autofree char *path = plugin_path ("libdv-test-plugin.so");
  g_autoptr (GError) error = NULL;
  const DvPluginInfo *info = dv_plugin_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "test-plugin");
  g_assert_true (dv_plugin_load (path, &error) == info); /* once per path */

  gboolean listed = FALSE;
  for (const char *const *n = dv_preset_names (); *n; n++)
    listed |= strcmp (*n, "TinyGated") == 0;
  g_assert_true (listed);
  g_assert_cmpstr (dv_preset_plugin ("TinyGated"), ==, "test-plugin");

  const char *kv[] = { "input_dims=[4,3,16,16]", "n_classes=5", NULL };
  g_autoptr (DvJson) k = dv_kwargs_parse (kv, 2, &error);
  g_autoptr (DvModelDesc) d = dv_preset_build ("TinyGated", k, &error);
  g_assert_no_error (error);
  g_autoptr (DvModel) m = dv_model_new (d, &error);
  g_assert_no_error (error);
  dv_model_init_params (m, 1);
  DvParam *w = dv_model_lookup (m, "plugin_gate_layer1.w");
  g_assert_nonnull (w);
  g_assert_cmpfloat (w->data[0], ==, 1.0f);

  int B = 2, T = 4;
  gsize xn = (gsize) B * T * 3 * 16 * 16;
  g_autofree float *x = g_new (float, xn);
  for (gsize i = 0; i < xn; i++)
    x[i] = (float) ((i * 7919) % 97) / 97.0f - 0.5f;
  gint64 labels[8] = { 0, 1, 2, 3, 4, 0, 1, 2 };
  double loss;
  g_assert_true (dv_eval_loss_grad (m, x, labels, B, T, FALSE, &loss, NULL, &error));
  double gsum = 0;
  for (gint64 i = 0; i < w->numel; i++)
    gsum += fabs (w->grad[i]);
  g_assert_cmpfloat (gsum, >, 0); /* BPTT reached the plugin's parameters */

  g_autofree char *dir = g_dir_make_tmp ("dv-plugin-XXXXXX", &error);
  g_autofree char *ck = g_build_filename (dir, "m.safetensors", NULL);
  g_assert_true (dv_checkpoint_save (m, ck, NULL, &error));
  g_autoptr (DvSafetensors) st = dv_safetensors_load (ck, &error);
  g_assert_cmpstr (dv_safetensors_metadata (st, "dynvision.plugin"), ==, "test-plugin");
  g_autoptr (DvModel) m2 = dv_checkpoint_load (ck, NULL, &error);
  g_assert_no_error (error);
  g_unlink (ck);
  g_rmdir (dir);
}

static void
test_refused (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *noentry = plugin_path ("libdv-noentry-plugin.so");
  g_assert_null (dv_plugin_load (noentry, &error));
  g_assert_error (error, DV_PLUGIN_ERROR, DV_PLUGIN_ERROR_ENTRY);
  g_assert_nonnull (strstr (error->message, "dv_plugin_info"));
  g_clear_error (&error);

  g_autofree char *old = plugin_path ("libdv-old-plugin.so");
  g_assert_null (dv_plugin_load (old, &error));
  g_assert_error (error, DV_PLUGIN_ERROR, DV_PLUGIN_ERROR_VERSION);
  g_assert_nonnull (strstr (error->message, "rebuild"));
  g_clear_error (&error);

  g_assert_null (dv_plugin_load ("/nonexistent/plugin.so", &error));
  g_assert_error (error, DV_PLUGIN_ERROR, DV_PLUGIN_ERROR_OPEN);
}

static void
test_checkpoint_without_plugin (void)
{
  /* A checkpoint naming a plugin model that is not loaded says which plugin to load. */
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dv-plugin-XXXXXX", &error);
  g_autofree char *ck = g_build_filename (dir, "m.safetensors", NULL);
  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  float v = 1;
  dv_safetensors_writer_add (w, "x", DV_DTYPE_F32, 0, NULL, &v);
  dv_safetensors_writer_set_metadata (w, "dynvision.model", "SomeoneElsesNet");
  dv_safetensors_writer_set_metadata (w, "dynvision.config", "{}");
  dv_safetensors_writer_set_metadata (w, "dynvision.plugin", "elsewhere");
  g_assert_true (dv_safetensors_writer_save (w, ck, &error));
  g_assert_null (dv_checkpoint_load (ck, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "elsewhere"));
  g_assert_nonnull (strstr (error->message, "--plugin"));
  g_unlink (ck);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plugin/load-run-train-checkpoint", test_load_and_use);
  g_test_add_func ("/plugin/refused", test_refused);
  g_test_add_func ("/plugin/checkpoint-without-plugin", test_checkpoint_without_plugin);
  return g_test_run ();
}
