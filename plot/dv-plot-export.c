/* dv-plot-export.c — one view to PNG/SVG/PDF plus CSV and JSON, atomically.
 *
 * What this is for: the generic DvPlot calls, the parameter files (written with
 * base/dv-json-writer.h), and dv_plot_export(), which renders a view on a Cairo
 * image/SVG/PDF surface into a temporary file and renames it into place, then
 * does the same for <stem>.csv (exactly the plotted data) and <stem>.json.
 * What this is not for: choosing what to export (the workbench and the CLI
 * decide) or reading any of these files back.
 */
#include "dv-plot-private.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (dv-plot-error-quark, dv_plot_error)

/* ---- JSON parameter files -------------------------------------------------------- */

void
dvp_json_timeline (DvJsonWriter *j, const DvPlotTimeline *tl)
{
  dv_json_writer_double (j, "dt_ms", tl->dt);
  dv_json_writer_int (j, "n_timesteps", tl->n);
  if (tl->flags == NULL)
    return;
  dv_json_writer_begin_array (j, "stimulus_on");
  for (int t = 0; t < tl->n; t++)
    dv_json_writer_int (j, NULL, (tl->flags[t] & DV_PLOT_STEP_STIMULUS) != 0);
  dv_json_writer_end (j);
  g_autoptr (GArray) bands = dv_schedule_bands (tl->flags, tl->contrast, tl->n);
  dv_json_writer_begin_array (j, "stimulus_bands");
  for (guint i = 0; i < bands->len; i++)
    {
      const DvBand *b = &g_array_index (bands, DvBand, i);
      dv_json_writer_begin_object (j, NULL);
      dv_json_writer_int (j, "onset_step", b->start);
      dv_json_writer_int (j, "offset_step", b->end);
      dv_json_writer_double (j, "onset_ms", b->start * tl->dt);
      dv_json_writer_double (j, "offset_ms", b->end * tl->dt);
      dv_json_writer_double (j, "contrast", b->contrast);
      dv_json_writer_end (j);
    }
  dv_json_writer_end (j);
}

/* ---- generic plot ------------------------------------------------------------------- */

void
dv_plot_draw (DvPlot plot, cairo_t *cr, double width, double height)
{
  g_return_if_fail (plot.klass != NULL && plot.self != NULL);
  plot.klass->draw (plot.self, cr, width, height);
}

char *
dv_plot_to_csv (DvPlot plot)
{
  g_return_val_if_fail (plot.klass != NULL && plot.self != NULL, NULL);
  GString *out = g_string_new (NULL);
  plot.klass->write_csv (plot.self, out);
  return g_string_free (out, FALSE);
}

char *
dv_plot_params_to_json (DvPlot plot, double width, double height, double scale,
                        const char *format)
{
  g_return_val_if_fail (plot.klass != NULL && plot.self != NULL, NULL);
  /* the top-level object is already open: members are at depth 1 */
  DvJsonWriter *j = dv_json_writer_new (TRUE);
  dv_json_writer_begin_object (j, NULL);
  dv_json_writer_string (j, "kind", plot.klass->kind);
  dv_json_writer_string (j, "generator", "dynvision plot library");
  dv_json_writer_double (j, "width", width);
  dv_json_writer_double (j, "height", height);
  dv_json_writer_double (j, "scale", scale);
  dv_json_writer_string (j, "format", format);
  plot.klass->write_params (plot.self, j);
  g_autofree char *text = dv_json_writer_free_to_string (j);
  return g_strconcat (text, "\n", NULL);
}

gboolean
dv_plot_format_from_path (const char *path, DvPlotFormat *format)
{
  g_return_val_if_fail (path != NULL && format != NULL, FALSE);
  const char *dot = strrchr (path, '.');
  if (dot == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (dot, ".png") == 0)
    *format = DV_PLOT_FORMAT_PNG;
  else if (g_ascii_strcasecmp (dot, ".svg") == 0)
    *format = DV_PLOT_FORMAT_SVG;
  else if (g_ascii_strcasecmp (dot, ".pdf") == 0)
    *format = DV_PLOT_FORMAT_PDF;
  else
    return FALSE;
  return TRUE;
}

/* Atomically (a temporary file renamed into place), mode 0666 less the umask. */
static gboolean
write_file (const char *path, const char *data, gsize len, GError **error)
{
  GError *local = NULL;
  if (g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0666, &local))
    return TRUE;
  g_set_error (error, DV_PLOT_ERROR, DV_PLOT_ERROR_IO, "%s", local->message);
  g_error_free (local);
  return FALSE;
}

static cairo_status_t
append_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* The image is drawn into memory, then written as every other file here:
 * g_file_set_contents_full writes a temporary file beside path and renames
 * it into place, with mode 0666 less the umask (0644 under the usual one), so
 * a PNG, an SVG, a PDF and their CSV and JSON all get the same mode. */
static gboolean
render_image (DvPlot plot, const char *path, DvPlotFormat format, double width, double height,
              double scale, GError **error)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  cairo_surface_t *surface;
  switch (format)
    {
    case DV_PLOT_FORMAT_SVG:
      surface = cairo_svg_surface_create_for_stream (append_bytes, bytes, width, height);
      break;
    case DV_PLOT_FORMAT_PDF:
      surface = cairo_pdf_surface_create_for_stream (append_bytes, bytes, width, height);
      break;
    case DV_PLOT_FORMAT_PNG:
    default:
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) ceil (width * scale),
                                            (int) ceil (height * scale));
      break;
    }
  cairo_t *cr = cairo_create (surface);
  if (format == DV_PLOT_FORMAT_PNG)
    cairo_scale (cr, scale, scale);
  dv_plot_draw (plot, cr, width, height);
  cairo_status_t status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS && format == DV_PLOT_FORMAT_PNG)
    status = cairo_surface_write_to_png_stream (surface, append_bytes, bytes);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, DV_PLOT_ERROR, DV_PLOT_ERROR_CAIRO, "%s: cairo: %s", path,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return write_file (path, (const char *) bytes->data, bytes->len, error);
}

gboolean
dv_plot_export (DvPlot plot, const char *path, double width, double height, double scale,
                GError **error)
{
  g_return_val_if_fail (plot.klass != NULL && plot.self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (width > 0 && height > 0, FALSE);
  DvPlotFormat format;
  if (!dv_plot_format_from_path (path, &format))
    {
      g_set_error (error, DV_PLOT_ERROR, DV_PLOT_ERROR_FORMAT,
                   "%s: unknown image format (use .png, .svg or .pdf)", path);
      return FALSE;
    }
  if (!(scale > 0))
    scale = 1;
  static const char *const names[] = { "png", "svg", "pdf" };

  if (!render_image (plot, path, format, width, height, scale, error))
    return FALSE;

  g_autofree char *stem = g_strndup (path, strrchr (path, '.') - path);
  g_autofree char *csv_path = g_strconcat (stem, ".csv", NULL);
  g_autofree char *json_path = g_strconcat (stem, ".json", NULL);
  g_autofree char *csv = dv_plot_to_csv (plot);
  g_autofree char *json = dv_plot_params_to_json (plot, width, height, scale, names[format]);
  return write_file (csv_path, csv, strlen (csv), error)
         && write_file (json_path, json, strlen (json), error);
}
