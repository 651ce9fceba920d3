/* dv-json.h — a small JSON DOM: parse, inspect, build, serialise.
 *
 * What this is for: DynVision configs, safetensors headers and checkpoint
 * metadata.  It follows RFC 8259 and, as an extension, reads and writes NaN,
 * Infinity and -Infinity because Python's json module writes them (the
 * policy of the project's one writer, base/dv-json-writer.h, which
 * dv_json_to_string uses).  What it is not for: streaming (write with
 * dv-json-writer.h directly), huge documents, or JSON Schema style validation
 * (callers check the members they need, usually with dv_json_get_*).
 *
 * Ownership.  Every DvJson is owned by exactly one parent (array or object)
 * or by the caller.  dv_json_array_append / dv_json_object_set take ownership
 * of the value; dv_json_free frees a whole subtree.  Getters return borrowed
 * pointers that live as long as the node they came from.
 *
 * Numbers.  A number written without fraction or exponent that fits in a
 * gint64 is an *integer* (dv_json_is_int) and is kept exactly; it prints
 * as an integer.  Every other number is a double and always prints with a
 * '.' or an exponent ("2.0", "1e-05"), in the shortest form that reads back
 * to the same double, laid out as Python's repr() does — so DynVision configs
 * keep their distinction between 2 and 2.0 through a round trip.
 *
 * Objects keep insertion order.  Keys are C strings (a key written with
 * "\u0000" is cut there); string values keep embedded NULs, see
 * dv_json_string_length.  dv_json_parse lets a repeated key replace
 * the earlier value in place (as Python does); DV_JSON_PARSE_REJECT_DUPLICATES
 * makes it an error instead.
 *
 * Threads: a DOM may be read from several threads at once; writing needs
 * exclusive access.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DV_JSON_NULL,
  DV_JSON_BOOL,
  DV_JSON_NUMBER,
  DV_JSON_STRING,
  DV_JSON_ARRAY,
  DV_JSON_OBJECT
} DvJsonType;

#define DV_JSON_ERROR (dv_json_error_quark ())
typedef enum {
  DV_JSON_ERROR_SYNTAX,        /* unexpected character, unterminated value, trailing garbage */
  DV_JSON_ERROR_DEPTH,         /* nesting deeper than DV_JSON_MAX_DEPTH */
  DV_JSON_ERROR_ENCODING,      /* invalid UTF-8 or an unpaired \u surrogate */
  DV_JSON_ERROR_DUPLICATE_KEY, /* only with DV_JSON_PARSE_REJECT_DUPLICATES */
} DvJsonError;
GQuark dv_json_error_quark (void);

#define DV_JSON_MAX_DEPTH 512

typedef enum {
  DV_JSON_PARSE_DEFAULT = 0,
  DV_JSON_PARSE_REJECT_DUPLICATES = 1 << 0, /* a key repeated in one object is an error */
  DV_JSON_PARSE_NO_NONFINITE = 1 << 1,      /* NaN / Infinity are syntax errors (strict RFC) */
} DvJsonParseFlags;

typedef struct _DvJson DvJson;

/* Parsing.  len may be -1 for a NUL-terminated text.  Errors read
 * "LINE:COLUMN: expected …" (1-based, column in characters). */
DvJson     *dv_json_parse (const char *text, gssize len, GError **error);
DvJson     *dv_json_parse_full (const char *text, gssize len, DvJsonParseFlags flags,
                                GError **error);
/* Reads a whole file; messages are prefixed with the path ("cfg.json:3:7: …"). */
DvJson     *dv_json_parse_file (const char *path, GError **error);

void        dv_json_free (DvJson *node);
DvJson     *dv_json_copy (const DvJson *node);
/* Deep structural equality; integer 2 equals double 2.0; NaN equals NaN. */
gboolean    dv_json_equal (const DvJson *a, const DvJson *b);

/* Inspection.  On a node of the wrong type these return 0 / FALSE / NULL. */
DvJsonType  dv_json_type (const DvJson *node);
const char *dv_json_type_name (DvJsonType type);
gboolean    dv_json_is_int (const DvJson *node);
double      dv_json_number (const DvJson *node);
gint64      dv_json_int (const DvJson *node);   /* doubles: truncated, clamped, NaN -> 0 */
gboolean    dv_json_bool (const DvJson *node);
const char *dv_json_string (const DvJson *node);
gsize       dv_json_string_length (const DvJson *node); /* bytes; strings may hold "\u0000" */
guint       dv_json_length (const DvJson *node);
DvJson     *dv_json_array_get (const DvJson *array, guint i);
DvJson     *dv_json_object_get (const DvJson *object, const char *key);
const char *dv_json_object_key (const DvJson *object, guint i);
DvJson     *dv_json_object_value (const DvJson *object, guint i);

/* Building.  new_string copies v; invalid UTF-8 is repaired with U+FFFD. */
DvJson     *dv_json_new_null (void);
DvJson     *dv_json_new_bool (gboolean v);
DvJson     *dv_json_new_number (double v);
DvJson     *dv_json_new_int (gint64 v);
DvJson     *dv_json_new_string (const char *v);
DvJson     *dv_json_new_array (void);
DvJson     *dv_json_new_object (void);
void        dv_json_array_append (DvJson *array, DvJson *value);
void        dv_json_object_set (DvJson *object, const char *key, DvJson *value);
gboolean    dv_json_object_remove (DvJson *object, const char *key);

/* Serialising (g_free the result).  Compact output has no spaces; pretty
 * output uses a 2-space indent and ": " like Python's json.dumps(indent=2).
 * Non-ASCII UTF-8 is written as is. */
char       *dv_json_to_string (const DvJson *node, gboolean pretty);

/* Convenience readers of object members: the member's value if o is an
 * object and the member exists with the right type, else dflt.  get_number
 * accepts any number; get_int accepts integers and doubles with an exactly
 * integral value in gint64 range. */
double      dv_json_get_number (const DvJson *o, const char *key, double dflt);
gint64      dv_json_get_int (const DvJson *o, const char *key, gint64 dflt);
gboolean    dv_json_get_bool (const DvJson *o, const char *key, gboolean dflt);
const char *dv_json_get_string (const DvJson *o, const char *key, const char *dflt);

/* Which members of an object a piece of code looked at: between
 * dv_json_reads_begin (object) and dv_json_reads_end(), on the same thread,
 * dv_json_object_get(), the dv_json_get_*() readers and
 * dv_json_object_value() note each key of `object` they look up (present or
 * not).  _end returns the keys of `object` never looked up, in member order,
 * NULL-terminated (g_strfreev), and frees the tracker.  Trackers nest; end
 * them in reverse order.  The presets use this to refuse a keyword argument
 * the model's builder never read (dv_preset_build). */
typedef struct _DvJsonReads DvJsonReads;
DvJsonReads *dv_json_reads_begin (const DvJson *object);
char       **dv_json_reads_end (DvJsonReads *reads);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvJson, dv_json_free)

G_END_DECLS
