/* dv-test-gui.h — the set-up every GUI test of the workbench shares.
 *
 * What this is for: the environment (no accessibility bus, GTK's Cairo
 * renderer, one OpenBLAS thread), gtk_init_check and the widget library,
 * and GUI cases that skip themselves when there is no display (CI runs
 * them under xvfb-run).
 * What it is not for: anything outside tests/.
 */
#pragma once

#include <gtk/gtk.h>

#include "dv-ui.h"

static gboolean dv_test_have_display;

/* Call instead of g_test_init; sets dv_test_have_display. */
static inline void
dv_test_gui_init (int *argc, char ***argv)
{
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("OPENBLAS_NUM_THREADS", "1", FALSE);
  g_test_init (argc, argv, NULL);
  dv_test_have_display = gtk_init_check ();
  if (dv_test_have_display)
    dv_ui_init ();
}

static void
dv_test_run_with_display (gconstpointer data)
{
  if (!dv_test_have_display)
    {
      g_test_skip ("no display");
      return;
    }
  ((void (*) (void)) data) ();
}

/* A case that needs a display (skipped without one). */
static inline void
dv_test_add_gui (const char *path, void (*func) (void))
{
  g_test_add_data_func (path, (gconstpointer) func, dv_test_run_with_display);
}
