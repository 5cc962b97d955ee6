/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The peers seen through DNS-SD.  One agent shows up as several services:
 * two service types, IPv4 and IPv6 mDNS, several interfaces.  The table
 * merges them into one peer keyed by the TXT instance_id and fingerprint
 * (fp=), falling back to the service name for publishers that are not
 * zcall, and reports peers appearing, changing and leaving.  No I/O: the
 * discovery glue feeds it.
 *
 * Anyone can copy an advert's name, user and instance_id, but not the key
 * behind its fp=: records that differ in fp= (or where one has none) are
 * never merged, so a copy is an entry of its own.  Its trust verdict comes
 * from the core (peer_trust, from the known-peers pins); the table flags
 * as "conflict" every entry that claims the instance_id or the service
 * name of another entry whose trust ranks higher (verified > known > new >
 * none > changed).  A flagged entry is never a call target. */
#pragma once

#include "discovery/txt.h"

#include <glib.h>

/* One resolved service as avahi reported it.  Strings are sanitised. */
typedef struct {
  int ifindex;
  char *ifname;
  int family;            /* AF_INET or AF_INET6: the mDNS transport */
  char *type;
  char *name;
  char *domain;
  char *host;
  char *address;         /* numeric; IPv6 link-local with "%ifname" */
  guint16 port;
  ZcTxt txt;
  /* @address is on a link of @ifindex and @port is sane (onlink.h): the
   * only records liveness pings go to. */
  gboolean pingable;
} ZcServiceRecord;

ZcServiceRecord *zc_service_record_new (void);
void zc_service_record_free (ZcServiceRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcServiceRecord, zc_service_record_free)

typedef struct _ZcPeer ZcPeer;

/* Liveness of a peer, kept by the core's prober: mDNS says nothing when
 * a PC crashes, so OPTIONS pings decide whether a peer is still there. */
typedef struct {
  gboolean reachable;        /* TRUE until pings say otherwise */
  double rtt_ms;             /* last round trip, -1 when unknown */
  gint64 last_answer_us;     /* monotonic time of the last answer */
  gint64 last_probe_us;
  gint64 unreachable_since_us;
  guint ping_id;             /* ping in flight, 0 if none */
  /* The address calls and pings use, an index into the peer's addresses
   * (routable first): the next one once a zcall agent has not answered
   * for two probe intervals, so a link-local address serves when the
   * routable one fails (core/liveness.c). */
  guint address_index;
  guint fallback_probes;     /* pings sent while address_index > 0 */
  guint misses;              /* probes in a row without answer, for the back-off */
} ZcPeerLiveness;
typedef struct _ZcPeerTable ZcPeerTable;

/* Bounds on what adverts can make the table hold (zcalld(8), LIMITS).
 * Beyond them a new entry takes the place of one that has never answered
 * a ping and is not pinned (hidden ones first, then those probed in vain,
 * then the oldest), or is refused when there is none: a flood of made-up
 * adverts never pushes out a colleague that answers or is pinned. */
#define ZC_PEER_TABLE_MAX_PEERS 256         /* entries, self not counted */
#define ZC_PEER_TABLE_MAX_PER_ADDRESS 8     /* entries advertising one address */
/* Entries whose records name one host (SRV target) in any case: a host
 * that publishes many addresses does not get more room for that.  Avahi
 * does not tell its clients where an announcement came from, so the host
 * name stands for the publisher. */
#define ZC_PEER_TABLE_MAX_PER_HOST 8
#define ZC_PEER_TABLE_MAX_RECORDS 16        /* records (services) of one entry */

typedef struct {
  void (*peer_added) (const ZcPeer *peer, gpointer user_data);
  void (*peer_changed) (const ZcPeer *peer, gpointer user_data);
  void (*peer_removed) (const ZcPeer *peer, gpointer user_data);
  /* The trust verdict of a new entry, before it is first reported: "none",
   * "new", "known", "verified" or "changed" (a static string).  NULL
   * callback: every entry is "none". */
  const char *(*peer_trust) (const ZcPeer *peer, gpointer user_data);
} ZcPeerTableCallbacks;

