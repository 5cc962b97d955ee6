/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "liveness"

#include "config.h"
#include "core/liveness.h"

#include "core/targets.h"


/* Checks run four times per probe interval, so the times a user sets are
 * kept to within a quarter interval. */
#define TICKS_PER_INTERVAL 4

struct _ZcLiveness {
  ZcSipUa *ua;
  ZcPeerTable *peers;
  ZcLivenessTimes times;
  guint tick_id;
  guint tick_ms;
  gint64 last_tick_us;
  guint soon_id;
  GHashTable *pings;          /* ping id -> Ping */
  guint unproven_in_flight;   /* pings to adverts that never answered */
};

/* An advert that has never answered is probed ever more rarely: after
 * BACKOFF_AFTER probes in vain one interval apart (an agent still starting
 * up gets the same chances as before), the gap doubles with each further
 * miss, up to 2^BACKOFF_MAX_SHIFT intervals (32 s by default), and an
 * answer resets it.  Made-up adverts thus cost a few pings each, not one a
 * second. */
#define BACKOFF_AFTER 3
#define BACKOFF_MAX_SHIFT 5

/* Every how many pings on a fallback address (a link-local one after the
 * routable one went silent) the preferred address is tried again. */
#define RETRY_PREFERRED_EVERY 8

/* At most this many pings at once to adverts that never answered; the
 * others wait for a later tick.  A ping to an on-link address where no
 * host answers ARP sits in the kernel, charged to the SIP socket's send
 * buffer, for 3 s; a few hundred made-up adverts filled it, and pings to
 * colleagues (who answered before, so never wait here) found no room and
 * they dropped off the list. */
#define MAX_UNPROVEN_PINGS 16

typedef struct {
  ZcLiveness *l;
  char *key;                  /* the peer's */
  guint index;                /* the address pinged (ZcPeerLiveness) */
  gboolean unproven;          /* counted in unproven_in_flight */
} Ping;

static void
ping_free (gpointer data)
{
  Ping *ping = data;

  if (ping->unproven)
    ping->l->unproven_in_flight--;
  g_free (ping->key);
  g_free (ping);
}

static guint
count_addresses (ZcPeer *peer)
{
  g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (peer));
  g_autofree const char **addresses = NULL;

  return g_variant_lookup (view, "addresses", "^a&s", &addresses) ? g_strv_length ((char **) addresses) : 0;
}

/* The address calls use went unanswered: move on to the next one. */
static void
address_failed (ZcPeer *peer)
{
  ZcPeerLiveness *live = zc_peer_get_liveness (peer);
  guint n = count_addresses (peer);
  guint index = live->address_index;

  if (n < 2)
    return;
  live->address_index = (index + 1) % n;
  live->fallback_probes = 0;
  g_message ("peer “%s” does not answer on address %u of %u: trying the next", zc_peer_get_name (peer),
             index + 1, n);
}

static void
ping_done_cb (guint ping_id, int status, double rtt_ms, gpointer user_data)
{
  ZcLiveness *l = user_data;
  Ping *ping = g_hash_table_lookup (l->pings, GUINT_TO_POINTER (ping_id));
  ZcPeer *peer = ping ? zc_peer_table_lookup (l->peers, ping->key) : NULL;
  ZcPeerLiveness *live;
  guint index = ping ? ping->index : 0;

  g_hash_table_remove (l->pings, GUINT_TO_POINTER (ping_id));
  if (peer == NULL)
    return;
  live = zc_peer_get_liveness (peer);
  if (live->ping_id == ping_id)
    live->ping_id = 0;
  /* Any final response, even an error, proves the peer is there. */
  if (status == 0) {
    live->misses++;
    return;
  }
  live->misses = 0;
  /* Only toward a more preferred address: the fallback's own ping still
   * answers once the preferred one is back, and must not undo the move. */
  if (index < live->address_index) {
    g_message ("peer “%s” answers on address %u: calls go there", zc_peer_get_name (peer), index + 1);
    live->address_index = index;
    live->fallback_probes = 0;
  }
  live->last_answer_us = g_get_monotonic_time ();
  live->rtt_ms = rtt_ms;
  live->unreachable_since_us = 0;
  if (!live->reachable || zc_peer_is_hidden (peer))
    g_message ("peer “%s” answers again", zc_peer_get_name (peer));
  zc_peer_table_set_reachable (l->peers, peer, TRUE);
  zc_peer_table_set_hidden (l->peers, peer, FALSE);
}

/* A ping still without answer is not worth its retransmissions: it
 * counts as a miss once a probe interval has passed. */
static void
abandon_ping (ZcLiveness *l, ZcPeerLiveness *live)
{
  if (live->ping_id == 0)
    return;
  g_hash_table_remove (l->pings, GUINT_TO_POINTER (live->ping_id));
  zc_sip_ua_ping_cancel (l->ua, live->ping_id);
  live->ping_id = 0;
  live->misses++;
}

