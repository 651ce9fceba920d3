/* dv-wb-window-export.c — exporting views and choosing files from the window.
 *
 * What this is for: the export functions the actions (dv-wb-window-actions.c),
 * the tests and --screenshot use.  Every view is written by the
 * plot/ export helpers: the image(s), a CSV of exactly the plotted data and a
 * JSON of the parameters, each image's format and scale, and the provenance of
 * the sequence on screen (the history's, base/dv-provenance.h: weights and their
 * SHA-256, model class, data set, sample, presentation, seed, engine version),
 * each through a temporary file and a rename.
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
  DvPlotImage image = { DV_PLOT_FORMAT_PNG, scale, path };
  if (!dv_plot_format_from_path (path, &image.format))
    {
      g_set_error (error, DV_PLOT_ERROR, DV_PLOT_ERROR_FORMAT,
                   "%s: unknown image format (use .png, .svg or .pdf)", path);
      return FALSE;
    }
  g_autofree char *stem = g_strndup (path, strrchr (path, '.') - path);
  return dv_plot_view_export (view, stem, &image, 1, dv_wb_window_get_provenance (self), error);
}

const DvProvenance *
dv_wb_window_get_provenance (DvWbWindow *self)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), NULL);
  return dv_live_page_get_history (self->live_page)->provenance;
}

gboolean
dv_wb_window_export_all (DvWbWindow *self, const char *dir, GError **error)
{
  g_return_val_if_fail (DV_IS_WB_WINDOW (self), FALSE);
  /* one JSON per view, naming its three images with each one's own format and scale */
  static const DvPlotImage images[] = {
    { DV_PLOT_FORMAT_PNG, 2, NULL }, { DV_PLOT_FORMAT_SVG, 1, NULL }, { DV_PLOT_FORMAT_PDF, 1, NULL },
  };
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot create the folder", dir);
      return FALSE;
    }
  for (int i = 0; dv_wb_view_names[i] != NULL; i++)
    {
      DvPlotView *view = dv_wb_window_view_by_name (self, dv_wb_view_names[i]);
      g_autofree char *stem = g_build_filename (dir, dv_wb_view_names[i], NULL);
      if (view == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no view named “%s”",
                       dv_wb_view_names[i]);
          return FALSE;
        }
      if (!dv_plot_view_export (view, stem, images, G_N_ELEMENTS (images),
                                dv_wb_window_get_provenance (self), error))
        return FALSE;
    }
  return TRUE;
}

