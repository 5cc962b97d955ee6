/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/transport.h"
#include "sip/stream.h"
#include "sip/tls.h"

#include "common/i18n.h"

#include <net/if.h>
#include <string.h>

/* A burst of large datagrams must not push a colleague's ping out of
 * the kernel's queue while the loop is busy (the kernel caps it at
 * net.core.rmem_max). */
#define UDP_RECEIVE_BUFFER (2 * 1024 * 1024)
/* Datagrams to an on-link address whose neighbour does not answer ARP
 * wait in the kernel for up to 3 s, charged to this socket's send buffer:
 * pings to a flood of made-up adverts must not leave no room for a
 * colleague's (liveness.c also bounds them).  net.core.wmem_max caps it. */
#define UDP_SEND_BUFFER (1024 * 1024)
#define TCP_CHECK_INTERVAL_S 4

typedef struct {
  ZcSipTransport *transport;
  guint64 id;
  GSocket *socket;
  GSource *source;
  ZcSipFlow flow;
  ZcSipFramer framer;      /* bytes received */
  GByteArray *out;         /* queued while connecting or when the kernel is full */
  gboolean connecting;
  gint64 last_activity_us;
} ZcTcpConnection;

struct _ZcSipTransport {
  GSocket *udp;
  GSocket *tcp;
  GSource *udp_source;
  GSource *tcp_source;
  guint16 port;
  GHashTable *connections;  /* id -> ZcTcpConnection* */
  guint64 next_connection_id;
  guint idle_timer;
  ZcSipReceiveFunc receive;
  gpointer receive_data;
  guint8 *datagram;         /* ZC_SIP_MAX_MESSAGE + 1 bytes */
  ZcSipTls *tls;            /* NULL: TLS off */
  ZcSipFlowFailedFunc failed;
  gpointer failed_data;
};

const char *
zc_sip_proto_to_string (ZcSipProto proto)
{
  return proto == ZC_SIP_TLS ? "TLS" : proto == ZC_SIP_TCP ? "TCP" : "UDP";
}

/* ---- addresses ------------------------------------------------------------ */

void
zc_sip_flow_from_address (ZcSipFlow *flow, ZcSipProto proto, GSocketAddress *address)
{
  GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (address);
  GInetAddress *ip = g_inet_socket_address_get_address (inet);
  g_autofree char *text = NULL;

  /* A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; the rest of
   * the agent (Via received=, policy, logs) wants plain IPv4. */
  if (g_inet_address_get_family (ip) == G_SOCKET_FAMILY_IPV6) {
    const guint8 *bytes = g_inet_address_to_bytes (ip);
    static const guint8 mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    if (memcmp (bytes, mapped_prefix, 12) == 0) {
      g_autoptr (GInetAddress) v4 = g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);
      text = g_inet_address_to_string (v4);
    }
  }
  if (text == NULL)
    text = g_inet_address_to_string (ip);
  if (g_inet_address_get_is_link_local (ip) && g_inet_address_get_family (ip) == G_SOCKET_FAMILY_IPV6) {
    guint32 scope = g_inet_socket_address_get_scope_id (inet);
    char name[IF_NAMESIZE + 1] = { 0 };

    if (scope != 0 && if_indextoname (scope, name) != NULL) {
      g_autofree char *scoped = g_strdup_printf ("%s%%%s", text, name);
      g_free (text);
      text = g_steal_pointer (&scoped);
    }
  }
  flow->proto = proto;
  g_strlcpy (flow->address, text, sizeof flow->address);
  flow->port = g_inet_socket_address_get_port (inet);
}