ZcPeerTable *zc_peer_table_new (const char *self_instance_id, const ZcPeerTableCallbacks *events,
                                gpointer user_data);
void zc_peer_table_free (ZcPeerTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcPeerTable, zc_peer_table_free)

/* Our own fp= (compact): only adverts with our instance_id *and* this
 * fingerprint are "self"; a copy of our instance_id with another key is a
 * peer (and gets flagged).  NULL: the instance_id alone decides. */
void zc_peer_table_set_self_fingerprint (ZcPeerTable *table, const char *fingerprint);

/* Adds or replaces the record with the same (ifindex, family, type, name,
 * domain); takes ownership of @record. */
void zc_peer_table_update (ZcPeerTable *table, ZcServiceRecord *record);
void zc_peer_table_remove (ZcPeerTable *table, int ifindex, int family, const char *type,
                           const char *name, const char *domain);
/* Forget everything (avahi-daemon went away), reporting each removal. */
void zc_peer_table_clear (ZcPeerTable *table);

/* Visible peers sorted by name; the array holds borrowed pointers. */
GPtrArray *zc_peer_table_list (ZcPeerTable *table, gboolean include_self);
/* Every peer, hidden ones and self included, in no order (for the
 * prober). */
GPtrArray *zc_peer_table_list_all (ZcPeerTable *table);
ZcPeer *zc_peer_table_lookup (ZcPeerTable *table, const char *key);
/* The peer (not self) whose fp= is @fingerprint, in any form
 * zc_fingerprint_parse() reads (a DTLS certificate's "sha-256 AB:..."),
 * preferring one not flagged as conflict; NULL when none is. */
ZcPeer *zc_peer_table_lookup_fingerprint (ZcPeerTable *table, const char *fingerprint);

/* Reachability changes the state peers see ("unreachable"); hiding takes
 * a peer out of the list (reported as removed) while its adverts stay. */
void zc_peer_table_set_reachable (ZcPeerTable *table, ZcPeer *peer, gboolean reachable);
void zc_peer_table_set_hidden (ZcPeerTable *table, ZcPeer *peer, gboolean hidden);
guint zc_peer_table_count (ZcPeerTable *table, gboolean include_self);

/* A new verdict (after `zcall trust`): re-flags the table and reports. */
void zc_peer_table_set_trust (ZcPeerTable *table, ZcPeer *peer, const char *trust);

gboolean zc_peer_is_self (const ZcPeer *peer);
/* The verdict ("none" ... "changed") and whether another entry with a
 * better claim to this one's instance_id or name exists. */
const char *zc_peer_get_trust (const ZcPeer *peer);
gboolean zc_peer_is_conflict (const ZcPeer *peer);
/* TXT instance_id and fp= (compact) of the peer; NULL when absent. */
const char *zc_peer_get_instance_id (const ZcPeer *peer);
const char *zc_peer_get_fingerprint (const ZcPeer *peer);
gboolean zc_peer_is_hidden (const ZcPeer *peer);
/* TRUE for zcall agents (they advertise an instance_id). */
gboolean zc_peer_has_instance_id (const ZcPeer *peer);
const char *zc_peer_get_key (const ZcPeer *peer);
ZcPeerLiveness *zc_peer_get_liveness (ZcPeer *peer);
/* Whether @address (as the peer's "addresses" list it, a link-local one
 * with "%ifname") belongs to one of its pingable records. */
gboolean zc_peer_address_is_pingable (const ZcPeer *peer, const char *address);
const char *zc_peer_get_name (const ZcPeer *peer);
const char *zc_peer_get_user (const ZcPeer *peer);

/* The peer as an a{sv} dictionary with the keys documented in
 * data/org.zcall.Agent1.xml (floating reference). */
GVariant *zc_peer_to_variant (const ZcPeer *peer);
