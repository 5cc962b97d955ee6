/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Service resolvers and record browsers of avahi-daemon, driven over GDBus
 * without blocking.
 *
 * avahi-client creates and frees each resolver with a blocking D-Bus call
 * (dbus_connection_send_with_reply_and_block).  A flood of adverts keeps
 * avahi-daemon busy, so each of those calls stalled the agent's main loop
 * for up to seconds: SIP pings went unanswered and colleagues saw the agent
 * drop off their lists.  The same D-Bus API (org.freedesktop.Avahi.Server
 * ServiceResolverNew, then Found/Failure signals on the object and Free)
 * is used here with asynchronous calls on a private system-bus connection,
 * so the main loop never waits for avahi-daemon.  Browsing and publishing
 * stay with avahi-client: their calls are few (at connect, on a presence
 * change). */
#pragma once

#include <avahi-common/address.h>
#include <avahi-common/strlst.h>
#include <glib.h>

typedef struct _ZcResolveBus ZcResolveBus;
typedef struct _ZcResolve ZcResolve;

/* What a resolver found; valid for the duration of the callback. */
typedef struct {
  int ifindex;
  int protocol;               /* AvahiProtocol */
  const char *name;
  const char *type;
  const char *domain;
  const char *host;
  AvahiAddress address;
  guint16 port;
  AvahiStringList *txt;
} ZcResolved;

/* @found is NULL on failure (a timeout, avahi-daemon refusing the
 * resolver, the call failing); @error then says why.  A resolver that
 * found its service reports again when the service changes (its TXT),
 * until it is freed.  The callback may free @resolve. */
typedef void (*ZcResolveFunc) (ZcResolve *resolve, const ZcResolved *found, const char *error, gpointer user_data);

/* Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS as libdbus reads it)
 * in the background; @ready runs once the connection is there, or never if
 * it cannot be made (each start then fails at once). */
ZcResolveBus *zc_resolve_bus_new (GSourceFunc ready, gpointer user_data);
gboolean zc_resolve_bus_is_ready (ZcResolveBus *bus);
/* The connection failed or closed (the system bus restarted): a new bus
 * is needed. */
gboolean zc_resolve_bus_is_dead (ZcResolveBus *bus);
/* Pending starts end without their callback; the resolvers still open
 * must have been freed first. */
void zc_resolve_bus_free (ZcResolveBus *bus);

/* Starts resolving; NULL only when the bus is not ready. */
ZcResolve *zc_resolve_start (ZcResolveBus *bus, int ifindex, int protocol, const char *name, const char *type,
                             const char *domain, ZcResolveFunc func, gpointer user_data);
/* A record browser (RecordBrowserNew): @added is ItemNew, else
 * ItemRemove; @rdata as on the wire.  Freed with zc_resolve_free(). */
typedef void (*ZcRecordFunc) (ZcResolve *browse, gboolean added, const guint8 *rdata, gsize size, gpointer user_data);
ZcResolve *zc_record_browse_start (ZcResolveBus *bus, int ifindex, int protocol, const char *full_name,
                                   guint16 clazz, guint16 type, ZcRecordFunc func, gpointer user_data);

/* avahi-daemon accepted it (it has an object): a failure after that is
 * the resolve's (a timeout), before it the daemon's refusal. */
gboolean zc_resolve_is_started (ZcResolve *resolve);
/* Stops the resolver (avahi-daemon is told so, without waiting) and its
 * callback; any thread-default-context time. */
void zc_resolve_free (ZcResolve *resolve);