/* How long after the last probe the next one is due. */
static gint64
probe_gap_us (const ZcLiveness *l, ZcPeer *peer)
{
  ZcPeerLiveness *live = zc_peer_get_liveness (peer);
  gint64 interval_us = (gint64) l->times.probe_interval_ms * 1000;

  /* Hidden peers that once answered are still pinged, more slowly, so
   * they come back. */
  if (live->rtt_ms >= 0)
    return interval_us * (zc_peer_is_hidden (peer) ? 4 : 1);
  return interval_us << MIN (live->misses > BACKOFF_AFTER ? live->misses - BACKOFF_AFTER : 0, BACKOFF_MAX_SHIFT);
}

/* An OPTIONS ping to the peer's address number @index; its id, 0 when none
 * went out.  Only an address on one of our links, with a sane port
 * (discovery's check), is pinged: the agent must not send packets where
 * any advert points. */
static guint
send_ping (ZcLiveness *l, ZcPeer *peer, GVariant *view, guint index)
{
  const char *uri = NULL;
  ZcSipFlow flow;
  Ping *ping;
  guint id;

  /* The URI has no zone; the flow keeps a link-local address's link. */
  if (!g_variant_lookup (view, "uri", "&s", &uri) || !zc_target_peer_flow (view, index, &flow) ||
      !zc_peer_address_is_pingable (peer, flow.address))
    return 0;
  id = zc_sip_ua_ping (l->ua, uri, &flow);
  if (id != 0) {
    ping = g_new0 (Ping, 1);
    ping->l = l;
    ping->key = g_strdup (zc_peer_get_key (peer));
    ping->index = index;
    ping->unproven = zc_peer_get_liveness (peer)->rtt_ms < 0;
    l->unproven_in_flight += ping->unproven;
    g_hash_table_insert (l->pings, GUINT_TO_POINTER (id), ping);
  }
  return id;
}

static void
probe (ZcLiveness *l, ZcPeer *peer, gint64 now)
{
  ZcPeerLiveness *live = zc_peer_get_liveness (peer);
  g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (peer));
  ZcSipFlow flow;

  if (!zc_target_peer_flow (view, 0, &flow))
    return;
  /* Still due: probed at a later tick, when a slot is free. */
  if (live->rtt_ms < 0 && live->ping_id == 0 && l->unproven_in_flight >= MAX_UNPROVEN_PINGS)
    return;
  /* Two probe intervals without an answer (one could be a ping answered
   * late on a busy PC): the address calls use is no good now.  Only zcall
   * agents are known to answer OPTIONS: a desk phone's silence says
   * nothing about its address. */
  if (zc_peer_has_instance_id (peer) && live->last_answer_us != 0 &&
      now - live->last_answer_us >= 2 * (gint64) l->times.probe_interval_ms * 1000)
    address_failed (peer);
  abandon_ping (l, live);
  /* On a fallback address, now and then the preferred one as well: it
   * may be back (the routable network's cable plugged in again).  Beside
   * the usual ping, not instead: a preferred address still dead must not
   * make the peer look unreachable for a while. */
  if (live->address_index > 0 && ++live->fallback_probes % RETRY_PREFERRED_EVERY == 0)
    send_ping (l, peer, view, 0);
  live->ping_id = send_ping (l, peer, view, live->address_index);
  live->last_probe_us = now;
  if (live->last_answer_us == 0)
    live->last_answer_us = now; /* the clock starts at the first probe */
  /* Nothing pingable there (the address is on none of our links, or the
   * port is odd): a probe in vain, so the peer ends up unreachable and
   * backs off like one that does not answer. */
  if (live->ping_id == 0 && live->misses++ == 0)
    g_message ("peer “%s” advertises no address on this host's links (or an odd port): not pinged",
               zc_peer_get_name (peer));
}

/* How long this agent itself did not run (its main loop was busy, or the
 * machine starved it) since the last tick, beyond two tick intervals (a
 * tick one interval late is ordinary timer slack).
 * Answers that came meanwhile wait unread in the socket, so that time says
 * nothing about the peers: it is not counted as their silence.  Otherwise
 * a flood of adverts that keeps the agent busy would make every colleague
 * look unreachable and drop off the list. */
static gint64
own_stall_us (ZcLiveness *l, gint64 now)
{
  gint64 late = l->last_tick_us != 0 ? now - l->last_tick_us - 2 * (gint64) l->tick_ms * 1000 : 0;

  l->last_tick_us = now;
  return MAX (late, 0);
}

/* Pings to peers no longer in the table (an agent that said goodbye) stop
 * here: their retransmissions would go to a host that left, for the 32 s
 * of the transaction. */
