/* fuzz-data-common.h — what the data-set targets do with a data set that opened. */
#pragma once

#include "dv-dataset.h"

/* Reads what the loader, the sample grid and the readout read: every label,
 * the class names, the class counts, the first and last image (as stored and
 * converted to the other channel count) and the statistics. */
static void
fuzz_use_dataset (DvDataset *ds)
{
  int n = dv_dataset_get_n (ds), C = dv_dataset_get_channels (ds);
  int H = dv_dataset_get_height (ds), W = dv_dataset_get_width (ds);
  int k = dv_dataset_get_n_classes (ds);
  g_assert (n > 0 && (C == 1 || C == 3) && H > 0 && W > 0 && k > 0);
  if (fuzz_verbose)
    fprintf (stderr, "opened: %d images of %d×%d×%d, %d classes\n", n, C, H, W, k);
  for (int i = 0; i < n; i++)
    {
      int lab = dv_dataset_get_label (ds, i);
      g_assert (lab >= 0 && lab < k);
    }
  for (int c = 0; c < k; c++)
    g_assert (dv_dataset_get_class_name (ds, c) != NULL);
  g_free (dv_dataset_class_counts (ds));
  gsize hw = (gsize) H * W;
  g_autofree float *img = g_new (float, 3 * hw);
  int last[] = { 0, n - 1 };
  for (int s = 0; s < 2; s++)
    {
      dv_dataset_get_image (ds, last[s], 0, img);
      dv_dataset_get_image (ds, last[s], C == 1 ? 3 : 1, img);
    }
  double mean[3], std[3];
  dv_dataset_measure_stats (ds, 2, mean, std);
}
