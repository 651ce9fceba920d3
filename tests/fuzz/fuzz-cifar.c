/* fuzz-cifar.c — libFuzzer target for data/dv-cifar.c.
 *
 * Input layout:
 *   byte 0      bit 0: CIFAR-100 (train.bin + fine_label_names.txt) instead of
 *               CIFAR-10 (data_batch_1.bin + batches.meta.txt)
 *   bytes 1..2  little-endian length L of the class-names file (cut to what is left)
 *   L bytes     the class-names file, then the rest: the batch file.
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
  if (size < 3)
    return 0;
  gboolean c100 = data[0] & 1;
  size_t len = MIN ((size_t) data[1] | (size_t) data[2] << 8, size - 3);
  data += 3;
  size -= 3;
  g_autofree char *names = fuzz_write (c100 ? "c/fine_label_names.txt" : "c/batches.meta.txt",
                                       data, len);
  g_autofree char *batch = fuzz_write (c100 ? "c/train.bin" : "c/data_batch_1.bin",
                                       data + len, size - len);
  g_autofree char *dir = g_path_get_dirname (batch);
  g_autoptr (GError) error = NULL;
  DvDataset *ds = dv_dataset_open_cifar (dir, c100 ? 100 : 10, DV_SPLIT_TRAIN, &error);
  g_unlink (names);
  g_unlink (batch);
  if (ds == NULL)
    {
      fuzz_refused (error);
      return 0;
    }
  fuzz_use_dataset (ds);
  dv_dataset_unref (ds);
  return 0;
}
