/* dv-plugin.c — loading plugins (see dv-plugin.h). */
#include "dv-plugin.h"

#include <gmodule.h>

G_DEFINE_QUARK (dv-plugin-error-quark, dv_plugin_error)

static GMutex plugin_lock;
static GHashTable *loaded;       /* path -> const DvPluginInfo* */
static const char *current_name; /* set while a plugin's init runs */

const char *
dv_plugin_current (void)
{
  return current_name;
}

const DvPluginInfo *
dv_plugin_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_mutex_lock (&plugin_lock);
  if (loaded == NULL)
    loaded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const DvPluginInfo *info = g_hash_table_lookup (loaded, path);
  if (info)
    {
      g_mutex_unlock (&plugin_lock);
      return info;
    }
  GModule *mod = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (mod == NULL)
    {
      g_set_error (error, DV_PLUGIN_ERROR, DV_PLUGIN_ERROR_OPEN, "%s: not a loadable plugin (%s)", path,
                   g_module_error ());
      g_mutex_unlock (&plugin_lock);
      return NULL;
    }
  DvPluginInfoFunc entry = NULL;
  if (!g_module_symbol (mod, "dv_plugin_info", (gpointer *) &entry) || entry == NULL)
    {
      g_set_error (error, DV_PLUGIN_ERROR, DV_PLUGIN_ERROR_ENTRY,
                   "%s: no dv_plugin_info() entry point; a plugin must export "
                   "'const DvPluginInfo *dv_plugin_info (void)' (see dv-plugin.h)", path);
      g_module_close (mod);
      g_mutex_unlock (&plugin_lock);
      return NULL;
    }
  info = entry ();
  if (info == NULL || info->api_version != DV_API_VERSION)
    {
      g_set_error (error, DV_PLUGIN_ERROR, DV_PLUGIN_ERROR_VERSION,
                   "%s: built for engine API version %d, but this engine has version %d; rebuild the plugin "
                   "against this engine's headers", path, info ? info->api_version : -1, DV_API_VERSION);
      g_module_close (mod);
      g_mutex_unlock (&plugin_lock);
      return NULL;
    }
  current_name = info->name;
  GError *err = NULL;
  gboolean ok = info->init == NULL || info->init (&err);
  current_name = NULL;
  if (!ok)
    {
      g_set_error (error, DV_PLUGIN_ERROR, DV_PLUGIN_ERROR_INIT, "%s: plugin '%s' failed to initialise: %s", path,
                   info->name, err ? err->message : "no reason given");
      g_clear_error (&err);
      /* what it registered stays registered; keep the code mapped */
      g_module_make_resident (mod);
      g_mutex_unlock (&plugin_lock);
      return NULL;
    }
  g_module_make_resident (mod);
  g_hash_table_insert (loaded, g_strdup (path), (gpointer) info);
  g_mutex_unlock (&plugin_lock);
  return info;
}
