/* dv-torch.c — TEMPORARY placeholder on branch i12-export only, replaced by
 * the real reader/writer of branch i12-torch on merge.  It implements no
 * part of dv-torch.h: every call reports that PyTorch files are not
 * supported yet, so the export can be built and its refusals tested. */
#include "dv-torch.h"

G_DEFINE_QUARK (dv-torch-error-quark, dv_torch_error)

gboolean
dv_torch_save (const DvSafetensors *st, const char *path, GError **error)
{
  g_return_val_if_fail (st != NULL && path != NULL, FALSE);
  g_set_error (error, DV_TORCH_ERROR, DV_TORCH_ERROR_CONTENT,
               "%s: writing PyTorch .pt files is not available in this build yet (the writer comes with "
               "branch i12-torch)", path);
  return FALSE;
}
