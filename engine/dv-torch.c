/* dv-torch.c — torch.save files and Lightning checkpoints (dv-torch.h).
 *
 * Reading: libzip finds `<top>/data.pkl`; a restricted unpickler builds a
 * graph of inert objects (Obj) in an arena; nothing in the pickle is ever
 * called.  The allowed globals are recognised by name and given their
 * meaning (a tensor, a storage, an OrderedDict); every other global is a
 * placeholder, and calling one (REDUCE, NEWOBJ) gives another placeholder.
 * Then the state_dict is found, its tensors' storages are read from the
 * archive, bounds-checked and materialised row-major, and the lot goes
 * through the safetensors writer into a DvSafetensors.
 *
 * Writing: an uncompressed zip laid out as torch.save lays it out (each
 * entry's data 64-byte aligned with a "FB" extra field of 'Z' padding),
 * with a protocol 2 pickle like torch's.
 */
#include "dv-torch.h"
#include "dv-error.h"
#include "dv-json.h"
#include "dv-tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

G_DEFINE_QUARK (dv-torch-error-quark, dv_torch_error)

/* The reader's bounds. */
#define MAX_PICKLE_BYTES ((gsize) 256 << 20)   /* data.pkl */
#define MAX_STACK 100000                       /* stack items and marks */
#define MAX_MEMO (1u << 22)                    /* memo entries */
#define MAX_OBJECTS (1u << 23)                 /* objects the pickle creates */
#define MAX_TENSORS (1u << 20)
#define MAX_TOTAL_BYTES ((guint64) 16 << 30)   /* all storages read, all tensors made */
#define MAX_ENTRIES 200000                     /* zip entries */
#define MAX_JSON_DEPTH 64
#define MAX_JSON_NODES 100000                  /* hyper_parameters as JSON */
/* A tensor may be larger than its storage only through overlapping strides
 * (an expand()); all tensors together may not exceed four times the storages
 * read plus this. */
#define EXPAND_ALLOWANCE ((guint64) 64 << 20)

gboolean
dv_torch_bytes_look_like_torch (GBytes *bytes)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (bytes, &len);
  return len >= 4 && p[0] == 'P' && p[1] == 'K' && p[2] == 3 && p[3] == 4;
}

/* ------------------------------------------------------------------------ */
/* Pickle objects                                                            */

typedef enum {
  OBJ_NONE, OBJ_BOOL, OBJ_INT, OBJ_FLOAT, OBJ_STR, OBJ_BYTES,
  OBJ_TUPLE, OBJ_LIST, OBJ_DICT,
  OBJ_GLOBAL,      /* an allowed global, g says which */
  OBJ_PLACEHOLDER, /* any other global, or the result of "calling" one */
  OBJ_STORAGE,     /* from a persistent id */
  OBJ_TENSOR,
} ObjKind;

typedef enum {
  G_REBUILD_TENSOR_V2, G_REBUILD_PARAMETER, G_REBUILD_PARAMETER_STATE,
  G_ORDERED_DICT, G_STORAGE_TYPE, G_TORCH_SIZE, G_TORCH_DEVICE,
} GlobalKind;

typedef struct Obj Obj;
struct Obj {
  ObjKind kind;
  gint64 i;                  /* INT, BOOL; STORAGE: numel */
  double f;
  char *s;                   /* STR, BYTES (NUL-terminated copy); GLOBAL/PLACEHOLDER: "module.name"; STORAGE: key */
  gsize len;
  GPtrArray *items;          /* TUPLE, LIST; a PLACEHOLDER's APPENDs */
  GPtrArray *keys, *vals;    /* DICT; a PLACEHOLDER's SETITEMs */
  GHashTable *index;         /* DICT: string key -> position + 1 */
  Obj *attrs;                /* DICT: the state BUILD gave it (an OrderedDict's __dict__) */
  GlobalKind g;
  DvDtype dtype;             /* GLOBAL storage type, STORAGE */
  gboolean called;           /* PLACEHOLDER: made by REDUCE / NEWOBJ */
  /* TENSOR */
  Obj *storage;
  gint64 offset;
  int ndim;
  gint64 size[DV_ST_MAX_DIMS], stride[DV_ST_MAX_DIMS];
};

static void
obj_free (gpointer p)
{
  Obj *o = p;
  g_free (o->s);
  if (o->items)
    g_ptr_array_unref (o->items);
  if (o->keys)
    g_ptr_array_unref (o->keys);
  if (o->vals)
    g_ptr_array_unref (o->vals);
  if (o->index)
    g_hash_table_unref (o->index);
  g_free (o);
}

typedef struct {
  const char *file, *entry;  /* for messages */
  const guint8 *p, *end, *start;
  GPtrArray *arena;          /* every Obj, owned */
  GPtrArray *stack;          /* Obj*, MARK as &mark */
  GArray *marks;             /* stack lengths at MARK */
  GHashTable *memo;          /* index -> Obj* */
  Obj none;
  GError **error;
} Unpickler;

static gboolean
perr (Unpickler *u, int code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
perr (Unpickler *u, int code, const char *fmt, ...)
{
  g_autofree char *where = g_strdup_printf ("%s: %s: at byte %" G_GSIZE_FORMAT, u->file, u->entry,
                                            (gsize) (u->p - u->start));
  va_list ap;
  va_start (ap, fmt);
  dv_error_setv (u->error, DV_TORCH_ERROR, code, where, fmt, ap);
  va_end (ap);
  return FALSE;
}

static Obj *
obj_new (Unpickler *u, ObjKind kind)
{
  if (u->arena->len >= MAX_OBJECTS)
    {
      perr (u, DV_TORCH_ERROR_TOO_LARGE, "more than %u objects", MAX_OBJECTS);
      return NULL;
    }
  Obj *o = g_new0 (Obj, 1);
  o->kind = kind;
  g_ptr_array_add (u->arena, o);
  return o;
}

static void
dict_ensure (Obj *d)
{
  if (d->keys == NULL)
    {
      d->keys = g_ptr_array_new ();
      d->vals = g_ptr_array_new ();
    }
}

/* Python semantics for string keys (a repeated key replaces the value in
 * place); other keys are only ever appended (nobody looks them up). */
static void
dict_set (Obj *d, Obj *k, Obj *v)
{
  dict_ensure (d);
  if (k->kind == OBJ_STR)
    {
      if (d->index == NULL)
        d->index = g_hash_table_new (g_str_hash, g_str_equal);
      guint pos = GPOINTER_TO_UINT (g_hash_table_lookup (d->index, k->s));
      if (pos)
        {
          d->vals->pdata[pos - 1] = v;
          return;
        }
      g_hash_table_insert (d->index, k->s, GUINT_TO_POINTER (d->keys->len + 1));
    }
  g_ptr_array_add (d->keys, k);
  g_ptr_array_add (d->vals, v);
}

static Obj *
dict_get (const Obj *d, const char *key)
{
  if (d == NULL || d->index == NULL)
    return NULL;
  guint pos = GPOINTER_TO_UINT (g_hash_table_lookup (d->index, key));
  return pos ? d->vals->pdata[pos - 1] : NULL;
}

/* ------------------------------------------------------------------------ */
/* The unpickler                                                             */

/* MARK is not an object on the stack: `marks` holds the stack lengths at
 * each MARK, and pop/top never reach below the last one (as Python's
 * metastack), so no opcode can take a MARK for a value. */

static gboolean
push (Unpickler *u, Obj *o)
{
  if (o == NULL)
    return FALSE;
  if (u->stack->len >= MAX_STACK)
    return perr (u, DV_TORCH_ERROR_TOO_LARGE, "stack deeper than %d", MAX_STACK);
  g_ptr_array_add (u->stack, o);
  return TRUE;
}

static Obj *
pop (Unpickler *u)
{
  guint floor = u->marks->len ? g_array_index (u->marks, guint, u->marks->len - 1) : 0;
  if (u->stack->len <= floor)
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "stack underflow");
      return NULL;
    }
  return g_ptr_array_steal_index (u->stack, u->stack->len - 1);
}

static Obj *
top (Unpickler *u)
{
  guint floor = u->marks->len ? g_array_index (u->marks, guint, u->marks->len - 1) : 0;
  if (u->stack->len <= floor)
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "stack underflow");
      return NULL;
    }
  return u->stack->pdata[u->stack->len - 1];
}

