/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SIP listening sockets: UDP and TCP on one port (RFC 3261 18), on
 * every address, IPv6 and IPv4 through one dual-stack socket each where
 * the host has IPv6. */
#pragma once

#include <gio/gio.h>

typedef struct _ZcSipTransport ZcSipTransport;

/* How many ports after the configured one are tried when it is taken
 * (another SIP phone on the same PC, or a second agent of another user). */
#define ZC_SIP_PORT_ATTEMPTS 100

/* Binds UDP and TCP on @port, or on the next port where both are free. */
ZcSipTransport *zc_sip_transport_new (guint16 port, GError **error);
void zc_sip_transport_free (ZcSipTransport *transport);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcSipTransport, zc_sip_transport_free)

guint16 zc_sip_transport_get_port (ZcSipTransport *transport);
