/* dv-wb-settings.c — what the workbench remembers between runs (see dv-wb-settings.h). */
#include "dv-wb-settings.h"

#include <glib/gi18n-lib.h>

#include "dv-config.h"

/* Every key this file reads: an older schema without one of them is skipped
 * for the build tree's (reading a missing key aborts). */
static const char *const keys[] = {
  "window-width", "window-height", "window-maximized", "recent-checkpoints",
  "recent-projects", "last-dataset", "history-mb", NULL,
};

static GSettingsSchema *
lookup_complete (GSettingsSchemaSource *source)
{
  if (source == NULL)
    return NULL;
  GSettingsSchema *schema = g_settings_schema_source_lookup (source, DV_WB_SETTINGS_SCHEMA, TRUE);
  for (int i = 0; schema != NULL && keys[i] != NULL; i++)
    if (!g_settings_schema_has_key (schema, keys[i]))
      g_clear_pointer (&schema, g_settings_schema_unref);
  return schema;
}

GSettings *
dv_wb_settings_new (void)
{
  GSettingsSchemaSource *installed = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = lookup_complete (installed);
  if (schema == NULL
      && g_file_test (DV_UNINSTALLED_SCHEMA_DIR "/gschemas.compiled", G_FILE_TEST_IS_REGULAR))
    {
      /* run from the build tree: the schema meson compiled there */
      g_autoptr (GSettingsSchemaSource) build =
        g_settings_schema_source_new_from_directory (DV_UNINSTALLED_SCHEMA_DIR, installed,
                                                     FALSE, NULL);
      schema = lookup_complete (build);
    }
  if (schema == NULL)
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

void
dv_wb_settings_add_recent (GSettings *settings, const char *key, const char *path)
{
  g_return_if_fail (G_IS_SETTINGS (settings) && key != NULL && path != NULL);
  g_auto (GStrv) old = g_settings_get_strv (settings, key);
  g_autoptr (GPtrArray) list = g_ptr_array_new ();
  g_ptr_array_add (list, (gpointer) path);
  for (int i = 0; old[i] != NULL && list->len < DV_WB_RECENT_MAX; i++)
    if (g_strcmp0 (old[i], path) != 0)
      g_ptr_array_add (list, old[i]);
  g_ptr_array_add (list, NULL);
  g_settings_set_strv (settings, key, (const char *const *) list->pdata);
}

void
dv_wb_settings_remove_recent (GSettings *settings, const char *key, const char *path)
{
  g_return_if_fail (G_IS_SETTINGS (settings) && key != NULL && path != NULL);
  g_auto (GStrv) old = g_settings_get_strv (settings, key);
  g_autoptr (GPtrArray) list = g_ptr_array_new ();
  for (int i = 0; old[i] != NULL; i++)
    if (g_strcmp0 (old[i], path) != 0)
      g_ptr_array_add (list, old[i]);
  g_ptr_array_add (list, NULL);
  g_settings_set_strv (settings, key, (const char *const *) list->pdata);
}

/* ---- the Open Recent submenu -------------------------------------------------------- */

/* The submenu whose item says dv-role "recent", in model or its sections. */
static GMenu *
find_recent_in_model (GMenuModel *model)
{
  for (int i = 0; model != NULL && i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *role = NULL;
      g_autoptr (GMenuModel) sub = g_menu_model_get_item_link (model, i, G_MENU_LINK_SUBMENU);
      if (g_menu_model_get_item_attribute (model, i, "dv-role", "s", &role)
          && g_str_equal (role, "recent") && G_IS_MENU (sub))
        return G_MENU (sub);
      g_autoptr (GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);
      GMenu *found = find_recent_in_model (section);
      if (found == NULL)
        found = find_recent_in_model (sub);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The main menu is the template's; its menu button is found in the widget tree. */
static GMenu *
find_recent_in_widget (GtkWidget *widget)
{
  if (GTK_IS_MENU_BUTTON (widget))
    {
      GMenu *found = find_recent_in_model (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget)));
      if (found != NULL)
        return found;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GMenu *found = find_recent_in_widget (c);
      if (found != NULL)
        return found;
    }
  return NULL;
}

GMenuModel *
dv_wb_settings_get_recent_menu (DvWbWindow *window)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (window), NULL);
  return g_object_get_data (G_OBJECT (window), "dv-recent-menu");
}

