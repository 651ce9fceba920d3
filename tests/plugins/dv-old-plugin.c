/* A plugin built for another API version: the loader must refuse it. */
#include "dv-plugin.h"
#include <gmodule.h>

static const DvPluginInfo info = { DV_API_VERSION + 41, "old-plugin", "0.1", "from the future", NULL };

G_MODULE_EXPORT const DvPluginInfo *
dv_plugin_info (void)
{
  return &info;
}
