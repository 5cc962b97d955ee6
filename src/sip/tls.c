/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/tls.h"
#include "sip/stream.h"

#include "common/i18n.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <string.h>

/* The bounds are the TCP transport's (stream.h); a second's tick for
 * the handshake and keep-alive timeouts. */
#define TLS_CHECK_INTERVAL_S 1
/* Plain text read at once from GnuTLS: a TLS record holds at most 16 KiB. */
#define TLS_READ_CHUNK 16384

typedef enum {
  TLS_CONNECTING,   /* TCP connect() in progress */
  TLS_HANDSHAKE,
  TLS_OPEN,
} TlsState;

typedef struct {
  char *server_name;
  char *ca_file;
  char *fingerprint;        /* a pinned certificate instead of chain and name; NULL: none */
} TlsServer;

typedef struct {
  ZcSipTls *tls;
  guint64 id;
  GSocket *socket;
  GSource *source;
  gnutls_session_t session;
  gnutls_certificate_credentials_t server_credentials;  /* a CA-checked server's, else NULL */
  TlsState state;
  gboolean handshake_started;
  gboolean outgoing;
  gboolean pinned_server;   /* a registrar checked by its pinned fingerprint */
  ZcSipFlow flow;           /* fingerprint: expected until the handshake, then presented */
  ZcSipFramer framer;       /* plain text received */
  GByteArray *out;          /* plain text to send */
  gsize sending;            /* bytes of out handed to a record that must be retried (GNUTLS_E_AGAIN) */
  gint64 started_us;
  gint64 last_activity_us;  /* anything sent or received */
  gint64 last_received_us;
  gint64 ping_sent_us;      /* a double-CRLF ping awaits its pong; 0: none */
} TlsConnection;

struct _ZcSipTls {
  GSocket *listener;
  GSource *listener_source;
  guint16 port;
  gnutls_certificate_credentials_t credentials;
  GHashTable *connections;  /* id -> TlsConnection* */
  GHashTable *servers;      /* "address port" -> TlsServer* */
  guint64 next_id;
  guint timer;
  ZcSipReceiveFunc receive;
  gpointer receive_data;
  ZcSipTlsFailedFunc failed;
  gpointer failed_data;
};

char *
zc_sip_tls_fingerprint_of (const guint8 *der, gsize len)
{
  guint8 digest[32];
  GString *out = g_string_new ("sha-256 ");

  gnutls_hash_fast (GNUTLS_DIG_SHA256, der, len, digest);
  for (gsize i = 0; i < sizeof digest; i++)
    g_string_append_printf (out, i == 0 ? "%02X" : ":%02X", digest[i]);
  return g_string_free (out, FALSE);
}

/* ---- connections ------------------------------------------------------------------ */

static void
connection_free (gpointer data)
{
  TlsConnection *c = data;

  if (c->source != NULL) {
    g_source_destroy (c->source);
    g_source_unref (c->source);
  }
  if (c->session != NULL) {
    /* close_notify (RFC 8446 6.1), best effort: the socket is non-blocking. */
    if (c->state == TLS_OPEN)
      gnutls_bye (c->session, GNUTLS_SHUT_WR);
    gnutls_deinit (c->session);
  }
  if (c->server_credentials != NULL)
    gnutls_certificate_free_credentials (c->server_credentials);
  g_socket_close (c->socket, NULL);
  g_object_unref (c->socket);
  zc_sip_framer_clear (&c->framer);
  g_byte_array_unref (c->out);
  g_free (c);
}

/* Closes @c; an outgoing connection that never carried its messages is
 * reported to the failed handler with @reason (NULL: no report). */
static void
connection_fail (TlsConnection *c, const char *reason)
{
  ZcSipTls *tls = c->tls;
  ZcSipFlow flow = c->flow;
  gboolean report = reason != NULL && c->outgoing && c->state != TLS_OPEN;

  g_message ("TLS %s port %u: %s", flow.address, flow.port, reason ? reason : "closed");
  g_hash_table_remove (tls->connections, &c->id);
  if (report && tls->failed != NULL)
    tls->failed (&flow, reason, tls->failed_data);
}

static gboolean connection_io_cb (GSocket *socket, GIOCondition condition, gpointer user_data);

