/* dv-folder.c — reader for image folders: DIR/<class>/<image>.{png,jpg,…}, ImageFolder style.
 *
 * For: small-to-medium custom datasets.  Classes are the sub-folders in sorted order (as
 * torchvision's ImageFolder), files inside sorted by name; every image is decoded with
 * gdk-pixbuf, converted to RGB (alpha dropped, as PIL's convert("RGB")), resized to the
 * configured size with bilinear filtering, and kept in memory as bytes.
 * Not for: datasets larger than memory (nothing is streamed from disk).
 */
#include "dv-dataset-private.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

static gboolean
is_image_name (const char *name)
{
  static const char *const exts[] = { ".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm",
                                      ".tif", ".tiff", ".webp", ".gif" };
  g_autofree char *lower = g_ascii_strdown (name, -1);
  for (gsize e = 0; e < G_N_ELEMENTS (exts); e++)
    if (g_str_has_suffix (lower, exts[e]))
      return TRUE;
  return FALSE;
}

static int
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Sorted entries of dir that are directories (want_dirs) or image files. */
static GPtrArray *
list_sorted (const char *dir, gboolean want_dirs, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  if (!d)
    return NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (d)))
    {
      if (name[0] == '.')
        continue;
      g_autofree char *path = g_build_filename (dir, name, NULL);
      gboolean is_dir = g_file_test (path, G_FILE_TEST_IS_DIR);
      if (want_dirs ? is_dir : (!is_dir && is_image_name (name)))
        g_ptr_array_add (out, g_strdup (name));
    }
  g_ptr_array_sort (out, cmp_str);
  return out;
}

static gboolean
load_image (const char *path, int *H, int *W, guint8 *dest, GError **error)
{
  /* A few header bytes can announce an image of gigapixels that gdk-pixbuf
   * then decodes (zero-filled when the data is missing): its size is read
   * from the header first and refused before anything is allocated. */
  int fw = 0, fh = 0;
  if (gdk_pixbuf_get_file_info (path, &fw, &fh) != NULL
      && (gint64) fw * fh > DV_DATASET_MAX_IMAGE_PIXELS)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_UNREADABLE_IMAGE,
                   "'%s': image of %d×%d pixels is larger than the %d pixels this reader "
                   "decodes; resize it first", path, fw, fh,
                   DV_DATASET_MAX_IMAGE_PIXELS);
      return FALSE;
    }
  g_autoptr (GError) local = NULL;
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new_from_file (path, &local);
  if (!pb)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_UNREADABLE_IMAGE,
                   "'%s': unreadable image: %s", path, local->message);
      return FALSE;
    }
  if (*H == 0 || *W == 0)
    {
      *H = gdk_pixbuf_get_height (pb);
      *W = gdk_pixbuf_get_width (pb);
    }
  if (!dest)
    return TRUE;
  g_autoptr (GdkPixbuf) scaled = NULL;
  if (gdk_pixbuf_get_width (pb) != *W || gdk_pixbuf_get_height (pb) != *H)
    scaled = gdk_pixbuf_scale_simple (pb, *W, *H, GDK_INTERP_BILINEAR);
  GdkPixbuf *src = scaled ? scaled : pb;
  int nch = gdk_pixbuf_get_n_channels (src), stride = gdk_pixbuf_get_rowstride (src);
  const guint8 *px = gdk_pixbuf_read_pixels (src);
  int hw = *H * *W;
  for (int y = 0; y < *H; y++)
    for (int x = 0; x < *W; x++)
      {
        const guint8 *p = px + (gsize) y * stride + (gsize) x * nch;
        for (int c = 0; c < 3; c++)
          dest[c * hw + y * *W + x] = nch >= 3 ? p[c] : p[0];
      }
  return TRUE;
}

DvDataset *
dv_dataset_open_folder (const char *dir, const DvDatasetOptions *options, GError **error)
{
  g_return_val_if_fail (dir != NULL, NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_NOT_FOUND,
                   "'%s': no such directory", dir);
      return NULL;
    }
  g_autoptr (GPtrArray) classes = list_sorted (dir, TRUE, error);
  if (!classes)
    return NULL;
  if (classes->len == 0)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_EMPTY,
                   "'%s': no class sub-folders", dir);
      return NULL;
    }

  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (gint32));
  for (guint k = 0; k < classes->len; k++)
    {
      g_autofree char *cdir = g_build_filename (dir, classes->pdata[k], NULL);
      g_autoptr (GPtrArray) files = list_sorted (cdir, FALSE, error);
      if (!files)
        return NULL;
      for (guint f = 0; f < files->len; f++)
        {
          gint32 lab = (gint32) k;
          g_ptr_array_add (paths, g_build_filename (cdir, files->pdata[f], NULL));
          g_array_append_val (labels, lab);
        }
    }
  if (paths->len == 0)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_EMPTY,
                   "'%s': no images (.png, .jpg, …) in the class sub-folders", dir);
      return NULL;
    }

  int H = options ? options->height : 0, W = options ? options->width : 0;
  if (H <= 0 || W <= 0)
    {
      H = W = 0;
      if (!load_image (paths->pdata[0], &H, &W, NULL, error))
        return NULL;
    }

  DvDataset *ds = dv_dataset_new_internal ("folder", dir, (int) paths->len, 3, H, W,
                                           (int) classes->len, TRUE);
  for (guint i = 0; i < paths->len; i++)
    {
      ds->labels[i] = g_array_index (labels, gint32, i);
      if (!load_image (paths->pdata[i], &H, &W, ds->pixels + (gsize) i * 3 * H * W, error))
        {
          dv_dataset_unref (ds);
          return NULL;
        }
    }
  g_ptr_array_add (classes, NULL);
  dv_dataset_set_class_names (ds, (const char *const *) classes->pdata);
  dv_dataset_set_stats_from_data (ds);
  return ds;
}
