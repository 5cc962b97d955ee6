/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "media"

#include "config.h"

#include "media/jitter.h"

#include <string.h>

/* Ticks without a late packet before the spare depth is given back (2 s):
 * long enough that a path still jittering shows its worst within it (at
 * 30 ms of netem jitter every 2 s window holds a packet near the worst,
 * so the depth holds), short enough that the delay jitter or a delay step
 * added is gone a few seconds after it ended (tests/net/netem.test). */
#define SHRINK_WINDOW_MS 2000
/* The window slides by quarters (500 ms): the spare is looked at every
 * half second over the two seconds before, so that it goes at most half a
 * second after two quiet seconds. */
#define WINDOW_PARTS 4
/* Except the first look of a stream, after one quarter: the starting depth
 * is a guess made before any packet came, and a call's first seconds are
 * when its parties greet each other, so what a calm path does not need
 * goes half a second in, not two and a half.  (In the voice benchmark the
 * first bursts of each call, 1.8 s in, read 96-104 ms mouth-to-ear while
 * the 40 ms start was still there, and 61-62 ms once it had gone.)  A
 * path that jitters more than that quarter showed grows back as usual. */
#define FIRST_LOOK_PARTS 1
/* The spare is given back one tick per this many ticks (60 ms of 20 ms
 * packets): one skipped packet at a time, not a run of them, so speech
 * loses a syllable's fraction here and there rather than a word. */
#define SHRINK_STEP_TICKS 3
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
  guint part_ticks_max;  /* ticks in a quarter of the shrink window */
  gint32 min_ts, max_ts; /* depth bounds */
  gint32 target_ts;      /* the depth now */
  gint32 max_target_ts;  /* the most it was */

  ZcJitterPacket *slots;
  gboolean *used;
  gint n_slots;          /* jitter.h: ZC_JITTER_MIN_SLOTS */

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

  guint window_ticks;    /* since the last late packet */
  gboolean looked;       /* the first look (FIRST_LOOK_PARTS) was made, or a packet came late */
  /* Least margin (see zc_jitter_put()) in each of the window's last
   * WINDOW_PARTS quarters and the one under way (part_min[part]). */
  gint32 part_min[WINDOW_PARTS + 1];
  guint part;
  guint part_ticks;
  guint pending_shrink;  /* ticks still to give back, one per SHRINK_STEP_TICKS */
  guint shrink_wait;     /* ticks since the last one given back */

  ZcJitterStats stats;
};

/* A new window: no margin seen yet. */
static void
window_reset (ZcJitter *jitter)
{
  jitter->window_ticks = 0;
  jitter->part = 0;
  jitter->part_ticks = 0;
  for (guint i = 0; i <= WINDOW_PARTS; i++)
    jitter->part_min[i] = G_MAXINT32;
}

ZcJitter *
zc_jitter_new (guint clock_rate, guint tick_ms, guint initial_ms, guint min_ms, guint max_ms)
{
  ZcJitter *jitter = g_new0 (ZcJitter, 1);
  guint32 per_ms = MAX (clock_rate / 1000, 1u);

  jitter->per_ms = per_ms;
  jitter->tick_ts = per_ms * tick_ms;
  jitter->part_ticks_max = MAX (SHRINK_WINDOW_MS / WINDOW_PARTS / MAX (tick_ms, 1u), 1u);
  jitter->min_ts = (gint32) (per_ms * MAX (min_ms, tick_ms));
  jitter->max_ts = (gint32) MAX (per_ms * max_ms, (guint32) jitter->min_ts);
  jitter->target_ts = CLAMP ((gint32) (per_ms * initial_ms), jitter->min_ts, jitter->max_ts);
  jitter->max_target_ts = jitter->target_ts;
  jitter->n_slots = MAX ((gint) (jitter->max_ts / jitter->tick_ts) + ZC_JITTER_SPARE_SLOTS, ZC_JITTER_MIN_SLOTS);
  jitter->slots = g_new0 (ZcJitterPacket, jitter->n_slots);
  jitter->used = g_new0 (gboolean, jitter->n_slots);
  window_reset (jitter);
  return jitter;
}

void
zc_jitter_free (ZcJitter *jitter)
{
  if (jitter == NULL)
    return;
  g_free (jitter->slots);
  g_free (jitter->used);
  g_free (jitter);
}

static void
restart (ZcJitter *jitter)
{
  memset (jitter->used, 0, (gsize) jitter->n_slots * sizeof *jitter->used);
  jitter->started = FALSE;
  jitter->have_popped = FALSE;
  jitter->pending_discard = 0;
  jitter->pending_shrink = 0;
  window_reset (jitter);
  jitter->looked = FALSE;
  jitter->candidate_count = 0;
}

/* RFC 3550 sequence numbers wrap: order them as RFC 1982 serial numbers. */
static gboolean
seq_before (guint16 a, guint16 b)
{
  return (gint16) (guint16) (a - b) < 0;
}

