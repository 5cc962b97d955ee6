/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "discovery"

#include "config.h"
#include "discovery/resolve-bus.h"

#include <gio/gio.h>

#define AVAHI_NAME "org.freedesktop.Avahi"
#define AVAHI_SERVER_IFACE "org.freedesktop.Avahi.Server"
#define AVAHI_RESOLVER_IFACE "org.freedesktop.Avahi.ServiceResolver"
#define AVAHI_RECORD_IFACE "org.freedesktop.Avahi.RecordBrowser"

/* avahi-daemon answers ServiceResolverNew at once when it is well; a reply
 * this late means it is swamped, and the slot is better given back. */
#define CALL_TIMEOUT_MS 10000

/* Signals for an object whose ServiceResolverNew reply has not been read
 * yet are kept (avahi may emit them right after the reply, and nothing
 * orders the two deliveries for us), up to this many in all. */
#define MAX_EARLY_SIGNALS 256

struct _ZcResolveBus {
  GDBusConnection *connection;
  GCancellable *cancellable;    /* every call in flight; cancelled at free */
  guint subscription;
  guint record_subscription;
  GHashTable *by_path;          /* object path -> ZcResolve* (not owned) */
  GQueue early;                 /* EarlySignal*: for paths not known yet */
  guint n_starting;             /* ServiceResolverNew calls awaiting their reply */
  gboolean failed;              /* the connection could not be made */
  GSourceFunc ready;
  gpointer ready_data;
};

struct _ZcResolve {
  ZcResolveBus *bus;
  char *path;                   /* NULL until the daemon's reply */
  gboolean starting;            /* its ServiceResolverNew reply is awaited */
  gboolean freed;               /* freed by the user while starting */
  const char *iface;            /* AVAHI_RESOLVER_IFACE or AVAHI_RECORD_IFACE */
  ZcResolveFunc func;           /* a service resolver's */
  ZcRecordFunc record_func;     /* a record browser's */
  gpointer user_data;
};

typedef struct {
  char *path;
  char *member;
  GVariant *parameters;
} EarlySignal;

static void
early_signal_free (gpointer data)
{
  EarlySignal *early = data;

  g_free (early->path);
  g_free (early->member);
  g_variant_unref (early->parameters);
  g_free (early);
}

static void
resolve_destroy (ZcResolve *resolve)
{
  g_free (resolve->path);
  g_free (resolve);
}

