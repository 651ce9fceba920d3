/* dv-json.c — the JSON DOM of dv-json.h: nodes and their accessors.
 *
 * What this is for: building, copying, comparing and reading JSON trees;
 * the parser is dv-json-parse.c and the serialiser dv-json-write.c.  What it
 * is not for: speed on megabyte documents (it is fast enough for
 * safetensors headers, which are the largest thing it reads).
 */
#include "dv-json-private.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (dv-json-error-quark, dv_json_error)

/* ------------------------------------------------------------------------ */
/* Nodes                                                                     */

static DvJson *
json_alloc (DvJsonType type)
{
  DvJson *n = g_new0 (DvJson, 1);
  n->type = type;
  return n;
}

DvJson *
dv_json_new_null (void)
{
  return json_alloc (DV_JSON_NULL);
}

DvJson *
dv_json_new_bool (gboolean v)
{
  DvJson *n = json_alloc (DV_JSON_BOOL);
  n->u.b = v ? TRUE : FALSE;
  return n;
}

DvJson *
dv_json_new_number (double v)
{
  DvJson *n = json_alloc (DV_JSON_NUMBER);
  n->u.d = v;
  return n;
}

DvJson *
dv_json_new_int (gint64 v)
{
  DvJson *n = json_alloc (DV_JSON_NUMBER);
  n->is_int = TRUE;
  n->u.i = v;
  return n;
}

DvJson *
dv_json_new_string_take (char *s, gsize len)
{
  DvJson *n = json_alloc (DV_JSON_STRING);
  n->u.str.s = s;
  n->u.str.len = len;
  return n;
}

DvJson *
dv_json_new_string (const char *v)
{
  g_return_val_if_fail (v != NULL, NULL);
  char *s = g_utf8_validate (v, -1, NULL) ? g_strdup (v) : g_utf8_make_valid (v, -1);
  return dv_json_new_string_take (s, strlen (s));
}

DvJson *
dv_json_new_array (void)
{
  DvJson *n = json_alloc (DV_JSON_ARRAY);
  n->u.arr = g_ptr_array_new_with_free_func ((GDestroyNotify) dv_json_free);
  return n;
}

static void
member_clear (gpointer p)
{
  DvJsonMember *m = p;
  g_free (m->key);
  dv_json_free (m->value);
}

DvJson *
dv_json_new_object (void)
{
  DvJson *n = json_alloc (DV_JSON_OBJECT);
  n->u.obj.members = g_array_new (FALSE, FALSE, sizeof (DvJsonMember));
  g_array_set_clear_func (n->u.obj.members, member_clear);
  return n;
}

void
dv_json_free (DvJson *node)
{
  if (node == NULL)
    return;
  switch (node->type)
    {
    case DV_JSON_STRING:
      g_free (node->u.str.s);
      break;
    case DV_JSON_ARRAY:
      g_ptr_array_unref (node->u.arr);
      break;
    case DV_JSON_OBJECT:
      g_clear_pointer (&node->u.obj.index, g_hash_table_unref);
      g_array_unref (node->u.obj.members);
      break;
    default:
      break;
    }
  g_free (node);
}


static void
object_rebuild_index (DvJson *o)
{
  GArray *ms = o->u.obj.members;
  g_clear_pointer (&o->u.obj.index, g_hash_table_unref);
  if (ms->len < DV_JSON_INDEX_THRESHOLD)
    return;
  o->u.obj.index = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < ms->len; i++)
    g_hash_table_insert (o->u.obj.index, MEMBER (o, i)->key, GUINT_TO_POINTER (i + 1));
}

gint
dv_json_object_find (const DvJson *o, const char *key)
{
  if (o->u.obj.index != NULL)
    return (gint) GPOINTER_TO_UINT (g_hash_table_lookup (o->u.obj.index, key)) - 1;
  for (guint i = 0; i < o->u.obj.members->len; i++)
    if (strcmp (MEMBER (o, i)->key, key) == 0)
      return (gint) i;
  return -1;
}

void
dv_json_object_append_take (DvJson *o, char *key_take, DvJson *value)
{
  DvJsonMember m = { key_take, value };
  g_array_append_val (o->u.obj.members, m);
  guint len = o->u.obj.members->len;
  if (o->u.obj.index != NULL)
    g_hash_table_insert (o->u.obj.index, key_take, GUINT_TO_POINTER (len));
  else if (len >= DV_JSON_INDEX_THRESHOLD)
    object_rebuild_index (o);
}

void
dv_json_array_append (DvJson *array, DvJson *value)
{
  g_return_if_fail (array != NULL && array->type == DV_JSON_ARRAY);
  g_return_if_fail (value != NULL && value != array);
  g_ptr_array_add (array->u.arr, value);
}

