/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SIP transport (RFC 3261 18): UDP and TCP on one port, on every
 * address, IPv6 and IPv4 through one dual-stack socket each.  It frames
 * messages (datagrams; Content-Length on TCP streams), enforces size
 * limits and hands whole messages up with where they came from.  It knows
 * nothing of SIP beyond framing. */
#pragma once

#include <gio/gio.h>

typedef struct _ZcSipTransport ZcSipTransport;

/* How many ports after the configured one are tried when it is taken
 * (another SIP phone on the same PC, or a second agent of another user). */
#define ZC_SIP_PORT_ATTEMPTS 100

/* Largest message accepted: a UDP datagram can carry 65507 bytes of
 * payload; nothing a user agent sends on TCP needs more. */
#define ZC_SIP_MAX_MESSAGE 65535

typedef enum {
  ZC_SIP_UDP,
  ZC_SIP_TCP,
  ZC_SIP_TLS,           /* sip/tls.h; the transport hands it to its ZcSipTls */
} ZcSipProto;

/* TCP and TLS: reliable, framed by Content-Length, no retransmissions. */
#define ZC_SIP_PROTO_IS_STREAM(proto) ((proto) != ZC_SIP_UDP)

/* Where a message came from, or where to send one. */
typedef struct {
  ZcSipProto proto;
  char address[64];      /* numeric; IPv4-mapped IPv6 shown as IPv4; "%scope" for link-local */
  guint16 port;
  guint64 connection;    /* TCP connection the message arrived on, 0 for UDP */
  /* TLS, "sha-256 AB:CD:..." or empty.  Sending: the certificate the peer
   * must present (empty: any).  Received: the one it presented. */
  char fingerprint[104];
} ZcSipFlow;

const char *zc_sip_proto_to_string (ZcSipProto proto);
/* A socket's peer as a flow: IPv4-mapped addresses as plain IPv4, a
 * link-local IPv6 one with its "%ifname" zone (the link replies must go
 * back on).  Sets proto, address and port only. */
void zc_sip_flow_from_address (ZcSipFlow *flow, ZcSipProto proto, GSocketAddress *address);

/* Sends a serialised message; the transport in the agent, a recorder in
 * tests and the fuzzer. */
typedef gboolean (*ZcSipSendFunc) (const ZcSipFlow *to, const char *data, gsize len, gpointer user_data);

/* @data is a whole message (for TCP: headers + Content-Length body).
 * Return FALSE to close a TCP connection whose framing is lost. */
typedef gboolean (*ZcSipReceiveFunc) (const char *data, gsize len, const ZcSipFlow *from, gpointer user_data);

/* Binds UDP and TCP on @port, or on the next port where both are free. */
ZcSipTransport *zc_sip_transport_new (guint16 port, GError **error);
void zc_sip_transport_free (ZcSipTransport *transport);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcSipTransport, zc_sip_transport_free)

void zc_sip_transport_set_receiver (ZcSipTransport *transport, ZcSipReceiveFunc func, gpointer user_data);
guint16 zc_sip_transport_get_port (ZcSipTransport *transport);

/* SIP over TLS beside UDP and TCP (sip/tls.h): flows with proto
 * ZC_SIP_TLS go to @tls (taken), whose messages reach the same receiver,
 * and whose failed connections are reported to @failed. */
typedef struct _ZcSipTls ZcSipTls;
void zc_sip_transport_set_tls (ZcSipTransport *transport, ZcSipTls *tls);
/* 0 when TLS is off. */
guint16 zc_sip_transport_get_tls_port (ZcSipTransport *transport);
/* NULL when TLS is off; for zc_sip_tls_expect_server (a registrar). */
ZcSipTls *zc_sip_transport_get_tls (ZcSipTransport *transport);
typedef void (*ZcSipFlowFailedFunc) (const ZcSipFlow *to, const char *reason, gpointer user_data);
void zc_sip_transport_set_failed_handler (ZcSipTransport *transport, ZcSipFlowFailedFunc failed, gpointer user_data);

/* Sends @data to @to.  TCP reuses @to->connection when it is still open,
 * else an open connection to the same address and port, else connects. */
gboolean zc_sip_transport_send (ZcSipTransport *transport, const ZcSipFlow *to, const char *data, gsize len,
                                GError **error);

/* The local address used to reach @remote_address (for Via and Contact),
 * as the kernel's routing would choose it. */
char *zc_sip_transport_local_address_for (ZcSipTransport *transport, const char *remote_address);
