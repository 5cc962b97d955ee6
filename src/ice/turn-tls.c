/* SPDX-License-Identifier: GPL-3.0-or-later */
/* TURN over TLS for libnice: a loopback listener whose connections are
 * carried to the TURN server in verified TLS (see turn-tls.h).  libnice
 * frames TURN over TCP itself (RFC 8656 3.1: the same framing over TLS), so
 * the bytes are only relayed, never parsed. */
#define G_LOG_DOMAIN "ice"

#include "config.h"

#include "ice/turn-tls.h"

struct _ZcTurnTls {
  GMainContext *context;
  GSocketListener *listener;
  GCancellable *cancellable;
  GSocketConnectable *server;   /* numeric address:port to connect to */
  GSocketConnectable *identity; /* the name the certificate must carry */
  GTlsDatabase *database;       /* NULL: the system's */
  guint16 port;
  char *log_prefix;
  guint start_id;
};

/* One libnice TCP connection and its TLS counterpart.  Holds its own
 * references: the proxy may be freed (everything cancelled) meanwhile. */
typedef struct {
  GSocketConnection *local;
  GIOStream *tls;
  GCancellable *cancellable;
  GSocketConnectable *identity;
  GTlsDatabase *database;
  GMainContext *context;
  char *log_prefix;
} Link;

static void accept_next (ZcTurnTls *proxy);

static void
link_free (Link *link)
{
  if (link->local != NULL)
    g_io_stream_close (G_IO_STREAM (link->local), NULL, NULL);
  g_clear_object (&link->local);
  g_clear_object (&link->tls);
  g_clear_object (&link->cancellable);
  g_clear_object (&link->identity);
  g_clear_object (&link->database);
  g_main_context_unref (link->context);
  g_free (link->log_prefix);
  g_free (link);
}

static void
splice_done_cb (GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer user_data)
{
  Link *link = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_io_stream_splice_finish (result, &error) && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("%sTURN over TLS: connection ended: %s", link->log_prefix, error->message);
  link_free (link);
}

static void
handshake_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Link *link = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error)) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_warning ("%sTURN over TLS: the server's certificate or handshake was refused: %s", link->log_prefix,
                 error->message);
    link_free (link);
    return;
  }
  g_debug ("%sTURN over TLS: connected", link->log_prefix);
  g_main_context_push_thread_default (link->context);
  g_io_stream_splice_async (G_IO_STREAM (link->local), link->tls,
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2
                              | G_IO_STREAM_SPLICE_WAIT_FOR_BOTH,
                            G_PRIORITY_DEFAULT, link->cancellable, splice_done_cb, link);
  g_main_context_pop_thread_default (link->context);
}

static void
connected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Link *link = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) tcp = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);

  if (tcp == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_warning ("%sTURN over TLS: cannot connect to the server: %s", link->log_prefix, error->message);
    link_free (link);
    return;
  }
  /* Validation: every G_TLS_CERTIFICATE_VALIDATE_ALL check, the default
   * of a client connection, against the identity's name. */
  link->tls = g_tls_client_connection_new (G_IO_STREAM (tcp), link->identity, &error);
  if (link->tls == NULL) {
    g_warning ("%sTURN over TLS: %s", link->log_prefix, error->message);
    link_free (link);
    return;
  }
  if (link->database != NULL)
    g_tls_connection_set_database (G_TLS_CONNECTION (link->tls), link->database);
  g_main_context_push_thread_default (link->context);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (link->tls), G_PRIORITY_DEFAULT, link->cancellable,
                                    handshake_done_cb, link);
  g_main_context_pop_thread_default (link->context);
}

static void
accepted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  GSocketConnection *local = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error);
  ZcTurnTls *proxy = user_data;
  g_autoptr (GSocketClient) client = NULL;
  Link *link;

  if (local == NULL) {
    /* Cancelled or closed: the proxy is gone, do not touch it. */
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
        && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED)) {
      g_warning ("%sTURN over TLS: accept: %s", proxy->log_prefix, error->message);
      accept_next (proxy);
    }
    return;
  }
  accept_next (proxy);

  link = g_new0 (Link, 1);
  link->local = local;
  link->cancellable = g_object_ref (proxy->cancellable);
  link->identity = g_object_ref (proxy->identity);
  link->database = proxy->database != NULL ? g_object_ref (proxy->database) : NULL;
  link->context = g_main_context_ref (proxy->context);
  link->log_prefix = g_strdup (proxy->log_prefix);
  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, 10);
  g_main_context_push_thread_default (proxy->context);
  g_socket_client_connect_async (client, proxy->server, proxy->cancellable, connected_cb, link);
  g_main_context_pop_thread_default (proxy->context);
}

static void
accept_next (ZcTurnTls *proxy)
{
  g_main_context_push_thread_default (proxy->context);
  g_socket_listener_accept_async (proxy->listener, proxy->cancellable, accepted_cb, proxy);
  g_main_context_pop_thread_default (proxy->context);
}

/* The first accept starts from the context itself, whichever thread runs
 * it: async operations complete on the thread-default context of the
 * thread that starts them, which only that thread may make its own. */
static gboolean
start_cb (gpointer user_data)
{
  ZcTurnTls *proxy = user_data;

  proxy->start_id = 0;
  accept_next (proxy);
  return G_SOURCE_REMOVE;
}

ZcTurnTls *
zc_turn_tls_new (GMainContext *context,
                 const char *address,
                 guint16 port,
                 const char *server_name,
                 const char *ca_file,
                 const char *log_prefix,
                 GError **error)
{
  g_autoptr (ZcTurnTls) proxy = g_new0 (ZcTurnTls, 1);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GSource) idle = NULL;

  proxy->context = g_main_context_ref (context);
  proxy->log_prefix = g_strdup (log_prefix != NULL ? log_prefix : "");
  proxy->cancellable = g_cancellable_new ();
  proxy->server = g_network_address_new (address, port);
  proxy->identity = g_network_address_new (server_name != NULL ? server_name : address, port);
  if (ca_file != NULL) {
    proxy->database = g_tls_file_database_new (ca_file, error);
    if (proxy->database == NULL)
      return NULL;
  }
  proxy->listener = g_socket_listener_new ();
  if (!g_socket_listener_add_address (proxy->listener, any_port, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &bound, error))
    return NULL;
  proxy->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  idle = g_idle_source_new ();
  g_source_set_callback (idle, start_cb, proxy, NULL);
  proxy->start_id = g_source_attach (idle, context);
  g_debug ("%sTURN over TLS to %s:%u (%s) through 127.0.0.1:%u", proxy->log_prefix, address, port,
           server_name != NULL ? server_name : address, proxy->port);
  return g_steal_pointer (&proxy);
}

guint16
zc_turn_tls_get_port (const ZcTurnTls *proxy)
{
  return proxy->port;
}

void
zc_turn_tls_free (ZcTurnTls *proxy)
{
  if (proxy == NULL)
    return;
  if (proxy->start_id != 0) {
    GSource *source = g_main_context_find_source_by_id (proxy->context, proxy->start_id);

    if (source != NULL)
      g_source_destroy (source);
  }
  if (proxy->cancellable != NULL)
    g_cancellable_cancel (proxy->cancellable);
  if (proxy->listener != NULL)
    g_socket_listener_close (proxy->listener);
  g_clear_object (&proxy->listener);
  g_clear_object (&proxy->cancellable);
  g_clear_object (&proxy->server);
  g_clear_object (&proxy->identity);
  g_clear_object (&proxy->database);
  g_main_context_unref (proxy->context);
  g_free (proxy->log_prefix);
  g_free (proxy);
}
