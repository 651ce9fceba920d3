/* dv-idx.c — reader for the idx format of MNIST and Fashion-MNIST (plain or .gz).
 *
 * For: an images file (magic 0x00000803: unsigned bytes, 3 dimensions n×rows×cols) plus a
 * labels file (magic 0x00000801: unsigned bytes, n), both big-endian headers.
 * Not for: other idx element types (int/float), which no image dataset we read uses.
 */
#include "dv-dataset-private.h"

#include <string.h>

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* Checks magic and size; on success *dims holds the ndims dimensions. */
static gboolean
check_idx (const char *path, const guint8 *data, gsize len, guint32 magic, int ndims,
           guint32 *dims, GError **error)
{
  gsize header = 4 + 4 * (gsize) ndims;
  if (len < 4)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_TRUNCATED,
                   "'%s': truncated: %" G_GSIZE_FORMAT " bytes, too short for an idx header",
                   path, len);
      return FALSE;
    }
  if (be32 (data) != magic)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_BAD_MAGIC,
                   "'%s': bad magic 0x%08x (expected 0x%08x: idx%d unsigned bytes)",
                   path, be32 (data), magic, ndims);
      return FALSE;
    }
  if (len < header)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_TRUNCATED,
                   "'%s': truncated inside the idx header (%" G_GSIZE_FORMAT " bytes)",
                   path, len);
      return FALSE;
    }
  /* Each dimension must fit an int and their product must not wrap: three
   * 32-bit dimensions can multiply past 2^64 (2^31 · 2^31 · 4 wraps to 0). */
  guint64 need = 1;
  for (int d = 0; d < ndims; d++)
    {
      dims[d] = be32 (data + 4 + 4 * d);
      if (dims[d] > G_MAXINT32 || !g_uint64_checked_mul (&need, need, dims[d])
          || need > G_MAXINT32)
        {
          g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_BAD_MAGIC,
                       "'%s': implausible idx dimensions: dimension %d (%u) makes the data "
                       "larger than %d bytes, the most an idx file may hold here",
                       path, d, dims[d], G_MAXINT32);
          return FALSE;
        }
    }
  if (ndims == 3 && (dims[1] == 0 || dims[2] == 0))
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_BAD_MAGIC,
                   "'%s': implausible idx dimensions: images of %u×%u pixels (both must be ≥ 1)",
                   path, dims[1], dims[2]);
      return FALSE;
    }
  if (len - header < need)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_TRUNCATED,
                   "'%s': truncated: header announces %" G_GUINT64_FORMAT " bytes of data, "
                   "file holds %" G_GSIZE_FORMAT, path, need, len - header);
      return FALSE;
    }
  return TRUE;
}

DvDataset *
dv_dataset_open_idx (const char *images_path, const char *labels_path, GError **error)
{
  g_return_val_if_fail (images_path && labels_path, NULL);
  g_autofree guint8 *img = NULL, *lab = NULL;
  gsize img_len = 0, lab_len = 0;
  guint32 idims[3], ldims[1];

  if (!dv_data_read_file (images_path, &img, &img_len, error)
      || !check_idx (images_path, img, img_len, 0x00000803, 3, idims, error)
      || !dv_data_read_file (labels_path, &lab, &lab_len, error)
      || !check_idx (labels_path, lab, lab_len, 0x00000801, 1, ldims, error))
    return NULL;

  if (idims[0] != ldims[0])
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_COUNT_MISMATCH,
                   "count mismatch: '%s' holds %u images but '%s' holds %u labels",
                   images_path, idims[0], labels_path, ldims[0]);
      return NULL;
    }
  if (idims[0] == 0)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_EMPTY, "'%s': no images", images_path);
      return NULL;
    }

  int n = (int) idims[0], H = (int) idims[1], W = (int) idims[2];
  int max_label = 0;
  for (int i = 0; i < n; i++)
    max_label = MAX (max_label, lab[8 + i]);

  g_autofree char *source = g_strdup_printf ("%s + %s", images_path, labels_path);
  DvDataset *ds = dv_dataset_new_internal ("idx", source, n, 1, H, W, max_label + 1, TRUE);
  memcpy (ds->pixels, img + 16, (gsize) n * H * W);
  for (int i = 0; i < n; i++)
    ds->labels[i] = lab[8 + i];
  dv_dataset_set_stats_from_data (ds);
  return ds;
}
