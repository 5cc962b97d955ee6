/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "trust"

#include "config.h"
#include "trust/trust-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean
set_errno_error (GError **error, int saved_errno, const char *what, const char *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               "%s %s: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

gboolean
zc_trust_file_ensure_dir (const char *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0700) < 0)
    return set_errno_error (error, errno, _("cannot create"), dir);
  return TRUE;
}

static gboolean
write_all (int fd, const char *data, gsize len)
{
  while (len > 0) {
    ssize_t n = write (fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    len -= (gsize) n;
  }
  return TRUE;
}

/* The rename is durable only once the directory entry is on disk. */
static gboolean
sync_dir (const char *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int saved_errno;

  if (fd < 0)
    return set_errno_error (error, errno, _("cannot open"), dir);
  if (fsync (fd) < 0 && errno != EINVAL) {
    saved_errno = errno;
    close (fd);
    return set_errno_error (error, saved_errno, _("cannot sync"), dir);
  }
  close (fd);
  return TRUE;
}

gboolean
zc_trust_file_write (const char  *dir,
                     const char  *name,
                     const void  *data,
                     gsize        len,
                     gboolean     replace,
                     GError     **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  /* A dot name, so a temporary left by a power cut is not mistaken for the
   * file itself; the next write does not reuse it (mkstemp picks anew). */
  g_autofree char *tmp_name = g_strdup_printf (".%s.XXXXXX", name);
  g_autofree char *tmp = g_build_filename (dir, tmp_name, NULL);
  int fd, saved_errno;

  if (!zc_trust_file_ensure_dir (dir, error))
    return FALSE;
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return set_errno_error (error, errno, _("cannot create a temporary file in"), dir);
  if (!write_all (fd, data, len) || fsync (fd) < 0) {
    saved_errno = errno;
    close (fd);
    g_unlink (tmp);
    return set_errno_error (error, saved_errno, _("cannot write"), tmp);
  }
  if (close (fd) < 0) {
    saved_errno = errno;
    g_unlink (tmp);
    return set_errno_error (error, saved_errno, _("cannot write"), tmp);
  }

  if (replace) {
    if (g_rename (tmp, path) < 0) {
      saved_errno = errno;
      g_unlink (tmp);
      return set_errno_error (error, saved_errno, _("cannot rename to"), path);
    }
  } else {
    /* link() refuses to replace; rename() would not.  File systems
     * without hard links (vfat) may still rename without replacing. */
    if (link (tmp, path) < 0 &&
        (errno == EEXIST || renameat2 (AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0)) {
      saved_errno = errno;
      g_unlink (tmp);
      return set_errno_error (error, saved_errno, _("cannot create"), path);
    }
    g_unlink (tmp);
  }
  return sync_dir (dir, error);
}

gboolean
zc_trust_file_read (const char  *path,
                    gsize        max_bytes,
                    char       **contents,
                    gsize       *len,
                    GError     **error)
{
  g_autofree char *buf = NULL;
  struct stat st;
  gsize got = 0;
  int fd, saved_errno;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return set_errno_error (error, errno, _("cannot open"), path);
  if (fstat (fd, &st) < 0) {
    saved_errno = errno;
    close (fd);
    return set_errno_error (error, saved_errno, _("cannot read"), path);
  }
  if (!S_ISREG (st.st_mode)) {
    close (fd);
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                 _("cannot read %s: not a regular file"), path);
    return FALSE;
  }
  if ((guint64) st.st_size > max_bytes) {
    close (fd);
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                 _("cannot read %s: larger than %" G_GSIZE_FORMAT " bytes"), path, max_bytes);
    return FALSE;
  }

  /* Read to the cap, not to st_size: the file may grow under us. */
  buf = g_malloc (max_bytes + 1);
  for (;;) {
    ssize_t n = read (fd, buf + got, max_bytes + 1 - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      saved_errno = errno;
      close (fd);
      return set_errno_error (error, saved_errno, _("cannot read"), path);
    }
    if (n == 0)
      break;
    got += (gsize) n;
    if (got > max_bytes) {
      close (fd);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   _("cannot read %s: larger than %" G_GSIZE_FORMAT " bytes"), path, max_bytes);
      return FALSE;
    }
  }
  close (fd);
  buf[got] = '\0';
  *contents = g_steal_pointer (&buf);
  if (len != NULL)
    *len = got;
  return TRUE;
}
