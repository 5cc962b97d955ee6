/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "media"

#include "config.h"

#include "media/jitter.h"

#include <string.h>

/* Ticks without a late packet before a tick may be given back (5 s). */
#define SHRINK_WINDOW_TICKS 250
/* A sequence number this far behind what was played, or a timestamp more
 * than this many seconds off the playout point, is a new stream under the
 * same SSRC (a PBX switching sources): start playout afresh. */
#define RESTART_SEQ_BEHIND 100
#define RESTART_TS_SECONDS 2
/* This far ahead of what was played is no packet loss either: 4 s of
 * 20 ms packets, whose timestamps would be seconds off too. */
#define RESTART_SEQ_AHEAD 200
/* A new stream must first pass probation (RFC 3550 A.1 does the same for
 * sequence numbers): this many packets that follow each other (same SSRC,
 * sequence numbers a few apart, timestamps under a second apart), arriving
 * over this many ticks, with no packet of the current stream in between.
 * Until then they are dropped and the current stream plays on: one forged
 * packet, or a burst, cannot throw the stream away, while a peer that
 * really restarted is followed after two packets.  (What comes from the
 * wrong address never gets here: ice-agent.c filters plain RTP by source,
 * libnice filters ICE.) */
#define PROBATION_PACKETS 3
#define PROBATION_TICKS 2
#define PROBATION_SEQ_GAP 10

struct _ZcJitter {
  guint32 per_ms;        /* RTP clock units per millisecond */
  guint32 tick_ts;       /* RTP clock units per tick */
  gint32 min_ts, max_ts; /* depth bounds */
  gint32 target_ts;      /* the depth now */

  ZcJitterPacket slots[ZC_JITTER_SLOTS];
  gboolean used[ZC_JITTER_SLOTS];

  gboolean started;      /* an audio packet set the playout point */
  guint32 ssrc;
  guint32 playout;       /* RTP time at the start of this tick */
  gboolean have_popped;
  guint16 last_seq;      /* last handed out */
  guint pending_discard; /* audio packets to skip after a shrink */

  guint64 ticks;         /* zc_jitter_tick() calls, started or not */
  /* The new stream on probation. */
  guint candidate_count; /* 0: none */
  guint32 candidate_ssrc;
  guint16 candidate_seq;
  guint32 candidate_ts;
  guint64 candidate_tick;

  guint window_ticks;    /* since the last late packet or shrink */
  gint32 min_margin;     /* least margin (see zc_jitter_put()) in the window */

  ZcJitterStats stats;
};

ZcJitter *
zc_jitter_new (guint clock_rate, guint tick_ms, guint initial_ms, guint min_ms, guint max_ms)
{
  ZcJitter *jitter = g_new0 (ZcJitter, 1);
  guint32 per_ms = MAX (clock_rate / 1000, 1u);

  jitter->per_ms = per_ms;
  jitter->tick_ts = per_ms * tick_ms;
  jitter->min_ts = (gint32) (per_ms * MAX (min_ms, tick_ms));
  jitter->max_ts = (gint32) MAX (per_ms * max_ms, (guint32) jitter->min_ts);
  jitter->target_ts = CLAMP ((gint32) (per_ms * initial_ms), jitter->min_ts, jitter->max_ts);
  jitter->min_margin = G_MAXINT32;
  return jitter;
}

void
zc_jitter_free (ZcJitter *jitter)
{
  g_free (jitter);
}

static void
restart (ZcJitter *jitter)
{
  memset (jitter->used, 0, sizeof jitter->used);
  jitter->started = FALSE;
  jitter->have_popped = FALSE;
  jitter->pending_discard = 0;
  jitter->window_ticks = 0;
  jitter->min_margin = G_MAXINT32;
  jitter->candidate_count = 0;
}

/* RFC 3550 sequence numbers wrap: order them as RFC 1982 serial numbers. */
static gboolean
seq_before (guint16 a, guint16 b)
{
  return (gint16) (guint16) (a - b) < 0;
}

static void
grow (ZcJitter *jitter)
{
  jitter->stats.late++;
  jitter->window_ticks = 0;
  jitter->min_margin = G_MAXINT32;
  if (jitter->target_ts + (gint32) jitter->tick_ts <= jitter->max_ts) {
    jitter->target_ts += (gint32) jitter->tick_ts;
    jitter->playout -= jitter->tick_ts;
  }
}

/* A new SSRC, or the same one with a timeline that does not continue what
 * plays: a restarted sender, or a forged packet. */
static gboolean
is_new_stream (const ZcJitter *jitter, const ZcJitterPacket *packet)
{
  gint16 seq_delta = (gint16) (guint16) (packet->seq - jitter->last_seq);

  if (jitter->started && packet->ssrc != jitter->ssrc)
    return TRUE;
  if (jitter->started && packet->audio
      && ABS ((gint64) (gint32) (packet->ts - jitter->playout)) > (gint64) jitter->per_ms * 1000 * RESTART_TS_SECONDS)
    return TRUE;
  if (jitter->started && jitter->have_popped && seq_delta >= RESTART_SEQ_AHEAD)
    return TRUE;
  return jitter->have_popped && seq_delta <= -RESTART_SEQ_BEHIND;
}

