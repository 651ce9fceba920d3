/* fuzz-safetensors.c — libFuzzer target for engine/dv-safetensors.c.
 *
 * The input is a whole .safetensors file.  A file the loader accepts has
 * every tensor converted to float32 and int64 (reading all its bytes) and
 * its metadata read; it is then written again with the writer and must load
 * back to the same names, dtypes, shapes, bytes and metadata.
 */
#include "fuzz-common.h"
#include "dv-safetensors.h"

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
  g_autoptr (DvSafetensors) st = dv_safetensors_load_from_bytes (bytes, "fuzz.safetensors",
                                                                 &error);
  if (st == NULL)
    {
      fuzz_refused (error);
      return 0;
    }
  g_assert (error == NULL);

  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  guint n = dv_safetensors_n_tensors (st);
  for (guint i = 0; i < n; i++)
    {
      const DvStTensor *t = dv_safetensors_tensor (st, i);
      g_assert (dv_safetensors_lookup (st, t->name) == t);
      g_assert (t->nbytes == (gsize) t->numel * dv_dtype_size (t->dtype));
      g_free (dv_st_tensor_to_f32 (t));
      g_free (dv_st_tensor_to_i64 (t));
      dv_safetensors_writer_add (w, t->name, t->dtype, t->ndim, t->ndim ? t->shape : NULL,
                                 t->data);
    }
  const char *const *keys = dv_safetensors_metadata_keys (st);
  for (int k = 0; keys[k] != NULL; k++)
    dv_safetensors_writer_set_metadata (w, keys[k], dv_safetensors_metadata (st, keys[k]));

  g_autoptr (GBytes) again = dv_safetensors_writer_to_bytes (w);
  g_autoptr (DvSafetensors) st2 = dv_safetensors_load_from_bytes (again, "again", &error);
  if (st2 == NULL)
    g_error ("a file the loader accepted does not load after writing it again: %s",
             error->message);
  g_assert_cmpuint (dv_safetensors_n_tensors (st2), ==, n);
  for (guint i = 0; i < n; i++)
    {
      const DvStTensor *a = dv_safetensors_tensor (st, i), *b = dv_safetensors_tensor (st2, i);
      g_assert_cmpstr (a->name, ==, b->name);
      g_assert (a->dtype == b->dtype && a->ndim == b->ndim && a->nbytes == b->nbytes);
      g_assert (memcmp (a->shape, b->shape, sizeof (gint64) * a->ndim) == 0);
      g_assert (a->nbytes == 0 || memcmp (a->data, b->data, a->nbytes) == 0);
    }
  for (int k = 0; keys[k] != NULL; k++)
    g_assert_cmpstr (dv_safetensors_metadata (st, keys[k]), ==,
                     dv_safetensors_metadata (st2, keys[k]));
  return 0;
}
