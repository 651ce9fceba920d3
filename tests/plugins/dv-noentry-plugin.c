/* A shared module without dv_plugin_info(): the loader must refuse it. */
#include <gmodule.h>

G_MODULE_EXPORT int
something_else (void)
{
  return 42;
}