/* Counts @packet towards its stream's probation; TRUE once it passed. */
static gboolean
probation_passed (ZcJitter *jitter, const ZcJitterPacket *packet)
{
  guint16 seq_step = (guint16) (packet->seq - jitter->candidate_seq);
  gboolean follows = jitter->candidate_count > 0 && packet->ssrc == jitter->candidate_ssrc && seq_step >= 1
                     && seq_step <= PROBATION_SEQ_GAP
                     && (!packet->audio || packet->ts - jitter->candidate_ts <= jitter->per_ms * 1000);

  if (!follows) {
    jitter->candidate_count = 0;
    jitter->candidate_tick = jitter->ticks;
    jitter->candidate_ts = packet->ts;
  }
  jitter->candidate_count++;
  jitter->candidate_ssrc = packet->ssrc;
  jitter->candidate_seq = packet->seq;
  if (packet->audio)
    jitter->candidate_ts = packet->ts;
  return jitter->candidate_count >= PROBATION_PACKETS && jitter->ticks - jitter->candidate_tick >= PROBATION_TICKS;
}

gboolean
zc_jitter_put (ZcJitter *jitter, const ZcJitterPacket *packet)
{
  gint free_slot = -1, oldest = -1;

  if (packet->len > ZC_JITTER_MAX_PAYLOAD) {
    jitter->stats.dropped++;
    return FALSE;
  }
  if (is_new_stream (jitter, packet)) {
    if (!probation_passed (jitter, packet)) {
      jitter->stats.probation++;
      return FALSE;
    }
    restart (jitter);
  } else {
    jitter->candidate_count = 0; /* the current stream is alive: no switch */
  }
  if (jitter->have_popped && !seq_before (jitter->last_seq, packet->seq)) {
    /* Its turn has passed: a duplicate, or so late that what followed it
     * has already played. */
    jitter->stats.dropped++;
    if (packet->audio && jitter->started)
      grow (jitter);
    return FALSE;
  }
  for (gint i = 0; i < ZC_JITTER_SLOTS; i++) {
    if (!jitter->used[i]) {
      free_slot = free_slot < 0 ? i : free_slot;
      continue;
    }
    if (jitter->slots[i].seq == packet->seq) {
      jitter->stats.dropped++;
      return FALSE;
    }
    if (oldest < 0 || seq_before (jitter->slots[i].seq, jitter->slots[oldest].seq))
      oldest = i;
  }
  if (free_slot < 0) {
    /* Full: playout has stalled far behind the stream; the oldest goes. */
    jitter->stats.dropped++;
    free_slot = oldest;
  }

  jitter->slots[free_slot] = *packet;
  jitter->slots[free_slot].discard = FALSE;
  jitter->used[free_slot] = TRUE;

  if (!packet->audio)
    return TRUE;
  if (!jitter->started) {
    jitter->started = TRUE;
    jitter->ssrc = packet->ssrc;
    jitter->playout = packet->ts - (guint32) jitter->target_ts;
    return TRUE;
  }
  {
    /* Packets are put at the start of a tick, before zc_jitter_tick():
     * one due before the end of the last tick has missed its turn (that
     * tick was concealed).  The margin is how early it came. */
    gint32 margin = (gint32) (packet->ts - jitter->playout) - (gint32) jitter->tick_ts;

    if (margin < 0)
      grow (jitter);
    else
      jitter->min_margin = MIN (jitter->min_margin, margin);
  }
  return TRUE;
}

void
zc_jitter_tick (ZcJitter *jitter)
{
  jitter->ticks++;
  if (!jitter->started)
    return;
  jitter->playout += jitter->tick_ts;
  if (++jitter->window_ticks < SHRINK_WINDOW_TICKS)
    return;
  /* Five seconds in which every packet came a whole tick before its turn
   * (a path that calmed down, or a sender whose clock runs a little
   * fast): give that tick back. */
  if (jitter->min_margin != G_MAXINT32 && jitter->min_margin >= (gint32) jitter->tick_ts) {
    jitter->playout += jitter->tick_ts;
    jitter->target_ts = MAX (jitter->target_ts - (gint32) jitter->tick_ts, jitter->min_ts);
    jitter->pending_discard++;
    jitter->stats.shrinks++;
  }
  jitter->window_ticks = 0;
  jitter->min_margin = G_MAXINT32;
}

const ZcJitterPacket *
zc_jitter_pop (ZcJitter *jitter)
{
  gint next = -1;
  ZcJitterPacket *packet;

  for (gint i = 0; i < ZC_JITTER_SLOTS; i++)
    if (jitter->used[i] && (next < 0 || seq_before (jitter->slots[i].seq, jitter->slots[next].seq)))
      next = i;
  if (next < 0)
    return NULL;
  packet = &jitter->slots[next];
  if (packet->audio && (!jitter->started || (gint32) (packet->ts - jitter->playout) >= (gint32) jitter->tick_ts)) {
    /* Not due before the next tick.  But when an audio packet later in
     * sequence is due, this one's timestamp is out of line with the
     * stream's (a forged one, under the restart threshold): skip it rather
     * than hold every packet behind it. */
    for (gint i = 0; jitter->started && i < ZC_JITTER_SLOTS; i++)
      if (jitter->used[i] && i != next && jitter->slots[i].audio
          && (gint32) (jitter->slots[i].ts - jitter->playout) < (gint32) jitter->tick_ts) {
        jitter->used[next] = FALSE;
        jitter->stats.dropped++;
        return zc_jitter_pop (jitter);
      }
    return NULL;
  }

  jitter->used[next] = FALSE;
  jitter->have_popped = TRUE;
  jitter->last_seq = packet->seq;
  if (packet->audio && jitter->pending_discard > 0) {
    jitter->pending_discard--;
    packet->discard = TRUE;
  }
  return packet;
}

void
zc_jitter_get_stats (const ZcJitter *jitter, ZcJitterStats *stats)
{
  *stats = jitter->stats;
  stats->target_ms = (guint) jitter->target_ts / jitter->per_ms;
}
