/* dv-json-write.c — the serialiser of dv-json.h: a DOM walked into the one JSON writer.
 *
 * What this is for: faithful round trips of DynVision's Python-written JSON: integers stay
 * integers, doubles print in the shortest form that reads back to the same double, strings
 * keep embedded NULs, NaN and ±Infinity are written as Python writes them (the policy and the
 * layout are base/dv-json-writer.h's).  What it is not for: parsing (dv-json-parse.c).
 */
#include "dv-json-private.h"

#include "dv-json-writer.h"

static void
write_value (DvJsonWriter *w, const char *key, const DvJson *n)
{
  switch (n->type)
    {
    case DV_JSON_NULL:
      dv_json_writer_null (w, key);
      break;
    case DV_JSON_BOOL:
      dv_json_writer_bool (w, key, n->u.b);
      break;
    case DV_JSON_NUMBER:
      if (n->is_int)
        dv_json_writer_int (w, key, n->u.i);
      else
        dv_json_writer_double (w, key, n->u.d);
      break;
    case DV_JSON_STRING:
      dv_json_writer_string_len (w, key, n->u.str.s, n->u.str.len);
      break;
    case DV_JSON_ARRAY:
      dv_json_writer_begin_array (w, key);
      for (guint i = 0; i < n->u.arr->len; i++)
        write_value (w, NULL, n->u.arr->pdata[i]);
      dv_json_writer_end (w);
      break;
    case DV_JSON_OBJECT:
      dv_json_writer_begin_object (w, key);
      for (guint i = 0; i < n->u.obj.members->len; i++)
        {
          const DvJsonMember *m = MEMBER (n, i);
          write_value (w, m->key, m->value);
        }
      dv_json_writer_end (w);
      break;
    default:
      g_assert_not_reached ();
    }
}

char *
dv_json_to_string (const DvJson *node, gboolean pretty)
{
  g_return_val_if_fail (node != NULL, NULL);
  DvJsonWriter *w = dv_json_writer_new (pretty);
  write_value (w, NULL, node);
  return dv_json_writer_free_to_string (w);
}