static void
connection_watch (TlsConnection *c)
{
  GIOCondition condition = G_IO_IN | G_IO_HUP | G_IO_ERR;

  if (c->state == TLS_CONNECTING ||
      (c->state == TLS_HANDSHAKE && (!c->handshake_started || gnutls_record_get_direction (c->session) == 1)) ||
      (c->state == TLS_OPEN && (c->out->len > 0 || c->sending > 0)))
    condition |= G_IO_OUT;
  if (c->source != NULL) {
    g_source_destroy (c->source);
    g_source_unref (c->source);
  }
  c->source = g_socket_create_source (c->socket, condition, NULL);
  g_source_set_callback (c->source, (GSourceFunc) (void (*) (void)) connection_io_cb, c, NULL);
  g_source_attach (c->source, NULL);
}

/* FALSE: the connection is lost. */
static gboolean
connection_flush (TlsConnection *c)
{
  while (c->state == TLS_OPEN && c->out->len > 0) {
    /* GnuTLS wants a record it could not send retried with the same
     * length (gnutls_record_send(3), non-blocking). */
    gsize len = c->sending > 0 ? c->sending : MIN (c->out->len, (gsize) TLS_READ_CHUNK);
    gssize n = gnutls_record_send (c->session, c->out->data, len);

    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
      c->sending = len;
      return TRUE;
    }
    if (n < 0) {
      g_debug ("TLS %s:%u: send failed: %s", c->flow.address, c->flow.port, gnutls_strerror ((int) n));
      return FALSE;
    }
    c->sending = 0;
    g_byte_array_remove_range (c->out, 0, (guint) n);
    c->last_activity_us = g_get_monotonic_time ();
  }
  return TRUE;
}

/* The peer's certificate against what the caller expects.  NULL when it
 * passes, else the reason (for the log and `zcall status`). */
static char *
check_peer (TlsConnection *c)
{
  const gnutls_datum_t *chain;
  unsigned int n = 0;
  g_autofree char *presented = NULL;

  chain = gnutls_certificate_get_peers (c->session, &n);
  if (chain != NULL && n > 0)
    presented = zc_sip_tls_fingerprint_of (chain[0].data, chain[0].size);
  if (c->server_credentials != NULL) {
    /* gnutls_session_set_verify_cert() checked chain and name already;
     * a failure there ends the handshake, this is the belt to it. */
    unsigned int status = gnutls_session_get_verify_cert_status (c->session);
    gnutls_datum_t text = { 0 };

    if (status != 0) {
      char *reason;

      gnutls_certificate_verification_status_print (status, GNUTLS_CRT_X509, &text, 0);
      reason = g_strdup_printf ("TLS: server certificate not trusted: %s", text.data ? (char *) text.data : "");
      g_strchomp (reason);
      gnutls_free (text.data);
      return reason;
    }
  } else if (c->outgoing && c->flow.fingerprint[0] != '\0' &&
             (presented == NULL || g_ascii_strcasecmp (presented, c->flow.fingerprint) != 0)) {
    g_message ("TLS %s port %u presents %s, expected %s", c->flow.address, c->flow.port,
               presented ? presented : "no certificate", c->flow.fingerprint);
    return g_strdup (c->pinned_server ? "TLS: server certificate does not match the pinned server-fingerprint"
                                      : "identity mismatch");
  }
  g_strlcpy (c->flow.fingerprint, presented ? presented : "", sizeof c->flow.fingerprint);
  return NULL;
}

/* Runs the handshake as far as the socket allows.  FALSE: failed, closed. */
static gboolean
connection_handshake (TlsConnection *c)
{
  int ret;
  g_autofree char *refusal = NULL;

  c->handshake_started = TRUE;
  ret = gnutls_handshake (c->session);
  if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
    return TRUE;
  if (ret < 0) {
    g_autofree char *reason = NULL;

    if (ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
      /* Say why (unknown issuer, wrong name, expired), not just "failed". */
      refusal = check_peer (c);
      reason = g_strdup (refusal ? refusal : "TLS: server certificate not trusted");
    } else {
      reason = g_strdup_printf ("TLS: %s", gnutls_strerror (ret));
    }
    connection_fail (c, reason);
    return FALSE;
  }
  if ((refusal = check_peer (c)) != NULL) {
    connection_fail (c, refusal);
    return FALSE;
  }
  c->state = TLS_OPEN;
  c->last_activity_us = c->last_received_us = g_get_monotonic_time ();
  g_debug ("TLS connection %" G_GUINT64_FORMAT " with %s port %u: %s, peer %s", c->id, c->flow.address, c->flow.port,
           gnutls_protocol_get_name (gnutls_protocol_get_version (c->session)),
           c->flow.fingerprint[0] ? c->flow.fingerprint : "without certificate");
  return TRUE;
}