static GMenu *
recent_section (GSettings *settings, const char *key)
{
  GMenu *section = g_menu_new ();
  g_auto (GStrv) paths = g_settings_get_strv (settings, key);
  for (int i = 0; paths[i] != NULL; i++)
    {
      g_autofree char *base = g_path_get_basename (paths[i]);
      g_autoptr (GMenuItem) item = g_menu_item_new (base, NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-recent",
                                               g_variant_new_string (paths[i]));
      g_menu_append_item (section, item);
    }
  return section;
}

static void
fill_recent (GSettings *settings, GMenu *menu)
{
  g_menu_remove_all (menu);
  g_autoptr (GMenu) checkpoints = recent_section (settings, "recent-checkpoints");
  g_autoptr (GMenu) projects = recent_section (settings, "recent-projects");
  if (g_menu_model_get_n_items (G_MENU_MODEL (checkpoints)) > 0)
    g_menu_append_section (menu, NULL, G_MENU_MODEL (checkpoints));
  if (g_menu_model_get_n_items (G_MENU_MODEL (projects)) > 0)
    g_menu_append_section (menu, NULL, G_MENU_MODEL (projects));
  if (g_menu_model_get_n_items (G_MENU_MODEL (menu)) == 0)
    /* no such action: an insensitive line saying why the submenu is empty */
    g_menu_append (menu, _("No Recent Files"), "win.open-recent-none");
}

static void
on_recent_changed (GSettings *settings, const char *key, DvWbWindow *window)
{
  GMenu *menu = g_object_get_data (G_OBJECT (window), "dv-recent-menu");
  if (menu != NULL)
    fill_recent (settings, menu);
}

static gboolean
is_project (const char *path)
{
  return g_str_has_suffix (path, ".dvproj.json");
}

static void
action_open_recent (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  DvWbWindow *window = user_data;
  GSettings *settings = g_object_get_data (G_OBJECT (window), "dv-settings");
  const char *path = g_variant_get_string (param, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *msg = g_strdup_printf (_("“%s” is no longer there; it is removed from "
                                                "Open Recent."), path);
      dv_wb_window_show_error (window, msg);
      dv_wb_settings_remove_recent (settings, is_project (path) ? "recent-projects"
                                                                 : "recent-checkpoints", path);
      return;
    }
  g_autoptr (GFile) file = g_file_new_for_path (path);
  dv_wb_window_open_file (window, file); /* the window's signals record it again, first */
}

static void
on_open_checkpoint (DvWbWindow *window, const char *path, GSettings *settings)
{
  dv_wb_settings_add_recent (settings, is_project (path) ? "recent-projects"
                                                          : "recent-checkpoints", path);
}

static void
on_project (DvWbWindow *window, const char *path, GSettings *settings)
{
  dv_wb_settings_add_recent (settings, "recent-projects", path);
}

static void
on_open_dataset (DvWbWindow *window, const char *spec, GSettings *settings)
{
  g_settings_set_string (settings, "last-dataset", spec);
}

void
dv_wb_settings_attach (GSettings *settings, DvWbWindow *window, gboolean bind_size)
{
  g_return_if_fail (G_IS_SETTINGS (settings) && DV_IS_WB_WINDOW (window));
  g_object_set_data_full (G_OBJECT (window), "dv-settings", g_object_ref (settings),
                          g_object_unref);
  if (bind_size)
    {
      g_settings_bind (settings, "window-width", window, "default-width", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (settings, "window-height", window, "default-height", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (settings, "window-maximized", window, "maximized", G_SETTINGS_BIND_DEFAULT);
    }
  GMenu *menu = find_recent_in_widget (GTK_WIDGET (window));
  if (menu != NULL)
    {
      g_object_set_data_full (G_OBJECT (window), "dv-recent-menu", g_object_ref (menu),
                              g_object_unref);
      fill_recent (settings, menu);
      g_signal_connect_object (settings, "changed::recent-checkpoints",
                               G_CALLBACK (on_recent_changed), window, 0);
      g_signal_connect_object (settings, "changed::recent-projects",
                               G_CALLBACK (on_recent_changed), window, 0);
    }
  static const GActionEntry entries[] = {
    { .name = "open-recent", .activate = action_open_recent, .parameter_type = "s" },
  };
  g_action_map_add_action_entries (G_ACTION_MAP (window), entries, G_N_ELEMENTS (entries), window);
  g_signal_connect_object (window, "open-checkpoint", G_CALLBACK (on_open_checkpoint), settings, 0);
  g_signal_connect_object (window, "open-project", G_CALLBACK (on_project), settings, 0);
  g_signal_connect_object (window, "save-project", G_CALLBACK (on_project), settings, 0);
  g_signal_connect_object (window, "open-dataset", G_CALLBACK (on_open_dataset), settings, 0);
}
