/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DNS-SD through avahi-daemon, on the caller's GMainContext: publishes
 * this agent as _sip._udp and _sipuri._udp, browses and resolves both
 * types, and reports what it finds.  It survives avahi-daemon being absent
 * at start and restarting later, and keeps what it found across a
 * restart until the daemon is back and says it is gone. */
#pragma once

#include "discovery/peer-table.h"

#include <glib.h>

typedef enum {
  ZC_DISCOVERY_DISABLED,
  ZC_DISCOVERY_WAITING,       /* no avahi-daemon (or no system bus) yet */
  ZC_DISCOVERY_REGISTERING,   /* probing our name */
  ZC_DISCOVERY_RUNNING,       /* published and browsing */
  ZC_DISCOVERY_COLLISION,     /* host name conflict, avahi is renaming */
  ZC_DISCOVERY_FAILURE,
} ZcDiscoveryState;

const char *zc_discovery_state_to_string (ZcDiscoveryState state);

/* What this agent advertises.  The TXT "contact" is built from the mDNS
 * host name once avahi tells it. */
typedef struct {
  char *service_name;
  guint16 port;
  char *user;
  char *display_name;
  char *instance_id;
  char *state;
  char *fingerprint;    /* compact form for TXT fp= */
  guint16 tls_port;     /* TXT tls=, 0: no SIP over TLS */
  char *note;           /* TXT note=, NULL or "": none */
  gboolean forwarding;  /* TXT fwd=1: incoming calls are forwarded */
} ZcAdvert;

typedef struct {
  void (*state_changed) (ZcDiscoveryState state, const char *detail, gpointer user_data);
  /* The advertised name changed (collision renaming), or NULL: withdrawn. */
  void (*name_changed) (const char *service_name, gpointer user_data);
  /* Ownership of @record passes to the callee. */
  void (*service_resolved) (ZcServiceRecord *record, gpointer user_data);
  /* Also for the services seen before avahi-daemon went away that its
   * return does not bring back: until then they are kept. */
  void (*service_removed) (int ifindex, int family, const char *type, const char *name,
                           const char *domain, gpointer user_data);
} ZcDiscoveryCallbacks;

typedef struct _ZcDiscovery ZcDiscovery;

ZcDiscovery *zc_discovery_new (const ZcAdvert *advert, const ZcDiscoveryCallbacks *events,
                               gpointer user_data);
/* Withdraws the adverts (avahi sends the goodbye packets) and frees. */
void zc_discovery_free (ZcDiscovery *discovery);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcDiscovery, zc_discovery_free)

/* Re-publish the TXT record with a new state ("available", "ringing",
 * "on-call", "dnd") or note (avahi announces the change at once). */
void zc_discovery_set_state (ZcDiscovery *discovery, const char *state);
void zc_discovery_set_note (ZcDiscovery *discovery, const char *note);
/* The same with fwd=1 while calls are forwarded (`zcall forward`). */
void zc_discovery_set_forwarding (ZcDiscovery *discovery, gboolean forwarding);

ZcDiscoveryState zc_discovery_get_state (ZcDiscovery *discovery);
const char *zc_discovery_get_detail (ZcDiscovery *discovery);
/* The name currently published (after renaming), or NULL. */
const char *zc_discovery_get_service_name (ZcDiscovery *discovery);
/* The mDNS host name ("pc7.local"), or NULL while unknown. */
const char *zc_discovery_get_host (ZcDiscovery *discovery);
/* The SIP URI advertised in TXT "contact". */
char *zc_discovery_build_contact (const char *user, const char *host, guint16 port);