/* A packet came @late_ts after its turn: playout moves back by that much,
 * in whole ticks, so that the next one like it comes in time.  One tick for
 * ordinary jitter; after a delay step all of the step at once, so the
 * packets that follow it play in order from the first, instead of each
 * coming late again while the depth creeps up a tick at a time (every one
 * of them a concealed tick and then a frame too many). */
static void
grow (ZcJitter *jitter, gint32 late_ts)
{
  gint32 ticks = MAX ((late_ts + (gint32) jitter->tick_ts - 1) / (gint32) jitter->tick_ts, 1);
  gint32 room = (jitter->max_ts - jitter->target_ts) / (gint32) jitter->tick_ts;

  jitter->stats.late++;
  window_reset (jitter);
  jitter->looked = TRUE;
  jitter->pending_shrink = 0; /* the path is not as calm as it looked */
  ticks = MIN (ticks, room);
  if (ticks <= 0)
    return;
  jitter->target_ts += ticks * (gint32) jitter->tick_ts;
  jitter->playout -= (guint32) ticks * jitter->tick_ts;
  jitter->max_target_ts = MAX (jitter->max_target_ts, jitter->target_ts);
  jitter->stats.grows++;
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
      grow (jitter, (gint32) jitter->tick_ts);
    return FALSE;
  }
  for (gint i = 0; i < jitter->n_slots; i++) {
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
      grow (jitter, -margin);
    else
      jitter->part_min[jitter->part] = MIN (jitter->part_min[jitter->part], margin);
  }
  return TRUE;
}

/* One tick of the spare given back: playout moves a tick ahead, and the
 * packet due then is skipped. */
static void
give_back_tick (ZcJitter *jitter)
{
  jitter->shrink_wait = 0;
  jitter->pending_shrink--;
  jitter->playout += jitter->tick_ts;
  jitter->target_ts = MAX (jitter->target_ts - (gint32) jitter->tick_ts, jitter->min_ts);
  jitter->pending_discard++;
  jitter->stats.shrinks++;
  /* Every packet of the window would have come a tick less early: the
   * window stays good with its margins a tick smaller.  Starting a new
   * one instead made each give-back wait two more seconds, so a depth
   * whose first look still held the end of the jitter came down in steps
   * of two seconds each (part of the 9-10 s netem.test read in CI). */
  for (guint i = 0; i <= WINDOW_PARTS; i++)
    if (jitter->part_min[i] != G_MAXINT32)
      jitter->part_min[i] -= (gint32) jitter->tick_ts;
}

void
zc_jitter_tick (ZcJitter *jitter)
{
  jitter->ticks++;
  if (!jitter->started)
    return;
  jitter->playout += jitter->tick_ts;
  if (jitter->pending_shrink > 0 && ++jitter->shrink_wait >= SHRINK_STEP_TICKS)
    give_back_tick (jitter);
  jitter->window_ticks++;
  if (++jitter->part_ticks < jitter->part_ticks_max)
    return;
  /* A quarter ended: the next one starts afresh, the oldest drops out. */
  jitter->part_ticks = 0;
  jitter->part = (jitter->part + 1) % (WINDOW_PARTS + 1);
  jitter->part_min[jitter->part] = G_MAXINT32;
  if (jitter->window_ticks >= (jitter->looked ? WINDOW_PARTS : FIRST_LOOK_PARTS) * jitter->part_ticks_max
      && jitter->pending_shrink == 0) {
    /* Two seconds (half a second at the first look) in which every packet
     * came at least a whole tick before its turn (a path that calmed down,
     * a delay that stepped down, a starting depth more than the path needs,
     * or a sender whose clock runs a little fast): give back the whole
     * ticks the least early of them had to spare, starting now. */
    gint32 min_margin = G_MAXINT32;

    jitter->looked = TRUE;
    for (guint i = 0; i <= WINDOW_PARTS; i++)
      min_margin = MIN (min_margin, jitter->part_min[i]);
    if (min_margin != G_MAXINT32 && min_margin >= (gint32) jitter->tick_ts) {
      jitter->pending_shrink = (guint) (min_margin / (gint32) jitter->tick_ts);
      jitter->shrink_wait = SHRINK_STEP_TICKS - 1;
    }
  }
}

const ZcJitterPacket *
zc_jitter_pop (ZcJitter *jitter)
{
  gint next = -1;
  ZcJitterPacket *packet;

  for (gint i = 0; i < jitter->n_slots; i++)
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
    for (gint i = 0; jitter->started && i < jitter->n_slots; i++)
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

const ZcJitterPacket *
zc_jitter_peek (const ZcJitter *jitter)
{
  gint next = -1;

  for (gint i = 0; i < jitter->n_slots; i++)
    if (jitter->used[i] && (next < 0 || seq_before (jitter->slots[i].seq, jitter->slots[next].seq)))
      next = i;
  return next >= 0 && jitter->slots[next].audio ? &jitter->slots[next] : NULL;
}

void
zc_jitter_get_stats (const ZcJitter *jitter, ZcJitterStats *stats)
{
  *stats = jitter->stats;
  stats->target_ms = (guint) jitter->target_ts / jitter->per_ms;
  stats->max_target_ms = (guint) jitter->max_target_ts / jitter->per_ms;
}
