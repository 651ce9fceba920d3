/* dv-number.h — the one way a number is written as text for a file.
 *
 * What this is for: JSON (dv-json-writer.h) and CSV fields that read back to the same value:
 * the shortest decimal that g_ascii_strtod / Python's float() turn into the same double (or,
 * with DV_NUMBER_FLOAT, into the same float — a float's value written as a float, "0.1" rather
 * than "0.10000000149011612"), in C locale, laid out as Python's repr(): positional for
 * 1e-4 ≤ |v| < 1e16 and always with a '.' ("2.0", "0.001"), else d[.ddd]e±XX ("1e-05",
 * "1.5e+16").  DV_NUMBER_BARE_INTEGERS writes whole values below 1e15 as integers ("3"), as
 * the CSV files do.  Non-finite values are written as Python's json writes them: "NaN",
 * "Infinity", "-Infinity" (a CSV caller writes an empty field instead).
 * What this is not for: labels on a plot's axes (fixed decimals, plot/dv-plot-model.c) or
 * numbers for people to read in messages ("%g").
 * GLib only (base/meson.build).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DV_NUMBER_DEFAULT = 0,
  DV_NUMBER_FLOAT = 1 << 0,          /* shortest that reads back to the same float */
  DV_NUMBER_BARE_INTEGERS = 1 << 1,  /* whole values with |v| < 1e15 without ".0" */
} DvNumberFlags;

/* Enough for every result ("-2.2250738585072014e-308" is 24). */
#define DV_NUMBER_BUF_SIZE 32

/* Writes v into buf and returns buf. */
char *dv_number_format (char buf[DV_NUMBER_BUF_SIZE], double v, DvNumberFlags flags);
/* Appends the same to out. */
void  dv_number_append (GString *out, double v, DvNumberFlags flags);

G_END_DECLS
