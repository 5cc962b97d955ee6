/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Who a call goes to and who may call: targets as users type them,
 * matched against the discovered peers, and the accept-from=lan test. */
#pragma once

#include "discovery/peer-table.h"
#include "sip/transport.h"

#include <gio/gio.h>

/* "sip:bob@198.18.0.2:5060" from a target as the user typed it, or an
 * error (ZC_CALLS_ERROR): a peer name or user (case-insensitive; a name
 * beats a user), a sip:/sips: URI, or user@host[:port]. */
char *zc_target_resolve (ZcPeerTable *peers, const char *target, GError **error);

typedef enum {
  ZC_TARGET_FOR_CALL,   /* a peer whose key changed is refused */
  ZC_TARGET_FOR_TRUST,  /* ... but can be trusted again */
} ZcTargetPurpose;

/* The discovered peer a name or user names, by the rules of
 * zc_target_resolve().  Entries flagged as conflicts (copies of another
 * peer's instance_id or name) are never returned: if only they match, the
 * error says so (ZC_CALLS_ERROR_UNTRUSTED).  For a call, a peer whose trust
 * is "changed" fails with ZC_CALLS_ERROR_UNTRUSTED and a message that says
 * how to accept the new key. */
ZcPeer *zc_target_find_peer (ZcPeerTable *peers, const char *target, ZcTargetPurpose purpose,
                             GError **error);

/* Whether calls to and from @peer (a dictionary) must be refused: its key
 * changed, or it copies another peer's identity.  @reason gets "identity
 * changed" or "identity conflict". */
gboolean zc_target_peer_is_refused (GVariant *peer, const char **reason);

/* zc_target_resolve(), and where to send to reach the target: for a
 * discovered peer its preferred address (routable before link-local; the
 * one its liveness pings found answering, see ZcPeerLiveness),
 * with the interface ("fe80::2%eth0") a link-local one needs; for a URI,
 * zc_target_flow_for_uri(). */
char *zc_target_route (ZcPeerTable *peers, const char *target, ZcSipFlow *flow, GError **error);

/* Where to send to reach the discovered peer @view (its dictionary): its
 * address number @index (modulo their number) in the order of preference,
 * zone included.  FALSE when it has no address or port yet. */
gboolean zc_target_peer_flow (GVariant *view, guint index, ZcSipFlow *flow);

/* Where to send to reach @uri: its numeric host, or the address of the
 * discovered peer whose mDNS host name it names.  A link-local host gets
 * the zone of the one link where a discovered peer has that address;
 * on several links (or none) that is an error. */
gboolean zc_target_flow_for_uri (ZcPeerTable *peers, const char *uri, ZcSipFlow *flow, GError **error);

/* The transport of a call to @uri at @flow (from zc_target_flow_for_uri),
 * @peer the discovered peer at that address or NULL, @tls_on whether we
 * have SIP over TLS.  A sips: or transport=tls target goes over TLS or
 * not at all (RFC 3261 26.2.2): to a zcall peer that advertises no TLS
 * port, or with our TLS off, it fails (ZC_CALLS_ERROR_FAILED) before
 * anything is sent.  A plain target goes over TLS when both ends have it.
 * Over TLS to a zcall peer, @flow expects the peer's key (its fingerprint)
 * and goes to its TLS port; *@uri is rewritten to match when upgraded. */
gboolean zc_target_choose_transport (GVariant *peer, char **uri, ZcSipFlow *flow, gboolean tls_on, GError **error);

/* accept-from=lan: @address is on one of our subnets or is a peer's. */
gboolean zc_target_address_is_local (ZcPeerTable *peers, const char *address);

/* The peer dictionary whose addresses include @address, or NULL. */
GVariant *zc_target_peer_by_address (ZcPeerTable *peers, const char *address);

/* The discovered peer a request's From @uri claims to be: the entry whose
 * addresses include the URI's host (numeric, or a peer's mDNS host name),
 * the one with the URI's user and port when several share the address,
 * one that is not refused before one that is.  NULL when the host is no
 * discovered peer's (a phone, a PBX): then only the source address can
 * name the caller. */
GVariant *zc_target_peer_for_uri (ZcPeerTable *peers, const char *uri);

/* Who an incoming request from @address claims to be: its From @uri's
 * peer (zc_target_peer_for_uri), else the peer at @address.  Its pin is
 * what the caller's TLS certificate or DTLS key must match: a host with a
 * key of its own cannot pass for a colleague by naming him in From. */
GVariant *zc_target_claimed_peer (ZcPeerTable *peers, const char *uri, const char *address);
