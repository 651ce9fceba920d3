/* fuzz-idx.c — libFuzzer target for data/dv-idx.c, plain or gzip-compressed.
 *
 * Input layout (so one input holds both files of an idx data set):
 *   byte 0      flags: bit 0 = the images file is named *.gz (gunzipped on
 *               reading), bit 1 = the labels file is
 *   bytes 1..4  little-endian length L of the images file (cut to what is left)
 *   L bytes     the images file (idx3-ubyte), then the rest: the labels file.
 * tests/fuzz/make-seeds.py writes seeds in this layout.
 */
#include "fuzz-common.h"
#include "fuzz-data-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup (TRUE);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 5)
    return 0;
  guint8 flags = data[0];
  size_t len = (size_t) data[1] | (size_t) data[2] << 8 | (size_t) data[3] << 16
               | (size_t) data[4] << 24;
  data += 5;
  size -= 5;
  len = MIN (len, size);
  g_autofree char *images = fuzz_write (flags & 1 ? "i-images-idx3-ubyte.gz"
                                                  : "i-images-idx3-ubyte", data, len);
  g_autofree char *labels = fuzz_write (flags & 2 ? "i-labels-idx1-ubyte.gz"
                                                  : "i-labels-idx1-ubyte", data + len, size - len);
  g_autoptr (GError) error = NULL;
  DvDataset *ds = dv_dataset_open_idx (images, labels, &error);
  g_unlink (images);
  g_unlink (labels);
  if (ds == NULL)
    {
      fuzz_refused (error);
      return 0;
    }
  fuzz_use_dataset (ds);
  dv_dataset_unref (ds);
  return 0;
}