static void
dispatch_record (ZcResolve *browse, const char *member, GVariant *parameters)
{
  g_autoptr (GVariant) rdata = NULL;
  gboolean added = g_strcmp0 (member, "ItemNew") == 0;
  gsize size = 0;
  const guint8 *data;

  if ((!added && g_strcmp0 (member, "ItemRemove") != 0) ||
      !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(iisqqayu)")))
    return;
  rdata = g_variant_get_child_value (parameters, 5);
  data = g_variant_get_fixed_array (rdata, &size, 1);
  browse->record_func (browse, added, data, size, browse->user_data);
}

static void
dispatch (ZcResolve *resolve, const char *member, GVariant *parameters)
{
  if (resolve->record_func != NULL) {
    dispatch_record (resolve, member, parameters);
    return;
  }
  if (g_strcmp0 (member, "Found") == 0 && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(iissssisqaayu)"))) {
    g_autoptr (GVariantIter) txt_iter = NULL;
    const char *address = NULL;
    gint32 aprotocol = 0;
    guint32 flags = 0;
    GVariant *item;
    ZcResolved found = { 0 };
    AvahiStringList *txt = NULL;

    g_variant_get (parameters, "(ii&s&s&s&si&sqaayu)", &found.ifindex, &found.protocol, &found.name, &found.type,
                   &found.domain, &found.host, &aprotocol, &address, &found.port, &txt_iter, &flags);
    if (avahi_address_parse (address, AVAHI_PROTO_UNSPEC, &found.address) == NULL) {
      resolve->func (resolve, NULL, "avahi-daemon sent an address that does not parse", resolve->user_data);
      return;
    }
    while ((item = g_variant_iter_next_value (txt_iter)) != NULL) {
      gsize size = 0;
      const guint8 *data = g_variant_get_fixed_array (item, &size, 1);

      txt = avahi_string_list_add_arbitrary (txt, data, size);
      g_variant_unref (item);
    }
    /* Prepending reversed it; the first of two equal keys must win. */
    found.txt = avahi_string_list_reverse (txt);
    resolve->func (resolve, &found, NULL, resolve->user_data);
    avahi_string_list_free (found.txt);
  } else if (g_strcmp0 (member, "Failure") == 0) {
    const char *error = "unknown error";

    if (g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(s)")))
      g_variant_get (parameters, "(&s)", &error);
    resolve->func (resolve, NULL, error, resolve->user_data);
  }
}

static void
signal_cb (GDBusConnection *connection G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED, const char *path,
           const char *iface G_GNUC_UNUSED, const char *member, GVariant *parameters, gpointer user_data)
{
  ZcResolveBus *bus = user_data;
  ZcResolve *resolve = g_hash_table_lookup (bus->by_path, path);
  EarlySignal *early;

  if (resolve != NULL) {
    dispatch (resolve, member, parameters);
    return;
  }
  /* A freed resolver's last words, or a new one's first: only the latter
   * can be, while a start is pending. */
  if (bus->n_starting == 0 || bus->early.length >= MAX_EARLY_SIGNALS)
    return;
  early = g_new0 (EarlySignal, 1);
  early->path = g_strdup (path);
  early->member = g_strdup (member);
  early->parameters = g_variant_ref (parameters);
  g_queue_push_tail (&bus->early, early);
}

static void
send_free (ZcResolveBus *bus, const char *path, const char *iface)
{
  /* No reply is awaited: a daemon that restarted has forgotten the path. */
  g_dbus_connection_call (bus->connection, AVAHI_NAME, path, iface, "Free", NULL, NULL,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL, NULL, NULL);
}

/* The signals that came before the reply for @path, in their order. */
static void
replay_early (ZcResolveBus *bus, const char *path)
{
  GList *link = bus->early.head;

  while (link != NULL) {
    GList *next = link->next;
    EarlySignal *early = link->data;
    ZcResolve *resolve;

    if (g_strcmp0 (early->path, path) == 0) {
      g_queue_unlink (&bus->early, link);
      resolve = g_hash_table_lookup (bus->by_path, path);
      /* The callback may have freed it on an earlier signal. */
      if (resolve != NULL)
        dispatch (resolve, early->member, early->parameters);
      early_signal_free (early);
      g_list_free_1 (link);
    }
    link = next;
  }
}

/* With no start pending, what is kept belongs to no one that will come. */
static void
forget_early (ZcResolveBus *bus)
{
  if (bus->n_starting == 0)
    g_queue_clear_full (&bus->early, early_signal_free);
}

static void
started_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ZcResolve *resolve = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  g_autofree char *path = NULL;
  ZcResolveBus *bus;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    resolve_destroy (resolve); /* the bus is gone */
    return;
  }
  bus = resolve->bus;
  resolve->starting = FALSE;
  bus->n_starting--;
  if (reply == NULL) {
    forget_early (bus);
    if (resolve->freed) {
      resolve_destroy (resolve);
    } else if (resolve->func != NULL) {
      g_autofree char *remote = g_dbus_error_get_remote_error (error);

      resolve->func (resolve, NULL, remote != NULL ? remote : error->message, resolve->user_data);
    } else {
      g_debug ("cannot browse a record: %s", error->message);
    }
    return; /* if the callback has not freed it, zc_resolve_free() will */
  }
  g_variant_get (reply, "(o)", &resolve->path);
  if (resolve->freed) {
    send_free (bus, resolve->path, resolve->iface);
    resolve_destroy (resolve);
    forget_early (bus);
    return;
  }
  g_hash_table_insert (bus->by_path, resolve->path, resolve);
  /* A copy: a callback in the replay may free the resolver. */
  path = g_strdup (resolve->path);
  replay_early (bus, path);
  forget_early (bus);
}

