/* dv-csv.h — reading the CSV files this project writes (metrics.csv, experiment tables).
 *
 * What this is for: a header row plus rows of fields, looked up by column name, numbers
 * parsed locale-independently ("nan" and empty fields are NaN).  Fields may be quoted with
 * double quotes ("" inside is a quote).  What it is not for: writing CSV, or CSV dialects
 * with other separators or multi-line fields.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DvCsv DvCsv;

DvCsv      *dv_csv_load (const char *path, GError **error);
DvCsv      *dv_csv_parse (const char *text, gssize len, GError **error);
void        dv_csv_free (DvCsv *csv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvCsv, dv_csv_free)

int         dv_csv_n_rows (const DvCsv *csv);
int         dv_csv_n_columns (const DvCsv *csv);
const char *dv_csv_column_name (const DvCsv *csv, int column);
/* Column index, or −1. */
int         dv_csv_column (const DvCsv *csv, const char *name);
/* Field text ("" past the end of a short row). */
const char *dv_csv_get (const DvCsv *csv, int row, int column);
double      dv_csv_get_number (const DvCsv *csv, int row, int column);

G_END_DECLS