static void
abandon_orphan_pings (ZcLiveness *l)
{
  GHashTableIter iter;
  gpointer id;
  Ping *ping;

  g_hash_table_iter_init (&iter, l->pings);
  while (g_hash_table_iter_next (&iter, &id, (gpointer *) &ping)) {
    if (zc_peer_table_lookup (l->peers, ping->key) != NULL)
      continue;
    zc_sip_ua_ping_cancel (l->ua, GPOINTER_TO_UINT (id));
    g_hash_table_iter_remove (&iter);
  }
}

static gboolean
has_others (GPtrArray *peers)
{
  for (guint i = 0; i < peers->len; i++)
    if (!zc_peer_is_self (g_ptr_array_index (peers, i)))
      return TRUE;
  return FALSE;
}

static gboolean
tick_cb (gpointer user_data)
{
  ZcLiveness *l = user_data;
  g_autoptr (GPtrArray) all = zc_peer_table_list_all (l->peers);
  gint64 now = g_get_monotonic_time ();
  gint64 stall = own_stall_us (l, now);

  l->soon_id = 0;
  abandon_orphan_pings (l);
  if (!has_others (all)) {
    /* Alone on the LAN: nothing to probe, and an idle agent sleeps until
     * a peer appears (zc_liveness_probe_soon()).  Not counted as a stall
     * then. */
    l->last_tick_us = 0;
    g_clear_handle_id (&l->tick_id, g_source_remove);
    return G_SOURCE_REMOVE;
  }
  if (stall > 0)
    g_debug ("the agent did not run for %d ms: not counted as the peers' silence", (int) (stall / 1000));
  for (guint i = 0; i < all->len; i++) {
    ZcPeer *peer = g_ptr_array_index (all, i);
    ZcPeerLiveness *live = zc_peer_get_liveness (peer);
    gint64 silent_ms;

    if (zc_peer_is_self (peer))
      continue;
    if (stall > 0) {
      /* The ping in flight may have its answer waiting: not abandoned yet. */
      live->last_probe_us = MIN (live->last_probe_us + stall, now);
      if (live->last_answer_us != 0)
        live->last_answer_us = MIN (live->last_answer_us + stall, now);
      if (live->unreachable_since_us != 0)
        live->unreachable_since_us = MIN (live->unreachable_since_us + stall, now);
    }
    if (live->ping_id != 0 && now - live->last_probe_us >= (gint64) l->times.probe_interval_ms * 1000)
      abandon_ping (l, live);
    if (now - live->last_probe_us >= probe_gap_us (l, peer))
      probe (l, peer, now);
    silent_ms = (now - live->last_answer_us) / 1000;
    if (live->reachable && silent_ms > (gint64) l->times.unreachable_after_ms) {
      g_message ("peer “%s” does not answer: unreachable", zc_peer_get_name (peer));
      live->unreachable_since_us = now;
      zc_peer_table_set_reachable (l->peers, peer, FALSE);
    }
    /* Only zcall agents are known to answer OPTIONS; a foreign advert
     * (a desk phone that ignores pings) stays listed as unreachable. */
    if (!live->reachable && !zc_peer_is_hidden (peer) && zc_peer_has_instance_id (peer) &&
        now - live->unreachable_since_us >= (gint64) l->times.remove_after_ms * 1000) {
      g_message ("peer “%s” removed from the list: no answer for %u ms", zc_peer_get_name (peer),
                 (guint) silent_ms);
      zc_peer_table_set_hidden (l->peers, peer, TRUE);
    }
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
soon_cb (gpointer user_data)
{
  tick_cb (user_data);
  return G_SOURCE_REMOVE;
}

void
zc_liveness_probe_soon (ZcLiveness *l)
{
  if (l->tick_id == 0)
    l->tick_id = g_timeout_add (l->tick_ms, tick_cb, l);
  if (l->soon_id == 0)
    l->soon_id = g_idle_add (soon_cb, l);
}

ZcLiveness *
zc_liveness_new (ZcSipUa *ua, ZcPeerTable *peers, const ZcLivenessTimes *times)
{
  ZcLiveness *l = g_new0 (ZcLiveness, 1);

  l->ua = ua;
  l->peers = peers;
  l->times = *times;
  l->pings = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, ping_free);
  zc_sip_ua_set_ping_handler (ua, ping_done_cb, l);
  l->tick_ms = MAX (times->probe_interval_ms / TICKS_PER_INTERVAL, 50);
  l->tick_id = g_timeout_add (l->tick_ms, tick_cb, l);
  return l;
}

void
zc_liveness_free (ZcLiveness *l)
{
  if (l == NULL)
    return;
  zc_sip_ua_set_ping_handler (l->ua, NULL, NULL);
  g_clear_handle_id (&l->tick_id, g_source_remove);
  g_clear_handle_id (&l->soon_id, g_source_remove);
  g_hash_table_unref (l->pings);
  g_free (l);
}