/* Pops everything above the last MARK into a new array (caller unrefs). */
static GPtrArray *
pop_mark (Unpickler *u)
{
  if (u->marks->len == 0)
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "no MARK to pop to");
      return NULL;
    }
  guint at = g_array_index (u->marks, guint, u->marks->len - 1);
  g_array_set_size (u->marks, u->marks->len - 1);
  GPtrArray *items = g_ptr_array_new ();
  for (guint i = at; i < u->stack->len; i++)
    g_ptr_array_add (items, u->stack->pdata[i]);
  g_ptr_array_set_size (u->stack, at);
  return items;
}

static gboolean
need (Unpickler *u, gsize n)
{
  if ((gsize) (u->end - u->p) < n)
    return perr (u, DV_TORCH_ERROR_PICKLE, "truncated (needs %" G_GSIZE_FORMAT " more bytes)", n);
  return TRUE;
}

static guint64
rd_le (const guint8 *p, int n)
{
  guint64 v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static Obj *
new_int (Unpickler *u, gint64 v)
{
  Obj *o = obj_new (u, OBJ_INT);
  if (o)
    o->i = v;
  return o;
}

static Obj *
new_str (Unpickler *u, ObjKind kind, gsize n)
{
  if (!need (u, n))
    return NULL;
  if (kind == OBJ_STR && !g_utf8_validate_len ((const char *) u->p, n, NULL))
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "a string is not valid UTF-8");
      return NULL;
    }
  Obj *o = obj_new (u, kind);
  if (o == NULL)
    return NULL;
  o->s = g_malloc (n + 1);
  memcpy (o->s, u->p, n);
  o->s[n] = 0;
  o->len = n;
  u->p += n;
  return o;
}

static Obj *
new_seq (Unpickler *u, ObjKind kind, GPtrArray *items)
{
  Obj *o = obj_new (u, kind);
  if (o == NULL)
    {
      g_ptr_array_unref (items);
      return NULL;
    }
  o->items = items;
  return o;
}

static const struct { const char *name; DvDtype dtype; } storage_types[] = {
  { "FloatStorage", DV_DTYPE_F32 }, { "DoubleStorage", DV_DTYPE_F64 },
  { "HalfStorage", DV_DTYPE_F16 }, { "BFloat16Storage", DV_DTYPE_BF16 },
  { "LongStorage", DV_DTYPE_I64 }, { "IntStorage", DV_DTYPE_I32 },
  { "ShortStorage", DV_DTYPE_I16 }, { "CharStorage", DV_DTYPE_I8 },
  { "ByteStorage", DV_DTYPE_U8 }, { "BoolStorage", DV_DTYPE_BOOL },
};

static Obj *
new_global (Unpickler *u, const char *module, const char *name)
{
  static const struct { const char *module, *name; GlobalKind g; } allowed[] = {
    { "torch._utils", "_rebuild_tensor_v2", G_REBUILD_TENSOR_V2 },
    { "torch._utils", "_rebuild_parameter", G_REBUILD_PARAMETER },
    { "torch._utils", "_rebuild_parameter_with_state", G_REBUILD_PARAMETER_STATE },
    { "collections", "OrderedDict", G_ORDERED_DICT },
    { "torch", "Size", G_TORCH_SIZE },
    { "torch", "device", G_TORCH_DEVICE },
  };
  Obj *o = obj_new (u, OBJ_PLACEHOLDER);
  if (o == NULL)
    return NULL;
  o->s = g_strconcat (module, ".", name, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
    if (g_str_equal (module, allowed[i].module) && g_str_equal (name, allowed[i].name))
      {
        o->kind = OBJ_GLOBAL;
        o->g = allowed[i].g;
        return o;
      }
  if (g_str_equal (module, "torch") || g_str_equal (module, "torch.storage"))
    {
      for (guint i = 0; i < G_N_ELEMENTS (storage_types); i++)
        if (g_str_equal (name, storage_types[i].name))
          {
            o->kind = OBJ_GLOBAL;
            o->g = G_STORAGE_TYPE;
            o->dtype = storage_types[i].dtype;
            return o;
          }
      if (g_str_equal (name, "UntypedStorage"))
        {
          o->kind = OBJ_GLOBAL;
          o->g = G_STORAGE_TYPE;
          o->dtype = DV_DTYPE_U8;
        }
    }
  return o;
}

static gboolean
as_int (const Obj *o, gint64 *v)
{
  if (o->kind != OBJ_INT && o->kind != OBJ_BOOL)
    return FALSE;
  *v = o->i;
  return TRUE;
}

/* A tuple of ints (torch.Size is a tuple here) into dims. */
static gboolean
int_tuple (Unpickler *u, const Obj *t, const char *what, int *n, gint64 *dims)
{
  if (t->kind != OBJ_TUPLE && t->kind != OBJ_LIST)
    return perr (u, DV_TORCH_ERROR_PICKLE, "a tensor's %s is not a tuple", what);
  if (t->items->len > DV_ST_MAX_DIMS)
    return perr (u, DV_TORCH_ERROR_TOO_LARGE, "a tensor has %u dimensions (at most %d)",
                 t->items->len, DV_ST_MAX_DIMS);
  *n = (int) t->items->len;
  for (guint i = 0; i < t->items->len; i++)
    if (!as_int (t->items->pdata[i], &dims[i]) || dims[i] < 0)
      return perr (u, DV_TORCH_ERROR_PICKLE, "a tensor's %s holds something not a size", what);
  return TRUE;
}

static Obj *
rebuild_tensor (Unpickler *u, Obj *args)
{
  if (args->kind != OBJ_TUPLE || args->items->len < 4)
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "_rebuild_tensor_v2 needs (storage, offset, size, stride, …)");
      return NULL;
    }
  Obj **a = (Obj **) args->items->pdata;
  if (a[0]->kind != OBJ_STORAGE)
    {
      perr (u, DV_TORCH_ERROR_STORAGE, "_rebuild_tensor_v2 on something not a storage");
      return NULL;
    }
  Obj *t = obj_new (u, OBJ_TENSOR);
  if (t == NULL)
    return NULL;
  t->storage = a[0];
  int ns;
  if (!as_int (a[1], &t->offset) || t->offset < 0)
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "_rebuild_tensor_v2: the offset is not a size");
      return NULL;
    }
  if (!int_tuple (u, a[2], "size", &t->ndim, t->size) || !int_tuple (u, a[3], "stride", &ns, t->stride))
    return NULL;
  if (ns != t->ndim)
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "a tensor has %d sizes but %d strides", t->ndim, ns);
      return NULL;
    }
  return t;
}

/* REDUCE and NEWOBJ: func applied to args, inertly. */
static Obj *
call (Unpickler *u, Obj *func, Obj *args)
{
  if (func->kind == OBJ_PLACEHOLDER)
    {
      Obj *o = obj_new (u, OBJ_PLACEHOLDER);
      if (o)
        {
          o->s = g_strdup (func->s);
          o->called = TRUE;
        }
      return o;
    }
  if (func->kind != OBJ_GLOBAL)
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "calls something not a global");
      return NULL;
    }
  if (args->kind != OBJ_TUPLE)
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "calls %s with arguments not a tuple", func->s);
      return NULL;
    }
  Obj **a = (Obj **) args->items->pdata;
  guint n = args->items->len;
  switch (func->g)
    {
    case G_REBUILD_TENSOR_V2:
      return rebuild_tensor (u, args);
    case G_REBUILD_PARAMETER:
    case G_REBUILD_PARAMETER_STATE:
      if (n < 1 || a[0]->kind != OBJ_TENSOR)
        {
          perr (u, DV_TORCH_ERROR_PICKLE, "%s on something not a tensor", func->s);
          return NULL;
        }
      return a[0];
    case G_ORDERED_DICT:
      {
        Obj *d = obj_new (u, OBJ_DICT);
        if (d == NULL)
          return NULL;
        dict_ensure (d);
        if (n == 0)
          return d;
        /* OrderedDict([(k, v), …]) */
        if (n != 1 || (a[0]->kind != OBJ_LIST && a[0]->kind != OBJ_TUPLE))
          {
            perr (u, DV_TORCH_ERROR_PICKLE, "OrderedDict with arguments it does not take");
            return NULL;
          }
        for (guint i = 0; i < a[0]->items->len; i++)
          {
            Obj *kv = a[0]->items->pdata[i];
            if ((kv->kind != OBJ_TUPLE && kv->kind != OBJ_LIST) || kv->items->len != 2)
              {
                perr (u, DV_TORCH_ERROR_PICKLE, "OrderedDict item not a pair");
                return NULL;
              }
            dict_set (d, kv->items->pdata[0], kv->items->pdata[1]);
          }
        return d;
      }
    case G_TORCH_SIZE:
      if (n == 0)
        return new_seq (u, OBJ_TUPLE, g_ptr_array_new ());
      if (n != 1 || (a[0]->kind != OBJ_TUPLE && a[0]->kind != OBJ_LIST))
        {
          perr (u, DV_TORCH_ERROR_PICKLE, "torch.Size with arguments it does not take");
          return NULL;
        }
      return new_seq (u, OBJ_TUPLE, g_ptr_array_copy (a[0]->items, NULL, NULL));
    case G_TORCH_DEVICE:
      if (n < 1 || a[0]->kind != OBJ_STR)
        {
          perr (u, DV_TORCH_ERROR_PICKLE, "torch.device with arguments it does not take");
          return NULL;
        }
      return a[0];
    case G_STORAGE_TYPE:
    default:
      perr (u, DV_TORCH_ERROR_UNSAFE, "calls %s, which a state_dict never does", func->s);
      return NULL;
    }
}