static ZcResolve *
start (ZcResolveBus *bus, const char *method, GVariant *args, const char *iface, gpointer user_data)
{
  ZcResolve *resolve = g_new0 (ZcResolve, 1);

  resolve->bus = bus;
  resolve->iface = iface;
  resolve->user_data = user_data;
  resolve->starting = TRUE;
  bus->n_starting++;
  g_dbus_connection_call (bus->connection, AVAHI_NAME, "/", AVAHI_SERVER_IFACE, method, args, G_VARIANT_TYPE ("(o)"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, bus->cancellable, started_cb, resolve);
  return resolve;
}

ZcResolve *
zc_resolve_start (ZcResolveBus *bus, int ifindex, int protocol, const char *name, const char *type,
                  const char *domain, ZcResolveFunc func, gpointer user_data)
{
  ZcResolve *resolve;

  if (!zc_resolve_bus_is_ready (bus))
    return NULL;
  resolve = start (bus, "ServiceResolverNew",
                   g_variant_new ("(iisssiu)", ifindex, protocol, name, type, domain, protocol, 0),
                   AVAHI_RESOLVER_IFACE, user_data);
  resolve->func = func;
  return resolve;
}

ZcResolve *
zc_record_browse_start (ZcResolveBus *bus, int ifindex, int protocol, const char *full_name, guint16 clazz,
                        guint16 type, ZcRecordFunc func, gpointer user_data)
{
  ZcResolve *browse;

  if (!zc_resolve_bus_is_ready (bus))
    return NULL;
  browse = start (bus, "RecordBrowserNew", g_variant_new ("(iisqqu)", ifindex, protocol, full_name, clazz, type, 0),
                  AVAHI_RECORD_IFACE, user_data);
  browse->record_func = func;
  return browse;
}

void
zc_resolve_free (ZcResolve *resolve)
{
  if (resolve == NULL)
    return;
  if (resolve->starting) {
    /* Its reply will come (or the bus's cancellation): it is freed then. */
    resolve->freed = TRUE;
    return;
  }
  if (resolve->path != NULL) {
    g_hash_table_remove (resolve->bus->by_path, resolve->path);
    send_free (resolve->bus, resolve->path, resolve->iface);
  }
  resolve_destroy (resolve);
}

static void
connected_cb (GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer user_data)
{
  ZcResolveBus *bus = user_data;
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection = g_dbus_connection_new_for_address_finish (result, &error);

  if (connection == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_warning ("cannot reach the system D-Bus to resolve services: %s", error->message);
      bus->failed = TRUE;
    }
    return;
  }
  /* The agent outlives a system bus restart; avahi-client notices it too. */
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  bus->connection = connection;
  bus->subscription = g_dbus_connection_signal_subscribe (connection, AVAHI_NAME, AVAHI_RESOLVER_IFACE, NULL, NULL,
                                                          NULL, G_DBUS_SIGNAL_FLAGS_NONE, signal_cb, bus, NULL);
  bus->record_subscription = g_dbus_connection_signal_subscribe (connection, AVAHI_NAME, AVAHI_RECORD_IFACE, NULL,
                                                                 NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE, signal_cb, bus,
                                                                 NULL);
  if (bus->ready != NULL)
    bus->ready (bus->ready_data);
}

ZcResolveBus *
zc_resolve_bus_new (GSourceFunc ready, gpointer user_data)
{
  ZcResolveBus *bus = g_new0 (ZcResolveBus, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SYSTEM, NULL, &error);

  bus->cancellable = g_cancellable_new ();
  bus->by_path = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&bus->early);
  bus->ready = ready;
  bus->ready_data = user_data;
  if (address == NULL) {
    g_warning ("no system D-Bus to resolve services on: %s", error->message);
    bus->failed = TRUE;
    return bus;
  }
  g_dbus_connection_new_for_address (address,
                                     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                         G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                     NULL, bus->cancellable, connected_cb, bus);
  return bus;
}

gboolean
zc_resolve_bus_is_ready (ZcResolveBus *bus)
{
  return bus != NULL && bus->connection != NULL && !g_dbus_connection_is_closed (bus->connection);
}

gboolean
zc_resolve_bus_is_dead (ZcResolveBus *bus)
{
  return bus->failed || (bus->connection != NULL && g_dbus_connection_is_closed (bus->connection));
}

gboolean
zc_resolve_is_started (ZcResolve *resolve)
{
  return resolve->path != NULL;
}

void
zc_resolve_bus_free (ZcResolveBus *bus)
{
  if (bus == NULL)
    return;
  g_cancellable_cancel (bus->cancellable);
  if (bus->subscription != 0)
    g_dbus_connection_signal_unsubscribe (bus->connection, bus->subscription);
  if (bus->record_subscription != 0)
    g_dbus_connection_signal_unsubscribe (bus->connection, bus->record_subscription);
  g_queue_clear_full (&bus->early, early_signal_free);
  g_hash_table_destroy (bus->by_path);
  if (bus->connection != NULL) {
    /* Flushes the Free calls just queued, without waiting for them. */
    g_dbus_connection_flush (bus->connection, NULL, NULL, NULL);
    g_object_unref (bus->connection);
  }
  g_object_unref (bus->cancellable);
  g_free (bus);
}
