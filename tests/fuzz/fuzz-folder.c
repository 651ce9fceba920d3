/* fuzz-folder.c — libFuzzer target for one entry of an image folder
 * (data/dv-folder.c, decoding through gdk-pixbuf).
 *
 * The input is one image file, put in DIR/cls/ under a name whose extension
 * follows its magic bytes (.png, .jpg, .gif, .bmp, .ppm, .tif, .webp), and
 * opened twice: at its own size, and resized to 8×8 as --image-size does.
 */
#include "fuzz-common.h"
#include "fuzz-data-common.h"

#include <string.h>

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup (TRUE);
  return 0;
}

static const char *
name_for (const uint8_t *d, size_t n)
{
  if (n >= 2 && d[0] == 0xff && d[1] == 0xd8)
    return "cls/x.jpg";
  if (n >= 3 && memcmp (d, "GIF", 3) == 0)
    return "cls/x.gif";
  if (n >= 2 && memcmp (d, "BM", 2) == 0)
    return "cls/x.bmp";
  if (n >= 1 && d[0] == 'P')
    return "cls/x.ppm";
  if (n >= 2 && (memcmp (d, "II", 2) == 0 || memcmp (d, "MM", 2) == 0))
    return "cls/x.tif";
  if (n >= 4 && memcmp (d, "RIFF", 4) == 0)
    return "cls/x.webp";
  return "cls/x.png";
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *path = fuzz_write (name_for (data, size), data, size);
  const DvDatasetOptions sizes[] = { { 0 }, { .height = 8, .width = 8 } };
  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autoptr (GError) error = NULL;
      DvDataset *ds = dv_dataset_open_folder (fuzz_scratch_dir, &sizes[s], &error);
      if (ds == NULL)
        {
          fuzz_refused (error);
          continue;
        }
      g_assert_cmpint (dv_dataset_get_n (ds), ==, 1);
      fuzz_use_dataset (ds);
      dv_dataset_unref (ds);
    }
  g_unlink (path);
  return 0;
}
