/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "common/bus.h"

#include <unistd.h>

GDBusConnection *
zc_bus_get_session (GCancellable *cancellable, GError **error)
{
  g_autofree char *fallback_path = NULL;
  g_autofree char *address = NULL;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL || g_getenv ("XDG_RUNTIME_DIR") != NULL)
    return g_bus_get_sync (G_BUS_TYPE_SESSION, cancellable, error);

  fallback_path = g_strdup_printf ("/run/user/%u/bus", (unsigned) getuid ());
  if (!g_file_test (fallback_path, G_FILE_TEST_EXISTS))
    return g_bus_get_sync (G_BUS_TYPE_SESSION, cancellable, error);

  address = g_strconcat ("unix:path=", fallback_path, NULL);
  return g_dbus_connection_new_for_address_sync (address,
                                                 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                     G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                 NULL, cancellable, error);
}