/* Plain text received: pings, pongs and whole messages.  FALSE: close. */
static gboolean
connection_consume (TlsConnection *c)
{
  ZcSipTls *tls = c->tls;
  guint64 id = c->id;

  for (;;) {
    gsize len = 0;

    switch (zc_sip_framer_next (&c->framer, &len)) {
    case ZC_SIP_FRAME_NEED_MORE:
      return TRUE;
    case ZC_SIP_FRAME_PING:
      if (c->out->len < ZC_SIP_STREAM_MAX_OUTPUT) {
        g_byte_array_append (c->out, (const guint8 *) "\r\n", 2);
        if (!connection_flush (c))
          return FALSE;
      }
      continue;
    case ZC_SIP_FRAME_FLOOD:
      return FALSE;
    case ZC_SIP_FRAME_BROKEN:
      g_debug ("TLS %s:%u: broken framing, closing", c->flow.address, c->flow.port);
      return FALSE;
    case ZC_SIP_FRAME_MESSAGE:
      break;
    }
    if (tls->receive != NULL && !tls->receive ((const char *) c->framer.in->data, len, &c->flow, tls->receive_data))
      return FALSE;
    if (!g_hash_table_contains (tls->connections, &id))
      return TRUE;
    zc_sip_framer_consumed (&c->framer, len);
  }
}

static gboolean
connection_read (TlsConnection *c)
{
  guint8 buf[TLS_READ_CHUNK];

  for (;;) {
    gssize n = gnutls_record_recv (c->session, buf, sizeof buf);

    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
      return TRUE;
    if (n <= 0) {
      if (n < 0)
        g_debug ("TLS %s:%u: %s", c->flow.address, c->flow.port, gnutls_strerror ((int) n));
      return FALSE;
    }
    if (c->framer.in->len + (gsize) n > 2 * (ZC_SIP_MAX_MESSAGE + 1))
      return FALSE;
    g_byte_array_append (c->framer.in, buf, (guint) n);
    c->last_activity_us = c->last_received_us = g_get_monotonic_time ();
    c->ping_sent_us = 0;
    if (gnutls_record_check_pending (c->session) == 0)
      return TRUE;
  }
}

static gboolean
connection_io_cb (GSocket *socket G_GNUC_UNUSED, GIOCondition condition, gpointer user_data)
{
  TlsConnection *c = user_data;
  ZcSipTls *tls = c->tls;
  guint64 id = c->id;

  if (c->state == TLS_CONNECTING) {
    g_autoptr (GError) error = NULL;

    if (!(condition & (G_IO_OUT | G_IO_ERR | G_IO_HUP)))
      return G_SOURCE_CONTINUE;
    if (!g_socket_check_connect_result (c->socket, &error)) {
      g_autofree char *reason = g_strdup_printf ("TLS: %s", error->message);
      connection_fail (c, reason);
      return G_SOURCE_REMOVE;
    }
    c->state = TLS_HANDSHAKE;
  }
  if (c->state == TLS_HANDSHAKE) {
    if (!connection_handshake (c))
      return G_SOURCE_REMOVE;
    if (c->state == TLS_HANDSHAKE) {
      connection_watch (c);
      return G_SOURCE_REMOVE;
    }
  }
  if (!connection_flush (c)) {
    connection_fail (c, NULL);
    return G_SOURCE_REMOVE;
  }
  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
    gboolean ok = connection_read (c) && connection_consume (c);

    if (!g_hash_table_contains (tls->connections, &id))
      return G_SOURCE_REMOVE;
    if (!ok) {
      connection_fail (c, NULL);
      return G_SOURCE_REMOVE;
    }
  }
  connection_watch (c);
  return G_SOURCE_REMOVE;
}

static gboolean tick_cb (gpointer user_data);

