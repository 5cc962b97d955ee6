/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/trust/: the two ways its files reach the disk. */
#pragma once

#include <glib.h>

/* Creates @dir (mode 0700) if it is missing; an existing directory keeps
 * its mode, since the user may have chosen it. */
gboolean zc_trust_file_ensure_dir (const char *dir, GError **error);

/* Writes @dir/@name so that a crash at any point leaves either the old
 * file or the new one, never a mix: a temporary file in the same directory
 * (mode 0600), fsync, rename over the name, fsync of the directory.  With
 * @replace FALSE an existing @name is kept and the call fails with
 * G_FILE_ERROR_EXIST, so two agents starting at once cannot overwrite each
 * other's identity. */
gboolean zc_trust_file_write (const char  *dir,
                              const char  *name,
                              const void  *data,
                              gsize        len,
                              gboolean     replace,
                              GError     **error);

/* Reads a regular file of at most @max_bytes into a NUL-terminated buffer.
 * A directory, a device or a larger file is an error that names @path
 * (a FIFO in place of a key must not hang the agent's start). */
gboolean zc_trust_file_read (const char  *path,
                             gsize        max_bytes,
                             char       **contents,
                             gsize       *len,
                             GError     **error);
