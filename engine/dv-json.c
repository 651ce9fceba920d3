/* dv-json.c — the JSON DOM of dv-json.h: nodes, a recursive-descent parser
 * and a serialiser.
 *
 * What this is for: correctness on any input (the parser never reads past
 * `len`, limits nesting, and reports line:column) and faithful round trips
 * of DynVision's Python-written JSON.  What it is not for: speed on
 * megabyte documents (it is fast enough for safetensors headers, which are
 * the largest thing it reads).
 */
#include "dv-json.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Objects with at least this many members also keep a key -> index table. */
#define DV_JSON_INDEX_THRESHOLD 16

typedef struct {
  char *key;
  DvJson *value;
} DvJsonMember;

struct _DvJson {
  DvJsonType type;
  gboolean is_int;
  union {
    gboolean b;
    double d;
    gint64 i;
    struct {
      char *s;
      gsize len;
    } str;
    GPtrArray *arr;
    struct {
      GArray *members;    /* DvJsonMember, insertion order */
      GHashTable *index;  /* borrowed key -> GUINT_TO_POINTER (i + 1), or NULL */
    } obj;
  } u;
};

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

static DvJson *
json_new_string_take (char *s, gsize len)
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
  return json_new_string_take (s, strlen (s));
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

#define MEMBER(o, i) (&g_array_index ((o)->u.obj.members, DvJsonMember, (i)))

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

static gint
object_find (const DvJson *o, const char *key)
{
  if (o->u.obj.index != NULL)
    return (gint) GPOINTER_TO_UINT (g_hash_table_lookup (o->u.obj.index, key)) - 1;
  for (guint i = 0; i < o->u.obj.members->len; i++)
    if (strcmp (MEMBER (o, i)->key, key) == 0)
      return (gint) i;
  return -1;
}

static void
object_append_member (DvJson *o, char *key_take, DvJson *value)
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
  gint i = object_find (object, key);
  if (i >= 0)
    {
      DvJsonMember *m = MEMBER (object, i);
      dv_json_free (m->value);
      m->value = value;
      return;
    }
  object_append_member (object, g_strdup (key), value);
}

