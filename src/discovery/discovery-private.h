/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What discovery.c (browsing, resolving, the avahi client) and publish.c
 * (our own service) share. */
#pragma once

#include "discovery/discovery.h"
#include "discovery/resolve-bus.h"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-glib/glib-watch.h>

#define ZC_DISCOVERY_N_TYPES 2
extern const char *const zc_discovery_service_types[ZC_DISCOVERY_N_TYPES];

struct _ZcDiscovery {
  ZcDiscoveryCallbacks events;
  gpointer user_data;

  ZcAdvert advert;            /* as configured */
  char *published_name;       /* after collision renaming */
  char *host;

  AvahiGLibPoll *poll;
  AvahiClient *client;
  AvahiEntryGroup *group;
  AvahiServiceBrowser *browsers[ZC_DISCOVERY_N_TYPES];
  ZcResolveBus *resolve_bus;  /* resolvers, off the main loop's back (resolve-bus.h) */
  GHashTable *services;       /* service key -> Service* */
  GQueue queue;               /* Service* waiting for a resolver slot */
  GQueue requeue;             /* ...of those, services found before: first */
  guint n_resolving;
  guint n_following;
  guint pump_id;              /* idle source starting the next resolve */
  gboolean services_full_warned;
  guint reconnect_id;
  guint sweep_id;             /* removes the stale services after a reconnect */
  gint64 browse_start_us;
  gboolean all_for_now[ZC_DISCOVERY_N_TYPES];

  guint txt_rev;               /* the TXT key rev=: one more per record built */
  ZcDiscoveryState state;
  char *detail;
};

/* Reports a state change to the core, once per change. */
void zc_discovery_report_state (ZcDiscovery *d, ZcDiscoveryState state, const char *detail);
void zc_discovery_set_published_name (ZcDiscovery *d, const char *name);
/* (Re)creates the entry group with both service types and commits it. */
void zc_discovery_publish (ZcDiscovery *d);