static TlsConnection *
connection_add (ZcSipTls *tls, GSocket *socket, gboolean outgoing, const ZcSipFlow *flow, GError **error)
{
  TlsConnection *c = g_new0 (TlsConnection, 1);
  int ret;

  c->tls = tls;
  c->id = ++tls->next_id;
  c->socket = socket;
  c->outgoing = outgoing;
  zc_sip_framer_init (&c->framer, ZC_SIP_STREAM_MAX_KEEPALIVE_BYTES);
  c->out = g_byte_array_new ();
  c->flow = *flow;
  c->flow.proto = ZC_SIP_TLS;
  c->flow.connection = c->id;
  c->started_us = c->last_activity_us = c->last_received_us = g_get_monotonic_time ();
  g_socket_set_blocking (socket, FALSE);
  g_hash_table_insert (tls->connections, &c->id, c);
  /* Only while there are connections: an idle agent sleeps. */
  if (tls->timer == 0)
    tls->timer = g_timeout_add_seconds (TLS_CHECK_INTERVAL_S, tick_cb, tls);

  if ((ret = gnutls_init (&c->session, (outgoing ? GNUTLS_CLIENT : GNUTLS_SERVER) | GNUTLS_NONBLOCK)) < 0 ||
      (ret = gnutls_set_default_priority (c->session)) < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot set up TLS: %s"), gnutls_strerror (ret));
    g_hash_table_remove (tls->connections, &c->id);
    return NULL;
  }
  if (outgoing) {
    g_autofree char *key = g_strdup_printf ("%s %u", flow->address, flow->port);
    TlsServer *server = g_hash_table_lookup (tls->servers, key);

    if (server != NULL && server->fingerprint != NULL) {
      /* A registrar with a pinned certificate: the pin, not a chain. */
      c->pinned_server = TRUE;
      g_strlcpy (c->flow.fingerprint, server->fingerprint, sizeof c->flow.fingerprint);
      gnutls_credentials_set (c->session, GNUTLS_CRD_CERTIFICATE, tls->credentials);
      gnutls_server_name_set (c->session, GNUTLS_NAME_DNS, server->server_name, strlen (server->server_name));
    } else if (server != NULL) {
      /* A registrar: its chain and name, not a pin. */
      gnutls_certificate_allocate_credentials (&c->server_credentials);
      if (server->ca_file != NULL)
        gnutls_certificate_set_x509_trust_file (c->server_credentials, server->ca_file, GNUTLS_X509_FMT_PEM);
      else
        gnutls_certificate_set_x509_system_trust (c->server_credentials);
      gnutls_credentials_set (c->session, GNUTLS_CRD_CERTIFICATE, c->server_credentials);
      gnutls_server_name_set (c->session, GNUTLS_NAME_DNS, server->server_name, strlen (server->server_name));
      gnutls_session_set_verify_cert (c->session, server->server_name, 0);
    } else {
      gnutls_credentials_set (c->session, GNUTLS_CRD_CERTIFICATE, tls->credentials);
    }
  } else {
    gnutls_credentials_set (c->session, GNUTLS_CRD_CERTIFICATE, tls->credentials);
    /* Mutual TLS between agents; a phone without a certificate may still
     * call, and the core shows it as unverified. */
    gnutls_certificate_server_set_request (c->session, GNUTLS_CERT_REQUEST);
  }
  gnutls_transport_set_int (c->session, g_socket_get_fd (socket));
  c->state = TLS_HANDSHAKE;
  return c;
}

static gboolean
accept_cb (GSocket *listener, GIOCondition condition G_GNUC_UNUSED, gpointer user_data)
{
  ZcSipTls *tls = user_data;
  g_autoptr (GError) error = NULL;
  ZcSipFlow flow;
  GSocket *socket = zc_sip_stream_accept (listener, tls->connections, G_STRUCT_OFFSET (TlsConnection, flow),
                                          ZC_SIP_TLS, &flow);
  TlsConnection *c;

  if (socket == NULL)
    return G_SOURCE_CONTINUE;
  c = connection_add (tls, socket, FALSE, &flow, &error);
  if (c == NULL) {
    g_warning ("%s", error->message);
    return G_SOURCE_CONTINUE;
  }
  g_debug ("TLS connection %" G_GUINT64_FORMAT " from %s port %u", c->id, c->flow.address, c->flow.port);
  connection_watch (c);
  return G_SOURCE_CONTINUE;
}

/* Handshakes that stall, idle connections, pings unanswered; pings on
 * idle connections we opened (RFC 5626 4.4.1). */
