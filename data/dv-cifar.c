/* dv-cifar.c — reader for the CIFAR-10 and CIFAR-100 binary versions.
 *
 * For: CIFAR-10 records of 1 label byte + 3072 pixel bytes (R, G, B planes of 32×32) in
 * data_batch_1..5.bin / test_batch.bin, class names from batches.meta.txt; CIFAR-100 records of
 * 2 label bytes (coarse, fine) + 3072 in train.bin / test.bin, fine labels used, names from
 * fine_label_names.txt.  Not for: the Python pickle versions.
 */
#include "dv-dataset-private.h"

#include <string.h>

#define CIFAR_PIXELS 3072

static const char *const cifar10_names[] = {
  "airplane", "automobile", "bird", "cat", "deer",
  "dog", "frog", "horse", "ship", "truck", NULL
};

/* Class names from a text file, one a line; NULL unless it has exactly n non-empty lines. */
static char **
read_names (const char *dir, const char *file, int n)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *names = g_ptr_array_new ();
  for (int i = 0; lines[i]; i++)
    {
      char *l = g_strstrip (lines[i]);
      if (*l)
        g_ptr_array_add (names, g_strdup (l));
    }
  if ((int) names->len != n)
    {
      g_ptr_array_set_free_func (names, g_free);
      g_ptr_array_free (names, TRUE);
      return NULL;
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

DvDataset *
dv_dataset_open_cifar (const char *dir, int n_classes, DvSplit split, GError **error)
{
  g_return_val_if_fail (dir != NULL && (n_classes == 10 || n_classes == 100), NULL);
  int label_bytes = n_classes == 10 ? 1 : 2;
  gsize record = label_bytes + CIFAR_PIXELS;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_NOT_FOUND,
                   "'%s': no such directory", dir);
      return NULL;
    }
  if (n_classes == 100)
    g_ptr_array_add (files, g_build_filename (dir, split == DV_SPLIT_TEST ? "test.bin"
                                                                          : "train.bin", NULL));
  else if (split == DV_SPLIT_TEST)
    g_ptr_array_add (files, g_build_filename (dir, "test_batch.bin", NULL));
  else
    for (int b = 1; b <= 5; b++)
      {
        char *name = g_strdup_printf ("data_batch_%d.bin", b);
        char *p = g_build_filename (dir, name, NULL);
        g_free (name);
        if (b == 1 || g_file_test (p, G_FILE_TEST_EXISTS))
          g_ptr_array_add (files, p);
        else
          g_free (p);
      }

  /* Read and check every file before allocating the dataset. */
  g_autoptr (GPtrArray) blobs = g_ptr_array_new_with_free_func (g_free);
  gsize *lens = g_newa (gsize, files->len);
  gsize total = 0;
  for (guint f = 0; f < files->len; f++)
    {
      const char *path = files->pdata[f];
      guint8 *data = NULL;
      if (!dv_data_read_file (path, &data, &lens[f], error))
        return NULL;
      g_ptr_array_add (blobs, data);
      if (lens[f] == 0 || lens[f] % record != 0)
        {
          g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_TRUNCATED,
                       "'%s': truncated: %" G_GSIZE_FORMAT " bytes is not a whole number of "
                       "%" G_GSIZE_FORMAT "-byte CIFAR-%d records", path, lens[f], record,
                       n_classes);
          return NULL;
        }
      for (gsize r = 0; r < lens[f] / record; r++)
        {
          int lab = data[r * record + label_bytes - 1];
          if (lab >= n_classes)
            {
              g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_BAD_LABEL,
                           "'%s': record %" G_GSIZE_FORMAT " has label %d, CIFAR-%d has "
                           "classes 0..%d", path, r, lab, n_classes, n_classes - 1);
              return NULL;
            }
        }
      total += lens[f] / record;
    }

  g_ptr_array_add (files, NULL);
  g_autofree char *source = g_strjoinv (", ", (char **) files->pdata);
  DvDataset *ds = dv_dataset_new_internal (n_classes == 10 ? "cifar10" : "cifar100", source,
                                           (int) total, 3, 32, 32, n_classes, TRUE);
  gsize k = 0;
  for (guint f = 0; f < blobs->len; f++)
    {
      const guint8 *data = blobs->pdata[f];
      for (gsize r = 0; r < lens[f] / record; r++, k++)
        {
          ds->labels[k] = data[r * record + label_bytes - 1];
          memcpy (ds->pixels + k * CIFAR_PIXELS, data + r * record + label_bytes, CIFAR_PIXELS);
        }
    }

  g_auto (GStrv) names = read_names (dir, n_classes == 10 ? "batches.meta.txt"
                                                          : "fine_label_names.txt", n_classes);
  dv_dataset_set_class_names (ds, names ? (const char *const *) names
                                        : n_classes == 10 ? cifar10_names : NULL);
  static const float mean[3] = { 0.5071f, 0.4867f, 0.4408f };
  static const float std[3] = { 0.2675f, 0.2565f, 0.2761f };
  memcpy (ds->mean, mean, sizeof mean);
  memcpy (ds->std, std, sizeof std);
  return ds;
}
