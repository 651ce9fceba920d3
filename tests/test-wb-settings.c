/* test-wb-settings.c — what the workbench remembers (app/workbench/dv-wb-settings.c).
 *
 * What this is for: the schema found from the build tree (no schema is
 * installed here, GSETTINGS_SCHEMA_DIR unset), the recent lists (newest
 * first, no copies, at most ten), a window's size carried to the next
 * window, the Open Recent submenu following what the window opens, and the
 * icons in the GResource.
 * Runs with GSETTINGS_BACKEND=memory (meson.build): never the user's settings.
 * The window cases need a display (xvfb-run) and skip without one.
 * What this is not for: the data files themselves (the data-files suite).
 */
#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "dv-test-gui.h"
#include "dv-ui.h"
#include "dv-wb-data-resources.h"
#include "dv-wb-settings.h"

static void
test_schema_found (void)
{
  g_assert_cmpstr (g_getenv ("GSETTINGS_BACKEND"), ==, "memory");
  g_autoptr (GSettings) s = dv_wb_settings_new ();
  g_assert_nonnull (s);
  g_settings_reset (s, "window-width");
  g_assert_cmpint (g_settings_get_int (s, "window-width"), ==, 1600);
  g_assert_cmpint (g_settings_get_int (s, "history-mb"), ==, 0);
}

static void
test_recent_order_and_limit (void)
{
  g_autoptr (GSettings) s = dv_wb_settings_new ();
  g_settings_reset (s, "recent-checkpoints");
  for (int i = 0; i < 12; i++)
    {
      g_autofree char *p = g_strdup_printf ("/runs/m%d.safetensors", i);
      dv_wb_settings_add_recent (s, "recent-checkpoints", p);
    }
  dv_wb_settings_add_recent (s, "recent-checkpoints", "/runs/m5.safetensors");
  g_auto (GStrv) got = g_settings_get_strv (s, "recent-checkpoints");
  g_assert_cmpuint (g_strv_length (got), ==, DV_WB_RECENT_MAX);
  g_assert_cmpstr (got[0], ==, "/runs/m5.safetensors");
  g_assert_cmpstr (got[1], ==, "/runs/m11.safetensors");
  g_assert_cmpstr (got[9], ==, "/runs/m2.safetensors"); /* m0, m1 dropped; m5 moved up */
  for (int i = 1; i < 10; i++)
    g_assert_cmpstr (got[i], !=, "/runs/m5.safetensors");
  dv_wb_settings_remove_recent (s, "recent-checkpoints", "/runs/m11.safetensors");
  g_auto (GStrv) after = g_settings_get_strv (s, "recent-checkpoints");
  g_assert_cmpuint (g_strv_length (after), ==, 9);
  g_assert_cmpstr (after[1], ==, "/runs/m10.safetensors");
}

