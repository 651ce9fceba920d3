/* dv-safetensors.h — read and write huggingface safetensors files.
 *
 * What this is for: model weights, golden reference tensors and checkpoints.
 * A loaded file is validated completely before anything is returned, so a
 * truncated or hostile file gives a GError naming the file and the problem,
 * never a crash.  What it is not for: lazy loading of files larger than
 * memory, or big-endian hosts.
 *
 * Format: an 8-byte little-endian u64 N, N bytes of UTF-8 JSON
 *   { "__metadata__": {str: str},                       (optional)
 *     "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ... }
 * padded with spaces so that 8 + N is a multiple of 8, then the data section:
 * raw little-endian row-major bytes, offsets relative to its start, fully
 * covered by the tensors with no holes and no overlap.
 *
 * Ownership.  A DvSafetensors owns the file's bytes; every DvStTensor and
 * every string it hands out (names, metadata) stays valid until
 * dv_safetensors_free.  The file is read into memory, so rewriting it on disk
 * afterwards cannot disturb a loaded copy.  `data` is only as aligned as the
 * file lays it out: the writer here and PyTorch's writer start the data
 * section on an 8-byte boundary, but a tensor that follows one of odd byte
 * size is unaligned — use dv_st_tensor_to_f32 / _to_i64 (which memcpy) when
 * in doubt.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);

typedef enum {
  DV_DTYPE_F32,
  DV_DTYPE_F64,
  DV_DTYPE_F16,
  DV_DTYPE_BF16,
  DV_DTYPE_I64,
  DV_DTYPE_I32,
  DV_DTYPE_I16,
  DV_DTYPE_I8,
  DV_DTYPE_U8,
  DV_DTYPE_BOOL
} DvDtype;

#define DV_ST_MAX_DIMS 8

/* Largest header accepted when loading. */
#define DV_ST_MAX_HEADER_BYTES (100 * 1000 * 1000)

#define DV_SAFETENSORS_ERROR (dv_safetensors_error_quark ())
typedef enum {
  DV_SAFETENSORS_ERROR_TOO_SHORT,        /* fewer than 8 bytes */
  DV_SAFETENSORS_ERROR_HEADER_SIZE,      /* header length beyond the file, or oversized */
  DV_SAFETENSORS_ERROR_HEADER_JSON,      /* header not valid JSON / not an object */
  DV_SAFETENSORS_ERROR_ENTRY,            /* tensor entry missing a field or of wrong type */
  DV_SAFETENSORS_ERROR_DTYPE,            /* unknown dtype */
  DV_SAFETENSORS_ERROR_SHAPE,            /* negative, non-integer, too many or absurd dims */
  DV_SAFETENSORS_ERROR_OFFSETS,          /* data_offsets do not match numel * dtype size */
  DV_SAFETENSORS_ERROR_TRUNCATED,        /* a tensor's bytes lie beyond the end of the file */
  DV_SAFETENSORS_ERROR_LAYOUT,           /* overlap, hole or trailing bytes in the data section */
  DV_SAFETENSORS_ERROR_DUPLICATE,        /* a tensor (or metadata key) named twice */
  DV_SAFETENSORS_ERROR_METADATA,         /* __metadata__ not an object of strings */
} DvSafetensorsError;
GQuark dv_safetensors_error_quark (void);

typedef struct {
  const char *name;
  DvDtype dtype;
  int ndim;                      /* 0 for a scalar */
  gint64 shape[DV_ST_MAX_DIMS];
  gint64 numel;                  /* product of shape; 1 for a scalar */
  const void *data;              /* points into the loaded file */
  gsize nbytes;                  /* numel * dv_dtype_size (dtype) */
} DvStTensor;

typedef struct _DvSafetensors DvSafetensors;

/* File errors (missing, unreadable) come as G_FILE_ERROR; everything wrong
 * with the content as DV_SAFETENSORS_ERROR with the path in the message. */
DvSafetensors    *dv_safetensors_load (const char *path, GError **error);
/* Keeps a reference to bytes; display_name is used in error messages. */
DvSafetensors    *dv_safetensors_load_from_bytes (GBytes *bytes, const char *display_name,
                                                  GError **error);
void              dv_safetensors_free (DvSafetensors *st);

guint             dv_safetensors_n_tensors (const DvSafetensors *st);
/* Tensors in header order, as written. */
const DvStTensor *dv_safetensors_tensor (const DvSafetensors *st, guint i);
const DvStTensor *dv_safetensors_lookup (const DvSafetensors *st, const char *name);
const char       *dv_safetensors_metadata (const DvSafetensors *st, const char *key);
/* NULL-terminated, in header order; never NULL (empty when no metadata). */
const char *const*dv_safetensors_metadata_keys (const DvSafetensors *st);

/* Any dtype converted to float32 / int64, in a new buffer of numel elements
 * (at least one element is allocated, so the result is never NULL; g_free).
 * Floats become int64 by truncation toward zero, saturating; NaN -> 0.
 * BOOL is 0 or 1. */
float            *dv_st_tensor_to_f32 (const DvStTensor *t);
gint64           *dv_st_tensor_to_i64 (const DvStTensor *t);
/* float32 to IEEE half, rounded to nearest even; beyond ±65504 gives ±Inf, NaN stays NaN,
 * tiny values become subnormals or ±0.  FALSE from _to_f16 when a finite value of src would
 * not be finite as F16 (dst is filled either way). */
guint16           dv_f32_to_f16 (float f);
gboolean          dv_f32_array_to_f16 (guint16 *dst, const float *src, gint64 n);

const char       *dv_dtype_name (DvDtype d);          /* "F32", "BF16", "BOOL", ... */
gsize             dv_dtype_size (DvDtype d);          /* bytes per element */
gboolean          dv_dtype_from_name (const char *name, DvDtype *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvSafetensors, dv_safetensors_free)

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

typedef struct _DvSafetensorsWriter DvSafetensorsWriter;

DvSafetensorsWriter *dv_safetensors_writer_new (void);
void                 dv_safetensors_writer_free (DvSafetensorsWriter *w);
/* Adds a tensor; data (numel * dtype size bytes, little-endian, row-major)
 * is COPIED.  shape may be NULL when ndim is 0.  Names must be unique, valid
 * UTF-8 and not "__metadata__" (programmer errors otherwise). */
void                 dv_safetensors_writer_add (DvSafetensorsWriter *w, const char *name,
                                                DvDtype dtype, int ndim, const gint64 *shape,
                                                const void *data);
/* Sets (or replaces) a metadata string; values must be valid UTF-8. */
void                 dv_safetensors_writer_set_metadata (DvSafetensorsWriter *w, const char *key,
                                                         const char *value);
/* The whole file as bytes (what _save writes). */
GBytes              *dv_safetensors_writer_to_bytes (DvSafetensorsWriter *w);
/* Atomic: writes PATH.tmp-XXXXXX in the same folder (locked while written),
 * fsyncs, renames over PATH; on any failure the old file at PATH is untouched
 * and the temporary is removed.  First removes the temporaries interrupted
 * saves left in that folder (dv-tempfile.h).  Errors are G_FILE_ERROR and
 * name the path. */
gboolean             dv_safetensors_writer_save (DvSafetensorsWriter *w, const char *path,
                                                 GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvSafetensorsWriter, dv_safetensors_writer_free)

G_END_DECLS
