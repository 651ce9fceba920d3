/* dv-plugin.h — models, operations and solvers compiled as shared modules.
 *
 * A plugin is a shared library (GModule) that exports one function,
 *
 *   const DvPluginInfo *dv_plugin_info (void);
 *
 * returning a static description with the API version it was built for
 * (DV_API_VERSION) and an init function that registers what it brings with
 * dv_preset_register(), dv_op_register() and dv_solver_register().  The
 * loader refuses a module without that function, or built for another API
 * version, with a message naming the file and what to do.  Presets record
 * the plugin they came from, so a checkpoint of a plugin model says which
 * plugin to load when it is reopened without it.
 */
#pragma once

#include <gmodule.h>
#include "dv-desc.h"

G_BEGIN_DECLS

#define DV_API_VERSION 1

typedef struct {
  int api_version;      /* DV_API_VERSION of the headers it was built with */
  const char *name;     /* short name, e.g. "adaptive-rcnn" */
  const char *version;  /* the plugin's own version */
  const char *description;
  gboolean (*init) (GError **error);
} DvPluginInfo;

typedef const DvPluginInfo *(*DvPluginInfoFunc) (void);

#define DV_PLUGIN_ERROR (dv_plugin_error_quark ())
GQuark dv_plugin_error_quark (void);
typedef enum {
  DV_PLUGIN_ERROR_OPEN,     /* not a loadable module */
  DV_PLUGIN_ERROR_ENTRY,    /* no dv_plugin_info */
  DV_PLUGIN_ERROR_VERSION,  /* built for another API version */
  DV_PLUGIN_ERROR_INIT,     /* its init failed */
} DvPluginError;

/* Loads (once per path) and initialises a plugin. */
const DvPluginInfo *dv_plugin_load (const char *path, GError **error);
/* The plugin currently initialising (for presets registered from init), or NULL. */
const char *dv_plugin_current (void);

/* Model presets from code: `build` takes DynVision-style keyword arguments. */
typedef DvModelDesc *(*DvPresetBuildFunc) (const DvJson *kwargs, GError **error);
gboolean dv_preset_register (const char *name, DvPresetBuildFunc build, GError **error);
/* The plugin a preset came from (NULL for built-in presets). */
const char *dv_preset_plugin (const char *name);

G_END_DECLS
