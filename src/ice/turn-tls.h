/* SPDX-License-Identifier: GPL-3.0-or-later */
/* TURN over TLS (RFC 8656 3.1, "turns:") for libnice, which speaks TURN
 * over plain TCP only (its TURN_TLS type is a pseudo-SSL handshake for old
 * Google servers, no TLS): a listener on the loopback address that libnice
 * is pointed at as a TCP TURN server, each of whose connections is carried
 * to the real server inside a verified TLS connection. */
#ifndef ZC_ICE_TURN_TLS_H
#define ZC_ICE_TURN_TLS_H

#include <gio/gio.h>

typedef struct _ZcTurnTls ZcTurnTls;

/* Starts listening on 127.0.0.1 (an ephemeral port), on @context.
 * Connections go to @address:@port (numeric); the server's certificate must
 * name @server_name (NULL: @address) and chain to a CA of @ca_file (NULL:
 * the system's trust store).  NULL with @error set when it cannot listen
 * or @ca_file cannot be read. */
ZcTurnTls *zc_turn_tls_new (GMainContext *context,
                            const char *address,
                            guint16 port,
                            const char *server_name,
                            const char *ca_file,
                            const char *log_prefix,
                            GError **error);
/* The loopback port to give libnice as the TCP TURN server's. */
guint16 zc_turn_tls_get_port (const ZcTurnTls *proxy);
/* Stops listening and closes every connection. */
void zc_turn_tls_free (ZcTurnTls *proxy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcTurnTls, zc_turn_tls_free)

#endif
