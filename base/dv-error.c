/* dv-error.c — GErrors from printf formats (see dv-error.h). */
#include "dv-error.h"

gboolean
dv_error_setv (GError **error, GQuark domain, int code, const char *prefix, const char *fmt,
               va_list args)
{
  if (error == NULL)
    return FALSE;
  g_autofree char *msg = g_strdup_vprintf (fmt, args);
  if (prefix != NULL)
    g_set_error (error, domain, code, "%s: %s", prefix, msg);
  else
    g_set_error_literal (error, domain, code, msg);
  return FALSE;
}

gboolean
dv_error_set (GError **error, GQuark domain, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  dv_error_setv (error, domain, code, NULL, fmt, ap);
  va_end (ap);
  return FALSE;
}
