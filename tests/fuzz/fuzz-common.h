/* fuzz-common.h — what every libFuzzer target in tests/fuzz/ shares.
 *
 * For: making GLib's CRITICAL warnings fatal (gdk-pixbuf's excepted) (a g_return_if_fail reached from
 * untrusted bytes is a bug the fuzzer must report), silencing the rest, and a
 * private scratch folder for the readers that take paths rather than bytes.
 * Not for: anything a reader does with the bytes; the targets call the
 * readers exactly as the programs do.
 */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

static char *fuzz_scratch_dir;
static gboolean fuzz_verbose;

G_GNUC_UNUSED /* Criticals abort, except gdk-pixbuf's own: its loaders raise some on
 * malformed files (gdk_pixbuf_calculate_rowstride: 'height > 0') and then
 * fail cleanly, which is not a bug of the reader here. */
static GLogWriterOutput
fuzz_quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user)
{
  if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)))
    return G_LOG_WRITER_HANDLED;
  const char *domain = NULL;
  for (gsize f = 0; f < n_fields; f++)
    if (g_str_equal (fields[f].key, "GLIB_DOMAIN"))
      domain = fields[f].value;
  if ((level & G_LOG_LEVEL_CRITICAL) && g_strcmp0 (domain, "GdkPixbuf") == 0)
    return G_LOG_WRITER_HANDLED;
  g_log_writer_standard_streams (level, fields, n_fields, user);
  abort ();
}

G_GNUC_UNUSED static void
fuzz_remove_scratch (void)
{
  if (fuzz_scratch_dir == NULL)
    return;
  g_autoptr (GDir) d = g_dir_open (fuzz_scratch_dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (fuzz_scratch_dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        {
          g_autoptr (GDir) sub = g_dir_open (p, 0, NULL);
          const char *n2;
          while (sub && (n2 = g_dir_read_name (sub)))
            {
              g_autofree char *p2 = g_build_filename (p, n2, NULL);
              g_unlink (p2);
            }
          g_rmdir (p);
        }
      else
        g_unlink (p);
    }
  g_rmdir (fuzz_scratch_dir);
}

/* Messages go to fuzz_quiet_writer; the scratch folder (under $TMPDIR,
 * removed at exit) is made. */
G_GNUC_UNUSED static void
fuzz_setup (gboolean want_scratch)
{
  fuzz_verbose = g_getenv ("DV_FUZZ_VERBOSE") != NULL;
  g_log_set_writer_func (fuzz_quiet_writer, NULL, NULL);
  if (want_scratch)
    {
      fuzz_scratch_dir = g_dir_make_tmp ("dv-fuzz-XXXXXX", NULL);
      g_assert (fuzz_scratch_dir != NULL);
      atexit (fuzz_remove_scratch);
    }
}

/* An input the reader refused: its message, with DV_FUZZ_VERBOSE set (to see
 * which seeds a reader accepts: DV_FUZZ_VERBOSE=1 fuzz-TARGET FILE…). */
G_GNUC_UNUSED static void
fuzz_refused (const GError *error)
{
  g_assert (error != NULL && error->message != NULL);
  if (fuzz_verbose)
    fprintf (stderr, "refused: %s\n", error->message);
}

/* Writes bytes to NAME inside the scratch folder (NAME may hold one '/'; the
 * sub-folder is made); returns the path (g_free). */
G_GNUC_UNUSED static char *
fuzz_write (const char *name, const uint8_t *data, size_t size)
{
  char *path = g_build_filename (fuzz_scratch_dir, name, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0700);
  FILE *f = fopen (path, "wb");
  if (f == NULL || fwrite (data, 1, size, f) != size || fclose (f) != 0)
    g_error ("fuzz harness: cannot write %s", path);
  return path;
}
