/* fuzz-torch.c — libFuzzer target for engine/dv-torch.c.
 *
 * The input is a whole torch.save archive (.pt / .ckpt).  A file the reader
 * accepts has every tensor converted to float32 and int64 (reading all its
 * bytes) and its metadata read; it is then written with dv_torch_save's
 * writer and must read back to the same names, dtypes, shapes, bytes and
 * dynvision.* metadata.
 */
#include "fuzz-common.h"
#include "dv-torch.h"

#include <string.h>

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup (FALSE);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvSafetensors) st = dv_torch_load_from_bytes (bytes, "fuzz.pt", &error);
  if (st == NULL)
    {
      g_assert (error->domain == DV_TORCH_ERROR);
      fuzz_refused (error);
      return 0;
    }
  g_assert (error == NULL);
  g_assert (dv_safetensors_metadata (st, "dynvision.source_format") != NULL);

  guint n = dv_safetensors_n_tensors (st);
  for (guint i = 0; i < n; i++)
    {
      const DvStTensor *t = dv_safetensors_tensor (st, i);
      g_assert (t->nbytes == (gsize) t->numel * dv_dtype_size (t->dtype));
      g_free (dv_st_tensor_to_f32 (t));
      g_free (dv_st_tensor_to_i64 (t));
    }

  g_autoptr (GBytes) again = dv_torch_save_to_bytes (st, &error);
  g_assert_no_error (error);
  g_autoptr (DvSafetensors) st2 = dv_torch_load_from_bytes (again, "again.pt", &error);
  if (st2 == NULL)
    g_error ("a file the reader accepted does not read back after writing it: %s", error->message);
  g_assert_cmpuint (dv_safetensors_n_tensors (st2), ==, n);
  for (guint i = 0; i < n; i++)
    {
      const DvStTensor *a = dv_safetensors_tensor (st, i), *b = dv_safetensors_tensor (st2, i);
      g_assert_cmpstr (a->name, ==, b->name);
      g_assert (a->dtype == b->dtype && a->ndim == b->ndim && a->nbytes == b->nbytes);
      g_assert (memcmp (a->shape, b->shape, sizeof (gint64) * a->ndim) == 0);
      g_assert (a->nbytes == 0 || memcmp (a->data, b->data, a->nbytes) == 0);
    }
  const char *const *keys = dv_safetensors_metadata_keys (st);
  for (int k = 0; keys[k] != NULL; k++)
    if (g_str_has_prefix (keys[k], "dynvision.") && !g_str_equal (keys[k], "dynvision.source_format"))
      g_assert_cmpstr (dv_safetensors_metadata (st, keys[k]), ==, dv_safetensors_metadata (st2, keys[k]));
  return 0;
}
