/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Whether an advertised address may be pinged: an advert's address and
 * port are the publisher's choice, so an agent that pinged whatever it was
 * told would send OPTIONS (and their retransmissions) anywhere on request.
 * Pings go only to an address on a directly connected subnet of the
 * interface the advert was resolved on (or link-local on it), never to a
 * network, broadcast or multicast address, and only to a SIP-looking port. */
#pragma once

#include <glib.h>

/* One address of one interface, as getifaddrs() reports it. */
typedef struct {
  int ifindex;
  int family;               /* AF_INET or AF_INET6 */
  guint8 address[16];       /* network byte order; 4 bytes used for IPv4 */
  guint prefix_len;
  gboolean point_to_point;  /* then @peer is the other end, @prefix_len unused */
  guint8 peer[16];
} ZcIfAddress;

/* The decision without I/O: @address is numeric, IPv6 possibly with
 * "%zone" (ignored: @ifindex says the link). */
gboolean zc_onlink_check (const ZcIfAddress *addresses, gsize n_addresses, int ifindex, const char *address);
/* The same against this host's interfaces now. */
gboolean zc_address_is_on_link (int ifindex, const char *address);
/* 5060, 5061 or an unprivileged port: what a SIP agent listens on; not
 * echo, DNS, NTP or the like a reflected ping could be aimed at. */
gboolean zc_port_is_sane (guint port);
