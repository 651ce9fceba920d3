/* fuzz-torch.c — libFuzzer target for engine/dv-torch.c.
 *
 * Two input forms.  One starting "PK\3\4" is a whole torch.save archive
 * (.pt / .ckpt) as is.  Since a mutated archive nearly always fails its CRC
 * check, the other form reaches the unpickler and the tensor checks: "DVPK",
 * a count byte, per storage (key "0", "1", …) a little-endian u16 length and
 * its bytes, then data.pkl; the target zips them (libzip, valid CRCs) as
 * "archive/…" and reads that (tests/fuzz/make-seeds.py makes such seeds from
 * the fixtures).  An archive the reader
 * accepts has every tensor converted to float32 and int64 (reading all its
 * bytes) and its metadata read; it is then written with dv_torch_save's
 * writer and must read back to the same names, dtypes, shapes, bytes and
 * dynvision.* metadata.
 */
#include "fuzz-common.h"
#include "dv-torch.h"

#include <string.h>
#include <zip.h>

/* The "DVPK" form as a zip archive; NULL when the input is too short for it. */
static GBytes *
zip_of_parts (const uint8_t *data, size_t size)
{
  if (size < 5)
    return NULL;
  const uint8_t *p = data + 5, *end = data + size;
  zip_error_t ze;
  zip_error_init (&ze);
  zip_source_t *src = zip_source_buffer_create (NULL, 0, 0, &ze);
  zip_t *z = zip_open_from_source (src, ZIP_TRUNCATE, &ze);
  g_assert (z != NULL);
  zip_source_keep (src);
  for (guint i = 0; i < data[4]; i++)
    {
      if (end - p < 2)
        break;
      size_t n = MIN ((size_t) (p[0] | p[1] << 8), (size_t) (end - p - 2));
      g_autofree char *name = g_strdup_printf ("archive/data/%u", i);
      zip_source_t *s = zip_source_buffer (z, p + 2, n, 0);
      g_assert (zip_file_add (z, name, s, ZIP_FL_OVERWRITE) >= 0);
      zip_set_file_compression (z, zip_name_locate (z, name, 0), ZIP_CM_STORE, 0);
      p += 2 + n;
    }
  zip_source_t *pkl = zip_source_buffer (z, p, end - p, 0);
  g_assert (zip_file_add (z, "archive/data.pkl", pkl, ZIP_FL_OVERWRITE) >= 0);
  g_assert (zip_close (z) == 0);
  g_assert (zip_source_open (src) == 0);
  zip_source_seek (src, 0, SEEK_END);
  zip_int64_t len = zip_source_tell (src);
  zip_source_seek (src, 0, SEEK_SET);
  guint8 *buf = g_malloc (len ? len : 1);
  g_assert (zip_source_read (src, buf, len) == len);
  zip_source_close (src);
  zip_source_free (src);
  zip_error_fini (&ze);
  return g_bytes_new_take (buf, len);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup (FALSE);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = size >= 4 && memcmp (data, "DVPK", 4) == 0 ? zip_of_parts (data, size)
                                                                        : g_bytes_new (data, size);
  if (bytes == NULL)
    return 0;
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
