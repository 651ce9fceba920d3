/* dv-wb-window-export.c — exporting views and choosing files from the window.
 *
 * What this is for: the export functions the actions (dv-wb-window-actions.c),
 * the tests and --screenshot use.  Every view is written by the
 * plot/ export helpers: the image, a CSV of exactly the plotted data and a
 * JSON of the parameters, each through a temporary file and a rename.
 * What this is not for: rendering (plot/) or loading checkpoints (the owner).
 */
#include "dv-wb-window-private.h"

#include <string.h>

const char *const dv_wb_view_names[] = {
  "responses", "feature-maps", "readout", "probe", "latency", "stimulus", "architecture", NULL,
};

DvPlotView *
dv_wb_window_view_by_name (DvWbWindow *self, const char *name)
{
  if (g_strcmp0 (name, "architecture") == 0)
    return dv_architecture_page_get_diagram (self->architecture_page);
  DvPlotView *v = dv_training_panel_get_view (self->training_panel, name);
  return v != NULL ? v : dv_live_page_get_view (self->live_page, name);
}

gboolean
dv_wb_window_export_view (DvWbWindow *self, const char *name, const char *path, double scale,
                          GError **error)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), FALSE);
  DvPlotView *view = dv_wb_window_view_by_name (self, name);
  if (view == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no view named “%s”", name);
      return FALSE;
    }
  return dv_plot_view_export (view, path, scale, error);
}

gboolean
dv_wb_window_export_all (DvWbWindow *self, const char *dir, GError **error)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), FALSE);
  static const char *const exts[] = { "png", "svg", "pdf" };
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot create the folder", dir);
      return FALSE;
    }
  for (int i = 0; dv_wb_view_names[i] != NULL; i++)
    for (guint k = 0; k < G_N_ELEMENTS (exts); k++)
      {
        g_autofree char *file = g_strdup_printf ("%s.%s", dv_wb_view_names[i], exts[k]);
        g_autofree char *path = g_build_filename (dir, file, NULL);
        if (!dv_wb_window_export_view (self, dv_wb_view_names[i], path, k == 0 ? 2 : 1, error))
          return FALSE;
      }
  return TRUE;
}