/* Destination for a dual-stack socket: IPv4 becomes IPv4-mapped IPv6. */
static GSocketAddress *
socket_address_for (ZcSipTransport *t, const char *address, guint16 port, GError **error)
{
  g_autoptr (GSocketAddress) parsed = g_inet_socket_address_new_from_string (address, port);
  GInetAddress *ip;

  if (parsed == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("“%s” is not a numeric IP address"), address);
    return NULL;
  }
  ip = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (parsed));
  if (g_socket_get_family (t->udp) == G_SOCKET_FAMILY_IPV6 &&
      g_inet_address_get_family (ip) == G_SOCKET_FAMILY_IPV4) {
    guint8 mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    g_autoptr (GInetAddress) v6 = NULL;

    memcpy (mapped + 12, g_inet_address_to_bytes (ip), 4);
    v6 = g_inet_address_new_from_bytes (mapped, G_SOCKET_FAMILY_IPV6);
    return g_inet_socket_address_new (v6, port);
  }
  return g_steal_pointer (&parsed);
}

char *
zc_sip_transport_local_address_for (ZcSipTransport *t, const char *remote_address)
{
  g_autoptr (GSocketAddress) remote = NULL;
  g_autoptr (GSocket) probe = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  ZcSipFlow flow;

  /* connect() on a UDP socket sends nothing; it only asks the kernel which
   * source address the route would use. */
  remote = socket_address_for (t, remote_address, 9, NULL);
  if (remote == NULL)
    return NULL;
  probe = g_socket_new (g_socket_address_get_family (remote), G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  if (probe == NULL || !g_socket_connect (probe, remote, NULL, NULL))
    return NULL;
  local = g_socket_get_local_address (probe, NULL);
  if (local == NULL)
    return NULL;
  zc_sip_flow_from_address (&flow, ZC_SIP_UDP, local);
  /* Via and Contact carry no zone index. */
  flow.address[strcspn (flow.address, "%")] = '\0';
  return g_strdup (flow.address);
}

/* ---- TCP connections ------------------------------------------------------- */

static void
connection_close (ZcTcpConnection *c)
{
  g_hash_table_remove (c->transport->connections, &c->id);
}

static void
connection_free (gpointer data)
{
  ZcTcpConnection *c = data;

  if (c->source != NULL) {
    g_source_destroy (c->source);
    g_source_unref (c->source);
  }
  g_socket_close (c->socket, NULL);
  g_object_unref (c->socket);
  zc_sip_framer_clear (&c->framer);
  g_byte_array_unref (c->out);
  g_free (c);
}

static gboolean connection_io_cb (GSocket *socket, GIOCondition condition, gpointer user_data);

static void
connection_watch (ZcTcpConnection *c)
{
  GIOCondition condition = G_IO_IN | G_IO_HUP | G_IO_ERR;

  if (c->out->len > 0 || c->connecting)
    condition |= G_IO_OUT;
  if (c->source != NULL) {
    g_source_destroy (c->source);
    g_source_unref (c->source);
  }
  c->source = g_socket_create_source (c->socket, condition, NULL);
  g_source_set_callback (c->source, (GSourceFunc) (void (*) (void)) connection_io_cb, c, NULL);
  g_source_attach (c->source, NULL);
}

static gboolean
connection_flush (ZcTcpConnection *c)
{
  while (c->out->len > 0) {
    g_autoptr (GError) error = NULL;
    gssize n = g_socket_send (c->socket, (const char *) c->out->data, c->out->len, NULL, &error);

    if (n < 0) {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return TRUE;
      g_debug ("TCP %s:%u: send failed: %s", c->flow.address, c->flow.port, error->message);
      return FALSE;
    }
    g_byte_array_remove_range (c->out, 0, (guint) n);
  }
  return TRUE;
}

/* FALSE: close the connection (if it is still there: the receiver may
 * have closed it already, so the caller checks by id). */
static gboolean
connection_read (ZcTcpConnection *c)
{
  ZcSipTransport *t = c->transport;
  guint64 id = c->id;
  guint8 buf[16384];
  g_autoptr (GError) error = NULL;
  gssize n = g_socket_receive (c->socket, (char *) buf, sizeof buf, NULL, &error);

  if (n < 0)
    return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  if (n == 0)
    return FALSE;
  g_byte_array_append (c->framer.in, buf, (guint) n);
  c->last_activity_us = g_get_monotonic_time ();

  for (;;) {
    gsize len = 0;

    switch (zc_sip_framer_next (&c->framer, &len)) {
    case ZC_SIP_FRAME_NEED_MORE:
      return TRUE;
    case ZC_SIP_FRAME_PING:
      /* RFC 5626 3.5.1: answered with CRLF, if the peer reads at all. */
      if (c->out->len < ZC_SIP_STREAM_MAX_OUTPUT) {
        g_byte_array_append (c->out, (const guint8 *) "\r\n", 2);
        if (!connection_flush (c))
          return FALSE;
      }
      continue;
    case ZC_SIP_FRAME_FLOOD:
      g_debug ("TCP %s:%u: a flood of keep-alives, closing", c->flow.address, c->flow.port);
      return FALSE;
    case ZC_SIP_FRAME_BROKEN:
      /* Let the stack answer 400 from what it can read, then close: the
       * stream cannot be resynchronised (RFC 4475 3.1.2.3). */
      g_debug ("TCP %s:%u: broken framing, closing", c->flow.address, c->flow.port);
      if (t->receive != NULL)
        t->receive ((const char *) c->framer.in->data, MIN (c->framer.in->len, ZC_SIP_MAX_MESSAGE), &c->flow,
                    t->receive_data);
      return FALSE;
    case ZC_SIP_FRAME_MESSAGE:
      break;
    }
    if (t->receive != NULL && !t->receive ((const char *) c->framer.in->data, len, &c->flow, t->receive_data))
      return FALSE;
    /* The receiver may have closed, and freed, this very connection
     * meanwhile (a response it could not send): c is not touched then. */
    if (!g_hash_table_contains (t->connections, &id))
      return TRUE;
    zc_sip_framer_consumed (&c->framer, len);
  }
}

static gboolean
connection_io_cb (GSocket *socket G_GNUC_UNUSED, GIOCondition condition, gpointer user_data)
{
  ZcTcpConnection *c = user_data;
  ZcSipTransport *t = c->transport;
  guint64 id = c->id;
  gboolean was_waiting_to_write = c->out->len > 0 || c->connecting;

  if (c->connecting && (condition & (G_IO_OUT | G_IO_ERR | G_IO_HUP))) {
    g_autoptr (GError) error = NULL;

    if (!g_socket_check_connect_result (c->socket, &error)) {
      g_message ("cannot connect to %s port %u over TCP: %s", c->flow.address, c->flow.port, error->message);
      connection_close (c);
      return G_SOURCE_REMOVE;
    }
    c->connecting = FALSE;
  }
  if ((condition & G_IO_OUT) && !connection_flush (c)) {
    connection_close (c);
    return G_SOURCE_REMOVE;
  }
  if ((condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && !connection_read (c)) {
    if (g_hash_table_contains (t->connections, &id))
      connection_close (c);
    return G_SOURCE_REMOVE;
  }
  if (g_hash_table_contains (t->connections, &id) &&
      was_waiting_to_write != (c->out->len > 0 || c->connecting)) {
    connection_watch (c); /* replaces this source */
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean idle_connections_cb (gpointer user_data);

static ZcTcpConnection *
connection_add (ZcSipTransport *t, GSocket *socket, const ZcSipFlow *flow)
{
  ZcTcpConnection *c = g_new0 (ZcTcpConnection, 1);

  c->transport = t;
  c->id = ++t->next_connection_id;
  c->socket = socket;
  zc_sip_framer_init (&c->framer, ZC_SIP_STREAM_MAX_KEEPALIVE_BYTES);
  c->out = g_byte_array_new ();
  c->last_activity_us = g_get_monotonic_time ();
  g_socket_set_blocking (socket, FALSE);
  c->flow = *flow;
  c->flow.connection = c->id;
  g_hash_table_insert (t->connections, &c->id, c);
  /* Only while there are connections: an idle agent sleeps. */
  if (t->idle_timer == 0)
    t->idle_timer = g_timeout_add_seconds (TCP_CHECK_INTERVAL_S, idle_connections_cb, t);
  return c;
}

static gboolean
tcp_accept_cb (GSocket *listener, GIOCondition condition G_GNUC_UNUSED, gpointer user_data)
{
  ZcSipTransport *t = user_data;
  ZcSipFlow flow;
  GSocket *socket = zc_sip_stream_accept (listener, t->connections, G_STRUCT_OFFSET (ZcTcpConnection, flow),
                                          ZC_SIP_TCP, &flow);
  ZcTcpConnection *c;

  if (socket == NULL)
    return G_SOURCE_CONTINUE;
  c = connection_add (t, socket, &flow);
  g_debug ("TCP connection %" G_GUINT64_FORMAT " from %s port %u", c->id, c->flow.address, c->flow.port);
  connection_watch (c);
  return G_SOURCE_CONTINUE;
}

static gboolean
idle_connections_cb (gpointer user_data)
{
  ZcSipTransport *t = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  ZcTcpConnection *c;

  g_hash_table_iter_init (&iter, t->connections);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c)) {
    if (zc_sip_stream_stale (c->last_activity_us, &c->framer, now))
      g_hash_table_iter_remove (&iter);
  }
  if (g_hash_table_size (t->connections) > 0)
    return G_SOURCE_CONTINUE;
  t->idle_timer = 0;
  return G_SOURCE_REMOVE;
}

/* ---- UDP -------------------------------------------------------------------- */

static gboolean
udp_receive_cb (GSocket *socket, GIOCondition condition G_GNUC_UNUSED, gpointer user_data)
{
  ZcSipTransport *t = user_data;

  /* Drain what is queued, but yield to the loop after a batch so that a
   * flood on this socket cannot starve timers and D-Bus. */
  for (int i = 0; i < 64; i++) {
    g_autoptr (GSocketAddress) from = NULL;
    g_autoptr (GError) error = NULL;
    gssize n = g_socket_receive_from (socket, &from, (char *) t->datagram, ZC_SIP_MAX_MESSAGE + 1, NULL, &error);
    ZcSipFlow flow = { 0 };

    if (n < 0) {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_debug ("UDP receive failed: %s", error->message);
      break;
    }
    /* Keep-alives (RFC 5626 4.4.1 CRLF, or empty datagrams) carry nothing. */
    if (n <= 4 && strspn ((const char *) t->datagram, "\r\n") == (size_t) n)
      continue;
    if (n > ZC_SIP_MAX_MESSAGE)
      continue;
    t->datagram[n] = '\0';
    zc_sip_flow_from_address (&flow, ZC_SIP_UDP, from);
    if (t->receive != NULL)
      t->receive ((const char *) t->datagram, (gsize) n, &flow, t->receive_data);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- set-up ----------------------------------------------------------------- */

static GSocket *
bind_socket (GSocketFamily family, GSocketType type, guint16 port, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) any = g_inet_address_new_any (family);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (any, port);

  socket = g_socket_new (family, type, type == G_SOCKET_TYPE_STREAM ? G_SOCKET_PROTOCOL_TCP : G_SOCKET_PROTOCOL_UDP,
                         error);
  if (socket == NULL)
    return NULL;
  /* GLib opens IPv6 sockets dual-stack (IPV6_V6ONLY off), so one socket
   * serves IPv4-mapped peers as well. */
  if (!g_socket_bind (socket, address, type == G_SOCKET_TYPE_STREAM, error))
    return NULL;
  if (type == G_SOCKET_TYPE_STREAM && !g_socket_listen (socket, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  return g_steal_pointer (&socket);
}

static gboolean
bind_pair (ZcSipTransport *t, GSocketFamily family, guint16 port, GError **error)
{
  g_autoptr (GSocket) udp = bind_socket (family, G_SOCKET_TYPE_DATAGRAM, port, error);
  g_autoptr (GSocket) tcp = NULL;

  if (udp == NULL)
    return FALSE;
  tcp = bind_socket (family, G_SOCKET_TYPE_STREAM, port, error);
  if (tcp == NULL)
    return FALSE;
  t->udp = g_steal_pointer (&udp);
  t->tcp = g_steal_pointer (&tcp);
  t->port = port;
  return TRUE;
}

static void
connection_id_free (gpointer data G_GNUC_UNUSED)
{
}

ZcSipTransport *
zc_sip_transport_new (guint16 port, GError **error)
{
  g_autoptr (ZcSipTransport) t = g_new0 (ZcSipTransport, 1);
  g_autoptr (GError) last_error = NULL;

  t->connections = g_hash_table_new_full (g_int64_hash, g_int64_equal, connection_id_free, connection_free);
  t->datagram = g_malloc (ZC_SIP_MAX_MESSAGE + 1);
  for (guint i = 0; i < ZC_SIP_PORT_ATTEMPTS && port + i <= 65535; i++) {
    guint16 candidate = (guint16) (port + i);

    g_clear_error (&last_error);
    if (bind_pair (t, G_SOCKET_FAMILY_IPV6, candidate, &last_error))
      break;
    /* A host without IPv6 (ipv6.disable=1) refuses the family itself. */
    if (!g_error_matches (last_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
      g_clear_error (&last_error);
      if (bind_pair (t, G_SOCKET_FAMILY_IPV4, candidate, &last_error))
        break;
    }
    if (!g_error_matches (last_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
      break;
    g_debug ("SIP port %u is taken, trying the next one", candidate);
  }
  if (t->udp == NULL) {
    g_set_error (error, G_IO_ERROR, last_error ? last_error->code : G_IO_ERROR_FAILED,
                 _("cannot bind a SIP port (UDP and TCP) from %u to %u: %s"), port,
                 MIN (port + ZC_SIP_PORT_ATTEMPTS - 1, 65535), last_error ? last_error->message : "");
    return NULL;
  }
  if (t->port != port)
    g_message ("SIP port %u is in use, using %u instead", port, t->port);

  if (!g_socket_set_option (t->udp, SOL_SOCKET, SO_RCVBUF, UDP_RECEIVE_BUFFER, &last_error))
    g_debug ("cannot enlarge the UDP receive buffer: %s", last_error->message);
  g_clear_error (&last_error);
  if (!g_socket_set_option (t->udp, SOL_SOCKET, SO_SNDBUF, UDP_SEND_BUFFER, &last_error))
    g_debug ("cannot enlarge the UDP send buffer: %s", last_error->message);
  g_clear_error (&last_error);
  t->udp_source = g_socket_create_source (t->udp, G_IO_IN, NULL);
  g_source_set_callback (t->udp_source, (GSourceFunc) (void (*) (void)) udp_receive_cb, t, NULL);
  g_source_attach (t->udp_source, NULL);
  t->tcp_source = g_socket_create_source (t->tcp, G_IO_IN, NULL);
  g_source_set_callback (t->tcp_source, (GSourceFunc) (void (*) (void)) tcp_accept_cb, t, NULL);
  g_source_attach (t->tcp_source, NULL);
  return g_steal_pointer (&t);
}

void
zc_sip_transport_free (ZcSipTransport *t)
{
  if (t == NULL)
    return;
  g_clear_handle_id (&t->idle_timer, g_source_remove);
  if (t->udp_source != NULL) {
    g_source_destroy (t->udp_source);
    g_source_unref (t->udp_source);
  }
  if (t->tcp_source != NULL) {
    g_source_destroy (t->tcp_source);
    g_source_unref (t->tcp_source);
  }
  g_clear_pointer (&t->connections, g_hash_table_unref);
  g_clear_pointer (&t->tls, zc_sip_tls_free);
  g_clear_object (&t->udp);
  g_clear_object (&t->tcp);
  g_free (t->datagram);
  g_free (t);
}

void
zc_sip_transport_set_receiver (ZcSipTransport *t, ZcSipReceiveFunc func, gpointer user_data)
{
  t->receive = func;
  t->receive_data = user_data;
  if (t->tls != NULL)
    zc_sip_tls_set_receiver (t->tls, func, user_data);
}

static void
tls_failed_cb (const ZcSipFlow *to, const char *reason, gpointer user_data)
{
  ZcSipTransport *t = user_data;

  if (t->failed != NULL)
    t->failed (to, reason, t->failed_data);
}

void
zc_sip_transport_set_tls (ZcSipTransport *t, ZcSipTls *tls)
{
  g_clear_pointer (&t->tls, zc_sip_tls_free);
  t->tls = tls;
  if (tls != NULL) {
    zc_sip_tls_set_receiver (tls, t->receive, t->receive_data);
    zc_sip_tls_set_failed_handler (tls, tls_failed_cb, t);
  }
}

guint16
zc_sip_transport_get_tls_port (ZcSipTransport *t)
{
  return t->tls != NULL ? zc_sip_tls_get_port (t->tls) : 0;
}

ZcSipTls *
zc_sip_transport_get_tls (ZcSipTransport *t)
{
  return t->tls;
}

void
zc_sip_transport_set_failed_handler (ZcSipTransport *t, ZcSipFlowFailedFunc failed, gpointer user_data)
{
  t->failed = failed;
  t->failed_data = user_data;
}

guint16
zc_sip_transport_get_port (ZcSipTransport *t)
{
  return t->port;
}

/* ---- sending ------------------------------------------------------------------ */

static ZcTcpConnection *
find_connection (ZcSipTransport *t, const ZcSipFlow *to)
{
  GHashTableIter iter;
  ZcTcpConnection *c;

  if (to->connection != 0) {
    c = g_hash_table_lookup (t->connections, &to->connection);
    if (c != NULL)
      return c;
  }
  g_hash_table_iter_init (&iter, t->connections);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c)) {
    if (c->flow.port == to->port && g_str_equal (c->flow.address, to->address))
      return c;
  }
  return NULL;
}

static ZcTcpConnection *
tcp_connect (ZcSipTransport *t, const ZcSipFlow *to, GError **error)
{
  g_autoptr (GSocketAddress) remote = socket_address_for (t, to->address, to->port, error);
  g_autoptr (GError) local_error = NULL;
  ZcSipFlow flow = { 0 };
  GSocket *socket;
  ZcTcpConnection *c;

  if (remote == NULL)
    return NULL;
  socket = g_socket_new (g_socket_address_get_family (remote), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  zc_sip_flow_from_address (&flow, ZC_SIP_TCP, remote);
  c = connection_add (t, socket, &flow);
  if (!g_socket_connect (socket, remote, NULL, &local_error)) {
    if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PENDING)) {
      g_propagate_error (error, g_steal_pointer (&local_error));
      connection_close (c);
      return NULL;
    }
    c->connecting = TRUE;
  }
  connection_watch (c);
  return c;
}

gboolean
zc_sip_transport_send (ZcSipTransport *t, const ZcSipFlow *to, const char *data, gsize len, GError **error)
{
  if (to->proto == ZC_SIP_UDP) {
    g_autoptr (GSocketAddress) remote = socket_address_for (t, to->address, to->port, error);
    gssize n;

    if (remote == NULL)
      return FALSE;
    n = g_socket_send_to (t->udp, remote, data, len, NULL, error);
    return n >= 0;
  }
  if (to->proto == ZC_SIP_TLS) {
    if (t->tls == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("SIP over TLS is off"));
      return FALSE;
    }
    return zc_sip_tls_send (t->tls, to, data, len, error);
  }
  {
    ZcTcpConnection *c = find_connection (t, to);
    gboolean idle;

    if (c == NULL && (c = tcp_connect (t, to, error)) == NULL)
      return FALSE;
    idle = c->out->len == 0 && !c->connecting;
    if (c->out->len + len > ZC_SIP_STREAM_MAX_OUTPUT) {
      g_debug ("TCP %s:%u reads nothing of what we send: closing", c->flow.address, c->flow.port);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, _("TCP connection to %s port %u lost"), to->address,
                   to->port);
      connection_close (c);
      return FALSE;
    }
    g_byte_array_append (c->out, (const guint8 *) data, (guint) len);
    c->last_activity_us = g_get_monotonic_time ();
    if (idle) {
      if (!connection_flush (c)) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, _("TCP connection to %s port %u lost"),
                     to->address, to->port);
        connection_close (c);
        return FALSE;
      }
      if (c->out->len > 0)
        connection_watch (c);
    }
    return TRUE;
  }
}
