/* dv-safetensors.c — safetensors loading (with full validation), dtype
 * conversion and atomic writing.
 *
 * What this is for: turning bytes from disk into DvStTensor views only after
 * every field of the header has been checked against the data section, and
 * writing files that Python's safetensors / numpy readers accept.  What it
 * is not for: knowing what the tensors mean (dv-checkpoint.c does that).
 */
#include "dv-safetensors.h"
#include "dv-error.h"
#include "dv-json.h"
#include "dv-tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (dv-safetensors-error-quark, dv_safetensors_error)

struct _DvSafetensors {
  GBytes *bytes;
  DvJson *header;          /* tensor names and metadata strings point into it */
  const DvJson *metadata;  /* the "__metadata__" object, or NULL */
  DvStTensor *tensors;
  guint n_tensors;
  GHashTable *by_name;     /* borrowed name -> DvStTensor* */
  const char **meta_keys;  /* NULL-terminated, borrowed */
};

/* ------------------------------------------------------------------------ */
/* Dtypes                                                                    */

static const struct {
  const char *name;
  gsize size;
} dtype_info[] = {
  [DV_DTYPE_F32] = { "F32", 4 },
  [DV_DTYPE_F64] = { "F64", 8 },
  [DV_DTYPE_F16] = { "F16", 2 },
  [DV_DTYPE_BF16] = { "BF16", 2 },
  [DV_DTYPE_I64] = { "I64", 8 },
  [DV_DTYPE_I32] = { "I32", 4 },
  [DV_DTYPE_I16] = { "I16", 2 },
  [DV_DTYPE_I8] = { "I8", 1 },
  [DV_DTYPE_U8] = { "U8", 1 },
  [DV_DTYPE_BOOL] = { "BOOL", 1 },
};

const char *
dv_dtype_name (DvDtype d)
{
  g_return_val_if_fail ((guint) d < G_N_ELEMENTS (dtype_info), "?");
  return dtype_info[d].name;
}

gsize
dv_dtype_size (DvDtype d)
{
  g_return_val_if_fail ((guint) d < G_N_ELEMENTS (dtype_info), 0);
  return dtype_info[d].size;
}

