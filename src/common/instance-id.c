/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "identity"

#include "config.h"
#include "common/instance-id.h"
#include "common/i18n.h"

#include <errno.h>
#include <glib/gstdio.h>

char *
zc_instance_id_load_or_create (GError **error)
{
  g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "zcall", NULL);
  g_autofree char *path = g_build_filename (dir, "instance-id", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *fresh = NULL;

  if (g_file_get_contents (path, &contents, NULL, NULL)) {
    g_strstrip (contents);
    if (g_uuid_string_is_valid (contents))
      return g_steal_pointer (&contents);
    g_warning ("%s does not hold a UUID, replacing it", path);
  }

  fresh = g_uuid_string_random ();
  if (g_mkdir_with_parents (dir, 0700) < 0) {
    int saved_errno = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                 _("cannot create %s: %s"), dir, g_strerror (saved_errno));
    return NULL;
  }
  {
    g_autofree char *line = g_strconcat (fresh, "\n", NULL);
    if (!g_file_set_contents (path, line, -1, error))
      return NULL;
  }
  return g_steal_pointer (&fresh);
}
