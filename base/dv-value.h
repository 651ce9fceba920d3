/* dv-value.h — one meaning for a value a user types.
 *
 * What this is for: turning the text of one setting ("tff=4", "--lr 1e-3",
 * "V1.tau=20", "lr=abc") into a number, a boolean, one of a list of names,
 * a list of whole numbers or a duration, and checking its range, in one
 * place.  Every parser reads the whole text (trailing garbage such as "3x"
 * is refused), refuses NaN always and infinity unless DV_VALUE_ALLOW_INF,
 * and never clamps: a value is used as typed or refused with a GError
 * (DV_VALUE_ERROR) whose message names the key, the value and what is
 * accepted, e.g. "lr=-1: give a number > 0".
 * What this is not for: which keys exist and what they do — the callers
 * (presets' keyword arguments, the CLI, the editor, the presentation, the
 * training settings, project files) own their tables and call these.
 * GLib only: engine/, data/, app/ and ui/ all use it (base/meson.build).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DV_VALUE_ERROR (dv_value_error_quark ())
GQuark dv_value_error_quark (void);
typedef enum {
  DV_VALUE_ERROR_SYNTAX,  /* not a number / boolean / list at all */
  DV_VALUE_ERROR_RANGE,   /* a number, but outside the accepted range */
  DV_VALUE_ERROR_CHOICE,  /* not one of the alternatives */
  DV_VALUE_ERROR_UNKNOWN, /* a key nobody takes */
} DvValueError;

/* Range flags for numbers: the bounds are inclusive unless said otherwise. */
typedef enum {
  DV_VALUE_CLOSED = 0,
  DV_VALUE_MIN_OPEN = 1 << 0,  /* min < x */
  DV_VALUE_MAX_OPEN = 1 << 1,  /* x < max */
  DV_VALUE_ALLOW_INF = 1 << 2, /* ±inf may be typed (if the bounds allow it) */
} DvValueFlags;

/* "a number > 0", "a number from 0 to 1", "a whole number ≥ 1", … (newly allocated). */
char    *dv_value_describe_range (gboolean whole, double min, double max, DvValueFlags flags);

/* A number from its text (C locale, the whole text; leading/trailing blanks allowed). */
gboolean dv_value_parse_double (const char *key, const char *text, double min, double max,
                                DvValueFlags flags, double *out, GError **error);
/* The same check for a number that arrived already parsed (JSON, GOption). */
gboolean dv_value_check_double (const char *key, double value, double min, double max,
                                DvValueFlags flags, GError **error);

/* A whole number (decimal; "3.0", "3x", "1e3" are refused) in [min, max]. */
gboolean dv_value_parse_int (const char *key, const char *text, gint64 min, gint64 max,
                             gint64 *out, GError **error);
gboolean dv_value_check_int (const char *key, gint64 value, gint64 min, gint64 max, GError **error);
/* A double that must be a whole number in [min, max] (JSON numbers). */
gboolean dv_value_check_whole (const char *key, double value, gint64 min, gint64 max, gint64 *out,
                               GError **error);

/* true/false, yes/no, on/off, 1/0, t/f, y/n (any case). */
gboolean dv_value_parse_bool (const char *key, const char *text, gboolean *out, GError **error);

/* One of `names` (NULL-terminated, compared without case); *out is its index.
 * The error lists the alternatives. */
gboolean dv_value_parse_enum (const char *key, const char *text, const char *const *names, int *out,
                              GError **error);

/* A list of whole numbers, "[20, 3, 32, 32]" or "20,3,32,32", with
 * min_len..max_len entries each in [min, max]; *out is newly allocated. */
gboolean dv_value_parse_int_list (const char *key, const char *text, int min_len, int max_len,
                                  gint64 min, gint64 max, gint64 **out, int *n_out, GError **error);

/* A duration in ms: "10", "10ms", "0.5s" (finite, in [min_ms, max_ms]). */
gboolean dv_value_parse_duration (const char *key, const char *text, double min_ms, double max_ms,
                                  DvValueFlags flags, double *out_ms, GError **error);

/* Splits "key=value" (the key non-empty).  FALSE with an error naming `a` otherwise. */
gboolean dv_value_split (const char *a, char **key, const char **value, GError **error);

G_END_DECLS
