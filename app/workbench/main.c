/* main.c — dynvision-workbench: watch a recurrent CNN respond, step by step.
 *
 * What this is for: starting the application.  Everything else is in
 * dv-wb-application.c (command line), dv-workbench.c (session) and ui/.
 */
#include <locale.h>

#include <glib/gi18n-lib.h>

#include "dv-config.h"
#include "dv-wb-application.h"

/* GTK 4.8 draws with OpenGL by default.  Without a GPU (a virtual machine,
 * a remote desktop, Xvfb) that is Mesa's software rasteriser, which needs
 * seconds per frame for this window's plots and maps; GTK's Cairo renderer
 * draws the same window in milliseconds.  No DRM render node means no GPU,
 * so then the Cairo renderer is used unless GSK_RENDERER says otherwise. */
static void
choose_renderer (void)
{
  if (g_getenv ("GSK_RENDERER") != NULL)
    return;
  g_autoptr (GDir) dri = g_dir_open ("/dev/dri", 0, NULL);
  const char *name;
  while (dri != NULL && (name = g_dir_read_name (dri)) != NULL)
    if (g_str_has_prefix (name, "renderD"))
      return;
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (DV_GETTEXT_PACKAGE, DV_LOCALEDIR);
  bind_textdomain_codeset (DV_GETTEXT_PACKAGE, "UTF-8");
  textdomain (DV_GETTEXT_PACKAGE);
  choose_renderer ();
  g_autoptr (DvWbApplication) app = dv_wb_application_new ();
  int status = g_application_run (G_APPLICATION (app), argc, argv);
  return status != 0 ? status : dv_wb_application_get_status (app);
}
