/* dv-number.c — shortest round-trip decimals in Python's repr() layout (see dv-number.h). */
#include "dv-number.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The shortest digits (no trailing zeros) and decimal exponent of a finite, non-negative v:
 * v ≈ 0.d1d2d3… × 10^(exp10 + 1).  Any decimal of at most DBL_DIG = 15 (FLT_DIG = 6) digits
 * survives a round trip through a normal double (float), so trailing zeros stripped from the
 * correctly rounded 15 (6) digits give the shortest form whenever one that short exists;
 * subnormals have fewer bits and need the full search. */
static int
shortest_digits (double v, gboolean as_float, char digits[24], int *exp10)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  int lo = as_float ? (fabs (v) < FLT_MIN ? 1 : FLT_DIG) : (fabs (v) < DBL_MIN ? 1 : DBL_DIG);
  int hi = as_float ? 9 : 17;
  for (int prec = lo; prec <= hi; prec++)
    {
      char fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%de", prec - 1);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      double back = g_ascii_strtod (buf, NULL);
      if (as_float ? (float) back == (float) v : back == v)
        break;
    }
  /* buf = d.ddddde[+-]XX */
  const char *p = buf;
  int nd = 0;
  for (; *p != 'e' && *p != '\0'; p++)
    if (g_ascii_isdigit (*p) && nd < 23)
      digits[nd++] = *p;
  *exp10 = *p == 'e' ? atoi (p + 1) : 0;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = '\0';
  return nd;
}

char *
dv_number_format (char buf[DV_NUMBER_BUF_SIZE], double v, DvNumberFlags flags)
{
  if (isnan (v))
    return strcpy (buf, "NaN");
  if (isinf (v))
    return strcpy (buf, v > 0 ? "Infinity" : "-Infinity");
  if ((flags & DV_NUMBER_BARE_INTEGERS) && v == floor (v) && fabs (v) < 1e15)
    {
      g_snprintf (buf, DV_NUMBER_BUF_SIZE, "%" G_GINT64_FORMAT, (gint64) v);
      return buf;
    }
  char digits[24];
  int exp10;
  int nd = shortest_digits (fabs (v), (flags & DV_NUMBER_FLOAT) != 0, digits, &exp10);
  char *o = buf;
  if (signbit (v))
    *o++ = '-';
  if (exp10 < -4 || exp10 >= 16)
    {
      *o++ = digits[0];
      if (nd > 1)
        {
          *o++ = '.';
          o = g_stpcpy (o, digits + 1);
        }
      g_snprintf (o, DV_NUMBER_BUF_SIZE - (o - buf), "e%c%02d", exp10 < 0 ? '-' : '+', ABS (exp10));
    }
  else if (exp10 < 0)
    {
      o = g_stpcpy (o, "0.");
      for (int k = 0; k < -exp10 - 1; k++)
        *o++ = '0';
      strcpy (o, digits);
    }
  else
    {
      for (int k = 0; k <= exp10; k++)
        *o++ = k < nd ? digits[k] : '0';
      *o++ = '.';
      strcpy (o, nd > exp10 + 1 ? digits + exp10 + 1 : "0");
    }
  return buf;
}

void
dv_number_append (GString *out, double v, DvNumberFlags flags)
{
  char buf[DV_NUMBER_BUF_SIZE];
  g_string_append (out, dv_number_format (buf, v, flags));
}
