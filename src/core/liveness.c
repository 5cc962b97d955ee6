/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "liveness"

#include "config.h"
#include "core/liveness.h"


/* Checks run four times per probe interval, so the times a user sets are
 * kept to within a quarter interval. */
#define TICKS_PER_INTERVAL 4
/* An advert that has never answered is probed ever more rarely: after
 * BACKOFF_AFTER probes in vain one interval apart (an agent still starting
 * up gets the same chances as before), the gap doubles with each further
 * miss, up to 2^BACKOFF_MAX_SHIFT intervals (32 s by default), and an
 * answer resets it.  Made-up adverts thus cost a few pings each, not one a
 * second. */
#define BACKOFF_AFTER 3
#define BACKOFF_MAX_SHIFT 5

struct _ZcLiveness {
  ZcSipUa *ua;
  ZcPeerTable *peers;
  ZcLivenessTimes times;
  guint tick_id;
  guint soon_id;
  GHashTable *pings;          /* ping id -> peer key */
};

static void
ping_done_cb (guint ping_id, int status, double rtt_ms, gpointer user_data)
{
  ZcLiveness *l = user_data;
  const char *key = g_hash_table_lookup (l->pings, GUINT_TO_POINTER (ping_id));
  ZcPeer *peer = key ? zc_peer_table_lookup (l->peers, key) : NULL;
  ZcPeerLiveness *live;

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

static void
probe (ZcLiveness *l, ZcPeer *peer, gint64 now)
{
  ZcPeerLiveness *live = zc_peer_get_liveness (peer);
  g_autofree char *uri = zc_peer_dup_ping_uri (peer);
  ZcSipFlow flow;
  guint id;

  abandon_ping (l, live);
  live->last_probe_us = now;
  if (live->last_answer_us == 0)
    live->last_answer_us = now; /* the clock starts at the first probe */
  /* No pingable record (the address is on none of our links, or the port
   * is odd): a probe in vain, so the peer ends up unreachable and backs
   * off like one that does not answer. */
  if (uri == NULL || !zc_sip_uri_to_flow (uri, &flow)) {
    if (live->misses++ == 0)
      g_message ("peer “%s” advertises no address on this host's links (or an odd port): not pinged",
                 zc_peer_get_name (peer));
    return;
  }
  id = zc_sip_ua_ping (l->ua, uri, &flow);
  if (id != 0) {
    live->ping_id = id;
    g_hash_table_insert (l->pings, GUINT_TO_POINTER (id), g_strdup (zc_peer_get_key (peer)));
  }
}

static gboolean
tick_cb (gpointer user_data)
{
  ZcLiveness *l = user_data;
  g_autoptr (GPtrArray) all = zc_peer_table_list_all (l->peers);
  gint64 now = g_get_monotonic_time ();

  l->soon_id = 0;
  for (guint i = 0; i < all->len; i++) {
    ZcPeer *peer = g_ptr_array_index (all, i);
    ZcPeerLiveness *live = zc_peer_get_liveness (peer);
    gint64 silent_ms;

    if (zc_peer_is_self (peer))
      continue;
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
  l->pings = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  zc_sip_ua_set_ping_handler (ua, ping_done_cb, l);
  l->tick_id = g_timeout_add (MAX (times->probe_interval_ms / TICKS_PER_INTERVAL, 50), tick_cb, l);
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