gboolean
dv_dtype_from_name (const char *name, DvDtype *out)
{
  g_return_val_if_fail (name != NULL, FALSE);
  for (guint d = 0; d < G_N_ELEMENTS (dtype_info); d++)
    if (strcmp (name, dtype_info[d].name) == 0)
      {
        if (out != NULL)
          *out = (DvDtype) d;
        return TRUE;
      }
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                   */

void
dv_safetensors_free (DvSafetensors *st)
{
  if (st == NULL)
    return;
  g_clear_pointer (&st->by_name, g_hash_table_unref);
  g_free (st->meta_keys);
  g_free (st->tensors);
  dv_json_free (st->header);
  g_clear_pointer (&st->bytes, g_bytes_unref);
  g_free (st);
}

/* "a number", "an array", ... */
static const char *
a_type (const DvJson *v)
{
  static const char *const phrases[] = { "null", "a boolean", "a number", "a string", "an array",
                                         "an object" };
  return phrases[dv_json_type (v)];
}

static gboolean G_GNUC_PRINTF (4, 5)
fail (GError **error, DvSafetensorsError code, const char *file, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  dv_error_setv (error, DV_SAFETENSORS_ERROR, code, file, fmt, ap);
  va_end (ap);
  return FALSE;
}

static gboolean
parse_metadata (DvSafetensors *st, const DvJson *meta, const char *file, GError **error)
{
  if (dv_json_type (meta) == DV_JSON_NULL)
    return TRUE;
  if (dv_json_type (meta) != DV_JSON_OBJECT)
    return fail (error, DV_SAFETENSORS_ERROR_METADATA, file,
                 "\"__metadata__\" is %s, expected an object of strings", a_type (meta));
  guint n = dv_json_length (meta);
  for (guint i = 0; i < n; i++)
    {
      const DvJson *v = dv_json_object_value (meta, i);
      if (dv_json_type (v) != DV_JSON_STRING)
        return fail (error, DV_SAFETENSORS_ERROR_METADATA, file,
                     "metadata value of \"%s\" is %s, expected a string",
                     dv_json_object_key (meta, i), a_type (v));
    }
  st->metadata = meta;
  g_free (st->meta_keys);
  st->meta_keys = g_new0 (const char *, n + 1);
  for (guint i = 0; i < n; i++)
    st->meta_keys[i] = dv_json_object_key (meta, i);
  return TRUE;
}

/* Reads a JSON integer >= 0 (a shape dimension or an offset). */
static gboolean
get_count (const DvJson *v, gint64 *out)
{
  if (!dv_json_is_int (v) || dv_json_int (v) < 0)
    return FALSE;
  *out = dv_json_int (v);
  return TRUE;
}

/* Fills t (all but data) from one header entry; *begin / *end get the offsets. */
static gboolean
parse_entry (DvStTensor *t, const DvJson *entry, gsize data_len, gint64 *begin, gint64 *end,
             const char *file, GError **error)
{
  const char *name = t->name;
  if (dv_json_type (entry) != DV_JSON_OBJECT)
    return fail (error, DV_SAFETENSORS_ERROR_ENTRY, file,
                 "tensor \"%s\": entry is %s, expected an object", name, a_type (entry));
  static const struct { const char *key; DvJsonType type; const char *a_type; } fields[] = {
    { "dtype", DV_JSON_STRING, "a string" },
    { "shape", DV_JSON_ARRAY, "an array" },
    { "data_offsets", DV_JSON_ARRAY, "an array" },
  };
  for (guint k = 0; k < G_N_ELEMENTS (fields); k++)
    {
      const DvJson *v = dv_json_object_get (entry, fields[k].key);
      if (v == NULL)
        return fail (error, DV_SAFETENSORS_ERROR_ENTRY, file, "tensor \"%s\": missing \"%s\"",
                     name, fields[k].key);
      if (dv_json_type (v) != fields[k].type)
        return fail (error, DV_SAFETENSORS_ERROR_ENTRY, file,
                     "tensor \"%s\": \"%s\" is %s, expected %s", name, fields[k].key,
                     a_type (v), fields[k].a_type);
    }

  const char *dtype = dv_json_get_string (entry, "dtype", NULL);
  if (!dv_dtype_from_name (dtype, &t->dtype))
    return fail (error, DV_SAFETENSORS_ERROR_DTYPE, file,
                 "tensor \"%s\": unknown dtype \"%s\"", name, dtype);
  gsize dsize = dv_dtype_size (t->dtype);

  const DvJson *shape = dv_json_object_get (entry, "shape");
  guint ndim = dv_json_length (shape);
  if (ndim > DV_ST_MAX_DIMS)
    return fail (error, DV_SAFETENSORS_ERROR_SHAPE, file,
                 "tensor \"%s\": %u dimensions, at most %d are supported", name, ndim,
                 DV_ST_MAX_DIMS);
  t->ndim = (int) ndim;
  gint64 prod = 1;
  gboolean any_zero = FALSE;
  for (guint d = 0; d < ndim; d++)
    {
      const DvJson *v = dv_json_array_get (shape, d);
      if (dv_json_type (v) != DV_JSON_NUMBER)
        return fail (error, DV_SAFETENSORS_ERROR_ENTRY, file,
                     "tensor \"%s\": shape[%u] is %s, expected an integer", name, d,
                     a_type (v));
      if (!get_count (v, &t->shape[d]))
        {
          g_autofree char *text = dv_json_to_string (v, FALSE);
          return fail (error, DV_SAFETENSORS_ERROR_SHAPE, file,
                       "tensor \"%s\": shape[%u] = %s is not a non-negative integer", name, d,
                       text);
        }
      if (t->shape[d] == 0)
        any_zero = TRUE;
      else if (prod > G_MAXINT64 / (gint64) dsize / t->shape[d])
        return fail (error, DV_SAFETENSORS_ERROR_SHAPE, file,
                     "tensor \"%s\": absurd shape (more than 2^63 bytes of %s)", name, dtype);
      else
        prod *= t->shape[d];
    }
  t->numel = any_zero ? 0 : prod;
  t->nbytes = (gsize) t->numel * dsize;

  const DvJson *offs = dv_json_object_get (entry, "data_offsets");
  if (dv_json_length (offs) != 2
      || dv_json_type (dv_json_array_get (offs, 0)) != DV_JSON_NUMBER
      || dv_json_type (dv_json_array_get (offs, 1)) != DV_JSON_NUMBER)
    return fail (error, DV_SAFETENSORS_ERROR_ENTRY, file,
                 "tensor \"%s\": \"data_offsets\" must be two integers [begin, end]", name);
  if (!get_count (dv_json_array_get (offs, 0), begin)
      || !get_count (dv_json_array_get (offs, 1), end) || *end < *begin)
    {
      g_autofree char *text = dv_json_to_string (offs, FALSE);
      return fail (error, DV_SAFETENSORS_ERROR_OFFSETS, file,
                   "tensor \"%s\": data_offsets %s are not integers 0 <= begin <= end", name,
                   text);
    }
  if ((guint64) (*end - *begin) != (guint64) t->nbytes)
    return fail (error, DV_SAFETENSORS_ERROR_OFFSETS, file,
                 "tensor \"%s\": data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                 "] span %" G_GINT64_FORMAT " bytes, but %" G_GINT64_FORMAT " x %s needs %"
                 G_GSIZE_FORMAT, name, *begin, *end, *end - *begin, t->numel, dtype, t->nbytes);
  if ((guint64) *end > (guint64) data_len)
    return fail (error, DV_SAFETENSORS_ERROR_TRUNCATED, file,
                 "tensor \"%s\": data ends at byte %" G_GINT64_FORMAT " of the data section, "
                 "which has only %" G_GSIZE_FORMAT " bytes (truncated file?)",
                 name, *end, data_len);
  return TRUE;
}

