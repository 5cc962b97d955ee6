/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Locating SIP servers (RFC 3263 4): a SIP URI or host name becomes the
 * ordered list of (transport, numeric address, port) to send a request to.
 * NAPTR goes through libresolv, as GResolver has no NAPTR type; SRV and
 * A/AAAA go through GResolver.  The lookups run in a worker thread and the
 * answer comes back on the caller's main context.  Trying the next target
 * after a timeout or an ICMP error (RFC 3263 4.3) is the caller's job. */
#pragma once

#include "sip/transport.h"

#include <gio/gio.h>

#define ZC_SIP_RESOLVE_ERROR (zc_sip_resolve_error_quark ())
GQuark zc_sip_resolve_error_quark (void);

typedef enum {
  ZC_SIP_RESOLVE_ERROR_INVALID,   /* not a sip: URI or host[:port] we can use */
  ZC_SIP_RESOLVE_ERROR_NOT_FOUND, /* the name has no NAPTR, SRV or address records */
  ZC_SIP_RESOLVE_ERROR_FAILED,    /* DNS did not answer (timeout, SERVFAIL): try later */
} ZcSipResolveError;

/* Longest list returned: more servers than this are never tried before a
 * transaction times out anyway (RFC 3261 timer B is 32 s). */
#define ZC_SIP_RESOLVE_MAX_TARGETS 16

typedef struct {
  ZcSipProto proto;
  char address[64];   /* numeric IPv4 or IPv6, no brackets */
  guint16 port;
} ZcSipTarget;

/* Resolves @uri_or_host: "sip:[user@]host[:port][;transport=udp|tcp]", or
 * the same without "sip:" ("example.test", "198.51.100.7:5070",
 * "[2001:db8::1]:5060").  Per RFC 3263 4.1 and 4.2:
 *   - a numeric host is used as it is (port 5060 unless given);
 *   - a port given: A/AAAA of the host only;
 *   - a transport given without a port: SRV _sip._udp/_tcp, else A/AAAA;
 *   - neither: NAPTR (SIP+D2U and SIP+D2T only, by order then preference),
 *     the SRV records each names, the addresses of each SRV target; with
 *     no NAPTR, SRV _sip._udp then _sip._tcp; with no SRV, A/AAAA on 5060.
 * The transport is UDP unless the URI or DNS says TCP. */
void zc_sip_resolve_async (const char *uri_or_host, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);

/* The targets in the order to try them, at most ZC_SIP_RESOLVE_MAX_TARGETS,
 * none twice: a GPtrArray of ZcSipTarget * that frees its elements, never
 * empty.  NULL with ZC_SIP_RESOLVE_ERROR or G_IO_ERROR_CANCELLED. */
GPtrArray *zc_sip_resolve_finish (GAsyncResult *result, GError **error);
