/* main.c — dynvision-workbench: watch a recurrent CNN respond, step by step.
 *
 * What this is for: starting the application.  Everything else is in
 * dv-wb-application.c (command line), dv-workbench.c (session) and ui/.
 */
#include <locale.h>

#include "dv-wb-application.h"

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_autoptr (DvWbApplication) app = dv_wb_application_new ();
  int status = g_application_run (G_APPLICATION (app), argc, argv);
  return status != 0 ? status : dv_wb_application_get_status (app);
}
