/* dv-tempfile.h — the temporary files of atomic saves, and removing the ones
 * an interrupted save left behind.
 *
 * What this is for: every save of this project writes TARGET<infix>XXXXXX
 * beside TARGET and renames it over TARGET.  A process killed in between
 * leaves the temporary file; nothing else would ever remove it.  So a writer
 * holds an exclusive flock(2) on its temporary file until the rename is done,
 * and the next save (or resume) in that folder removes the files of its own
 * patterns that nobody holds: a lock dies with its process, so an unlocked
 * temporary file is an orphan.  Files touched in the last two seconds are
 * left alone (a writer between mkstemp and flock).
 * What it is not for: temporary folders, or files of other programs — only
 * names ending in one of this project's infixes plus mkstemp's six
 * characters are ever considered.
 *
 * The patterns: "<file>.safetensors.tmp-XXXXXX" (dv_safetensors_writer_save),
 * "<file>.XXXXXX" of dv_file_replace_contents (metrics.csv.XXXXXX,
 * <project>.dvproj.json.XXXXXX). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DV_TEMP_INFIX_SAFETENSORS ".safetensors.tmp-"
#define DV_TEMP_INFIX_METRICS "metrics.csv."
#define DV_TEMP_INFIX_PROJECT ".dvproj.json."

/* mkstemp on tmpl (ending in XXXXXX, modified in place), opened O_WRONLY and
 * locked exclusively; -1 with errno set on failure.  Keep the descriptor open
 * until the file is renamed into place, then close it. */
int dv_temp_create (char *tmpl);

/* Removes the files in `dir` named *<infix>XXXXXX that no live writer holds;
 * returns how many it removed. */
guint dv_temp_remove_stale (const char *dir, const char *infix);

/* g_file_set_contents with the lock above: writes PATH.XXXXXX, fsyncs,
 * renames it over PATH; first removes PATH.XXXXXX files an interrupted save
 * left. */
gboolean dv_file_replace_contents (const char *path, const char *data, gssize len, GError **error);

/* The binary checkpoints' atomic save: removes the orphans of interrupted saves
 * of PATH (and, when `stale_infix` is not NULL, of that pattern) in its
 * folder, writes the n_chunks chunks in order to PATH.tmp-XXXXXX (locked
 * while written), fsyncs, renames it over PATH and fsyncs the folder.  On
 * failure the old PATH is untouched, the temporary file removed, and the
 * G_FILE_ERROR names PATH and the step that failed. */
gboolean dv_temp_save_chunks (const char *path, const char *stale_infix, const void *const *chunks,
                              const gsize *lens, guint n_chunks, GError **error);

G_END_DECLS