void
dv_json_object_set (DvJson *object, const char *key, DvJson *value)
{
  g_return_if_fail (object != NULL && object->type == DV_JSON_OBJECT);
  g_return_if_fail (key != NULL);
  g_return_if_fail (value != NULL && value != object);
  gint i = dv_json_object_find (object, key);
  if (i >= 0)
    {
      DvJsonMember *m = MEMBER (object, i);
      dv_json_free (m->value);
      m->value = value;
      return;
    }
  dv_json_object_append_take (object, g_strdup (key), value);
}

gboolean
dv_json_object_remove (DvJson *object, const char *key)
{
  g_return_val_if_fail (object != NULL && object->type == DV_JSON_OBJECT, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  gint i = dv_json_object_find (object, key);
  if (i < 0)
    return FALSE;
  g_clear_pointer (&object->u.obj.index, g_hash_table_unref);
  g_array_remove_index (object->u.obj.members, i);
  object_rebuild_index (object);
  return TRUE;
}

DvJson *
dv_json_copy (const DvJson *node)
{
  if (node == NULL)
    return NULL;
  DvJson *c;
  switch (node->type)
    {
    case DV_JSON_STRING:
      return dv_json_new_string_take (g_memdup2 (node->u.str.s, node->u.str.len + 1),
                                   node->u.str.len);
    case DV_JSON_ARRAY:
      c = dv_json_new_array ();
      for (guint i = 0; i < node->u.arr->len; i++)
        g_ptr_array_add (c->u.arr, dv_json_copy (node->u.arr->pdata[i]));
      return c;
    case DV_JSON_OBJECT:
      c = dv_json_new_object ();
      for (guint i = 0; i < node->u.obj.members->len; i++)
        dv_json_object_append_take (c, g_strdup (MEMBER (node, i)->key),
                              dv_json_copy (MEMBER (node, i)->value));
      return c;
    default:
      c = json_alloc (node->type);
      c->is_int = node->is_int;
      c->u = node->u;
      return c;
    }
}

gboolean
dv_json_equal (const DvJson *a, const DvJson *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL || a->type != b->type)
    return FALSE;
  switch (a->type)
    {
    case DV_JSON_NULL:
      return TRUE;
    case DV_JSON_BOOL:
      return a->u.b == b->u.b;
    case DV_JSON_NUMBER:
      if (a->is_int && b->is_int)
        return a->u.i == b->u.i;
      if (isnan (dv_json_number (a)) && isnan (dv_json_number (b)))
        return TRUE;
      return dv_json_number (a) == dv_json_number (b);
    case DV_JSON_STRING:
      return a->u.str.len == b->u.str.len && memcmp (a->u.str.s, b->u.str.s, a->u.str.len) == 0;
    case DV_JSON_ARRAY:
      if (a->u.arr->len != b->u.arr->len)
        return FALSE;
      for (guint i = 0; i < a->u.arr->len; i++)
        if (!dv_json_equal (a->u.arr->pdata[i], b->u.arr->pdata[i]))
          return FALSE;
      return TRUE;
    case DV_JSON_OBJECT:
      if (a->u.obj.members->len != b->u.obj.members->len)
        return FALSE;
      for (guint i = 0; i < a->u.obj.members->len; i++)
        {
          gint j = dv_json_object_find (b, MEMBER (a, i)->key);
          if (j < 0 || !dv_json_equal (MEMBER (a, i)->value, MEMBER (b, j)->value))
            return FALSE;
        }
      return TRUE;
    default:
      return FALSE;
    }
}

/* ------------------------------------------------------------------------ */
/* Inspection                                                                */

DvJsonType
dv_json_type (const DvJson *node)
{
  g_return_val_if_fail (node != NULL, DV_JSON_NULL);
  return node->type;
}

const char *
dv_json_type_name (DvJsonType type)
{
  static const char *const names[] = { "null", "boolean", "number", "string", "array", "object" };
  return (guint) type < G_N_ELEMENTS (names) ? names[type] : "invalid";
}

gboolean
dv_json_is_int (const DvJson *node)
{
  return node != NULL && node->type == DV_JSON_NUMBER && node->is_int;
}

double
dv_json_number (const DvJson *node)
{
  if (node == NULL || node->type != DV_JSON_NUMBER)
    return 0.0;
  return node->is_int ? (double) node->u.i : node->u.d;
}

gint64
dv_json_int (const DvJson *node)
{
  if (node == NULL || node->type != DV_JSON_NUMBER)
    return 0;
  if (node->is_int)
    return node->u.i;
  double d = node->u.d;
  if (isnan (d))
    return 0;
  if (d >= 9223372036854775807.0)
    return G_MAXINT64;
  if (d <= -9223372036854775808.0)
    return G_MININT64;
  return (gint64) d;
}

gboolean
dv_json_bool (const DvJson *node)
{
  return node != NULL && node->type == DV_JSON_BOOL && node->u.b;
}

