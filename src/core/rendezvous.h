/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The agent's link to its rendezvous server ([rendezvous] in zcall.conf):
 * the registrar found by RFC 3263 (NAPTR, SRV, A/AAAA) and registered
 * with (sip/register.h), failing over to the next address and backing off
 * after failures; keepalives that hold the NAT binding between refreshes;
 * the STUN and TURN servers resolved for the media's ICE candidates.
 *
 * Nothing here stops LAN discovery or LAN calls: while the rendezvous is
 * unreachable they go on, and the registration keeps retrying. */
#pragma once

#include "core/conf.h"
#include "ice/ice-agent.h"
#include "sip/register.h"
#include "sip/transport.h"
#include "sip/ua.h"

#include <gio/gio.h>

typedef struct _ZcRendezvous ZcRendezvous;

/* Called whenever the state in zc_rendezvous_describe() changes. */
typedef void (*ZcRendezvousChangedFunc) (ZcRendezvous *rdv, gpointer user_data);

/* NULL when no registrar is configured. */
ZcRendezvous *zc_rendezvous_new (const ZcConfig *config,
                                 ZcSipUa *ua,
                                 ZcSipTransport *transport,
                                 const char *instance_id,
                                 ZcRendezvousChangedFunc changed,
                                 gpointer user_data);
/* Unregisters (best effort) and frees. */
void zc_rendezvous_free (ZcRendezvous *rdv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcRendezvous, zc_rendezvous_free)

/* a{sv} for `zcall status --json` under "rendezvous": state
 * ("resolving", "registering", "registered", "failed"), registrar, aor,
 * target (the registrar address in use), status and reason of the last
 * answer, public_address, expires_s, retry_in_s, failures. */
GVariant *zc_rendezvous_describe (ZcRendezvous *rdv);

/* Where a call to @uri goes through the rendezvous: its domain is ours
 * (or not a LAN address) and we are registered.  Fills @flow with the
 * registrar's address (the outbound proxy).  FALSE otherwise. */
gboolean zc_rendezvous_route (ZcRendezvous *rdv, const char *uri, ZcSipFlow *flow);
/* TRUE when @address is the registrar we use (calls it relays are not
 * "from outside the LAN"). */
gboolean zc_rendezvous_is_registrar (ZcRendezvous *rdv, const char *address);
const char *zc_rendezvous_get_domain (ZcRendezvous *rdv);

/* The STUN and TURN servers as numeric addresses, once resolved; each
 * NULL when not configured or not (yet) resolvable. */
void zc_rendezvous_get_ice_servers (ZcRendezvous *rdv, ZcIceServers *servers);