static Obj *
persistent_load (Unpickler *u, Obj *pid)
{
  /* ('storage', storage_type, key, location, numel) */
  if (pid->kind != OBJ_TUPLE || pid->items->len != 5)
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "a persistent id not ('storage', type, key, location, numel)");
      return NULL;
    }
  Obj **a = (Obj **) pid->items->pdata;
  if (a[0]->kind != OBJ_STR || !g_str_equal (a[0]->s, "storage"))
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "a persistent id of a kind not 'storage'");
      return NULL;
    }
  if (a[1]->kind != OBJ_GLOBAL || a[1]->g != G_STORAGE_TYPE)
    {
      perr (u, DV_TORCH_ERROR_STORAGE, "a storage of type %s, not a known storage type",
            a[1]->s ? a[1]->s : "(not a global)");
      return NULL;
    }
  gint64 numel;
  if (a[2]->kind != OBJ_STR || a[2]->len == 0 || strlen (a[2]->s) != a[2]->len
      || strchr (a[2]->s, '/') != NULL || !as_int (a[4], &numel) || numel < 0)
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "a storage with a bad key or size");
      return NULL;
    }
  Obj *s = obj_new (u, OBJ_STORAGE);
  if (s == NULL)
    return NULL;
  s->s = g_strdup (a[2]->s);
  s->dtype = a[1]->dtype;
  s->i = numel;
  return s;
}

static gboolean
memo_put (Unpickler *u, guint64 idx)
{
  Obj *o = top (u);
  if (o == NULL)
    return FALSE;
  if (idx >= MAX_MEMO)
    return perr (u, DV_TORCH_ERROR_TOO_LARGE, "memo index %" G_GUINT64_FORMAT " (at most %u)", idx,
                 MAX_MEMO);
  g_hash_table_insert (u->memo, GUINT_TO_POINTER ((guint) idx), o);
  return TRUE;
}

static gboolean
memo_get (Unpickler *u, guint64 idx)
{
  Obj *o = idx < MAX_MEMO ? g_hash_table_lookup (u->memo, GUINT_TO_POINTER ((guint) idx)) : NULL;
  if (o == NULL)
    return perr (u, DV_TORCH_ERROR_PICKLE, "memo %" G_GUINT64_FORMAT " was never set", idx);
  return push (u, o);
}

/* The next line of a GLOBAL's text (without the newline); NULL if none. */
static char *
read_line (Unpickler *u)
{
  const guint8 *nl = memchr (u->p, '\n', MIN ((gsize) (u->end - u->p), 1024));
  if (nl == NULL)
    {
      perr (u, DV_TORCH_ERROR_PICKLE, "GLOBAL without a newline in its first 1024 bytes");
      return NULL;
    }
  char *s = g_strndup ((const char *) u->p, nl - u->p);
  u->p = nl + 1;
  if (!g_utf8_validate (s, -1, NULL))
    {
      g_free (s);
      perr (u, DV_TORCH_ERROR_PICKLE, "GLOBAL names not valid UTF-8");
      return NULL;
    }
  return s;
}

