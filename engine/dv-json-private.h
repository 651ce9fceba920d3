/* dv-json-private.h — the JSON node, for dv-json.c, dv-json-parse.c and
 * dv-json-write.c only.
 *
 * What this is for: the parser and the serialiser build and read nodes
 * directly.  What it is not for: anything outside those three files (they
 * use dv-json.h).
 */
#pragma once

#include "dv-json.h"

G_BEGIN_DECLS

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

#define MEMBER(o, i) (&g_array_index ((o)->u.obj.members, DvJsonMember, (i)))

/* A string node owning s (len bytes, NUL-terminated). */
G_GNUC_INTERNAL DvJson *dv_json_new_string_take (char *s, gsize len);
/* Index of key in object o, or −1. */
G_GNUC_INTERNAL gint    dv_json_object_find (const DvJson *o, const char *key);
/* Appends a member (takes key and value) without looking for an equal key. */
G_GNUC_INTERNAL void    dv_json_object_append_take (DvJson *o, char *key_take, DvJson *value);

G_END_DECLS
