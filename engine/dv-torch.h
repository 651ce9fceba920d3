/* dv-torch.h — read and write PyTorch's torch.save files (.pt, .pth) and
 * PyTorch Lightning checkpoints (.ckpt), safely.
 *
 * Reading.  A torch.save file is a zip archive (`<name>/data.pkl`,
 * `<name>/data/N` storages, `<name>/byteorder`, `<name>/version`), read with
 * libzip.  data.pkl is interpreted by a restricted unpickler (protocols 2–5,
 * the opcodes torch.save emits) that knows only the globals a state_dict
 * needs (torch._utils._rebuild_tensor_v2, _rebuild_parameter,
 * collections.OrderedDict, the typed storages, torch.Size, …); any other
 * global becomes an inert placeholder that is never called — the security
 * property of torch.load(weights_only=True).  A placeholder inside
 * hyper_parameters or callbacks is inert data; a file whose result, or a
 * state_dict entry, is a call of one is refused (DV_TORCH_ERROR_UNSAFE).
 * Sizes are bounded (DESIGN.md lists the bounds); every error names the file
 * and the archive entry.  Entries are CRC-checked.
 *
 * The result is the file's tensors as an in-memory DvSafetensors, so every
 * consumer of checkpoints reads both formats the same way:
 *   - names are the state_dict keys; for a Lightning checkpoint the
 *     "state_dict" entry, with a leading "model." stripped when every key has it;
 *   - dtypes, shapes and bytes exactly as stored (non-contiguous views are
 *     materialised row-major);
 *   - metadata: "dynvision.source_format" = "torch" or "lightning";
 *     "dynvision.hyper_parameters" = the Lightning hyper_parameters as JSON
 *     (plain values only; a placeholder global appears as
 *     {"__global__": "module.Name"}), when present; and the "dynvision.*"
 *     metadata a file written by dv_torch_save carried (source_format is
 *     always the reader's own).
 * Optimizer states, loop state and callbacks of a .ckpt are ignored.
 */
#pragma once

#include "dv-safetensors.h"

G_BEGIN_DECLS

#define DV_TORCH_ERROR (dv_torch_error_quark ())
typedef enum {
  DV_TORCH_ERROR_ZIP,       /* not a readable zip archive, or an entry missing */
  DV_TORCH_ERROR_PICKLE,    /* malformed or unsupported pickle */
  DV_TORCH_ERROR_UNSAFE,    /* the pickle tries to call something not allowed */
  DV_TORCH_ERROR_STORAGE,   /* a tensor's storage is missing, short or of the wrong type */
  DV_TORCH_ERROR_TOO_LARGE, /* beyond the reader's bounds */
  DV_TORCH_ERROR_CONTENT,   /* no state_dict in it */
} DvTorchError;
GQuark dv_torch_error_quark (void);

/* TRUE when the bytes start like a zip archive (torch.save's format since 1.6). */
gboolean       dv_torch_bytes_look_like_torch (GBytes *bytes);

DvSafetensors *dv_torch_load (const char *path, GError **error);
DvSafetensors *dv_torch_load_from_bytes (GBytes *bytes, const char *display_name, GError **error);

/* Writes every tensor of `st` (names, dtypes, shapes and bytes exactly) as
 * torch.save would write an OrderedDict state_dict, readable by
 * torch.load(path, weights_only=True) in torch 1.13 and later; `st`'s
 * "dynvision.*" metadata is carried in the state_dict's _metadata
 * (_metadata["__dynvision__"] = {key: value}) so that dv_torch_load gives it
 * back; other metadata is not carried.  Entries are stored, their data 64-byte
 * aligned as torch's writer does; no zip64 (DV_TORCH_ERROR_TOO_LARGE beyond
 * 4 GiB).  Atomic (temporary file + rename, dv-tempfile.h's lock). */
gboolean       dv_torch_save (const DvSafetensors *st, const char *path, GError **error);
/* The archive dv_torch_save writes, as bytes (NULL and DV_TORCH_ERROR_TOO_LARGE
 * beyond what a zip without zip64 holds: 4 GiB, 65000 tensors). */
GBytes        *dv_torch_save_to_bytes (const DvSafetensors *st, GError **error);

G_END_DECLS
