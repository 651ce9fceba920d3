/* dv-torch.c — TEMPORARY, replaced by branch i12-torch on merge.
 *
 * The PyTorch reader/writer of dv-torch.h is written on branch i12-torch.
 * Until it is merged this file recognises a torch.save file (a zip archive)
 * and refuses to read or write one with an error that says so; nothing else
 * in the tree depends on this file beyond the contract in dv-torch.h. */
#include "dv-torch.h"

#include <string.h>

G_DEFINE_QUARK (dv-torch-error-quark, dv_torch_error)

#define TEMP_REFUSAL "PyTorch files need the reader from branch i12-torch, which this build does not have yet"

gboolean
dv_torch_bytes_look_like_torch (GBytes *bytes)
{
  gsize n = 0;
  const guint8 *b = bytes ? g_bytes_get_data (bytes, &n) : NULL;
  return n >= 4 && memcmp (b, "PK\003\004", 4) == 0;
}

DvSafetensors *
dv_torch_load_from_bytes (GBytes *bytes, const char *display_name, GError **error)
{
  (void) bytes;
  g_set_error (error, DV_TORCH_ERROR, DV_TORCH_ERROR_ZIP, "%s: " TEMP_REFUSAL, display_name);
  return NULL;
}

DvSafetensors *
dv_torch_load (const char *path, GError **error)
{
  g_set_error (error, DV_TORCH_ERROR, DV_TORCH_ERROR_ZIP, "%s: " TEMP_REFUSAL, path);
  return NULL;
}

gboolean
dv_torch_save (const DvSafetensors *st, const char *path, GError **error)
{
  (void) st;
  g_set_error (error, DV_TORCH_ERROR, DV_TORCH_ERROR_ZIP, "%s: writing " TEMP_REFUSAL, path);
  return FALSE;
}
