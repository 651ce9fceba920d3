/* dv-tempfile.c — locked temporary files for atomic saves, and removing the
 * orphans of interrupted saves (see dv-tempfile.h). */
#include "dv-tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int
dv_temp_create (char *tmpl)
{
  int fd = g_mkstemp_full (tmpl, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    return -1;
  if (flock (fd, LOCK_EX) != 0)
    {
      int e = errno;
      close (fd);
      g_unlink (tmpl);
      errno = e;
      return -1;
    }
  return fd;
}

/* name = <anything><infix><6 of mkstemp's letters and digits> */
static gboolean
matches (const char *name, const char *infix)
{
  gsize n = strlen (name), k = strlen (infix);
  if (n < k + 6 || strncmp (name + n - 6 - k, infix, k) != 0)
    return FALSE;
  for (gsize i = n - 6; i < n; i++)
    if (!g_ascii_isalnum (name[i]))
      return FALSE;
  return TRUE;
}

guint
dv_temp_remove_stale (const char *dir, const char *infix)
{
  g_return_val_if_fail (dir != NULL && infix != NULL && *infix, 0);
  GDir *d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return 0;
  guint removed = 0;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (!matches (name, infix))
        continue;
      g_autofree char *path = g_build_filename (dir, name, NULL);
      int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0)
        continue;
      struct stat sb;
      if (fstat (fd, &sb) == 0 && S_ISREG (sb.st_mode) && now - (gint64) sb.st_mtime >= 2
          && flock (fd, LOCK_EX | LOCK_NB) == 0 && g_unlink (path) == 0)
        removed++;
      close (fd);
    }
  g_dir_close (d);
  return removed;
}

static gboolean
write_all (int fd, const void *buf, gsize len)
{
  const guint8 *p = buf;
  while (len > 0)
    {
      gssize r = write (fd, p, MIN (len, (gsize) 1 << 30));
      if (r < 0 && errno == EINTR)
        continue;
      if (r == 0)
        errno = EIO;
      if (r <= 0)
        return FALSE;
      p += r;
      len -= (gsize) r;
    }
  return TRUE;
}


gboolean
dv_file_replace_contents (const char *path, const char *data, gssize len, GError **error)
{
  g_return_val_if_fail (path != NULL && data != NULL, FALSE);
  gsize n = len < 0 ? strlen (data) : (gsize) len;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *infix = g_strconcat (base, ".", NULL);
  dv_temp_remove_stale (dir, infix);
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  int fd = dv_temp_create (tmp);
  const char *what = "cannot create a temporary file beside it";
  if (fd >= 0)
    {
      what = !write_all (fd, data, n) ? "write failed"
             : fsync (fd) != 0        ? "fsync failed"
             : g_rename (tmp, path) != 0 ? "cannot replace it"
                                         : NULL;
      int e = errno;
      if (what)
        g_unlink (tmp);
      if (close (fd) != 0 && what == NULL)
        what = "close failed", e = errno;
      errno = e;
    }
  if (what)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: could not save: %s: %s", path, what,
                   g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

gboolean
dv_temp_save_chunks (const char *path, const char *stale_infix, const void *const *chunks, const gsize *lens,
                     guint n_chunks, GError **error)
{
  g_return_val_if_fail (path != NULL && (n_chunks == 0 || (chunks != NULL && lens != NULL)), FALSE);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *own = g_strconcat (base, ".tmp-", NULL);
  if (stale_infix != NULL)
    dv_temp_remove_stale (dir, stale_infix);
  dv_temp_remove_stale (dir, own);

  g_autofree char *tmp = g_strconcat (path, ".tmp-XXXXXX", NULL);
  int fd = dv_temp_create (tmp); /* locked until renamed: not an orphan */
  const char *what = fd < 0 ? "cannot create a temporary file beside it" : NULL;
  int e = errno;
  if (fd >= 0)
    {
      gboolean ok = TRUE;
      for (guint i = 0; ok && i < n_chunks; i++)
        ok = write_all (fd, chunks[i], lens[i]);
      what = !ok ? "write failed" : fsync (fd) != 0 ? "fsync failed"
             : g_rename (tmp, path) != 0 ? "cannot replace it" : NULL;
      e = errno;
      if (what)
        g_unlink (tmp);
      if (close (fd) != 0 && what == NULL)
        what = "close failed", e = errno;
    }
  if (what)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: could not save: %s: %s", path, what,
                   g_strerror (e));
      return FALSE;
    }
  /* make the rename itself durable (best effort) */
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      fsync (dfd);
      close (dfd);
    }
  return TRUE;
}
