/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SIP over TLS (RFC 3261 26.2, RFC 5630) with GnuTLS: a listener on its
 * own port (5061 or the next free one) and outgoing connections, each
 * carrying whole SIP messages framed as on TCP (Content-Length).
 *
 * Who the other end is, is decided above: the caller names the
 * certificate it expects in the flow (ZcSipFlow.fingerprint, the peer's
 * pinned or advertised key) or, for a server with a name, a CA file and
 * that name (zc_sip_tls_expect_server); a connection whose peer does not
 * match is closed before anything is sent on it and reported through
 * ZcSipTlsFailedFunc.  Inbound messages carry the fingerprint of the
 * certificate the peer presented (empty: none) so that the core can
 * check it against the pin of the peer the request claims to come from.
 *
 * One connection per peer serves both directions (RFC 5923 style): a
 * message for a peer whose certificate matches an open connection reuses
 * it, whichever side opened it.  Idle connections we opened are kept
 * alive with RFC 5626 double-CRLF pings; a ping left unanswered closes
 * the connection.  The limits of the TCP transport apply (connections in
 * all and per source, queued output, message size, idle time), and a
 * handshake that does not finish in ZC_SIP_TLS_HANDSHAKE_TIMEOUT_S is
 * abandoned. */
#pragma once

#include "sip/transport.h"

#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

typedef struct _ZcSipTls ZcSipTls;

#define ZC_SIP_TLS_DEFAULT_PORT 5061
#define ZC_SIP_TLS_HANDSHAKE_TIMEOUT_S 10
/* RFC 5626 4.4.1 suggests 95-120 s for a NAT; between agents on a LAN
 * the pings are there to notice a dead peer before a call needs it. */
#define ZC_SIP_TLS_KEEPALIVE_S 30
#define ZC_SIP_TLS_PONG_TIMEOUT_S 10

/* A connection we opened failed before it carried @to's messages: the
 * peer refused or never answered, the handshake failed, or the peer's
 * certificate is not the one expected (@reason "identity mismatch"). */
typedef void (*ZcSipTlsFailedFunc) (const ZcSipFlow *to, const char *reason, gpointer user_data);

/* Listens on @port (0: ZC_SIP_TLS_DEFAULT_PORT) or the next free port,
 * presenting @certificate (not copied: must outlive the object). */
ZcSipTls *zc_sip_tls_new (guint16 port, gnutls_x509_crt_t certificate, gnutls_x509_privkey_t private_key,
                          GError **error);
void zc_sip_tls_free (ZcSipTls *tls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcSipTls, zc_sip_tls_free)

guint16 zc_sip_tls_get_port (ZcSipTls *tls);
void zc_sip_tls_set_receiver (ZcSipTls *tls, ZcSipReceiveFunc func, gpointer user_data);
void zc_sip_tls_set_failed_handler (ZcSipTls *tls, ZcSipTlsFailedFunc func, gpointer user_data);

/* Connections to @address port @port verify the server's certificate
 * chain against @ca_file (NULL: the system's trust store) and its name
 * against @server_name instead of an agent's fingerprint (a registrar);
 * with @fingerprint ("sha-256 AB:CD:..."), that pinned certificate
 * instead of chain and name. */
void zc_sip_tls_expect_server (ZcSipTls *tls, const char *address, guint16 port, const char *server_name,
                               const char *ca_file, const char *fingerprint);

/* Sends @data to @to (proto ZC_SIP_TLS): on @to->connection when still
 * open, else on an open connection to the same peer, else on a new one
 * (queued until its handshake is over and the peer checked). */
gboolean zc_sip_tls_send (ZcSipTls *tls, const ZcSipFlow *to, const char *data, gsize len, GError **error);

/* Open connections, for tests and statistics. */
guint zc_sip_tls_count_connections (ZcSipTls *tls);

/* "sha-256 AB:CD:..." (RFC 8122 form) of a DER certificate. */
char *zc_sip_tls_fingerprint_of (const guint8 *der, gsize len);