static gboolean
tick_cb (gpointer user_data)
{
  ZcSipTls *tls = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  TlsConnection *c;
  g_autoptr (GPtrArray) expired = g_ptr_array_new ();

  g_hash_table_iter_init (&iter, tls->connections);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c)) {
    if (c->state != TLS_OPEN && now - c->started_us > ZC_SIP_TLS_HANDSHAKE_TIMEOUT_S * G_USEC_PER_SEC)
      g_ptr_array_add (expired, c);
    else if (c->state == TLS_OPEN &&
             (zc_sip_stream_stale (c->last_activity_us, &c->framer, now) ||
              (c->ping_sent_us != 0 && now - c->ping_sent_us > ZC_SIP_TLS_PONG_TIMEOUT_S * G_USEC_PER_SEC)))
      g_ptr_array_add (expired, c);
    else if (c->state == TLS_OPEN && c->outgoing && c->ping_sent_us == 0 &&
             now - c->last_received_us > ZC_SIP_TLS_KEEPALIVE_S * G_USEC_PER_SEC && c->out->len < ZC_SIP_STREAM_MAX_OUTPUT) {
      g_byte_array_append (c->out, (const guint8 *) "\r\n\r\n", 4);
      c->ping_sent_us = now;
      if (connection_flush (c))
        connection_watch (c);
      else
        g_ptr_array_add (expired, c);
    }
  }
  for (guint i = 0; i < expired->len; i++) {
    c = g_ptr_array_index (expired, i);
    connection_fail (c, c->state != TLS_OPEN ? "TLS: handshake timed out"
                        : c->ping_sent_us != 0 ? "keep-alive unanswered" : "idle");
  }
  if (g_hash_table_size (tls->connections) > 0)
    return G_SOURCE_CONTINUE;
  tls->timer = 0;
  return G_SOURCE_REMOVE;
}

/* ---- the object ----------------------------------------------------------------------- */

static void
server_free (gpointer data)
{
  TlsServer *server = data;

  g_free (server->server_name);
  g_free (server->ca_file);
  g_free (server->fingerprint);
  g_free (server);
}

static GSocket *
listen_on (GSocketFamily family, guint16 port, GError **error)
{
  g_autoptr (GSocket) socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  g_autoptr (GInetAddress) any = g_inet_address_new_any (family);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (any, port);

  if (socket == NULL || !g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  return g_steal_pointer (&socket);
}

ZcSipTls *
zc_sip_tls_new (guint16 port, gnutls_x509_crt_t certificate, gnutls_x509_privkey_t private_key, GError **error)
{
  g_autoptr (ZcSipTls) tls = g_new0 (ZcSipTls, 1);
  g_autoptr (GError) last_error = NULL;
  int ret;

  if (port == 0)
    port = ZC_SIP_TLS_DEFAULT_PORT;
  tls->connections = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, connection_free);
  tls->servers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, server_free);
  if ((ret = gnutls_certificate_allocate_credentials (&tls->credentials)) < 0 ||
      (ret = gnutls_certificate_set_x509_key (tls->credentials, &certificate, 1, private_key)) < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot load the TLS certificate: %s"),
                 gnutls_strerror (ret));
    return NULL;
  }
  for (guint i = 0; i < ZC_SIP_PORT_ATTEMPTS && port + i <= 65535; i++) {
    guint16 candidate = (guint16) (port + i);

    g_clear_error (&last_error);
    tls->listener = listen_on (G_SOCKET_FAMILY_IPV6, candidate, &last_error);
    if (tls->listener == NULL && !g_error_matches (last_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
      g_clear_error (&last_error);
      tls->listener = listen_on (G_SOCKET_FAMILY_IPV4, candidate, &last_error);
    }
    if (tls->listener != NULL) {
      tls->port = candidate;
      break;
    }
    if (!g_error_matches (last_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
      break;
  }
  if (tls->listener == NULL) {
    g_set_error (error, G_IO_ERROR, last_error ? last_error->code : G_IO_ERROR_FAILED,
                 _("cannot bind a SIP TLS port from %u: %s"), port, last_error ? last_error->message : "");
    return NULL;
  }
  if (tls->port != port)
    g_message ("SIP TLS port %u is in use, using %u instead", port, tls->port);
  tls->listener_source = g_socket_create_source (tls->listener, G_IO_IN, NULL);
  g_source_set_callback (tls->listener_source, (GSourceFunc) (void (*) (void)) accept_cb, tls, NULL);
  g_source_attach (tls->listener_source, NULL);
  return g_steal_pointer (&tls);
}

void
zc_sip_tls_free (ZcSipTls *tls)
{
  if (tls == NULL)
    return;
  g_clear_handle_id (&tls->timer, g_source_remove);
  if (tls->listener_source != NULL) {
    g_source_destroy (tls->listener_source);
    g_source_unref (tls->listener_source);
  }
  g_clear_pointer (&tls->connections, g_hash_table_unref);
  g_clear_pointer (&tls->servers, g_hash_table_unref);
  g_clear_object (&tls->listener);
  if (tls->credentials != NULL)
    gnutls_certificate_free_credentials (tls->credentials);
  g_free (tls);
}

guint16
zc_sip_tls_get_port (ZcSipTls *tls)
{
  return tls->port;
}

void
zc_sip_tls_set_receiver (ZcSipTls *tls, ZcSipReceiveFunc func, gpointer user_data)
{
  tls->receive = func;
  tls->receive_data = user_data;
}

void
zc_sip_tls_set_failed_handler (ZcSipTls *tls, ZcSipTlsFailedFunc func, gpointer user_data)
{
  tls->failed = func;
  tls->failed_data = user_data;
}

void
zc_sip_tls_expect_server (ZcSipTls *tls, const char *address, guint16 port, const char *server_name,
                          const char *ca_file, const char *fingerprint)
{
  TlsServer *server = g_new0 (TlsServer, 1);

  server->server_name = g_strdup (server_name);
  server->ca_file = g_strdup (ca_file);
  server->fingerprint = g_strdup (fingerprint);
  g_hash_table_replace (tls->servers, g_strdup_printf ("%s %u", address, port), server);
}

guint
zc_sip_tls_count_connections (ZcSipTls *tls)
{
  return g_hash_table_size (tls->connections);
}

/* ---- sending ------------------------------------------------------------------------ */

/* RFC 5923 style reuse: the connection named, else one to the same
 * address whose peer has (or, while it shakes hands, must have) the
 * expected certificate, else one to the same address and port. */
static TlsConnection *
find_connection (ZcSipTls *tls, const ZcSipFlow *to)
{
  GHashTableIter iter;
  TlsConnection *c;
  TlsConnection *by_port = NULL;

  if (to->connection != 0 && (c = g_hash_table_lookup (tls->connections, &to->connection)) != NULL)
    return c;
  g_hash_table_iter_init (&iter, tls->connections);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c)) {
    if (!g_str_equal (c->flow.address, to->address))
      continue;
    if (to->fingerprint[0] != '\0' && g_ascii_strcasecmp (c->flow.fingerprint, to->fingerprint) == 0 &&
        (c->state == TLS_OPEN || c->outgoing))
      return c;
    if (c->outgoing && c->flow.port == to->port && (to->fingerprint[0] == '\0' || c->flow.fingerprint[0] == '\0'))
      by_port = c;
  }
  return by_port;
}

