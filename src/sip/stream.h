/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What SIP's stream transports share, TCP (transport.c) and TLS (tls.c):
 * the bounds on their connections, the admission of an accepted one, and
 * when one has outlived its use.  RFC 3261 18.3 leaves the policy to us;
 * these bounds are the same for both, for the same reasons:
 *
 * - a peer that opens connections and sends nothing must not pin memory
 *   forever (idle and incomplete-message timeouts);
 * - one host must not hold every slot (a cap per source address);
 * - a peer that does not read must not grow our queue (a cap on what is
 *   queued for it: beyond, the connection is closed);
 * - a client sends 4 keep-alive bytes every few tens of seconds
 *   (RFC 5626 4.4.1); many more between two messages is a flood, closed. */
#pragma once

#include "sip/framing.h"
#include "sip/transport.h"

#include <gio/gio.h>

#define ZC_SIP_STREAM_IDLE_TIMEOUT_S 300
#define ZC_SIP_STREAM_MAX_CONNECTIONS 256
#define ZC_SIP_STREAM_MAX_PER_SOURCE 8
#define ZC_SIP_STREAM_MAX_OUTPUT (4 * (ZC_SIP_MAX_MESSAGE + 1))
#define ZC_SIP_STREAM_MAX_KEEPALIVE_BYTES 4096
/* A message whose announced body never comes (RFC 4475 3.1.2.2 over a
 * stream): wait this long, then close. */
#define ZC_SIP_STREAM_INCOMPLETE_TIMEOUT_S 16

/* Accepts the next connection on @listener if the bounds allow it:
 * @connections (id -> connection) holds fewer than the cap, and fewer than
 * the cap per source come from its address, read from each connection's
 * ZcSipFlow at @flow_offset (G_STRUCT_OFFSET of the connection type's
 * flow).  Returns the socket and fills @flow (@proto, the peer's address
 * and port), or NULL: nothing to accept, or refused and closed (logged). */
GSocket *zc_sip_stream_accept (GSocket *listener,
                               GHashTable *connections,
                               gsize flow_offset,
                               ZcSipProto proto,
                               ZcSipFlow *flow);

/* Idle longer than the idle timeout, or part of a message waiting for the
 * rest longer than the incomplete-message timeout. */
gboolean zc_sip_stream_stale (gint64 last_activity_us, const ZcSipFramer *framer, gint64 now_us);
