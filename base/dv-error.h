/* dv-error.h — setting a GError from a printf format, in the one line a refusal takes.
 *
 * What this is for: `return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
 * "layer %s: …", name);` — a recoverable failure reported with its domain and code, the
 * function returning FALSE.  A message is written for the user: it names what was refused and
 * the remedy.  `prefix` (a file name, "file: entry", "line:column") goes in front, followed by
 * ": ".  Each module keeps its own error domain (DV_DESC_ERROR, DV_SAFETENSORS_ERROR, …); this
 * only sets one.  What it is not for: programmer errors (g_return_val_if_fail, g_assert), or
 * messages that are not GErrors (the workbench's reports).
 * GLib only: engine/, data/, plot/ and the apps use it (base/meson.build).
 */
#pragma once

#include <glib.h>
#include <stdarg.h>

G_BEGIN_DECLS

/* Sets *error (if error is not NULL) and returns FALSE. */
gboolean dv_error_set (GError **error, GQuark domain, int code, const char *fmt, ...)
  G_GNUC_PRINTF (4, 5);
/* The same with "prefix: " in front (prefix may be NULL) and a va_list, for the helpers of a
 * module that add their own context. */
gboolean dv_error_setv (GError **error, GQuark domain, int code, const char *prefix, const char *fmt,
                        va_list args) G_GNUC_PRINTF (5, 0);

G_END_DECLS