static TlsConnection *
connect_to (ZcSipTls *tls, const ZcSipFlow *to, GError **error)
{
  g_autoptr (GSocketAddress) remote = g_inet_socket_address_new_from_string (to->address, to->port);
  g_autoptr (GError) local_error = NULL;
  GSocket *socket;
  TlsConnection *c;

  if (remote == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("“%s” is not a numeric IP address"), to->address);
    return NULL;
  }
  if (g_hash_table_size (tls->connections) >= ZC_SIP_STREAM_MAX_CONNECTIONS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES, _("too many TLS connections"));
    return NULL;
  }
  socket = g_socket_new (g_socket_address_get_family (remote), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  c = connection_add (tls, socket, TRUE, to, error);
  if (c == NULL)
    return NULL;
  if (!g_socket_connect (socket, remote, NULL, &local_error)) {
    if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PENDING)) {
      g_propagate_error (error, g_steal_pointer (&local_error));
      g_hash_table_remove (tls->connections, &c->id);
      return NULL;
    }
    c->state = TLS_CONNECTING;
  }
  /* The handshake starts from the loop, so that a failure is reported
   * from there and never from inside this send. */
  connection_watch (c);
  return c;
}

gboolean
zc_sip_tls_send (ZcSipTls *tls, const ZcSipFlow *to, const char *data, gsize len, GError **error)
{
  TlsConnection *c = find_connection (tls, to);

  if (c == NULL && (c = connect_to (tls, to, error)) == NULL)
    return FALSE;
  if (c->out->len + len > ZC_SIP_STREAM_MAX_OUTPUT) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, _("TLS connection to %s port %u lost"), to->address,
                 to->port);
    connection_fail (c, NULL);
    return FALSE;
  }
  g_byte_array_append (c->out, (const guint8 *) data, (guint) len);
  if (c->state != TLS_OPEN)
    return TRUE;
  if (!connection_flush (c)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, _("TLS connection to %s port %u lost"), to->address,
                 to->port);
    connection_fail (c, NULL);
    return FALSE;
  }
  connection_watch (c);
  return TRUE;
}