typedef struct {
  gint64 begin, end;
  guint index;
} Span;

static int
span_cmp (const void *a, const void *b)
{
  const Span *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return 0;
}

/* The data section must be covered exactly: sorted spans touching end to start. */
static gboolean
check_layout (const DvSafetensors *st, Span *spans, gsize data_len, const char *file,
              GError **error)
{
  qsort (spans, st->n_tensors, sizeof (Span), span_cmp);
  gint64 pos = 0;
  for (guint k = 0; k < st->n_tensors; k++)
    {
      const char *name = st->tensors[spans[k].index].name;
      if (spans[k].begin < pos)
        return fail (error, DV_SAFETENSORS_ERROR_LAYOUT, file,
                     "tensor \"%s\" at bytes [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                     ") overlaps tensor \"%s\"", name, spans[k].begin, spans[k].end,
                     st->tensors[spans[k - 1].index].name);
      if (spans[k].begin > pos)
        return fail (error, DV_SAFETENSORS_ERROR_LAYOUT, file,
                     "hole in the data section: bytes [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                     ") before tensor \"%s\" belong to no tensor", pos, spans[k].begin, name);
      pos = spans[k].end;
    }
  if ((guint64) pos != (guint64) data_len)
    return fail (error, DV_SAFETENSORS_ERROR_LAYOUT, file,
                 "%" G_GUINT64_FORMAT " trailing bytes after the last tensor belong to no tensor",
                 (guint64) data_len - (guint64) pos);
  return TRUE;
}

DvSafetensors *
dv_safetensors_load_from_bytes (GBytes *bytes, const char *display_name, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  const char *file = display_name != NULL ? display_name : "(safetensors)";
  gsize size;
  const guint8 *base = g_bytes_get_data (bytes, &size);

  if (size < 8)
    {
      fail (error, DV_SAFETENSORS_ERROR_TOO_SHORT, file,
            "file is %" G_GSIZE_FORMAT " bytes long, too short for the 8-byte header length",
            size);
      return NULL;
    }
  guint64 n;
  memcpy (&n, base, 8); /* little-endian host asserted in the header */
  if (n > DV_ST_MAX_HEADER_BYTES)
    {
      fail (error, DV_SAFETENSORS_ERROR_HEADER_SIZE, file,
            "oversized header: length field says %" G_GUINT64_FORMAT " bytes (limit %d)", n,
            DV_ST_MAX_HEADER_BYTES);
      return NULL;
    }
  if (n > size - 8)
    {
      fail (error, DV_SAFETENSORS_ERROR_HEADER_SIZE, file,
            "header length %" G_GUINT64_FORMAT " exceeds the %" G_GSIZE_FORMAT
            " bytes that follow it (truncated file?)", n, size - 8);
      return NULL;
    }

  g_autoptr (DvSafetensors) st = g_new0 (DvSafetensors, 1);
  st->bytes = g_bytes_ref (bytes);
  st->meta_keys = g_new0 (const char *, 1);
  g_autoptr (GError) json_error = NULL;
  st->header = dv_json_parse_full ((const char *) base + 8, (gssize) n,
                                   DV_JSON_PARSE_REJECT_DUPLICATES, &json_error);
  if (st->header == NULL)
    {
      if (g_error_matches (json_error, DV_JSON_ERROR, DV_JSON_ERROR_DUPLICATE_KEY))
        fail (error, DV_SAFETENSORS_ERROR_DUPLICATE, file,
              "header repeats a tensor name or key (%s)", json_error->message);
      else
        fail (error, DV_SAFETENSORS_ERROR_HEADER_JSON, file, "header is not valid JSON (%s)",
              json_error->message);
      return NULL;
    }
  if (dv_json_type (st->header) != DV_JSON_OBJECT)
    {
      fail (error, DV_SAFETENSORS_ERROR_HEADER_JSON, file,
            "header is %s, expected a JSON object", a_type (st->header));
      return NULL;
    }

  const guint8 *data = base + 8 + n;
  gsize data_len = size - 8 - n;
  guint n_members = dv_json_length (st->header);
  st->tensors = g_new0 (DvStTensor, MAX (n_members, 1));
  g_autofree Span *spans = g_new0 (Span, MAX (n_members, 1));
  for (guint i = 0; i < n_members; i++)
    {
      const char *key = dv_json_object_key (st->header, i);
      const DvJson *value = dv_json_object_value (st->header, i);
      if (strcmp (key, "__metadata__") == 0)
        {
          if (!parse_metadata (st, value, file, error))
            return NULL;
          continue;
        }
      DvStTensor *t = &st->tensors[st->n_tensors];
      Span *sp = &spans[st->n_tensors];
      t->name = key;
      if (!parse_entry (t, value, data_len, &sp->begin, &sp->end, file, error))
        return NULL;
      t->data = data + sp->begin;
      sp->index = st->n_tensors++;
    }
  if (!check_layout (st, spans, data_len, file, error))
    return NULL;

  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < st->n_tensors; i++)
    g_hash_table_insert (st->by_name, (gpointer) st->tensors[i].name, &st->tensors[i]);
  return g_steal_pointer (&st);
}