const char *
dv_json_string (const DvJson *node)
{
  return node != NULL && node->type == DV_JSON_STRING ? node->u.str.s : NULL;
}

gsize
dv_json_string_length (const DvJson *node)
{
  return node != NULL && node->type == DV_JSON_STRING ? node->u.str.len : 0;
}

guint
dv_json_length (const DvJson *node)
{
  if (node == NULL)
    return 0;
  if (node->type == DV_JSON_ARRAY)
    return node->u.arr->len;
  if (node->type == DV_JSON_OBJECT)
    return node->u.obj.members->len;
  return 0;
}

DvJson *
dv_json_array_get (const DvJson *array, guint i)
{
  if (array == NULL || array->type != DV_JSON_ARRAY || i >= array->u.arr->len)
    return NULL;
  return array->u.arr->pdata[i];
}

/* ---- read tracking ------------------------------------------------------- */

/* dv_json_reads_begin(): while open, every lookup in `object` (by key or by
 * index) records the key.  Per thread, nested last-in first-out. */
struct _DvJsonReads {
  const DvJson *object;
  GHashTable *keys; /* owned key strings */
  DvJsonReads *outer;
};

static _Thread_local DvJsonReads *tracking;

static inline void
note_read (const DvJson *object, const char *key)
{
  for (DvJsonReads *r = tracking; r != NULL; r = r->outer)
    if (r->object == object && !g_hash_table_contains (r->keys, key))
      g_hash_table_add (r->keys, g_strdup (key));
}

DvJsonReads *
dv_json_reads_begin (const DvJson *object)
{
  DvJsonReads *r = g_new0 (DvJsonReads, 1);
  r->object = object;
  r->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  r->outer = tracking;
  tracking = r;
  return r;
}

char **
dv_json_reads_end (DvJsonReads *reads)
{
  g_return_val_if_fail (reads != NULL && reads == tracking, NULL);
  tracking = reads->outer;
  GPtrArray *unread = g_ptr_array_new ();
  const DvJson *o = reads->object;
  for (guint i = 0; o != NULL && o->type == DV_JSON_OBJECT && i < o->u.obj.members->len; i++)
    if (!g_hash_table_contains (reads->keys, MEMBER (o, i)->key))
      g_ptr_array_add (unread, g_strdup (MEMBER (o, i)->key));
  g_ptr_array_add (unread, NULL);
  g_hash_table_unref (reads->keys);
  g_free (reads);
  return (char **) g_ptr_array_free (unread, FALSE);
}

DvJson *
dv_json_object_get (const DvJson *object, const char *key)
{
  g_return_val_if_fail (key != NULL, NULL);
  if (object == NULL || object->type != DV_JSON_OBJECT)
    return NULL;
  if (G_UNLIKELY (tracking != NULL))
    note_read (object, key);
  gint i = dv_json_object_find (object, key);
  return i >= 0 ? MEMBER (object, i)->value : NULL;
}

const char *
dv_json_object_key (const DvJson *object, guint i)
{
  if (object == NULL || object->type != DV_JSON_OBJECT || i >= object->u.obj.members->len)
    return NULL;
  return MEMBER (object, i)->key;
}

DvJson *
dv_json_object_value (const DvJson *object, guint i)
{
  if (object == NULL || object->type != DV_JSON_OBJECT || i >= object->u.obj.members->len)
    return NULL;
  if (G_UNLIKELY (tracking != NULL))
    note_read (object, MEMBER (object, i)->key);
  return MEMBER (object, i)->value;
}

double
dv_json_get_number (const DvJson *o, const char *key, double dflt)
{
  DvJson *v = dv_json_object_get (o, key);
  return v != NULL && v->type == DV_JSON_NUMBER ? dv_json_number (v) : dflt;
}

gint64
dv_json_get_int (const DvJson *o, const char *key, gint64 dflt)
{
  DvJson *v = dv_json_object_get (o, key);
  if (v == NULL || v->type != DV_JSON_NUMBER)
    return dflt;
  if (v->is_int)
    return v->u.i;
  /* A double is accepted when it is an exact integer inside gint64. */
  if (v->u.d == floor (v->u.d) && v->u.d >= -9223372036854775808.0
      && v->u.d < 9223372036854775808.0)
    return (gint64) v->u.d;
  return dflt;
}

gboolean
dv_json_get_bool (const DvJson *o, const char *key, gboolean dflt)
{
  DvJson *v = dv_json_object_get (o, key);
  return v != NULL && v->type == DV_JSON_BOOL ? v->u.b : dflt;
}

const char *
dv_json_get_string (const DvJson *o, const char *key, const char *dflt)
{
  DvJson *v = dv_json_object_get (o, key);
  return v != NULL && v->type == DV_JSON_STRING ? v->u.str.s : dflt;
}
