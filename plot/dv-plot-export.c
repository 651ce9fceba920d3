/* dv-plot-export.c — one view to PNG/SVG/PDF plus CSV and JSON, atomically.
 *
 * What this is for: the generic DvPlot calls, the parameter files (written with
 * base/dv-json-writer.h), and dv_plot_export_images(), which renders a view on
 * Cairo image/SVG/PDF surfaces, each into a temporary file renamed into place,
 * then does the same for <stem>.csv (exactly the plotted data) and one
 * <stem>.json: the view's parameters, each image's own format and scale, and the
 * caller's provenance (base/dv-provenance.h).
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

static const char *const format_names[] = { "png", "svg", "pdf" };

/* What <stem>.json says of each image: its file, format and scale.  A PNG is width·scale ×
 * height·scale pixels (dpi: 72·scale, a user unit being a point as in SVG and PDF); SVG and
 * PDF are vector images of width × height points, scale 1, whatever scale was asked. */
static void
write_image (DvJsonWriter *j, const char *file, DvPlotFormat format, double width, double height,
             double scale)
{
  dv_json_writer_begin_object (j, NULL);
  dv_json_writer_string (j, "file", file);
  dv_json_writer_string (j, "format", format_names[format]);
  if (format == DV_PLOT_FORMAT_PNG)
    {
      dv_json_writer_double (j, "scale", scale);
      dv_json_writer_string (j, "units", "px");
      dv_json_writer_int (j, "pixel_width", (gint64) ceil (width * scale));
      dv_json_writer_int (j, "pixel_height", (gint64) ceil (height * scale));
      dv_json_writer_double (j, "dpi", 72 * scale);
    }
  else
    {
      dv_json_writer_double (j, "scale", 1);
      dv_json_writer_string (j, "units", "pt");
      dv_json_writer_double (j, "width_pt", width);
      dv_json_writer_double (j, "height_pt", height);
    }
  dv_json_writer_end (j);
}

/* The parameter JSON of an export into n images, stem.<ext> unless an image has its own path
 * (the file names are written without their folder; stem NULL: no file names). */
static char *
params_json (DvPlot plot, const char *stem, const DvPlotImage *images, int n, double width,
             double height, const DvProvenance *provenance)
{
  /* the top-level object is already open: members are at depth 1 */
  DvJsonWriter *j = dv_json_writer_new (TRUE);
  dv_json_writer_begin_object (j, NULL);
  dv_json_writer_string (j, "kind", plot.klass->kind);
  dv_json_writer_string (j, "generator", "dynvision plot library");
  dv_json_writer_double (j, "width", width);
  dv_json_writer_double (j, "height", height);
  if (n == 1)
    {
      /* one image: its format and scale at the top as well */
      dv_json_writer_double (j, "scale", images[0].format == DV_PLOT_FORMAT_PNG ? images[0].scale : 1);
      dv_json_writer_string (j, "format", format_names[images[0].format]);
    }
  dv_json_writer_begin_array (j, "images");
  for (int i = 0; i < n; i++)
    {
      g_autofree char *path = images[i].path ? g_strdup (images[i].path)
                              : stem ? g_strconcat (stem, ".", format_names[images[i].format], NULL) : NULL;
      g_autofree char *file = path ? g_path_get_basename (path) : NULL;
      write_image (j, file, images[i].format, width, height, images[i].scale);
    }
  dv_json_writer_end (j);
  if (provenance != NULL)
    dv_provenance_write_json (provenance, j, "provenance");
  else
    dv_json_writer_null (j, "provenance");
  plot.klass->write_params (plot.self, j);
  g_autofree char *text = dv_json_writer_free_to_string (j);
  return g_strconcat (text, "\n", NULL);
}

char *
dv_plot_params_to_json (DvPlot plot, double width, double height, double scale,
                        const char *format)
{
  g_return_val_if_fail (plot.klass != NULL && plot.self != NULL, NULL);
  DvPlotImage image = { DV_PLOT_FORMAT_PNG, scale > 0 ? scale : 1, NULL };
  for (guint i = 0; i < G_N_ELEMENTS (format_names); i++)
    if (g_strcmp0 (format, format_names[i]) == 0)
      image.format = (DvPlotFormat) i;
  return params_json (plot, NULL, &image, 1, width, height, NULL);
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
dv_plot_export_images (DvPlot plot, const char *stem, const DvPlotImage *images, int n_images,
                       double width, double height, const DvProvenance *provenance, GError **error)
{
  g_return_val_if_fail (plot.klass != NULL && plot.self != NULL, FALSE);
  g_return_val_if_fail (stem != NULL && images != NULL && n_images > 0, FALSE);
  g_return_val_if_fail (width > 0 && height > 0, FALSE);
  g_autofree DvPlotImage *used = g_new (DvPlotImage, n_images);
  for (int i = 0; i < n_images; i++)
    {
      used[i] = images[i];
      if (!(used[i].scale > 0))
        used[i].scale = 1;
      g_autofree char *path = used[i].path ? g_strdup (used[i].path)
                                           : g_strconcat (stem, ".", format_names[used[i].format], NULL);
      if (!render_image (plot, path, used[i].format, width, height, used[i].scale, error))
        return FALSE;
    }
  g_autofree char *csv_path = g_strconcat (stem, ".csv", NULL);
  g_autofree char *json_path = g_strconcat (stem, ".json", NULL);
  g_autofree char *csv = dv_plot_to_csv (plot);
  g_autofree char *json = params_json (plot, stem, used, n_images, width, height, provenance);
  return write_file (csv_path, csv, strlen (csv), error)
         && write_file (json_path, json, strlen (json), error);
}

gboolean
dv_plot_export_full (DvPlot plot, const char *path, double width, double height, double scale,
                     const DvProvenance *provenance, GError **error)
{
  g_return_val_if_fail (plot.klass != NULL && plot.self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (width > 0 && height > 0, FALSE);
  DvPlotImage image = { DV_PLOT_FORMAT_PNG, scale, NULL };
  if (!dv_plot_format_from_path (path, &image.format))
    {
      g_set_error (error, DV_PLOT_ERROR, DV_PLOT_ERROR_FORMAT,
                   "%s: unknown image format (use .png, .svg or .pdf)", path);
      return FALSE;
    }
  image.path = path;
  g_autofree char *stem = g_strndup (path, strrchr (path, '.') - path);
  return dv_plot_export_images (plot, stem, &image, 1, width, height, provenance, error);
}

gboolean
dv_plot_export (DvPlot plot, const char *path, double width, double height, double scale,
                GError **error)
{
  return dv_plot_export_full (plot, path, width, height, scale, NULL, error);
}