DvSafetensors *
dv_safetensors_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  char *contents;
  gsize len;
  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  g_autoptr (GBytes) bytes = g_bytes_new_take (contents, len);
  return dv_safetensors_load_from_bytes (bytes, path, error);
}

guint
dv_safetensors_n_tensors (const DvSafetensors *st)
{
  g_return_val_if_fail (st != NULL, 0);
  return st->n_tensors;
}

const DvStTensor *
dv_safetensors_tensor (const DvSafetensors *st, guint i)
{
  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (i < st->n_tensors, NULL);
  return &st->tensors[i];
}

const DvStTensor *
dv_safetensors_lookup (const DvSafetensors *st, const char *name)
{
  g_return_val_if_fail (st != NULL && name != NULL, NULL);
  return g_hash_table_lookup (st->by_name, name);
}

const char *
dv_safetensors_metadata (const DvSafetensors *st, const char *key)
{
  g_return_val_if_fail (st != NULL && key != NULL, NULL);
  return dv_json_get_string (st->metadata, key, NULL);
}

const char *const *
dv_safetensors_metadata_keys (const DvSafetensors *st)
{
  g_return_val_if_fail (st != NULL, NULL);
  return st->meta_keys;
}

/* ------------------------------------------------------------------------ */
/* Conversion                                                                */

static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
  if (exp == 0x1F)
    bits = sign | 0x7F800000u | (mant << 13); /* inf / nan */
  else if (exp != 0)
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  else if (mant == 0)
    bits = sign;
  else
    {
      float f = ldexpf ((float) mant, -24); /* subnormal */
      return sign ? -f : f;
    }
  float f;
  memcpy (&f, &bits, 4);
  return f;
}

guint16
dv_f32_to_f16 (float f)
{
  guint32 x;
  memcpy (&x, &f, 4);
  guint32 sign = (x >> 16) & 0x8000u, ax = x & 0x7FFFFFFFu;
  if (ax > 0x7F800000u)
    return (guint16) (sign | 0x7E00u); /* NaN */
  if (ax >= 0x47800000u)               /* ≥ 65536 (and Inf): rounds past the largest half */
    return (guint16) (sign | 0x7C00u);
  if (ax < 0x38800000u)                /* below 2^-14: subnormal half, or zero */
    {
      float a;
      memcpy (&a, &ax, 4);
      /* a·2^24 in [0, 1024): rint rounds to nearest even in the default mode */
      return (guint16) (sign | (guint32) rintf (a * 16777216.0f));
    }
  guint32 mant = ax & 0x7FFFFFu, exp = (ax >> 23) - 112;
  guint32 h = (exp << 10) | (mant >> 13), rest = mant & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
    h++; /* may carry into the exponent, up to Inf: correct */
  return (guint16) (sign | h);
}