static Obj *
unpickle (Unpickler *u)
{
  while (TRUE)
    {
      if (!need (u, 1))
        return NULL;
      guint8 op = *u->p++;
      gboolean ok = TRUE;
      switch (op)
        {
        case 0x80: /* PROTO */
          if (!need (u, 1))
            return NULL;
          if (*u->p < 2 || *u->p > 5)
            {
              perr (u, DV_TORCH_ERROR_PICKLE, "pickle protocol %d (2 to 5 are read)", *u->p);
              return NULL;
            }
          u->p++;
          break;
        case 0x95: /* FRAME */
          ok = need (u, 8);
          u->p += ok ? 8 : 0;
          break;
        case '.': /* STOP */
          {
            Obj *o = pop (u);
            if (o == NULL)
              return NULL;
            return o;
          }
        case '}':
          {
            Obj *d = obj_new (u, OBJ_DICT);
            if (d)
              dict_ensure (d);
            ok = push (u, d);
            break;
          }
        case ']':
          ok = push (u, new_seq (u, OBJ_LIST, g_ptr_array_new ()));
          break;
        case ')':
          ok = push (u, new_seq (u, OBJ_TUPLE, g_ptr_array_new ()));
          break;
        case 0x8f: /* EMPTY_SET: a list here */
          ok = push (u, new_seq (u, OBJ_LIST, g_ptr_array_new ()));
          break;
        case '(': /* MARK */
          if (u->marks->len >= MAX_STACK)
            {
              perr (u, DV_TORCH_ERROR_TOO_LARGE, "more than %d MARKs", MAX_STACK);
              return NULL;
            }
          g_array_append_val (u->marks, u->stack->len);
          break;
        case '0': /* POP */
          ok = pop (u) != NULL;
          break;
        case '1': /* POP_MARK */
          {
            GPtrArray *items = pop_mark (u);
            ok = items != NULL;
            if (items)
              g_ptr_array_unref (items);
            break;
          }
        case '2': /* DUP */
          {
            Obj *o = top (u);
            ok = o != NULL && push (u, o);
            break;
          }
        case 'N':
          ok = push (u, &u->none);
          break;
        case 0x88:
        case 0x89:
          {
            Obj *o = obj_new (u, OBJ_BOOL);
            if (o)
              o->i = op == 0x88;
            ok = push (u, o);
            break;
          }
        case 'J':
          ok = need (u, 4) && push (u, new_int (u, (gint32) rd_le (u->p, 4)));
          u->p += ok ? 4 : 0;
          break;
        case 'K':
          ok = need (u, 1) && push (u, new_int (u, u->p[0]));
          u->p += ok ? 1 : 0;
          break;
        case 'M':
          ok = need (u, 2) && push (u, new_int (u, (gint64) rd_le (u->p, 2)));
          u->p += ok ? 2 : 0;
          break;
        case 0x8a: /* LONG1 */
        case 0x8b: /* LONG4 */
          {
            int w = op == 0x8a ? 1 : 4;
            if (!need (u, w))
              return NULL;
            guint64 n = rd_le (u->p, w);
            u->p += w;
            if (n > 8)
              {
                perr (u, DV_TORCH_ERROR_TOO_LARGE, "an integer of %" G_GUINT64_FORMAT " bytes (at most 8)", n);
                return NULL;
              }
            if (!need (u, n))
              return NULL;
            guint64 v = n ? rd_le (u->p, (int) n) : 0;
            if (n > 0 && n < 8 && (u->p[n - 1] & 0x80))
              v |= ~(guint64) 0 << (8 * n); /* sign-extend */
            u->p += n;
            ok = push (u, new_int (u, (gint64) v));
            break;
          }
        case 'G': /* BINFLOAT, big-endian */
          {
            if (!need (u, 8))
              return NULL;
            guint64 bits = 0;
            for (int i = 0; i < 8; i++)
              bits = (bits << 8) | u->p[i];
            u->p += 8;
            Obj *o = obj_new (u, OBJ_FLOAT);
            if (o)
              memcpy (&o->f, &bits, 8);
            ok = push (u, o);
            break;
          }
        case 0x8c: /* SHORT_BINUNICODE */
        case 'X':  /* BINUNICODE */
        case 0x8d: /* BINUNICODE8 */
        case 'U':  /* SHORT_BINSTRING */
        case 'T':  /* BINSTRING */
        case 'C':  /* SHORT_BINBYTES */
        case 'B':  /* BINBYTES */
        case 0x8e: /* BINBYTES8 */
        case 0x96: /* BYTEARRAY8 */
          {
            int w = (op == 0x8c || op == 'U' || op == 'C') ? 1
                    : (op == 'X' || op == 'T' || op == 'B') ? 4 : 8;
            if (!need (u, w))
              return NULL;
            guint64 n = rd_le (u->p, w);
            u->p += w;
            if (n > (guint64) (u->end - u->p))
              {
                perr (u, DV_TORCH_ERROR_PICKLE, "a string of %" G_GUINT64_FORMAT " bytes beyond the end", n);
                return NULL;
              }
            ObjKind kind = (op == 0x8c || op == 'X' || op == 0x8d) ? OBJ_STR : OBJ_BYTES;
            Obj *o = new_str (u, kind, n);
            /* Python 2 str (BINSTRING) read as text when it is UTF-8 */
            if (o && (op == 'U' || op == 'T') && g_utf8_validate (o->s, o->len, NULL))
              o->kind = OBJ_STR;
            ok = push (u, o);
            break;
          }
        case 'q':
          ok = need (u, 1) && memo_put (u, u->p[0]);
          u->p += ok ? 1 : 0;
          break;
        case 'r':
          ok = need (u, 4) && memo_put (u, rd_le (u->p, 4));
          u->p += ok ? 4 : 0;
          break;
        case 0x94: /* MEMOIZE */
          ok = memo_put (u, g_hash_table_size (u->memo));
          break;
        case 'h':
          ok = need (u, 1) && memo_get (u, u->p[0]);
          u->p += ok ? 1 : 0;
          break;
        case 'j':
          ok = need (u, 4) && memo_get (u, rd_le (u->p, 4));
          u->p += ok ? 4 : 0;
          break;
        case 0x85: /* TUPLE1..3 */
        case 0x86:
        case 0x87:
          {
            guint n = op - 0x84;
            GPtrArray *items = g_ptr_array_new ();
            g_ptr_array_set_size (items, n);
            for (guint i = n; i > 0 && ok; i--)
              {
                Obj *o = pop (u);
                ok = o != NULL;
                items->pdata[i - 1] = o;
              }
            if (!ok)
              {
                g_ptr_array_unref (items);
                return NULL;
              }
            ok = push (u, new_seq (u, OBJ_TUPLE, items));
            break;
          }
        case 't': /* TUPLE */
        case 0x91: /* FROZENSET: a list here */
          {
            GPtrArray *items = pop_mark (u);
            ok = items != NULL && push (u, new_seq (u, op == 't' ? OBJ_TUPLE : OBJ_LIST, items));
            break;
          }
        case 's': /* SETITEM */
          {
            Obj *v = pop (u), *k = v ? pop (u) : NULL, *d = k ? top (u) : NULL;
            if (d == NULL)
              return NULL;
            if (d->kind != OBJ_DICT && d->kind != OBJ_PLACEHOLDER)
              {
                perr (u, DV_TORCH_ERROR_PICKLE, "SETITEM on something not a dict");
                return NULL;
              }
            dict_set (d, k, v);
            break;
          }
        case 'u': /* SETITEMS */
        case 'e': /* APPENDS */
        case 0x90: /* ADDITEMS */
          {
            g_autoptr (GPtrArray) items = pop_mark (u);
            Obj *d = items ? top (u) : NULL;
            if (d == NULL)
              return NULL;
            if (op == 'u')
              {
                if ((d->kind != OBJ_DICT && d->kind != OBJ_PLACEHOLDER) || items->len % 2)
                  {
                    perr (u, DV_TORCH_ERROR_PICKLE, "SETITEMS on something not a dict, or an odd count");
                    return NULL;
                  }
                for (guint i = 0; i < items->len; i += 2)
                  dict_set (d, items->pdata[i], items->pdata[i + 1]);
              }
            else
              {
                if (d->kind != OBJ_LIST && d->kind != OBJ_PLACEHOLDER)
                  {
                    perr (u, DV_TORCH_ERROR_PICKLE, "APPENDS on something not a list");
                    return NULL;
                  }
                if (d->items == NULL)
                  d->items = g_ptr_array_new ();
                g_ptr_array_extend (d->items, items, NULL, NULL);
              }
            break;
          }
        case 'a': /* APPEND */
          {
            Obj *v = pop (u), *l = v ? top (u) : NULL;
            if (l == NULL)
              return NULL;
            if ((l->kind != OBJ_LIST && l->kind != OBJ_PLACEHOLDER))
              {
                perr (u, DV_TORCH_ERROR_PICKLE, "APPEND on something not a list");
                return NULL;
              }
            if (l->items == NULL)
              l->items = g_ptr_array_new ();
            g_ptr_array_add (l->items, v);
            break;
          }
        case 'c': /* GLOBAL */
          {
            g_autofree char *module = read_line (u);
            g_autofree char *name = module ? read_line (u) : NULL;
            if (name == NULL)
              return NULL;
            ok = push (u, new_global (u, module, name));
            break;
          }
        case 0x93: /* STACK_GLOBAL */
          {
            Obj *name = pop (u), *module = name ? pop (u) : NULL;
            if (module == NULL)
              return NULL;
            if (name->kind != OBJ_STR || module->kind != OBJ_STR)
              {
                perr (u, DV_TORCH_ERROR_PICKLE, "STACK_GLOBAL on something not strings");
                return NULL;
              }
            ok = push (u, new_global (u, module->s, name->s));
            break;
          }
        case 'R': /* REDUCE */
        case 0x81: /* NEWOBJ */
          {
            Obj *args = pop (u), *func = args ? pop (u) : NULL;
            if (func == NULL)
              return NULL;
            ok = push (u, call (u, func, args));
            break;
          }
        case 0x92: /* NEWOBJ_EX */
          {
            Obj *kw = pop (u), *args = kw ? pop (u) : NULL, *cls = args ? pop (u) : NULL;
            if (cls == NULL)
              return NULL;
            ok = push (u, call (u, cls, args));
            break;
          }
        case 'b': /* BUILD */
          {
            Obj *state = pop (u), *inst = state ? top (u) : NULL;
            if (inst == NULL)
              return NULL;
            /* an OrderedDict's __dict__ (a state_dict's _metadata); (dict, slots) too */
            if (inst->kind == OBJ_DICT)
              {
                if (state->kind == OBJ_TUPLE && state->items->len == 2)
                  state = state->items->pdata[0];
                if (state->kind == OBJ_DICT)
                  inst->attrs = state;
                else if (state->kind != OBJ_NONE)
                  {
                    perr (u, DV_TORCH_ERROR_PICKLE, "BUILD of a dict with a state not a dict");
                    return NULL;
                  }
              }
            else if (inst->kind != OBJ_PLACEHOLDER && inst->kind != OBJ_TENSOR)
              {
                perr (u, DV_TORCH_ERROR_PICKLE, "BUILD on something that takes no state");
                return NULL;
              }
            /* a placeholder stays inert; a Parameter's state is ignored */
            break;
          }
        case 'Q': /* BINPERSID */
          {
            Obj *pid = pop (u);
            if (pid == NULL)
              return NULL;
            ok = push (u, persistent_load (u, pid));
            break;
          }
        default:
          u->p--;
          perr (u, DV_TORCH_ERROR_PICKLE, "opcode 0x%02x is not one torch.save writes", op);
          return NULL;
        }
      if (!ok)
        {
          if (u->error && *u->error == NULL)
            perr (u, DV_TORCH_ERROR_PICKLE, "malformed");
          return NULL;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* The archive                                                               */

typedef struct {
  const char *file;
  zip_t *zip;
  char *prefix;          /* "archive/" */
  char *pkl_name;        /* "archive/data.pkl" */
  GHashTable *storages;  /* key -> GBytes (read once) */
  guint64 storage_bytes; /* read so far */
  GError **error;
} Archive;

static gboolean
zip_err (Archive *a, int code, const char *entry, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
zip_err (Archive *a, int code, const char *entry, const char *fmt, ...)
{
  g_autofree char *where = entry ? g_strconcat (a->file, ": ", entry, NULL) : g_strdup (a->file);
  va_list ap;
  va_start (ap, fmt);
  dv_error_setv (a->error, DV_TORCH_ERROR, code, where, fmt, ap);
  va_end (ap);
  return FALSE;
}

/* Reads an entry whole, at most `max` bytes; NULL (and *error set) when it
 * is missing, when `missing_ok` is FALSE. */
static GBytes *
read_entry (Archive *a, const char *name, guint64 max, gboolean missing_ok)
{
  zip_int64_t idx = zip_name_locate (a->zip, name, 0);
  if (idx < 0)
    {
      if (!missing_ok)
        zip_err (a, DV_TORCH_ERROR_ZIP, name, "entry missing from the archive");
      return NULL;
    }
  zip_stat_t st;
  zip_stat_init (&st);
  if (zip_stat_index (a->zip, idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)
      || !(st.valid & ZIP_STAT_COMP_SIZE))
    {
      zip_err (a, DV_TORCH_ERROR_ZIP, name, "cannot read its size: %s", zip_strerror (a->zip));
      return NULL;
    }
  if (st.size > max)
    {
      zip_err (a, DV_TORCH_ERROR_TOO_LARGE, name,
               "%" G_GUINT64_FORMAT " bytes (at most %" G_GUINT64_FORMAT ")", (guint64) st.size, max);
      return NULL;
    }
  /* deflate expands at most ~1032 times: a larger claim is a lie */
  if (st.size > 2048 + (guint64) st.comp_size * 1100)
    {
      zip_err (a, DV_TORCH_ERROR_ZIP, name, "claims %" G_GUINT64_FORMAT " bytes from %" G_GUINT64_FORMAT,
               (guint64) st.size, (guint64) st.comp_size);
      return NULL;
    }
  zip_file_t *f = zip_fopen_index (a->zip, idx, 0);
  if (f == NULL)
    {
      zip_err (a, DV_TORCH_ERROR_ZIP, name, "cannot open it: %s", zip_strerror (a->zip));
      return NULL;
    }
  guint8 *buf = g_malloc (st.size ? st.size : 1);
  guint64 got = 0;
  while (got < st.size)
    {
      zip_int64_t r = zip_fread (f, buf + got, st.size - got);
      if (r <= 0)
        break;
      got += (guint64) r;
    }
  /* libzip checks the CRC when a read reaches the end: ask for one byte more */
  guint8 extra;
  gboolean bad = got != st.size || zip_fread (f, &extra, 1) != 0;
  g_autofree char *why = bad ? g_strdup (zip_file_strerror (f)) : NULL;
  if (zip_fclose (f) != 0 && !bad)
    {
      bad = TRUE;
      why = g_strdup ("checksum or read error at its end");
    }
  if (bad)
    {
      g_free (buf);
      zip_err (a, DV_TORCH_ERROR_ZIP, name, "short or corrupt (%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
               " bytes): %s", got, (guint64) st.size, why ? why : "");
      return NULL;
    }
  return g_bytes_new_take (buf, st.size);
}

static gboolean
archive_open (Archive *a, GBytes *bytes)
{
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);
  zip_error_t ze;
  zip_error_init (&ze);
  zip_source_t *src = zip_source_buffer_create (len ? data : "", len, 0, &ze);
  if (src != NULL)
    {
      a->zip = zip_open_from_source (src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
      if (a->zip == NULL)
        zip_source_free (src);
    }
  if (a->zip == NULL)
    {
      zip_err (a, DV_TORCH_ERROR_ZIP, NULL, "not a readable zip archive (torch.save format): %s",
               zip_error_strerror (&ze));
      zip_error_fini (&ze);
      return FALSE;
    }
  zip_error_fini (&ze);

  zip_int64_t n = zip_get_num_entries (a->zip, 0);
  if (n > MAX_ENTRIES)
    return zip_err (a, DV_TORCH_ERROR_TOO_LARGE, NULL, "%" G_GINT64_FORMAT " entries (at most %d)",
                    (gint64) n, MAX_ENTRIES);
  for (zip_int64_t i = 0; i < n; i++)
    {
      const char *name = zip_get_name (a->zip, i, 0);
      const char *slash = name ? strchr (name, '/') : NULL;
      if (slash && slash != name && g_str_equal (slash, "/data.pkl"))
        {
          if (a->prefix)
            return zip_err (a, DV_TORCH_ERROR_ZIP, name, "a second data.pkl (first in %s)", a->prefix);
          a->prefix = g_strndup (name, slash + 1 - name);
        }
    }
  if (a->prefix == NULL)
    return zip_err (a, DV_TORCH_ERROR_ZIP, NULL, "no <name>/data.pkl: not a torch.save archive");
  return TRUE;
}

static void
archive_clear (Archive *a)
{
  if (a->zip)
    zip_discard (a->zip);
  g_free (a->prefix);
  g_free (a->pkl_name);
  if (a->storages)
    g_hash_table_unref (a->storages);
}

/* The storage's bytes, checked against its numel and dtype; borrowed. */
static GBytes *
archive_storage (Archive *a, Obj *s)
{
  GBytes *b = g_hash_table_lookup (a->storages, s->s);
  g_autofree char *name = g_strconcat (a->prefix, "data/", s->s, NULL);
  guint64 esize = dv_dtype_size (s->dtype);
  if ((guint64) s->i > MAX_TOTAL_BYTES / esize)
    {
      zip_err (a, DV_TORCH_ERROR_TOO_LARGE, name, "a storage of %" G_GINT64_FORMAT " elements", s->i);
      return NULL;
    }
  guint64 want = (guint64) s->i * esize;
  if (b == NULL)
    {
      if (a->storage_bytes + want > MAX_TOTAL_BYTES)
        {
          zip_err (a, DV_TORCH_ERROR_TOO_LARGE, name, "the storages exceed %" G_GUINT64_FORMAT " bytes",
                   MAX_TOTAL_BYTES);
          return NULL;
        }
      b = read_entry (a, name, MAX_TOTAL_BYTES - a->storage_bytes, FALSE);
      if (b == NULL)
        {
          /* a missing storage is a storage error, not a zip one */
          if (a->error && *a->error && (*a->error)->code == DV_TORCH_ERROR_ZIP
              && zip_name_locate (a->zip, name, 0) < 0)
            (*a->error)->code = DV_TORCH_ERROR_STORAGE;
          return NULL;
        }
      a->storage_bytes += g_bytes_get_size (b);
      g_hash_table_insert (a->storages, g_strdup (s->s), b);
    }
  if (g_bytes_get_size (b) != want)
    {
      zip_err (a, DV_TORCH_ERROR_STORAGE, name,
               "%" G_GSIZE_FORMAT " bytes, but its %" G_GINT64_FORMAT " %s elements need %" G_GUINT64_FORMAT,
               g_bytes_get_size (b), s->i, dv_dtype_name (s->dtype), want);
      return NULL;
    }
  return b;
}

/* ------------------------------------------------------------------------ */
/* From the object graph to a DvSafetensors                                  */

/* `budget` counts the nodes made: a list that holds itself twice would
 * otherwise unfold into 2^depth of them. */
static DvJson *
to_json (const Obj *o, int depth, guint *budget)
{
  if (depth > MAX_JSON_DEPTH)
    return dv_json_new_string ("(nested too deeply)");
  if (*budget == 0)
    return dv_json_new_string ("(too large)");
  (*budget)--;
  switch (o->kind)
    {
    case OBJ_NONE:
      return dv_json_new_null ();
    case OBJ_BOOL:
      return dv_json_new_bool (o->i != 0);
    case OBJ_INT:
      return dv_json_new_int (o->i);
    case OBJ_FLOAT:
      return dv_json_new_number (o->f);
    case OBJ_STR:
      return dv_json_new_string (o->s);
    case OBJ_BYTES:
      {
        DvJson *j = dv_json_new_object ();
        dv_json_object_set (j, "__bytes__", dv_json_new_int ((gint64) o->len));
        return j;
      }
    case OBJ_TUPLE:
    case OBJ_LIST:
      {
        DvJson *j = dv_json_new_array ();
        for (guint i = 0; i < o->items->len; i++)
          dv_json_array_append (j, to_json (o->items->pdata[i], depth + 1, budget));
        return j;
      }
    case OBJ_DICT:
    dict:
      {
        DvJson *j = dv_json_new_object ();
        for (guint i = 0; o->keys && i < o->keys->len; i++)
          {
            const Obj *k = o->keys->pdata[i];
            g_autofree char *ks = k->kind == OBJ_STR ? g_strdup (k->s)
                                  : k->kind == OBJ_INT ? g_strdup_printf ("%" G_GINT64_FORMAT, k->i)
                                  : k->kind == OBJ_BOOL ? g_strdup (k->i ? "True" : "False")
                                  : k->kind == OBJ_NONE ? g_strdup ("None")
                                  : k->kind == OBJ_FLOAT ? g_strdup_printf ("%.17g", k->f)
                                  : g_strdup ("(key)");
            dv_json_object_set (j, ks, to_json (o->vals->pdata[i], depth + 1, budget));
          }
        return j;
      }
    case OBJ_PLACEHOLDER:
      {
        /* a dict subclass (Lightning's AttributeDict) keeps its items */
        if (o->keys && o->keys->len)
          goto dict;
        DvJson *j = dv_json_new_object ();
        dv_json_object_set (j, "__global__", dv_json_new_string (o->s));
        return j;
      }
    case OBJ_GLOBAL:
      {
        DvJson *j = dv_json_new_object ();
        dv_json_object_set (j, "__global__", dv_json_new_string (o->s));
        return j;
      }
    case OBJ_STORAGE:
      return dv_json_new_string ("(storage)");
    case OBJ_TENSOR:
    default:
      {
        GString *s = g_string_new (dv_dtype_name (o->storage->dtype));
        g_string_append_c (s, '[');
        for (int d = 0; d < o->ndim; d++)
          g_string_append_printf (s, "%s%" G_GINT64_FORMAT, d ? "," : "", o->size[d]);
        g_string_append_c (s, ']');
        DvJson *j = dv_json_new_object ();
        dv_json_object_set (j, "__tensor__", dv_json_new_string (s->str));
        g_string_free (s, TRUE);
        return j;
      }
    }
}

/* The tensor's elements, row-major, into a new buffer (g_free). */
static guint8 *
materialise (Archive *a, const char *name, const Obj *t, gsize *nbytes, guint64 *made)
{
  GBytes *sb = archive_storage (a, t->storage);
  if (sb == NULL)
    return NULL;
  gsize esize = dv_dtype_size (t->storage->dtype);
  guint64 numel = 1, last = 0;
  for (int d = 0; d < t->ndim; d++)
    {
      if (t->size[d] != 0 && numel > MAX_TOTAL_BYTES / (guint64) t->size[d])
        {
          zip_err (a, DV_TORCH_ERROR_TOO_LARGE, name, "a tensor of more than %" G_GUINT64_FORMAT " elements",
                   MAX_TOTAL_BYTES);
          return NULL;
        }
      numel *= (guint64) t->size[d];
    }
  guint64 snumel = (guint64) t->storage->i;
  if (numel > 0)
    {
      /* the last element's index, overflow-checked: offset + sum (size-1)*stride */
      last = (guint64) t->offset;
      for (int d = 0; d < t->ndim; d++)
        {
          guint64 span = (guint64) (t->size[d] - 1);
          if (t->stride[d] != 0 && span > (G_MAXUINT64 / 2) / (guint64) t->stride[d])
            goto outside;
          span *= (guint64) t->stride[d];
          if (last > G_MAXUINT64 / 2 - span)
            goto outside;
          last += span;
        }
      if (last >= snumel)
        goto outside;
    }
  else if ((guint64) t->offset > snumel)
    goto outside;
  guint64 bytes = numel * esize;
  if (bytes > MAX_TOTAL_BYTES - *made
      || *made + bytes > 4 * a->storage_bytes + EXPAND_ALLOWANCE)
    {
      zip_err (a, DV_TORCH_ERROR_TOO_LARGE, name, "the tensors exceed the bounds on their size");
      return NULL;
    }
  *made += bytes;
  const guint8 *src = g_bytes_get_data (sb, NULL);
  guint8 *out = g_malloc (bytes ? bytes : 1);
  /* row-major walk over the index; contiguous runs in the last dim copied at once */
  gint64 idx[DV_ST_MAX_DIMS] = { 0 };
  int nd = t->ndim;
  gint64 inner = nd ? t->size[nd - 1] : 1;
  gboolean inner_contig = nd == 0 || t->stride[nd - 1] == 1;
  for (guint64 done = 0; done < numel; done += (guint64) inner)
    {
      guint64 pos = (guint64) t->offset;
      for (int d = 0; d < nd - 1; d++)
        pos += (guint64) idx[d] * (guint64) t->stride[d];
      guint8 *dst = out + done * esize;
      if (inner_contig)
        memcpy (dst, src + pos * esize, (gsize) inner * esize);
      else
        for (gint64 k = 0; k < inner; k++)
          memcpy (dst + k * esize, src + (pos + (guint64) k * (guint64) t->stride[nd - 1]) * esize, esize);
      for (int d = nd - 2; d >= 0; d--)
        {
          if (++idx[d] < t->size[d])
            break;
          idx[d] = 0;
        }
    }
  *nbytes = bytes;
  return out;

outside:
  zip_err (a, DV_TORCH_ERROR_STORAGE, name,
           "a tensor's offset, sizes and strides reach beyond its storage (%" G_GUINT64_FORMAT " elements)",
           snumel);
  return NULL;
}

static DvSafetensors *
build_result (Archive *a, Obj *root)
{
  const char *format = "torch";
  Obj *sd = NULL, *hp = NULL;
  if (root->kind == OBJ_PLACEHOLDER && root->called)
    {
      zip_err (a, DV_TORCH_ERROR_UNSAFE, a->pkl_name,
               "the pickle's result is a call of %s, which is not allowed (it was not called)", root->s);
      return NULL;
    }
  if (root->kind != OBJ_DICT)
    {
      zip_err (a, DV_TORCH_ERROR_CONTENT, a->pkl_name, "holds no state_dict (not a dict)");
      return NULL;
    }
  Obj *inner = dict_get (root, "state_dict");
  if (inner && (inner->kind == OBJ_DICT))
    {
      format = "lightning";
      sd = inner;
      hp = dict_get (root, "hyper_parameters");
    }
  else
    {
      sd = root;
      gboolean any = root->keys->len == 0;
      for (guint i = 0; i < root->vals->len && !any; i++)
        any = ((Obj *) root->vals->pdata[i])->kind == OBJ_TENSOR;
      if (!any)
        {
          zip_err (a, DV_TORCH_ERROR_CONTENT, a->pkl_name,
                   "holds no state_dict (a dict without tensors and without \"state_dict\")");
          return NULL;
        }
    }

  /* which entries are tensors; "model." stripped when every one has it */
  guint n = 0;
  gboolean all_model = TRUE;
  for (guint i = 0; i < sd->keys->len; i++)
    {
      Obj *k = sd->keys->pdata[i], *v = sd->vals->pdata[i];
      if (v->kind == OBJ_PLACEHOLDER && v->called)
        {
          zip_err (a, DV_TORCH_ERROR_UNSAFE, a->pkl_name,
                   "state_dict entry is a call of %s, which is not allowed (it was not called)", v->s);
          return NULL;
        }
      if (v->kind != OBJ_TENSOR)
        continue; /* e.g. a plain value a module put in its state */
      if (k->kind != OBJ_STR || strlen (k->s) != k->len || g_str_equal (k->s, "__metadata__"))
        {
          zip_err (a, DV_TORCH_ERROR_CONTENT, a->pkl_name, "a state_dict key that cannot be a tensor name");
          return NULL;
        }
      all_model = all_model && g_str_has_prefix (k->s, "model.");
      n++;
    }
  if (n > MAX_TENSORS)
    {
      zip_err (a, DV_TORCH_ERROR_TOO_LARGE, a->pkl_name, "%u tensors (at most %u)", n, MAX_TENSORS);
      return NULL;
    }
  gsize strip = n > 0 && all_model ? strlen ("model.") : 0;

  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  guint64 made = 0;
  for (guint i = 0; i < sd->keys->len; i++)
    {
      Obj *k = sd->keys->pdata[i], *v = sd->vals->pdata[i];
      if (v->kind != OBJ_TENSOR)
        continue;
      if (g_str_equal (k->s + strip, "__metadata__"))
        {
          zip_err (a, DV_TORCH_ERROR_CONTENT, a->pkl_name, "a state_dict key that cannot be a tensor name");
          return NULL;
        }
      g_autofree char *entry = g_strdup_printf ("%s: tensor \"%s\"", a->pkl_name, k->s);
      gsize nbytes = 0;
      g_autofree guint8 *data = materialise (a, entry, v, &nbytes, &made);
      if (data == NULL)
        return NULL;
      dv_safetensors_writer_add (w, k->s + strip, v->storage->dtype, v->ndim, v->size, data);
    }

  /* what dv_torch_save carried: _metadata["__dynvision__"] */
  Obj *dvmeta = sd->attrs ? dict_get (dict_get (sd->attrs, "_metadata"), "__dynvision__") : NULL;
  for (guint i = 0; dvmeta && dvmeta->kind == OBJ_DICT && i < dvmeta->keys->len; i++)
    {
      Obj *k = dvmeta->keys->pdata[i], *v = dvmeta->vals->pdata[i];
      if (k->kind == OBJ_STR && v->kind == OBJ_STR && strlen (k->s) == k->len
          && strlen (v->s) == v->len && g_str_has_prefix (k->s, "dynvision."))
        dv_safetensors_writer_set_metadata (w, k->s, v->s);
    }
  dv_safetensors_writer_set_metadata (w, "dynvision.source_format", format);
  if (hp)
    {
      guint budget = MAX_JSON_NODES;
      g_autoptr (DvJson) j = to_json (hp, 0, &budget);
      g_autofree char *text = dv_json_to_string (j, FALSE);
      dv_safetensors_writer_set_metadata (w, "dynvision.hyper_parameters", text);
    }

  g_autoptr (GBytes) bytes = dv_safetensors_writer_to_bytes (w);
  GError *e = NULL;
  DvSafetensors *st = dv_safetensors_load_from_bytes (bytes, a->file, &e);
  if (st == NULL)
    {
      zip_err (a, DV_TORCH_ERROR_CONTENT, NULL, "its tensors do not make a valid set: %s", e->message);
      g_error_free (e);
    }
  return st;
}

DvSafetensors *
dv_torch_load_from_bytes (GBytes *bytes, const char *display_name, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (display_name == NULL)
    display_name = "(torch checkpoint)";

  /* the errors below are looked at: collect them even when the caller doesn't */
  GError *local = NULL;
  Archive a = { .file = display_name, .error = &local };
  a.storages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  DvSafetensors *st = NULL;
  if (archive_open (&a, bytes))
    {
      /* byteorder (torch >= 2.1): only little-endian data is read */
      g_autofree char *bo_name = g_strconcat (a.prefix, "byteorder", NULL);
      g_autoptr (GBytes) bo = read_entry (&a, bo_name, 64, TRUE);
      gsize bl = bo ? g_bytes_get_size (bo) : 0;
      const char *bp = bo ? g_bytes_get_data (bo, NULL) : NULL;
      if (local == NULL && bo && !(bl == 6 && memcmp (bp, "little", 6) == 0))
        zip_err (&a, DV_TORCH_ERROR_STORAGE, bo_name, "the data is not little-endian");
      char *pkl_name = a.pkl_name = g_strconcat (a.prefix, "data.pkl", NULL);
      g_autoptr (GBytes) pkl = local ? NULL : read_entry (&a, pkl_name, MAX_PICKLE_BYTES, FALSE);
      if (pkl)
        {
          gsize len;
          const guint8 *p = g_bytes_get_data (pkl, &len);
          Unpickler u = {
            .file = display_name, .entry = pkl_name, .p = p, .end = p + len, .start = p,
            .arena = g_ptr_array_new_with_free_func (obj_free),
            .stack = g_ptr_array_new (), .marks = g_array_new (FALSE, FALSE, sizeof (guint)),
            .memo = g_hash_table_new (g_direct_hash, g_direct_equal), .error = &local,
          };
          u.none.kind = OBJ_NONE;
          Obj *root = unpickle (&u);
          if (root)
            st = build_result (&a, root);
          g_ptr_array_unref (u.stack);
          g_array_unref (u.marks);
          g_hash_table_unref (u.memo);
          g_ptr_array_unref (u.arena);
        }
    }
  archive_clear (&a);
  if (local)
    g_propagate_error (error, local);
  return st;
}

DvSafetensors *
dv_torch_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autoptr (GMappedFile) mf = g_mapped_file_new (path, FALSE, error);
  if (mf == NULL)
    return NULL;
  /* read into memory: rewriting the file later cannot disturb what was read */
  g_autoptr (GBytes) mapped = g_mapped_file_get_bytes (mf);
  g_autoptr (GBytes) bytes = g_bytes_new (g_bytes_get_data (mapped, NULL), g_bytes_get_size (mapped));
  return dv_torch_load_from_bytes (bytes, path, error);
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

static guint32
crc32_update (guint32 crc, const guint8 *p, gsize n)
{
  static guint32 table[256];
  if (table[1] == 0)
    for (guint32 i = 0; i < 256; i++)
      {
        guint32 c = i;
        for (int k = 0; k < 8; k++)
          c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
      }
  crc = ~crc;
  for (gsize i = 0; i < n; i++)
    crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static void
put16 (GByteArray *b, guint v)
{
  guint8 x[2] = { v & 0xff, (v >> 8) & 0xff };
  g_byte_array_append (b, x, 2);
}

static void
put32 (GByteArray *b, guint32 v)
{
  guint8 x[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
  g_byte_array_append (b, x, 4);
}

typedef struct {
  char *name;
  guint32 crc, size, offset;
} ZipEntry;

/* A stored entry whose data starts on a 64-byte boundary, as torch's
 * writer pads it (an extra field "FB", then 'Z's). */
static void
zw_add (GByteArray *out, GArray *entries, const char *name, const void *data, gsize len)
{
  gsize nlen = strlen (name);
  gsize start = out->len + 30 + nlen + 4;
  gsize pad = start % 64 ? 64 - start % 64 : 0;
  ZipEntry e = { g_strdup (name), crc32_update (0, data, len), (guint32) len, (guint32) out->len };
  put32 (out, 0x04034b50);
  put16 (out, 20);   /* version needed */
  put16 (out, 0);    /* flags */
  put16 (out, 0);    /* stored */
  put16 (out, 0);    /* time */
  put16 (out, 0x21); /* date: 1980-01-01 */
  put32 (out, e.crc);
  put32 (out, e.size);
  put32 (out, e.size);
  put16 (out, nlen);
  put16 (out, 4 + pad);
  g_byte_array_append (out, (const guint8 *) name, nlen);
  g_byte_array_append (out, (const guint8 *) "FB", 2);
  put16 (out, pad);
  for (gsize i = 0; i < pad; i++)
    g_byte_array_append (out, (const guint8 *) "Z", 1);
  g_assert (out->len % 64 == 0);
  if (len)
    g_byte_array_append (out, data, len);
  g_array_append_val (entries, e);
}

static void
zw_finish (GByteArray *out, GArray *entries)
{
  guint32 cd = out->len;
  for (guint i = 0; i < entries->len; i++)
    {
      ZipEntry *e = &g_array_index (entries, ZipEntry, i);
      put32 (out, 0x02014b50);
      put16 (out, 20); /* made by */
      put16 (out, 20); /* needed */
      put16 (out, 0);
      put16 (out, 0);
      put16 (out, 0);
      put16 (out, 0x21);
      put32 (out, e->crc);
      put32 (out, e->size);
      put32 (out, e->size);
      put16 (out, strlen (e->name));
      put16 (out, 0); /* extra */
      put16 (out, 0); /* comment */
      put16 (out, 0); /* disk */
      put16 (out, 0); /* internal attributes */
      put32 (out, 0); /* external attributes */
      put32 (out, e->offset);
      g_byte_array_append (out, (const guint8 *) e->name, strlen (e->name));
    }
  guint32 cd_size = out->len - cd;
  put32 (out, 0x06054b50);
  put16 (out, 0);
  put16 (out, 0);
  put16 (out, entries->len);
  put16 (out, entries->len);
  put32 (out, cd_size);
  put32 (out, cd);
  put16 (out, 0);
}

static void
zw_entry_clear (gpointer p)
{
  g_free (((ZipEntry *) p)->name);
}

/* Pickle protocol 2, as Python's pickler writes torch's objects. */
typedef struct {
  GByteArray *b;
  guint memo;
} Pickler;

static void
p_op (Pickler *p, guint8 op)
{
  g_byte_array_append (p->b, &op, 1);
}

static void
p_put (Pickler *p)
{
  if (p->memo < 256)
    {
      guint8 x[2] = { 'q', (guint8) p->memo };
      g_byte_array_append (p->b, x, 2);
    }
  else
    {
      p_op (p, 'r');
      put32 (p->b, p->memo);
    }
  p->memo++;
}

static void
p_get (Pickler *p, guint idx)
{
  if (idx < 256)
    {
      guint8 x[2] = { 'h', (guint8) idx };
      g_byte_array_append (p->b, x, 2);
    }
  else
    {
      p_op (p, 'j');
      put32 (p->b, idx);
    }
}

static void
p_int (Pickler *p, gint64 v)
{
  if (v >= 0 && v < 256)
    {
      guint8 x[2] = { 'K', (guint8) v };
      g_byte_array_append (p->b, x, 2);
    }
  else if (v >= 0 && v < 65536)
    {
      p_op (p, 'M');
      put16 (p->b, (guint) v);
    }
  else if (v >= G_MININT32 && v <= G_MAXINT32)
    {
      p_op (p, 'J');
      put32 (p->b, (guint32) (gint32) v);
    }
  else
    {
      /* LONG1: the shortest two's complement, as pickle.encode_long */
      guint8 x[8];
      int n = 8;
      for (int i = 0; i < 8; i++)
        x[i] = ((guint64) v >> (8 * i)) & 0xff;
      while (n > 1 && ((x[n - 1] == 0 && !(x[n - 2] & 0x80)) || (x[n - 1] == 0xff && (x[n - 2] & 0x80))))
        n--;
      p_op (p, 0x8a);
      p_op (p, (guint8) n);
      g_byte_array_append (p->b, x, n);
    }
}

/* BINUNICODE, memoized like every string the pickler writes. */
static void
p_str (Pickler *p, const char *s)
{
  p_op (p, 'X');
  put32 (p->b, strlen (s));
  g_byte_array_append (p->b, (const guint8 *) s, strlen (s));
  p_put (p);
}

static void
p_global (Pickler *p, const char *module, const char *name)
{
  p_op (p, 'c');
  g_byte_array_append (p->b, (const guint8 *) module, strlen (module));
  p_op (p, '\n');
  g_byte_array_append (p->b, (const guint8 *) name, strlen (name));
  p_op (p, '\n');
  p_put (p);
}

static void
p_int_tuple (Pickler *p, int n, const gint64 *v)
{
  if (n == 0)
    {
      p_op (p, ')');
      return;
    }
  if (n > 3)
    p_op (p, '(');
  for (int i = 0; i < n; i++)
    p_int (p, v[i]);
  p_op (p, n == 1 ? 0x85 : n == 2 ? 0x86 : n == 3 ? 0x87 : 't');
  p_put (p);
}

static const char *
storage_type_name (DvDtype d)
{
  for (guint i = 0; i < G_N_ELEMENTS (storage_types); i++)
    if (storage_types[i].dtype == d)
      return storage_types[i].name;
  g_return_val_if_reached ("ByteStorage");
}

/* A dict's items in pickle's batches: 1000 per MARK…SETITEMS, one as SETITEM. */
typedef void (*ItemWriter) (Pickler *p, guint i, gpointer user);

static void
p_items (Pickler *p, guint n, ItemWriter item, gpointer user)
{
  for (guint at = 0; at < n; at += 1000)
    {
      guint k = MIN (1000, n - at);
      if (k > 1)
        p_op (p, '(');
      for (guint i = at; i < at + k; i++)
        item (p, i, user);
      p_op (p, k > 1 ? 'u' : 's');
    }
}

typedef struct {
  const DvSafetensors *st;
  guint od_memo, rebuild_memo, storage_memo, cpu_memo, empty_memo;
  gboolean rebuild_done;
  GHashTable *types; /* dtype -> memo + 1 */
} SaveState;

static void
write_tensor (Pickler *p, guint i, gpointer user)
{
  SaveState *s = user;
  const DvStTensor *t = dv_safetensors_tensor (s->st, i);
  p_str (p, t->name);
  if (!s->rebuild_done)
    {
      s->rebuild_memo = p->memo;
      p_global (p, "torch._utils", "_rebuild_tensor_v2");
    }
  else
    p_get (p, s->rebuild_memo);
  p_op (p, '(');
  p_op (p, '(');
  if (!s->rebuild_done)
    {
      s->storage_memo = p->memo;
      p_str (p, "storage");
    }
  else
    p_get (p, s->storage_memo);
  guint tm = GPOINTER_TO_UINT (g_hash_table_lookup (s->types, GINT_TO_POINTER (t->dtype)));
  if (tm)
    p_get (p, tm - 1);
  else
    {
      g_hash_table_insert (s->types, GINT_TO_POINTER (t->dtype), GUINT_TO_POINTER (p->memo + 1));
      p_global (p, "torch", storage_type_name (t->dtype));
    }
  g_autofree char *key = g_strdup_printf ("%u", i);
  p_str (p, key);
  if (!s->rebuild_done)
    {
      s->cpu_memo = p->memo;
      p_str (p, "cpu");
    }
  else
    p_get (p, s->cpu_memo);
  p_int (p, t->numel);
  p_op (p, 't');
  p_put (p);
  p_op (p, 'Q');
  p_int (p, 0);
  gint64 stride[DV_ST_MAX_DIMS];
  gint64 acc = 1;
  for (int d = t->ndim - 1; d >= 0; d--)
    {
      stride[d] = acc;
      acc *= MAX (t->shape[d], 1);
    }
  p_int_tuple (p, t->ndim, t->shape);
  p_int_tuple (p, t->ndim, stride);
  p_op (p, 0x89); /* requires_grad False */
  p_get (p, s->od_memo);
  p_op (p, ')');
  p_op (p, 'R'); /* backward_hooks: OrderedDict() */
  p_put (p);
  p_op (p, 't');
  p_put (p);
  p_op (p, 'R');
  p_put (p);
  s->rebuild_done = TRUE;
}

typedef struct {
  const DvSafetensors *st;
  GPtrArray *keys;
} MetaState;

static void
write_meta (Pickler *p, guint i, gpointer user)
{
  MetaState *m = user;
  const char *k = m->keys->pdata[i];
  p_str (p, k);
  p_str (p, dv_safetensors_metadata (m->st, k));
}

static GBytes *
torch_bytes (const DvSafetensors *st)
{
  Pickler p = { g_byte_array_new (), 0 };
  guint8 proto[2] = { 0x80, 2 };
  g_byte_array_append (p.b, proto, 2);
  SaveState s = { .st = st, .types = g_hash_table_new (g_direct_hash, g_direct_equal) };
  s.od_memo = p.memo;
  p_global (&p, "collections", "OrderedDict");
  p_op (&p, ')');
  p_op (&p, 'R');
  p_put (&p);
  guint n = dv_safetensors_n_tensors (st);
  p_items (&p, n, write_tensor, &s);
  g_hash_table_unref (s.types);

  /* state: {'_metadata': OrderedDict({'__dynvision__': {k: v}})} — what
   * torch.load(weights_only=True) accepts as an OrderedDict's BUILD */
  MetaState m = { st, g_ptr_array_new () };
  const char *const *keys = dv_safetensors_metadata_keys (st);
  for (int k = 0; keys[k]; k++)
    if (g_str_has_prefix (keys[k], "dynvision."))
      g_ptr_array_add (m.keys, (gpointer) keys[k]);
  if (m.keys->len)
    {
      p_op (&p, '}');
      p_put (&p);
      p_str (&p, "_metadata");
      p_get (&p, s.od_memo);
      p_op (&p, ')');
      p_op (&p, 'R');
      p_put (&p);
      p_str (&p, "__dynvision__");
      p_op (&p, '}');
      p_put (&p);
      p_items (&p, m.keys->len, write_meta, &m);
      p_op (&p, 's');
      p_op (&p, 's');
      p_op (&p, 'b');
    }
  g_ptr_array_unref (m.keys);
  p_op (&p, '.');

  GByteArray *out = g_byte_array_new ();
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (ZipEntry));
  g_array_set_clear_func (entries, zw_entry_clear);
  zw_add (out, entries, "archive/data.pkl", p.b->data, p.b->len);
  g_byte_array_unref (p.b);
  zw_add (out, entries, "archive/byteorder", "little", 6);
  for (guint i = 0; i < n; i++)
    {
      const DvStTensor *t = dv_safetensors_tensor (st, i);
      g_autofree char *name = g_strdup_printf ("archive/data/%u", i);
      zw_add (out, entries, name, t->data, t->nbytes);
    }
  zw_add (out, entries, "archive/version", "3\n", 2);
  zw_finish (out, entries);
  g_array_unref (entries);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
dv_torch_save_to_bytes (const DvSafetensors *st, GError **error)
{
  g_return_val_if_fail (st != NULL, NULL);
  /* no zip64 here: every entry and the whole archive below 4 GiB, < 65535 entries */
  guint64 total = 0;
  guint n = dv_safetensors_n_tensors (st);
  for (guint i = 0; i < n; i++)
    total += dv_safetensors_tensor (st, i)->nbytes + 200;
  if (total >= G_MAXUINT32 - (1u << 24) || n > 65000)
    {
      g_set_error (error, DV_TORCH_ERROR, DV_TORCH_ERROR_TOO_LARGE,
                   "%u tensors of %" G_GUINT64_FORMAT " bytes need zip64, "
                   "which this writer does not write", n, total);
      return NULL;
    }
  return torch_bytes (st);
}

gboolean
dv_torch_save (const DvSafetensors *st, const char *path, GError **error)
{
  g_return_val_if_fail (st != NULL && path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  GError *e0 = NULL;
  g_autoptr (GBytes) bytes = dv_torch_save_to_bytes (st, &e0);
  if (bytes == NULL)
    {
      g_propagate_prefixed_error (error, e0, "%s: could not save: ", path);
      return FALSE;
    }

  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);
  return dv_temp_save_chunks (path, NULL, &data, &len, 1, error);
}
