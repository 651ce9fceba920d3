/* dv-json-writer.h — the one JSON writer: values appended in order into a string.
 *
 * What this is for: every JSON text the project writes — the engine's DOM (dv_json_to_string:
 * configs, safetensors headers, checkpoint metadata) and the plot library's parameter files
 * (<stem>.json beside an exported view).  Output is what Python's json.dumps writes: compact
 * (no spaces) or pretty (indent 2, ": "), non-ASCII UTF-8 as is, control characters, '"' and
 * '\\' escaped, numbers in the shortest form that reads back to the same value (dv-number.h).
 *
 * Non-finite numbers: written as NaN, Infinity and -Infinity, as Python's json module writes
 * and reads them by default, and as engine/dv-json-parse.c reads them (unless asked for strict
 * RFC 8259 with DV_JSON_PARSE_NO_NONFINITE).  So a number stays a number through every round
 * trip the project makes.  Strict readers (jq, JavaScript's JSON.parse) refuse these tokens:
 * a value that may be undefined and is meant for them is better written as null by the
 * caller (dv_json_writer_null).
 *
 * What this is not for: parsing (engine/dv-json-parse.c), or checking that the calls make a
 * valid document — begin/end must pair and a key is given exactly inside objects; a mistake
 * is a programmer error (g_return_if_fail).
 * GLib only (base/meson.build).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DvJsonWriter DvJsonWriter;

DvJsonWriter *dv_json_writer_new (gboolean pretty);
/* Closes what is still open and returns the text (g_free it); frees the writer. */
char         *dv_json_writer_free_to_string (DvJsonWriter *w);
void          dv_json_writer_free (DvJsonWriter *w);

/* Each value takes the member name `key` inside an object and NULL elsewhere. */
void dv_json_writer_null (DvJsonWriter *w, const char *key);
void dv_json_writer_bool (DvJsonWriter *w, const char *key, gboolean v);
void dv_json_writer_int (DvJsonWriter *w, const char *key, gint64 v);
/* Always with a '.' or an exponent ("2.0"), so a double stays a double when read back. */
void dv_json_writer_double (DvJsonWriter *w, const char *key, double v);
/* A float's value in the fewest digits that read back to the same float ("0.1"). */
void dv_json_writer_float (DvJsonWriter *w, const char *key, float v);
/* v NULL writes null. */
void dv_json_writer_string (DvJsonWriter *w, const char *key, const char *v);
/* len bytes, which may hold NULs (written as \u0000). */
void dv_json_writer_string_len (DvJsonWriter *w, const char *key, const char *v, gsize len);
void dv_json_writer_begin_object (DvJsonWriter *w, const char *key);
void dv_json_writer_begin_array (DvJsonWriter *w, const char *key);
void dv_json_writer_end (DvJsonWriter *w);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvJsonWriter, dv_json_writer_free)

G_END_DECLS