gboolean
dv_f32_array_to_f16 (guint16 *dst, const float *src, gint64 n)
{
  gboolean ok = TRUE;
  for (gint64 i = 0; i < n; i++)
    {
      dst[i] = dv_f32_to_f16 (src[i]);
      if (isfinite (src[i]) && (dst[i] & 0x7C00u) == 0x7C00u)
        ok = FALSE;
    }
  return ok;
}

/* Element i of t as a double (exact for every dtype but I64 beyond 2^53). */
static double
element_f64 (const DvStTensor *t, gint64 i)
{
  const guint8 *p = (const guint8 *) t->data + i * dv_dtype_size (t->dtype);
  union { float f; double d; gint64 i64; gint32 i32; gint16 i16; guint16 u16; guint32 u32; } u;
  memcpy (&u, p, dv_dtype_size (t->dtype));
  switch (t->dtype)
    {
    case DV_DTYPE_F32: return u.f;
    case DV_DTYPE_F64: return u.d;
    case DV_DTYPE_F16: return half_to_float (u.u16);
    case DV_DTYPE_BF16:
      u.u32 = (guint32) u.u16 << 16;
      return u.f;
    case DV_DTYPE_I64: return (double) u.i64;
    case DV_DTYPE_I32: return u.i32;
    case DV_DTYPE_I16: return u.i16;
    case DV_DTYPE_I8: return (gint8) *p;
    case DV_DTYPE_U8: return *p;
    case DV_DTYPE_BOOL: return *p != 0;
    default: g_return_val_if_reached (0.0);
    }
}

float *
dv_st_tensor_to_f32 (const DvStTensor *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  float *out = g_new (float, MAX (t->numel, 1));
  if (t->dtype == DV_DTYPE_F32 && t->nbytes > 0)
    memcpy (out, t->data, t->nbytes);
  else
    for (gint64 i = 0; i < t->numel; i++)
      out[i] = (float) element_f64 (t, i);
  return out;
}