static void
spin (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_window_size_remembered (void)
{
  g_autoptr (GSettings) s = dv_wb_settings_new ();
  g_settings_reset (s, "window-width");
  g_settings_reset (s, "window-height");
  DvWbWindow *a = dv_wb_window_new (NULL);
  dv_wb_settings_attach (s, a, TRUE);
  int w = 0, h = 0;
  gtk_window_get_default_size (GTK_WINDOW (a), &w, &h);
  g_assert_cmpint (w, ==, 1600);
  g_assert_cmpint (h, ==, 1000);
  gtk_window_set_default_size (GTK_WINDOW (a), 1234, 777);
  g_assert_cmpint (g_settings_get_int (s, "window-width"), ==, 1234);
  g_assert_cmpint (g_settings_get_int (s, "window-height"), ==, 777);
  gtk_window_destroy (GTK_WINDOW (a));
  spin ();

  DvWbWindow *b = dv_wb_window_new (NULL);
  dv_wb_settings_attach (s, b, TRUE);
  gtk_window_get_default_size (GTK_WINDOW (b), &w, &h);
  g_assert_cmpint (w, ==, 1234);
  g_assert_cmpint (h, ==, 777);
  gtk_window_destroy (GTK_WINDOW (b));

  /* an unattended window keeps the template's size */
  DvWbWindow *c = dv_wb_window_new (NULL);
  dv_wb_settings_attach (s, c, FALSE);
  gtk_window_get_default_size (GTK_WINDOW (c), &w, &h);
  g_assert_cmpint (w, ==, 1600);
  gtk_window_destroy (GTK_WINDOW (c));
  spin ();
  g_settings_reset (s, "window-width");
  g_settings_reset (s, "window-height");
}

/* The target of item i of the menu's section sec, or NULL. */
static char *
recent_target (GMenuModel *menu, int sec, int i)
{
  if (sec >= g_menu_model_get_n_items (menu))
    return NULL;
  g_autoptr (GMenuModel) section = g_menu_model_get_item_link (menu, sec, G_MENU_LINK_SECTION);
  if (section == NULL || i >= g_menu_model_get_n_items (section))
    return NULL;
  g_autoptr (GVariant) v = g_menu_model_get_item_attribute_value (section, i, G_MENU_ATTRIBUTE_TARGET,
                                                                  G_VARIANT_TYPE_STRING);
  return v != NULL ? g_variant_dup_string (v, NULL) : NULL;
}

static void
test_open_recent_menu (void)
{
  g_autoptr (GSettings) s = dv_wb_settings_new ();
  g_settings_reset (s, "recent-checkpoints");
  g_settings_reset (s, "recent-projects");
  g_settings_reset (s, "last-dataset");
  DvWbWindow *win = dv_wb_window_new (NULL);
  dv_wb_settings_attach (s, win, FALSE);
  GMenuModel *menu = dv_wb_settings_get_recent_menu (win);
  g_assert_nonnull (menu);
  /* empty: one insensitive line */
  g_assert_cmpint (g_menu_model_get_n_items (menu), ==, 1);

  g_autofree char *dir = g_dir_make_tmp ("dv-recent-XXXXXX", NULL);
  g_autofree char *ckpt = g_build_filename (dir, "a.safetensors", NULL);
  g_autofree char *proj = g_build_filename (dir, "b.dvproj.json", NULL);
  g_signal_emit_by_name (win, "open-checkpoint", ckpt);
  g_signal_emit_by_name (win, "save-project", proj);
  g_signal_emit_by_name (win, "open-dataset", "folder:/stimuli");
  g_autofree char *last = g_settings_get_string (s, "last-dataset");
  g_assert_cmpstr (last, ==, "folder:/stimuli");
  g_autofree char *t0 = recent_target (menu, 0, 0);
  g_autofree char *t1 = recent_target (menu, 1, 0);
  g_assert_cmpstr (t0, ==, ckpt);
  g_assert_cmpstr (t1, ==, proj);

  /* a recent file that is gone: the banner says so and the list forgets it */
  g_assert_null (dv_wb_window_get_error (win));
  gtk_widget_activate_action (GTK_WIDGET (win), "win.open-recent", "s", ckpt);
  g_assert_nonnull (dv_wb_window_get_error (win));
  g_auto (GStrv) left = g_settings_get_strv (s, "recent-checkpoints");
  g_assert_cmpuint (g_strv_length (left), ==, 0);
  g_assert_cmpint (g_menu_model_get_n_items (menu), ==, 1); /* the projects' section */
  gtk_window_destroy (GTK_WINDOW (win));
  spin ();
  g_rmdir (dir);
  g_settings_reset (s, "recent-projects");
  g_settings_reset (s, "last-dataset");
}

/* The About dialog's and the window's icon, installed or not: GtkApplication adds
 * /org/dynvision/Workbench/icons (its resource base path) to the icon theme. */
static void
test_icons_in_resource (void)
{
  dv_wb_data_register_resource ();
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gdk_display_get_default ());
  gtk_icon_theme_add_resource_path (theme, "/org/dynvision/Workbench/icons");
  g_assert_true (gtk_icon_theme_has_icon (theme, "org.dynvision.Workbench"));
  g_assert_true (gtk_icon_theme_has_icon (theme, "org.dynvision.Workbench-symbolic"));
}

int
main (int argc, char **argv)
{
  dv_test_gui_init (&argc, &argv);
  g_test_add_func ("/wb-settings/schema-found-uninstalled", test_schema_found);
  g_test_add_func ("/wb-settings/recent/order-and-limit", test_recent_order_and_limit);
  dv_test_add_gui ("/wb-settings/window/size-remembered", test_window_size_remembered);
  dv_test_add_gui ("/wb-settings/window/open-recent-menu", test_open_recent_menu);
  dv_test_add_gui ("/wb-settings/icons-in-resource", test_icons_in_resource);
  return g_test_run ();
}
