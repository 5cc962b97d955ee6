/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#define ZC_DBUS_NAME "org.zcall.Agent1"
#define ZC_DBUS_PATH "/org/zcall/Agent1"
#define ZC_DBUS_INTERFACE "org.zcall.Agent1"

/* The session bus, also when the environment does not name it: a root
 * shell on a server or a container often has no DBUS_SESSION_BUS_ADDRESS
 * and no XDG_RUNTIME_DIR, yet /run/user/UID/bus exists (dbus-user-session).
 * zcall and zcalld use the same rule, so they always meet on one bus. */
GDBusConnection *zc_bus_get_session (GCancellable *cancellable, GError **error);

/* The errors org.zcall.Agent1 returns (data/org.zcall.Agent1.xml and
 * zcalld(8) say when); zcall maps them to its exit status (zcall(1)). */
#define ZC_DBUS_ERROR_NO_SUCH_PEER "org.zcall.Error.NoSuchPeer"
#define ZC_DBUS_ERROR_NO_SUCH_CALL "org.zcall.Error.NoSuchCall"
#define ZC_DBUS_ERROR_AMBIGUOUS "org.zcall.Error.Ambiguous"
#define ZC_DBUS_ERROR_INVALID_ARGUMENT "org.zcall.Error.InvalidArgument"
#define ZC_DBUS_ERROR_NOT_POSSIBLE_NOW "org.zcall.Error.NotPossibleNow"
#define ZC_DBUS_ERROR_FAILED "org.zcall.Error.Failed"
#define ZC_DBUS_ERROR_UNTRUSTED "org.zcall.Error.Untrusted"