gboolean
dv_json_object_remove (DvJson *object, const char *key)
{
  g_return_val_if_fail (object != NULL && object->type == DV_JSON_OBJECT, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  gint i = object_find (object, key);
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
      return json_new_string_take (g_memdup2 (node->u.str.s, node->u.str.len + 1),
                                   node->u.str.len);
    case DV_JSON_ARRAY:
      c = dv_json_new_array ();
      for (guint i = 0; i < node->u.arr->len; i++)
        g_ptr_array_add (c->u.arr, dv_json_copy (node->u.arr->pdata[i]));
      return c;
    case DV_JSON_OBJECT:
      c = dv_json_new_object ();
      for (guint i = 0; i < node->u.obj.members->len; i++)
        object_append_member (c, g_strdup (MEMBER (node, i)->key),
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
          gint j = object_find (b, MEMBER (a, i)->key);
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

DvJson *
dv_json_object_get (const DvJson *object, const char *key)
{
  g_return_val_if_fail (key != NULL, NULL);
  if (object == NULL || object->type != DV_JSON_OBJECT)
    return NULL;
  gint i = object_find (object, key);
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

/* ------------------------------------------------------------------------ */
/* Parser                                                                    */

typedef struct {
  const char *text;
  const char *p;
  const char *end;
  DvJsonParseFlags flags;
  int depth;
  GError **error;
} Parser;

static void G_GNUC_PRINTF (4, 5)
parser_fail (Parser *ps, const char *at, DvJsonError code, const char *fmt, ...)
{
  int line = 1, column = 1;
  for (const char *q = ps->text; q < at; q++)
    {
      if (*q == '\n')
        line++, column = 1;
      else if (((guchar) *q & 0xC0) != 0x80)
        column++;
    }
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (ps->error, DV_JSON_ERROR, code, "%d:%d: %s", line, column, msg);
}

/* "end of input", "'x'" or "byte 0xNN" for the character at `at`. */
static const char *
describe_at (const Parser *ps, const char *at, char buf[16])
{
  if (at >= ps->end)
    return "end of input";
  guchar c = (guchar) *at;
  if (c >= 0x20 && c < 0x7F)
    g_snprintf (buf, 16, "'%c'", c);
  else
    g_snprintf (buf, 16, "byte 0x%02X", c);
  return buf;
}

static void
fail_expected (Parser *ps, const char *what)
{
  char buf[16];
  parser_fail (ps, ps->p, DV_JSON_ERROR_SYNTAX, "expected %s, found %s", what,
               describe_at (ps, ps->p, buf));
}

static void
skip_ws (Parser *ps)
{
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static gboolean
match_literal (Parser *ps, const char *lit)
{
  gsize n = strlen (lit);
  if ((gsize) (ps->end - ps->p) < n || memcmp (ps->p, lit, n) != 0)
    return FALSE;
  ps->p += n;
  return TRUE;
}

static DvJson *parse_value (Parser *ps);

/* Reads one \uXXXX escape (ps->p at the backslash) into *cp. */
static gboolean
parse_u_escape (Parser *ps, int *cp)
{
  *cp = 0;
  for (int k = 2; k < 6; k++)
    {
      int d = ps->p + k < ps->end ? g_ascii_xdigit_value (ps->p[k]) : -1;
      if (d < 0)
        {
          parser_fail (ps, ps->p, DV_JSON_ERROR_SYNTAX, "expected 4 hex digits after \\u");
          return FALSE;
        }
      *cp = *cp * 16 + d;
    }
  ps->p += 6;
  return TRUE;
}

/* ps->p at the opening quote.  Returns a NUL-terminated copy in *out. */
static gboolean
parse_string_raw (Parser *ps, char **out, gsize *out_len)
{
  static const char escapes[] = "\"\\/bfnrt", replacements[] = "\"\\/\b\f\n\r\t";
  const char *start = ps->p;
  GString *s = g_string_new (NULL);
  ps->p++;
  for (;;)
    {
      const char *run = ps->p;
      while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && (guchar) *ps->p >= 0x20)
        ps->p++;
      g_string_append_len (s, run, ps->p - run);
      if (ps->p >= ps->end)
        {
          parser_fail (ps, start, DV_JSON_ERROR_SYNTAX,
                       "unterminated string (expected '\"' before end of input)");
          goto fail;
        }
      if (*ps->p == '"')
        {
          ps->p++;
          break;
        }
      if (*ps->p != '\\')
        {
          parser_fail (ps, ps->p, DV_JSON_ERROR_SYNTAX,
                       "control character 0x%02X in string (expected it escaped)",
                       (guchar) *ps->p);
          goto fail;
        }
      char e = ps->p + 1 < ps->end ? ps->p[1] : '\0';
      const char *simple = e != '\0' ? strchr (escapes, e) : NULL;
      if (simple != NULL)
        {
          g_string_append_c (s, replacements[simple - escapes]);
          ps->p += 2;
          continue;
        }
      if (e != 'u')
        {
          ps->p++;
          fail_expected (ps, "one of \" \\ / b f n r t u after '\\'");
          goto fail;
        }
      const char *esc = ps->p;
      int cp, lo = -1;
      if (!parse_u_escape (ps, &cp))
        goto fail;
      if (cp >= 0xD800 && cp <= 0xDBFF)
        {
          /* A high surrogate must be followed by an escaped low one. */
          if (ps->end - ps->p >= 2 && ps->p[0] == '\\' && ps->p[1] == 'u'
              && !parse_u_escape (ps, &lo))
            goto fail;
          if (lo < 0xDC00 || lo > 0xDFFF)
            {
              parser_fail (ps, esc, DV_JSON_ERROR_ENCODING,
                           "unpaired high surrogate \\u%04X (expected \\uDC00-\\uDFFF after it)",
                           cp);
              goto fail;
            }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
      else if (cp >= 0xDC00 && cp <= 0xDFFF)
        {
          parser_fail (ps, esc, DV_JSON_ERROR_ENCODING, "unpaired low surrogate \\u%04X", cp);
          goto fail;
        }
      g_string_append_unichar (s, (gunichar) cp);
    }
  *out_len = s->len;
  *out = g_string_free (s, FALSE);
  return TRUE;
fail:
  g_string_free (s, TRUE);
  return FALSE;
}

/* Skips whitespace; consumes c if it comes next. */
static gboolean
eat (Parser *ps, char c)
{
  skip_ws (ps);
  if (ps->p >= ps->end || *ps->p != c)
    return FALSE;
  ps->p++;
  return TRUE;
}

/* Advances *q over one or more digits, or fails naming `what`. */
static gboolean
digits (Parser *ps, const char **q, const char *what)
{
  if (*q >= ps->end || !g_ascii_isdigit (**q))
    {
      ps->p = *q;
      fail_expected (ps, what);
      return FALSE;
    }
  while (*q < ps->end && g_ascii_isdigit (**q))
    (*q)++;
  return TRUE;
}

static DvJson *
parse_number (Parser *ps)
{
  const char *start = ps->p, *q = ps->p;
  gboolean is_int = TRUE;
  if (q < ps->end && *q == '-')
    q++;
  if (q < ps->end && *q == 'I' && !(ps->flags & DV_JSON_PARSE_NO_NONFINITE))
    {
      ps->p = q;
      if (match_literal (ps, "Infinity"))
        return dv_json_new_number (*start == '-' ? -INFINITY : INFINITY);
    }
  if (q < ps->end && *q == '0')
    q++;
  else if (!digits (ps, &q, "a digit"))
    return NULL;
  if (q < ps->end && *q == '.')
    {
      is_int = FALSE;
      q++;
      if (!digits (ps, &q, "a digit after '.'"))
        return NULL;
    }
  if (q < ps->end && (*q == 'e' || *q == 'E'))
    {
      is_int = FALSE;
      q++;
      if (q < ps->end && (*q == '+' || *q == '-'))
        q++;
      if (!digits (ps, &q, "a digit in the exponent"))
        return NULL;
    }
  ps->p = q;

  /* The text is not necessarily NUL-terminated here: convert a copy. */
  g_autofree char *buf = g_strndup (start, q - start);
  if (is_int)
    {
      errno = 0;
      gint64 v = g_ascii_strtoll (buf, NULL, 10);
      if (errno == 0)
        return dv_json_new_int (v);
    }
  /* A fraction or exponent, or an integer beyond gint64. */
  return dv_json_new_number (g_ascii_strtod (buf, NULL));
}

static gboolean
enter (Parser *ps)
{
  if (++ps->depth > DV_JSON_MAX_DEPTH)
    {
      parser_fail (ps, ps->p, DV_JSON_ERROR_DEPTH, "nesting deeper than %d levels",
                   DV_JSON_MAX_DEPTH);
      return FALSE;
    }
  return TRUE;
}

static DvJson *
parse_array (Parser *ps)
{
  if (!enter (ps))
    return NULL;
  DvJson *arr = dv_json_new_array ();
  ps->p++; /* '[' */
  if (!eat (ps, ']'))
    for (;;)
      {
        DvJson *v = parse_value (ps);
        if (v == NULL)
          goto fail;
        g_ptr_array_add (arr->u.arr, v);
        if (eat (ps, ']'))
          break;
        if (!eat (ps, ','))
          {
            fail_expected (ps, "',' or ']' after an array element");
            goto fail;
          }
      }
  ps->depth--;
  return arr;
fail:
  dv_json_free (arr);
  return NULL;
}

static DvJson *
parse_object (Parser *ps)
{
  if (!enter (ps))
    return NULL;
  DvJson *obj = dv_json_new_object ();
  char *key = NULL;
  ps->p++; /* '{' */
  if (!eat (ps, '}'))
    for (;;)
      {
        skip_ws (ps);
        const char *key_at = ps->p;
        gsize key_len;
        if (ps->p >= ps->end || *ps->p != '"')
          {
            fail_expected (ps, "a string key");
            goto fail;
          }
        if (!parse_string_raw (ps, &key, &key_len))
          goto fail;
        if (!eat (ps, ':'))
          {
            fail_expected (ps, "':' after an object key");
            goto fail;
          }
        DvJson *v = parse_value (ps);
        if (v == NULL)
          goto fail;
        gint old = object_find (obj, key);
        if (old >= 0 && (ps->flags & DV_JSON_PARSE_REJECT_DUPLICATES))
          {
            parser_fail (ps, key_at, DV_JSON_ERROR_DUPLICATE_KEY, "duplicate key \"%s\"", key);
            dv_json_free (v);
            goto fail;
          }
        if (old >= 0) /* the later value wins, in the earlier place (as in Python) */
          {
            dv_json_free (MEMBER (obj, old)->value);
            MEMBER (obj, old)->value = v;
            g_clear_pointer (&key, g_free);
          }
        else
          object_append_member (obj, g_steal_pointer (&key), v);
        if (eat (ps, '}'))
          break;
        if (!eat (ps, ','))
          {
            fail_expected (ps, "',' or '}' after an object member");
            goto fail;
          }
      }
  ps->depth--;
  return obj;
fail:
  g_free (key);
  dv_json_free (obj);
  return NULL;
}

static DvJson *
parse_value (Parser *ps)
{
  skip_ws (ps);
  if (ps->p >= ps->end)
    {
      fail_expected (ps, "a value");
      return NULL;
    }
  gboolean nonfinite = !(ps->flags & DV_JSON_PARSE_NO_NONFINITE);
  switch (*ps->p)
    {
    case '{':
      return parse_object (ps);
    case '[':
      return parse_array (ps);
    case '"':
      {
        char *s;
        gsize len;
        return parse_string_raw (ps, &s, &len) ? json_new_string_take (s, len) : NULL;
      }
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return parse_number (ps);
    default:
      break;
    }
  if (match_literal (ps, "true"))
    return dv_json_new_bool (TRUE);
  if (match_literal (ps, "false"))
    return dv_json_new_bool (FALSE);
  if (match_literal (ps, "null"))
    return dv_json_new_null ();
  if (nonfinite && match_literal (ps, "NaN"))
    return dv_json_new_number (NAN);
  if (nonfinite && *ps->p == 'I')
    return parse_number (ps);
  fail_expected (ps, "a value (object, array, string, number, true, false or null)");
  return NULL;
}

/* Checks the whole text is UTF-8 (NUL bytes are left to the parser, which
 * rejects them as unexpected characters). */
static gboolean
check_utf8 (Parser *ps)
{
  const char *p = ps->text, *stop;
  while (!g_utf8_validate_len (p, ps->end - p, &stop))
    {
      if (*stop != '\0')
        {
          parser_fail (ps, stop, DV_JSON_ERROR_ENCODING, "invalid UTF-8 (byte 0x%02X)",
                       (guchar) *stop);
          return FALSE;
        }
      p = stop + 1;
    }
  return TRUE;
}

DvJson *
dv_json_parse_full (const char *text, gssize len, DvJsonParseFlags flags, GError **error)
{
  g_return_val_if_fail (text != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (len < 0)
    len = strlen (text);
  if (text == NULL)
    text = "";
  Parser ps = { text, text, text + len, flags, 0, error };
  if (len >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0) /* byte-order mark */
    ps.p += 3;
  if (!check_utf8 (&ps))
    return NULL;
  DvJson *root = parse_value (&ps);
  if (root == NULL)
    return NULL;
  skip_ws (&ps);
  if (ps.p < ps.end)
    {
      fail_expected (&ps, "end of input after the value");
      dv_json_free (root);
      return NULL;
    }
  return root;
}

DvJson *
dv_json_parse (const char *text, gssize len, GError **error)
{
  return dv_json_parse_full (text, len, DV_JSON_PARSE_DEFAULT, error);
}

DvJson *
dv_json_parse_file (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *text = NULL;
  gsize len;
  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  DvJson *root = dv_json_parse (text, len, error);
  if (root == NULL)
    g_prefix_error (error, "%s:", path);
  return root;
}

/* ------------------------------------------------------------------------ */
/* Serialiser                                                                */

static void
write_string (GString *out, const char *s, gsize len)
{
  g_string_append_c (out, '"');
  const char *run = s;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) s[i];
      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, s + i - run);
      run = s + i + 1;
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default: g_string_append_printf (out, "\\u%04x", c); break;
        }
    }
  g_string_append_len (out, run, s + len - run);
  g_string_append_c (out, '"');
}

/* Shortest round-trip digits of a finite double, laid out like Python's
 * repr(): positional for 1e-4 <= |v| < 1e16 (always with a '.'), else
 * d[.ddd]e±XX. */
static void
write_double (GString *out, double v)
{
  if (isnan (v))
    {
      g_string_append (out, "NaN");
      return;
    }
  if (isinf (v))
    {
      g_string_append (out, v > 0 ? "Infinity" : "-Infinity");
      return;
    }
  /* Any decimal of at most DBL_DIG = 15 digits survives a round trip through
   * a normal double, so trailing zeros stripped from %.14e give the shortest
   * form whenever one of <= 15 digits exists; subnormals have fewer bits and
   * need the full search. */
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  for (int prec = fabs (v) < DBL_MIN ? 1 : 15; prec <= 17; prec++)
    {
      char fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%de", prec - 1);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  /* buf = [-]d.ddddde[+-]XX : collect the digits and the exponent. */
  const char *p = buf;
  char digits[24];
  int nd = 0;
  if (*p == '-')
    {
      g_string_append_c (out, '-');
      p++;
    }
  for (; *p != 'e' && *p != '\0'; p++)
    if (g_ascii_isdigit (*p) && nd < (int) sizeof digits - 1)
      digits[nd++] = *p;
  int exp10 = *p == 'e' ? atoi (p + 1) : 0;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = '\0';

  if (exp10 < -4 || exp10 >= 16)
    {
      g_string_append_c (out, digits[0]);
      if (nd > 1)
        {
          g_string_append_c (out, '.');
          g_string_append (out, digits + 1);
        }
      g_string_append_printf (out, "e%c%02d", exp10 < 0 ? '-' : '+', ABS (exp10));
    }
  else if (exp10 < 0)
    {
      g_string_append (out, "0.");
      for (int k = 0; k < -exp10 - 1; k++)
        g_string_append_c (out, '0');
      g_string_append (out, digits);
    }
  else
    {
      for (int k = 0; k <= exp10; k++)
        g_string_append_c (out, k < nd ? digits[k] : '0');
      g_string_append_c (out, '.');
      g_string_append (out, nd > exp10 + 1 ? digits + exp10 + 1 : "0");
    }
}

static void
newline_indent (GString *out, gboolean pretty, int level)
{
  if (!pretty)
    return;
  g_string_append_c (out, '\n');
  for (int k = 0; k < level; k++)
    g_string_append (out, "  ");
}

static void
write_value (GString *out, const DvJson *n, gboolean pretty, int level)
{
  switch (n->type)
    {
    case DV_JSON_NULL:
      g_string_append (out, "null");
      break;
    case DV_JSON_BOOL:
      g_string_append (out, n->u.b ? "true" : "false");
      break;
    case DV_JSON_NUMBER:
      if (n->is_int)
        g_string_append_printf (out, "%" G_GINT64_FORMAT, n->u.i);
      else
        write_double (out, n->u.d);
      break;
    case DV_JSON_STRING:
      write_string (out, n->u.str.s, n->u.str.len);
      break;
    case DV_JSON_ARRAY:
      g_string_append_c (out, '[');
      for (guint i = 0; i < n->u.arr->len; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          newline_indent (out, pretty, level + 1);
          write_value (out, n->u.arr->pdata[i], pretty, level + 1);
        }
      if (n->u.arr->len > 0)
        newline_indent (out, pretty, level);
      g_string_append_c (out, ']');
      break;
    case DV_JSON_OBJECT:
      g_string_append_c (out, '{');
      for (guint i = 0; i < n->u.obj.members->len; i++)
        {
          const DvJsonMember *m = MEMBER (n, i);
          if (i > 0)
            g_string_append_c (out, ',');
          newline_indent (out, pretty, level + 1);
          write_string (out, m->key, strlen (m->key));
          g_string_append (out, pretty ? ": " : ":");
          write_value (out, m->value, pretty, level + 1);
        }
      if (n->u.obj.members->len > 0)
        newline_indent (out, pretty, level);
      g_string_append_c (out, '}');
      break;
    default:
      g_assert_not_reached ();
    }
}

char *
dv_json_to_string (const DvJson *node, gboolean pretty)
{
  g_return_val_if_fail (node != NULL, NULL);
  GString *out = g_string_new (NULL);
  write_value (out, node, pretty, 0);
  return g_string_free (out, FALSE);
}