gint64 *
dv_st_tensor_to_i64 (const DvStTensor *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  gint64 *out = g_new (gint64, MAX (t->numel, 1));
  if (t->dtype == DV_DTYPE_I64)
    {
      if (t->nbytes > 0)
        memcpy (out, t->data, t->nbytes);
      return out;
    }
  for (gint64 i = 0; i < t->numel; i++)
    {
      double v = element_f64 (t, i);
      if (isnan (v))
        out[i] = 0;
      else if (v >= 9223372036854775807.0)
        out[i] = G_MAXINT64;
      else if (v <= -9223372036854775808.0)
        out[i] = G_MININT64;
      else
        out[i] = (gint64) v;
    }
  return out;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

typedef struct {
  char *name;
  DvDtype dtype;
  int ndim;
  gint64 shape[DV_ST_MAX_DIMS];
  GBytes *data;
} WriterEntry;

struct _DvSafetensorsWriter {
  GPtrArray *entries;   /* WriterEntry*, in the order added */
  GHashTable *names;    /* borrowed names, for the uniqueness check */
  DvJson *metadata;     /* object of strings */
};

static void
writer_entry_free (gpointer p)
{
  WriterEntry *e = p;
  g_free (e->name);
  g_bytes_unref (e->data);
  g_free (e);
}

DvSafetensorsWriter *
dv_safetensors_writer_new (void)
{
  DvSafetensorsWriter *w = g_new0 (DvSafetensorsWriter, 1);
  w->entries = g_ptr_array_new_with_free_func (writer_entry_free);
  w->names = g_hash_table_new (g_str_hash, g_str_equal);
  w->metadata = dv_json_new_object ();
  return w;
}

void
dv_safetensors_writer_free (DvSafetensorsWriter *w)
{
  if (w == NULL)
    return;
  g_hash_table_unref (w->names);
  g_ptr_array_unref (w->entries);
  dv_json_free (w->metadata);
  g_free (w);
}

void
dv_safetensors_writer_add (DvSafetensorsWriter *w, const char *name, DvDtype dtype, int ndim,
                           const gint64 *shape, const void *data)
{
  g_return_if_fail (w != NULL && name != NULL);
  g_return_if_fail (g_utf8_validate (name, -1, NULL) && strcmp (name, "__metadata__") != 0);
  g_return_if_fail (!g_hash_table_contains (w->names, name));
  g_return_if_fail ((guint) dtype < G_N_ELEMENTS (dtype_info));
  g_return_if_fail (ndim >= 0 && ndim <= DV_ST_MAX_DIMS && (ndim == 0 || shape != NULL));
  gsize nbytes = dv_dtype_size (dtype);
  for (int d = 0; d < ndim; d++)
    {
      g_return_if_fail (shape[d] >= 0);
      g_return_if_fail (g_size_checked_mul (&nbytes, nbytes, (gsize) shape[d]));
    }
  g_return_if_fail (data != NULL || nbytes == 0);

  WriterEntry *e = g_new0 (WriterEntry, 1);
  e->name = g_strdup (name);
  e->dtype = dtype;
  e->ndim = ndim;
  for (int d = 0; d < ndim; d++)
    e->shape[d] = shape[d];
  e->data = g_bytes_new (data, nbytes);
  g_ptr_array_add (w->entries, e);
  g_hash_table_add (w->names, e->name);
}

void
dv_safetensors_writer_set_metadata (DvSafetensorsWriter *w, const char *key, const char *value)
{
  g_return_if_fail (w != NULL && key != NULL && value != NULL);
  g_return_if_fail (g_utf8_validate (key, -1, NULL) && g_utf8_validate (value, -1, NULL));
  dv_json_object_set (w->metadata, key, dv_json_new_string (value));
}

/* The header JSON padded with spaces so that 8 + length is a multiple of 8. */
static GString *
writer_header (const DvSafetensorsWriter *w)
{
  g_autoptr (DvJson) h = dv_json_new_object ();
  if (dv_json_length (w->metadata) > 0)
    dv_json_object_set (h, "__metadata__", dv_json_copy (w->metadata));
  gint64 offset = 0;
  for (guint i = 0; i < w->entries->len; i++)
    {
      const WriterEntry *e = w->entries->pdata[i];
      DvJson *entry = dv_json_new_object ();
      DvJson *shape = dv_json_new_array ();
      DvJson *offs = dv_json_new_array ();
      for (int d = 0; d < e->ndim; d++)
        dv_json_array_append (shape, dv_json_new_int (e->shape[d]));
      gint64 nbytes = (gint64) g_bytes_get_size (e->data);
      dv_json_array_append (offs, dv_json_new_int (offset));
      dv_json_array_append (offs, dv_json_new_int (offset + nbytes));
      offset += nbytes;
      dv_json_object_set (entry, "dtype", dv_json_new_string (dv_dtype_name (e->dtype)));
      dv_json_object_set (entry, "shape", shape);
      dv_json_object_set (entry, "data_offsets", offs);
      dv_json_object_set (h, e->name, entry);
    }
  char *text = dv_json_to_string (h, FALSE);
  GString *s = g_string_new (text);
  g_free (text);
  while ((8 + s->len) % 8 != 0)
    g_string_append_c (s, ' ');
  return s;
}

GBytes *
dv_safetensors_writer_to_bytes (DvSafetensorsWriter *w)
{
  g_return_val_if_fail (w != NULL, NULL);
  GString *h = writer_header (w);
  GByteArray *out = g_byte_array_new ();
  guint64 n = h->len;
  g_byte_array_append (out, (const guint8 *) &n, 8);
  g_byte_array_append (out, (const guint8 *) h->str, h->len);
  g_string_free (h, TRUE);
  for (guint i = 0; i < w->entries->len; i++)
    {
      gsize len;
      const guint8 *p = g_bytes_get_data (((WriterEntry *) w->entries->pdata[i])->data, &len);
      g_byte_array_append (out, p, len);
    }
  return g_byte_array_free_to_bytes (out);
}

gboolean
dv_safetensors_writer_save (DvSafetensorsWriter *w, const char *path, GError **error)
{
  g_return_val_if_fail (w != NULL && path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* the orphans of interrupted saves in this folder go first (dv-tempfile.h) */
  GString *h = writer_header (w);
  guint64 n = h->len;
  guint n_chunks = 2 + w->entries->len;
  g_autofree const void **chunks = g_new (const void *, n_chunks);
  g_autofree gsize *lens = g_new (gsize, n_chunks);
  chunks[0] = &n, lens[0] = 8;
  chunks[1] = h->str, lens[1] = h->len;
  for (guint i = 0; i < w->entries->len; i++)
    chunks[2 + i] = g_bytes_get_data (((WriterEntry *) w->entries->pdata[i])->data, &lens[2 + i]);
  gboolean ok = dv_temp_save_chunks (path, DV_TEMP_INFIX_SAFETENSORS, chunks, lens, n_chunks, error);
  g_string_free (h, TRUE);
  return ok;
}
