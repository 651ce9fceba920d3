/* dv-cli-values.c — the ranges of the command-line options, checked through
 * engine/dv-value.h, so an option is used as typed or refused (exit 2). */
#include "dv-cli.h"

#include "dv-value.h"

int
dv_cli_check_ranges (const char *command, const DvCliRange *ranges, int n)
{
  for (int k = 0; k < n; k++)
    {
      const DvCliRange *r = &ranges[k];
      g_autofree char *key = g_strdup_printf ("--%s", r->option);
      g_autoptr (GError) error = NULL;
      gint64 lo = r->min <= -9.2e18 ? G_MININT64 : (gint64) r->min;
      gint64 hi = r->max >= 9.2e18 ? G_MAXINT64 : (gint64) r->max;
      gboolean ok = r->i ? dv_value_check_int (key, *r->i, lo, hi, &error)
                    : r->i64 ? dv_value_check_int (key, *r->i64, lo, hi, &error)
                    : dv_value_check_double (key, *r->d, r->min, r->max, r->flags, &error);
      if (!ok)
        {
          g_printerr ("dynvision %s: %s\n", command, error->message);
          return 2;
        }
    }
  return 0;
}

int
dv_cli_parse_double (const char *command, const char *option, const char *text, double min, double max,
                     int flags, double *out)
{
  if (text == NULL)
    return 0;
  g_autofree char *key = g_strdup_printf ("--%s", option);
  g_autoptr (GError) error = NULL;
  if (!dv_value_parse_double (key, text, min, max, flags, out, &error))
    {
      g_printerr ("dynvision %s: %s\n", command, error->message);
      return 2;
    }
  return 0;
}
